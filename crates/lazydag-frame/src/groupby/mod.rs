//! Group-by aggregation: [`GroupBy`], from [`DataFrame::groupby`].
//!
//! Each partition is aggregated to one row per group (the partials of [`spec`]); partials are
//! concatenated and re-aggregated `split_every` at a time in a tree (Dask's
//! `split_every`), and the last combine is finished into the user's columns. With
//! `split_out(n)`, each partition's partials are hash-partitioned by key into `n` buckets and
//! bucket `j` of every partition is reduced into output partition `j`, so no task ever holds
//! all groups (Dask's `split_out` / shuffle path for high-cardinality keys). The partial and
//! combine stages run on [`scatter`]'s kernel (one sequential pass per column into per-group
//! accumulators) for the aggregations it handles, and on Polars' group-by for the others.

mod apply;
mod scatter;
mod spec;

use std::sync::Arc;

use polars::prelude::{
    Column, DataFrame as PlFrame, DataType, Expr, IntoLazy, Schema, SchemaRef, SortMultipleOptions,
    TimeUnit, col,
};

use crate::error::{Error, Result};
use crate::frame::DataFrame;
use crate::reduce::{DEFAULT_SPLIT_EVERY, tree};
use crate::shuffle::pieces;
use scatter::Stage;
use spec::{Kind, Spec};

/// A pending group-by, like `df.groupby(keys)` in Dask: aggregate it with
/// [`agg`](GroupBy::agg) or a shortcut ([`mean`](GroupBy::mean), ...).
///
/// ```
/// use lazydag_frame as dd;
/// use polars::prelude::*;
/// let pl = df!("k" => [1i64, 2, 1, 2, 1], "v" => [1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
/// let df = dd::from_polars(pl, 3).unwrap();
/// let out = df.groupby(["k"]).agg([col("v").mean(), col("v").count()]).compute().unwrap();
/// assert_eq!(out.get_column_names(), ["k", "v_mean", "v_count"]);
/// assert_eq!(out.column("v_mean").unwrap().f64().unwrap().get(0), Some(3.0));
/// let means = df.groupby(["k"]).mean().compute().unwrap();   // named after the columns
/// assert_eq!(means.column("v").unwrap().f64().unwrap().get(1), Some(3.0));
/// ```
#[derive(Clone, Debug)]
pub struct GroupBy {
    frame: DataFrame,
    keys: Vec<String>,
    split_every: usize,
    split_out: usize,
    sort: bool,
}

impl DataFrame {
    /// Groups by the given key columns.
    pub fn groupby<I, S>(&self, keys: I) -> GroupBy
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        GroupBy {
            frame: self.clone(),
            keys: keys.into_iter().map(|k| k.as_ref().to_owned()).collect(),
            split_every: DEFAULT_SPLIT_EVERY,
            split_out: 1,
            sort: true,
        }
    }

    /// The number of rows of each distinct value of `column`, most frequent first (ties by
    /// value), in a column named `count`, like `value_counts()`.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("c" => ["a", "b", "a"]).unwrap(), 2).unwrap();
    /// let vc = df.value_counts("c").compute().unwrap();
    /// assert_eq!(vc.column("count").unwrap().u32().unwrap().get(0), Some(2));
    /// ```
    pub fn value_counts(&self, column: &str) -> DataFrame {
        if column == "count" {
            return DataFrame::failed(Error::InvalidArgument(
                "value_counts: the column is named `count`, like the counts: rename it first"
                    .into(),
            ));
        }
        let counted = self.groupby([column]).agg([polars::prelude::len().alias("count")]);
        let by = vec!["count".to_owned(), column.to_owned()];
        counted.map_parts("value_counts", move |df| {
            let opts = SortMultipleOptions::default()
                .with_order_descending_multi([true, false])
                .with_nulls_last(true);
            Ok(df.sort(by.clone(), opts)?)
        })
    }
}

impl GroupBy {
    /// How many partials one combine task reads (at least 2; default 8), Dask's `split_every`.
    #[must_use]
    pub fn split_every(mut self, n: usize) -> Self {
        self.split_every = n.max(2);
        self
    }

    /// How many output partitions (default 1), Dask's `split_out`: with more than one, groups
    /// are hash-partitioned by key, so high-cardinality keys never meet in one task. The
    /// output is then sorted within each partition only.
    #[must_use]
    pub fn split_out(mut self, n: usize) -> Self {
        self.split_out = n.max(1);
        self
    }

    /// Whether to sort the output by the keys (default true; Polars' own order is arbitrary).
    #[must_use]
    pub fn sort(mut self, sort: bool) -> Self {
        self.sort = sort;
        self
    }

    /// Aggregates with Polars expressions: `col(c).sum()`, `mean()`, `min()`, `max()`,
    /// `count()`, `len()`, `std(ddof)`, `var(ddof)`, `first()`, `last()`, `n_unique()` and
    /// `len()` (rows per group). An output is named `<c>_<agg>` (`v_mean`) unless aliased.
    /// `first`/`last` follow partition order, as Polars' follow row order.
    pub fn agg(&self, exprs: impl AsRef<[Expr]>) -> DataFrame {
        match exprs.as_ref().iter().map(Spec::parse).collect::<Result<Vec<Spec>>>() {
            Ok(specs) => self.run(specs),
            Err(e) => DataFrame::failed(e),
        }
    }

