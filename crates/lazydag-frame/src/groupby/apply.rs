//! [`GroupBy::apply`]: user code on each group's rows, like Dask's `groupby(keys).apply(f)`.
//!
//! The rows are first shuffled by key ([`shuffle`](crate::shuffle)) so that each group lies
//! whole in one partition, then one task per partition cuts it into its groups and calls `f`
//! on each; a frame of one partition is not shuffled. As in Dask, this moves every row once:
//! prefer [`GroupBy::agg`] (a tree of partial aggregates) for what it can compute.

use std::sync::Arc;

use polars::prelude::{DataFrame as PlFrame, PolarsResult, SchemaRef, SortMultipleOptions};

use super::GroupBy;
use crate::error::Result;
use crate::frame::{DataFrame, check_schema, concat_frames, meta_of};
use crate::shuffle::shuffle;

impl GroupBy {
    /// Applies `f` to the rows of each group (keys included) and concatenates what it
    /// returns, like Dask's `groupby(keys).apply(f)`: `f` may return any number of rows, with
    /// the same columns for every group. The output schema is learned by applying `f` to an
    /// empty frame of the input schema (Dask's `meta`); when `f` fails there, use
    /// [`apply_with_schema`](GroupBy::apply_with_schema).
    ///
    /// The rows are shuffled by key into as many partitions as the input has (or
    /// [`split_out`](GroupBy::split_out)'s number, when set above 1); within a partition,
    /// groups come in key order (nulls first) unless [`sort(false)`](GroupBy::sort) keeps
    /// their order of appearance, and each group's rows keep their input order.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let pl = df!("k" => [1i64, 2, 1, 2, 1], "v" => [5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
    /// let df = dd::from_polars(pl, 3).unwrap();
    /// // The two smallest values of each group, as pandas' `apply(lambda g: g.nsmallest(2, "v"))`.
    /// let smallest = df.groupby(["k"]).apply(|g| {
    ///     g.sort(["v"], SortMultipleOptions::default()).map(|g| g.head(Some(2)))
    /// });
    /// let out = smallest.compute().unwrap().sort(["k", "v"], Default::default()).unwrap();
    /// let v: Vec<f64> = out.column("v").unwrap().f64().unwrap().into_no_null_iter().collect();
    /// assert_eq!(v, [3.0, 4.0, 1.0, 2.0]);
    /// ```
    pub fn apply<F>(&self, f: F) -> DataFrame
    where
        F: Fn(PlFrame) -> PolarsResult<PlFrame> + Send + Sync + 'static,
    {
        let schemas = self.check_columns(std::iter::empty()).and_then(|input| {
            let out = meta_of(&f, input.clone(), "groupby.apply", "apply_with_schema")?;
            Ok((input, out))
        });
        match schemas {
            Ok((input, out)) => self.apply_checked(f, &input, out),
            Err(e) => DataFrame::failed(e),
        }
    }

    /// [`apply`](GroupBy::apply) with the output schema given (checked on each group's
    /// result): for an `f` that cannot run on an empty frame.
    pub fn apply_with_schema<F>(&self, f: F, schema: SchemaRef) -> DataFrame
    where
        F: Fn(PlFrame) -> PolarsResult<PlFrame> + Send + Sync + 'static,
    {
        match self.check_columns(std::iter::empty()) {
            Ok(input) => self.apply_checked(f, &input, schema),
            Err(e) => DataFrame::failed(e),
        }
    }

    /// [`apply_with_schema`](GroupBy::apply_with_schema) once the keys are known to be in
    /// `input`, the frame's schema.
    fn apply_checked<F>(&self, f: F, input: &SchemaRef, schema: SchemaRef) -> DataFrame
    where
        F: Fn(PlFrame) -> PolarsResult<PlFrame> + Send + Sync + 'static,
    {
        let n = if self.split_out > 1 { self.split_out } else { self.frame.npartitions() };
        let keys = Arc::new(self.keys.clone());
        let parts = if self.frame.npartitions() == 1 && n == 1 {
            self.frame.parts.clone()
        } else {
            shuffle(&self.frame.parts, &keys, n, input, "groupby-apply")
        };
        let (f, sort) = (Arc::new(f), self.sort);
        let parts = parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (f, keys, schema) = (f.clone(), keys.clone(), schema.clone());
                p.try_map(move |df: PlFrame| apply_groups(df, &keys, sort, &*f, &schema, i))
                    .name("groupby-apply")
                    .shared()
            })
            .collect();
        DataFrame::known(parts, schema)
    }
}

/// `f` on each group of `df` (partition `i` of the output), the results concatenated.
fn apply_groups<F>(
    df: PlFrame,
    keys: &[String],
    sort: bool,
    f: &F,
    schema: &SchemaRef,
    i: usize,
) -> Result<PlFrame>
where
    F: Fn(PlFrame) -> PolarsResult<PlFrame>,
{
    if df.height() == 0 {
        return Ok(PlFrame::empty_with_arc_schema(schema.clone()));
    }
    let df = if sort {
        let opts = SortMultipleOptions::default().with_nulls_last(false).with_maintain_order(true);
        df.sort(keys.to_vec(), opts)?
    } else {
        df
    };
    let groups = df.partition_by_stable(keys.iter().map(String::as_str), true)?;
    let results = groups
        .into_iter()
        .map(|group| check_schema(f(group)?, schema, i))
        .collect::<Result<Vec<PlFrame>>>()?;
    concat_frames(results, schema)
}
