//! The reduction tree and the block views its partials use.
//!
//! Invariant: every combine and aggregate task takes at most `split_every` inputs, and the
//! inputs of a group are in row-major order over the reduced axes.

use std::sync::Arc;

use lazydag_core::Delayed;
use ndarray::{Array2, ArrayD, ArrayView2, IxDyn, Zip};

use crate::array::{Array, Block};
use crate::chunks::{Chunks, GridIter};
use crate::element::Element;
use crate::error::Error;
use crate::task;

/// The reduced axes, sorted; `None` means all.
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
    v.dedup();
    if let Some(&bad) = v.iter().find(|&&a| a >= shape.len()) {
        return Err(Error::out_of_range(op, shape, format!("axis {bad} does not exist")));
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
pub(crate) struct Ctx {
    /// The global index of the block's first element.
    pub(crate) offset: Vec<usize>,
    /// The array's shape.
    pub(crate) global: Arc<Vec<usize>>,
    /// The reduced axes, sorted.
    pub(crate) axes: Arc<Vec<usize>>,
}

/// Records the tree: `partial(block, offset)` per block, `combine` per group of at most
/// `k`, `finish` at each output block.
#[allow(clippy::too_many_arguments)]
pub(crate) fn tree<T, P, U>(
    x: &Array<T>,
    op: &'static str,
    axes: Option<&[usize]>,
    k: usize,
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
    let nd = p.shape.len();
    let kept: Vec<usize> = (0..nd).filter(|a| !axes.contains(a)).collect();
    let out = Chunks::from_sizes(kept.iter().map(|&a| p.chunks.sizes()[a].clone()).collect());
    let red_grid: Vec<usize> = axes.iter().map(|&a| p.chunks.grid()[a]).collect();
    let partial = Arc::new(partial);
    let combine = Arc::new(combine);
    let finish = Arc::new(finish);
    let global = Arc::new(p.shape.clone());
    let axes = Arc::new(axes);
    let blocks = out
        .indices()
        .map(|o| {
            let mut level: Vec<Delayed<P>> = GridIter::new(red_grid.clone())
                .map(|r| {
                    let mut idx = vec![0; nd];
                    for (i, &a) in kept.iter().enumerate() {
                        idx[a] = o[i];
                    }
                    for (i, &a) in axes.iter().enumerate() {
                        idx[a] = r[i];
                    }
                    let ctx = Ctx {
                        offset: p.chunks.block_offset(&idx),
                        global: global.clone(),
                        axes: axes.clone(),
                    };
                    let partial = partial.clone();
                    x.block(p, &idx).map(move |b: Block<T>| partial(b, &ctx)).name(op).shared()
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
    Array::from_parts(out, blocks)
}

pub(crate) fn fold_pairs<P>(v: Vec<P>, f: impl Fn(P, P) -> P) -> P {
    let mut it = v.into_iter();
    let first = it.next().expect("a combine has inputs");
    it.fold(first, f)
}
