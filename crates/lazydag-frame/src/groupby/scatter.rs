//! The scatter kernel of a group-by stage: per block, each row's group id is computed once
//! (from Polars' own grouping of the key columns), then each aggregated column is read in one
//! sequential pass that adds every row into its group's accumulator, as pandas' cython
//! group-by does. Polars' in-memory group-by instead gathers every group's rows by index, one
//! random gather per aggregation and column; with ~100,000 groups of a 64 MB block that gather
//! was 43% of an `agg(mean, min, max, count)` (see docs/frame.md).
//!
//! Invariants:
//! - **One home for the choice** ([`Scatter::parse`] when the stage is built, then
//!   [`Scatter::handles`] on the block's schema): an expression is scattered only if it is `sum`, `sum` of a cast to `Float64`, `min`, `max`
//!   (NaN-ignoring), `count`, `len` of a column, or `len()`, and the column's dtype is one
//!   the kernel handles ([`Reduce::handles`]); every other expression (`first`, `last`,
//!   `n_unique`, the moments, strings...) is run by Polars on the same groups, so a stage may
//!   mix both.
//! - **Polars' semantics, exactly:** nulls are skipped; a float `sum` is Kahan-compensated
//!   as Polars' is, and 0 for a group without values; `min`/`max` ignore NaN unless a group
//!   has only NaN, and are null for a group without values; `count` counts non-null values
//!   (NaN included) and `len` all rows, both as Polars' index type. The output dtypes are
//!   Polars' (the sum of a type is that type for the handled ones), and the output has
//!   Polars' layout: the keys, one row per group, then the expressions in their order.
//! - A column's `min` and `max` are computed together in one pass (kept for the other), as
//!   selects rather than branches: a group's rows come in random order, so a branch on each
//!   update would be mispredicted often.

use polars::prelude::{
    AggExpr, ChunkedArray, Column, DataFrame as PlFrame, DataType, DataTypeExpr, Expr, Float32Type,
    Float64Type, GroupsIndicator, GroupsType, IdxCa, IdxSize, Int32Type, Int64Type, IntoColumn,
    IntoLazy, IntoSeries, NewChunkedArray, PlSmallStr, PolarsNumericType, Schema, Series,
    SortMultipleOptions, UInt32Type, UInt64Type, col,
};

use crate::error::Result;

/// The name of the group-id column handed to Polars for the expressions the kernel leaves.
const GID: &str = "__ld_gid";

/// What a scattered expression reduces a column to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reduce {
    /// `col(c).sum()`.
    Sum,
    /// `col(c).cast(Float64).sum()`.
    FloatSum,
    /// `col(c).min()`.
    Min,
    /// `col(c).max()`.
    Max,
    /// `col(c).count()`: non-null values.
    Count,
    /// `col(c).len()` or `len()`: rows.
    Len,
}

impl Reduce {
    /// Whether the kernel handles this reduction of a column of `dtype`.
    fn handles(self, dtype: &DataType) -> bool {
        use DataType as D;
        match self {
            Reduce::Count | Reduce::Len => true,
            Reduce::FloatSum => dtype.is_primitive_numeric(),
            Reduce::Sum => matches!(dtype, D::Float64 | D::Int64 | D::UInt64 | D::UInt32),
            Reduce::Min | Reduce::Max => matches!(
                dtype,
                D::Float64 | D::Float32 | D::Int64 | D::Int32 | D::UInt64 | D::UInt32
            ),
        }
    }
}

/// A scattered expression: the reduction of `input` (none for `len()`), named `out`.
#[derive(Clone, Debug)]
struct Scatter {
    input: Option<PlSmallStr>,
    reduce: Reduce,
    out: PlSmallStr,
}

impl Scatter {
    /// Reads `reduce(col(c)).alias(out)` from an expression; `None` for anything else.
    fn parse(e: &Expr) -> Option<Scatter> {
        let Expr::Alias(inner, out) = e else { return None };
        let column = |e: &Expr| match e {
            Expr::Column(c) => Some(c.clone()),
            _ => None,
        };
        let (input, reduce) = match inner.as_ref() {
            Expr::Len => (None, Reduce::Len),
            Expr::Agg(AggExpr::Sum(i)) => match i.as_ref() {
                Expr::Cast { expr, dtype: DataTypeExpr::Literal(DataType::Float64), .. } => {
                    (Some(column(expr)?), Reduce::FloatSum)
                }
                other => (Some(column(other)?), Reduce::Sum),
            },
            Expr::Agg(AggExpr::Min { input, propagate_nans: false }) => {
                (Some(column(input)?), Reduce::Min)
            }
            Expr::Agg(AggExpr::Max { input, propagate_nans: false }) => {
                (Some(column(input)?), Reduce::Max)
            }
            Expr::Agg(AggExpr::Count { input, include_nulls }) => {
                (Some(column(input)?), if *include_nulls { Reduce::Len } else { Reduce::Count })
            }
            _ => return None,
        };
        Some(Scatter { input, reduce, out: out.clone() })
    }

