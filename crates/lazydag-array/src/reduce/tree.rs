//! The reduction tree and the block views its partials use.
//!
//! Invariant: every combine and aggregate task takes at most `split_every` inputs, and the
//! inputs of a group are in row-major order over the reduced axes.

use std::ops::Range;
use std::sync::Arc;

use lazydag_core::Delayed;
use ndarray::{Array2, ArrayD, ArrayView2, IxDyn, Zip};

use crate::array::{Array, Block, Region};
use crate::chunks::{Chunks, GridIter};
use crate::element::Element;
use crate::error::Error;
use crate::pushdown::{TILE, ranges};
use crate::task;

/// The reduced axes, sorted; `None` means all. An axis out of range or named twice is an
/// error (NumPy raises for both).
pub(crate) fn resolve(
    op: &'static str,
    shape: &[usize],
    axes: Option<&[usize]>,
) -> Result<Vec<usize>, Error> {
    let mut v: Vec<usize> = match axes {
        None => (0..shape.len()).collect(),
        Some(a) => a.to_vec(),
    };
    v.sort_unstable();
    if let Some(&bad) = v.iter().find(|&&a| a >= shape.len()) {
        return Err(Error::out_of_range(op, shape, format!("axis {bad} does not exist")));
    }
    if let Some(twice) = v.windows(2).find(|w| w[0] == w[1]) {
        // NumPy: "duplicate value in 'axis'".
        return Err(Error::invalid(op, format!("axis {} is named twice", twice[0])));
    }
    Ok(v)
}

/// A block viewed as rows: one row per element of the reduced axes (row-major over them),
/// one column per element of the kept axes. Copies only when the block is not already laid
/// out that way.
fn rows_copy<T: Element>(b: &Block<T>, axes: &[usize]) -> (Array2<T>, Vec<usize>) {
    let nd = b.ndim();
    let kept: Vec<usize> = (0..nd).filter(|a| !axes.contains(a)).collect();
    let perm: Vec<usize> = axes.iter().chain(&kept).copied().collect();
    let kept_shape: Vec<usize> = kept.iter().map(|&a| b.shape()[a]).collect();
    let n_red: usize = axes.iter().map(|&a| b.shape()[a]).product();
    let n_kept: usize = kept_shape.iter().product();
    let v = b.view().permuted_axes(perm.as_slice());
    let std = v.as_standard_layout();
    let r = std.into_shape_with_order((n_red, n_kept)).expect("standard layout").to_owned();
    (r, kept_shape)
}

pub(crate) fn view_rows<T: Element, R>(
    b: &Block<T>,
    axes: &[usize],
    f: impl FnOnce(ArrayView2<'_, T>, &[usize]) -> R,
) -> R {
    // Fast path: reducing leading axes of a standard-layout block needs no copy.
    let nd = b.ndim();
    if b.is_standard_layout() && axes.iter().enumerate().all(|(i, &a)| i == a) {
        let n_red: usize = axes.iter().map(|&a| b.shape()[a]).product();
        let kept_shape: Vec<usize> = b.shape()[axes.len()..nd].to_vec();
        let n_kept: usize = kept_shape.iter().product();
        let v = b.view().into_shape_with_order((n_red, n_kept)).expect("standard layout");
        return f(v, &kept_shape);
    }
    let (r, kept) = rows_copy(b, axes);
    f(r.view(), &kept)
}

pub(crate) fn shaped<T>(v: ndarray::Array1<T>, shape: &[usize]) -> ArrayD<T> {
    v.into_shape_with_order(IxDyn(shape)).expect("kept shape")
}

pub(crate) fn zip_in_place<A: Clone, B: Clone>(
    acc: &mut ArrayD<A>,
    other: &ArrayD<B>,
    f: impl Fn(&mut A, &B),
) {
    Zip::from(acc).and(other).for_each(f);
}

/// Where a partial's block lies: what it needs besides the block.
#[derive(Clone)]
pub(crate) struct Ctx {
    /// The global index of the block's first element.
    pub(crate) offset: Vec<usize>,
    /// The array's shape.
    pub(crate) global: Arc<Vec<usize>>,
    /// The reduced axes, sorted.
    pub(crate) axes: Arc<Vec<usize>>,
}

type PartialFn<T, P> = Arc<dyn Fn(Block<T>, &Ctx) -> P + Send + Sync>;
type CombineFn<P> = Arc<dyn Fn(Vec<P>) -> P + Send + Sync>;
type FinishFn<P, U> = Arc<dyn Fn(P) -> ArrayD<U> + Send + Sync>;

/// The shape of a reduction tree: at most `k` inputs per task; with `keepdims`, the reduced
/// axes stay as axes of length 1.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fan {
    pub(crate) k: usize,
    pub(crate) keepdims: bool,
}

