//! Approximate quantiles ([`DataFrame::quantile`], the percentiles of `describe`), as Dask
//! computes them: each partition summarises a column by its exact quantiles at
//! [`SUMMARY_POINTS`] evenly spaced probabilities; summaries are merged `split_every` at a
//! time in a tree; the root is read at the requested probabilities.
//!
//! A summary is a piecewise-linear cumulative distribution (value `v_j` has rank fraction
//! `j / (Q - 1)`) with a count. Merging first unites the summaries that are a partition's
//! values themselves (at most `Q` of them), then evaluates the count-weighted mixture of the
//! inputs' distributions at every input point and re-summarises it at the same `Q`
//! probabilities.
//!
//! Accuracy: on one partition the result is exact (linear interpolation between the closest
//! ranks, numpy's and pandas' default, Polars' `QuantileMethod::Linear`): that partition's
//! summary is its sorted values, as is any partition's with at most [`SUMMARY_POINTS`] values.
//! Infinities are values like any other (an interpolation towards one is that infinity). Otherwise each
//! summary and each merge level misplaces a rank by at most `1 / (Q - 1)` of the rows, so the
//! rank of a returned value is within `(levels + 1) / (Q - 1)` of the requested fraction
//! (tests check this bound against Polars' eager ranks). Nulls and NaNs are skipped, as
//! pandas does.

use std::sync::Arc;

use lazydag_core::Delayed;
use polars::prelude::{Column, DataFrame as PlFrame, DataType, Field, Schema};

use crate::error::{Error, Result};
use crate::frame::DataFrame;
use crate::reduce::{DEFAULT_SPLIT_EVERY, tree};

/// How many quantiles summarise a partition's column (`Q`): a rank error of at most 0.1% of
/// the rows per merge level.
pub(crate) const SUMMARY_POINTS: usize = 1001;

/// One column's distribution: its non-null count and its quantiles at `j / (Q - 1)`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Summary {
    /// Non-null, non-NaN values summarised.
    pub(crate) n: u64,
    /// Quantiles at evenly spaced probabilities from 0 to 1 (empty when `n == 0`).
    points: Vec<f64>,
    /// The points are the summarised values themselves, sorted (a partition of at most
    /// [`SUMMARY_POINTS`] values, or the only one): merged with other such summaries by
    /// their union, not by reading each as a distribution.
    exact: bool,
}

/// The linear-interpolation quantile of sorted values at probability `p`.
fn sorted_quantile(sorted: &[f64], p: f64) -> f64 {
    let h = p * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    lerp(sorted[lo], sorted[hi], h - lo as f64)
}

/// The point a fraction `t` of the way from `a` to `b` (`a <= b`), with infinities kept:
/// at `t == 0` it is `a`, and between an infinite end and any other value it is the infinite
/// end (`a + t * (b - a)` would be NaN: `-inf + inf`).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if t == 0.0 || a == b || a.is_infinite() {
        a
    } else if b.is_infinite() || t == 1.0 {
        b
    } else {
        a + t * (b - a)
    }
}

fn probabilities() -> impl Iterator<Item = f64> {
    (0..SUMMARY_POINTS).map(|j| j as f64 / (SUMMARY_POINTS - 1) as f64)
}

impl Summary {
    /// The summary of a column (cast to `f64`): its exact quantiles at the [`SUMMARY_POINTS`]
    /// probabilities, or, when `whole` (the frame's only partition) or when there are no more
    /// values than points, the sorted values themselves (value `j` of `n` at rank fraction
    /// `j / (n - 1)`: the same piecewise-linear distribution, read exactly).
    pub(crate) fn of(c: &Column, whole: bool) -> Result<Summary> {
        let s = c.as_materialized_series().cast(&DataType::Float64)?;
        let mut values: Vec<f64> = s.f64()?.iter().flatten().filter(|x| !x.is_nan()).collect();
        if values.is_empty() {
            return Ok(Summary::default());
        }
        values.sort_unstable_by(f64::total_cmp);
        Ok(Summary::of_sorted(values, whole))
    }

    /// The summary of `values` (sorted, not empty): themselves when `whole` or when there are
    /// no more than [`SUMMARY_POINTS`], else their exact quantiles at the probabilities.
    fn of_sorted(values: Vec<f64>, whole: bool) -> Summary {
        let n = values.len() as u64;
        if whole || values.len() <= SUMMARY_POINTS {
            return Summary { n, points: values, exact: true };
        }
        let points = probabilities().map(|p| sorted_quantile(&values, p)).collect();
        Summary { n, points, exact: false }
    }

