//! Creation: arrays from constants, ranges, ndarrays and functions.
//!
//! Constant and range chunks are *recomputable sources*: deterministic and cheap, so their
//! tasks are marked `.inline()` and evaluated inside each consumer instead of being held
//! (the memory rule of `docs/array.md`). `from_ndarray` chunks are views of one `Arc`.

use std::sync::Arc;

use lazydag_core::delayed;
use ndarray::{ArcArray, ArrayBase, ArrayD, DataOwned, Dimension, IxDyn};
use num_traits::{One, Zero};

use crate::array::{Array, Block, Region};
use crate::chunks::{ChunkSpec, Chunks};
use crate::element::Element;
use crate::error::Error;
use crate::task;

/// Where a block lies: its grid position, the global position of its first element, its shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block's position in the block grid.
    pub index: Vec<usize>,
    /// The global index of the block's first element.
    pub offset: Vec<usize>,
    /// The block's shape.
    pub shape: Vec<usize>,
}

/// Builds an array whose every block is a recomputable source `f(info)`.
pub(crate) fn sources<T, F>(
    name: &'static str,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    recompute: bool,
    f: F,
) -> Array<T>
where
    T: Element,
    F: Fn(&BlockInfo) -> Block<T> + Send + Sync + 'static,
{
    let chunks = match Chunks::new(shape, chunks) {
        Ok(c) => c,
        Err(e) => return Array::failed(e),
    };
    if recompute {
        // A pure function of position: any box can be generated directly (crate::pushdown).
        let region = Region::new(name, move |r: &[std::ops::Range<usize>]| {
            f(&BlockInfo {
                index: Vec::new(),
                offset: r.iter().map(|r| r.start).collect(),
                shape: r.iter().map(|r| r.len()).collect(),
            })
        });
        return Array::from_region(region.into_source(shape), chunks);
    }
    let f = Arc::new(f);
    let blocks = chunks
        .indices()
        .map(|index| {
            let info = BlockInfo {
                offset: chunks.block_offset(&index),
                shape: chunks.block_shape(&index),
                index,
            };
            let f = f.clone();
            task::source(name, recompute, move || f(&info))
        })
        .collect();
    Array::from_parts(chunks, blocks)
}

/// An array filled with `value`, like `dask.array.full`.
///
/// ```
/// use lazydag_array as da;
/// let x = da::full(&[3, 2], [2, 2], 7u8);
/// assert_eq!(x.compute().unwrap(), ndarray::ArrayD::from_elem(vec![3, 2], 7u8));
/// ```
pub fn full<T: Element>(
    shape: impl AsRef<[usize]>,
    chunks: impl Into<ChunkSpec>,
    value: T,
) -> Array<T> {
    let shape = shape.as_ref();
    sources("full", shape, chunks, true, move |b| ArcArray::from_elem(IxDyn(&b.shape), value))
}

/// An array of zeros, like `dask.array.zeros`.
pub fn zeros<T: Element + Zero>(
    shape: impl AsRef<[usize]>,
    chunks: impl Into<ChunkSpec>,
) -> Array<T> {
    let shape = shape.as_ref();
    full(shape, chunks, T::zero())
}

/// An array of ones, like `dask.array.ones`.
pub fn ones<T: Element + One>(
    shape: impl AsRef<[usize]>,
    chunks: impl Into<ChunkSpec>,
) -> Array<T> {
    let shape = shape.as_ref();
    full(shape, chunks, T::one())
}

/// The values `start, start + step, ...` below `stop` (above it for a negative step), in
/// chunks of `chunk`, like `dask.array.arange`.
///
/// ```
/// use lazydag_array as da;
/// let x = da::arange(10i32, 0, -3, 2);
/// assert_eq!(x.compute().unwrap().into_raw_vec_and_offset().0, vec![10, 7, 4, 1]);
/// assert!(da::arange(0.0, 1.0, 0.0, 16).check().is_err()); // zero step
/// ```
///
/// Integer bounds are computed in integer arithmetic, exactly at any magnitude (an `f64`
/// holds integers exactly only up to 2^53; epoch nanoseconds are about 2^60):
///
/// ```
/// use lazydag_array as da;
/// let t0 = 1_700_000_000_000_000_001i64;
/// let x = da::arange(t0, t0 + 4, 1, 2).compute().unwrap();
/// assert_eq!(x.as_slice().unwrap(), &[t0, t0 + 1, t0 + 2, t0 + 3]);
/// ```
///
/// A step of 0 or a non-finite bound is an [`Error::Invalid`], returned by [`Array::check`]
/// and by `compute`.
pub fn arange<T: Element>(start: T, stop: T, step: T, chunk: usize) -> Array<T> {
    match (start.to_i128(), stop.to_i128(), step.to_i128()) {
        (Some(s), Some(e), Some(st)) => arange_int(s, e, st, chunk),
        _ => arange_as::<T>(start.to_f64(), stop.to_f64(), step.to_f64(), chunk),
    }
}

