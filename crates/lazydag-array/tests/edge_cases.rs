//! Edge cases a review found wrong, each asserting NumPy's (or ndarray's) behaviour: min/max
//! and argmin/argmax with NaN and with ties across chunks (the same result for every
//! chunking), `take` with no index followed by slicing, arithmetic and reductions, shape and
//! chunk arithmetic that overflows (an error, not a panic), a `.npy` header that is not ASCII;
//! and the edge cases checked alongside them that were right (stepped and negative slices,
//! pushdown through transposes, 0-d arrays, empty concatenations).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::schedulers;
use lazydag_array::{self as da, s};
use ndarray::{ArrayD, IxDyn, arr1};

fn no_panic<R>(what: &str, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{what}: panicked inside the library: {msg}");
        }
    }
}

// ---- NaN in min/max/argmin: result depends on chunking ----

#[test]
fn min_with_nan_does_not_depend_on_chunks() {
    let a = arr1(&[3.0, f64::NAN, 1.0]);
    let one = da::from_ndarray(a.clone(), 3).min().compute_scalar().unwrap();
    let two = da::from_ndarray(a.clone(), vec![vec![1, 2]]).min().compute_scalar().unwrap();
    // NumPy: nan for both. At the least, chunking must not change the value.
    assert!(
        one.to_bits() == two.to_bits(),
        "min([3, nan, 1]) is {one} with one chunk and {two} with chunks [1, 2]"
    );
}

#[test]
fn max_with_nan_does_not_depend_on_chunks() {
    let a = arr1(&[1.0, f64::NAN, 3.0]);
    let one = da::from_ndarray(a.clone(), 3).max().compute_scalar().unwrap();
    let two = da::from_ndarray(a.clone(), vec![vec![1, 2]]).max().compute_scalar().unwrap();
    assert!(
        one.to_bits() == two.to_bits(),
        "max([1, nan, 3]) is {one} with one chunk and {two} with chunks [1, 2]"
    );
}

#[test]
fn argmin_with_nan_does_not_depend_on_chunks() {
    let a = arr1(&[3.0, f64::NAN, 1.0]);
    let one = da::from_ndarray(a.clone(), 3).argmin().compute_scalar().unwrap();
    let two = da::from_ndarray(a.clone(), vec![vec![1, 2]]).argmin().compute_scalar().unwrap();
    // NumPy: 1 (the NaN) for both.
    assert_eq!(one, two, "argmin([3, nan, 1]): one chunk {one}, chunks [1, 2] {two}");
}

// ---- take with no indices ----

#[test]
fn take_empty_compute() {
    let x = da::arange(0i64, 10, 1, 3);
    let y = no_panic("take(&[])", || x.take(&[], 0));
    assert_eq!(y.shape(), &[0]);
    let got = no_panic("compute", || y.compute()).unwrap();
    assert_eq!(got, ArrayD::<i64>::zeros(IxDyn(&[0])));
}

#[test]
fn take_empty_then_slice() {
    let x = da::arange(0i64, 10, 1, 3);
    let y = x.take(&[], 0);
    let z = no_panic("slice of take(&[])", || y.slice(s![..]));
    assert_eq!(no_panic("compute", || z.compute()).unwrap().len(), 0);
}

#[test]
fn take_empty_then_sum() {
    let x = da::arange(0i64, 10, 1, 3);
    let y = x.take(&[], 0);
    let z = no_panic("sum of take(&[])", || y.sum());
    assert_eq!(no_panic("compute", || z.compute_scalar()).unwrap(), 0);
}

#[test]
fn take_empty_then_add() {
    let x = da::arange(0i64, 10, 1, 3);
    let y = x.take(&[], 0);
    let z = no_panic("take(&[]) + zeros([0])", || &y + &da::zeros::<i64>([0], 1));
    assert_eq!(no_panic("compute", || z.compute()).unwrap().len(), 0);
}

#[test]
fn take_empty_2d_axis1() {
    let x = da::ones::<f64>([4, 5], 2);
    let y = no_panic("take(&[], 1)", || x.take(&[], 1));
    assert_eq!(y.shape(), &[4, 0]);
    let got = no_panic("compute", || y.compute()).unwrap();
    assert_eq!(got.shape(), &[4, 0]);
    let s = no_panic("sum_axis(1)", || y.sum_axis(1));
    let got = no_panic("compute sum_axis", || s.compute()).unwrap();
    assert_eq!(got, ArrayD::<f64>::zeros(IxDyn(&[4])));
}

