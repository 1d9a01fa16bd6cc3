//! Elementwise operations with NumPy broadcasting, on a common chunk grid.
//!
//! Operands are aligned like NumPy (shapes compared from the last axis; an axis of length 1,
//! or a missing one, stretches). On every axis the output takes the finest grid that refines
//! the chunks of all operands that are not stretched there, and operands are rechunked to it
//! ([`Array::rechunk`]) when they differ: so operands with different chunkings just work.
//! Output block `j` is one task whose inputs are the operands' blocks at `j` (block 0 on a
//! stretched axis).

use std::ops::Range;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn, Zip};

use crate::array::{Array, Block, Inner, Region};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::Error;
use crate::pushdown::operand_box;
use crate::rechunk::common_axis;
use crate::task;

/// An operand of an elementwise operation: an array or a scalar.
#[derive(Clone, Debug)]
pub enum Operand<T> {
    /// An array (broadcast against the others).
    Array(Array<T>),
    /// A scalar (applied to every element).
    Scalar(T),
}

impl<T> From<&Array<T>> for Operand<T> {
    fn from(a: &Array<T>) -> Self {
        Operand::Array(a.clone())
    }
}

impl<T> From<Array<T>> for Operand<T> {
    fn from(a: Array<T>) -> Self {
        Operand::Array(a)
    }
}

macro_rules! scalar_operand {
    ($($t:ty),*) => {$(
        impl From<$t> for Operand<$t> {
            fn from(v: $t) -> Self {
                Operand::Scalar(v)
            }
        }
    )*};
}
scalar_operand!(f64, f32, i64, i32, u64, u8, bool);

/// The broadcast shape of two shapes.
pub(crate) fn broadcast_shape(
    op: &'static str,
    a: &[usize],
    b: &[usize],
) -> Result<Vec<usize>, Error> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for k in 0..n {
        let x = if k < n - a.len() { 1 } else { a[k - (n - a.len())] };
        let y = if k < n - b.len() { 1 } else { b[k - (n - b.len())] };
        out[k] = if x == y || y == 1 {
            x
        } else if x == 1 {
            y
        } else {
            return Err(Error::Broadcast { op, left: a.to_vec(), right: b.to_vec() });
        };
    }
    Ok(out)
}

/// Aligns operands (given by shape and chunks) for an elementwise operation: the output
/// shape and chunks. Output block `j` then reads each conformed operand's block at
/// [`source_block`].
pub(crate) fn align(
    op: &'static str,
    operands: &[(&[usize], &Chunks)],
) -> Result<(Vec<usize>, Chunks), Error> {
    let mut shape: Vec<usize> = operands[0].0.to_vec();
    for (s, _) in &operands[1..] {
        shape = broadcast_shape(op, &shape, s)?;
    }
    let n = shape.len();
    let sizes = (0..n)
        .map(|d| {
            let options: Vec<&[usize]> = operands
                .iter()
                .filter_map(|(s, c)| {
                    let off = n - s.len();
                    (d >= off && s[d - off] == shape[d]).then(|| c.sizes()[d - off].as_slice())
                })
                .collect();
            if options.is_empty() { vec![shape[d]] } else { common_axis(&options) }
        })
        .collect();
    Ok((shape.clone(), Chunks::checked(&shape, sizes)?))
}

/// `a` rechunked to the non-stretched axes of `out`.
pub(crate) fn conform<T: Element>(a: &Array<T>, out: &Chunks) -> Array<T> {
    let Ok(p) = a.parts() else { return a.clone() };
    let n = out.ndim();
    let off = n - p.shape.len();
    let sizes = (0..p.shape.len())
        .map(|k| {
            if p.shape[k] == out.shape()[k + off] {
                out.sizes()[k + off].clone()
            } else {
                p.chunks.sizes()[k].clone()
            }
        })
        .collect();
    a.rechunk_to(&Chunks::from_sizes(sizes))
}

