//! Sums and means of an `f64` array whose region has a [`Recipe`] (a random source, or
//! `x + x.T` of one): the same trees as [`tree`](mod@super::tree) and [`linear`](mod@super::linear),
//! recorded as named functions with serde parameters (`crate::remote`), so that a cluster
//! can run them. Each function runs the code the closure of the other trees runs, in the
//! same order, so the bits are the same as theirs.
//!
//! Invariant: every combine and aggregate task takes at most `k` inputs; a group's inputs
//! are in row-major order over the reduced axes (the plain tree) or in source-block order
//! (the linear one), as in the trees these mirror.

use std::ops::Range;
use std::sync::Arc;

use lazydag_core::{Delayed, delayed};
use ndarray::{ArrayD, IxDyn, Slice};

use super::linear::{add_all, block_sums};
use super::tree::{
    Ctx, Grid, fold_pairs, fold_rows, fused_partial, shaped, view_rows, zip_in_place,
};
use crate::array::{Array, Block, Linear};
use crate::chunks::Chunks;
use crate::remote::Recipe;
use crate::task;

/// The reduction: a sum or a mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Sum,
    Mean,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Sum => "sum",
            Op::Mean => "mean",
        }
    }
}

/// The reduction over `axes` (sorted) of `x` with at most `k` inputs per task, through named
/// tasks, without `keepdims`, when `x`'s region has a recipe (a random source): the plain
/// tree's shape. `None` otherwise, and the closure trees do it.
pub(crate) fn reduce(x: &Array<f64>, op: Op, axes: &[usize], k: usize) -> Option<Array<f64>> {
    let reg = x.parts().ok()?.region.as_ref()?;
    if k < 2 {
        return None;
    }
    Some(plain(x, reg.recipe.clone()?, op, axes, k))
}

/// The same through the linear rewrite (`x + x.T`, `linear::reduce`), when the source of
/// `x`'s region has a recipe; `None` when it has none or the rewrite does not apply. The
/// caller adds the boxer (slices of the result: the plain tree's).
pub(crate) fn reduce_linear(
    x: &Array<f64>,
    op: Op,
    axes: &[usize],
    k: usize,
) -> Option<Array<f64>> {
    let p = x.parts().ok()?;
    let lin = p.region.as_ref()?.linear.as_ref().filter(|l| l.perms.len() >= 2)?;
    let base = lin.base.recipe.clone()?;
    if axes.is_empty() || k < 2 || p.shape.contains(&0) {
        return None;
    }
    Some(linear(x, lin, &base, op, axes, k))
}

/// What a partial task needs: the source, the block's place, the array's shape and the axes.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
struct PartialSpec {
    recipe: Recipe,
    offset: Vec<usize>,
    shape: Vec<usize>,
    axes: Vec<usize>,
}

impl PartialSpec {
    /// The block's partial, evaluated from the region tile by tile (`tree::fused_partial`).
    fn run<P>(
        &self,
        partial: impl Fn(Block<f64>, &Ctx) -> P + Send + Sync,
        combine: fn(Vec<P>) -> P,
    ) -> P {
        let ctx = Ctx {
            offset: self.offset.clone(),
            global: Arc::new(self.recipe.shape().to_vec()),
            axes: Arc::new(self.axes.clone()),
        };
        fused_partial(&self.recipe.region(), &ctx, &self.shape, &partial, &combine)
    }
}

