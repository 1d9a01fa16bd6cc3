//! Every operation against the same operation done eagerly with ndarray, on small arrays,
//! over random shapes, chunkings (irregular and size-1 included) and every scheduler.

mod common;

use common::{assert_close, chunks_from, close, schedulers};
use lazydag_array::{self as da, Array, s};
use ndarray::{Array2, ArrayD, Axis, IxDyn};
use proptest::prelude::*;

fn matrix(r: usize, c: usize, salt: u64) -> Array2<f64> {
    Array2::from_shape_fn((r, c), |(i, j)| {
        let h = (i as u64 * 31 + j as u64 * 17 + salt * 7919) % 97;
        h as f64 / 7.0 - 6.0
    })
}

fn eq_all<T: da::Element>(x: &Array<T>, want: &ArrayD<T>) {
    for s in schedulers() {
        assert_eq!(&x.compute_with(&*s).unwrap(), want, "scheduler {}", s.name());
    }
}

fn close_all(x: &Array<f64>, want: &ArrayD<f64>) {
    for s in schedulers() {
        let got = x.compute_with(&*s).unwrap();
        assert!(close(&got, want, 1e-10), "scheduler {}: got {got:?}, want {want:?}", s.name());
    }
}

fn dims() -> impl Strategy<Value = (usize, usize, Vec<usize>, Vec<usize>)> {
    (
        1usize..9,
        1usize..9,
        prop::collection::vec(1usize..6, 1..4),
        prop::collection::vec(1usize..6, 1..4),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn elementwise_and_reductions_match_ndarray((r, c, sr, sc) in dims(), salt in 0u64..100) {
        let a = matrix(r, c, salt);
        let b = matrix(r, c, salt + 1);
        let chunks = vec![chunks_from(r, &sr), chunks_from(c, &sc)];
        let other = vec![chunks_from(r, &sc), chunks_from(c, &sr)];
        let x = da::from_ndarray(a.clone(), chunks.clone());
        let y = da::from_ndarray(b.clone(), other);
        close_all(&(&x + &y), &(&a + &b).into_dyn());
        close_all(&(&x - &y), &(&a - &b).into_dyn());
        close_all(&(&x * &y), &(&a * &b).into_dyn());
        close_all(&(&x / 3.0), &(&a / 3.0).into_dyn());
        close_all(&(2.0 - &x), &(2.0 - &a).into_dyn());
        close_all(&(-&x), &(-&a).into_dyn());
        close_all(&x.abs().sqrt(), &a.mapv(|v| v.abs().sqrt()).into_dyn());
        close_all(&x.exp(), &a.mapv(f64::exp).into_dyn());
        close_all(&x.sin(), &a.mapv(f64::sin).into_dyn());
        close_all(&x.powi(3), &a.mapv(|v| v.powi(3)).into_dyn());
        close_all(&x.clip(-1.0, 1.0), &a.mapv(|v| v.clamp(-1.0, 1.0)).into_dyn());
        eq_all(&x.gt(&y), &ndarray::Zip::from(&a).and(&b).map_collect(|p, q| p > q).into_dyn());
        close_all(&da::where_(&x.lt(0.0), &x, &y), &ndarray::Zip::from(&a).and(&b).map_collect(|&p, &q| if p < 0.0 { p } else { q }).into_dyn());
        // Reductions, along each axis and in total.
        close_all(&x.sum_axis(0), &a.sum_axis(Axis(0)).into_dyn());
        close_all(&x.sum_axis(1), &a.sum_axis(Axis(1)).into_dyn());
        close_all(&x.split_every(2).sum(), &ndarray::arr0(a.sum()).into_dyn());
        close_all(&x.mean_axis(0), &a.mean_axis(Axis(0)).unwrap().into_dyn());
        close_all(&x.split_every(3).mean_axis(1), &a.mean_axis(Axis(1)).unwrap().into_dyn());
        close_all(&x.var_axis(0, 0.0), &a.var_axis(Axis(0), 0.0).into_dyn());
        close_all(&x.std_axis(1, 0.0), &a.std_axis(Axis(1), 0.0).into_dyn());
        close_all(&x.var(0.0), &ndarray::arr0(a.var(0.0)).into_dyn());
        close_all(&x.min_axis(0), &a.fold_axis(Axis(0), f64::INFINITY, |m, &v| m.min(v)).into_dyn());
        close_all(&x.max(), &ndarray::arr0(a.fold(f64::NEG_INFINITY, |m, &v| m.max(v))).into_dyn());
        let argmax0 = a.map_axis(Axis(0), |col| {
            let mut best = 0;
            for (i, &v) in col.iter().enumerate() { if v > col[best] { best = i; } }
            best as i64
        });
        eq_all(&x.argmax_axis(0), &argmax0.into_dyn());
        let flat: Vec<f64> = a.iter().copied().collect();
        let mut best = 0;
        for (i, &v) in flat.iter().enumerate() { if v < flat[best] { best = i; } }
        eq_all(&x.argmin(), &ndarray::arr0(best as i64).into_dyn());
        let mut cs = a.clone();
        cs.accumulate_axis_inplace(Axis(1), |&p, c| *c += p);
        close_all(&x.cumsum(1), &cs.into_dyn());
    }

    #[test]
    fn shape_ops_and_slices_match_ndarray((r, c, sr, sc) in dims(), salt in 0u64..100, i0 in 0usize..9, st in 1isize..4, neg in any::<bool>()) {
        let a = matrix(r, c, salt);
        let x = da::from_ndarray(a.clone(), vec![chunks_from(r, &sr), chunks_from(c, &sc)]);
        eq_all(&x.t(), &a.t().to_owned().into_dyn());
        eq_all(&x.rechunk([2, 3]), &a.clone().into_dyn());
        eq_all(&x.rechunk(1), &a.clone().into_dyn());
        let step = if neg { -st } else { st };
        let lo = (i0 % r) as isize;
        eq_all(&x.slice(s![lo..;step, ..;-1]), &a.clone().into_dyn().slice(s![lo..;step, ..;-1].as_slice()).to_owned());
        eq_all(&x.slice(s![-1, ..]), &a.row(r - 1).to_owned().into_dyn());
        eq_all(&x.slice(s![.., ndarray::NewAxis, (i0 % c) as isize]), &a.column(i0 % c).to_owned().insert_axis(Axis(1)).into_dyn());
        let both = da::concatenate(&[x.clone(), x.slice(s![..1, ..])], 0);
        eq_all(&both, &ndarray::concatenate(Axis(0), &[a.view(), a.slice_axis(Axis(0), ndarray::Slice::from(..1))]).unwrap().into_dyn());
        eq_all(&da::stack(&[x.clone(), x.clone()], 2), &ndarray::stack(Axis(2), &[a.view(), a.view()]).unwrap().into_dyn());
    }

    #[test]
    fn dot_matches_ndarray(m in 1usize..7, k in 1usize..7, n in 1usize..7, ca in 1usize..4, cb in 1usize..4) {
        let a = matrix(m, k, 3);
        let b = matrix(k, n, 4);
        let x = da::from_ndarray(a.clone(), [ca, cb]);
        let y = da::from_ndarray(b.clone(), [cb + 1, ca]);
        close_all(&x.dot(&y), &a.dot(&b).into_dyn());
        close_all(&x.dot_split(&y, 2), &a.dot(&b).into_dyn());
        close_all(&x.t().t().dot(&y), &a.dot(&b).into_dyn());
        let v = ndarray::Array1::from_shape_fn(k, |i| i as f64 - 1.5);
        close_all(&x.dot(&da::from_ndarray(v.clone(), 2)), &a.dot(&v).into_dyn());
    }

    #[test]
    fn random_values_do_not_depend_on_chunks(r in 1usize..20, c in 1usize..20, c1 in 1usize..7, c2 in 1usize..7, seed in 0u64..1000) {
        let a = da::random::RandomState::new(seed).random([r, c], [c1, c2]).compute().unwrap();
        let b = da::random::RandomState::new(seed).random([r, c], [c2, c1]).compute().unwrap();
        prop_assert_eq!(&a, &b);
        let n1 = da::random::RandomState::new(seed).normal(1.0, 2.0, [r, c], [c1, c2]).compute().unwrap();
        let n2 = da::random::RandomState::new(seed).normal(1.0, 2.0, [r, c], c1 + c2).compute().unwrap();
        prop_assert_eq!(&n1, &n2);
        let i1 = da::random::RandomState::new(seed).randint(-3, 4, [r, c], c1).compute().unwrap();
        let i2 = da::random::RandomState::new(seed).randint(-3, 4, [r, c], [c2, c1]).compute().unwrap();
        prop_assert_eq!(&i1, &i2);
        prop_assert!(i1.iter().all(|&v| (-3..4).contains(&v)));
    }
}

#[test]
fn random_is_the_same_on_every_scheduler() {
    let x = da::random::RandomState::new(5).random([30, 40], [7, 9]);
    let want = x.compute_with(&*common::sequential()).unwrap();
    eq_all(&x, &want);
}

#[test]
fn normal_has_the_requested_moments() {
    let x = da::random::RandomState::new(11).normal(3.0, 2.0, [200_000], 10_000);
    let m = x.mean().compute_scalar().unwrap();
    let s = x.std(0.0).compute_scalar().unwrap();
    assert!((m - 3.0).abs() < 0.02, "{m}");
    assert!((s - 2.0).abs() < 0.02, "{s}");
}

#[test]
fn broadcasting_follows_numpy() {
    let a = matrix(4, 3, 1);
    let row = ndarray::arr1(&[1.0, 2.0, 3.0]);
    let col = ndarray::arr2(&[[1.0], [2.0], [3.0], [4.0]]);
    let x = da::from_ndarray(a.clone(), [3, 2]);
    close_all(&(&x + &da::from_ndarray(row.clone(), 2)), &(&a + &row).into_dyn());
    close_all(&(&x * &da::from_ndarray(col.clone(), [1, 1])), &(&a * &col).into_dyn());
    let outer = &da::from_ndarray(col.clone(), 3) - &da::from_ndarray(row.clone(), 1);
    close_all(&outer, &(&col - &row).into_dyn());
}

#[test]
fn creation_matches_ndarray() {
    eq_all(&da::zeros::<i32>([3, 4], [2, 3]), &ArrayD::zeros(IxDyn(&[3, 4])));
    eq_all(&da::ones::<u8>([5], 2), &ArrayD::ones(IxDyn(&[5])));
    eq_all(&da::full([2, 2], 1, true), &ArrayD::from_elem(IxDyn(&[2, 2]), true));
    eq_all(&da::arange(0i64, 10, 3, 2), &ndarray::arr1(&[0, 3, 6, 9]).into_dyn());
    assert_close(
        &da::linspace(0.0, 1.0, 11, true, 4).compute().unwrap(),
        &ndarray::Array1::linspace(0.0, 1.0, 11).into_dyn(),
    );
    eq_all(&da::eye(5, 2), &Array2::<f64>::eye(5).into_dyn());
    let f = da::from_fn([4, 6], [3, 4], |b| {
        ArrayD::from_shape_fn(b.shape.clone(), |i| {
            ((b.offset[0] + i[0]) * 10 + b.offset[1] + i[1]) as i64
        })
    });
    eq_all(&f, &Array2::from_shape_fn((4, 6), |(i, j)| (i * 10 + j) as i64).into_dyn());
}

#[test]
fn astype_and_map_blocks() {
    let x = da::arange(-2.0, 2.0, 0.5, 3);
    eq_all(&x.astype::<i32>(), &ndarray::arr1(&[-2, -1, -1, 0, 0, 0, 1, 1]).into_dyn());
    eq_all(&x.gt(0.0).astype::<u8>(), &ndarray::arr1(&[0u8, 0, 0, 0, 0, 1, 1, 1]).into_dyn());
    let doubled = x.map_blocks(|b| b.mapv(|v| v * 2.0));
    close_all(&doubled, &ndarray::Array1::from_shape_fn(8, |i| -4.0 + i as f64).into_dyn());
}

#[test]
fn integer_and_bool_reductions() {
    let x = da::arange(0i32, 20, 1, 6);
    eq_all(&x.sum(), &ndarray::arr0(190).into_dyn());
    eq_all(&x.max(), &ndarray::arr0(19).into_dyn());
    eq_all(&x.gt(18).any(), &ndarray::arr0(true).into_dyn());
    eq_all(&x.ge(0).all(), &ndarray::arr0(true).into_dyn());
    eq_all(&x.gt(0).all(), &ndarray::arr0(false).into_dyn());
    let m = da::from_ndarray(ndarray::arr2(&[[true, false], [false, false]]), 1);
    eq_all(&m.any_axis(0), &ndarray::arr1(&[true, false]).into_dyn());
}

#[test]
fn npy_roundtrip_chunk_by_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npy");
    let a = matrix(7, 5, 9);
    let x = da::from_ndarray(a.clone(), [3, 2]);
    x.store_npy(&path).unwrap();
    let back = da::from_npy::<f64>(&path, [2, 4]);
    assert_eq!(back.chunks().sizes(), &[vec![2, 2, 2, 1], vec![4, 1]]);
    eq_all(&back, &a.into_dyn());
    let b = da::arange(0u8, 9, 1, 4);
    b.store_npy(&path).unwrap();
    eq_all(&da::from_npy::<u8>(&path, 5), &b.compute().unwrap());
    assert!(da::from_npy::<f64>(&path, 5).check().unwrap_err().to_string().contains("|u1"));
}

