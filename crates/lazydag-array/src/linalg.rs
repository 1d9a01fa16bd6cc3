//! Blockwise linear algebra: `dot`, `matmul`, `tensordot` (2-d).
//!
//! `C[i, j] = Σ_l A[i, l] · B[l, j]` over blocks: the contracted axis of both operands is
//! first rechunked to a common grid, each block product is one task (ndarray's `dot`, so the
//! chunk kernel is `matrixmultiply`), and the products of each output block are summed in a
//! tree of at most `split_every` inputs per task.

use lazydag_core::Delayed;
use ndarray::{Ix2, LinalgScalar, Zip};

use crate::array::{Array, Block};
use crate::chunks::{Chunks, refine};
use crate::element::Element;
use crate::error::Error;
use crate::reduce::SPLIT_EVERY;
use crate::s;
use crate::task;

fn matmul2<T: Element + LinalgScalar>(a: &Array<T>, b: &Array<T>, k: usize) -> Array<T> {
    let (pa, pb) = match (a.parts(), b.parts()) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return Array::failed(e),
    };
    if pa.shape[1] != pb.shape[0] {
        return Array::failed(Error::ShapeMismatch {
            op: "dot",
            left: pa.shape.clone(),
            right: pb.shape.clone(),
            why: format!(
                "the last axis of the left ({}) must equal the first axis of the right ({})",
                pa.shape[1], pb.shape[0]
            ),
        });
    }
    let kc = refine(&pa.chunks.sizes()[1], &pb.chunks.sizes()[0]);
    let a = a.rechunk_to(&Chunks::from_sizes(vec![pa.chunks.sizes()[0].clone(), kc.clone()]));
    let b = b.rechunk_to(&Chunks::from_sizes(vec![kc.clone(), pb.chunks.sizes()[1].clone()]));
    let (pa, pb) = match (a.parts(), b.parts()) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return Array::failed(e),
    };
    let sizes = vec![pa.chunks.sizes()[0].clone(), pb.chunks.sizes()[1].clone()];
    let out = match Chunks::checked(&[pa.shape[0], pb.shape[1]], sizes) {
        Ok(out) => out,
        Err(e) => return Array::failed(e),
    };
    let nk = kc.len();
    let blocks = out
        .indices()
        .map(|o| {
            let shape = out.block_shape(&o);
            let mut level: Vec<Delayed<Block<T>>> = (0..nk)
                .map(|l| {
                    let shape = shape.clone();
                    task::map2(
                        "dot",
                        &a.block(pa, &[o[0], l]),
                        &b.block(pb, &[l, o[1]]),
                        move |x: Block<T>, y: Block<T>| {
                            let x = x.view().into_dimensionality::<Ix2>().expect("2-d block");
                            let y = y.view().into_dimensionality::<Ix2>().expect("2-d block");
                            if x.ncols() == 0 {
                                return ndarray::ArcArray::from_elem(shape.as_slice(), T::zero());
                            }
                            x.dot(&y).into_dyn().into_shared()
                        },
                    )
                })
                .collect();
            while level.len() > 1 {
                level = level
                    .chunks(k)
                    .map(|g| {
                        if g.len() == 1 {
                            return g[0].clone();
                        }
                        task::map_n("dot-sum", g.to_vec(), |v: Vec<Block<T>>| {
                            let mut it = v.into_iter();
                            let mut acc = it.next().expect("a sum has inputs").into_owned();
                            for b in it {
                                Zip::from(&mut acc).and(&b).for_each(|a, &b| *a = *a + b);
                            }
                            acc.into_shared()
                        })
                    })
                    .collect();
            }
            level.pop().expect("at least one product")
        })
        .collect();
    Array::from_parts(out, blocks)
}

impl<T: Element + LinalgScalar> Array<T> {
    /// The matrix product, like `numpy.dot` for 1-d and 2-d operands: matrix·matrix,
    /// matrix·vector, vector·matrix and vector·vector (a 0-d result). Axes that do not
    /// match are an [`Error::ShapeMismatch`] naming both shapes.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let a = ndarray::Array2::from_shape_fn((5, 4), |(i, j)| (i + 2 * j) as f64);
    /// let b = ndarray::Array2::from_shape_fn((4, 3), |(i, j)| (i * j) as f64 - 1.0);
    /// let c = da::from_ndarray(a.clone(), [2, 3]).dot(&da::from_ndarray(b.clone(), [1, 2]));
    /// assert_eq!(c.compute().unwrap(), a.dot(&b).into_dyn());
    /// ```
    pub fn dot(&self, other: &Array<T>) -> Array<T> {
        self.dot_split(other, SPLIT_EVERY)
    }