// ---- arithmetic overflow on user input (debug builds) ----

#[test]
fn reshape_infer_with_huge_known_lengths_is_an_error() {
    let x = da::arange(0i64, 4, 1, 2);
    let y = no_panic("reshape_infer", || x.reshape_infer(&[-1, isize::MAX, 4]));
    assert!(y.check().is_err());
}

#[test]
fn explicit_chunks_that_overflow_are_an_error() {
    let y =
        no_panic("zeros with explicit chunks", || da::zeros::<f64>([3], vec![vec![usize::MAX, 4]]));
    assert!(y.check().is_err());
}

#[test]
fn from_delayed_chunks_that_overflow_are_an_error() {
    let parts: Vec<_> = (0..2)
        .map(|_| lazydag_core::delayed(ndarray::ArrayD::<f64>::zeros(vec![1]).into_shared()))
        .collect();
    let grid = ndarray::ArrayD::from_shape_vec(vec![2], parts).unwrap();
    let y = no_panic("from_delayed", || da::Array::from_delayed(grid, vec![vec![usize::MAX, 2]]));
    assert!(y.check().is_err());
}

// ---- .npy header with a non-ASCII descr ----

#[test]
fn npy_with_non_ascii_descr_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npy");
    let mut dict = b"{'descr': '".to_vec();
    dict.push(0xff); // becomes U+FFFD (3 bytes) after from_utf8_lossy
    dict.extend_from_slice(b"', 'fortran_order': False, 'shape': (2,), }");
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(b' ');
    }
    dict.push(b'\n');
    let mut f = b"\x93NUMPY\x01\x00".to_vec();
    f.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    f.extend_from_slice(&dict);
    f.extend_from_slice(&[0u8; 16]);
    std::fs::write(&path, f).unwrap();
    let y = no_panic("from_npy", || da::from_npy::<f64>(&path, 2));
    assert!(y.check().is_err());
}

// ---- sanity: schedulers agree on a pushed-down slice through transpose ----

#[test]
fn pushdown_slice_through_transpose_and_add() {
    let a = ndarray::Array2::from_shape_fn((7, 7), |(i, j)| (i * 10 + j) as f64);
    let x = da::from_ndarray(a.clone(), [3, 2]);
    let y = &x + &x.t();
    let want = (&a + &a.t()).into_dyn();
    for sel in [s![1..6;2, ..;-3], s![-2, 2..], s![..;-1, 4]] {
        let w = want.slice(sel.as_slice()).to_owned();
        for sch in schedulers() {
            assert_eq!(y.slice(sel).compute_with(&*sch).unwrap(), w);
        }
    }
    let m = y.mean_axis(0);
    let wm = (&a + &a.t()).mean_axis(ndarray::Axis(0)).unwrap().into_dyn();
    assert_eq!(m.slice(s![2..;-2]).compute().unwrap(), wm.slice(s![2..;-2].as_slice()).to_owned());
}

// ---- batch 2 ----