#[test]
fn to_delayed_and_back() {
    let x = da::arange(0.0, 10.0, 1.0, 4);
    let grid = x.to_delayed().unwrap();
    let doubled = grid.mapv(|d| d.map(|b: da::Block<f64>| (&b * 2.0).into_shared()));
    let y = Array::from_delayed(doubled, x.chunks());
    close_all(&y, &ndarray::Array1::from_shape_fn(10, |i| 2.0 * i as f64).into_dyn());
}

#[test]
fn zero_length_axes() {
    let x = da::zeros::<f64>([0, 3], [2, 2]);
    assert_eq!(x.chunks().sizes(), &[vec![0], vec![2, 1]]);
    eq_all(&x, &ArrayD::zeros(IxDyn(&[0, 3])));
    eq_all(&x.sum_axis(0), &ArrayD::zeros(IxDyn(&[3])));
    assert!(x.max_axis(0).check().is_err()); // no identity
    eq_all(&da::arange(0i64, 0, 1, 4), &ArrayD::zeros(IxDyn(&[0])));
}

#[test]
fn reusing_unique_blocks_never_changes_a_shared_one() {
    // `a`'s blocks feed two consumers; arithmetic writes in place only into a block that
    // nothing else owns, so both results and `a` itself stay right on every scheduler.
    let x = da::arange(0.0, 12.0, 1.0, 5);
    let a = &x * 2.0;
    let b = &a + 1.0;
    let c = &a - &x;
    for s in schedulers() {
        let (av, bv, cv, xv) = (
            a.compute_with(&*s).unwrap(),
            b.compute_with(&*s).unwrap(),
            c.compute_with(&*s).unwrap(),
            x.compute_with(&*s).unwrap(),
        );
        assert_eq!(bv, av.mapv(|v| v + 1.0));
        assert_eq!(cv, xv);
        assert_eq!(av, xv.mapv(|v| v * 2.0));
        let both =
            lazydag_core::compute((b.to_delayed_array().unwrap(), c.to_delayed_array().unwrap()))
                .unwrap();
        assert_eq!(both, (bv, cv));
    }
    let lit = da::from_ndarray(ndarray::arr1(&[1.0, 2.0]), 1);
    assert_eq!((&lit + 1.0).compute().unwrap(), ndarray::arr1(&[2.0, 3.0]).into_dyn());
    assert_eq!(lit.compute().unwrap(), ndarray::arr1(&[1.0, 2.0]).into_dyn());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn reshape_matches_ndarray(a in 1usize..5, b in 1usize..5, c in 1usize..4, s1 in prop::collection::vec(1usize..5, 1..3), s2 in prop::collection::vec(1usize..5, 1..3), pick in 0usize..6) {
        let data = ndarray::Array::from_shape_fn((a * b, c), |(i, j)| (i * c + j) as i64);
        let x = da::from_ndarray(data.clone(), vec![chunks_from(a * b, &s1), chunks_from(c, &s2)]);
        let targets = [vec![a * b * c], vec![a, b, c], vec![c, a * b], vec![a, b * c], vec![1, a * b * c, 1], vec![a * b * c, 1]];
        let to = &targets[pick];
        let want = data.clone().into_shape_with_order(to.clone()).unwrap();
        for s in schedulers() {
            prop_assert_eq!(x.reshape(to).compute_with(&*s).unwrap(), want.clone());
            prop_assert_eq!(x.t().reshape(to).compute_with(&*s).unwrap(), data.t().as_standard_layout().into_owned().into_shape_with_order(to.clone()).unwrap());
        }
    }
}