    /// [`dot`](Array::dot) with at most `split_every` products summed per task.
    pub fn dot_split(&self, other: &Array<T>, split_every: usize) -> Array<T> {
        if split_every < 2 {
            return Array::failed(Error::invalid("dot", "split_every must be at least 2"));
        }
        if let (1 | 2, 1 | 2) = (self.ndim(), other.ndim())
            && let Err(e) = contracted("dot", self, self.ndim() - 1, other, 0)
        {
            return Array::failed(e);
        }
        match (self.ndim(), other.ndim()) {
            (2, 2) => matmul2(self, other, split_every),
            (2, 1) => matmul2(self, &other.insert_axis(1), split_every).slice(s![.., 0]),
            (1, 2) => matmul2(&self.insert_axis(0), other, split_every).slice(s![0, ..]),
            (1, 1) => {
                matmul2(&self.insert_axis(0), &other.insert_axis(1), split_every).slice(s![0, 0])
            }
            (l, r) => {
                let err = self.check().and_then(|_| other.check()).err();
                Array::failed(err.unwrap_or_else(|| Error::ShapeMismatch {
                    op: "dot",
                    left: self.shape().to_vec(),
                    right: other.shape().to_vec(),
                    why: format!("dot takes 1-d or 2-d operands, not {l}-d and {r}-d"),
                }))
            }
        }
    }

    /// The matrix product of 2-d (or 1-d) arrays, like `numpy.matmul` (`a @ b`).
    pub fn matmul(&self, other: &Array<T>) -> Array<T> {
        self.dot(other)
    }

    /// The contraction of axis `axes.0` of `self` with axis `axes.1` of `other`, for 2-d
    /// arrays, like `numpy.tensordot(a, b, axes=([i], [j]))`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let a = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i + j) as f64);
    /// let x = da::from_ndarray(a.clone(), 2);
    /// let aat = x.tensordot(&x, (1, 1)); // a · aᵀ
    /// assert_eq!(aat.compute().unwrap(), a.dot(&a.t()).into_dyn());
    /// ```
    pub fn tensordot(&self, other: &Array<T>, axes: (usize, usize)) -> Array<T> {
        if self.ndim() != 2 || other.ndim() != 2 || axes.0 > 1 || axes.1 > 1 {
            let err = self.check().and_then(|_| other.check()).err();
            return Array::failed(err.unwrap_or_else(|| {
                Error::invalid(
                    "tensordot",
                    format!(
                        "only 2-d operands and axes 0 or 1 are supported (shapes {:?} and {:?}, axes {axes:?})",
                        self.shape(),
                        other.shape()
                    ),
                )
            }));
        }
        if let Err(e) = contracted("tensordot", self, axes.0, other, axes.1) {
            return Array::failed(e);
        }
        let a = if axes.0 == 1 { self.clone() } else { self.t() };
        let b = if axes.1 == 0 { other.clone() } else { other.t() };
        a.dot(&b)
    }
}

/// Checks, on the caller's own operands and under its name, that axis `ax` of `a` and axis
/// `bx` of `b` (the contracted ones) have one length: before `dot` lifts a 1-d operand or
/// `tensordot` transposes, so that the error names the shapes the caller gave. An operand's
/// own error comes first.
fn contracted<T: Element>(
    op: &'static str,
    a: &Array<T>,
    ax: usize,
    b: &Array<T>,
    bx: usize,
) -> Result<(), Error> {
    let (pa, pb) = (a.parts()?, b.parts()?);
    if pa.shape[ax] == pb.shape[bx] {
        return Ok(());
    }
    Err(Error::ShapeMismatch {
        op,
        left: pa.shape.clone(),
        right: pb.shape.clone(),
        why: format!(
            "axis {ax} of the left ({}) must equal axis {bx} of the right ({})",
            pa.shape[ax], pb.shape[bx]
        ),
    })
}
