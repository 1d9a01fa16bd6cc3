//! Projection pushdown: a box of an array computed from boxes of its inputs, down to the
//! sources, so `z.slice(s![..5])` generates only the elements `z[:5]` depends on (like
//! dask-expr's projection pushdown, for positions instead of columns).
//!
//! Two optional facts travel with an array (`Inner::region` and `Inner::boxer`):
//!
//! - a **region**: every element is a cheap pure function of its position, so any box can be
//!   computed directly. Built-in sources have one (`random`, `normal`, `randint`, `zeros`,
//!   `ones`, `full`, `arange`, `linspace`, `eye`: the recomputable sources of the memory
//!   rule), and elementwise operations, transposes and rechunks of arrays that have one keep
//!   it. A reduction of such an array never materialises its chunks: each partial evaluates
//!   the region tile by tile ([`TILE`] elements) and folds the tiles (`reduce::tree`), like a
//!   numexpr kernel; a slice of it computes only the sliced box.
//! - a **boxer**: a box of this array can be rebuilt from boxes of its inputs. Reductions
//!   (a box of the kept axes is the reduction of the input's box spanning the reduced
//!   axes), elementwise operations and transposes have one.
//!
//! [`Array::sub_box`] uses the region if there is one, else the boxer, else a plain slice;
//! `slice` pushes the bounding box of its selection down this way, then selects inside it.

use std::ops::Range;

use ndarray::SliceInfoElem;

use std::sync::Arc;

use crate::array::{Array, Linear, Region};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::task;

/// The elements of one tile a fused reduction evaluates at a time (128 KB of `f64`: it stays
/// in the L2 cache between generation, arithmetic and the fold).
pub(crate) const TILE: usize = 16 * 1024;

impl<T: Element> Array<T> {
    /// An array over `chunks` whose every block is a recomputable source evaluating `region`.
    pub(crate) fn from_region(region: Region<T>, chunks: Chunks) -> Array<T> {
        let blocks = chunks
            .indices()
            .map(|idx| {
                let r = ranges(&chunks.block_offset(&idx), &chunks.block_shape(&idx));
                let reg = region.clone();
                task::source(region.name, true, move || reg.eval(&r))
            })
            .collect();
        Array::from_parts(chunks, blocks).with_region(Some(region))
    }

    /// The box `r` (one range per axis) of this array, computed from the sources when the
    /// array has a region, from its inputs' boxes when it has a boxer, by a plain slice
    /// otherwise. Its chunks are this array's chunks cut to the box.
    pub(crate) fn sub_box(&self, r: &[Range<usize>]) -> Array<T> {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        if r.iter().zip(&p.shape).all(|(r, &n)| r.start == 0 && r.end == n) {
            return self.clone();
        }
        if !r.iter().any(|r| r.is_empty()) {
            if let Some(reg) = &p.region {
                if let Some(recipe) = &reg.recipe {
                    // A box of a source described as data: a source of that box, whose
                    // tasks and reductions are named functions too (`crate::remote`).
                    let boxed = crate::remote::source(recipe.window(r), box_chunks(&p.chunks, r));
                    if let Some(boxed) = crate::remote::cast(boxed) {
                        return boxed;
                    }
                }
                let origin: Vec<usize> = r.iter().map(|r| r.start).collect();
                return Array::from_region(shifted(reg, origin), box_chunks(&p.chunks, r));
            }
            if let Some(b) = &p.boxer {
                return b(r);
            }
        }
        self.slice_plain(&crate::array::slice_info(r))
    }
}

/// The region whose box `q` is `reg`'s box `q` moved by `origin`: a box of `reg` as a region.
pub(crate) fn shifted<T: 'static>(reg: &Region<T>, origin: Vec<usize>) -> Region<T> {
    let inner = reg.clone();
    Region::new(reg.name, move |q: &[Range<usize>]| {
        let g: Vec<Range<usize>> =
            q.iter().zip(&origin).map(|(q, &o)| q.start + o..q.end + o).collect();
        inner.eval(&g)
    })
}

/// One range per axis from a block's offset and shape.
pub(crate) fn ranges(offset: &[usize], shape: &[usize]) -> Vec<Range<usize>> {
    offset.iter().zip(shape).map(|(&o, &n)| o..o + n).collect()
}