    /// The fraction of the summarised values at or below `v` (piecewise linear).
    fn cdf(&self, v: f64) -> f64 {
        let pts = &self.points;
        if v < pts[0] {
            return 0.0;
        }
        if v >= pts[pts.len() - 1] {
            return 1.0;
        }
        // The last point <= v, and the one after it (> v).
        let i = pts.partition_point(|&x| x <= v) - 1;
        let step = 1.0 / (pts.len() - 1) as f64;
        let (a, b) = (pts[i], pts[i + 1]);
        // A step where an end is infinite (no fraction of an infinite span is defined).
        let within = if b > a && a.is_finite() && b.is_finite() { (v - a) / (b - a) } else { 0.0 };
        (i as f64 + within) * step
    }

    /// The count-weighted mixture of `parts`, re-summarised at the same probabilities.
    ///
    /// Exact summaries (small partitions' values) are merged first, by their union: read each
    /// as a piecewise-linear distribution, a partition of two values `[0, 1000]` would count
    /// as uniform between them, which is no bound on rank for many small partitions (50 of
    /// them, and a q10 of 200 where the rows' is 0). Their union is itself exact while it has
    /// at most [`SUMMARY_POINTS`] values, else its exact quantiles.
    pub(crate) fn merge(parts: Vec<Summary>) -> Summary {
        let (exact, mut parts): (Vec<Summary>, Vec<Summary>) =
            parts.into_iter().filter(|s| s.n > 0).partition(|s| s.exact);
        if exact.len() == 1 {
            parts.extend(exact);
        } else if !exact.is_empty() {
            let mut values: Vec<f64> = exact.into_iter().flat_map(|s| s.points).collect();
            values.sort_unstable_by(f64::total_cmp);
            parts.push(Summary::of_sorted(values, false));
        }
        if parts.len() <= 1 {
            return parts.into_iter().next().unwrap_or_default();
        }
        let n: u64 = parts.iter().map(|s| s.n).sum();
        let mut xs: Vec<f64> = parts.iter().flat_map(|s| s.points.iter().copied()).collect();
        xs.sort_unstable_by(f64::total_cmp);
        xs.dedup();
        // The mixture's distribution at every input point: non-decreasing in x.
        let fs: Vec<f64> = xs
            .iter()
            .map(|&x| parts.iter().map(|s| s.n as f64 * s.cdf(x)).sum::<f64>() / n as f64)
            .collect();
        let points = probabilities()
            .map(|p| {
                // The first point whose fraction reaches p, interpolated from the one before.
                let i = fs.partition_point(|&f| f < p).min(xs.len() - 1);
                if i == 0 || fs[i] <= fs[i - 1] {
                    return xs[i];
                }
                let t = (p - fs[i - 1]) / (fs[i] - fs[i - 1]);
                lerp(xs[i - 1], xs[i], t)
            })
            .collect();
        Summary { n, points, exact: false }
    }

    /// The quantile at probability `q` (in `[0, 1]`): exact for a summary of one partition at
    /// a summarised probability, otherwise interpolated between the two nearest; `None` for
    /// no values.
    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        (self.n > 0).then(|| sorted_quantile(&self.points, q))
    }
}

/// Checks that every probability is in `[0, 1]`.
pub(crate) fn check_probabilities(qs: &[f64]) -> Result<()> {
    match qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        Some(q) => Err(Error::InvalidArgument(format!("quantile {q} is outside [0, 1]"))),
        None if qs.is_empty() => {
            Err(Error::InvalidArgument("quantile: give at least one probability".into()))
        }
        None => Ok(()),
    }
}

impl DataFrame {
    /// One merged summary per column of `columns` (numeric), reduced in a tree.
    pub(crate) fn summaries(
        &self,
        columns: &[String],
        split_every: usize,
    ) -> Delayed<Vec<Summary>> {
        let whole = self.parts.len() == 1;
        let leaves = self.parts.iter().map(|p| {
            let cols = columns.to_vec();
            p.try_map(move |df: PlFrame| {
                let of = |c: &String| Summary::of(df.column(c)?, whole);
                cols.iter().map(of).collect::<Result<Vec<Summary>>>()
            })
            .name("quantile")
            .shared()
        });
        let width = columns.len();
        tree(leaves.collect(), split_every, "quantile", move |ss: Vec<Vec<Summary>>| {
            let mut per_column: Vec<Vec<Summary>> = vec![Vec::new(); width];
            for s in ss {
                for (acc, c) in per_column.iter_mut().zip(s) {
                    acc.push(c);
                }
            }
            Ok(per_column.into_iter().map(Summary::merge).collect())
        })
    }

