//! Sums and means of sums of transposed views of one source (`x + x.T`), which generate each
//! source block once (`reduce::linear`), against ndarray's eager result, over random shapes,
//! chunkings (irregular and size-1 included) and every scheduler.

mod common;

use common::{chunks_from, close, schedulers};
use lazydag_array::{self as da, Array, s};
use ndarray::{ArrayD, Axis, Slice};
use proptest::prelude::*;

fn close_all(x: &Array<f64>, want: &ArrayD<f64>) {
    for s in schedulers() {
        let got = x.compute_with(&*s).unwrap();
        assert!(close(&got, want, 1e-12), "scheduler {}: got {got:?}, want {want:?}", s.name());
    }
}

fn sum_axis(a: &ArrayD<f64>, axis: usize) -> ArrayD<f64> {
    a.sum_axis(Axis(axis))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn square_sums_and_means_match_ndarray(
        n in 1usize..12,
        seeds_r in prop::collection::vec(1usize..6, 1..4),
        seeds_c in prop::collection::vec(1usize..6, 1..4),
        k in 2usize..5,
        seed in 0u64..1000,
    ) {
        let x = da::random::RandomState::new(seed)
            .random([n, n], vec![chunks_from(n, &seeds_r), chunks_from(n, &seeds_c)]);
        let a = x.compute().unwrap();
        let y = &x + &x.t();
        let b = &a + &a.t();
        for axis in 0..2 {
            close_all(&y.sum_axis(axis), &sum_axis(&b, axis));
            close_all(&y.split_every(k).mean_axis(axis), &(sum_axis(&b, axis) / n as f64));
            let kd = y.keepdims().sum_axis(axis);
            close_all(&kd, &sum_axis(&b, axis).insert_axis(Axis(axis)));
        }
        close_all(&y.sum(), &ArrayD::from_elem(vec![], b.sum()));
        close_all(&y.mean(), &ArrayD::from_elem(vec![], b.sum() / (n * n) as f64));
        // Three terms, one of them repeated; a slice of the result is pushed down as before.
        let w = &(&x.t() + &x) + &x.t();
        let c = &(&a.t() + &a) + &a.t();
        close_all(&w.mean_axis(1), &(sum_axis(&c, 1) / n as f64));
        let half = n.div_ceil(2);
        close_all(
            &y.mean_axis(0).slice(s![..half]),
            &(sum_axis(&b, 0) / n as f64).slice_axis(Axis(0), Slice::from(..half)).to_owned(),
        );
    }

    #[test]
    fn permuted_3d_sums_match_ndarray(
        (d0, d1) in (1usize..6, 1usize..6),
        seeds in prop::collection::vec(1usize..4, 1..3),
        seed in 0u64..1000,
    ) {
        // x of shape (d0, d1, d0) plus its transpose (2, 1, 0): same shape, two terms.
        let shape = [d0, d1, d0];
        let chunks: Vec<Vec<usize>> = shape.iter().map(|&n| chunks_from(n, &seeds)).collect();
        let x = da::random::RandomState::new(seed).random(shape, chunks);
        let a = x.compute().unwrap();
        let y = &x + &x.transpose(&[2, 1, 0]);
        let b = &a + &a.view().permuted_axes(vec![2, 1, 0]);
        for axis in 0..3 {
            close_all(&y.sum_axis(axis), &sum_axis(&b, axis));
        }
        close_all(&y.sum_axes(&[0, 2]), &sum_axis(&sum_axis(&b, 2), 0));
        close_all(&y.mean(), &ArrayD::from_elem(vec![], b.sum() / b.len() as f64));
    }
}

#[test]
fn sums_of_different_sources_or_broadcasts_still_match() {
    let x = da::random::RandomState::new(1).random([7, 7], [3, 2]);
    let z = da::random::RandomState::new(2).random([7, 7], [2, 3]);
    let (a, c) = (x.compute().unwrap(), z.compute().unwrap());
    close_all(&(&x + &z.t()).sum_axis(0), &sum_axis(&(&a + &c.t()), 0));
    let row = x.slice(s![0..1, ..]);
    let a_row = a.slice_axis(Axis(0), Slice::from(0..1));
    close_all(&(&x + &row).mean_axis(1), &(sum_axis(&(&a + &a_row), 1) / 7.0));
    let i = da::random::RandomState::new(3).randint(0, 10, [6, 6], [4, 2]);
    let e = i.compute().unwrap();
    for s in schedulers() {
        let got = (&i + &i.t()).sum_axis(0).compute_with(&*s).unwrap();
        assert_eq!(got, (&e + &e.t()).sum_axis(Axis(0)), "scheduler {}", s.name());
    }
}
