//! Basic slicing with `s![]` (ours or ndarray's): ranges, steps (negative too), integer indices and
//! `NewAxis`.
//!
//! Semantics are ndarray's (not NumPy's) for negative steps: `s![a..b; -k]` takes the range
//! `a..b` and walks it backwards from its last element in steps of `k`.
//!
//! Culling: every output chunk is the selection inside exactly one input chunk, and a task is
//! recorded only for input chunks that hold selected elements, so computing a slice runs only
//! the chunks (and their ancestors) it touches. A chunk selected whole is reused as is, with
//! no task.

use ndarray::SliceInfoElem;

use crate::array::{Array, Block};
use crate::chunks::{Chunks, GridIter};
use crate::element::Element;
use crate::error::Error;
use crate::task;

/// What one input axis contributes: a list of (input chunk, local selection, output length)
/// for a range, or one (input chunk, local index) for an integer index.
enum AxisPick {
    Range(Vec<(usize, SliceInfoElem, usize, bool)>),
    Index(usize, isize),
}

fn norm(op: &'static str, shape: &[usize], axis: usize, i: isize) -> Result<usize, Error> {
    let len = shape[axis] as isize;
    let v = if i < 0 { len + i } else { i };
    if v < 0 || v > len {
        return Err(Error::out_of_range(
            op,
            shape,
            format!("bound {i} is outside axis {axis} of length {len}"),
        ));
    }
    Ok(v as usize)
}

fn pick_range(
    shape: &[usize],
    chunks: &Chunks,
    axis: usize,
    start: isize,
    end: Option<isize>,
    step: isize,
) -> Result<AxisPick, Error> {
    if step == 0 {
        return Err(Error::invalid("slice", format!("step 0 on axis {axis}")));
    }
    let s = norm("slice", shape, axis, start)?;
    let mut e = match end {
        Some(e) => norm("slice", shape, axis, e)?,
        None => shape[axis],
    };
    if e < s {
        e = s;
    }
    // A step of at least the axis length selects one element, as the axis length itself
    // does; clamping keeps every later multiplication in range.
    let k = step.unsigned_abs().min(shape[axis].max(1));
    let count = (e - s).div_ceil(k);
    let offs = chunks.offsets(axis);
    let nb = offs.len() - 1;
    let mut picks = Vec::new();
    if count > 0 {
        // Selected global indices: s + m*k (step > 0) or (e-1) - m*k (step < 0), m < count.
        let (lo, hi) =
            if step > 0 { (s, s + (count - 1) * k) } else { (e - 1 - (count - 1) * k, e - 1) };
        let order: Vec<usize> = if step > 0 { (0..nb).collect() } else { (0..nb).rev().collect() };
        for b in order {
            let (bs, be) = (offs[b], offs[b + 1]);
            if be <= lo || bs > hi {
                continue;
            }
            // The first and last selected indices inside [max(bs, lo), min(be-1, hi)].
            let (a, z) = (bs.max(lo), (be - 1).min(hi));
            let (first, last) = if step > 0 {
                let first = s + (a - s).div_ceil(k) * k;
                if first > z {
                    continue;
                }
                (first, first + (z - first) / k * k)
            } else {
                let top = e - 1;
                let first = top - (top - z).div_ceil(k) * k; // highest selected <= z
                if first < a || first > z {
                    continue;
                }
                (first, first - (first - a) / k * k)
            };
            let (gmin, gmax) = (first.min(last), first.max(last));
            let n = (gmax - gmin) / k + 1;
            let whole = k == 1 && step > 0 && gmin == bs && gmax + 1 == be;
            let local = SliceInfoElem::Slice {
                start: (gmin - bs) as isize,
                end: Some((gmax - bs + 1) as isize),
                step: if step > 0 { k as isize } else { -(k as isize) },
            };
            picks.push((b, local, n, whole));
        }
    }
    if picks.is_empty() {
        picks.push((0, SliceInfoElem::Slice { start: 0, end: Some(0), step: 1 }, 0, false));
    }
    Ok(AxisPick::Range(picks))
}

impl<T: Element> Array<T> {
    /// A slice, like NumPy's `x[...]`, written with ndarray's `s![]`: ranges with steps
    /// (negative steps follow ndarray), integer indices (which remove the axis) and
    /// `NewAxis`. Axes not named are taken whole. Bounds outside the array are an
    /// [`Error::OutOfRange`].
    ///
    /// ```
    /// use lazydag_array as da;
    /// use ndarray::s;
    /// let a = ndarray::Array2::from_shape_fn((6, 7), |(i, j)| (10 * i + j) as i32);
    /// let x = da::from_ndarray(a.clone(), [4, 3]);
    /// let got = x.slice(s![1..5;2, ..;-3]).compute().unwrap();
    /// assert_eq!(got, a.slice(s![1..5;2, ..;-3]).to_owned().into_dyn());
    /// assert_eq!(x.slice(s![2, 3]).compute_scalar().unwrap(), 23);
    /// assert!(x.slice(s![..9]).check().is_err());
    /// ```
    pub fn slice(&self, info: impl AsRef<[SliceInfoElem]>) -> Array<T> {
        match self.try_slice(info.as_ref()) {
            Ok(a) => a,
            Err(e) => Array::failed(e),
        }
    }