#[test]
fn every_element_type() {
    let f = da::arange(0.0f32, 6.0, 1.0, 4);
    eq_all(&(&f * 2.0f32 + 1.0f32), &ndarray::arr1(&[1.0f32, 3.0, 5.0, 7.0, 9.0, 11.0]).into_dyn());
    eq_all(&f.astype::<i32>().sum(), &ndarray::arr0(15).into_dyn());
    assert!(
        f.sqrt()
            .powi(2)
            .compute()
            .unwrap()
            .iter()
            .zip(0..)
            .all(|(&v, k)| (v - k as f32).abs() < 1e-5)
    );
    let i = da::arange(-3i32, 3, 1, 4);
    eq_all(&(&i * &i).max(), &ndarray::arr0(9).into_dyn());
    eq_all(&i.abs().cumsum(0), &ndarray::arr1(&[3, 5, 6, 6, 7, 9]).into_dyn());
    let u = da::full([5], 2, 200u8);
    eq_all(&u.astype::<i64>().sum(), &ndarray::arr0(1000i64).into_dyn());
    eq_all(&u.equal(200).all(), &ndarray::arr0(true).into_dyn());
    let b = da::from_ndarray(ndarray::arr1(&[true, false, true]), 2);
    eq_all(&b.astype::<i64>().sum(), &ndarray::arr0(2i64).into_dyn());
    eq_all(&da::where_(&b, 1i64, 0), &ndarray::arr1(&[1i64, 0, 1]).into_dyn());
}

