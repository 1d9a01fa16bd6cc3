//! One aggregation of a group-by, read from a Polars expression, and its three stages:
//! the partial aggregate of one partition, the combine of several partials, the final value.
//!
//! Invariant: a partial column is named after what it holds, `__ld_<what>_<column>` (e.g.
//! `__ld_count_v`, the non-null count of `v`), and the same name always holds the same partial
//! with the same combine: so specs that need the same partial share one column (a `mean` and a
//! `count` of `v` carry one count, a `std` and a `var` one set of moments), and none clash
//! with user columns; combine reads and writes the same columns, so it can be applied any
//! number of times in a tree.

use polars::prelude::{AggExpr, DataType, ExplodeOptions, Expr, Null, col, len, lit, when};

use crate::error::{Error, Result};

/// What an aggregation computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Sum,
    Mean,
    Min,
    Max,
    /// Non-null values, or all rows when the flag is set (`col(c).len()`).
    Count(bool),
    Std(u8),
    Var(u8),
    First,
    Last,
    NUnique,
    /// Rows per group (`len()`).
    Size,
}

impl Kind {
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Kind::Sum => "sum",
            Kind::Mean => "mean",
            Kind::Min => "min",
            Kind::Max => "max",
            Kind::Count(false) => "count",
            Kind::Count(true) => "len",
            Kind::Std(_) => "std",
            Kind::Var(_) => "var",
            Kind::First => "first",
            Kind::Last => "last",
            Kind::NUnique => "nunique",
            Kind::Size => "size",
        }
    }
}

/// One aggregation: column, kind, output name.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub(crate) column: Option<String>,
    pub(crate) kind: Kind,
    pub(crate) out: String,
    /// The type the column is cast to first, set from the schema when the group-by runs: a
    /// sum's wider integer type (`reduce::sum_dtype`), a date mean's `Datetime`.
    pub(crate) widen: Option<DataType>,
}

const SUPPORTED: &str = "col(c).sum(), mean(), min(), max(), count(), len(), std(ddof), \
                         var(ddof), first(), last(), n_unique(), or len(), each optionally \
                         .alias(name)";

impl Spec {
    /// Reads `col(c).mean()`, `col(c).std(1).alias("s")`, `len()` and so on. The output is
    /// named `<c>_<agg>` unless aliased (so `col("v").mean()` and `col("v").max()` can be
    /// asked for together, as Dask names them after flattening).
    pub(crate) fn parse(e: &Expr) -> Result<Spec> {
        let (inner, alias) = match e {
            Expr::Alias(inner, name) => (inner.as_ref(), Some(name.to_string())),
            other => (other, None),
        };
        let unsupported = || {
            Error::InvalidArgument(format!("unsupported aggregation {inner:?}: use {SUPPORTED}"))
        };
        let (input, kind) = match inner {
            Expr::Len => (None, Kind::Size),
            Expr::Agg(agg) => match agg {
                AggExpr::Sum(i) => (Some(i), Kind::Sum),
                AggExpr::Mean(i) => (Some(i), Kind::Mean),
                AggExpr::Min { input, .. } => (Some(input), Kind::Min),
                AggExpr::Max { input, .. } => (Some(input), Kind::Max),
                AggExpr::Count { input, include_nulls } => {
                    (Some(input), Kind::Count(*include_nulls))
                }
                AggExpr::Std(i, d) => (Some(i), Kind::Std(*d)),
                AggExpr::Var(i, d) => (Some(i), Kind::Var(*d)),
                AggExpr::First(i) => (Some(i), Kind::First),
                AggExpr::Last(i) => (Some(i), Kind::Last),
                AggExpr::NUnique(i) => (Some(i), Kind::NUnique),
                _ => return Err(unsupported()),
            },
            _ => return Err(unsupported()),
        };
        let column = match input.map(|i| i.as_ref()) {
            None => None,
            Some(Expr::Column(name)) => Some(name.to_string()),
            Some(_) => return Err(unsupported()),
        };
        let out = alias.unwrap_or_else(|| match &column {
            Some(c) => format!("{c}_{}", kind.suffix()),
            None => "size".to_owned(),
        });
        Ok(Spec { column, kind, out, widen: None })
    }

    /// The expression Polars would run eagerly, named `out`: gives the output dtype.
    pub(crate) fn eager(&self) -> Expr {
        let c = || self.input();
        let e = match self.kind {
            Kind::Sum => c().sum(),
            Kind::Mean => c().mean(),
            Kind::Min => c().min(),
            Kind::Max => c().max(),
            Kind::Count(false) => c().count(),
            Kind::Count(true) => c().len(),
            Kind::Std(d) => c().std(d),
            Kind::Var(d) => c().var(d),
            Kind::First => c().first(),
            Kind::Last => c().last(),
            Kind::NUnique => c().n_unique(),
            Kind::Size => len(),
        };
        e.alias(self.out.as_str())
    }

