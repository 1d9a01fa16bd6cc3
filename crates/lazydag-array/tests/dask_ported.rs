//! Cases ported from dask's own test-suite (`dask/array/tests/` of the dask/dask repository);
//! each test names the test it came from. Dask's NumPy reference results are recomputed
//! with ndarray; dask's per-axis `split_every` dicts become our single `split_every`.

mod common;

use common::assert_close;
use lazydag_array::{self as da, Array, s};
use ndarray::{Array1, Array2, ArrayD, Axis, IxDyn};
use petgraph::Direction;

/// The largest number of inputs of any task in `x`'s graph (dask's `assert_max_deps`).
fn max_deps<T: da::Element>(x: &Array<T>) -> usize {
    let grid = x.to_delayed().unwrap();
    let all: Vec<_> = grid.iter().cloned().collect();
    let g = lazydag_core::graph(&all);
    g.node_indices().map(|n| g.neighbors_directed(n, Direction::Incoming).count()).max().unwrap()
}

/// How many tasks named `name` the graph of `x` holds.
fn tasks_named<T: da::Element>(x: &Array<T>, name: &str) -> usize {
    let grid = x.to_delayed().unwrap();
    let all: Vec<_> = grid.iter().cloned().collect();
    let g = lazydag_core::graph(&all);
    g.node_weights().filter(|t| t.key.name() == name).count()
}

fn arange2(r: usize, c: usize) -> Array2<i64> {
    Array2::from_shape_fn((r, c), |(i, j)| (i * c + j) as i64)
}

// test_reductions.py::test_tree_reduce_depth (2-D part, integer split_every).
#[test]
fn tree_reduce_depth() {
    let x = da::from_ndarray(arange2(11, 22), [3, 4]); // 4 x 6 blocks
    assert!(max_deps(&x.split_every(20).sum()) <= 20);
    assert_eq!(max_deps(&x.split_every(20).sum_axis(0)), 4);
    assert_eq!(max_deps(&x.split_every(20).sum_axis(1)), 6);
    assert_eq!(max_deps(&x.split_every(2).sum_axis(1)), 2);
    assert_eq!(max_deps(&x.split_every(3).sum()), 3);
    assert_eq!(x.split_every(2).sum().compute_scalar().unwrap(), (0..242).sum::<i64>());
}

// test_reductions.py::test_reductions_2D (sum/mean/var/std/min/max/argmin/argmax on
// axis 0, axis 1 and all; chunks (3, 4) of a 7 x 11 random array).
#[test]
fn reductions_2d() {
    let x = da::random::RandomState::new(0).random([7, 11], [3, 4]);
    let a = x.compute_dim::<ndarray::Ix2>().unwrap();
    for axis in 0..2 {
        assert_close(&x.sum_axis(axis).compute().unwrap(), &a.sum_axis(Axis(axis)).into_dyn());
        assert_close(
            &x.mean_axis(axis).compute().unwrap(),
            &a.mean_axis(Axis(axis)).unwrap().into_dyn(),
        );
        assert_close(
            &x.var_axis(axis, 1.0).compute().unwrap(),
            &a.var_axis(Axis(axis), 1.0).into_dyn(),
        );
        assert_close(
            &x.std_axis(axis, 0.0).compute().unwrap(),
            &a.std_axis(Axis(axis), 0.0).into_dyn(),
        );
    }
    assert_close(&x.std(1.0).compute().unwrap(), &ndarray::arr0(a.std(1.0)).into_dyn());
    let flat: Vec<f64> = a.iter().copied().collect();
    let amax = (0..flat.len()).max_by(|&i, &j| flat[i].total_cmp(&flat[j])).unwrap();
    assert_eq!(x.argmax().compute_scalar().unwrap(), amax as i64);
}

// test_reductions.py::test_arg_reductions (argmin/argmax along every axis of a 3-d array).
#[test]
fn arg_reductions_3d() {
    let x = da::random::RandomState::new(3).random([10, 10, 10], [3, 4, 5]);
    let a = x.compute().unwrap();
    for axis in 0..3 {
        let want = a.map_axis(Axis(axis), |lane| {
            (0..lane.len()).fold(0, |b, i| if lane[i] < lane[b] { i } else { b }) as i64
        });
        assert_eq!(x.argmin_axis(axis).compute().unwrap(), want);
    }
}