#[test]
fn from_delayed_literal_is_not_mutated_by_in_place_arithmetic() {
    let parts: Vec<_> = (0..2)
        .map(|i| lazydag_core::delayed(ndarray::ArrayD::from_elem(vec![2], i as f64).into_shared()))
        .collect();
    let grid = ndarray::ArrayD::from_shape_vec(vec![2], parts).unwrap();
    let x = da::Array::from_delayed(grid, vec![vec![2, 2]]);
    for sch in schedulers() {
        let y = (&x + 10.0).compute_with(&*sch).unwrap();
        assert_eq!(y.as_slice().unwrap(), &[10.0, 10.0, 11.0, 11.0]);
        let z = (&x * 3.0).compute_with(&*sch).unwrap();
        assert_eq!(z.as_slice().unwrap(), &[0.0, 0.0, 3.0, 3.0], "scheduler {}", sch.name());
        assert_eq!(x.compute_with(&*sch).unwrap().as_slice().unwrap(), &[0.0, 0.0, 1.0, 1.0]);
    }
    // A literal owned by nothing else, used twice in one graph.
    let lit = lazydag_core::delayed(ndarray::ArrayD::from_elem(vec![3], 1.0).into_shared());
    let grid = ndarray::ArrayD::from_shape_vec(vec![1], vec![lit]).unwrap();
    let x = da::Array::from_delayed(grid, vec![vec![3]]);
    let a = &x + 1.0;
    let b = &x * 5.0;
    for sch in schedulers() {
        let both = lazydag_core::compute_with(
            &(a.to_delayed_array().unwrap(), b.to_delayed_array().unwrap()),
            &*sch,
        );
        let _ = both;
        assert_eq!(a.compute_with(&*sch).unwrap().as_slice().unwrap(), &[2.0; 3]);
        assert_eq!(b.compute_with(&*sch).unwrap().as_slice().unwrap(), &[5.0; 3]);
    }
}

#[test]
fn zero_d_arrays() {
    let x = da::from_ndarray(ndarray::arr0(4.0), Vec::<usize>::new());
    assert_eq!(x.compute_scalar().unwrap(), 4.0);
    assert_eq!(x.sum().compute_scalar().unwrap(), 4.0);
    assert_eq!(x.mean().compute_scalar().unwrap(), 4.0);
    assert_eq!(x.min().compute_scalar().unwrap(), 4.0);
    assert_eq!(x.argmax().compute_scalar().unwrap(), 0);
    assert_eq!(x.t().compute_scalar().unwrap(), 4.0);
    assert_eq!(x.slice(s![]).compute_scalar().unwrap(), 4.0);
    assert_eq!(x.slice(s![ndarray::NewAxis]).compute().unwrap().as_slice().unwrap(), &[4.0]);
    assert_eq!(x.reshape(&[1, 1]).compute().unwrap().shape(), &[1, 1]);
    let v = da::arange(0.0, 3.0, 1.0, 2);
    assert_eq!((&v + &x).compute().unwrap().as_slice().unwrap(), &[4.0, 5.0, 6.0]);
    assert_eq!((&x - &v).compute().unwrap().as_slice().unwrap(), &[4.0, 3.0, 2.0]);
    assert_eq!((&x - &v).slice(s![1..]).compute().unwrap().as_slice().unwrap(), &[3.0, 2.0]);
    assert!(x.cumsum(0).check().is_err());
    assert!(x.slice(s![0]).check().is_err());
    assert_eq!(x.var(0.0).compute_scalar().unwrap(), 0.0);
    let r = da::random::RandomState::new(3).random(Vec::<usize>::new(), Vec::<usize>::new());
    let rv = r.compute_scalar().unwrap();
    assert_eq!(r.sum().compute_scalar().unwrap(), rv);
    assert_eq!(r.mean().compute_scalar().unwrap(), rv);
}

#[test]
fn pushdown_broadcast_transpose_matches_ndarray() {
    let a = ndarray::Array2::from_shape_fn((5, 1), |(i, _)| i as f64);
    let b = ndarray::Array2::from_shape_fn((1, 6), |(_, j)| (j * j) as f64);
    let x = da::from_ndarray(a.clone(), [2, 1]);
    let y = da::from_ndarray(b.clone(), [1, 4]);
    let z = (&x * &y).t(); // [6, 5]
    let want = (&a * &b).t().to_owned().into_dyn();
    let sels: Vec<Vec<ndarray::SliceInfoElem>> = vec![
        s![1..5;2, ..;-2].to_vec(),
        s![-1, 1..4].to_vec(),
        s![..;-3, -1].to_vec(),
        s![ndarray::NewAxis, 2..3, ..;2].to_vec(),
    ];
    for sel in sels {
        let w = want.slice(sel.as_slice()).to_owned();
        for sch in schedulers() {
            assert_eq!(z.slice(&sel).compute_with(&*sch).unwrap(), w, "{sel:?}");
        }
    }
    let m = z.sum_axis(1).slice(s![..;-2]).compute().unwrap();
    assert_eq!(m, want.sum_axis(ndarray::Axis(1)).slice(s![..;-2].as_slice()).to_owned());
    let am = z.argmax_axis(0).slice(s![1..]).compute().unwrap();
    let full = z.argmax_axis(0).compute().unwrap();
    assert_eq!(am, full.slice(s![1..].as_slice()).to_owned());
}