    /// Whether the kernel handles it on a frame of `schema`.
    fn handles(&self, schema: &Schema) -> bool {
        match &self.input {
            None => true,
            Some(c) => schema.get(c).is_some_and(|dt| self.reduce.handles(dt)),
        }
    }

    /// Which of the fused pass's results it is, when its column is `Float64` (see [`fused`]).
    fn fused(&self, schema: &Schema) -> Option<(&PlSmallStr, Wants)> {
        let c = self.input.as_ref()?;
        if schema.get(c)? != &DataType::Float64 {
            return None;
        }
        let none = Wants::default();
        let wants = match self.reduce {
            Reduce::Sum | Reduce::FloatSum => Wants { sum: true, ..none },
            Reduce::Min => Wants { min: true, ..none },
            Reduce::Max => Wants { max: true, ..none },
            Reduce::Count | Reduce::Len => return None,
        };
        Some((c, wants))
    }

    /// Its column over `groups`: taken from the stage's fused passes (`done`) when it is one of
    /// their results; otherwise computed here, a column's min and max together, once, and kept
    /// in `extremes` for the other.
    fn run(
        &self,
        df: &PlFrame,
        groups: &Groups,
        done: &Done,
        extremes: &mut Extremes,
    ) -> Result<Column> {
        let fused = self.fused(df.schema()).and_then(|(c, wants)| {
            let (_, r) = done.iter().find(|(d, _)| d == c)?;
            [(wants.sum, &r.sum), (wants.min, &r.min), (wants.max, &r.max)]
                .into_iter()
                .find_map(|(w, s)| if w { s.clone() } else { None })
        });
        let out = match (fused, &self.input, self.reduce) {
            (Some(out), _, _) => out,
            (None, None, _) | (None, Some(_), Reduce::Len) => idx(groups.sizes.clone()),
            (None, Some(name), Reduce::Min | Reduce::Max) => {
                let pair = match extremes.iter().find(|(c, _)| c == name) {
                    Some((_, pair)) => pair.clone(),
                    None => {
                        let pair =
                            self::extremes(df.column(name)?.as_materialized_series(), groups)?;
                        extremes.push((name.clone(), pair.clone()));
                        pair
                    }
                };
                if self.reduce == Reduce::Min { pair.0 } else { pair.1 }
            }
            (None, Some(name), r) => reduce(r, df.column(name)?.as_materialized_series(), groups)?,
        };
        debug_assert_eq!(out.len(), groups.sizes.len());
        Ok(out.with_name(self.out.clone()).into_column())
    }
}

/// The min and max series already computed in a stage, by column (columns not `Float64`).
type Extremes = Vec<(PlSmallStr, (Series, Series))>;

/// The results of a stage's fused passes, by `Float64` column.
type Done = Vec<(PlSmallStr, Reductions)>;

/// What a fused pass over one `Float64` column computes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Wants {
    sum: bool,
    min: bool,
    max: bool,
}

impl Wants {
    fn add(&mut self, other: Wants) {
        self.sum |= other.sum;
        self.min |= other.min;
        self.max |= other.max;
    }
}

/// A fused pass's results: one series per group for each of [`Wants`] asked.
#[derive(Debug, Default)]
struct Reductions {
    sum: Option<Series>,
    min: Option<Series>,
    max: Option<Series>,
}

/// A block's groups, in the order of Polars' grouping: each row's group and each group's size.
struct Groups {
    gid: Vec<IdxSize>,
    sizes: Vec<IdxSize>,
}

impl Groups {
    fn new(groups: &GroupsType, rows: usize) -> Groups {
        let mut gid = vec![0 as IdxSize; rows];
        let mut sizes = Vec::with_capacity(groups.len());
        for (g, group) in groups.iter().enumerate() {
            let g = g as IdxSize;
            match group {
                GroupsIndicator::Idx((_, idx)) => {
                    for &i in idx.iter() {
                        gid[i as usize] = g;
                    }
                    sizes.push(idx.len() as IdxSize);
                }
                GroupsIndicator::Slice([first, len]) => {
                    gid[first as usize..(first + len) as usize].fill(g);
                    sizes.push(len);
                }
            }
        }
        Groups { gid, sizes }
    }
}