    /// The quantiles `qs` (each in `[0, 1]`) of every numeric column, like Dask's
    /// `df.quantile(q)`: one row per `q`, a `quantile` column then one `f64` column per
    /// numeric column; nulls and NaNs skipped. **Approximate** when the frame has more than
    /// one partition (Dask's method; see the module notes for the bound: within 0.1% of the
    /// rows per tree level), exact on one partition (linear interpolation, as pandas).
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let pl = df!("a" => (0..1001).map(f64::from).collect::<Vec<_>>()).unwrap();
    /// let q = dd::from_polars(pl, 4).unwrap().quantile(&[0.5]).compute().unwrap();
    /// let median = q.column("a").unwrap().f64().unwrap().get(0).unwrap();
    /// assert!((median - 500.0).abs() <= 2.0);   // exact is 500; within 0.2% of 1001 rows
    /// ```
    pub fn quantile(&self, qs: &[f64]) -> DataFrame {
        if let Err(e) = check_probabilities(qs) {
            return DataFrame::failed(e);
        }
        let schema = match self.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let nums: Vec<String> = schema
            .iter()
            .filter(|(_, d)| d.is_primitive_numeric())
            .map(|(n, _)| n.to_string())
            .collect();
        if nums.iter().any(|n| n == "quantile") {
            return DataFrame::failed(Error::InvalidArgument(
                "quantile: a column is named `quantile`, like the probabilities' column: rename \
                 it first"
                    .into(),
            ));
        }
        let qs = qs.to_vec();
        let cols = nums.clone();
        let out = self
            .summaries(&nums, DEFAULT_SPLIT_EVERY)
            .try_map(move |ss: Vec<Summary>| -> Result<PlFrame> {
                let mut columns = vec![Column::new("quantile".into(), qs.clone())];
                for (c, s) in cols.iter().zip(&ss) {
                    let v: Vec<Option<f64>> = qs.iter().map(|&q| s.quantile(q)).collect();
                    columns.push(Column::new(c.as_str().into(), v));
                }
                Ok(PlFrame::new(qs.len(), columns)?)
            })
            .name("quantile")
            .shared();
        let meta: Schema = std::iter::once(Field::new("quantile".into(), DataType::Float64))
            .chain(nums.iter().map(|n| Field::new(n.as_str().into(), DataType::Float64)))
            .collect();
        DataFrame::known(vec![out], Arc::new(meta))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(xs: &[f64]) -> Summary {
        Summary::of(&Column::new("x".into(), xs), false).unwrap()
    }

    #[test]
    fn one_summary_reads_exact_linear_quantiles() {
        let s = summary(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!(s.quantile(0.5), Some(2.5));
        assert_eq!(s.quantile(0.25), Some(1.75));
        assert_eq!(s.quantile(1.0), Some(4.0));
    }

    #[test]
    fn merged_summaries_place_ranks_within_the_bound() {
        // 10 partitions of a permuted 0..10_000, merged in one level.
        let all: Vec<f64> = (0..10_000).map(|i| f64::from((i * 7919) % 10_000)).collect();
        let parts: Vec<Summary> = all.chunks(1000).map(summary).collect();
        let m = Summary::merge(parts);
        assert_eq!(m.n, 10_000);
        for q in [0.01, 0.25, 0.5, 0.75, 0.99] {
            let got = m.quantile(q).unwrap();
            let rank = got / 9999.0; // the values are exactly 0..9999
            assert!((rank - q).abs() <= 2.0 / (SUMMARY_POINTS - 1) as f64, "{q}: {got}");
        }
    }

    #[test]
    fn empty_and_constant_columns() {
        assert_eq!(summary(&[]).quantile(0.5), None);
        let m = Summary::merge(vec![summary(&[5.0; 3]), summary(&[]), summary(&[5.0; 7])]);
        assert_eq!((m.n, m.quantile(0.3)), (10, Some(5.0)));
    }
}
