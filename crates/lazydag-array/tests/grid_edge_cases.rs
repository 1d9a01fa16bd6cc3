//! Edge cases a review of rechunk, reshape, concatenate/stack, slicing, broadcasting, linear
//! algebra, clip and the slice pushdown found wrong, each asserting NumPy's behaviour or the
//! crate's own documentation: empty slices and takes run no input chunk, `stack` reports an
//! input's own error, `clip` with `min > max`, `dot`/`tensordot` errors naming the shapes
//! given, and a broadcast past the chunk limit refused at once.

mod common;

use std::time::{Duration, Instant};

use common::run_counted as run;
use lazydag_array::{self as da, Array, s};
use ndarray::{ArrayD, arr1};

/// A 200 x 200 `from_fn` array in 10 x 10 chunks: each chunk is a task named `from-fn`.
fn blocks_of_ones() -> Array<f64> {
    da::from_fn([200, 200], [10, 10], |b| ArrayD::from_elem(b.shape.clone(), 1.0))
}

/// docs/array.md ("slice: ... chunks with nothing selected get no task (so their ancestors
/// never run)"): a slice that selects nothing must run no chunk. Today the empty axis picks
/// chunk 0 (src/slice.rs, `picks.is_empty()`), so `x[5:5, :]` runs a whole row of 20 chunks
/// and `x.sum(0)[3:3]` runs the 20 partials of a block column.
#[test]
fn empty_slice_runs_no_chunk_of_its_input() {
    let f = blocks_of_ones();
    let (v, ran) = run(&f.slice(s![5..5, ..]));
    assert_eq!(v.shape(), &[0, 200]);
    assert_eq!(ran.get("from-fn"), None, "an empty slice ran input chunks: {ran:?}");
    let (v, ran) = run(&f.sum_axis(0).slice(s![3..3]));
    assert_eq!(v.shape(), &[0]);
    assert_eq!(ran.get("sum"), None, "an empty slice of a sum ran its partials: {ran:?}");
    assert_eq!(ran.get("from-fn"), None, "{ran:?}");
}

/// src/take.rs's own docs: "input chunks no index falls in get no task (their ancestors never
/// run)". With no index at all, every chunk of the first block row still runs (the empty run
/// is "selected from the first input chunk").
#[test]
fn empty_take_runs_no_chunk_of_its_input() {
    let f = blocks_of_ones();
    let (v, ran) = run(&f.take(&[], 0));
    assert_eq!(v.shape(), &[0, 200]);
    assert_eq!(ran.get("from-fn"), None, "take(&[]) ran input chunks: {ran:?}");
}

/// "The first error of a chain wins": stacking an array whose recording failed must report
/// that error, not a shape mismatch against the failed array's placeholder shape `[]`.
#[test]
fn stack_reports_an_inputs_recording_error() {
    let x = da::arange(0i64, 4, 1, 2);
    let bad = x.slice(s![9]); // index out of range
    let want = bad.check().unwrap_err().to_string();
    for arrays in [[bad.clone(), x.clone()], [x.clone(), bad.clone()]] {
        let got = da::stack(&arrays, 0).check().unwrap_err().to_string();
        assert_eq!(got, want, "stack hid its input's error");
    }
}

/// `clip` is documented "like numpy.clip", which is `minimum(maximum(x, lo), hi)`: with
/// `lo > hi` every value is `hi` (NumPy's documented behaviour), NaN stays NaN.
#[test]
fn clip_with_min_above_max_is_numpys() {
    let x = da::from_ndarray(arr1(&[-1.0, 0.5, 2.0, f64::NAN]), 2);
    let got = x.clip(1.0, 0.0).compute().unwrap();
    let want = arr1(&[0.0, 0.0, 0.0, f64::NAN]).into_dyn();
    assert!(common::close(&got, &want, 0.0), "got {got}, NumPy gives {want}");
    let i = da::arange(0i64, 5, 1, 2);
    let got = i.clip(3, 1).compute().unwrap();
    assert_eq!(got, arr1(&[1i64, 1, 1, 1, 1]).into_dyn());
}

/// A shape error of `dot` (1-d operands) and `tensordot` must name the operands the caller
/// passed and the operation called, not the lifted (`[1, 3]`, `[4, 1]`) or transposed
/// operands `dot` is built from.
#[test]
fn dot_and_tensordot_errors_name_the_shapes_given() {
    let v3 = da::ones::<f64>(&[3], 2);
    let v4 = da::ones::<f64>(&[4], 2);
    let e = v3.dot(&v4).check().unwrap_err().to_string();
    assert!(e.contains("[3]") && e.contains("[4]"), "{e}");
    let m = da::ones::<f64>(&[3, 4], 2);
    let e = m.tensordot(&m, (0, 1)).check().unwrap_err().to_string();
    assert!(e.contains("tensordot") && e.contains("[3, 4]"), "{e}");
}

/// Two arrays of 2^15 and 2^14 chunks broadcast to a grid of 2^29 chunks, over the crate's
/// limit of 2^28 (`Chunks::new`: "more than 2^28 chunks: use larger chunks"). The result
/// must be that error, at once. Today `align` (src/elementwise.rs) builds the grid with
/// `Chunks::from_sizes`, skipping the check, and records tasks until memory runs out (about
/// 170 GB). Run in a child process under `ulimit -v` so the failure is an abort of the child
/// after some seconds, not of the machine; the parent kills it after 120 s.
#[test]
fn broadcast_beyond_the_block_limit_is_refused() {
    const NAME: &str = "broadcast_beyond_the_block_limit_is_refused";
    if std::env::var_os("LAZYDAG_GRID_EDGE_CHILD").is_some() {
        let x = da::zeros::<f64>(&[1 << 15, 1], 1);
        let y = da::zeros::<f64>(&[1, 1 << 14], 1);
        match (&x + &y).check() {
            Ok(z) => println!("CHILD-RESULT recorded {} blocks", z.num_blocks()),
            Err(e) => println!("CHILD-RESULT error: {e}"),
        }
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v 3000000; exec '{}' --exact {NAME} --nocapture", exe.display()))
        .env("LAZYDAG_GRID_EDGE_CHILD", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let timed_out = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            break true;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first: String = stderr.lines().take(3).collect::<Vec<_>>().join(" | ");
    assert!(!timed_out, "recording the broadcast ran past 120 s instead of refusing the grid");
    assert!(
        out.status.success() && stdout.contains("CHILD-RESULT error:") && stdout.contains("chunks"),
        "the broadcast was not refused: child {:?} after {:?}, stdout {:?}, stderr {first}",
        out.status,
        start.elapsed(),
        stdout.lines().find(|l| l.contains("CHILD-RESULT")),
    );
}