// test_reductions.py::test_reductions_with_empty_array (mean of an empty axis is NaN).
#[test]
fn reductions_with_empty_array() {
    let x = da::ones::<f64>([10, 0, 5], 4);
    assert!(x.mean().compute_scalar().unwrap().is_nan());
    assert_eq!(x.mean_axis(1).compute().unwrap().shape(), &[10, 5]);
    assert!(x.mean_axis(1).compute().unwrap().iter().all(|v| v.is_nan()));
    assert_eq!(x.mean_axis(0).compute().unwrap().shape(), &[0, 5]);
}

// test_slicing.py::test_slice_1d (x[10:51] of 100 elements in chunks of 25 touches
// chunks 0, 1, 2 and keeps their boundaries).
#[test]
fn slice_1d() {
    let x = da::arange(0i64, 100, 1, 25);
    let y = x.slice(s![10..51]);
    assert_eq!(y.chunks().sizes(), &[vec![15, 25, 1]]);
    assert_eq!(y.compute().unwrap(), Array1::from_iter(10..51).into_dyn());
    assert_eq!(tasks_named(&y, "arange"), 3);
}

// test_slicing.py::test_slice_singleton_value_on_boundary (x[10] of chunks (5, 5, 5) is
// element 0 of chunk 2).
#[test]
fn slice_singleton_value_on_boundary() {
    let x = da::arange(0i64, 15, 1, 5);
    let y = x.slice(s![10]);
    assert_eq!(tasks_named(&y, "arange"), 1);
    assert_eq!(y.compute_scalar().unwrap(), 10);
    let x = da::arange(0i64, 30, 1, 5);
    assert_eq!(x.slice(s![10]).compute_scalar().unwrap(), 10);
}

// test_slicing.py::test_slice_array_2d (x[13::2, 10::1] of chunks ((20,), (20, 20, 5)),
// and x[5, 10::1]).
#[test]
fn slice_array_2d() {
    let a = arange2(20, 45);
    let x = da::from_ndarray(a.clone(), vec![vec![20], vec![20, 20, 5]]);
    let y = x.slice(s![13..;2, 10..]);
    assert_eq!(y.chunks().sizes(), &[vec![4], vec![10, 20, 5]]);
    assert_eq!(
        y.compute().unwrap(),
        a.clone().into_dyn().slice(s![13..;2, 10..].as_slice()).to_owned()
    );
    let z = x.slice(s![5, 10..]);
    assert_eq!(z.chunks().sizes(), &[vec![10, 20, 5]]);
    assert_eq!(
        z.compute().unwrap(),
        a.row(5).slice_axis(Axis(0), ndarray::Slice::from(10..)).to_owned().into_dyn()
    );
}

// test_array_core.py::test_stack (three (4, 6) arrays in chunks (2, 3)).
#[test]
fn stack() {
    let parts: Vec<Array<f64>> = (0..3).map(|i| da::full([4, 6], [2, 3], i as f64)).collect();
    let s0 = da::stack(&parts, 0);
    assert_eq!(s0.shape(), &[3, 4, 6]);
    assert_eq!(s0.chunks().sizes(), &[vec![1, 1, 1], vec![2, 2], vec![3, 3]]);
    let s2 = da::stack(&parts, 2);
    assert_eq!(s2.shape(), &[4, 6, 3]);
    assert_eq!(s2.chunks().sizes(), &[vec![2, 2], vec![3, 3], vec![1, 1, 1]]);
    assert_eq!(s2.slice(s![.., .., 2]).compute().unwrap(), ArrayD::from_elem(IxDyn(&[4, 6]), 2.0));
}

// test_array_core.py::test_concatenate (three (4, 6) arrays, axis 0 and axis 1).
#[test]
fn concatenate() {
    let parts: Vec<Array<f64>> = (0..3).map(|i| da::full([4, 6], [2, 3], i as f64)).collect();
    let c0 = da::concatenate(&parts, 0);
    assert_eq!(c0.shape(), &[12, 6]);
    assert_eq!(c0.chunks().sizes(), &[vec![2; 6], vec![3, 3]]);
    let c1 = da::concatenate(&parts, 1);
    assert_eq!(c1.chunks().sizes(), &[vec![2, 2], vec![3; 6]]);
    assert_eq!(c1.slice(s![.., 12..]).max().compute_scalar().unwrap(), 2.0);
}

