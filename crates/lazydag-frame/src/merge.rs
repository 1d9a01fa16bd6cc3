//! Joins ([`DataFrame::merge`]) and [`DataFrame::describe`] (its percentiles are
//! [`DataFrame::quantile`]'s).
//!
//! A join is a broadcast join when one side has a single partition (that side is computed
//! once and joined with every partition of the other), and a hash join otherwise: both sides
//! are cut into buckets by a fixed hash of the key columns, and bucket `j` of the left is
//! joined with bucket `j` of the right, so equal keys always meet. Keys must have the same
//! dtypes on both sides (the hash depends on the dtype).

use std::sync::Arc;

use lazydag_core::Delayed;
use polars::prelude::{
    Column, DataFrame as PlFrame, DataType, Expr, IntoLazy, JoinArgs, JoinCoalesce, JoinType,
    SchemaRef, col,
};

use crate::error::{Error, Result};
use crate::frame::DataFrame;
use crate::shuffle::shuffle;

/// Joins two partitions as pandas' `merge` does: key columns coalesced, and a null key
/// matching the other side's null keys (pandas and Dask match `NaN`/`None` keys; Polars'
/// default does not). The hash shuffle sends every null key to one bucket, so this holds
/// across partitions too.
fn join(left: PlFrame, right: PlFrame, on: &[String], how: &JoinType) -> Result<PlFrame> {
    let keys: Vec<Expr> = on.iter().map(|k| col(k.as_str())).collect();
    let mut args = JoinArgs::new(how.clone()).with_coalesce(JoinCoalesce::CoalesceColumns);
    args.nulls_equal = true;
    Ok(left.lazy().join(right.lazy(), keys.clone(), keys, args).collect()?)
}

