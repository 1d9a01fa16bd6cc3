//! `reshape` without a full shuffle: each output chunk is one input chunk reshaped.
//!
//! The axes of the two shapes are matched into groups of equal product (`(6, 4) -> (2, 3, 4)`
//! has the groups `(6) -> (2, 3)` and `(4) -> (4)`). Within a group, every axis but the first
//! is made a single chunk, and the first axis is cut only where the group's flattened index is
//! a multiple of both sides' inner sizes, so each chunk is a contiguous run of the group in
//! C order and reshapes by itself. Rechunking to that grid is the only data movement; a
//! group whose axes are already laid out that way moves nothing.

use ndarray::IxDyn;

use crate::array::{Array, Block};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::Error;
use crate::task;

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Groups of (input axes, output axes) with equal products, in order.
fn groups(from: &[usize], to: &[usize]) -> Vec<(Vec<usize>, Vec<usize>)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < from.len() || j < to.len() {
        let (mut gi, mut gj) = (Vec::new(), Vec::new());
        let (mut pi, mut pj) = (1usize, 1usize);
        if i < from.len() {
            pi *= from[i];
            gi.push(i);
            i += 1;
        }
        if j < to.len() {
            pj *= to[j];
            gj.push(j);
            j += 1;
        }
        while pi != pj {
            if pi < pj && i < from.len() {
                pi *= from[i];
                gi.push(i);
                i += 1;
            } else if j < to.len() {
                pj *= to[j];
                gj.push(j);
                j += 1;
            } else {
                break;
            }
        }
        out.push((gi, gj));
    }
    out
}