#[test]
fn optimizer_off_holds_sources_and_gives_the_same_values() {
    let x = da::random::RandomState::new(4).random([40, 30], [7, 9]);
    let z = (&x + &x.slice(s![.., ..1])).mean_axis(0);
    let control = lazydag_core::Control::new().optimize(lazydag_core::Optimizer::off());
    for s in schedulers() {
        assert_eq!(z.compute_with_control(&*s, &control).unwrap(), z.compute_with(&*s).unwrap());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    #[test]
    fn boolean_masks_select_in_row_major_order((r, c, sr, sc) in dims(), salt in 0u64..100) {
        let a = matrix(r, c, salt);
        let x = da::from_ndarray(a.clone(), vec![chunks_from(r, &sr), chunks_from(c, &sc)]);
        let m = x.gt(0.0).rechunk(vec![chunks_from(r, &sc), chunks_from(c, &sr)]);
        let want: Vec<f64> = a.iter().copied().filter(|&v| v > 0.0).collect();
        for s in schedulers() {
            prop_assert_eq!(x.masked(&m).compute_with(&*s).unwrap().to_vec(), want.clone());
        }
        // A mask broadcast along the rows: every column whose first value is positive.
        let first = a.row(0).mapv(|v| v > 0.0);
        let cols = da::from_ndarray(first.clone(), 2);
        let want: Vec<f64> = a.indexed_iter().filter(|((_, j), _)| first[*j]).map(|(_, &v)| v).collect();
        prop_assert_eq!(x.masked(&cols).compute().unwrap().to_vec(), want);
    }
}

fn argmax_rows(a: &ndarray::ArrayView2<'_, f64>) -> ArrayD<i64> {
    a.rows()
        .into_iter()
        .map(|r| {
            let m = r.iter().copied().fold(f64::MIN, f64::max);
            r.iter().position(|&v| v == m).unwrap() as i64
        })
        .collect::<ndarray::Array1<i64>>()
        .into_dyn()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    // Projection pushdown and fused reductions (`src/pushdown.rs`): an elementwise chain of
    // transposes of a random source is sliced and reduced from its region, never from its
    // chunks; the results are those of ndarray on the computed array.
    #[test]
    fn pushdown_and_fused_reductions_match_ndarray(n in 1usize..12, c1 in 1usize..6, c2 in 1usize..6, seed in 0u64..100, lo in 0usize..12, st in 1isize..4, neg in any::<bool>()) {
        let x = da::random::RandomState::new(seed).random([n, n], [c1, c2]);
        let a = x.compute().unwrap().into_dimensionality::<ndarray::Ix2>().unwrap();
        let y = (&x * 2.0 + &x.t()).abs();
        let b = (&a * 2.0 + a.t()).mapv(f64::abs);
        let lo = (lo % n) as isize;
        let step = if neg { -st } else { st };
        close_all(&y.slice(s![lo..;step, ..]), &b.clone().into_dyn().slice(s![lo..;step, ..].as_slice()).to_owned());
        close_all(&y.slice(s![.., lo]), &b.column(lo as usize).to_owned().into_dyn());
        close_all(&y.sum_axis(0), &b.sum_axis(Axis(0)).into_dyn());
        close_all(&y.mean_axis(1), &b.mean_axis(Axis(1)).unwrap().into_dyn());
        close_all(&y.var_axis(0, 0.0), &b.var_axis(Axis(0), 0.0).into_dyn());
        close_all(&y.mean_axis(0).slice(s![lo..]), &b.mean_axis(Axis(0)).unwrap().into_dyn().slice(s![lo..].as_slice()).to_owned());
        eq_all(&y.argmax_axis(1).slice(s![lo..]), &argmax_rows(&b.view()).slice(s![lo..].as_slice()).to_owned());
        prop_assert!((y.sum().compute_scalar().unwrap() - b.sum()).abs() < 1e-9);
    }
}

#[test]
fn fused_reductions_over_tiles_match_ndarray() {
    // Blocks of 200 x 150 = 30,000 elements: each fused partial folds several tiles.
    let x = da::random::RandomState::new(5).normal(0.0, 1.0, [300, 300], [200, 150]);
    let a = x.compute().unwrap().into_dimensionality::<ndarray::Ix2>().unwrap();
    let y = &x - &x.t();
    let b = &a - &a.t();
    close_all(&y.sum_axis(0), &b.sum_axis(Axis(0)).into_dyn());
    close_all(&y.mean_axis(0), &b.mean_axis(Axis(0)).unwrap().into_dyn());
    close_all(&y.var_axis(1, 1.0), &b.var_axis(Axis(1), 1.0).into_dyn());
    close_all(&y.min_axis(0), &b.fold_axis(Axis(0), f64::MAX, |&m, &v| m.min(v)).into_dyn());
    let flat: Vec<f64> = b.iter().copied().collect();
    let m = flat.iter().copied().fold(f64::MIN, f64::max);
    let want = flat.iter().position(|&v| v == m).unwrap() as i64;
    assert_eq!(y.argmax().compute_scalar().unwrap(), want);
    assert!((y.mean().compute_scalar().unwrap() - b.mean().unwrap()).abs() < 1e-12);
}

fn with_nans(a: &Array2<f64>, salt: u64) -> Array2<f64> {
    let mut b = a.clone();
    for ((i, j), v) in b.indexed_iter_mut() {
        if (i as u64 * 5 + j as u64 * 3 + salt).is_multiple_of(4) {
            *v = f64::NAN;
        }
    }
    b
}

fn nan_fold(a: &Array2<f64>, axis: usize, init: f64, f: impl Fn(f64, f64) -> f64) -> ArrayD<f64> {
    a.fold_axis(Axis(axis), f64::NAN, |&acc, &v| {
        if v.is_nan() {
            acc
        } else if acc.is_nan() {
            f(init, v)
        } else {
            f(acc, v)
        }
    })
    .into_dyn()
}

/// NaN-aware closeness: NaN where both are NaN.
fn close_nan(got: &ArrayD<f64>, want: &ArrayD<f64>) -> bool {
    got.shape() == want.shape()
        && got
            .iter()
            .zip(want)
            .all(|(&g, &w)| (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-10 * (1.0 + w.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    // keepdims, prod, cumprod and the NaN-skipping reductions against ndarray.
    #[test]
    fn more_reductions_match_ndarray((r, c, sr, sc) in dims(), salt in 0u64..100) {
        let a = matrix(r, c, salt);
        let chunks = vec![chunks_from(r, &sr), chunks_from(c, &sc)];
        let x = da::from_ndarray(a.clone(), chunks.clone());
        for s in schedulers() {
            let kd = x.keepdims().sum_axis(1).compute_with(&*s).unwrap();
            prop_assert!(close(&kd, &a.sum_axis(Axis(1)).insert_axis(Axis(1)).into_dyn(), 1e-10));
            let kd = x.split_every(2).keepdims().mean().compute_with(&*s).unwrap();
            prop_assert_eq!(kd.shape(), &[1, 1]);
            prop_assert!((kd[[0, 0]] - a.mean().unwrap()).abs() < 1e-10);
        }
        let small = a.mapv(|v| 1.0 + v / 50.0);
        let y = da::from_ndarray(small.clone(), chunks.clone());
        close_all(&y.prod_axis(0), &small.map_axis(Axis(0), |l| l.product()).into_dyn());
        prop_assert!((y.prod().compute_scalar().unwrap() - small.product()).abs() < 1e-10 * small.product().abs());
        let mut cp = small.clone();
        cp.accumulate_axis_inplace(Axis(1), |&p, v| *v *= p);
        close_all(&y.cumprod(1), &cp.into_dyn());
        let n = with_nans(&a, salt);
        let z = da::from_ndarray(n.clone(), chunks);
        for axis in 0..2 {
            for sch in schedulers() {
                let got = z.nansum_axis(axis).compute_with(&*sch).unwrap();
                assert!(close_nan(&got, &n.mapv(|v| if v.is_nan() { 0.0 } else { v }).sum_axis(Axis(axis)).into_dyn()));
                let cnt = n.mapv(|v| if v.is_nan() { 0.0 } else { 1.0 }).sum_axis(Axis(axis));
                let sum = n.mapv(|v| if v.is_nan() { 0.0 } else { v }).sum_axis(Axis(axis));
                assert!(close_nan(&z.nanmean_axis(axis).compute_with(&*sch).unwrap(), &(&sum / &cnt).into_dyn()));
                assert!(close_nan(&z.nanmin_axis(axis).compute_with(&*sch).unwrap(), &nan_fold(&n, axis, f64::MAX, f64::min)));
                assert!(close_nan(&z.nanmax_axis(axis).compute_with(&*sch).unwrap(), &nan_fold(&n, axis, f64::MIN, f64::max)));
            }
        }
    }

    // reshape with -1 and integer-array indexing against ndarray.
    #[test]
    fn reshape_infer_and_take_match_ndarray((r, c, sr, sc) in dims(), salt in 0u64..100, picks in prop::collection::vec(-20isize..20, 0..8), axis in 0usize..2) {
        let a = matrix(r, c, salt);
        let x = da::from_ndarray(a.clone(), vec![chunks_from(r, &sr), chunks_from(c, &sc)]);
        let flat = ArrayD::from_shape_vec(vec![r * c], a.iter().copied().collect()).unwrap();
        eq_all(&x.reshape_infer(&[-1]), &flat);
        eq_all(&x.reshape_infer(&[c as isize, -1]), &flat.clone().into_shape_with_order(vec![c, r]).unwrap());
        let len = a.shape()[axis] as isize;
        let idx: Vec<isize> = picks.iter().map(|&i| i % len).collect();
        let pos: Vec<usize> = idx.iter().map(|&i| if i < 0 { (len + i) as usize } else { i as usize }).collect();
        if !idx.is_empty() {
            eq_all(&x.take(&idx, axis), &a.select(Axis(axis), &pos).into_dyn());
        }
        prop_assert!(x.take(&[len], axis).check().is_err());
    }
}

#[test]
fn pushdown_through_broadcasting_and_mixed_sources() {
    // A region operand broadcast against a from_fn one (no region): the slice goes through the
    // boxer of the add to a box of each operand; values as ndarray's.
    let a = matrix(7, 6, 3);
    let row = ndarray::Array1::from_shape_fn(6, |j| j as f64 * 0.5);
    let held = a.clone().into_dyn();
    let x = da::from_fn([7, 6], [3, 4], move |b| {
        let (r, c) = (b.offset[0], b.offset[1]);
        ArrayD::from_shape_fn(b.shape.clone(), |i| held[[r + i[0], c + i[1]]])
    });
    let v = da::from_ndarray(row.clone(), 4);
    let col = da::arange(0.0, 7.0, 1.0, 2).reshape(&[7, 1]);
    let y = &(&x + &v) * &col;
    let want = (&a + &row) * ndarray::Array1::from_iter((0..7).map(f64::from)).insert_axis(Axis(1));
    let want = want.into_dyn();
    for sel in [s![2..5, 1..], s![-1, ..;2], s![..;-2, 3]] {
        let w = want.slice(sel.as_slice()).to_owned();
        close_all(&y.slice(sel), &w);
    }
    close_all(
        &y.sum_axis(1).slice(s![1..4]),
        &want.sum_axis(Axis(1)).slice(s![1..4].as_slice()).to_owned(),
    );
}
