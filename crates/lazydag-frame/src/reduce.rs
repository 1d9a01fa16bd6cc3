//! Tree reductions: per-partition partials combined `split_every` at a time, like Dask's
//! `split_every`, then finalized once; and the frame-wide reductions built on them.
//!
//! Invariant: `combine` is associative and keeps partition order (first/last depend on it),
//! so any tree shape gives the result of one combine over all partials. Variance uses the
//! pairwise update of Chan, Golub and LeVeque (count, mean, M2), which stays accurate where
//! the textbook sum of squares cancels.

use std::sync::Arc;

use lazydag_core::Delayed;
use polars::prelude::{
    ChunkAgg, Column, DataFrame as PlFrame, DataType, Expr, IntoLazy, Schema, Series, col,
};

use crate::error::{Error, Result};
use crate::frame::DataFrame;

/// The default fan-in of a combine task: Dask's default `split_every` (8).
pub(crate) const DEFAULT_SPLIT_EVERY: usize = 8;

/// Reduces `leaves` in a tree: groups of `split_every` (at least 2) are combined until one
/// value is left. A single leaf is returned as is.
pub(crate) fn tree<P, F>(
    leaves: Vec<Delayed<P>>,
    split_every: usize,
    name: &str,
    combine: F,
) -> Delayed<P>
where
    P: Clone + Send + 'static,
    F: Fn(Vec<P>) -> Result<P> + Send + Sync + 'static,
{
    let combine = Arc::new(combine);
    let split_every = split_every.max(2);
    let mut level = leaves;
    while level.len() > 1 {
        level = level
            .chunks(split_every)
            .map(|group| {
                if group.len() == 1 {
                    return group[0].clone();
                }
                let combine = combine.clone();
                let gathered: Delayed<Vec<P>> = group.iter().collect();
                gathered.try_map(move |ps: Vec<P>| combine(ps)).name(name).shared()
            })
            .collect();
    }
    level.pop().expect("tree: callers pass at least one leaf")
}

/// Count, mean and sum of squared deviations of one column's non-null values.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Moments {
    pub(crate) n: f64,
    pub(crate) mean: f64,
    pub(crate) m2: f64,
}

impl Moments {
    #[cfg(test)]
    fn of(values: impl Iterator<Item = f64>) -> Moments {
        // Welford, the reference for the tests.
        let mut m = Moments::default();
        for x in values {
            m.n += 1.0;
            let d = x - m.mean;
            m.mean += d / m.n;
            m.m2 += d * (x - m.mean);
        }
        m
    }

    pub(crate) fn merge(self, o: Moments) -> Moments {
        if self.n == 0.0 {
            return o;
        }
        if o.n == 0.0 {
            return self;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        Moments { n, mean: self.mean + d * o.n / n, m2: self.m2 + o.m2 + d * d * self.n * o.n / n }
    }

    pub(crate) fn var(self, ddof: u8) -> Option<f64> {
        let dof = self.n - f64::from(ddof);
        (dof > 0.0).then(|| self.m2 / dof)
    }
}

fn is_numeric(dt: &DataType) -> bool {
    dt.is_primitive_numeric() || matches!(dt, DataType::Boolean)
}

/// A frame-wide reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reduction {
    Sum,
    Min,
    Max,
    Count,
    Mean,
    Var(u8),
    Std(u8),
    NUnique,
}

impl Reduction {
    fn name(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Min => "min",
            Reduction::Max => "max",
            Reduction::Count => "count",
            Reduction::Mean => "mean",
            Reduction::Var(_) => "var",
            Reduction::Std(_) => "std",
            Reduction::NUnique => "nunique",
        }
    }

    fn numeric_only(self) -> bool {
        matches!(self, Reduction::Sum | Reduction::Mean | Reduction::Var(_) | Reduction::Std(_))
    }
}

/// One column's moments in two passes (sum, then squared deviations from the mean), which is
/// both vectorizable and more accurate than a one-pass update; `m2` only when asked.
fn column_moments(c: &Column, with_m2: bool) -> Result<Moments> {
    let s = c.as_materialized_series().cast(&DataType::Float64)?;
    let ca = s.f64()?;
    let n = (ca.len() - ca.null_count()) as f64;
    if n == 0.0 {
        return Ok(Moments::default());
    }
    let mean = ca.sum().unwrap_or(0.0) / n;
    let m2 = if !with_m2 {
        0.0
    } else if ca.null_count() == 0 {
        ca.downcast_iter().flat_map(|a| a.values().iter()).map(|x| (x - mean) * (x - mean)).sum()
    } else {
        ca.iter().flatten().map(|x| (x - mean) * (x - mean)).sum()
    };
    Ok(Moments { n, mean, m2 })
}