#[test]
fn linear_rewrite_integer_and_rechunked() {
    let r = da::random::RandomState::new(5).randint(-50, 50, [7, 7], [3, 2]);
    let a = r.compute().unwrap();
    let y = &r + &r.rechunk([2, 5]).t();
    let want = &a + &a.t();
    for ax in 0..2 {
        assert_eq!(y.sum_axis(ax).compute().unwrap(), want.sum_axis(ndarray::Axis(ax)));
        let m = y.mean_axis(ax).compute().unwrap();
        let wm = want.mapv(|v| v as f64).mean_axis(ndarray::Axis(ax)).unwrap();
        assert!(m.iter().zip(&wm).all(|(g, w)| (g - w).abs() < 1e-9), "{m} vs {wm}");
        assert_eq!(
            y.keepdims().sum_axis(ax).compute().unwrap(),
            want.sum_axis(ndarray::Axis(ax)).insert_axis(ndarray::Axis(ax))
        );
    }
    assert_eq!(y.sum().compute_scalar().unwrap(), want.sum());
    let f = da::random::RandomState::new(6).random([6, 6], [4, 5]);
    let fa = f.compute().unwrap();
    let g = &(&f + &f.t()) + &f;
    let gw = &(&fa + &fa.t()) + &fa;
    let got = g.mean_axis(1).compute().unwrap();
    let w = gw.mean_axis(ndarray::Axis(1)).unwrap();
    assert!(got.iter().zip(&w).all(|(g, w)| (g - w).abs() < 1e-12), "{got} vs {w}");
    let sl = f.slice(s![1..5, 1..5]);
    let sla = fa.slice(s![1..5, 1..5].as_slice()).to_owned();
    let h = &sl + &sl.t();
    let got = h.sum_axis(0).compute().unwrap();
    let w = (&sla + &sla.t()).sum_axis(ndarray::Axis(0));
    assert!(got.iter().zip(&w).all(|(g, w)| (g - w).abs() < 1e-12), "{got} vs {w}");
}

// ---- batch 3: brute force ----