/// One group-by stage (a partition's partials, or a combine): its keys and expressions (each
/// aliased), and which of them the kernel may scatter.
#[derive(Clone, Debug)]
pub(super) struct Stage {
    keys: Vec<String>,
    exprs: Vec<Expr>,
    scatter: Vec<Option<Scatter>>,
}

impl Stage {
    /// The stage that aggregates `exprs` (each aliased) by `keys`.
    pub(super) fn new(keys: Vec<String>, exprs: Vec<Expr>) -> Stage {
        let scatter = exprs.iter().map(Scatter::parse).collect();
        Stage { keys, exprs, scatter }
    }

    /// Polars' own group-by of the whole stage: the fallback, and the kernel's reference.
    pub(super) fn polars(&self, df: PlFrame) -> Result<PlFrame> {
        let keys: Vec<Expr> = self.keys.iter().map(|k| col(k.as_str())).collect();
        Ok(df.lazy().group_by(keys).agg(self.exprs.clone()).collect()?)
    }

    /// Aggregates `df`: the kernel for the expressions it handles, Polars for the others,
    /// on the same groups.
    pub(super) fn run(&self, df: PlFrame) -> Result<PlFrame> {
        let schema = df.schema().clone();
        let chosen: Vec<Option<&Scatter>> =
            (self.scatter.iter()).map(|s| s.as_ref().filter(|s| s.handles(&schema))).collect();
        if df.height() == 0 || chosen.iter().all(Option::is_none) {
            return self.polars(df);
        }
        let (mut columns, groups) = match self.int_key(&df)? {
            Some((key, groups)) => (vec![key], groups),
            None => {
                let gb = df.group_by(self.keys.iter().map(String::as_str))?;
                (gb.keys(), Groups::new(gb.get_groups(), df.height()))
            }
        };
        let rest: Vec<Expr> = (self.exprs.iter().zip(&chosen))
            .filter(|(_, c)| c.is_none())
            .map(|(e, _)| e.clone())
            .collect();
        let mut rest = if rest.is_empty() {
            Vec::new().into_iter()
        } else {
            // The same groups for Polars: group by the group id, in group-id order.
            let mut with_ids = df.clone();
            with_ids.with_column(idx(groups.gid.clone()).with_name(GID.into()).into_column())?;
            let out = (with_ids.lazy().group_by([col(GID)]).agg(rest))
                .sort([GID], SortMultipleOptions::default())
                .collect()?;
            let mut cols = out.into_columns();
            cols.remove(0);
            cols.into_iter()
        };
        // One pass per `Float64` column for all of its sums, mins and maxes.
        let mut wants: Vec<(PlSmallStr, Wants)> = Vec::new();
        for (c, w) in chosen.iter().flatten().filter_map(|s| s.fused(&schema)) {
            match wants.iter_mut().find(|(d, _)| d == c) {
                Some((_, all)) => all.add(w),
                None => wants.push((c.clone(), w)),
            }
        }
        let done: Done = (wants.into_iter())
            .map(|(c, w)| {
                let r = fused(df.column(&c)?.f64()?, &groups, w);
                Ok((c, r))
            })
            .collect::<Result<_>>()?;
        let mut extremes = Extremes::new();
        for c in &chosen {
            columns.push(match c {
                Some(s) => s.run(&df, &groups, &done, &mut extremes)?,
                None => rest.next().expect("one Polars column per expression left to it"),
            });
        }
        Ok(PlFrame::new(groups.sizes.len(), columns)?)
    }
}

impl Stage {
    /// The groups of a single `Int64` key, with their keys, by [`Groups::of_ints`]; `None`
    /// for other keys (Polars groups them).
    fn int_key(&self, df: &PlFrame) -> Result<Option<(Column, Groups)>> {
        let [key] = self.keys.as_slice() else { return Ok(None) };
        let column = df.column(key)?;
        if column.dtype() != &DataType::Int64 {
            return Ok(None);
        }
        let (keys, groups) = Groups::of_ints(column.i64()?);
        Ok(Some((keys.with_name(key.as_str().into()).into_column(), groups)))
    }
}