/// Records the tree: `partial(block, offset)` per block, `combine` per group of at most
/// `k`, `finish` at each output block.
///
/// When `x` has a region (`crate::pushdown`), a partial reads no block: it evaluates its
/// block's region tile by tile along the first reduced axis and combines the tiles' partials,
/// so the chunk is never materialised (a fused kernel, like numexpr's).
#[allow(clippy::too_many_arguments)]
pub(crate) fn tree<T, P, U>(
    x: &Array<T>,
    op: &'static str,
    axes: Option<&[usize]>,
    fan: Fan,
    needs_elements: bool,
    partial: impl Fn(Block<T>, &Ctx) -> P + Send + Sync + 'static,
    combine: impl Fn(Vec<P>) -> P + Send + Sync + 'static,
    finish: impl Fn(P) -> ArrayD<U> + Send + Sync + 'static,
) -> Array<U>
where
    T: Element,
    P: Clone + Send + Sync + 'static,
    U: Element,
{
    let fns = (
        Arc::new(partial) as PartialFn<T, P>,
        Arc::new(combine) as CombineFn<P>,
        Arc::new(finish) as FinishFn<P, U>,
    );
    let out = tree_dyn(x, op, axes, fan.k, needs_elements, fns);
    match (fan.keepdims, resolve(op, x.shape(), axes)) {
        (true, Ok(reduced)) => reduced.iter().fold(out, |o, &a| o.insert_axis(a)),
        _ => out,
    }
}

fn tree_dyn<T, P, U>(
    x: &Array<T>,
    op: &'static str,
    axes: Option<&[usize]>,
    k: usize,
    needs_elements: bool,
    fns: (PartialFn<T, P>, CombineFn<P>, FinishFn<P, U>),
) -> Array<U>
where
    T: Element,
    P: Clone + Send + Sync + 'static,
    U: Element,
{
    let p = match x.parts() {
        Ok(p) => p,
        Err(e) => return Array::failed(e),
    };
    let axes = match resolve(op, &p.shape, axes) {
        Ok(a) => a,
        Err(e) => return Array::failed(e),
    };
    if k < 2 {
        return Array::failed(Error::invalid(
            op,
            format!("split_every {k}: it must be at least 2"),
        ));
    }
    if needs_elements && axes.iter().any(|&a| p.shape[a] == 0) {
        return Array::failed(Error::invalid(
            op,
            format!("zero-size array (shape {:?}) to a reduction that has no identity", p.shape),
        ));
    }
    let (partial, combine, finish) = fns.clone();
    let grid = Grid::new(&p.chunks, &axes);
    let (kept, out) = (grid.kept.clone(), grid.out.clone());
    let global = Arc::new(p.shape.clone());
    let axes = Arc::new(axes);
    let blocks = out
        .indices()
        .map(|o| {
            let mut level: Vec<Delayed<P>> = grid
                .inputs(&o)
                .map(|idx| {
                    let ctx = Ctx {
                        offset: p.chunks.block_offset(&idx),
                        global: global.clone(),
                        axes: axes.clone(),
                    };
                    let (partial, combine) = (partial.clone(), combine.clone());
                    match &p.region {
                        Some(reg) => {
                            let reg = reg.clone();
                            let shape = p.chunks.block_shape(&idx);
                            let fused =
                                move || fused_partial(&reg, &ctx, &shape, &*partial, &*combine);
                            lazydag_core::delayed!((fused)()).name(op).shared()
                        }
                        None => x
                            .block(p, &idx)
                            .map(move |b: Block<T>| partial(b, &ctx))
                            .name(op)
                            .shared(),
                    }
                })
                .collect();
            while level.len() > k {
                level = level
                    .chunks(k)
                    .map(|g| {
                        let combine = combine.clone();
                        task::map_n("combine", g.to_vec(), move |v: Vec<P>| combine(v))
                    })
                    .collect();
            }
            let (combine, finish) = (combine.clone(), finish.clone());
            task::map_n("aggregate", level, move |v: Vec<P>| {
                let p = if v.len() == 1 { v.into_iter().next().expect("one") } else { combine(v) };
                finish(p).into_shared()
            })
        })
        .collect();
    // A box of the kept axes is the reduction of the input's box spanning the reduced axes.
    let x = x.clone();
    let full: Vec<Range<usize>> = p.shape.iter().map(|&n| 0..n).collect();
    let boxer = Arc::new(move |r: &[Range<usize>]| {
        let mut inbox = full.clone();
        for (i, &a) in kept.iter().enumerate() {
            inbox[a] = r[i].clone();
        }
        tree_dyn(&x.sub_box(&inbox), op, Some(&axes), k, needs_elements, fns.clone())
    });
    Array::from_parts(out, blocks).with_boxer(boxer)
}