impl<T: Element> Array<T> {
    /// The same elements in C order with another shape, like `numpy.reshape` (and dask's
    /// reshape without a full shuffle): input chunks are merged along the axes that are
    /// combined or split, then each chunk is reshaped on its own. A shape with another number
    /// of elements is an [`Error::ShapeMismatch`].
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i64, 24, 1, 5);
    /// let y = x.reshape(&[4, 6]);
    /// assert_eq!(y.shape(), &[4, 6]);
    /// let want = ndarray::Array::from_iter(0..24).into_shape_with_order((4, 6)).unwrap();
    /// assert_eq!(y.compute().unwrap(), want.into_dyn());
    /// assert_eq!(y.reshape(&[2, 2, 3, 2]).reshape(&[24]).compute().unwrap(), x.compute().unwrap());
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Array<T> {
        match self.try_reshape(shape) {
            Ok(a) => a,
            Err(e) => Array::failed(e),
        }
    }

    /// [`reshape`](Array::reshape) where one entry may be `-1`, like NumPy's
    /// `x.reshape(-1, 4)`: that axis takes whatever length the element count leaves. Two
    /// `-1`s, another negative entry, or a count the other axes do not divide is an
    /// [`Error::Invalid`].
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i64, 24, 1, 6);
    /// assert_eq!(x.reshape_infer(&[-1, 4]).shape(), &[6, 4]);
    /// assert_eq!(x.reshape_infer(&[2, -1, 3]).shape(), &[2, 4, 3]);
    /// assert!(x.reshape_infer(&[-1, 5]).check().is_err());
    /// ```
    pub fn reshape_infer(&self, shape: &[isize]) -> Array<T> {
        let infer = || -> Result<Vec<usize>, Error> {
            let bad = |why: String| Error::invalid("reshape", why);
            let total = self.parts()?.shape.iter().product::<usize>();
            let holes = shape.iter().filter(|&&d| d == -1).count();
            if holes > 1 || shape.iter().any(|&d| d < -1) {
                return Err(bad(format!(
                    "{shape:?}: lengths must be non-negative, with at most one -1"
                )));
            }
            let known = shape
                .iter()
                .filter(|&&d| d >= 0)
                .try_fold(1usize, |n, &d| n.checked_mul(d as usize))
                .ok_or_else(|| bad(format!("{shape:?}: the lengths overflow a usize")))?;
            let fill = if holes == 0 {
                0
            } else if known == 0 || total % known != 0 {
                return Err(bad(format!(
                    "{shape:?}: {total} elements do not fill whole rows of {known}"
                )));
            } else {
                total / known
            };
            Ok(shape.iter().map(|&d| if d == -1 { fill } else { d as usize }).collect())
        };
        match infer() {
            Ok(s) => self.reshape(&s),
            Err(e) => Array::failed(e),
        }
    }

    fn try_reshape(&self, to: &[usize]) -> Result<Array<T>, Error> {
        let p = self.parts()?;
        let from = p.shape.clone();
        let count = |s: &[usize]| s.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if count(&from) != count(to) {
            return Err(Error::ShapeMismatch {
                op: "reshape",
                left: from,
                right: to.to_vec(),
                why: "the new shape must have as many elements".into(),
            });
        }
        if from == to {
            return Ok(self.clone());
        }
        if to.contains(&0) || from.contains(&0) {
            // No elements: one empty block of the new shape.
            let sizes = to.iter().map(|&d| vec![d]).collect();
            let whole =
                self.rechunk_to(&Chunks::from_sizes(from.iter().map(|&d| vec![d]).collect()));
            let b = whole.parts()?.blocks[0].clone();
            let sh = to.to_vec();
            let blk = task::map1("reshape", &b, move |b: Block<T>| {
                ndarray::ArcArray::from_shape_vec(IxDyn(&sh), b.iter().copied().collect())
                    .expect("no elements")
            });
            return Ok(Array::from_parts(Chunks::from_sizes(sizes), vec![blk]));
        }
        let mut in_sizes: Vec<Vec<usize>> = p.chunks.sizes().to_vec();
        let mut out_sizes: Vec<Vec<usize>> = vec![Vec::new(); to.len()];
        for (gi, gj) in groups(&from, to) {
            for &j in gj.iter().skip(1) {
                out_sizes[j] = vec![to[j]];
            }
            let Some(&lead_in) = gi.first() else {
                if let Some(&j) = gj.first() {
                    out_sizes[j] = vec![to[j]];
                }
                continue;
            };
            for &i in gi.iter().skip(1) {
                in_sizes[i] = vec![from[i]];
            }
            let Some(&lead_out) = gj.first() else { continue };
            let inner_in: usize = gi.iter().skip(1).map(|&i| from[i]).product();
            let inner_out: usize = gj.iter().skip(1).map(|&j| to[j]).product();
            let l = inner_in / gcd(inner_in, inner_out) * inner_out;
            let total = from[lead_in] * inner_in;
            // Flat cut points: the lead axis's boundaries, rounded down to multiples of l.
            let mut cuts = vec![0usize];
            let mut acc = 0;
            for &c in &p.chunks.sizes()[lead_in] {
                acc += c;
                let flat = acc * inner_in / l * l;
                if flat > *cuts.last().unwrap_or(&0) {
                    cuts.push(flat);
                }
            }
            if *cuts.last().unwrap_or(&0) != total {
                cuts.push(total);
            }
            let diffs: Vec<usize> = cuts.windows(2).map(|w| w[1] - w[0]).collect();
            in_sizes[lead_in] = diffs.iter().map(|d| d / inner_in).collect();
            out_sizes[lead_out] = diffs.iter().map(|d| d / inner_out).collect();
        }
        let aligned = self.rechunk_to(&Chunks::from_sizes(in_sizes));
        let ap = aligned.parts()?;
        let out = Chunks::from_sizes(out_sizes);
        if out.num_blocks() != ap.blocks.len() {
            return Err(Error::invalid("reshape", "internal: block counts differ"));
        }
        let blocks = out
            .indices()
            .zip(&ap.blocks)
            .map(|(j, d)| {
                let sh = out.block_shape(&j);
                task::map1("reshape", d, move |b: Block<T>| {
                    let b = if b.is_standard_layout() {
                        b
                    } else {
                        b.as_standard_layout().into_owned().into_shared()
                    };
                    b.into_shape_with_order(IxDyn(&sh)).expect("a contiguous run of the group")
                })
            })
            .collect();
        Ok(Array::from_parts(out, blocks))
    }
}

#[cfg(test)]
mod tests {
    use super::groups;

    #[test]
    fn groups_match_products() {
        assert_eq!(groups(&[6, 4], &[2, 3, 4]), vec![(vec![0], vec![0, 1]), (vec![1], vec![2])]);
        assert_eq!(groups(&[2, 3], &[6, 1]), vec![(vec![0, 1], vec![0]), (vec![], vec![1])]);
        assert_eq!(groups(&[4, 6], &[6, 4]), vec![(vec![0, 1], vec![0, 1])]);
    }
}
