//! [`DataFrame::sort_values`]: a distributed sort with sampled partition boundaries, like
//! Dask's `sort_values`.
//!
//! Each partition contributes up to [`SAMPLES`] evenly spaced values of the first sort key;
//! the combined sample gives `n - 1` boundaries (its quantiles); every partition is split into
//! `n` ranges by them; output partition `j` concatenates range `j` of every partition and sorts
//! it. Rows with equal first keys land in the same range, so the output partitions, in order,
//! are the sorted frame. Nulls sort last (they go to the last range).

use std::sync::Arc;

use lazydag_core::Delayed;
use polars::prelude::{
    BooleanChunked, DataFrame as PlFrame, DataType, IntoLazy, LiteralValue, NewChunkedArray,
    Scalar, Series, SortMultipleOptions, SortOptions, col, lit, when,
};

use crate::error::Result;
use crate::frame::{DataFrame, concat_frames};

/// Values of the first key sampled per partition.
const SAMPLES: usize = 64;

fn opts(descending: bool) -> SortMultipleOptions {
    SortMultipleOptions::default()
        .with_order_descending(descending)
        .with_nulls_last(true)
        .with_maintain_order(true)
}

fn sample(df: &PlFrame, key: &str) -> Result<Series> {
    let s = df.column(key)?.as_materialized_series().drop_nulls();
    let s = s.sort(SortOptions::default())?;
    let step = (s.len() / SAMPLES).max(1);
    Ok(s.gather_every(step, 0)?)
}

/// `n - 1` ascending boundaries: the quantiles of all samples.
fn boundaries(samples: Vec<Series>, n: usize) -> Result<Vec<Scalar>> {
    let mut it = samples.into_iter();
    let Some(mut all) = it.next() else { return Ok(Vec::new()) };
    for s in it {
        all.append(&s)?;
    }
    let all = all.sort(SortOptions::default())?;
    let mut out: Vec<Scalar> = Vec::new();
    for i in 1..n {
        if all.is_empty() {
            break;
        }
        let v = all.get(i * all.len() / n)?.into_static();
        let s = Scalar::new(all.dtype().clone(), v);
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Splits `df` into `bounds.len() + 1` ranges of `key`, ascending; nulls go to the last range,
/// or to the first when `nulls_first` (for a descending sort, whose ranges are reversed).
fn split(df: &PlFrame, key: &str, bounds: &[Scalar], nulls_first: bool) -> Result<Vec<PlFrame>> {
    // One query gives every row its range: the number of boundaries below its key.
    let mut range = lit(0u32);
    for b in bounds {
        range = range + col(key).gt(lit(LiteralValue::Scalar(b.clone()))).cast(DataType::UInt32);
    }
    let null_range = if nulls_first { 0 } else { bounds.len() as u32 };
    let range = when(col(key).is_null()).then(lit(null_range)).otherwise(range);
    let range = range.cast(DataType::UInt32);
    let idx = df.clone().lazy().select([range.alias("range")]).collect()?;
    let idx: Vec<u32> = idx.column("range")?.u32()?.into_no_null_iter().collect();
    (0..=bounds.len() as u32)
        .map(|j| {
            let mask = BooleanChunked::from_iter_values("mask".into(), idx.iter().map(|&r| r == j));
            Ok(df.filter(&mask)?)
        })
        .collect()
}

impl DataFrame {
    /// Sorts by columns (nulls last), like `sort_values(by, ascending=not descending)`: the
    /// output has as many partitions as the input, split at sampled boundaries of the first
    /// column, each sorted; in order they are the sorted frame (ties keep partition order).
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("v" => [5, 1, 9, 3, 7, 2]).unwrap(), 3).unwrap();
    /// let s = df.sort_values(["v"], false);
    /// assert_eq!(s.npartitions(), 3);
    /// let v = s.compute().unwrap();
    /// assert_eq!(v.column("v").unwrap().i32().unwrap().to_vec(), [1, 2, 3, 5, 7, 9].map(Some));
    /// ```
    pub fn sort_values<I: IntoIterator<Item = S>, S: AsRef<str>>(
        &self,
        by: I,
        descending: bool,
    ) -> DataFrame {
        let by: Vec<String> = by.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let schema = match self.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let Some(first) = by.first().cloned() else {
            return DataFrame::failed(crate::Error::InvalidArgument(
                "sort_values: give at least one column".into(),
            ));
        };
        if let Some(f) = self.select(&by).schema().err() {
            return DataFrame::failed(f);
        }
        let n = self.npartitions();
        let key = Arc::new(first);
        let samples: Delayed<Vec<Series>> = self
            .parts
            .iter()
            .map(|p| {
                let key = key.clone();
                p.try_map(move |df: PlFrame| sample(&df, &key)).name("sort-sample")
            })
            .collect();
        let bounds = samples
            .try_map(move |s: Vec<Series>| boundaries(s, n))
            .name("sort-boundaries")
            .shared();
        let ranges: Vec<Delayed<Vec<PlFrame>>> = self
            .parts
            .iter()
            .map(|p| {
                let key = key.clone();
                let both: Delayed<(PlFrame, Vec<Scalar>)> =
                    lazydag_core::delayed!((|df: PlFrame, b: Vec<Scalar>| (df, b))(p, &bounds));
                both.try_map(move |(df, b): (PlFrame, Vec<Scalar>)| {
                    split(&df, &key, &b, descending)
                })
                .name("sort-split")
                .shared()
            })
            .collect();
        let by = Arc::new(by);
        let parts = (0..n)
            .map(|j| {
                let pieces: Delayed<Vec<PlFrame>> = ranges
                    .iter()
                    .map(|r| {
                        r.map(move |v: Vec<PlFrame>| v.get(j).cloned().unwrap_or_default())
                            .name("sort-range")
                    })
                    .collect();
                let (schema, by) = (schema.clone(), by.clone());
                pieces
                    .try_map(move |v: Vec<PlFrame>| -> Result<PlFrame> {
                        // Fewer boundaries than partitions (many equal keys): missing ranges
                        // are empty frames without columns; skip them.
                        let v = v.into_iter().filter(|d| d.width() > 0).collect();
                        let df = concat_frames(v, &schema)?;
                        Ok(df.sort(by.as_ref().clone(), opts(descending))?)
                    })
                    .name("sort-values")
                    .shared()
            })
            .collect::<Vec<_>>();
        let mut parts = parts;
        if descending {
            parts.reverse(); // the null range was the first, so it is now the last
        }
        DataFrame::known(parts, schema)
    }
}