    fn shortcut(&self, kind: Kind, numeric_only: bool) -> DataFrame {
        let schema = match self.frame.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let specs = schema
            .iter()
            .filter(|(n, _)| !self.keys.iter().any(|k| k == n.as_str()))
            .filter(|(_, dt)| !numeric_only || dt.is_primitive_numeric() || dt.is_bool())
            .map(|(n, _)| Spec {
                column: Some(n.to_string()),
                kind,
                out: n.to_string(),
                widen: None,
            })
            .collect();
        self.run(specs)
    }

    /// The mean of every numeric non-key column, named after the column.
    pub fn mean(&self) -> DataFrame {
        self.shortcut(Kind::Mean, true)
    }
    /// The sum of every numeric non-key column.
    pub fn sum(&self) -> DataFrame {
        self.shortcut(Kind::Sum, true)
    }
    /// The minimum of every non-key column.
    pub fn min(&self) -> DataFrame {
        self.shortcut(Kind::Min, false)
    }
    /// The maximum of every non-key column.
    pub fn max(&self) -> DataFrame {
        self.shortcut(Kind::Max, false)
    }
    /// The non-null count of every non-key column.
    pub fn count(&self) -> DataFrame {
        self.shortcut(Kind::Count(false), false)
    }
    /// The standard deviation (`ddof`) of every numeric non-key column.
    pub fn std(&self, ddof: u8) -> DataFrame {
        self.shortcut(Kind::Std(ddof), true)
    }
    /// The variance (`ddof`) of every numeric non-key column.
    pub fn var(&self, ddof: u8) -> DataFrame {
        self.shortcut(Kind::Var(ddof), true)
    }
    /// The first value of every non-key column in each group.
    pub fn first(&self) -> DataFrame {
        self.shortcut(Kind::First, false)
    }
    /// The last value of every non-key column in each group.
    pub fn last(&self) -> DataFrame {
        self.shortcut(Kind::Last, false)
    }
    /// The exact number of distinct values of every non-key column in each group.
    pub fn nunique(&self) -> DataFrame {
        self.shortcut(Kind::NUnique, false)
    }
    /// The number of rows of each group, in a column named `size`.
    pub fn size(&self) -> DataFrame {
        self.run(vec![Spec { column: None, kind: Kind::Size, out: "size".into(), widen: None }])
    }

    /// The input schema, once the keys and `columns` are known to be in it (and there is a
    /// key at all).
    fn check_columns<'a>(&'a self, columns: impl Iterator<Item = &'a String>) -> Result<SchemaRef> {
        let schema = self.frame.schema()?;
        if self.keys.is_empty() {
            return Err(Error::InvalidArgument("groupby: give at least one key column".into()));
        }
        for name in self.keys.iter().chain(columns) {
            if !schema.contains(name) {
                return Err(Error::MissingColumn {
                    column: name.clone(),
                    file: None,
                    available: schema.iter_names().map(|n| n.to_string()).collect(),
                });
            }
        }
        Ok(schema)
    }

    fn check(&self, specs: &[Spec]) -> Result<SchemaRef> {
        let schema = self.check_columns(specs.iter().filter_map(|s| s.column.as_ref()))?;
        if specs.is_empty() {
            return Err(Error::InvalidArgument("groupby: no aggregation to compute".into()));
        }
        for spec in specs {
            averages(spec, &schema)?;
        }
        // The output schema: what Polars gives for the same aggregation of an empty frame.
        let eager: Vec<Expr> = specs.iter().map(Spec::eager).collect();
        let empty = PlFrame::empty_with_arc_schema(schema.clone());
        let meta = empty.lazy().group_by(self.key_exprs()).agg(eager).collect()?;
        Ok(meta.schema().clone())
    }

    fn key_exprs(&self) -> Vec<Expr> {
        self.keys.iter().map(|k| col(k.as_str())).collect()
    }

    fn run(&self, mut specs: Vec<Spec>) -> DataFrame {
        // Narrow integers sum in 64 bits, as pandas' (Polars keeps Int32 and wraps); a
        // date's mean is taken in microseconds, the unit of its output (a `Datetime`), not in
        // days read as microseconds.
        if let Ok(schema) = self.frame.schema() {
            for spec in &mut specs {
                let dtype = spec.column.as_ref().and_then(|c| schema.get(c));
                spec.widen = match (spec.kind, dtype) {
                    (Kind::Sum, Some(dt)) => crate::reduce::sum_dtype(dt),
                    (Kind::Mean, Some(DataType::Date)) => {
                        Some(DataType::Datetime(TimeUnit::Microseconds, None))
                    }
                    _ => None,
                };
            }
        }
        let out_schema = match self.check(&specs) {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let plan = Arc::new(Stages::new(self.keys.clone(), &specs, out_schema.clone(), self.sort));
        let split_out = self.split_out;
        // Read only the key and aggregated columns when the frame comes from a reader.
        let needed: Vec<String> = self
            .frame
            .columns()
            .unwrap_or_default()
            .into_iter()
            .filter(|n| self.keys.contains(n) || specs.iter().any(|s| s.column.as_ref() == Some(n)))
            .collect();
        let frame = self.frame.projected(&needed).unwrap_or_else(|| self.frame.clone());
        let partials: Vec<_> = frame
            .parts
            .iter()
            .map(|p| {
                let plan = plan.clone();
                p.try_map(move |df: PlFrame| plan.partial(df)).name("groupby-partial").shared()
            })
            .collect();
        let reduce_one = |leaves: Vec<lazydag_core::Delayed<PlFrame>>| {
            let (c, f) = (plan.clone(), plan.clone());
            tree(leaves, self.split_every, "groupby-combine", move |dfs| c.combine(dfs))
                .try_map(move |df: PlFrame| f.finish(df))
                .name("groupby-agg")
                .shared()
        };
        if split_out == 1 {
            return DataFrame::known(vec![reduce_one(partials)], out_schema);
        }
        let keys = Arc::new(self.keys.clone());
        let outputs = pieces(&partials, &keys, split_out, "groupby").into_iter().map(reduce_one);
        DataFrame::known(outputs.collect(), out_schema)
    }
}