#[test]
fn brute_force_1d_slices_match_ndarray() {
    use ndarray::SliceInfoElem;
    let mut bad = Vec::new();
    for len in 0usize..7 {
        let a = ndarray::Array1::from_shape_fn(len, |i| i as i64);
        let chunkings: Vec<Vec<usize>> = match len {
            0 => vec![vec![0]],
            _ => vec![vec![len], vec![1; len], {
                let mut v = vec![2; len / 2];
                if len % 2 == 1 {
                    v.insert(0, 1);
                }
                v
            }],
        };
        for ch in chunkings {
            let x = da::from_ndarray(a.clone(), vec![ch.clone()]);
            let held = a.clone().into_dyn();
            let y = da::from_fn([len], vec![ch.clone()], move |b| {
                held.slice(s![b.offset[0]..b.offset[0] + b.shape[0]].as_slice()).to_owned()
            });
            let l = len as isize;
            let ends: Vec<Option<isize>> =
                std::iter::once(None).chain((-l..=l).map(Some)).collect();
            for start in -l..=l {
                for &end in &ends {
                    for step in [-7isize, -3, -2, -1, 1, 2, 3, 7, isize::MAX, isize::MIN] {
                        let sel = [SliceInfoElem::Slice { start, end, step }];
                        let want =
                            catch_unwind(|| a.clone().into_dyn().slice(sel.as_slice()).to_owned());
                        let Ok(want) = want else { continue };
                        for (name, arr) in [("region", &x), ("plain", &y)] {
                            match catch_unwind(AssertUnwindSafe(|| arr.slice(sel).compute())) {
                                Ok(Ok(got)) if got == want => {}
                                other => bad.push(format!(
                                    "{name} len {len} chunks {ch:?} {start}..{end:?};{step}: got {:?} want {want}",
                                    other.map(|r| r.map(|g| g.to_string()).map_err(|e| e.to_string())).map_err(|_| "panic")
                                )),
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{} mismatches, first: {:#?}", bad.len(), &bad[..bad.len().min(10)]);
}

#[test]
fn brute_force_3d_reductions_match_ndarray() {
    let a = ndarray::Array3::from_shape_fn((4, 5, 3), |(i, j, k)| {
        ((i * 37 + j * 11 + k * 5) % 13) as f64 - 6.0
    });
    let x = da::from_ndarray(a.clone(), vec![vec![1, 3], vec![2, 2, 1], vec![3]]);
    let held = a.clone().into_dyn();
    let y = da::from_fn([4, 5, 3], vec![vec![3, 1], vec![1, 4], vec![1, 2]], move |b| {
        let r: Vec<ndarray::SliceInfoElem> = (0..3)
            .map(|d| ndarray::SliceInfoElem::Slice {
                start: b.offset[d] as isize,
                end: Some((b.offset[d] + b.shape[d]) as isize),
                step: 1,
            })
            .collect();
        held.slice(r.as_slice()).to_owned()
    });
    let ad = a.clone().into_dyn();
    let sets: Vec<Vec<usize>> = vec![
        vec![0],
        vec![1],
        vec![2],
        vec![0, 1],
        vec![0, 2],
        vec![1, 2],
        vec![0, 1, 2],
        vec![2, 0],
    ];
    for arr in [&x, &y] {
        for axes in &sets {
            let mut want = ad.clone();
            let mut sorted = axes.clone();
            sorted.sort();
            for &ax in sorted.iter().rev() {
                want = want.sum_axis(ndarray::Axis(ax));
            }
            for k in [2, 3, 16] {
                let got = arr.split_every(k).sum_over(Some(axes)).compute().unwrap();
                assert!(common::close(&got, &want, 1e-12), "sum {axes:?} k {k}: {got} vs {want}");
                let n: usize = sorted.iter().map(|&a| ad.shape()[a]).product();
                let wm = want.mapv(|v| v / n as f64);
                let got = arr.split_every(k).mean_over(Some(axes)).compute().unwrap();
                assert!(common::close(&got, &wm, 1e-12), "mean {axes:?}: {got} vs {wm}");
                let mut kd = want.clone();
                for &ax in &sorted {
                    kd = kd.insert_axis(ndarray::Axis(ax));
                }
                let got = arr.split_every(k).keepdims().sum_over(Some(axes)).compute().unwrap();
                assert!(common::close(&got, &kd, 1e-12), "keepdims sum {axes:?}");
                // var via ndarray on the reshaped data
                let got = arr.split_every(k).var_over(Some(axes), 1.0).compute().unwrap();
                let mut sq = ad.mapv(|v| v * v);
                for &ax in sorted.iter().rev() {
                    sq = sq.sum_axis(ndarray::Axis(ax));
                }
                let wv = (&sq - &want.mapv(|s| s * s / n as f64)).mapv(|v| v / (n as f64 - 1.0));
                assert!(common::close(&got, &wv, 1e-9), "var {axes:?}: {got} vs {wv}");
            }
        }
        for ax in 0..3 {
            let got = arr.argmin_axis(ax).compute().unwrap();
            let want = ad.map_axis(ndarray::Axis(ax), |lane| {
                let mut best = 0;
                for (i, &v) in lane.iter().enumerate() {
                    if v < lane[best] {
                        best = i;
                    }
                }
                best as i64
            });
            assert_eq!(got, want, "argmin_axis {ax}");
            let got = arr.max_axis(ax).compute().unwrap();
            let want =
                ad.map_axis(ndarray::Axis(ax), |l| l.iter().cloned().fold(f64::MIN, f64::max));
            assert_eq!(got, want, "max_axis {ax}");
            // sliced reductions through the boxer
            let got = arr.argmax_axis(ax).slice(s![1.., ..;-1]).compute().unwrap();
            let full = arr.argmax_axis(ax).compute().unwrap();
            assert_eq!(got, full.slice(s![1.., ..;-1].as_slice()).to_owned(), "sliced argmax {ax}");
        }
    }
}

#[test]
fn argmax_ties_across_column_blocks_gives_first_flat_index() {
    // [[0, 1], [1, 0]]: the first maximum in row-major order is at flat index 1.
    let a = ndarray::arr2(&[[0.0, 1.0], [1.0, 0.0]]);
    let one = da::from_ndarray(a.clone(), [2, 2]).argmax().compute_scalar().unwrap();
    let cols = da::from_ndarray(a.clone(), [2, 1]).argmax().compute_scalar().unwrap();
    assert_eq!(one, 1);
    assert_eq!(cols, 1, "chunks [2, 1]: argmax is {cols}, not 1");
}

#[test]
fn argmin_ties_across_column_blocks_gives_first_flat_index() {
    let a = ndarray::arr2(&[[5i64, 0], [0, 5]]);
    let cols = da::from_ndarray(a.clone(), [2, 1]).argmin().compute_scalar().unwrap();
    assert_eq!(cols, 1, "chunks [2, 1]: argmin is {cols}, not 1");
}

#[test]
fn concatenate_stack_with_empty_and_uneven() {
    let a = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as i32);
    let b = ndarray::Array2::from_shape_fn((2, 4), |(i, j)| 100 + (i * 4 + j) as i32);
    let e = ndarray::Array2::<i32>::zeros((0, 4));
    let x = da::from_ndarray(a.clone(), vec![vec![2, 1], vec![1, 3]]);
    let y = da::from_ndarray(b.clone(), vec![vec![2], vec![2, 2]]);
    let z = da::from_ndarray(e.clone(), vec![vec![0], vec![4]]);
    let c = da::concatenate(&[z.clone(), x.clone(), z.clone(), y.clone()], 0);
    let want = ndarray::concatenate(ndarray::Axis(0), &[a.view(), b.view()]).unwrap().into_dyn();
    assert_eq!(c.compute().unwrap(), want);
    assert_eq!(
        c.slice(s![1..4, ..;-1]).compute().unwrap(),
        want.slice(s![1..4, ..;-1].as_slice()).to_owned()
    );
    // An `i32` array sums in `i64`, as NumPy's.
    assert_eq!(c.sum_axis(0).compute().unwrap(), want.mapv(i64::from).sum_axis(ndarray::Axis(0)));
    let only_empty = da::concatenate(&[z.clone(), z.clone()], 0);
    assert_eq!(only_empty.compute().unwrap().shape(), &[0, 4]);
    let st = da::stack(&[x.clone(), x.clone()], 2);
    assert_eq!(st.shape(), &[3, 4, 2]);
    assert_eq!(st.slice(s![.., .., 1]).compute().unwrap(), a.clone().into_dyn());
    let m = x.masked(&x.gt(5));
    let mw: Vec<i32> = a.iter().cloned().filter(|&v| v > 5).collect();
    assert_eq!(m.compute().unwrap().to_vec(), mw);
}

// ---- var/std with ddof >= n: NumPy divides by max(n - ddof, 0) ----

/// NumPy 2 (checked in the project's venv): `np.var([1., 2.], ddof=2)` and `ddof=3` are
/// `inf`, `np.var([1., 1.], ddof=2)` is `nan` (0 / 0), `ddof=1.5` divides by 0.5. The same
/// for every chunking and along an axis.
#[test]
fn var_with_ddof_at_or_above_n_is_numpys() {
    for chunks in [vec![vec![2]], vec![vec![1, 1]]] {
        let spread = da::from_ndarray(arr1(&[1.0, 2.0]), chunks.clone());
        assert_eq!(spread.var(2.0).compute_scalar().unwrap(), f64::INFINITY);
        assert_eq!(spread.var(3.0).compute_scalar().unwrap(), f64::INFINITY);
        assert_eq!(spread.std(2.0).compute_scalar().unwrap(), f64::INFINITY);
        assert_eq!(spread.var(1.5).compute_scalar().unwrap(), 1.0); // 0.5 / 0.5
        let constant = da::from_ndarray(arr1(&[1.0, 1.0]), chunks);
        assert!(constant.var(2.0).compute_scalar().unwrap().is_nan());
    }
    let grid = da::from_ndarray(ndarray::arr2(&[[1.0, 5.0], [2.0, 5.0]]).into_dyn(), [1, 2]);
    let along = grid.var_axis(0, 2.0).compute().unwrap();
    assert_eq!(along[[0]], f64::INFINITY);
    assert!(along[[1]].is_nan());
}

// ------------------------------------------- NumPy's integer rules (a review's reproducers)

/// Sums, products and cumulative sums accumulate in NumPy's type: `i64` for `i32` and `bool`,
/// `u64` for `u8`. They used the element type, and wrapped (release) or panicked (debug).
/// The expected values are NumPy 2.4's for the same calls.
#[test]
fn integer_sums_products_and_cumsums_widen_as_numpy() {
    for chunk in [1, 7, 100, 300] {
        assert_eq!(da::ones::<u8>(&[300], chunk).sum().compute_scalar().unwrap(), 300u64);
    }
    let big = da::from_ndarray(arr1(&[2_000_000_000i32, 2_000_000_000]), 1);
    assert_eq!(big.sum().compute_scalar().unwrap(), 4_000_000_000i64);
    assert_eq!(big.prod().compute_scalar().unwrap(), 4_000_000_000_000_000_000i64);
    assert_eq!(
        big.cumsum(0).compute().unwrap().as_slice().unwrap(),
        &[2_000_000_000i64, 4_000_000_000]
    );
    let bytes = da::full([3], 1, 200u8);
    assert_eq!(bytes.cumsum(0).compute().unwrap().as_slice().unwrap(), &[200u64, 400, 600]);
    assert_eq!(
        bytes.cumprod(0).compute().unwrap().as_slice().unwrap(),
        &[200u64, 40_000, 8_000_000]
    );
    assert_eq!(da::arange(1u8, 10, 1, 3).prod().compute_scalar().unwrap(), 362_880u64);
    // Counting trues: a `bool` array sums in `i64` (it had no `sum`; `astype::<u8>` wrapped).
    let mask = da::ones::<f64>(&[1000], 64).gt(0.5);
    assert_eq!(mask.sum().compute_scalar().unwrap(), 1000i64);
    assert_eq!(mask.sum_axis(0).compute_scalar().unwrap(), 1000i64);
    // Floats and 64-bit integers keep their type.
    let f: da::Array<f32> = da::ones::<f32>(&[4], 3).sum();
    assert_eq!(f.compute_scalar().unwrap(), 4.0f32);
    assert_eq!(da::arange(0i64, 5, 1, 2).nansum().compute_scalar().unwrap(), 10i64);
    assert_eq!(
        da::from_ndarray(arr1(&[u64::MAX - 1, 1]), 1).sum().compute_scalar().unwrap(),
        u64::MAX
    );
}

/// `arange` of an integer type counts in integers: past 2^53 it went through `f64` and
/// repeated or skipped values (the start included).
#[test]
fn integer_arange_is_exact_past_two_to_the_53() {
    let s = (1i64 << 53) + 1;
    let got = da::arange(s, s + 4, 1, 2).compute().unwrap();
    assert_eq!(got.as_slice().unwrap(), &[s, s + 1, s + 2, s + 3]);
    let down = da::arange(i64::MAX, i64::MAX - 7, -3, 2).compute().unwrap();
    assert_eq!(down.as_slice().unwrap(), &[i64::MAX, i64::MAX - 3, i64::MAX - 6]);
    assert_eq!(da::arange(5i32, 5, 1, 2).shape(), &[0]);
    assert_eq!(da::arange(5i32, 0, 1, 2).shape(), &[0]);
    assert_eq!(da::arange(0i32, 10, 3, 2).compute().unwrap().as_slice().unwrap(), &[0, 3, 6, 9]);
    assert!(da::arange(0i64, 10, 0, 2).check().is_err());
    let top = da::arange(250u8, 255, 1, 4).compute().unwrap();
    assert_eq!(top.as_slice().unwrap(), &[250, 251, 252, 253, 254]);
}

/// `astype` between integer types is exact, and wraps into a narrower type as NumPy's C
/// casts do; it went through `f64` (losing `i64`s past 2^53) and saturated.
#[test]
fn astype_between_integers_is_exact_and_wraps_as_numpy() {
    let x = da::from_ndarray(arr1(&[(1i64 << 53) + 1, 1 << 31, -1, 256, 300]), 2);
    let same = x.astype::<i64>().compute().unwrap();
    assert_eq!(same.as_slice().unwrap(), &[(1i64 << 53) + 1, 1 << 31, -1, 256, 300]);
    let narrow = x.astype::<i32>().compute().unwrap();
    assert_eq!(narrow.as_slice().unwrap(), &[1, i32::MIN, -1, 256, 300]);
    let bytes = x.astype::<u8>().compute().unwrap();
    assert_eq!(bytes.as_slice().unwrap(), &[1, 0, 255, 0, 44]);
    let flags = x.astype::<bool>().compute().unwrap();
    assert_eq!(flags.as_slice().unwrap(), &[true, true, true, true, true]);
    let wide = da::from_ndarray(arr1(&[u64::MAX]), 1).astype::<i64>().compute().unwrap();
    assert_eq!(wide.as_slice().unwrap(), &[-1]);
    // From floats: truncation towards zero, as before.
    let f = da::from_ndarray(arr1(&[-2.7, 2.7]), 1).astype::<i64>().compute().unwrap();
    assert_eq!(f.as_slice().unwrap(), &[-2, 2]);
}

/// A reduction naming an axis twice is an error, as NumPy's "duplicate value in 'axis'";
/// it was merged silently.
#[test]
fn a_reduction_naming_an_axis_twice_is_an_error() {
    let x = da::ones::<f64>(&[7, 5], 3);
    let e = x.sum_axes(&[0, 0]).check().unwrap_err();
    assert!(e.to_string().contains("axis 0 is named twice"), "{e}");
    assert_eq!(x.sum_axes(&[1, 0]).compute_scalar().unwrap(), 35.0);
}

/// Concatenating many arrays records one block per input chunk, each from its own input,
/// through one table (a scan of every input per block made it quadratic).
#[test]
fn concatenating_thousands_of_arrays_keeps_every_block_in_place() {
    let n = 3000;
    let arrays: Vec<da::Array<i64>> = (0..n).map(|i| da::from_ndarray(arr1(&[i, -i]), 2)).collect();
    let c = da::concatenate(&arrays, 0);
    assert_eq!(c.shape(), &[2 * n as usize]);
    let got = c.compute().unwrap();
    let want: Vec<i64> = (0..n).flat_map(|i| [i, -i]).collect();
    assert_eq!(got.as_slice().unwrap(), want.as_slice());
    let stacked = da::stack(&arrays[..5], 1).compute().unwrap();
    assert_eq!(stacked.shape(), &[2, 5]);
    assert_eq!(stacked[[1, 4]], -4);
}

/// Integer operators wrap as NumPy's do, in every build profile: they panicked in a debug
/// build (an error naming the task) and wrapped in a release one. A zero divisor stays an
/// error naming the task (NumPy returns 0 with a warning).
#[test]
fn integer_operators_wrap_as_numpy_in_every_profile() {
    let x = da::from_ndarray(arr1(&[i64::MAX, i64::MIN, 0]), 2);
    let got = |a: da::Array<i64>| a.compute().unwrap().as_slice().unwrap().to_vec();
    assert_eq!(got(&x + 1), [i64::MIN, i64::MIN + 1, 1]);
    assert_eq!(got(&x - 1), [i64::MAX - 1, i64::MAX, -1]);
    assert_eq!(got(&x * 2), [-2, 0, 0]);
    assert_eq!(got(-&x), [-i64::MAX, i64::MIN, 0]);
    assert_eq!(got(x.abs()), [i64::MAX, i64::MIN, 0]);
    assert_eq!(got(&x / -1), [-i64::MAX, i64::MIN, 0]);
    assert_eq!(got(1 - &x), [i64::MIN + 2, i64::MIN + 1, 1]);
    let bytes = da::full([2], 1, 0u8) - 1;
    assert_eq!(bytes.compute().unwrap().as_slice().unwrap(), &[255, 255]);
    let sum = da::from_ndarray(arr1(&[i64::MAX, 1]), 1).sum().compute_scalar().unwrap();
    assert_eq!(sum, i64::MIN);
    let e = (&x / 0).compute().unwrap_err().to_string();
    assert!(e.contains("div") && e.contains("divide by zero"), "{e}");
}