impl DataFrame {
    /// Reduces every column (every numeric column for sum, mean, var and std, like pandas'
    /// `numeric_only=True`) to one row, `split_every` partials per combine task.
    pub(crate) fn reduce(&self, what: Reduction, split_every: usize) -> DataFrame {
        let schema = match self.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let names: Vec<String> = schema
            .iter()
            .filter(|(_, dt)| !what.numeric_only() || is_numeric(dt))
            .map(|(n, _)| n.to_string())
            .collect();
        let name: &'static str = what.name();
        let out = match what {
            Reduction::Sum | Reduction::Min | Reduction::Max | Reduction::Count => {
                let part = partial_exprs(&names, &schema, what);
                let comb = agg_exprs(&names, what, true);
                let leaves = self.parts.iter().map(|p| {
                    let part = part.clone();
                    p.try_map(move |df: PlFrame| {
                        Ok::<_, Error>(df.lazy().select(part.clone()).collect()?)
                    })
                    .name(name)
                    .shared()
                });
                tree(leaves.collect(), split_every, name, move |dfs: Vec<PlFrame>| {
                    let all = polars::functions::concat_df_diagonal(&dfs)?;
                    Ok(all.lazy().select(comb.clone()).collect()?)
                })
            }
            Reduction::Mean | Reduction::Var(_) | Reduction::Std(_) => {
                let cols = names.clone();
                let leaves = self.parts.iter().map(|p| {
                    let cols = cols.clone();
                    let with_m2 = what != Reduction::Mean;
                    p.try_map(move |df: PlFrame| {
                        cols.iter()
                            .map(|c| column_moments(df.column(c)?, with_m2))
                            .collect::<Result<Vec<Moments>>>()
                    })
                    .name(name)
                    .shared()
                });
                let moments = tree(leaves.collect(), split_every, name, |ms: Vec<Vec<Moments>>| {
                    let mut it = ms.into_iter();
                    let first = it.next().unwrap_or_default();
                    Ok(it.fold(first, |acc, m| {
                        acc.into_iter().zip(m).map(|(a, b)| a.merge(b)).collect()
                    }))
                });
                let cols = names.clone();
                moments
                    .try_map(move |ms: Vec<Moments>| {
                        let columns = cols
                            .iter()
                            .zip(ms)
                            .map(|(c, m)| {
                                let v = match what {
                                    Reduction::Mean => (m.n > 0.0).then_some(m.mean),
                                    Reduction::Var(d) => m.var(d),
                                    _ => m
                                        .var(match what {
                                            Reduction::Std(d) => d,
                                            _ => 1,
                                        })
                                        .map(f64::sqrt),
                                };
                                Column::new(c.as_str().into(), [v])
                            })
                            .collect();
                        Ok::<_, Error>(PlFrame::new(1, columns)?)
                    })
                    .name(name)
                    .shared()
            }
            Reduction::NUnique => {
                let cols = names.clone();
                let leaves = self.parts.iter().map(|p| {
                    let cols = cols.clone();
                    p.try_map(move |df: PlFrame| {
                        cols.iter()
                            .map(|c| Ok(df.column(c)?.as_materialized_series().unique()?))
                            .collect::<Result<Vec<Series>>>()
                    })
                    .name(name)
                    .shared()
                });
                let uniques = tree(leaves.collect(), split_every, name, |ss: Vec<Vec<Series>>| {
                    let mut it = ss.into_iter();
                    let mut acc = it.next().unwrap_or_default();
                    for s in it {
                        for (a, b) in acc.iter_mut().zip(s) {
                            a.append(&b)?;
                            *a = a.unique()?;
                        }
                    }
                    Ok(acc)
                });
                let cols = names.clone();
                uniques
                    .try_map(move |ss: Vec<Series>| {
                        let columns = cols
                            .iter()
                            .zip(ss)
                            .map(|(c, s)| Column::new(c.as_str().into(), [s.len() as u64]))
                            .collect();
                        Ok::<_, Error>(PlFrame::new(1, columns)?)
                    })
                    .name(name)
                    .shared()
            }
        };
        // The output schema: the reduction applied to an empty frame of the input schema.
        let meta = match what {
            Reduction::Mean | Reduction::Var(_) | Reduction::Std(_) => names
                .iter()
                .map(|n| polars::prelude::Field::new(n.as_str().into(), DataType::Float64))
                .collect(),
            Reduction::NUnique => names
                .iter()
                .map(|n| polars::prelude::Field::new(n.as_str().into(), DataType::UInt64))
                .collect(),
            _ => {
                let empty = PlFrame::empty_with_arc_schema(schema.clone());
                match empty.lazy().select(partial_exprs(&names, &schema, what)).collect() {
                    Ok(df) => df.schema().as_ref().clone(),
                    Err(e) => return DataFrame::failed(e.into()),
                }
            }
        };
        DataFrame::known(vec![out], Arc::new(meta))
    }