/// The expressions with distinct output names, the first of each: specs sharing a partial
/// column give the same expression for it (see [`spec`]'s invariant).
fn distinct(exprs: impl Iterator<Item = Expr>) -> Vec<Expr> {
    let mut seen = std::collections::HashSet::new();
    exprs
        .filter(|e| match e {
            Expr::Alias(_, name) => seen.insert(name.clone()),
            _ => true,
        })
        .collect()
}

/// The partial, combine and finish stages of one group-by.
struct Stages {
    key_names: Vec<String>,
    partial: Stage,
    combine: Stage,
    finish: Vec<Expr>,
    out_schema: SchemaRef,
    sort: bool,
}

impl Stages {
    fn new(key_names: Vec<String>, specs: &[Spec], out_schema: SchemaRef, sort: bool) -> Stages {
        let mut finish: Vec<Expr> = key_names.iter().map(|k| col(k.as_str())).collect();
        finish.extend(specs.iter().map(Spec::finish));
        Stages {
            partial: Stage::new(key_names.clone(), distinct(specs.iter().flat_map(Spec::partial))),
            combine: Stage::new(key_names.clone(), distinct(specs.iter().flat_map(Spec::combine))),
            key_names,
            finish,
            out_schema,
            sort,
        }
    }

    fn partial(&self, df: PlFrame) -> Result<PlFrame> {
        self.partial.run(df)
    }

    fn combine(&self, dfs: Vec<PlFrame>) -> Result<PlFrame> {
        let all = crate::frame::concat_frames(dfs, &Arc::new(Default::default()))?;
        // Group order does not matter here (`finish` sorts); `first`/`last` follow row order
        // within a group either way.
        self.combine.run(all)
    }

    fn finish(&self, df: PlFrame) -> Result<PlFrame> {
        let mut out = df.lazy().select(self.finish.clone()).collect()?;
        // Cast to what Polars gives eagerly (e.g. a count's index type after summing).
        let casts: Vec<Column> = out
            .columns()
            .iter()
            .zip(self.out_schema.iter())
            .map(|(c, (_, dt))| -> Result<Column> {
                if c.dtype() == dt { Ok(c.clone()) } else { Ok(c.cast(dt)?) }
            })
            .collect::<Result<_>>()?;
        out = PlFrame::new(out.height(), casts)?;
        if self.sort && out.height() > 0 {
            let opts =
                SortMultipleOptions::default().with_nulls_last(false).with_maintain_order(true);
            out = out.sort(self.key_names.clone(), opts)?;
        }
        Ok(out)
    }
}

/// Refuses a mean, standard deviation or variance of a column that has none: the partials
/// average through `Float64`, which would read a String column's digits as numbers (`"1"`
/// and `"2"` averaging to `"1.5"`) and a Datetime's variance as a date, where Polars gives
/// null and pandas refuses (a `TypeError`). Numbers and Booleans have all three; dates and
/// times a mean.
fn averages(spec: &Spec, schema: &Schema) -> Result<()> {
    let what = match spec.kind {
        Kind::Mean => "mean",
        Kind::Std(_) => "std",
        Kind::Var(_) => "var",
        _ => return Ok(()),
    };
    let Some(column) = spec.column.as_deref() else { return Ok(()) };
    let Some(dtype) = schema.get(column) else { return Ok(()) };
    let fine = dtype.is_primitive_numeric()
        || dtype.is_bool()
        || dtype.is_null()
        || (matches!(spec.kind, Kind::Mean) && dtype.is_temporal());
    if fine {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "groupby: `{what}` of column `{column}`, a {dtype} column: only numeric and Boolean \
         columns have one{}",
        if matches!(spec.kind, Kind::Mean) { " (and dates and times a mean)" } else { "" }
    )))
}
