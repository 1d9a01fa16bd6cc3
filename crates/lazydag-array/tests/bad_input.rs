//! Bad input gets a clear error while recording, before anything runs, and never a panic.

use lazydag_array::{self as da, Error, s};

fn err<T: da::Element>(x: &da::Array<T>) -> Error {
    let e = x.check().unwrap_err();
    // compute returns the same error without running anything.
    assert_eq!(x.compute().unwrap_err().to_string(), e.to_string());
    e
}

#[test]
fn shapes_that_do_not_broadcast_name_both_shapes() {
    let a = da::ones::<f64>([3, 4], 2);
    let b = da::ones::<f64>([3, 5], 2);
    let e = err(&(&a + &b));
    assert!(matches!(e, Error::Broadcast { .. }));
    let msg = e.to_string();
    assert!(msg.contains("[3, 4]") && msg.contains("[3, 5]"), "{msg}");
    assert!(err(&da::where_(&a.gt(0.0), &a, &b)).to_string().contains("[3, 5]"));
}

#[test]
fn chunks_that_do_not_fit_the_shape() {
    let e = err(&da::zeros::<f64>([10], vec![vec![4, 4]]));
    assert!(e.to_string().contains("sum to 8"), "{e}");
    let e = err(&da::zeros::<f64>([10, 2], [5]));
    assert!(e.to_string().contains("one size per axis"), "{e}");
    let x = da::zeros::<f64>([10], 5);
    assert!(err(&x.rechunk(vec![vec![3, 3]])).to_string().contains("sum to 6"));
}

#[test]
fn zero_chunk_sizes() {
    assert!(err(&da::zeros::<f64>([10], 0)).to_string().contains("chunk size 0"));
    assert!(err(&da::random::random([4, 4], [2, 0])).to_string().contains("axis 1"));
    assert!(err(&da::ones::<i32>([4], vec![vec![4, 0]])).to_string().contains("contain a 0"));
}

#[test]
fn out_of_range_slices_and_axes() {
    let x = da::arange(0i64, 10, 1, 3);
    assert!(matches!(err(&x.slice(s![..11])), Error::OutOfRange { .. }));
    assert!(err(&x.slice(s![10])).to_string().contains("index 10"));
    assert!(err(&x.slice(s![-11])).to_string().contains("index -11"));
    assert!(err(&x.slice(s![.., 1])).to_string().contains("2 indices for 1 axes"));
    assert!(matches!(err(&x.slice(s![..;0])), Error::Invalid { .. }));
    assert!(err(&x.sum_axis(1)).to_string().contains("axis 1 does not exist"));
    assert!(err(&x.cumsum(3)).to_string().contains("axis 3"));
    assert!(err(&x.transpose(&[1])).to_string().contains("permutation"));
}

#[test]
fn arange_errors() {
    assert!(da::arange(250u8, 255, 1, 2).check().is_ok());
    assert!(
        err(&da::arange_as::<u8>(0.0, 300.0, 1.0, 2).map(|v| v))
            .to_string()
            .contains("overflows u8")
    );
    assert!(err(&da::arange_as::<i32>(-3e9, 0.0, 1e8, 2)).to_string().contains("overflows i32"));
    assert!(err(&da::arange_as::<f64>(0.0, 1e300, 1e-300, 2)).to_string().contains("too many"));
    assert!(err(&da::arange(0.0, 1.0, 0.0, 2)).to_string().contains("non-zero"));
    assert!(err(&da::arange(0.0, f64::INFINITY, 1.0, 2)).to_string().contains("finite"));
}

#[test]
fn other_errors() {
    let a = da::ones::<f64>([3, 4], 2);
    let e = err(&a.dot(&a));
    assert!(e.to_string().contains("[3, 4]") && e.to_string().contains("must equal"), "{e}");
    assert!(
        err(&da::concatenate(&[a.clone(), da::ones([3, 5], 2)], 0)).to_string().contains("[3, 5]")
    );
    assert!(
        err(&da::stack(&[a.clone(), da::ones([4, 3], 2)], 0)).to_string().contains("same shape")
    );
    assert!(err(&a.split_every(1).sum()).to_string().contains("split_every"));
    assert!(err(&da::random::randint(5, 5, [3], 1)).to_string().contains("below"));
    assert!(err(&da::random::normal(0.0, -1.0, [3], 1)).to_string().contains("scale"));
    assert!(
        err(&da::from_npy::<f64>("/nonexistent/x.npy", 3))
            .to_string()
            .contains("/nonexistent/x.npy")
    );
    // The first error of a chain is the one reported.
    let chain = (&(&a + &da::ones::<f64>([2], 1)) * 2.0).sum_axis(0).sqrt();
    assert!(matches!(err(&chain), Error::Broadcast { .. }));
}

#[test]
fn a_block_of_the_wrong_shape_fails_the_compute_naming_the_task() {
    let x = da::from_fn([4], 2, |_| ndarray::ArrayD::<f64>::zeros(vec![3]));
    assert!(x.check().is_ok()); // the function has not run yet
    let e = x.compute().unwrap_err().to_string();
    assert!(e.contains("from-fn") && e.contains("chunk's shape"), "{e}");
    let y = da::arange(0.0, 4.0, 1.0, 2).map_blocks(|b| b.slice(s![..1].as_slice()).to_owned());
    assert!(y.compute().unwrap_err().to_string().contains("map-blocks"));
}

#[test]
fn reshape_to_another_size() {
    let e = err(&da::zeros::<f64>([4, 6], 2).reshape(&[5, 5]));
    assert!(e.to_string().contains("[4, 6]") && e.to_string().contains("[5, 5]"), "{e}");
}

#[test]
fn huge_shapes_and_steps_are_errors_not_panics() {
    assert!(err(&da::zeros::<f64>([usize::MAX, 2], 1)).to_string().contains("more elements"));
    assert!(
        err(&da::random::random([1 << 20, 1 << 20], [1, 1])).to_string().contains("larger chunks")
    );
    let x = da::arange(0i64, 10, 1, 3);
    assert_eq!(x.slice(s![..;isize::MAX]).compute().unwrap().as_slice().unwrap(), &[0]);
    assert_eq!(x.slice(s![..;isize::MIN]).compute().unwrap().as_slice().unwrap(), &[9]);
    assert!(err(&x.reshape(&[usize::MAX, 3])).to_string().contains("as many elements"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npy");
    std::fs::write(&path, b"not numpy at all").unwrap();
    assert!(err(&da::from_npy::<f64>(&path, 2)).to_string().contains("bad magic"));
}

#[test]
fn a_mask_that_does_not_broadcast() {
    let x = da::ones::<f64>([3, 4], 2);
    let e = x.masked(&da::full([3], 1, true)).compute().unwrap_err().to_string();
    assert!(e.contains("[3, 4]") && e.contains("[3]"), "{e}");
}