// test_array_core.py::test_concatenate_unknown_axes is out of scope; here
// test_array_core.py::test_concatenate_rechunk (different chunks on the other axis).
#[test]
fn concatenate_rechunk() {
    let a = da::ones::<f64>([4, 6], [2, 3]);
    let b = da::zeros::<f64>([4, 6], [4, 2]);
    let c = da::concatenate(&[a, b], 0);
    assert_eq!(c.chunks().sizes(), &[vec![2, 2, 4], vec![2, 1, 1, 2]]);
    assert_eq!(c.sum().compute_scalar().unwrap(), 24.0);
}

// test_array_core.py::test_broadcast_shapes ((5, 1, 7) with (1, 3, 7); (2, 3) with (4,)
// fails).
#[test]
fn broadcast_shapes() {
    let a = da::zeros::<f64>([5, 1, 7], 2);
    let b = da::ones::<f64>([1, 3, 7], 2);
    assert_eq!((&a + &b).shape(), &[5, 3, 7]);
    assert_eq!((&a + &da::ones::<f64>([7], 3)).shape(), &[5, 1, 7]);
    let bad = &da::zeros::<f64>([2, 3], 1) + &da::zeros::<f64>([4], 1);
    assert!(matches!(bad.check(), Err(da::Error::Broadcast { .. })));
}

// test_rechunk.py::test_rechunk_1d and test_rechunk_2d.
#[test]
fn rechunk_1d_and_2d() {
    let x = da::ones::<f64>([30], 10);
    let y = x.rechunk(15);
    assert_eq!(y.chunks().sizes(), &[vec![15, 15]]);
    assert_eq!(y.compute().unwrap(), x.compute().unwrap());
    let a = arange2(20, 20);
    let x = da::from_ndarray(a.clone(), [10, 5]);
    let y = x.rechunk(vec![vec![5, 5, 5, 5], vec![10, 10]]);
    assert_eq!(y.chunks().sizes(), &[vec![5; 4], vec![10, 10]]);
    assert_eq!(y.compute().unwrap(), a.into_dyn());
}

// test_creation.py::test_arange (77 elements in chunks of 13; start/stop/step; negative
// step).
#[test]
fn arange() {
    let x = da::arange(0i64, 77, 1, 13);
    assert_eq!(x.chunks().sizes(), &[vec![13, 13, 13, 13, 13, 12]]);
    assert_eq!(x.compute().unwrap(), Array1::from_iter(0..77).into_dyn());
    assert_eq!(da::arange(2i64, 13, 1, 5).compute().unwrap(), Array1::from_iter(2..13).into_dyn());
    let f = da::arange(0.5, 9.5, 0.3, 3).compute().unwrap();
    assert_eq!(f.len(), 30);
    assert_eq!(
        da::arange(77i64, 0, -4, 5).compute().unwrap(),
        Array1::from_iter((1..=77).rev().step_by(4)).into_dyn()
    );
}

// test_creation.py::test_linspace (num 50 by default in dask; endpoint true and false).
#[test]
fn linspace() {
    let got = da::linspace(6.0, 49.0, 50, true, 5).compute().unwrap();
    assert_close(&got, &Array1::linspace(6.0, 49.0, 50).into_dyn());
    let open = da::linspace(6.0, 49.0, 50, false, 5).compute().unwrap();
    let step = (49.0 - 6.0) / 50.0;
    assert_close(&open, &Array1::from_shape_fn(50, |i| 6.0 + i as f64 * step).into_dyn());
}

// test_creation.py::test_eye (eye(9, chunks=3); eye(10, chunks=3)).
#[test]
fn eye() {
    for n in [9, 10] {
        let e = da::eye(n, 3);
        assert_eq!(e.compute().unwrap(), Array2::<f64>::eye(n).into_dyn());
        assert_eq!(e.sum().compute_scalar().unwrap(), n as f64);
    }
}

