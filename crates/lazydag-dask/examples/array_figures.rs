//! The `distributed` array figures, same run, same machine: the seed's column means (a
//! 10,000,000 × 10 `f64` table in chunks of 1,000,000 rows) and a 1 GiB array reduction
//! (`x.sum()` and `(x + x.T).sum()` of 11,585² values), end to end, locally (work-stealing
//! on this machine's cores) and on a loopback cluster of 2 one-thread workers, and the bytes
//! each shipped task carries besides its input values (spec and literal parameters).
//!
//! `export "$(bash scripts/dask-env.sh)" && cargo run --release -p lazydag-dask --features
//! python --example array_figures -- [ROUNDS]` (3 by default; medians and spread printed).

use std::time::Instant;

use lazydag_array::Array;
use lazydag_array::random::RandomState;
use lazydag_core::{Optimizer, Plan};
use lazydag_dask::{DaskCluster, RemoteGraph, main_hook};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    main_hook();
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let cluster = DaskCluster::local(2).expect("a loopback cluster of 2 workers");
    let table = RandomState::new(1).random([10_000_000, 10], [1_000_000, 10]);
    let x = RandomState::new(2).random([11_585, 11_585], [1_000, 1_000]);
    let cases: Vec<(&str, Array<f64>)> = vec![
        ("column means, 10M x 10 f64 (800 MB), 10 chunks", table.mean_axis(0)),
        ("x.sum(), 11585^2 f64 (1.07 GB), 144 chunks", x.sum()),
        ("(x + x.T).sum(), the same x", (&x + &x.t()).sum()),
    ];
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    for (what, z) in &cases {
        let whole = z.to_delayed_array().unwrap();
        let plan = Plan::optimized(&[whole.task()], &Optimizer::default()).unwrap();
        let graph = RemoteGraph::from_plan(plan.view()).unwrap();
        let (n, spec, lit) = (graph.len(), graph.spec_bytes(), graph.literal_bytes());
        let (mut local, mut remote) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            let here = z.compute().unwrap();
            local.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let there = z.compute_with(&cluster).unwrap();
            remote.push(t.elapsed().as_secs_f64());
            let bits = |a: &lazydag_array::ndarray::ArrayD<f64>| {
                a.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            assert_eq!(bits(&here), bits(&there), "{what}: the cluster computed other bits");
        }
        let spread = |v: &[f64]| {
            let (lo, hi) = v.iter().fold((f64::MAX, 0f64), |(a, b), &x| (a.min(x), b.max(x)));
            format!("{lo:.2}-{hi:.2}")
        };
        let (l, r) = (median(&mut local.clone()), median(&mut remote.clone()));
        println!(
            "{what}: local {l:.2} s ({}), cluster 2 workers {r:.2} s ({}), cluster/local {:.2}; \
             {n} Dask tasks, {:.0} spec + {:.0} literal bytes per task; load {}",
            spread(&local),
            spread(&remote),
            r / l,
            spec as f64 / n as f64,
            lit as f64 / n as f64,
            load().split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        );
    }
}