/// The block of a conformed operand that output block `j` reads.
pub(crate) fn source_block<T: Element>(
    p: &Inner<T>,
    out_shape: &[usize],
    j: &[usize],
) -> lazydag_core::Delayed<Block<T>> {
    let off = out_shape.len() - p.shape.len();
    let idx: Vec<usize> = (0..p.shape.len())
        .map(|k| if p.shape[k] == out_shape[k + off] { j[k + off] } else { 0 })
        .collect();
    p.blocks[p.chunks.linear(&idx)].clone()
}

/// `f` applied to `x` and `y` broadcast to `shape`, written into `x`'s buffer when `x` is
/// its block's only owner and already has the output's shape (so a chain of arithmetic on
/// fresh blocks allocates nothing new), into a new array otherwise.
pub(crate) fn zip_reuse<T: Element>(
    x: Block<T>,
    y: Block<T>,
    shape: &[usize],
    f: impl Fn(T, T) -> T,
) -> Block<T> {
    if x.is_unique() && x.shape() == shape {
        let mut o = x;
        let y = y.broadcast(IxDyn(shape)).expect("aligned");
        Zip::from(o.view_mut()).and(&y).for_each(|a, &b| *a = f(*a, b));
        o
    } else if y.is_unique() && y.shape() == shape {
        let mut o = y;
        let x = x.broadcast(IxDyn(shape)).expect("aligned");
        Zip::from(o.view_mut()).and(&x).for_each(|b, &a| *b = f(a, *b));
        o
    } else {
        let sh = IxDyn(shape);
        let (x, y) = (x.broadcast(sh.clone()).expect("aligned"), y.broadcast(sh).expect("aligned"));
        Zip::from(&x).and(&y).map_collect(|&p, &q| f(p, q)).into_shared()
    }
}

