//! Sums and means over a [`Linear`] region (`y = x + x.T`): the sum is linear and commutes
//! with transposition, so `y.sum_axis(0) = x.sum_axis(0) + x.sum_axis(1)`. Each block of the
//! source is generated once, tile by tile, and folded into every term that reads it (for the
//! seed example: its column sums to one output block, its row sums to another), instead of
//! being generated once per term.
//!
//! Invariant: every combine and aggregate task takes at most `k` inputs; the order of the
//! additions is fixed by the graph, so every scheduler gives the same bits.

use std::ops::{Add, Range};
use std::sync::Arc;

use lazydag_core::Delayed;
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use num_traits::Zero;

use crate::array::{Array, Block, Linear};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::pushdown::{TILE, ranges};
use crate::task;

/// One source block's sums, one per term, each over the kept axes in the output's order.
type Sums<A> = Arc<Vec<ArrayD<A>>>;

/// What one source block gives an output block: its task, the term, and where its sums go.
type Piece<A> = (Delayed<Sums<A>>, usize, Vec<usize>);

/// The reduction over `axes` (sorted, not empty) of `x`, whose region is `lin`, through the
/// linear rewrite, without `keepdims`; `None` when it does not apply (then the plain tree
/// does it). `conv` turns a generated block into the accumulator type, `finish` maps the
/// output block's sums (with the count of reduced elements) to the result.
pub(crate) fn reduce<T, A>(
    x: &Array<T>,
    op: &'static str,
    axes: &[usize],
    k: usize,
    conv: fn(Block<T>) -> ArrayD<A>,
    finish: fn(ArrayD<A>, f64) -> ArrayD<A>,
) -> Option<Array<A>>
where
    T: Element,
    A: Element + Add<Output = A> + Zero,
{
    let p = x.parts().ok()?;
    let lin = p.region.as_ref()?.linear.clone()?;
    if lin.perms.len() < 2 || axes.is_empty() || k < 2 || p.shape.contains(&0) {
        return None;
    }
    let nd = p.shape.len();
    let kept: Vec<usize> = (0..nd).filter(|a| !axes.contains(a)).collect();
    let out = Chunks::from_sizes(kept.iter().map(|&a| p.chunks.sizes()[a].clone()).collect());
    let base = source_grid(&lin, &p.chunks, nd);
    let n: f64 = axes.iter().map(|&a| p.shape[a] as f64).product();
    // Per output block: (source block's task, term, offset of its sums in the output block).
    let mut into: Vec<Vec<Piece<A>>> = vec![Vec::new(); out.num_blocks()];
    let kept = Arc::new(kept);
    for idx in base.indices() {
        let (off, shape) = (base.block_offset(&idx), base.block_shape(&idx));
        let (l, kp) = (lin.clone(), kept.clone());
        let (o2, s2) = (off.clone(), shape.clone());
        let sums = move || Arc::new(block_sums(&l, &kp, &o2, &s2, conv));
        let d: Delayed<Sums<A>> = lazydag_core::delayed!((sums)()).name(op).shared();
        for (t, perm) in lin.perms.iter().enumerate() {
            let (block, inner) = place(&p.chunks, &kept, perm, &off);
            into[out.linear(&block)].push((d.clone(), t, inner));
        }
    }
    let blocks = out
        .indices()
        .zip(into)
        .map(|(o, parts)| {
            let osh = out.block_shape(&o);
            let mut level: Vec<Delayed<ArrayD<A>>> = parts
                .chunks(k)
                .map(|g| {
                    let meta: Vec<(usize, Vec<usize>)> =
                        g.iter().map(|(_, t, inner)| (*t, inner.clone())).collect();
                    let osh = osh.clone();
                    task::map_n("combine", g.iter().map(|c| c.0.clone()).collect(), {
                        move |v: Vec<Sums<A>>| {
                            let mut acc = ArrayD::<A>::zeros(IxDyn(&osh));
                            for (s, (t, inner)) in v.iter().zip(&meta) {
                                let piece = &s[*t];
                                let mut dst = acc.slice_each_axis_mut(|ax| {
                                    let (a, o) = (ax.axis.index(), inner[ax.axis.index()]);
                                    Slice::from(o..o + piece.shape()[a])
                                });
                                dst.zip_mut_with(piece, |x, &y| *x = *x + y);
                            }
                            acc
                        }
                    })
                })
                .collect();
            while level.len() > k {
                level = level
                    .chunks(k)
                    .map(|g| task::map_n("combine", g.to_vec(), add_all::<A>))
                    .collect();
            }
            task::map_n("aggregate", level, move |v: Vec<ArrayD<A>>| {
                finish(add_all(v), n).into_shared()
            })
        })
        .collect();
    Some(Array::from_parts(out, blocks))
}

/// The source's grid: on each axis, every cut of an output axis any term maps onto it, so
/// a source block lies inside one block of `x` (chunked `chunks`) for every term.
pub(crate) fn source_grid<T>(lin: &Linear<T>, chunks: &Chunks, nd: usize) -> Chunks {
    Chunks::from_sizes(
        (0..nd)
            .map(|b| {
                let mut cuts: Vec<usize> = lin
                    .perms
                    .iter()
                    .flat_map(|perm| {
                        let i = perm.iter().position(|&q| q == b).expect("a permutation");
                        chunks.offsets(i).iter().copied()
                    })
                    .collect();
                cuts.sort_unstable();
                cuts.dedup();
                cuts.windows(2).map(|w| w[1] - w[0]).collect()
            })
            .collect(),
    )
}