/// [`arange`] of an integer type, in `i128`.
fn arange_int<T: Element>(s: i128, e: i128, st: i128, chunk: usize) -> Array<T> {
    if st == 0 {
        return Array::failed(Error::invalid(
            "arange",
            format!("start {s}, stop {e}, step {st}: the step must be non-zero"),
        ));
    }
    // The number of values: ceil((e - s) / st) when the step points from s towards e.
    let span = e - s;
    let n = if span != 0 && (span > 0) == (st > 0) { (span + st - st.signum()) / st } else { 0 };
    if n >= isize::MAX as i128 {
        return Array::failed(Error::invalid("arange", format!("{n} elements are too many")));
    }
    if n > 0 {
        for v in [s, s + (n - 1) * st] {
            if T::from_i128(v).to_i128() != Some(v) {
                return Array::failed(Error::invalid(
                    "arange",
                    format!(
                        "the value {v} overflows {}: use a wider element type",
                        std::any::type_name::<T>()
                    ),
                ));
            }
        }
    }
    sources("arange", &[n as usize], [chunk], true, move |b| {
        let o = b.offset[0] as i128;
        ArcArray::from_shape_fn(IxDyn(&b.shape), move |i| T::from_i128(s + (o + i[0] as i128) * st))
    })
}

/// [`arange`] with `f64` bounds and the element type chosen apart, like
/// `dask.array.arange(start, stop, step, dtype=T)`: a value the type cannot hold (an
/// overflow) is an [`Error::Invalid`].
///
/// ```
/// use lazydag_array as da;
/// assert_eq!(da::arange_as::<u8>(250.0, 256.0, 1.0, 4).check().is_ok(), true);
/// let e = da::arange_as::<u8>(250.0, 300.0, 1.0, 4).check().unwrap_err();
/// assert!(e.to_string().contains("overflows u8"));
/// ```
pub fn arange_as<T: Element>(start: f64, stop: f64, step: f64, chunk: usize) -> Array<T> {
    let (s, e, st) = (start, stop, step);
    if st == 0.0 || !st.is_finite() || !s.is_finite() || !e.is_finite() {
        return Array::failed(Error::invalid(
            "arange",
            format!(
                "start {start:?}, stop {stop:?}, step {step:?}: bounds and step must be finite \
                 and the step non-zero"
            ),
        ));
    }
    let n = ((e - s) / st).ceil().max(0.0);
    if n >= (isize::MAX as f64) {
        return Array::failed(Error::invalid("arange", format!("{n} elements are too many")));
    }
    let n = n as usize;
    if n > 0 {
        let last = s + (n - 1) as f64 * st;
        for v in [s, last] {
            if v < T::min_f64() || v > T::max_f64() {
                return Array::failed(Error::invalid(
                    "arange",
                    format!(
                        "the value {v} overflows {}: use a wider element type",
                        std::any::type_name::<T>()
                    ),
                ));
            }
        }
    }
    sources("arange", &[n], [chunk], true, move |b| {
        let o = b.offset[0];
        ArcArray::from_shape_fn(IxDyn(&b.shape), move |i| T::from_f64(s + (o + i[0]) as f64 * st))
    })
}

/// `num` evenly spaced values from `start` to `stop` (included when `endpoint`), like
/// `dask.array.linspace`.
///
/// ```
/// use lazydag_array as da;
/// let x = da::linspace(0.0, 1.0, 5, true, 2).compute().unwrap();
/// assert_eq!(x.as_slice().unwrap(), &[0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
pub fn linspace(start: f64, stop: f64, num: usize, endpoint: bool, chunk: usize) -> Array<f64> {
    let div = if endpoint { num.saturating_sub(1) } else { num };
    let step = if div == 0 { 0.0 } else { (stop - start) / div as f64 };
    sources("linspace", &[num], [chunk], true, move |b| {
        let o = b.offset[0];
        ArcArray::from_shape_fn(IxDyn(&b.shape), move |i| {
            let k = o + i[0];
            if endpoint && k + 1 == num && num > 1 { stop } else { start + k as f64 * step }
        })
    })
}

/// The `n x n` identity matrix in chunks of `chunk`, like `dask.array.eye`.
pub fn eye(n: usize, chunk: usize) -> Array<f64> {
    sources("eye", &[n, n], chunk, true, |b| {
        let (r, c) = (b.offset[0], b.offset[1]);
        ArcArray::from_shape_fn(
            IxDyn(&b.shape),
            move |i| {
                if r + i[0] == c + i[1] { 1.0 } else { 0.0 }
            },
        )
    })
}