    /// The spec's column, cast to [`widen`](Spec::widen) when set.
    fn input(&self) -> Expr {
        let c = col(self.column.as_deref().unwrap_or_default());
        match &self.widen {
            Some(dt) => c.cast(dt.clone()),
            None => c,
        }
    }

    /// The name of the partial `what` of this spec's column.
    fn name(&self, what: &str) -> String {
        match &self.column {
            Some(c) => format!("__ld_{what}_{c}"),
            None => format!("__ld_{what}"),
        }
    }

    /// The partial columns this spec reads in `finish`: (count, f64 sum, mean, M2) are shared
    /// between specs of one column; the others are its own kind's.
    fn names(&self) -> [String; 3] {
        match self.kind {
            Kind::Mean => [self.name("fsum"), self.name("count"), String::new()],
            Kind::Std(_) | Kind::Var(_) => [self.name("count"), self.name("mean"), self.name("m2")],
            Kind::Count(false) => [self.name("count"), String::new(), String::new()],
            Kind::NUnique => [self.name("uniq"), String::new(), String::new()],
            k => [self.name(k.suffix()), String::new(), String::new()],
        }
    }

    /// The partial aggregates of one partition, each aliased to its column's name.
    pub(crate) fn partial(&self) -> Vec<Expr> {
        let [a, b, c3] = self.names();
        let c = || self.input();
        let f = || c().cast(DataType::Float64);
        match self.kind {
            Kind::Sum => vec![c().sum().alias(a)],
            Kind::Min => vec![c().min().alias(a)],
            Kind::Max => vec![c().max().alias(a)],
            Kind::Count(false) => vec![c().count().alias(a)],
            Kind::Count(true) => vec![c().len().alias(a)],
            Kind::Size => vec![len().alias(a)],
            Kind::First => vec![c().first().alias(a)],
            Kind::Last => vec![c().last().alias(a)],
            Kind::Mean => vec![f().sum().alias(a), c().count().alias(b)],
            Kind::Std(_) | Kind::Var(_) => vec![
                c().count().alias(a),
                f().mean().fill_null(lit(0.0)).alias(b),
                (f().var(0) * c().count().cast(DataType::Float64)).fill_null(lit(0.0)).alias(c3),
            ],
            Kind::NUnique => vec![c().unique().alias(a)],
        }
    }

    /// Combines partials (already concatenated) into one partial per group.
    pub(crate) fn combine(&self) -> Vec<Expr> {
        let [a, b, c3] = self.names();
        let ca = || col(a.as_str());
        match self.kind {
            Kind::Sum | Kind::Count(_) | Kind::Size => vec![ca().sum().alias(a.as_str())],
            Kind::Min => vec![ca().min().alias(a.as_str())],
            Kind::Max => vec![ca().max().alias(a.as_str())],
            Kind::First => vec![ca().first().alias(a.as_str())],
            Kind::Last => vec![ca().last().alias(a.as_str())],
            Kind::Mean => {
                vec![ca().sum().alias(a.as_str()), col(b.as_str()).sum().alias(b.as_str())]
            }
            Kind::Std(_) | Kind::Var(_) => {
                // Chan et al.: n = Σnᵢ, mean = Σnᵢmᵢ / n, M2 = ΣM2ᵢ + Σnᵢ(mᵢ - mean)².
                let n = || ca().cast(DataType::Float64);
                let m = || col(b.as_str());
                let total = || n().sum();
                let gmean = || {
                    when(total().gt(lit(0.0))).then((n() * m()).sum() / total()).otherwise(lit(0.0))
                };
                let dev = || m() - gmean();
                vec![
                    ca().sum().alias(a.as_str()),
                    gmean().alias(b.as_str()),
                    (col(c3.as_str()).sum() + (n() * dev() * dev()).sum()).alias(c3.as_str()),
                ]
            }
            Kind::NUnique => vec![
                ca().explode(ExplodeOptions { empty_as_null: false, keep_nulls: true })
                    .unique()
                    .alias(a.as_str()),
            ],
        }
    }

    /// The final value from a combined partial, named `out`.
    pub(crate) fn finish(&self) -> Expr {
        let [a, b, c3] = self.names();
        let null = || lit(Null {});
        let e = match self.kind {
            Kind::Mean => when(col(b.as_str()).gt(lit(0)))
                .then(col(a.as_str()) / col(b.as_str()).cast(DataType::Float64))
                .otherwise(null()),
            Kind::Var(d) | Kind::Std(d) => {
                let n = col(a.as_str()).cast(DataType::Float64);
                let v = when(n.clone().gt(lit(f64::from(d))))
                    .then(col(c3.as_str()) / (n - lit(f64::from(d))))
                    .otherwise(null());
                if matches!(self.kind, Kind::Std(_)) { v.sqrt() } else { v }
            }
            Kind::NUnique => col(a.as_str()).list().len(),
            _ => col(a.as_str()),
        };
        e.alias(self.out.as_str())
    }
}