impl Groups {
    /// The groups of an `Int64` column (nulls are one group, as in Polars), in order of first
    /// appearance, and each group's key: one pass with an open-addressing table of
    /// (key, group) pairs, Fibonacci-hashed and linearly probed, kept at most half full.
    /// Polars' generic grouping of one integer key builds a vector of row indices per group
    /// (about 10% of an `agg`'s CPU on the benchmark's 100,000 keys per block); this builds
    /// only the group id of each row.
    fn of_ints(ca: &ChunkedArray<Int64Type>) -> (Series, Groups) {
        const EMPTY: IdxSize = IdxSize::MAX;
        let rows = ca.len();
        let mut bits = (rows.min(4096) * 2).next_power_of_two().max(16).trailing_zeros();
        let mut table = vec![(0i64, EMPTY); 1 << bits];
        let mut keys: Vec<Option<i64>> = Vec::new();
        let mut gid = Vec::with_capacity(rows);
        let mut sizes = Vec::<IdxSize>::new();
        let mut null_group = None;
        let slot =
            |k: i64, bits: u32| (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits);
        let mut add = |key: Option<i64>,
                       table: &mut Vec<(i64, IdxSize)>,
                       bits: &mut u32,
                       keys: &mut Vec<Option<i64>>| {
            let g = match key {
                None => *null_group.get_or_insert_with(|| {
                    keys.push(None);
                    (keys.len() - 1) as IdxSize
                }),
                Some(k) => {
                    let mask = (1usize << *bits) - 1;
                    let mut at = slot(k, *bits) as usize;
                    loop {
                        let (key, g) = table[at];
                        if g == EMPTY {
                            keys.push(Some(k));
                            let g = (keys.len() - 1) as IdxSize;
                            table[at] = (k, g);
                            break g;
                        }
                        if key == k {
                            break g;
                        }
                        at = (at + 1) & mask;
                    }
                }
            };
            if g as usize == sizes.len() {
                sizes.push(0);
                if keys.len() * 2 > table.len() {
                    // Grow: re-insert every key into a table twice as large.
                    *bits += 1;
                    let mask = (1usize << *bits) - 1;
                    *table = vec![(0i64, EMPTY); 1 << *bits];
                    for (g, k) in keys.iter().enumerate() {
                        let Some(k) = *k else { continue };
                        let mut at = slot(k, *bits) as usize;
                        while table[at].1 != EMPTY {
                            at = (at + 1) & mask;
                        }
                        table[at] = (k, g as IdxSize);
                    }
                }
            }
            sizes[g as usize] += 1;
            gid.push(g);
        };
        if ca.null_count() == 0 {
            for arr in ca.downcast_iter() {
                for &k in arr.values().iter() {
                    add(Some(k), &mut table, &mut bits, &mut keys);
                }
            }
        } else {
            for k in ca.iter() {
                add(k, &mut table, &mut bits, &mut keys);
            }
        }
        let keys =
            ChunkedArray::<Int64Type>::from_iter_options(PlSmallStr::EMPTY, keys.into_iter());
        (keys.into_series(), Groups { gid, sizes })
    }
}

/// An index-typed series (Polars' type for counts).
fn idx(v: Vec<IdxSize>) -> Series {
    IdxCa::from_vec(PlSmallStr::EMPTY, v).into_series()
}

/// Non-null values per group (`valid`: one flag per row).
fn counts(gid: &[IdxSize], n: usize, valid: impl Iterator<Item = bool>) -> Vec<IdxSize> {
    let mut out = vec![0 as IdxSize; n];
    gid.iter().zip(valid).for_each(|(&g, ok)| out[g as usize] += IdxSize::from(ok));
    out
}

/// One reduction (a sum or a count) of the column `s` over `groups`.
fn reduce(r: Reduce, s: &Series, groups: &Groups) -> Result<Series> {
    use DataType as D;
    let (gid, n) = (&groups.gid[..], groups.sizes.len());
    Ok(match (r, s.dtype()) {
        (Reduce::Count, _) if s.null_count() == 0 => idx(groups.sizes.clone()),
        (Reduce::Count, _) => {
            let valid = s.is_not_null();
            idx(counts(gid, n, valid.iter().map(|b| b == Some(true))))
        }
        (Reduce::FloatSum, D::Float64) | (Reduce::Sum, D::Float64) => float_sum(s.f64()?, groups),
        (Reduce::FloatSum, _) => float_sum(s.cast(&D::Float64)?.f64()?, groups),
        (Reduce::Sum, D::Int64) => int_sum(s.i64()?, gid, n),
        (Reduce::Sum, D::UInt64) => int_sum(s.u64()?, gid, n),
        (Reduce::Sum, D::UInt32) => int_sum(s.u32()?, gid, n),
        (r, dt) => {
            unreachable!("{r:?} of {dt} is not reduced here (Reduce::handles, Scatter::run)")
        }
    })
}