    /// The sum of every numeric column, one row (pandas' `df.sum(numeric_only=True)`).
    pub fn sum(&self) -> DataFrame {
        self.reduce(Reduction::Sum, DEFAULT_SPLIT_EVERY)
    }
    /// The mean of every numeric column, one row of `f64`; nulls are skipped.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("a" => [1.0, 2.0, 3.0, 6.0]).unwrap(), 3).unwrap();
    /// let m = df.mean().compute().unwrap();
    /// assert_eq!(m.column("a").unwrap().f64().unwrap().get(0), Some(3.0));
    /// ```
    pub fn mean(&self) -> DataFrame {
        self.reduce(Reduction::Mean, DEFAULT_SPLIT_EVERY)
    }
    /// The minimum of every column, one row.
    pub fn min(&self) -> DataFrame {
        self.reduce(Reduction::Min, DEFAULT_SPLIT_EVERY)
    }
    /// The maximum of every column, one row.
    pub fn max(&self) -> DataFrame {
        self.reduce(Reduction::Max, DEFAULT_SPLIT_EVERY)
    }
    /// The number of non-null values of every column, one row.
    pub fn count(&self) -> DataFrame {
        self.reduce(Reduction::Count, DEFAULT_SPLIT_EVERY)
    }
    /// The variance of every numeric column with `ddof` delta degrees of freedom (pandas'
    /// default is 1), combined with the stable pairwise update.
    pub fn var(&self, ddof: u8) -> DataFrame {
        self.reduce(Reduction::Var(ddof), DEFAULT_SPLIT_EVERY)
    }
    /// The standard deviation of every numeric column, as [`var`](DataFrame::var).
    pub fn std(&self, ddof: u8) -> DataFrame {
        self.reduce(Reduction::Std(ddof), DEFAULT_SPLIT_EVERY)
    }
    /// The exact number of distinct values of every column (null counts as a value, as in
    /// Polars' `n_unique`), one row of `u64`.
    pub fn nunique(&self) -> DataFrame {
        self.reduce(Reduction::NUnique, DEFAULT_SPLIT_EVERY)
    }

    /// A reduction with an explicit tree fan-in, Dask's `split_every`: `"sum"`, `"mean"`,
    /// `"min"`, `"max"`, `"count"`, `"var"`, `"std"` (ddof 1) or `"nunique"`.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("a" => (0..100i64).collect::<Vec<_>>()).unwrap(), 10).unwrap();
    /// let s = df.reduction("sum", 2).compute().unwrap();
    /// assert_eq!(s.column("a").unwrap().i64().unwrap().get(0), Some(4950));
    /// ```
    pub fn reduction(&self, what: &str, split_every: usize) -> DataFrame {
        let r = match what {
            "sum" => Reduction::Sum,
            "mean" => Reduction::Mean,
            "min" => Reduction::Min,
            "max" => Reduction::Max,
            "count" => Reduction::Count,
            "var" => Reduction::Var(1),
            "std" => Reduction::Std(1),
            "nunique" => Reduction::NUnique,
            other => {
                return DataFrame::failed(Error::InvalidArgument(format!(
                    "unknown reduction `{other}`; use one of sum, mean, min, max, count, var, \
                     std, nunique"
                )));
            }
        };
        self.reduce(r, split_every)
    }
}

/// The type a sum of a `dt` column is computed in when it is not `dt` itself: 64-bit
/// integers for narrower ones (`Int64` for signed, `UInt64` for unsigned), as pandas sums
/// them; Polars keeps `Int32` and `UInt32` (and wraps). `None` for every other type.
pub(crate) fn sum_dtype(dt: &DataType) -> Option<DataType> {
    match dt {
        DataType::Int8 | DataType::Int16 | DataType::Int32 => Some(DataType::Int64),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => Some(DataType::UInt64),
        _ => None,
    }
}

/// The per-partition expressions of a sum, min, max or count of `names`: narrow integers
/// sum in 64 bits ([`sum_dtype`]), as pandas' (Polars keeps `Int32` and wraps).
fn partial_exprs(names: &[String], schema: &Schema, what: Reduction) -> Vec<Expr> {
    let mut part = agg_exprs(names, what, false);
    if what == Reduction::Sum {
        for (e, n) in part.iter_mut().zip(names) {
            if let Some(wide) = schema.get(n).and_then(sum_dtype) {
                *e = col(n.as_str()).cast(wide).sum();
            }
        }
    }
    part
}

fn agg_exprs(names: &[String], what: Reduction, combine: bool) -> Vec<Expr> {
    names
        .iter()
        .map(|n| {
            let c = col(n.as_str());
            match (what, combine) {
                (Reduction::Sum, _) | (Reduction::Count, true) => c.sum(),
                (Reduction::Min, _) => c.min(),
                (Reduction::Max, _) => c.max(),
                (Reduction::Count, false) => c.count(),
                _ => unreachable!("only sum, min, max and count reduce by expressions"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_merge_matches_one_pass() {
        let xs: Vec<f64> = (0..1000).map(|i| 1e9 + f64::from(i % 17)).collect();
        let whole = Moments::of(xs.iter().copied());
        let merged = xs
            .chunks(37)
            .map(|c| Moments::of(c.iter().copied()))
            .fold(Moments::default(), Moments::merge);
        assert!((whole.var(1).unwrap() - merged.var(1).unwrap()).abs() < 1e-6);
        assert_eq!(merged.n, 1000.0);
    }
}
