//! Integer-array ("fancy") indexing along one axis: `x.take(&[3, 0, 3, -1], axis)`, like
//! `numpy.take` and dask's `x[[3, 0, 3, -1]]`.
//!
//! The indices are cut into runs of consecutive entries that fall in the same input chunk;
//! each run is one output chunk along the axis, and each output block is one task selecting
//! (`ndarray::select`) from exactly one input block. So the output has as many chunks along
//! the axis as the indices change chunk, input chunks no index falls in get no task (their
//! ancestors never run), and sorted indices give one chunk per input chunk touched.

use ndarray::Axis;

use crate::array::{Array, Block};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::Error;
use crate::task;

impl<T: Element> Array<T> {
    /// The elements at `indices` along `axis`, in that order (repeats allowed, negative
    /// indices count from the end), like `numpy.take(x, indices, axis)` or `x[..., indices]`.
    /// An index outside the axis is an [`Error::OutOfRange`].
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i64, 10, 1, 4);
    /// let y = x.take(&[7, 1, 2, -1], 0);
    /// assert_eq!(y.compute().unwrap().as_slice().unwrap(), &[7, 1, 2, 9]);
    /// assert_eq!(y.chunks().sizes(), &[vec![1, 2, 1]]); // runs within one input chunk
    /// assert!(x.take(&[10], 0).check().is_err());
    /// ```
    pub fn take(&self, indices: &[isize], axis: usize) -> Array<T> {
        match self.try_take(indices, axis) {
            Ok(a) => a,
            Err(e) => Array::failed(e),
        }
    }

    fn try_take(&self, indices: &[isize], axis: usize) -> Result<Array<T>, Error> {
        let p = self.parts()?;
        crate::rechunk::check_axis("take", &p.shape, axis)?;
        let len = p.shape[axis];
        let offs = p.chunks.offsets(axis);
        // (input chunk, local indices) per run.
        let mut runs: Vec<(usize, Vec<usize>)> = Vec::new();
        for &i in indices {
            let v = if i < 0 { len as isize + i } else { i };
            if v < 0 || v >= len as isize {
                return Err(Error::out_of_range(
                    "take",
                    &p.shape,
                    format!("index {i} is outside axis {axis} of length {len}"),
                ));
            }
            let v = v as usize;
            let b = offs.partition_point(|&o| o <= v) - 1;
            match runs.last_mut() {
                Some((rb, local)) if *rb == b => local.push(v - offs[b]),
                _ => runs.push((b, vec![v - offs[b]])),
            }
        }
        let mut sizes = p.chunks.sizes().to_vec();
        if runs.is_empty() {
            // No index: one empty chunk along the axis (an empty axis has one chunk of 0),
            // and no task reads an input chunk.
            sizes[axis] = vec![0];
            return Ok(Array::empty(Chunks::from_sizes(sizes)));
        }
        sizes[axis] = runs.iter().map(|r| r.1.len()).collect();
        let mut shape = p.shape.clone();
        shape[axis] = indices.len();
        let out = Chunks::checked(&shape, sizes)?;
        let runs = std::sync::Arc::new(runs);
        let blocks = out
            .indices()
            .map(|j| {
                let (b, _) = &runs[j[axis]];
                let mut src = j.clone();
                src[axis] = *b;
                let (runs, k) = (runs.clone(), j[axis]);
                task::map1("take", &self.block(p, &src), move |x: Block<T>| {
                    x.select(Axis(axis), &runs[k].1).into_shared()
                })
            })
            .collect();
        Ok(Array::from_parts(out, blocks))
    }
}