/// Calls `f(group, value)` for each non-null value of `ca`, in row order, chunk by chunk (a
/// combine's input is the concatenated partials: copying them into one chunk per column was
/// a copy and fresh pages of the whole input).
fn each<T: PolarsNumericType>(
    ca: &ChunkedArray<T>,
    gid: &[IdxSize],
    mut f: impl FnMut(usize, T::Native),
) {
    debug_assert_eq!(gid.len(), ca.len());
    let mut at = 0;
    for arr in ca.downcast_iter() {
        let gid = &gid[at..at + arr.len()];
        at += arr.len();
        if arr.validity().is_none_or(|v| v.unset_bits() == 0) {
            for (&g, &v) in gid.iter().zip(arr.values().iter()) {
                f(g as usize, v);
            }
        } else {
            for (&g, v) in gid.iter().zip(arr.iter()) {
                if let Some(&v) = v {
                    f(g as usize, v);
                }
            }
        }
    }
}

/// One Kahan-compensated step of Polars' float group-by sum.
fn kahan(sum: &mut f64, err: &mut f64, v: f64) {
    let y = v - *err;
    let t = *sum + y;
    let e = (t - *sum) - y;
    *sum = t;
    // As Polars: keep the error finite, so Inf - Inf brings no NaN in.
    if e.is_finite() {
        *err = e;
    }
}

/// Kahan-compensated sums per group, as Polars' float group-by sum (0 without values).
fn float_sum(ca: &ChunkedArray<Float64Type>, groups: &Groups) -> Series {
    fused(ca, groups, Wants { sum: true, ..Wants::default() }).sum.expect("asked for")
}

/// Per group of a `Float64` column, in one pass over it, whichever of these `wants` asks for:
/// the Kahan-compensated sum ([`kahan`]: 0 without values), the min and the max
/// ([`Order::min_step`], [`Order::max_step`]: null without values). One group's accumulators sit together, so a row
/// touches one place of memory however many of the three it feeds: an `agg(sum, min, max)`
/// read each column and its group ids twice, into two tables.
fn fused(ca: &ChunkedArray<Float64Type>, groups: &Groups, wants: Wants) -> Reductions {
    match (wants.sum, wants.min, wants.max) {
        (true, true, true) => fused_of::<true, true, true, 4>(ca, groups),
        (true, true, false) => fused_of::<true, true, false, 3>(ca, groups),
        (true, false, true) => fused_of::<true, false, true, 3>(ca, groups),
        (true, false, false) => fused_of::<true, false, false, 2>(ca, groups),
        (false, true, true) => fused_of::<false, true, true, 2>(ca, groups),
        (false, true, false) => fused_of::<false, true, false, 1>(ca, groups),
        (false, false, true) => fused_of::<false, false, true, 1>(ca, groups),
        (false, false, false) => Reductions::default(),
    }
}

/// [`fused`] for one choice: each group's accumulators are `N` floats, the sum and its error
/// (when `SUM`), then the min (when `MIN`), then the max (when `MAX`).
fn fused_of<const SUM: bool, const MIN: bool, const MAX: bool, const N: usize>(
    ca: &ChunkedArray<Float64Type>,
    groups: &Groups,
) -> Reductions {
    const { assert!(N == 2 * SUM as usize + MIN as usize + MAX as usize) };
    let (lo, hi) = (2 * usize::from(SUM), 2 * usize::from(SUM) + usize::from(MIN));
    let n = groups.sizes.len();
    let mut start = [0.0f64; N];
    if MIN {
        start[lo] = f64::MIN_START;
    }
    if MAX {
        start[hi] = f64::MAX_START;
    }
    let mut acc = vec![start; n];
    // Min and max from the order's identities (see `Order`).
    let step = |a: &mut [f64; N], v: f64| {
        if SUM {
            let (sum, err) = a.split_at_mut(1);
            kahan(&mut sum[0], &mut err[0], v);
        }
        if MIN {
            a[lo] = a[lo].min_step(v);
        }
        if MAX {
            a[hi] = a[hi].max_step(v);
        }
    };
    // Without nulls every group has a value; with them, a min or max of a group without one is
    // null, so the groups seen are flagged.
    let mut seen = Vec::new();
    if !(MIN || MAX) || ca.null_count() == 0 {
        each(ca, &groups.gid, |g, v| step(&mut acc[g], v));
    } else {
        seen = vec![false; n];
        each(ca, &groups.gid, |g, v| {
            seen[g] = true;
            step(&mut acc[g], v);
        });
    }
    let column = |i: usize| -> Series {
        if seen.is_empty() {
            let v = acc.iter().map(|a| a[i]).collect();
            ChunkedArray::<Float64Type>::from_vec(PlSmallStr::EMPTY, v).into_series()
        } else {
            let v = acc.iter().zip(&seen).map(|(a, &s)| s.then_some(a[i]));
            ChunkedArray::<Float64Type>::from_iter_options(PlSmallStr::EMPTY, v).into_series()
        }
    };
    Reductions {
        sum: SUM.then(|| {
            let v = acc.iter().map(|a| a[0]).collect();
            ChunkedArray::<Float64Type>::from_vec(PlSmallStr::EMPTY, v).into_series()
        }),
        min: MIN.then(|| column(lo)),
        max: MAX.then(|| column(hi)),
    }
}

