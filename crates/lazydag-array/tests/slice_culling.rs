//! The slice-culling claim: computing `z[:5]` of the seed example runs only the chunks it
//! needs, counted by a callback (every member of a fused task included), not estimated.

mod common;

use std::collections::BTreeMap;

use lazydag_array::{self as da, s};

fn run(z: &da::Array<f64>) -> (Vec<f64>, BTreeMap<String, usize>) {
    let (v, ran) = common::run_counted(z);
    (v.iter().copied().collect(), ran)
}

#[test]
fn z_first_five_generates_only_its_columns_inside_the_partials() {
    // 20 x 20 blocks of 10 x 10. x has a region (random), so does y = x + x.T: z[:5] is
    // pushed down to y[:, :5] and each of the 20 partial means evaluates its 10 x 5 piece of
    // y (x[.., :5] and x[:5, ..].T) tile by tile: no chunk of x or y is a task of its own.
    let x = da::random::RandomState::new(1).random([200, 200], [10, 10]);
    let y = &x + &x.t();
    let z = y.mean_axis(0);
    let (first, ran) = run(&z.slice(s![..5]));
    assert_eq!(ran["mean"], 20, "{ran:?}");
    for absent in ["random", "add", "transpose", "getitem"] {
        assert!(!ran.contains_key(absent), "{ran:?}");
    }
    // The same values as the full computation, which also fuses: 400 partials.
    let (all, full) = run(&z);
    common::assert_close(
        &ndarray::ArrayD::from_shape_vec(vec![5], first).unwrap(),
        &ndarray::ArrayD::from_shape_vec(vec![5], all[..5].to_vec()).unwrap(),
    );
    assert_eq!(full["mean"], 400, "{full:?}");
    assert!(!full.contains_key("random"), "{full:?}");
}

#[test]
fn z_first_five_runs_only_the_first_block_column_and_row_of_x() {
    // The same with an x that has no region (`from_fn`: each block runs once and is held):
    // the slice is pushed through the mean, the add and the transpose to plain slices of x's
    // block column 0 and block row 0.
    let vals = da::random::RandomState::new(1).random([200, 200], [200, 200]).compute().unwrap();
    let x = da::from_fn([200, 200], [10, 10], move |b| {
        let (r, c) = (b.offset[0], b.offset[1]);
        ndarray::ArrayD::from_shape_fn(b.shape.clone(), |i| vals[[r + i[0], c + i[1]]])
    });
    let y = &x + &x.t();
    let z = y.mean_axis(0);
    let (first, ran) = run(&z.slice(s![..5]));
    assert_eq!(ran["from-fn"], 39, "{ran:?}"); // block (0, 0) is in both
    assert_eq!(ran["add"], 20, "{ran:?}");
    assert_eq!(ran["transpose"], 20, "{ran:?}");
    assert_eq!(ran["mean"], 20, "{ran:?}");
    let (all, full) = run(&z);
    common::assert_close(
        &ndarray::ArrayD::from_shape_vec(vec![5], first).unwrap(),
        &ndarray::ArrayD::from_shape_vec(vec![5], all[..5].to_vec()).unwrap(),
    );
    assert_eq!(full["from-fn"], 400, "{full:?}");
}

#[test]
fn a_slice_of_one_element_runs_one_chunk() {
    let x = da::random::RandomState::new(2).random([100, 100], [10, 10]);
    let (v, ran) = run(&x.slice(s![55, 37]));
    assert_eq!(v.len(), 1);
    assert_eq!(ran["random"], 1, "{ran:?}");
    assert_eq!(ran.get("getitem"), Some(&1));
}

#[test]
fn a_strided_slice_runs_only_the_chunks_with_selected_elements() {
    let x = da::arange(0.0, 100.0, 1.0, 10);
    // 0, 25, 50, 75: chunks 0, 2, 5, 7.
    let (v, ran) = run(&x.slice(s![..;25]));
    assert_eq!(v, vec![0.0, 25.0, 50.0, 75.0]);
    assert_eq!(ran["arange"], 4, "{ran:?}");
}