/// The block grid of a reduction over `axes`: the output's chunks (those of the kept axes)
/// and, for each output block, the indices of the input blocks it reduces. One home for the
/// walk both the closure trees (`tree`) and the registered ones (`remote`) record.
pub(crate) struct Grid {
    /// The axes not reduced, in order.
    pub(crate) kept: Vec<usize>,
    /// The output's chunks: the input's along `kept`.
    pub(crate) out: Chunks,
    axes: Vec<usize>,
    /// The number of blocks along each reduced axis.
    reduced: Vec<usize>,
    nd: usize,
}

impl Grid {
    pub(crate) fn new(chunks: &Chunks, axes: &[usize]) -> Grid {
        let nd = chunks.grid().len();
        let kept: Vec<usize> = (0..nd).filter(|a| !axes.contains(a)).collect();
        let out = Chunks::from_sizes(kept.iter().map(|&a| chunks.sizes()[a].clone()).collect());
        let reduced = axes.iter().map(|&a| chunks.grid()[a]).collect();
        Grid { kept, out, axes: axes.to_vec(), reduced, nd }
    }

    /// The indices of the input blocks reduced into output block `o`, in grid order.
    pub(crate) fn inputs<'a>(&'a self, o: &'a [usize]) -> impl Iterator<Item = Vec<usize>> + 'a {
        GridIter::new(self.reduced.clone()).map(move |r| {
            let mut idx = vec![0; self.nd];
            for (i, &a) in self.kept.iter().enumerate() {
                idx[a] = o[i];
            }
            for (i, &a) in self.axes.iter().enumerate() {
                idx[a] = r[i];
            }
            idx
        })
    }
}

/// The partial of the block at `ctx.offset` (of `shape`) evaluated from the region in tiles
/// of about [`TILE`] elements along the first reduced axis, folded in order.
pub(crate) fn fused_partial<T, P>(
    reg: &Region<T>,
    ctx: &Ctx,
    shape: &[usize],
    partial: &(dyn Fn(Block<T>, &Ctx) -> P + Send + Sync),
    combine: &(dyn Fn(Vec<P>) -> P + Send + Sync),
) -> P {
    let whole = ranges(&ctx.offset, shape);
    let Some(&a) = ctx.axes.first() else { return partial(reg.eval(&whole), ctx) };
    let across: usize =
        shape.iter().enumerate().filter(|&(i, _)| i != a).map(|(_, &n)| n).product();
    let t = (TILE / across.max(1)).max(1);
    if t >= shape[a] {
        return partial(reg.eval(&whole), ctx);
    }
    let mut acc: Option<P> = None;
    let mut s = whole[a].start;
    while s < whole[a].end {
        let e = (s + t).min(whole[a].end);
        let mut r = whole.clone();
        r[a] = s..e;
        let tile_ctx = Ctx {
            offset: r.iter().map(|r| r.start).collect(),
            global: ctx.global.clone(),
            axes: ctx.axes.clone(),
        };
        let q = partial(reg.eval(&r), &tile_ctx);
        acc = Some(match acc {
            None => q,
            Some(prev) => combine(vec![prev, q]),
        });
        s = e;
    }
    acc.expect("a non-empty axis has a tile")
}

pub(crate) fn fold_pairs<P>(v: Vec<P>, f: impl Fn(P, P) -> P) -> P {
    let mut it = v.into_iter();
    let first = it.next().expect("a combine has inputs");
    it.fold(first, f)
}

/// The fold of every row into one value per column (`fold_axis(Axis(0))`), with one pass over
/// the contiguous data when there is a single column (a reduction over all axes), where
/// folding row by row would cost a `Zip` per element.
pub(crate) fn fold_rows<T, A: Clone>(
    r: ArrayView2<'_, T>,
    init: A,
    f: impl Fn(&A, &T) -> A,
) -> ndarray::Array1<A> {
    if r.ncols() == 1 {
        ndarray::Array1::from_elem(1, r.iter().fold(init, |a, v| f(&a, v)))
    } else {
        r.fold_axis(ndarray::Axis(0), init, f)
    }
}