/// `chunks` cut to the box `r`: per axis, the non-empty overlaps of the chunks with the range.
pub(crate) fn box_chunks(chunks: &Chunks, r: &[Range<usize>]) -> Chunks {
    let sizes = r
        .iter()
        .enumerate()
        .map(|(a, r)| {
            chunks
                .offsets(a)
                .windows(2)
                .filter_map(|w| {
                    let (s, e) = (w[0].max(r.start), w[1].min(r.end));
                    (e > s).then(|| e - s)
                })
                .collect()
        })
        .collect();
    Chunks::from_sizes(sizes)
}

/// The box of an operand of shape `s` that the output box `r` (of `out_shape`) reads, under
/// broadcasting: stretched axes take their single element, missing leading axes are dropped.
pub(crate) fn operand_box(
    s: &[usize],
    out_shape: &[usize],
    r: &[Range<usize>],
) -> Vec<Range<usize>> {
    let off = out_shape.len() - s.len();
    (0..s.len())
        .map(|k| if s[k] == out_shape[k + off] { r[k + off].clone() } else { 0..1 })
        .collect()
}

/// The bounding box of a basic selection and the same selection relative to that box, or
/// `None` when the selection is the whole array or is not valid (the plain path then reports
/// the error).
pub(crate) fn bounding(
    shape: &[usize],
    info: &[SliceInfoElem],
) -> Option<(Vec<Range<usize>>, Vec<SliceInfoElem>)> {
    let used = info.iter().filter(|e| !matches!(e, SliceInfoElem::NewAxis)).count();
    if used > shape.len() {
        return None;
    }
    let full = SliceInfoElem::Slice { start: 0, end: None, step: 1 };
    let norm = |i: isize, len: usize| {
        let v = if i < 0 { len as isize + i } else { i };
        (0..=len as isize).contains(&v).then_some(v as usize)
    };
    let (mut bx, mut rel) = (Vec::new(), Vec::new());
    let mut axis = 0;
    for e in info.iter().chain(std::iter::repeat_n(&full, shape.len() - used)) {
        match *e {
            SliceInfoElem::NewAxis => rel.push(SliceInfoElem::NewAxis),
            SliceInfoElem::Index(i) => {
                let v = norm(i, shape[axis]).filter(|&v| v < shape[axis])?;
                bx.push(v..v + 1);
                rel.push(SliceInfoElem::Index(0));
                axis += 1;
            }
            SliceInfoElem::Slice { start, end, step } => {
                if step == 0 {
                    return None;
                }
                let s = norm(start, shape[axis])?;
                let e = match end {
                    Some(e) => norm(e, shape[axis])?,
                    None => shape[axis],
                }
                .max(s);
                bx.push(s..e);
                rel.push(SliceInfoElem::Slice { start: 0, end: Some((e - s) as isize), step });
                axis += 1;
            }
        }
    }
    let whole = bx.iter().zip(shape).all(|(r, &n)| r.start == 0 && r.end == n);
    (!whole).then_some((bx, rel))
}

/// The [`Linear`] form of `x.transpose(perm)` when `x`'s region has one.
pub(crate) fn linear_transpose<T>(
    lin: Option<&Arc<Linear<T>>>,
    perm: &[usize],
) -> Option<Arc<Linear<T>>> {
    let l = lin?;
    let perms = l.perms.iter().map(|p| perm.iter().map(|&i| p[i]).collect()).collect();
    Some(Arc::new(Linear { base: l.base.clone(), base_shape: l.base_shape.clone(), perms }))
}

/// `out = a + b`, knowing it is one [`Linear`] sum when `a` and `b` are sums of permutations
/// of the same source with the same shape (no broadcasting).
pub(crate) fn linear_add<T: Element>(out: Array<T>, a: &Array<T>, b: &Array<T>) -> Array<T> {
    let (Ok(po), Ok(pa), Ok(pb)) = (out.parts(), a.parts(), b.parts()) else { return out };
    let la = pa.region.as_ref().and_then(|r| r.linear.as_ref());
    let lb = pb.region.as_ref().and_then(|r| r.linear.as_ref());
    let (Some(ro), Some(la), Some(lb)) = (po.region.as_ref(), la, lb) else { return out };
    if pa.shape != pb.shape || !Arc::ptr_eq(&la.base.f, &lb.base.f) {
        return out;
    }
    let perms = la.perms.iter().chain(&lb.perms).cloned().collect();
    let lin = Linear { base: la.base.clone(), base_shape: la.base_shape.clone(), perms };
    let region = Region { linear: Some(Arc::new(lin)), ..ro.clone() };
    out.with_region(Some(region))
}