    fn try_slice(&self, info: &[SliceInfoElem]) -> Result<Array<T>, Error> {
        let p = self.parts()?;
        if (p.region.is_some() || p.boxer.is_some())
            && let Some((bx, rel)) = crate::pushdown::bounding(&p.shape, info)
            && !bx.iter().any(|r| r.is_empty())
        {
            let boxed = self.sub_box(&bx);
            // A selection that is the whole box (step 1 on every axis, no index or new axis)
            // is the box itself, which keeps its region (and recipe) for later reductions.
            let all = |e: &SliceInfoElem| matches!(e, SliceInfoElem::Slice { step: 1, .. });
            if rel.iter().all(all) {
                return Ok(boxed);
            }
            return boxed.try_slice_plain(&rel);
        }
        self.try_slice_plain(info)
    }

    /// A slice that records `getitem` tasks on this array's blocks, without pushdown.
    pub(crate) fn slice_plain(&self, info: &[SliceInfoElem]) -> Array<T> {
        match self.try_slice_plain(info) {
            Ok(a) => a,
            Err(e) => Array::failed(e),
        }
    }

    fn try_slice_plain(&self, info: &[SliceInfoElem]) -> Result<Array<T>, Error> {
        let p = self.parts()?;
        let shape = &p.shape;
        let used = info.iter().filter(|e| !matches!(e, SliceInfoElem::NewAxis)).count();
        if used > shape.len() {
            return Err(Error::out_of_range(
                "slice",
                shape,
                format!("{used} indices for {} axes", shape.len()),
            ));
        }
        // Per output position: Some(input axis pick) or None for a new axis.
        let mut picks: Vec<AxisPick> = Vec::with_capacity(shape.len());
        let mut layout: Vec<Option<usize>> = Vec::new(); // output axis -> pick number
        let mut axis = 0;
        let full = SliceInfoElem::Slice { start: 0, end: None, step: 1 };
        let elems = info.iter().chain(std::iter::repeat_n(&full, shape.len() - used));
        for e in elems {
            match *e {
                SliceInfoElem::NewAxis => layout.push(None),
                SliceInfoElem::Index(i) => {
                    let len = shape[axis] as isize;
                    let v = if i < 0 { len + i } else { i };
                    if v < 0 || v >= len {
                        return Err(Error::out_of_range(
                            "slice",
                            shape,
                            format!("index {i} is outside axis {axis} of length {len}"),
                        ));
                    }
                    let v = v as usize;
                    let offs = p.chunks.offsets(axis);
                    let b = offs.partition_point(|&o| o <= v) - 1;
                    picks.push(AxisPick::Index(b, (v - offs[b]) as isize));
                    axis += 1;
                }
                SliceInfoElem::Slice { start, end, step } => {
                    picks.push(pick_range(shape, &p.chunks, axis, start, end, step)?);
                    layout.push(Some(picks.len() - 1));
                    axis += 1;
                }
            }
        }
        let out_sizes: Vec<Vec<usize>> = layout
            .iter()
            .map(|l| match l {
                None => vec![1],
                Some(k) => match &picks[*k] {
                    AxisPick::Range(v) => v.iter().map(|x| x.2).collect(),
                    AxisPick::Index(..) => unreachable!("indices have no output axis"),
                },
            })
            .collect();
        let out = Chunks::from_sizes(out_sizes);
        if out.shape().contains(&0) {
            // Nothing selected on some axis: empty chunks, and no task reads an input chunk
            // (so their ancestors never run).
            return Ok(Array::empty(out));
        }
        // Iterate over the ranges' choices; indices are fixed.
        let counts: Vec<usize> = picks
            .iter()
            .map(|pk| match pk {
                AxisPick::Range(v) => v.len(),
                AxisPick::Index(..) => 1,
            })
            .collect();
        let mut blocks = Vec::with_capacity(out.num_blocks());
        // Output blocks are row-major over output axes; the choices over input axes in the
        // same relative order (new axes have one choice), so the orders agree.
        for q in GridIter::new(counts) {
            let mut src = Vec::with_capacity(picks.len());
            let mut local = Vec::with_capacity(info.len());
            let mut whole = true;
            for (pk, &c) in picks.iter().zip(&q) {
                match pk {
                    AxisPick::Range(v) => {
                        let (b, l, _, w) = &v[c];
                        src.push(*b);
                        local.push(*l);
                        whole &= *w;
                    }
                    AxisPick::Index(b, i) => {
                        src.push(*b);
                        local.push(SliceInfoElem::Index(*i));
                        whole = false;
                    }
                }
            }
            // Re-insert the new axes at their places among the input axes' selections.
            let mut with_new = Vec::with_capacity(local.len() + layout.len());
            let mut li = local.into_iter();
            let mut picks_seen = 0;
            for e in info.iter().chain(std::iter::repeat_n(&full, shape.len() - used)) {
                if matches!(e, SliceInfoElem::NewAxis) {
                    with_new.push(SliceInfoElem::NewAxis);
                    whole = false;
                } else {
                    with_new.push(li.next().expect("one selection per input axis"));
                    picks_seen += 1;
                }
            }
            debug_assert_eq!(picks_seen, picks.len());
            let d = self.block(p, &src);
            if whole {
                blocks.push(d);
            } else {
                blocks.push(crate::remote::getitem_one(&d, &with_new).unwrap_or_else(|| {
                    task::map1("getitem", &d, move |b: Block<T>| b.slice_move(with_new.as_slice()))
                }));
            }
        }
        Ok(Array::from_parts(out, blocks))
    }
}

