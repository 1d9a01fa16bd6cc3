//! Rechunking: a new chunk grid over the same values.
//!
//! Each output block is recorded from the input blocks it overlaps: the input block itself
//! when they coincide (no task), a zero-copy slice of one input block, or one task that
//! assembles the pieces of several. O(output blocks + overlaps) tasks and edges.

use ndarray::{ArrayD, IxDyn, SliceInfoElem};

use crate::array::{Array, Block};
use crate::chunks::{ChunkSpec, Chunks, GridIter};
use crate::element::Element;
use crate::error::Error;
use crate::task;

/// For one axis: the input chunks output chunk `j` overlaps, each with the range it takes
/// (local to the input chunk) and where the range goes (local to the output chunk).
fn overlaps(old: &Chunks, new: &Chunks, axis: usize) -> Vec<Vec<(usize, usize, usize, usize)>> {
    let oo = old.offsets(axis);
    let no = new.offsets(axis);
    let mut out = Vec::with_capacity(no.len() - 1);
    let mut i = 0;
    for j in 0..no.len() - 1 {
        let (s, e) = (no[j], no[j + 1]);
        let mut parts = Vec::new();
        while i + 1 < oo.len() - 1 && oo[i + 1] <= s {
            i += 1;
        }
        let mut k = i;
        loop {
            let (bs, be) = (oo[k], oo[k + 1]);
            let lo = s.max(bs);
            let hi = e.min(be);
            if hi > lo || (s == e && k == i) {
                parts.push((k, lo - bs, hi.max(lo) - bs, lo - s));
            }
            if be >= e || k + 2 >= oo.len() {
                break;
            }
            k += 1;
        }
        out.push(parts);
    }
    out
}

fn range(start: usize, end: usize) -> SliceInfoElem {
    SliceInfoElem::Slice { start: start as isize, end: Some(end as isize), step: 1 }
}

impl<T: Element> Array<T> {
    /// The same values on another chunk grid, like `dask.array.Array.rechunk`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i64, 10, 1, 3);
    /// let y = x.rechunk(vec![vec![5, 5]]);
    /// assert_eq!(y.chunks().sizes(), &[vec![5, 5]]);
    /// assert_eq!(y.compute().unwrap(), x.compute().unwrap());
    /// ```
    pub fn rechunk(&self, chunks: impl Into<ChunkSpec>) -> Array<T> {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        match Chunks::new(&p.shape, chunks) {
            Ok(c) => self.rechunk_to(&c),
            Err(e) => Array::failed(e),
        }
    }

    /// Rechunks to a grid known to fit the shape.
    pub(crate) fn rechunk_to(&self, new: &Chunks) -> Array<T> {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        if &p.chunks == new {
            return self.clone();
        }
        let ndim = p.shape.len();
        let per_axis: Vec<_> = (0..ndim).map(|a| overlaps(&p.chunks, new, a)).collect();
        let blocks = new
            .indices()
            .map(|j| {
                let parts: Vec<&Vec<(usize, usize, usize, usize)>> =
                    (0..ndim).map(|a| &per_axis[a][j[a]]).collect();
                let counts: Vec<usize> = parts.iter().map(|v| v.len()).collect();
                let out_shape = new.block_shape(&j);
                let pieces: Vec<_> = GridIter::new(counts).collect();
                if pieces.len() == 1 {
                    let q = &pieces[0];
                    let src: Vec<usize> = (0..ndim).map(|a| parts[a][q[a]].0).collect();
                    let d = self.block(p, &src);
                    let whole = (0..ndim).all(|a| {
                        let (_, s, e, _) = parts[a][q[a]];
                        s == 0 && e == p.chunks.sizes()[a][src[a]]
                    });
                    if whole {
                        return d;
                    }
                    let region: Vec<SliceInfoElem> = (0..ndim)
                        .map(|a| {
                            let (_, s, e, _) = parts[a][q[a]];
                            range(s, e)
                        })
                        .collect();
                    return task::map1("rechunk", &d, move |b: Block<T>| {
                        b.slice_move(region.as_slice())
                    });
                }
                let mut inputs = Vec::with_capacity(pieces.len());
                let mut places = Vec::with_capacity(pieces.len());
                for q in &pieces {
                    let src: Vec<usize> = (0..ndim).map(|a| parts[a][q[a]].0).collect();
                    inputs.push(self.block(p, &src));
                    let take: Vec<SliceInfoElem> =
                        (0..ndim).map(|a| range(parts[a][q[a]].1, parts[a][q[a]].2)).collect();
                    let put: Vec<SliceInfoElem> = (0..ndim)
                        .map(|a| {
                            let (_, s, e, o) = parts[a][q[a]];
                            range(o, o + e - s)
                        })
                        .collect();
                    places.push((take, put));
                }
                task::map_n("rechunk", inputs, move |bs: Vec<Block<T>>| {
                    let mut out = ArrayD::from_elem(IxDyn(&out_shape), T::default());
                    for (b, (take, put)) in bs.iter().zip(&places) {
                        out.slice_mut(put.as_slice()).assign(&b.slice(take.as_slice()));
                    }
                    out.into_shared()
                })
            })
            .collect();
        Array::from_parts(new.clone(), blocks).with_region(p.region.clone())
    }
}

/// The finest grid that refines the chunks of several equally shaped axes.
pub(crate) fn common_axis(options: &[&[usize]]) -> Vec<usize> {
    let mut out = options[0].to_vec();
    for o in &options[1..] {
        out = crate::chunks::refine(&out, o);
    }
    out
}

/// Checks that `shape` has `axis`.
pub(crate) fn check_axis(op: &'static str, shape: &[usize], axis: usize) -> Result<(), Error> {
    if axis < shape.len() {
        Ok(())
    } else {
        Err(Error::out_of_range(op, shape, format!("axis {axis} does not exist")))
    }
}