/// Integer addition that wraps, as Polars' integer sums do in release builds.
trait Wrapping: Copy + Default {
    fn wrapping(self, other: Self) -> Self;
}

macro_rules! wrapping {
    ($($t:ty),*) => {$(
        impl Wrapping for $t {
            fn wrapping(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
        }
    )*};
}
wrapping!(i64, u64, u32);

/// Integer sums per group (0 without values).
fn int_sum<T>(ca: &ChunkedArray<T>, gid: &[IdxSize], n: usize) -> Series
where
    T: PolarsNumericType,
    T::Native: Wrapping,
    ChunkedArray<T>: IntoSeries,
{
    let mut acc = vec![T::Native::default(); n];
    each(ca, gid, |g, v| acc[g] = acc[g].wrapping(v));
    ChunkedArray::<T>::from_vec(PlSmallStr::EMPTY, acc).into_series()
}

/// The order of `min`/`max`: Polars' `nan_max_lt` / `nan_min_lt` (NaN is the largest value
/// for `min`, the smallest for `max`, so it wins only in a group of NaN alone).
trait Order: Copy + Default {
    /// The identity of the min's step: no value is above it in [`Order::lt_nan_max`]'s order,
    /// so the step from it gives the value (NaN, the largest there, for floats).
    const MIN_START: Self;
    /// The identity of the max's step: no value is below it in [`Order::lt_nan_min`]'s order.
    const MAX_START: Self;
    /// `self < other`, NaN above everything.
    fn lt_nan_max(self, other: Self) -> bool;
    /// `self < other`, NaN below everything.
    fn lt_nan_min(self, other: Self) -> bool;

    /// One step of a group's min: Polars' `a.min_ignore_nan(v)`. Written as a select, not a
    /// branch: with a group's rows in random order the branch would be mispredicted often.
    #[inline(always)]
    fn min_step(self, v: Self) -> Self {
        if self.lt_nan_max(v) { self } else { v }
    }

    /// One step of a group's max: Polars' `a.max_ignore_nan(v)` (a select, as [`Order::min_step`]).
    #[inline(always)]
    fn max_step(self, v: Self) -> Self {
        if self.lt_nan_min(v) { v } else { self }
    }
}

macro_rules! order {
    (float: $($t:ty),*) => {$(
        impl Order for $t {
            const MIN_START: Self = <$t>::NAN;
            const MAX_START: Self = <$t>::NAN;
            fn lt_nan_max(self, other: Self) -> bool {
                !self.is_nan() & (other.is_nan() | (self < other))
            }
            fn lt_nan_min(self, other: Self) -> bool {
                !other.is_nan() & (self.is_nan() | (self < other))
            }
        }
    )*};
    (int: $($t:ty),*) => {$(
        impl Order for $t {
            const MIN_START: Self = <$t>::MAX;
            const MAX_START: Self = <$t>::MIN;
            fn lt_nan_max(self, other: Self) -> bool {
                self < other
            }
            fn lt_nan_min(self, other: Self) -> bool {
                self < other
            }
        }
    )*};
}
order!(float: f64, f32);
order!(int: i64, i32, u64, u32);

/// The minimum and the maximum per group of `s` (null without values), in one pass.
fn extremes(s: &Series, groups: &Groups) -> Result<(Series, Series)> {
    use DataType as D;
    match s.dtype() {
        D::Float64 => unreachable!("a Float64 min/max is the fused pass's (Scatter::fused)"),
        D::Float32 => extremes_of::<Float32Type>(s.f32()?, groups),
        D::Int64 => extremes_of::<Int64Type>(s.i64()?, groups),
        D::Int32 => extremes_of::<Int32Type>(s.i32()?, groups),
        D::UInt64 => extremes_of::<UInt64Type>(s.u64()?, groups),
        D::UInt32 => extremes_of::<UInt32Type>(s.u32()?, groups),
        dt => unreachable!("min/max of {dt} is not scattered (Reduce::handles)"),
    }
}

fn extremes_of<T>(ca: &ChunkedArray<T>, groups: &Groups) -> Result<(Series, Series)>
where
    T: PolarsNumericType,
    T::Native: Order,
    ChunkedArray<T>: IntoSeries,
{
    let n = groups.sizes.len();
    let series =
        |v: Vec<T::Native>| ChunkedArray::<T>::from_vec(PlSmallStr::EMPTY, v).into_series();
    // A group's rows in order, from the order's identities (a step from them gives the row's
    // value).
    let step = |a: &mut [T::Native; 2], v: T::Native| *a = [a[0].min_step(v), a[1].max_step(v)];
    let mut acc = vec![[T::Native::MIN_START, T::Native::MAX_START]; n];
    if ca.null_count() == 0 {
        // Every group has a value: no flag per group.
        each(ca, &groups.gid, |g, v| step(&mut acc[g], v));
        let (min, max) = acc.into_iter().map(|[a, b]| (a, b)).unzip();
        return Ok((series(min), series(max)));
    }
    let mut seen = vec![false; n];
    each(ca, &groups.gid, |g, v| {
        seen[g] = true;
        step(&mut acc[g], v);
    });
    let half = |i: usize| {
        let values = acc.iter().zip(&seen).map(|(v, s)| s.then_some(v[i]));
        ChunkedArray::<T>::from_iter_options(PlSmallStr::EMPTY, values).into_series()
    };
    Ok((half(0), half(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{NamedFrom, len, lit};
    use proptest::prelude::*;

    type Row = (u8, u8, Option<i16>, Option<i16>, bool);

    /// Two keys (one with nulls), float columns with nulls and NaN, int columns.
    fn frame(rows: &[Row]) -> PlFrame {
        let f = |v: Option<i16>| v.map(|x| if x % 13 == 0 { f64::NAN } else { f64::from(x) / 8.0 });
        let cols = [
            Series::new(
                "k".into(),
                rows.iter()
                    .map(|r| (r.0 % 11 != 0).then_some(i64::from(r.0 % 5)))
                    .collect::<Vec<_>>(),
            ),
            Series::new(
                "s".into(),
                rows.iter().map(|r| ["a", "b", "c"][usize::from(r.1 % 3)]).collect::<Vec<_>>(),
            ),
            Series::new("f".into(), rows.iter().map(|r| f(r.2)).collect::<Vec<_>>()),
            Series::new(
                "g".into(),
                rows.iter().map(|r| f(r.3).map(|x| x as f32)).collect::<Vec<_>>(),
            ),
            Series::new("i".into(), rows.iter().map(|r| r.3.map(i64::from)).collect::<Vec<_>>()),
            Series::new("j".into(), rows.iter().map(|r| r.2.map(i32::from)).collect::<Vec<_>>()),
            Series::new("u".into(), rows.iter().map(|r| u32::from(r.1)).collect::<Vec<_>>()),
            Series::new("b".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
        ];
        PlFrame::new(rows.len(), cols.into_iter().map(Series::into_column).collect()).unwrap()
    }

    /// Every kind the kernel scatters, on every dtype, and some it leaves to Polars.
    fn exprs() -> Vec<Expr> {
        let mut out = vec![len().alias("n")];
        for c in ["f", "g", "i", "j", "u", "b"] {
            let e = [
                col(c).sum(),
                col(c).cast(DataType::Float64).sum(),
                col(c).min(),
                col(c).max(),
                col(c).count(),
                col(c).len(),
                col(c).first(),
                col(c).n_unique(),
                col(c).last(),
            ];
            out.extend(e.into_iter().enumerate().map(|(i, e)| e.alias(format!("{c}{i}"))));
        }
        out.push((col("f") + lit(1.0)).sum().alias("expr"));
        out
    }

    fn sorted(df: PlFrame, keys: &[String]) -> PlFrame {
        let opts = SortMultipleOptions::default().with_nulls_last(true);
        df.sort(keys.to_vec(), opts).unwrap()
    }

    fn rows() -> impl Strategy<Value = Vec<Row>> {
        let v = || prop::option::weighted(0.8, -300i16..300);
        prop::collection::vec((any::<u8>(), any::<u8>(), v(), v(), any::<bool>()), 0..80)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The kernel gives what Polars' own group-by of the same stage gives, bit for bit,
        /// on one chunk per column or on several (a combine's concatenated partials).
        #[test]
        fn kernel_matches_polars(rows in rows(), two_keys: bool, cut in 0usize..80) {
            let keys: Vec<String> = if two_keys { vec!["k".into(), "s".into()] } else { vec!["k".into()] };
            let stage = Stage::new(keys.clone(), exprs());
            let cut = cut.min(rows.len());
            let mut df = frame(&rows[..cut]);
            df.vstack_mut(&frame(&rows[cut..])).unwrap();
            prop_assert_eq!(df.height(), rows.len());
            let got = sorted(stage.run(df.clone()).unwrap(), &keys);
            let want = sorted(stage.polars(df).unwrap(), &keys);
            prop_assert_eq!(got.schema(), want.schema());
            prop_assert!(got.equals_missing(&want), "got\n{}\nwant\n{}", got, want);
        }
    }

    /// The integer-key grouping past its first table size (it grows twice here), with nulls,
    /// negative keys, keys that collide in the table, and one-row groups.
    #[test]
    fn many_int_keys_group_as_in_polars() {
        let n = 20_000i64;
        let k: Vec<Option<i64>> = (0..n)
            .map(|i| (i % 97 != 0).then_some(((i * 7919) % 9000 - 4500) << (i % 3 * 20)))
            .collect();
        let v: Vec<Option<f64>> = (0..n).map(|i| (i % 5 != 0).then_some(i as f64 / 4.0)).collect();
        let cols = [Series::new("k".into(), k), Series::new("v".into(), v)];
        let df =
            PlFrame::new(n as usize, cols.into_iter().map(Series::into_column).collect()).unwrap();
        let exprs = vec![
            len().alias("n"),
            col("v").sum().alias("s"),
            col("v").min().alias("lo"),
            col("v").first().alias("first"),
        ];
        let keys = vec!["k".to_string()];
        let stage = Stage::new(keys.clone(), exprs);
        let got = sorted(stage.run(df.clone()).unwrap(), &keys);
        let want = sorted(stage.polars(df).unwrap(), &keys);
        assert!(got.height() > 9000, "{}", got.height());
        assert!(got.equals_missing(&want), "got\n{got}\nwant\n{want}");
    }

    /// The fused pass of a `Float64` column without nulls (no flag per group), in three chunks, for every choice of sum, min and max it runs.
    #[test]
    fn fused_passes_without_nulls_match_polars() {
        let part = |from: i64, to: i64| {
            let k: Vec<i64> = (from..to).map(|i| (i * 37) % 101 - 50).collect();
            let v: Vec<f64> = (from..to)
                .map(|i| if i % 89 == 0 { f64::NAN } else { ((i * 7919) % 1000) as f64 / 8.0 })
                .collect();
            let cols = [Series::new("k".into(), k), Series::new("v".into(), v)];
            PlFrame::new((to - from) as usize, cols.into_iter().map(Series::into_column).collect())
                .unwrap()
        };
        let mut df = part(0, 700);
        df.vstack_mut(&part(700, 1500)).unwrap();
        df.vstack_mut(&part(1500, 3000)).unwrap();
        assert_eq!(df.column("v").unwrap().n_chunks(), 3);
        let all =
            [col("v").sum().alias("s"), col("v").min().alias("lo"), col("v").max().alias("hi")];
        let keys = vec!["k".to_string()];
        for pick in 1..8usize {
            let exprs: Vec<Expr> = (all.iter().enumerate())
                .filter(|(i, _)| pick >> i & 1 == 1)
                .map(|(_, e)| e.clone())
                .collect();
            let stage = Stage::new(keys.clone(), exprs);
            let got = sorted(stage.run(df.clone()).unwrap(), &keys);
            let want = sorted(stage.polars(df.clone()).unwrap(), &keys);
            assert_eq!(got.height(), 101);
            assert!(got.equals_missing(&want), "{pick:#b}: got\n{got}\nwant\n{want}");
        }
    }

    #[test]
    fn only_the_handled_expressions_are_scattered() {
        let stage = Stage::new(vec!["k".into()], exprs());
        let schema = frame(&[(1, 1, Some(1), Some(1), true)]).schema().clone();
        let scattered: Vec<&str> = (stage.scatter.iter())
            .filter_map(|s| s.as_ref().filter(|s| s.handles(&schema)).map(|s| s.out.as_str()))
            .collect();
        let want = "n f0 f1 f2 f3 f4 f5 g1 g2 g3 g4 g5 i0 i1 i2 i3 i4 i5 j1 j2 j3 j4 j5 \
                    u0 u1 u2 u3 u4 u5 b4 b5";
        assert_eq!(scattered.join(" "), want);
    }
}