impl DataFrame {
    /// Joins with `other` on key columns, like `dd.merge(left, right, on=..., how=...)`:
    /// `JoinType::Inner`, `Left`, `Right` or `Full` (keys coalesced, as pandas does).
    /// Broadcast when either side has one partition (for `Inner`, or the side that may be
    /// broadcast for `Left`/`Right`), hash-partitioned into `max(npartitions)` buckets
    /// otherwise. Row order is not defined.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let users = dd::from_polars(df!("id" => [1i64, 2, 3], "name" => ["a", "b", "c"]).unwrap(), 1).unwrap();
    /// let events = dd::from_polars(df!("id" => [1i64, 3, 3, 4], "v" => [1.0, 2.0, 3.0, 4.0]).unwrap(), 2).unwrap();
    /// let j = events.merge(&users, ["id"], JoinType::Inner).compute().unwrap();
    /// assert_eq!(j.height(), 3);
    /// assert_eq!(j.get_column_names(), ["id", "v", "name"]);
    /// ```
    pub fn merge<I, S>(&self, other: &DataFrame, on: I, how: JoinType) -> DataFrame
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        match self.merge_inner(other, on.into_iter().map(|s| s.as_ref().to_owned()).collect(), how)
        {
            Ok(df) => df,
            Err(e) => DataFrame::failed(e),
        }
    }

    fn merge_inner(&self, other: &DataFrame, on: Vec<String>, how: JoinType) -> Result<DataFrame> {
        let (ls, rs) = (self.schema()?, other.schema()?);
        for (schema, side) in [(&ls, "left"), (&rs, "right")] {
            for k in &on {
                if !schema.contains(k) {
                    return Err(Error::MissingColumn {
                        column: k.clone(),
                        file: None,
                        available: schema.iter_names().map(|n| format!("{side}.{n}")).collect(),
                    });
                }
            }
        }
        for k in &on {
            if ls.get(k) != rs.get(k) {
                return Err(Error::InvalidArgument(format!(
                    "merge: key `{k}` is {:?} on the left and {:?} on the right; cast one side with astype",
                    ls.get(k),
                    rs.get(k)
                )));
            }
        }
        if on.is_empty() {
            return Err(Error::InvalidArgument("merge: give at least one key column".into()));
        }
        let out: SchemaRef = join(
            PlFrame::empty_with_arc_schema(ls.clone()),
            PlFrame::empty_with_arc_schema(rs.clone()),
            &on,
            &how,
        )?
        .schema()
        .clone();
        let on = Arc::new(on);
        let how = Arc::new(how);
        let right_broadcast =
            other.npartitions() == 1 && matches!(*how, JoinType::Inner | JoinType::Left);
        let left_broadcast =
            self.npartitions() == 1 && matches!(*how, JoinType::Inner | JoinType::Right);
        let names: Vec<String> = out.iter_names().map(|n| n.to_string()).collect();
        let pair = |l: &Delayed<PlFrame>, r: &Delayed<PlFrame>, name: &str| {
            let (on, how, names) = (on.clone(), how.clone(), names.clone());
            let both: Delayed<Vec<PlFrame>> = [l.clone(), r.clone()].into_iter().collect();
            both.try_map(move |mut v: Vec<PlFrame>| -> Result<PlFrame> {
                let r = v.pop().unwrap_or_default();
                let l = v.pop().unwrap_or_default();
                let j = join(l, r, &on, &how)?;
                Ok(j.select(names.iter().map(String::as_str))?)
            })
            .name(name)
            .shared()
        };
        if right_broadcast || left_broadcast {
            let parts = if right_broadcast {
                let small = other.to_single()?;
                self.parts.iter().map(|p| pair(p, &small, "merge-broadcast")).collect()
            } else {
                let small = self.to_single()?;
                other.parts.iter().map(|p| pair(&small, p, "merge-broadcast")).collect()
            };
            return Ok(DataFrame::known(parts, out));
        }
        let n = self.npartitions().max(other.npartitions());
        let lb = shuffle(&self.parts, &on, n, &ls, "merge");
        let rb = shuffle(&other.parts, &on, n, &rs, "merge");
        let parts = lb.iter().zip(&rb).map(|(l, r)| pair(l, r, "merge-hash")).collect();
        Ok(DataFrame::known(parts, out))
    }

    /// Summary statistics of every numeric column, like pandas' and Dask's `describe()`: rows
    /// `count`, `mean`, `std` (ddof 1), `min`, `25%`, `50%`, `75%`, `max`, named in a
    /// `statistic` column, all `f64`. Count, mean, std, min and max are exact tree
    /// reductions; the percentiles are [`quantile`](DataFrame::quantile)'s: exact on one
    /// partition, **approximate** otherwise (as in Dask; a rank within 0.1% of the rows per
    /// tree level).
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("a" => [1.0, 2.0, 3.0], "s" => ["x", "y", "z"]).unwrap(), 1).unwrap();
    /// let d = df.describe().compute().unwrap();
    /// assert_eq!(d.get_column_names(), ["statistic", "a"]);
    /// let a: Vec<f64> = d.column("a").unwrap().f64().unwrap().into_no_null_iter().collect();
    /// assert_eq!(a, [3.0, 2.0, 1.0, 1.0, 1.5, 2.0, 2.5, 3.0]);
    /// ```
    pub fn describe(&self) -> DataFrame {
        let schema = match self.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let nums: Vec<String> = schema
            .iter()
            .filter(|(_, d)| d.is_primitive_numeric())
            .map(|(n, _)| n.to_string())
            .collect();
        if nums.iter().any(|n| n == "statistic") {
            return DataFrame::failed(Error::InvalidArgument(
                "describe: a column is named `statistic`, like the labels' column: rename it \
                 first"
                    .into(),
            ));
        }
        let numeric = self.select(&nums);
        let stats = [
            numeric.count(),
            numeric.mean(),
            numeric.std(1),
            numeric.min(),
            numeric.quantile(&[0.25, 0.5, 0.75]),
            numeric.max(),
        ];
        let mut singles = Vec::new();
        for s in &stats {
            match s.to_single() {
                Ok(d) => singles.push(d),
                Err(e) => return DataFrame::failed(e),
            }
        }
        let all: Delayed<Vec<PlFrame>> = singles.into_iter().collect();
        let cols = nums.clone();
        const ROWS: [&str; 8] = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"];
        let out = all
            .try_map(move |frames: Vec<PlFrame>| -> Result<PlFrame> {
                let mut columns = vec![Column::new("statistic".into(), ROWS)];
                for c in &cols {
                    let mut values = Vec::with_capacity(ROWS.len());
                    for f in &frames {
                        let v = f.column(c)?.cast(&DataType::Float64)?;
                        values.extend(v.f64()?.iter());
                    }
                    columns.push(Column::new(c.as_str().into(), values));
                }
                Ok(PlFrame::new(ROWS.len(), columns)?)
            })
            .name("describe")
            .shared();
        let mut meta: polars::prelude::Schema =
            [("statistic".into(), DataType::String)].into_iter().collect();
        for c in &nums {
            meta.insert(c.as_str().into(), DataType::Float64);
        }
        DataFrame::known(vec![out], Arc::new(meta))
    }
}