/// Where the sums of the source block at `off` go for the term `perm`: the output block (its
/// grid index over the kept axes) and the offset inside it.
pub(crate) fn place(
    chunks: &Chunks,
    kept: &[usize],
    perm: &[usize],
    off: &[usize],
) -> (Vec<usize>, Vec<usize>) {
    let (mut block, mut inner) = (Vec::new(), Vec::new());
    for &i in kept {
        let g = off[perm[i]];
        let offs = chunks.offsets(i);
        let c = offs.partition_point(|&s| s <= g) - 1;
        block.push(c);
        inner.push(g - offs[c]);
    }
    (block, inner)
}

pub(crate) fn add_all<A: Element + Add<Output = A>>(v: Vec<ArrayD<A>>) -> ArrayD<A> {
    let mut it = v.into_iter();
    let mut acc = it.next().expect("a combine has inputs");
    for b in it {
        acc.zip_mut_with(&b, |x, &y| *x = *x + y);
    }
    acc
}

/// The source block at `off` (of `shape`) generated in tiles of about [`TILE`] elements along
/// its first axis; each tile is summed, for every term, over the source axes that term
/// reduces, and added at its place in that term's sums (kept axes in the output's order).
pub(crate) fn block_sums<T, A>(
    lin: &Linear<T>,
    kept: &[usize],
    off: &[usize],
    shape: &[usize],
    conv: fn(Block<T>) -> ArrayD<A>,
) -> Vec<ArrayD<A>>
where
    T: Element,
    A: Element + Add<Output = A> + Zero,
{
    let whole = ranges(off, shape);
    // Per term: the source axes of its kept axes, in the output's order.
    let src_kept: Vec<Vec<usize>> =
        lin.perms.iter().map(|perm| kept.iter().map(|&i| perm[i]).collect()).collect();
    let mut sums: Vec<ArrayD<A>> = src_kept
        .iter()
        .map(|sk| ArrayD::zeros(IxDyn(&sk.iter().map(|&b| shape[b]).collect::<Vec<_>>())))
        .collect();
    let across: usize = shape[1..].iter().product();
    // Half a tile: the block and its converted copy stay under malloc's mmap threshold.
    let step = (TILE / 2 / across.max(1)).max(1);
    let mut s = whole[0].start;
    while s < whole[0].end {
        let e = (s + step).min(whole[0].end);
        let mut r: Vec<Range<usize>> = whole.clone();
        r[0] = s..e;
        let tile = conv(lin.base.eval(&r));
        for (sk, acc) in src_kept.iter().zip(sums.iter_mut()) {
            // Sum the reduced source axes, last first, so the indices stay valid.
            let mut reduced = (0..shape.len()).rev().filter(|b| !sk.contains(b));
            let first = reduced.next().expect("a reduction reduces an axis");
            let mut part = tile.sum_axis(Axis(first));
            for b in reduced {
                part = part.sum_axis(Axis(b));
            }
            // `part`'s axes are the kept source axes in source order; put them in output order.
            let mut sorted = sk.clone();
            sorted.sort_unstable();
            let order: Vec<usize> =
                sk.iter().map(|b| sorted.iter().position(|q| q == b).expect("kept")).collect();
            let part = part.permuted_axes(order.as_slice());
            let mut dst = acc.slice_each_axis_mut(|ax| match sk[ax.axis.index()] {
                0 => Slice::from(s - off[0]..e - off[0]),
                _ => Slice::from(..),
            });
            dst.zip_mut_with(&part, |x, &y| *x = *x + y);
        }
        s = e;
    }
    sums
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::array::Region;

    /// A 2-d source that counts the elements it generates.
    fn counted(n: usize, chunk: usize, count: Arc<AtomicUsize>) -> Array<f64> {
        let region = Region::new("counted", move |r: &[Range<usize>]| {
            count.fetch_add(r[0].len() * r[1].len(), Ordering::Relaxed);
            ArrayD::from_shape_fn(IxDyn(&[r[0].len(), r[1].len()]), |i| {
                ((i[0] + r[0].start) * 7 + (i[1] + r[1].start)) as f64
            })
            .into_shared()
        });
        let chunks = Chunks::new(&[n, n], chunk).expect("valid");
        Array::from_region(region.into_source(&[n, n]), chunks)
    }

    #[test]
    fn x_plus_its_transpose_generates_each_element_once() {
        let count = Arc::new(AtomicUsize::new(0));
        let x = counted(300, 70, count.clone());
        let y = &x + &x.t();
        let got = y.mean_axis(0).compute().expect("computes");
        assert_eq!(count.load(Ordering::Relaxed), 300 * 300);
        let a = x.compute().expect("computes");
        count.store(0, Ordering::Relaxed);
        let want = (&a + &a.t()).mean_axis(Axis(0)).expect("not empty");
        assert!(got.iter().zip(&want).all(|(g, w)| (g - w).abs() <= 1e-12 * w.abs()));
        // A single term keeps the tile-by-tile tree (nothing to share).
        x.sum_axis(1).compute().expect("computes");
        assert_eq!(count.load(Ordering::Relaxed), 300 * 300);
    }
}