/// An array whose blocks are views of `a`, like `dask.array.from_array`: `a` is moved into
/// one `Arc` (without copying its buffer) and every chunk is a view of it. Pass an owned
/// `Array` or an `ArcArray` (`view.to_owned()` for a view).
/// Each chunk is a literal of the graph, so it is never recomputed; a slice or a reduction
/// (through elementwise operations) reads views of the `Arc` directly (`crate::pushdown`).
///
/// ```
/// use lazydag_array as da;
/// let a = ndarray::Array2::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as i64);
/// let x = da::from_ndarray(a.clone(), [3, 2]);
/// assert_eq!(x.chunks().sizes(), &[vec![3, 1], vec![2, 2, 1]]);
/// assert_eq!(x.compute().unwrap(), a.into_dyn());
/// ```
pub fn from_ndarray<T, S, D>(a: ArrayBase<S, D>, chunks: impl Into<ChunkSpec>) -> Array<T>
where
    T: Element,
    S: DataOwned<Elem = T>,
    D: Dimension,
{
    let whole: Block<T> = a.into_dyn().into_shared();
    let chunks = match Chunks::new(whole.shape(), chunks) {
        Ok(c) => c,
        Err(e) => return Array::failed(e),
    };
    let blocks = chunks
        .indices()
        .map(|idx| {
            let region = crate::array::region(&chunks, &idx);
            delayed(whole.clone().slice_move(region.as_slice())).name("from-ndarray")
        })
        .collect();
    // Any box is a view of the same `Arc`: slices and fused reductions read only the box.
    let region = Region::new("from-ndarray", move |r: &[std::ops::Range<usize>]| {
        whole.clone().slice_move(crate::array::slice_info(r).as_slice())
    });
    Array::from_parts(chunks, blocks).with_region(Some(region))
}

/// An array whose block at each grid position is `f(&info)`, like `dask.array.map_blocks`
/// with no inputs (or `dask.array.from_delayed` of a function per block). `f` runs once per
/// block per compute; a block of the wrong shape fails the compute with an error naming its
/// task.
///
/// ```
/// use lazydag_array as da;
/// let x = da::from_fn(&[4, 4], 2, |b| {
///     ndarray::ArrayD::from_elem(b.shape.clone(), (b.index[0] * 10 + b.index[1]) as i32)
/// });
/// assert_eq!(x.compute().unwrap()[[3, 0]], 10);
/// ```
pub fn from_fn<T, F>(shape: impl AsRef<[usize]>, chunks: impl Into<ChunkSpec>, f: F) -> Array<T>
where
    T: Element,
    F: Fn(&BlockInfo) -> ArrayD<T> + Send + Sync + 'static,
{
    let shape = shape.as_ref();
    build_from_fn(shape, chunks, false, f)
}

/// Like [`from_fn`], for a pure and cheap `f`: its blocks are recomputed in each consumer
/// instead of being held in memory (see the memory rule in `docs/array.md`).
pub fn from_fn_pure<T, F>(
    shape: impl AsRef<[usize]>,
    chunks: impl Into<ChunkSpec>,
    f: F,
) -> Array<T>
where
    T: Element,
    F: Fn(&BlockInfo) -> ArrayD<T> + Send + Sync + 'static,
{
    let shape = shape.as_ref();
    build_from_fn(shape, chunks, true, f)
}

fn build_from_fn<T, F>(shape: &[usize], chunks: impl Into<ChunkSpec>, pure: bool, f: F) -> Array<T>
where
    T: Element,
    F: Fn(&BlockInfo) -> ArrayD<T> + Send + Sync + 'static,
{
    let chunks = match Chunks::new(shape, chunks) {
        Ok(c) => c,
        Err(e) => return Array::failed(e),
    };
    let f = Arc::new(f);
    let blocks = chunks
        .indices()
        .map(|index| {
            let info = BlockInfo {
                offset: chunks.block_offset(&index),
                shape: chunks.block_shape(&index),
                index,
            };
            let f = f.clone();
            let d = delayed(())
                .try_map(move |()| {
                    let b = f(&info);
                    if b.shape() == info.shape.as_slice() {
                        Ok(b.into_shared())
                    } else {
                        Err(Error::ShapeMismatch {
                            op: "from_fn",
                            left: b.shape().to_vec(),
                            right: info.shape.clone(),
                            why: "the function must return a block of the chunk's shape".into(),
                        })
                    }
                })
                .name("from-fn")
                .shared();
            if pure { d.inline() } else { d }
        })
        .collect();
    Array::from_parts(chunks, blocks)
}
