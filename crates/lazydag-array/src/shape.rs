//! Shape operations: transpose, concatenate, stack.
//!
//! A transpose permutes the chunk grid and records one zero-copy task per block (ndarray's
//! `permuted_axes` on an `Arc`-shared block is metadata only). `concatenate` records no task
//! at all: the output's blocks are the inputs' blocks, after aligning the other axes.

use crate::array::{Array, Block, Region};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::Error;
use crate::rechunk::common_axis;
use crate::task;

impl<T: Element> Array<T> {
    /// The axes reversed, like NumPy's `x.T`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let a = ndarray::arr2(&[[1, 2, 3], [4, 5, 6]]);
    /// let x = da::from_ndarray(a.clone(), [1, 2]);
    /// assert_eq!(x.t().shape(), &[3, 2]);
    /// assert_eq!(x.t().compute().unwrap(), a.t().to_owned().into_dyn());
    /// ```
    pub fn t(&self) -> Array<T> {
        let n = self.ndim();
        self.transpose(&(0..n).rev().collect::<Vec<_>>())
    }

    /// The axes permuted: axis `i` of the result is axis `axes[i]` of `self`, like
    /// `numpy.transpose(x, axes)`. A list that is not a permutation of the axes gives an
    /// [`Error::Invalid`].
    pub fn transpose(&self, axes: &[usize]) -> Array<T> {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        let n = p.shape.len();
        let mut seen = vec![false; n];
        if axes.len() != n || axes.iter().any(|&a| a >= n || std::mem::replace(&mut seen[a], true))
        {
            return Array::failed(Error::invalid(
                "transpose",
                format!("{axes:?} is not a permutation of the {n} axes of shape {:?}", p.shape),
            ));
        }
        if axes.iter().enumerate().all(|(i, &a)| i == a) {
            return self.clone();
        }
        let sizes: Vec<Vec<usize>> = axes.iter().map(|&a| p.chunks.sizes()[a].clone()).collect();
        let out = Chunks::from_sizes(sizes);
        let perm = axes.to_vec();
        let blocks = out
            .indices()
            .map(|j| {
                let mut src = vec![0; n];
                for (i, &a) in perm.iter().enumerate() {
                    src[a] = j[i];
                }
                let perm = perm.clone();
                task::map1("transpose", &self.block(p, &src), move |b: Block<T>| {
                    b.permuted_axes(perm.as_slice())
                })
            })
            .collect();
        // Box `r` of the result is box `r` permuted back of `self`, transposed.
        let back = move |r: &[std::ops::Range<usize>], perm: &[usize]| {
            let mut src = vec![0..0; perm.len()];
            for (i, &a) in perm.iter().enumerate() {
                src[a] = r[i].clone();
            }
            src
        };
        let region = p.region.clone().map(|reg| {
            let linear = crate::pushdown::linear_transpose(reg.linear.as_ref(), &perm);
            let perm = perm.clone();
            let r = Region::new("transpose", move |r: &[std::ops::Range<usize>]| {
                reg.eval(&back(r, &perm)).permuted_axes(perm.as_slice())
            });
            Region { linear, ..r }
        });
        let x = self.clone();
        Array::from_parts(out, blocks).with_region(region).with_boxer(std::sync::Arc::new(
            move |r: &[std::ops::Range<usize>]| x.sub_box(&back(r, &perm)).transpose(&perm),
        ))
    }

    /// A new axis of length 1 at position `axis`, like `numpy.expand_dims`.
    pub fn insert_axis(&self, axis: usize) -> Array<T> {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        if axis > p.shape.len() {
            return Array::failed(Error::out_of_range(
                "insert_axis",
                &p.shape,
                format!("axis {axis} is beyond the {} axes", p.shape.len()),
            ));
        }
        let mut sizes = p.chunks.sizes().to_vec();
        sizes.insert(axis, vec![1]);
        let blocks = p
            .blocks
            .iter()
            .map(|d| {
                crate::remote::insert_axis_one(d, axis).unwrap_or_else(|| {
                    task::map1("insert-axis", d, move |b: Block<T>| {
                        b.insert_axis(ndarray::Axis(axis))
                    })
                })
            })
            .collect();
        Array::from_parts(Chunks::from_sizes(sizes), blocks)
    }
}