type MeanPart = (f64, ArrayD<f64>);

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn sum_partial(spec: PartialSpec) -> ArrayD<f64> {
    spec.run(
        |b, c| view_rows(&b, &c.axes, |r, kept| shaped(fold_rows(r, 0.0, |&a, &v| a + v), kept)),
        sum_combine,
    )
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn sum_combine(parts: Vec<ArrayD<f64>>) -> ArrayD<f64> {
    fold_pairs(parts, |mut a, b| {
        zip_in_place(&mut a, &b, |x, &y| *x += y);
        a
    })
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn sum_aggregate(parts: Vec<ArrayD<f64>>) -> Block<f64> {
    let s =
        if parts.len() == 1 { parts.into_iter().next().expect("one") } else { sum_combine(parts) };
    s.into_shared()
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn mean_partial(spec: PartialSpec) -> MeanPart {
    spec.run(
        |b, c| {
            view_rows(&b, &c.axes, |r, kept| {
                let sums = fold_rows(r, 0.0, |&a, &v| a + v);
                (r.nrows() as f64, shaped(sums, kept))
            })
        },
        mean_combine,
    )
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn mean_combine(parts: Vec<MeanPart>) -> MeanPart {
    fold_pairs(parts, |(n, mut a), (m, b)| {
        zip_in_place(&mut a, &b, |x, &y| *x += y);
        (n + m, a)
    })
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn mean_aggregate(parts: Vec<MeanPart>) -> Block<f64> {
    let (n, s) =
        if parts.len() == 1 { parts.into_iter().next().expect("one") } else { mean_combine(parts) };
    if n == 0.0 { s.mapv(|_| f64::NAN) } else { s.mapv(|v| v / n) }.into_shared()
}

/// The plain tree (`tree::tree_dyn` with a region): one partial task per block, combines of
/// at most `k`, one aggregate per output block.
fn plain(x: &Array<f64>, recipe: Arc<Recipe>, op: Op, axes: &[usize], k: usize) -> Array<f64> {
    match op {
        Op::Sum => tree(x, &recipe, op, axes, k, sum_partial, sum_combine, sum_aggregate),
        Op::Mean => tree(x, &recipe, op, axes, k, mean_partial, mean_combine, mean_aggregate),
    }
}

#[allow(clippy::too_many_arguments)]
fn tree<P, FP, FC, FA>(
    x: &Array<f64>,
    recipe: &Recipe,
    op: Op,
    axes: &[usize],
    k: usize,
    partial: FP,
    combine: FC,
    aggregate: FA,
) -> Array<f64>
where
    P: Clone + Send + 'static,
    FP: Fn(PartialSpec) -> P + Copy + Send + Sync + 'static,
    FC: Fn(Vec<P>) -> P + Copy + Send + Sync + 'static,
    FA: Fn(Vec<P>) -> Block<f64> + Copy + Send + Sync + 'static,
{
    let p = x.parts().expect("the caller checked");
    let grid = Grid::new(&p.chunks, axes);
    let (kept, out) = (grid.kept.clone(), grid.out.clone());
    let blocks = out
        .indices()
        .map(|o| {
            let mut level: Vec<Delayed<P>> = grid
                .inputs(&o)
                .map(|idx| {
                    let spec = PartialSpec {
                        recipe: recipe.clone(),
                        offset: p.chunks.block_offset(&idx),
                        shape: p.chunks.block_shape(&idx),
                        axes: axes.to_vec(),
                    };
                    delayed!((partial)(spec)).name(op.name()).shared()
                })
                .collect();
            while level.len() > k {
                level =
                    level.chunks(k).map(|g| task::map_n("combine", g.to_vec(), combine)).collect();
            }
            task::map_n("aggregate", level, aggregate)
        })
        .collect();
    // A box of the kept axes is the reduction of the input's box spanning the reduced axes.
    let x = x.clone();
    let axes = axes.to_vec();
    let full: Vec<Range<usize>> = p.shape.iter().map(|&n| 0..n).collect();
    Array::from_parts(out, blocks).with_boxer(Arc::new(move |r: &[Range<usize>]| {
        let mut inbox = full.clone();
        for (i, &a) in kept.iter().enumerate() {
            inbox[a] = r[i].clone();
        }
        let sub = x.sub_box(&inbox);
        let sub = sub.split_every(k);
        match op {
            Op::Sum => sub.sum_over(Some(&axes)),
            Op::Mean => sub.mean_over(Some(&axes)),
        }
    }))
}

/// What a source block's task of the linear tree needs.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
struct SumsSpec {
    base: Recipe,
    perms: Vec<Vec<usize>>,
    kept: Vec<usize>,
    offset: Vec<usize>,
    shape: Vec<usize>,
}

/// Where each gathered source block's sums go in an output block (`linear::reduce`'s first
/// combine).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
struct Placement {
    /// The output block's shape.
    shape: Vec<usize>,
    /// Per gathered input: its term and the offset of its sums in the output block.
    pieces: Vec<(usize, Vec<usize>)>,
}

/// The finish of the linear tree: the count of reduced elements and whether it is a mean.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
struct Finish {
    n: f64,
    mean: bool,
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn linear_sums(spec: SumsSpec) -> Vec<ArrayD<f64>> {
    let base = spec.base.region();
    let lin = Linear { base, base_shape: spec.base.shape().to_vec(), perms: spec.perms };
    block_sums(&lin, &spec.kept, &spec.offset, &spec.shape, |b| b.into_owned())
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn linear_place(at: Placement, parts: Vec<Vec<ArrayD<f64>>>) -> ArrayD<f64> {
    let mut acc = ArrayD::<f64>::zeros(IxDyn(&at.shape));
    for (s, (t, inner)) in parts.iter().zip(&at.pieces) {
        let piece = &s[*t];
        let mut dst = acc.slice_each_axis_mut(|ax| {
            let (a, o) = (ax.axis.index(), inner[ax.axis.index()]);
            Slice::from(o..o + piece.shape()[a])
        });
        dst.zip_mut_with(piece, |x, &y| *x += y);
    }
    acc
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn linear_combine(parts: Vec<ArrayD<f64>>) -> ArrayD<f64> {
    add_all(parts)
}

#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn linear_aggregate(finish: Finish, parts: Vec<ArrayD<f64>>) -> Block<f64> {
    let s = add_all(parts);
    if finish.mean { s.mapv(|v| v / finish.n) } else { s }.into_shared()
}

/// A source block's sums task, the term, and where its sums go in an output block.
type Piece = (Delayed<Vec<ArrayD<f64>>>, usize, Vec<usize>);

/// `linear::reduce` with named tasks: each source block generated once, its sums placed in
/// every output block a term maps it to.
fn linear(
    x: &Array<f64>,
    lin: &Linear<f64>,
    base: &Recipe,
    op: Op,
    axes: &[usize],
    k: usize,
) -> Array<f64> {
    let p = x.parts().expect("the caller checked");
    let nd = p.shape.len();
    let kept: Vec<usize> = (0..nd).filter(|a| !axes.contains(a)).collect();
    let out = Chunks::from_sizes(kept.iter().map(|&a| p.chunks.sizes()[a].clone()).collect());
    let grid = super::linear::source_grid(lin, &p.chunks, nd);
    let n: f64 = axes.iter().map(|&a| p.shape[a] as f64).product();
    let mut into: Vec<Vec<Piece>> = vec![Vec::new(); out.num_blocks()];
    for idx in grid.indices() {
        let (off, shape) = (grid.block_offset(&idx), grid.block_shape(&idx));
        let spec = SumsSpec {
            base: base.clone(),
            perms: lin.perms.clone(),
            kept: kept.clone(),
            offset: off.clone(),
            shape,
        };
        let d = delayed!(linear_sums(spec)).name(op.name()).shared();
        for (t, perm) in lin.perms.iter().enumerate() {
            let (block, inner) = super::linear::place(&p.chunks, &kept, perm, &off);
            into[out.linear(&block)].push((d.clone(), t, inner));
        }
    }
    let finish = Finish { n, mean: op == Op::Mean };
    let blocks = out
        .indices()
        .zip(into)
        .map(|(o, parts)| {
            let shape = out.block_shape(&o);
            let mut level: Vec<Delayed<ArrayD<f64>>> = parts
                .chunks(k)
                .map(|g| {
                    let at = Placement {
                        shape: shape.clone(),
                        pieces: g.iter().map(|(_, t, inner)| (*t, inner.clone())).collect(),
                    };
                    let sums: Vec<_> = g.iter().map(|c| c.0.clone()).collect();
                    delayed!(linear_place(at, sums)).name("combine").shared()
                })
                .collect();
            while level.len() > k {
                level = level
                    .chunks(k)
                    .map(|g| task::map_n("combine", g.to_vec(), linear_combine))
                    .collect();
            }
            delayed!(linear_aggregate(finish, level)).name("aggregate").shared()
        })
        .collect();
    Array::from_parts(out, blocks)
}
