//! Batching is exact at batch boundaries: sizes 1, n-1, n, n+1 and failures at the edges.

use lazydag_parallel::{BatchSize, Parallel};

const BATCHES: [usize; 4] = [1, 2, 5, 8];

fn lengths(b: usize) -> Vec<usize> {
    vec![0, 1, b.saturating_sub(1), b, b + 1, 2 * b, 2 * b + 1, 5 * b + 3]
}

#[test]
fn every_item_once_in_order() {
    for b in BATCHES {
        for n in lengths(b) {
            for jobs in [1, 3] {
                let p = Parallel::new().n_jobs(jobs).batch_size(BatchSize::Fixed(b));
                let expected: Vec<usize> = (0..n).map(|i| i * 10).collect();
                assert_eq!(p.map(0..n, |i| i * 10).unwrap(), expected, "b={b} n={n} jobs={jobs}");
                let streamed: Vec<usize> =
                    p.map_iter(0..n, |i| i * 10).unwrap().map(Result::unwrap).collect();
                assert_eq!(streamed, expected, "stream b={b} n={n} jobs={jobs}");
            }
        }
    }
}

#[test]
fn failures_at_batch_edges_report_the_exact_index() {
    for b in BATCHES {
        let n = 4 * b + 1;
        let edges = [0, b - 1, b, b + 1, n - 1];
        for bad in edges.into_iter().filter(|&i| i < n) {
            let p = Parallel::new().n_jobs(2).batch_size(BatchSize::Fixed(b));
            let f = move |i: usize| if i == bad { panic!("bad {i}") } else { i };
            let err = p.map(0..n, f).unwrap_err();
            assert_eq!(err.item_index(), Some(bad), "b={b} bad={bad}");
            let all = p.clone().collect_errors().map(0..n, f).unwrap();
            assert_eq!(all.len(), n);
            for (i, r) in all.iter().enumerate() {
                assert_eq!(r.is_err(), i == bad, "b={b} bad={bad} i={i}");
            }
            assert_eq!(all[bad].as_ref().unwrap_err().index(), bad);
        }
    }
}