/// Like [`zip2`] for an operation whose output type is its input type, reusing buffers.
pub(crate) fn zip_same<T, F>(name: &'static str, a: &Array<T>, b: &Array<T>, f: F) -> Array<T>
where
    T: Element,
    F: Fn(T, T) -> T + Copy + Send + Sync + 'static,
{
    zip_blocks(name, a, b, move |x: Block<T>, y: Block<T>, sh: &[usize]| zip_reuse(x, y, sh, f))
}

fn zip2<A, B, T, F>(name: &'static str, a: &Array<A>, b: &Array<B>, f: F) -> Array<T>
where
    A: Element,
    B: Element,
    T: Element,
    F: Fn(A, B) -> T + Copy + Send + Sync + 'static,
{
    zip_blocks(name, a, b, move |x: Block<A>, y: Block<B>, sh: &[usize]| {
        let sh = IxDyn(sh);
        let (x, y) = (x.broadcast(sh.clone()).expect("aligned"), y.broadcast(sh).expect("aligned"));
        Zip::from(&x).and(&y).map_collect(|&p, &q| f(p, q)).into_shared()
    })
}

/// The one blockwise binary operation: `a` and `b` broadcast and rechunked to a common grid,
/// then one task per output block running `kernel(block of a, block of b, output block shape)`.
fn zip_blocks<A, B, T, K>(name: &'static str, a: &Array<A>, b: &Array<B>, kernel: K) -> Array<T>
where
    A: Element,
    B: Element,
    T: Element,
    K: Fn(Block<A>, Block<B>, &[usize]) -> Block<T> + Copy + Send + Sync + 'static,
{
    let aligned = a
        .parts()
        .and_then(|pa| b.parts().map(|pb| (pa, pb)))
        .and_then(|(pa, pb)| align(name, &[(&pa.shape, &pa.chunks), (&pb.shape, &pb.chunks)]));
    let (shape, out) = match aligned {
        Ok(v) => v,
        Err(e) => return Array::failed(e),
    };
    let (a, b) = (conform(a, &out), conform(b, &out));
    let (pa, pb) = match (a.parts(), b.parts()) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return Array::failed(e),
    };
    let blocks = out
        .indices()
        .map(|j| {
            let sh = out.block_shape(&j);
            task::map2(
                name,
                &source_block(pa, &shape, &j),
                &source_block(pb, &shape, &j),
                move |x: Block<A>, y: Block<B>| kernel(x, y, &sh),
            )
        })
        .collect();
    let region = match (&pa.region, &pb.region) {
        (Some(ra), Some(rb)) => {
            let (ra, rb, sa, sb) = (ra.clone(), rb.clone(), pa.shape.clone(), pb.shape.clone());
            let shape = shape.clone();
            Some(Region::new(name, move |r: &[Range<usize>]| {
                let sh: Vec<usize> = r.iter().map(|r| r.len()).collect();
                kernel(
                    ra.eval(&operand_box(&sa, &shape, r)),
                    rb.eval(&operand_box(&sb, &shape, r)),
                    &sh,
                )
            }))
        }
        _ => None,
    };
    let (sa, sb) = (pa.shape.clone(), pb.shape.clone());
    let boxer = Arc::new(move |r: &[Range<usize>]| {
        zip_blocks(
            name,
            &a.sub_box(&operand_box(&sa, &shape, r)),
            &b.sub_box(&operand_box(&sb, &shape, r)),
            kernel,
        )
    });
    Array::from_parts(out, blocks).with_region(region).with_boxer(boxer)
}

impl<T: Element> Array<T> {
    /// Applies `f` to every element, one task per block (`x.map(|v| v * 2.0)`; like a NumPy
    /// ufunc).
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i32, 4, 1, 2).map(|v| v * v);
    /// assert_eq!(x.compute().unwrap().as_slice().unwrap(), &[0, 1, 4, 9]);
    /// ```
    pub fn map<U, F>(&self, f: F) -> Array<U>
    where
        U: Element,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        self.map_named("map", f)
    }

    /// Like [`map_named`](Array::map_named) for a function of one type, in place when the
    /// block has no other owner.
    pub(crate) fn map_same<F>(&self, name: &'static str, f: F) -> Array<T>
    where
        F: Fn(T) -> T + Send + Sync + 'static,
    {
        self.map_each_block(name, f, |b: Block<T>, f: &F| {
            if b.is_unique() {
                let mut b = b;
                b.view_mut().mapv_inplace(f);
                b
            } else {
                b.mapv(f).into_shared()
            }
        })
    }

    pub(crate) fn map_named<U, F>(&self, name: &'static str, f: F) -> Array<U>
    where
        U: Element,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        self.map_each_block(name, f, |b: Block<T>, f: &F| b.mapv(f).into_shared())
    }

    /// The one blockwise unary operation: one task per block running `kernel(block, &f)`,
    /// with `f` shared by every task.
    fn map_each_block<U, F, K>(&self, name: &'static str, f: F, kernel: K) -> Array<U>
    where
        U: Element,
        F: Send + Sync + 'static,
        K: Fn(Block<T>, &F) -> Block<U> + Copy + Send + Sync + 'static,
    {
        self.map_each_block_arc(name, Arc::new(f), kernel)
    }

    fn map_each_block_arc<U, F, K>(&self, name: &'static str, f: Arc<F>, kernel: K) -> Array<U>
    where
        U: Element,
        F: Send + Sync + 'static,
        K: Fn(Block<T>, &F) -> Block<U> + Copy + Send + Sync + 'static,
    {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        let blocks = p
            .blocks
            .iter()
            .map(|d| {
                let f = f.clone();
                task::map1(name, d, move |b: Block<T>| kernel(b, &f))
            })
            .collect();
        let region = p.region.clone().map(|reg| {
            let f = f.clone();
            Region::new(name, move |r: &[Range<usize>]| kernel(reg.eval(r), &f))
        });
        let x = self.clone();
        Array::from_parts(p.chunks.clone(), blocks).with_region(region).with_boxer(Arc::new(
            move |r: &[Range<usize>]| x.sub_box(r).map_each_block_arc(name, f.clone(), kernel),
        ))
    }

    /// Combines two operands elementwise with `f`, broadcasting; the common kernel of the
    /// arithmetic operators and comparisons.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i64, 3, 1, 2);                       // shape [3]
    /// let col = da::from_ndarray(ndarray::arr2(&[[10i64], [20]]), 1); // shape [2, 1]
    /// let y = x.zip_with(&col, |a, b| a + b);                  // shape [2, 3]
    /// assert_eq!(y.compute().unwrap(), ndarray::arr2(&[[10, 11, 12], [20, 21, 22]]).into_dyn());
    /// ```
    pub fn zip_with<U, F>(&self, other: impl Into<Operand<T>>, f: F) -> Array<U>
    where
        U: Element,
        F: Fn(T, T) -> U + Copy + Send + Sync + 'static,
    {
        self.binary("zip", other.into(), f)
    }

    pub(crate) fn binary<U, F>(&self, name: &'static str, other: Operand<T>, f: F) -> Array<U>
    where
        U: Element,
        F: Fn(T, T) -> U + Copy + Send + Sync + 'static,
    {
        match other {
            Operand::Scalar(s) => self.map_named(name, move |v| f(v, s)),
            Operand::Array(o) => zip2(name, self, &o, f),
        }
    }

    /// Elementwise `self > other` (an array or a scalar), like NumPy's `x > y`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0.0, 4.0, 1.0, 3);
    /// assert_eq!(x.gt(1.5).compute().unwrap().as_slice().unwrap(), &[false, false, true, true]);
    /// ```
    pub fn gt(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary("gt", other.into(), |a, b| a > b)
    }

    /// Elementwise `self >= other`.
    pub fn ge(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary("ge", other.into(), |a, b| a >= b)
    }

    /// Elementwise `self < other`.
    pub fn lt(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary("lt", other.into(), |a, b| a < b)
    }

    /// Elementwise `self <= other`.
    pub fn le(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary("le", other.into(), |a, b| a <= b)
    }

    /// Elementwise `self == other`.
    pub fn equal(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary("eq", other.into(), |a, b| a == b)
    }

    /// Elementwise `self != other`.
    pub fn not_equal(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary("ne", other.into(), |a, b| a != b)
    }

    /// The values clipped to `[min, max]`, like `numpy.clip`: `minimum(maximum(v, min), max)`,
    /// so with `min > max` every value is `max`, and a NaN value or bound propagates.
    pub fn clip(&self, min: T, max: T) -> Array<T> {
        #[allow(clippy::eq_op, reason = "`x != x` is how a generic `PartialOrd` finds a NaN")]
        self.map_named("clip", move |v| {
            let raised = if v < min || min != min { min } else { v };
            if raised > max || max != max { max } else { raised }
        })
    }

    /// The values converted to `U`, like NumPy's `astype`: from an integer type (or `bool`)
    /// exactly, wrapping into a narrower integer type as NumPy does (`300` as `u8` is `44`,
    /// `-1` is `255`), to the nearest value of a float type; from a float type through `f64`,
    /// truncating towards zero into an integer type and saturating at its bounds (NaN is 0;
    /// NumPy leaves those undefined and warns). `x != 0` to `bool`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0.0, 3.0, 0.5, 4).astype::<i32>();
    /// assert_eq!(x.compute().unwrap().as_slice().unwrap(), &[0, 0, 1, 1, 2, 2]);
    /// let big = da::from_ndarray(ndarray::arr1(&[(1i64 << 53) + 1, 300, -1]), 2);
    /// assert_eq!(big.astype::<i64>().compute().unwrap().as_slice().unwrap(), &[(1i64 << 53) + 1, 300, -1]);
    /// assert_eq!(big.astype::<u8>().compute().unwrap().as_slice().unwrap(), &[1, 44, 255]);
    /// ```
    pub fn astype<U: Element>(&self) -> Array<U> {
        self.map_named("astype", |v: T| match v.to_i128() {
            Some(i) => U::from_i128(i),
            None => U::from_f64(v.to_f64()),
        })
    }

    /// Applies a kernel to every block, like `dask.array.map_blocks`: `f` gets a block's
    /// view and returns the output block, which must have the same shape (a different
    /// shape fails the compute with an error naming the task).
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0.0, 6.0, 1.0, 3);
    /// let y = x.map_blocks(|b| &b - b.sum()); // subtract each block's sum
    /// assert_eq!(y.compute().unwrap().as_slice().unwrap(), &[-3.0, -2.0, -1.0, -9.0, -8.0, -7.0]);
    /// ```
    pub fn map_blocks<U, F>(&self, f: F) -> Array<U>
    where
        U: Element,
        F: Fn(ndarray::ArrayViewD<'_, T>) -> ArrayD<U> + Send + Sync + 'static,
    {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        let f = std::sync::Arc::new(f);
        let blocks = p
            .blocks
            .iter()
            .map(|d| {
                let f = f.clone();
                d.try_map(move |b: Block<T>| {
                    let out = f(b.view());
                    if out.shape() == b.shape() {
                        Ok(out.into_shared())
                    } else {
                        Err(Error::ShapeMismatch {
                            op: "map_blocks",
                            left: b.shape().to_vec(),
                            right: out.shape().to_vec(),
                            why: "the kernel must return a block of its input's shape".into(),
                        })
                    }
                })
                .name("map-blocks")
                .shared()
            })
            .collect();
        Array::from_parts(p.chunks.clone(), blocks)
    }
}

/// `x` where `cond` is true, `y` elsewhere, broadcasting all three, like `numpy.where`.
///
/// ```
/// use lazydag_array as da;
/// let x = da::arange(0i64, 5, 1, 2);
/// let y = da::where_(&x.gt(2), &x, -1);
/// assert_eq!(y.compute().unwrap().as_slice().unwrap(), &[-1, -1, -1, 3, 4]);
/// ```
pub fn where_<T: Element>(
    cond: &Array<bool>,
    x: impl Into<Operand<T>>,
    y: impl Into<Operand<T>>,
) -> Array<T> {
    let lift = |o: Operand<T>| match o {
        Operand::Array(a) => a,
        Operand::Scalar(s) => Array::from_parts(
            Chunks::from_sizes(vec![]),
            vec![lazydag_core::delayed(ndarray::ArcArray::from_elem(IxDyn(&[]), s))],
        ),
    };
    let (x, y) = (lift(x.into()), lift(y.into()));
    let aligned = (|| {
        let (pc, px, py) = (cond.parts()?, x.parts()?, y.parts()?);
        align(
            "where_",
            &[(&pc.shape, &pc.chunks), (&px.shape, &px.chunks), (&py.shape, &py.chunks)],
        )
    })();
    let (shape, out) = match aligned {
        Ok(v) => v,
        Err(e) => return Array::failed(e),
    };
    let (c, x, y) = (conform(cond, &out), conform(&x, &out), conform(&y, &out));
    let (pc, px, py) = match (c.parts(), x.parts(), y.parts()) {
        (Ok(a), Ok(b), Ok(d)) => (a, b, d),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Array::failed(e),
    };
    let blocks = out
        .indices()
        .map(|j| {
            let sh = out.block_shape(&j);
            task::map3(
                "where",
                &source_block(pc, &shape, &j),
                &source_block(px, &shape, &j),
                &source_block(py, &shape, &j),
                move |c: Block<bool>, a: Block<T>, b: Block<T>| {
                    let sh = IxDyn(&sh);
                    let c = c.broadcast(sh.clone()).expect("aligned");
                    let a = a.broadcast(sh.clone()).expect("aligned");
                    let b = b.broadcast(sh).expect("aligned");
                    Zip::from(&c)
                        .and(&a)
                        .and(&b)
                        .map_collect(|&c, &a, &b| if c { a } else { b })
                        .into_shared()
                },
            )
        })
        .collect();
    Array::from_parts(out, blocks)
}