// test_routines.py::test_tensordot (arange(400) as 20 x 20 in chunks (5, 5); axes 1 is a
// dot, and contracting axis 0 with axis 0 is aᵀ·b).
#[test]
fn tensordot() {
    let a = Array2::from_shape_fn((20, 20), |(i, j)| (i * 20 + j) as f64);
    let x = da::from_ndarray(a.clone(), [5, 5]);
    assert_eq!(x.tensordot(&x, (1, 0)).compute().unwrap(), a.dot(&a).into_dyn());
    assert_eq!(x.tensordot(&x, (0, 0)).compute().unwrap(), a.t().dot(&a).into_dyn());
}

// test_routines.py::test_cumsum (axis 0 and 1 of a chunked 2-d array).
#[test]
fn cumsum() {
    let a = arange2(5, 7);
    let x = da::from_ndarray(a.clone(), [2, 3]);
    for axis in 0..2 {
        let mut want = a.clone();
        want.accumulate_axis_inplace(Axis(axis), |&p, c| *c += p);
        assert_eq!(x.cumsum(axis).compute().unwrap(), want.into_dyn());
    }
}

// test_random.py::test_consistent_across_sizes (the same seed gives the same values
// whatever the chunks).
#[test]
fn random_consistent_across_sizes() {
    let a = da::random::RandomState::new(123).random([1000], 100).compute().unwrap();
    let b = da::random::RandomState::new(123).random([1000], 200).compute().unwrap();
    let c = da::random::RandomState::new(123).random([1000], vec![vec![1, 999]]).compute().unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    let other = da::random::RandomState::new(124).random([1000], 100).compute().unwrap();
    assert_ne!(a, other);
}

// test_array_core.py::test_to_delayed (one Delayed per block, in the block grid's shape).
#[test]
fn to_delayed() {
    let x = da::random::RandomState::new(0).random([4, 4], [2, 2]);
    let grid = x.to_delayed().unwrap();
    assert_eq!(grid.shape(), &[2, 2]);
    let corner = grid[[1, 0]].compute().unwrap();
    assert_eq!(corner, x.compute().unwrap().slice(s![2.., ..2].as_slice()).to_owned());
}

// test_array_core.py::test_reshape (shape pairs with chunks of 2, against NumPy's reshape).
#[test]
fn reshape() {
    let cases: [(&[usize], &[usize]); 10] = [
        (&[24], &[24]),
        (&[24], &[2, 3, 4]),
        (&[2, 3, 4], &[24]),
        (&[4, 4, 1], &[4, 4]),
        (&[4, 4], &[4, 4, 1]),
        (&[1, 4, 4], &[4, 4]),
        (&[4, 4], &[1, 4, 4]),
        (&[3, 4], &[4, 3]),
        (&[4, 6, 5], &[24, 5]),
        (&[2, 3, 4, 5], &[6, 20]),
    ];
    for (from, to) in cases {
        let n: usize = from.iter().product();
        let a = Array1::from_iter(0..n as i64).into_shape_with_order(IxDyn(from)).unwrap();
        let x = da::from_ndarray(a.clone(), 2);
        let want = a.into_shape_with_order(IxDyn(to)).unwrap();
        assert_eq!(x.reshape(to).compute().unwrap(), want, "{from:?} -> {to:?}");
    }
}

// test_reductions.py::test_nan (x with NaNs, chunks (2, 2); nansum, nanmean, nanmin, nanmax
// over all axes, axis 0 and axis 1).
#[test]
fn nan_reductions() {
    let n = f64::NAN;
    let a = ndarray::arr2(&[[1.0, n, 3.0, 4.0], [5.0, 6.0, 7.0, n], [9.0, 10.0, 11.0, 12.0]]);
    let x = da::from_ndarray(a.clone(), [2, 2]);
    assert_eq!(x.nansum().compute_scalar().unwrap(), 68.0);
    assert_eq!(x.nanmean().compute_scalar().unwrap(), 6.8);
    assert_eq!(x.nanmin().compute_scalar().unwrap(), 1.0);
    assert_eq!(x.nanmax().compute_scalar().unwrap(), 12.0);
    assert_eq!(x.nansum_axis(0).compute().unwrap().as_slice().unwrap(), &[15.0, 16.0, 21.0, 16.0]);
    assert_eq!(x.nanmean_axis(1).compute().unwrap().as_slice().unwrap(), &[8.0 / 3.0, 6.0, 10.5]);
    assert_eq!(x.nanmin_axis(0).compute().unwrap().as_slice().unwrap(), &[1.0, 6.0, 3.0, 4.0]);
    assert_eq!(x.nanmax_axis(1).compute().unwrap().as_slice().unwrap(), &[4.0, 7.0, 12.0]);
    // An all-NaN slice gives NaN (NumPy warns, then returns NaN).
    let all_nan = da::from_ndarray(ndarray::arr1(&[n, n, 1.0]), 2);
    assert!(all_nan.slice(s![..2]).nanmax().compute_scalar().unwrap().is_nan());
}