impl<T: Element> Array<T> {
    /// The elements where `mask` is true, in row-major order, like NumPy's `x[mask]`. The
    /// mask broadcasts against `self`. Dask gives an array of unknown chunk sizes here; an
    /// `Array`'s shape is always known, so this returns a lazy 1-d ndarray instead: one
    /// selection task per chunk and one that joins them in order.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i64, 10, 1, 3);
    /// let odd = x.masked(&x.map(|v| v % 2 == 1));
    /// assert_eq!(odd.compute().unwrap().to_vec(), vec![1, 3, 5, 7, 9]);
    /// ```
    ///
    /// A mask that does not broadcast makes the returned task fail with an
    /// [`Error::Broadcast`] naming both shapes, before any other task runs.
    pub fn masked(&self, mask: &Array<bool>) -> lazydag_core::Delayed<ndarray::Array1<T>> {
        use crate::elementwise::{align, conform, source_block};
        let fail = |e: Error| {
            lazydag_core::delayed(()).try_map(move |()| Err::<ndarray::Array1<T>, _>(e.clone()))
        };
        let aligned = self
            .parts()
            .and_then(|a| mask.parts().map(|m| (a, m)))
            .and_then(|(a, m)| align("masked", &[(&a.shape, &a.chunks), (&m.shape, &m.chunks)]));
        let (shape, out) = match aligned {
            Ok(v) => v,
            Err(e) => return fail(e).name("masked"),
        };
        let (x, m) = (conform(self, &out), conform(mask, &out));
        let (px, pm) = match (x.parts(), m.parts()) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return fail(e).name("masked"),
        };
        let global = shape.clone();
        let parts: Vec<lazydag_core::Delayed<Vec<(u64, T)>>> = out
            .indices()
            .map(|j| {
                let sh = out.block_shape(&j);
                let off = out.block_offset(&j);
                let global = global.clone();
                // Each selected value with its row-major position in the whole array.
                let select = move |b: Block<T>, k: Block<bool>| -> Vec<(u64, T)> {
                    let dim = ndarray::IxDyn(&sh);
                    let b = b.broadcast(dim.clone()).expect("aligned");
                    let k = k.broadcast(dim).expect("aligned");
                    b.indexed_iter()
                        .zip(k.iter())
                        .filter(|(_, keep)| **keep)
                        .map(|((i, &v), _)| {
                            let flat = (0..global.len())
                                .fold(0u64, |f, a| f * global[a] as u64 + (off[a] + i[a]) as u64);
                            (flat, v)
                        })
                        .collect()
                };
                let (xb, mb) = (source_block(px, &shape, &j), source_block(pm, &shape, &j));
                lazydag_core::delayed!((select)(&xb, &mb)).name("mask")
            })
            .collect();
        let join = |vs: Vec<Vec<(u64, T)>>| -> ndarray::Array1<T> {
            let mut all: Vec<(u64, T)> = vs.into_iter().flatten().collect();
            // Blocks in grid order are already in row-major order unless the grid has more
            // than one block on some axis after the first.
            if !all.windows(2).all(|w| w[0].0 < w[1].0) {
                all.sort_unstable_by_key(|p| p.0);
            }
            all.into_iter().map(|(_, v)| v).collect()
        };
        lazydag_core::delayed!((join)(parts)).name("masked")
    }
}
