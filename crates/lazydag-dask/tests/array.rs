//! `lazydag::array` graphs on the seed's path (a random source, `x.mean()`, `x + x.T` and a
//! sum or mean over it, with `keepdims`, sliced, or a result of several blocks) are made of
//! registered tasks: they translate for a cluster with no special case and compute the same
//! bits there, here run in-process as a worker would (`RemoteGraph::run_here`). Operations
//! that are still closures are refused, naming the task. No Python needed.

use lazydag_array::Array;
use lazydag_array::ndarray::ArrayD;
use lazydag_array::random::RandomState;
use lazydag_array::s;
use lazydag_core::{Error, Plan};
use lazydag_dask::RemoteGraph;
use lazydag_optimize::Optimizer;

fn shipped(a: &Array<f64>, optimize: bool) -> Result<ArrayD<f64>, Error> {
    let whole = a.to_delayed_array().expect("a valid array");
    let plan = if optimize {
        Plan::optimized(&[whole.task()], &Optimizer::default())?
    } else {
        Plan::new(&[whole.task()])
    };
    let graph = RemoteGraph::from_plan(plan.view())?;
    let mut values = graph.run_here()?;
    Ok(values.pop().unwrap().downcast::<ArrayD<f64>>().ok().unwrap())
}

fn bits(a: &ArrayD<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn the_seed_reductions_ship_and_give_the_local_bits() {
    let x = RandomState::new(3).random([300, 300], [40, 70]);
    let tall = RandomState::new(4).random([300, 60], [40, 60]);
    let n = RandomState::new(5).normal(1.0, 2.0, [90, 60, 5], [20, 60, 5]);
    let cases = [
        x.mean(),
        x.sum(),
        tall.split_every(3).sum_axis(0),
        tall.mean_axis(0),
        (&x + &x.t()).sum(),
        (&x + &x.t()).split_every(2).mean(),
        n.mean(),
        n.sum_axes(&[0, 2]),
    ];
    for (i, y) in cases.iter().enumerate() {
        let here = y.compute().unwrap();
        for optimize in [false, true] {
            let there = shipped(y, optimize).unwrap_or_else(|e| panic!("case {i}: {e}"));
            assert_eq!(bits(&there), bits(&here), "case {i}, optimize={optimize}");
        }
    }
    // The same values as NumPy-style eager arithmetic, to rounding.
    let a = x.compute().unwrap();
    let want = a.mean().unwrap();
    let got = x.mean().compute_scalar().unwrap();
    assert!((got - want).abs() <= 1e-12, "{got} vs {want}");
}

#[test]
fn keepdims_slices_and_results_of_several_blocks_ship_and_give_the_local_bits() {
    let x = RandomState::new(6).random([300, 200], [70, 50]);
    let n = RandomState::new(7).normal(0.5, 3.0, [60, 40, 30], [25, 40, 10]);
    let cases = [
        // keepdims: a new axis of length 1 per reduced axis.
        x.keepdims().mean(),
        x.keepdims().sum_axis(1),
        n.split_every(2).keepdims().mean_axis(2),
        // results of several blocks, assembled by one named task.
        x.mean_axis(0),
        x.split_every(2).sum_axis(1),
        n.mean_axis(1),
        // slices of results (pushed down to a box of the source), and of sources.
        x.mean_axis(0).slice(s![3..97]),
        x.sum_axis(1).slice(s![..;7]),
        x.mean_axis(0).slice(s![..1]),
        n.mean_axis(1).slice(s![5..50, 2..29;3]),
        x.slice(s![10..150, 3..40]).mean(),
        x.slice(s![10..150, 3..40]).slice(s![5..120, 1..]).sum_axis(0), // a box of a box
        x.slice(s![10..150, -30..]),
        x.slice(s![..;-3, 7]),
        x.keepdims().mean_axis(0).slice(s![.., 40..140]),
    ];
    for (i, y) in cases.iter().enumerate() {
        let here = y.compute().unwrap();
        for optimize in [false, true] {
            let there = shipped(y, optimize).unwrap_or_else(|e| panic!("case {i}: {e}"));
            assert_eq!(there.shape(), here.shape(), "case {i}, optimize={optimize}");
            assert_eq!(bits(&there), bits(&here), "case {i}, optimize={optimize}");
        }
    }
    // The same values as eager ndarray, to rounding.
    let a = x.compute().unwrap();
    let want = a.mean_axis(lazydag_array::ndarray::Axis(0)).unwrap();
    let got = x.mean_axis(0).compute().unwrap();
    assert!(got.iter().zip(&want).all(|(g, w)| (g - w).abs() <= 1e-12));
}

#[test]
fn operations_that_are_closures_are_refused_naming_the_task() {
    let x = RandomState::new(5).random([100, 100], 50);
    let refused = |a: &Array<f64>| shipped(a, true).unwrap_err().to_string();
    let msg = refused(&x.map(|v| v * 2.0).sum());
    assert!(msg.contains("is a closure"), "{msg}");
    // `x - x.T` is not linear and its region has no recipe: its tree is closures.
    let msg = refused(&(&x - &x.t()).sum());
    assert!(msg.contains("is a closure") && msg.contains("task `sum-"), "{msg}");
    // A slice of a reduction over `x - x.T` is a closure tree too.
    let msg = refused(&(&x - &x.t()).mean_axis(0).slice(s![..10]));
    assert!(msg.contains("is a closure"), "{msg}");
    // A result of several blocks of closures is assembled chunk by chunk, by closures.
    let msg = refused(&x.map(|v| v + 1.0));
    assert!(msg.contains("is a closure"), "{msg}");
}