/// Joins arrays along an existing axis, like `dask.array.concatenate`. The other axes must
/// have equal lengths; their chunks are aligned to a common grid. Records no task when the
/// inputs' chunks already agree.
///
/// ```
/// use lazydag_array as da;
/// let a = da::ones::<i32>(&[2, 3], 2);
/// let b = da::zeros::<i32>(&[1, 3], 3);
/// let c = da::concatenate(&[a, b], 0);
/// assert_eq!(c.shape(), &[3, 3]);
/// assert_eq!(c.chunks().sizes()[0], vec![2, 1]);
/// assert_eq!(c.sum().compute_scalar().unwrap(), 6);
/// ```
pub fn concatenate<T: Element>(arrays: &[Array<T>], axis: usize) -> Array<T> {
    match concat(arrays, axis) {
        Ok(a) => a,
        Err(e) => Array::failed(e),
    }
}

fn concat<T: Element>(arrays: &[Array<T>], axis: usize) -> Result<Array<T>, Error> {
    let first = arrays
        .first()
        .ok_or_else(|| Error::invalid("concatenate", "needs at least one array"))?
        .parts()?;
    let shape = first.shape.clone();
    crate::rechunk::check_axis("concatenate", &shape, axis)?;
    for a in arrays {
        let s = &a.parts()?.shape;
        let same =
            s.len() == shape.len() && (0..shape.len()).all(|k| k == axis || s[k] == shape[k]);
        if !same {
            return Err(Error::ShapeMismatch {
                op: "concatenate",
                left: shape.clone(),
                right: s.clone(),
                why: format!("every axis but {axis} must have the same length"),
            });
        }
    }
    let n = shape.len();
    let any_nonzero = arrays.iter().any(|a| a.shape().get(axis).is_some_and(|&l| l > 0));
    let mut sizes: Vec<Vec<usize>> = Vec::with_capacity(n);
    for k in 0..n {
        if k == axis {
            let mut v = Vec::new();
            for a in arrays {
                let c = &a.parts()?.chunks.sizes()[k];
                if a.parts()?.shape[k] > 0 {
                    v.extend_from_slice(c);
                }
            }
            if v.is_empty() {
                v.push(0);
            }
            sizes.push(v);
        } else {
            let opts: Vec<&[usize]> = arrays
                .iter()
                .map(|a| a.inner.as_ref().map(|p| p.chunks.sizes()[k].as_slice()))
                .collect::<Result<_, _>>()
                .map_err(Clone::clone)?;
            sizes.push(common_axis(&opts));
        }
    }
    let out = Chunks::from_sizes(sizes);
    let mut conformed = Vec::with_capacity(arrays.len());
    for a in arrays {
        let p = a.parts()?;
        if p.shape[axis] == 0 && any_nonzero {
            continue;
        }
        let mut s = out.sizes().to_vec();
        s[axis] = p.chunks.sizes()[axis].clone();
        conformed.push(a.rechunk_to(&Chunks::from_sizes(s)));
    }
    // Which input, and which of its chunks, each chunk index along `axis` comes from: one
    // table, so that recording is linear in the blocks (a scan of the inputs per block made
    // concatenating thousands of arrays quadratic).
    let mut owner = Vec::with_capacity(out.sizes()[axis].len());
    let mut parts = Vec::with_capacity(conformed.len());
    for (i, a) in conformed.iter().enumerate() {
        let p = a.parts()?;
        owner.extend((0..p.chunks.sizes()[axis].len()).map(|k| (i, k)));
        parts.push(p);
    }
    let mut blocks = Vec::with_capacity(out.num_blocks());
    for j in out.indices() {
        let (i, k) = owner[j[axis]];
        let mut src = j.clone();
        src[axis] = k;
        blocks.push(conformed[i].block(parts[i], &src));
    }
    Ok(Array::from_parts(out, blocks))
}

/// Joins equally shaped arrays along a new axis, like `dask.array.stack`.
///
/// ```
/// use lazydag_array as da;
/// let s = da::stack(&[da::ones::<f64>(&[2], 1), da::zeros::<f64>(&[2], 1)], 1);
/// assert_eq!(s.compute().unwrap(), ndarray::arr2(&[[1.0, 0.0], [1.0, 0.0]]).into_dyn());
/// ```
pub fn stack<T: Element>(arrays: &[Array<T>], axis: usize) -> Array<T> {
    // An input's own error first: a failed array has no shape to compare.
    if let Some(err) = arrays.iter().find_map(|a| a.parts().err()) {
        return Array::failed(err);
    }
    if let Some(first) = arrays.first() {
        for a in arrays {
            if a.shape() != first.shape() {
                return Array::failed(Error::ShapeMismatch {
                    op: "stack",
                    left: first.shape().to_vec(),
                    right: a.shape().to_vec(),
                    why: "all arrays must have the same shape".into(),
                });
            }
        }
    }
    let lifted: Vec<Array<T>> = arrays.iter().map(|a| a.insert_axis(axis)).collect();
    concatenate(&lifted, axis)
}