// test_reductions.py::test_reductions_2D (the keepdims=True assertions, and prod).
#[test]
fn reductions_2d_keepdims_and_prod() {
    let a = Array2::from_shape_fn((7, 7), |(i, j)| 1.0 + ((i * 7 + j) % 5) as f64 / 10.0);
    let x = da::from_ndarray(a.clone(), [3, 3]);
    let k = x.keepdims().sum_axis(1).compute().unwrap();
    assert_eq!(k.shape(), &[7, 1]);
    assert_close(&k, &a.sum_axis(Axis(1)).insert_axis(Axis(1)).into_dyn());
    assert_eq!(x.keepdims().sum().compute().unwrap().shape(), &[1, 1]);
    assert_eq!(x.keepdims().max_axis(0).shape(), &[1, 7]);
    assert_eq!(x.keepdims().argmin_axis(0).shape(), &[1, 7]);
    assert!((x.prod().compute_scalar().unwrap() - a.product()).abs() < 1e-9 * a.product());
    assert_close(
        &x.prod_axis(0).compute().unwrap(),
        &a.map_axis(Axis(0), |l| l.product()).into_dyn(),
    );
}

// test_reductions.py::test_array_cumreduction_axis (cumprod over each axis, chunks 3).
#[test]
fn cumreduction_axis_cumprod() {
    let a = Array2::from_shape_fn((5, 6), |(i, j)| 1 + ((i + 2 * j) % 3) as i64);
    let x = da::from_ndarray(a.clone(), [3, 3]);
    for axis in 0..2 {
        let mut want = a.clone();
        want.accumulate_axis_inplace(Axis(axis), |&p, v| *v *= p);
        assert_eq!(x.cumprod(axis).compute().unwrap(), want.into_dyn());
    }
}

// test_array_core.py::test_reshape_unknown_dimensions (-1 in the new shape; two -1s raise).
#[test]
fn reshape_unknown_dimensions() {
    for original in [vec![24], vec![2, 12], vec![2, 3, 4]] {
        for new in [vec![-1isize], vec![2, -1], vec![-1, 3, 4]] {
            let v: Vec<i64> = (0..24).collect();
            let x = ArrayD::from_shape_vec(IxDyn(&original), v.clone()).unwrap();
            let a = da::from_ndarray(x, 24);
            let want: Vec<usize> = new
                .iter()
                .map(|&d| {
                    if d == -1 {
                        24 / new.iter().filter(|&&e| e > 0).product::<isize>() as usize
                    } else {
                        d as usize
                    }
                })
                .collect();
            let got = a.reshape_infer(&new).compute().unwrap();
            assert_eq!(got, ArrayD::from_shape_vec(IxDyn(&want), v).unwrap());
        }
    }
    let a = da::arange(0i64, 24, 1, 24);
    assert!(a.reshape_infer(&[-1, -1]).check().is_err());
}

// test_slicing.py::test_take (indices [5, 1, 47, 3] into chunks (20, 20, 20, 20): output
// chunks (2, 1, 1), each from one input chunk).
#[test]
fn take_chunks() {
    let x = da::arange(0i64, 80, 1, 20);
    let y = x.take(&[5, 1, 47, 3], 0);
    assert_eq!(y.chunks().sizes(), &[vec![2, 1, 1]]);
    assert_eq!(y.compute().unwrap().as_slice().unwrap(), &[5, 1, 47, 3]);
    assert_eq!(tasks_named(&y, "take"), 3);
    assert_eq!(tasks_named(&y, "arange"), 2); // chunks 0 and 2 only
    // test_slicing.py::test_take_sorted: sorted indices give one chunk per chunk touched.
    let z = da::from_ndarray(Array1::from_iter(0..40i64), 10).take(&[1, 3, 5, 37], 0);
    assert_eq!(z.chunks().sizes(), &[vec![3, 1]]);
}
