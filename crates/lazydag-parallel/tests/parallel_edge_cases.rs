//! `Parallel` at its edges: more jobs than items (and no items at all), a stream whose input
//! and function both panic, streams dropped early (no thread left behind), and results in
//! input order however uneven the items and whatever the batch size.

mod common;

use std::time::Duration;

use common::{guard, serial};
use lazydag_parallel::{BatchSize, Parallel};

#[test]
fn more_jobs_than_items() {
    let _s = serial();
    guard(120, || {
        for jobs in [1isize, 2, 7, 64] {
            let p = Parallel::new().n_jobs(jobs);
            assert_eq!(p.map(0..3u32, |x| x + 1).unwrap(), vec![1, 2, 3]);
            assert_eq!(p.map(Vec::<u32>::new(), |x| x + 1).unwrap(), Vec::<u32>::new());
            let s: Vec<u32> = p.map_iter(0..3u32, |x| x + 1).unwrap().map(Result::unwrap).collect();
            assert_eq!(s, vec![1, 2, 3]);
            let c =
                p.clone().collect_errors().map(0..3u32, |x| if x == 1 { panic!("one") } else { x });
            let c = c.unwrap();
            assert_eq!(c.len(), 3);
            assert_eq!(c[1].as_ref().unwrap_err().index(), 1);
            let e = p.map(0..3u32, |x| if x == 2 { panic!("two") } else { x }).unwrap_err();
            assert_eq!(e.item_index(), Some(2));
            for verbose in [1, 10] {
                let v = p.clone().verbose(verbose);
                assert_eq!(v.map(Vec::<u8>::new(), |x| x).unwrap(), Vec::<u8>::new());
                assert_eq!(v.map_iter(Vec::<u8>::new(), |x| x).unwrap().count(), 0);
            }
        }
        for jobs in [-1isize, -2] {
            if let Ok(n) = Parallel::new().n_jobs(jobs).effective_n_jobs() {
                assert!(n >= 1);
                let p = Parallel::new().n_jobs(jobs);
                assert_eq!(p.map(0..5u32, |x| x).unwrap(), vec![0, 1, 2, 3, 4]);
            }
        }
    });
}

#[test]
fn streams_in_collect_mode_with_a_panicking_input_and_function() {
    let _s = serial();
    guard(120, || {
        for jobs in [1isize, 2, 3] {
            let input = (0..100u32).map(|i| if i == 57 { panic!("input broke") } else { i });
            let p = Parallel::new().n_jobs(jobs).batch_size(BatchSize::Fixed(4));
            let all: Vec<_> = p
                .clone()
                .collect_errors()
                .map_iter(input.clone(), |x| if x % 10 == 3 { panic!("f {x}") } else { x })
                .unwrap()
                .collect();
            assert_eq!(all.len(), 58, "jobs {jobs}");
            for (i, r) in all.iter().enumerate() {
                match r {
                    Ok(v) => assert_eq!(*v as usize, i),
                    Err(e) => {
                        assert_eq!(e.index(), i);
                        assert!(i % 10 == 3 || i == 57, "{i}: {e}");
                    }
                }
            }
            // Stop mode: values in order, then exactly one error, then the end.
            let out: Vec<_> = p.map_iter(input, |x| x).unwrap().collect();
            let (last, values) = out.split_last().unwrap();
            assert_eq!(last.as_ref().unwrap_err().item_index(), Some(57), "jobs {jobs}");
            assert!(values.iter().enumerate().all(|(i, v)| *v.as_ref().unwrap() as usize == i));
        }
    });
}

#[test]
fn dropping_streams_early_leaves_no_thread() {
    let _s = serial();
    guard(120, || {
        for round in 0..20u32 {
            let p = Parallel::new().n_jobs(3).batch_size(BatchSize::Fixed(2));
            let mut s = p
                .map_iter(0u64.., move |x| {
                    if x == 5 + u64::from(round) {
                        panic!("boom")
                    }
                    x
                })
                .unwrap();
            let _ = s.next();
            drop(s);
            let mut s = p.clone().collect_errors().map_iter(0u64.., |x| x).unwrap();
            let _ = s.nth(10);
            drop(s);
            let errs: Vec<_> = p
                .map_iter(0u64..1000, move |x| if x == 100 { panic!("x") } else { x })
                .unwrap()
                .collect();
            assert!(errs.last().unwrap().is_err());
        }
        // Pool workers live on; every stream's dispatchers must be gone.
        let left = common::threads_down_to("lazydag-paralle", 0);
        assert!(matches!(left, None | Some(0)), "{left:?} dispatcher threads leaked");
    });
}

#[test]
fn results_are_in_order_with_uneven_items() {
    let _s = serial();
    guard(300, || {
        for jobs in [2isize, 3, 5] {
            for batch in [BatchSize::Auto, BatchSize::Fixed(1), BatchSize::Fixed(7)] {
                let f = |x: u64| {
                    if x.is_multiple_of(97) {
                        std::thread::sleep(Duration::from_micros(300));
                    }
                    x * 3
                };
                let p = Parallel::new().n_jobs(jobs).batch_size(batch);
                let want: Vec<u64> = (0..5000).map(|x| x * 3).collect();
                assert_eq!(p.map(0..5000u64, f).unwrap(), want);
                let unknown = (0..5000u64).filter(|_| true);
                assert_eq!(p.map(unknown, f).unwrap(), want);
                let s: Vec<u64> = p.map_iter(0..5000u64, f).unwrap().map(Result::unwrap).collect();
                assert_eq!(s, want);
                let c: Vec<u64> = p
                    .clone()
                    .collect_errors()
                    .map(0..5000u64, f)
                    .unwrap()
                    .into_iter()
                    .map(Result::unwrap)
                    .collect();
                assert_eq!(c, want);
            }
        }
    });
}

/// An endless input (`0..`, whose size hint is `usize::MAX` at least) that fails at item
/// 1000: the map stops there with that error. The output was pre-sized from the hint, which
/// panicked with a capacity overflow before any item ran (and a huge exact length would have
/// aborted on the allocation).
#[test]
fn a_map_over_an_endless_input_stops_at_its_first_failure() {
    let _s = serial();
    let outcome = guard(60, || {
        let p = Parallel::new().n_jobs(2);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            p.try_map(0u64.., |x| if x < 1000 { Ok(x) } else { Err(std::fmt::Error) })
                .map(|v| v.len())
                .map_err(|e| e.item_index())
        }));
        caught.map_err(|p| lazydag::panic::message(&*p))
    });
    assert_eq!(outcome, Ok(Err(Some(1000))));
}

/// One lane is slow just before the first failing item (7) while another lane fails at a
/// later one (12) at once: every form of the map still reports item 7, the failure a
/// sequential loop meets. (When the stop was one flag, the fast failure halted the slow lane
/// before it reached item 7, and the map reported 12, or 1857 for the endless input above:
/// which failure came back depended on the timing.)
#[test]
fn the_first_failure_in_input_order_wins_over_a_faster_later_one() {
    let _s = serial();
    guard(120, || {
        let slow = |x: u32| {
            if x == 5 {
                std::thread::sleep(Duration::from_millis(200));
            }
        };
        let fallible = move |x: u32| {
            slow(x);
            if x == 7 || x >= 12 { Err(std::fmt::Error) } else { Ok(x) }
        };
        let panicking = move |x: u32| {
            slow(x);
            assert!(x != 7 && x < 12, "bad {x}");
            x
        };
        for jobs in [2isize, 3] {
            let p = Parallel::new().n_jobs(jobs).batch_size(BatchSize::Fixed(10));
            let err = p.try_map(0..1_000u32, fallible).unwrap_err();
            assert_eq!(err.item_index(), Some(7), "try_map, jobs {jobs}: {err}");
            let err = p.map(0..1_000u32, panicking).unwrap_err();
            assert_eq!(err.to_string(), "item 7 panicked: bad 7", "map, jobs {jobs}");

            let streamed: Vec<_> = p.try_map_iter(0..1_000u32, fallible).unwrap().collect();
            let values: Vec<u32> =
                streamed.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
            assert_eq!(values, (0..7).collect::<Vec<_>>(), "try_map_iter, jobs {jobs}");
            assert_eq!(streamed.len(), 8, "the values, then one error");
            let last = streamed.last().unwrap().as_ref().unwrap_err();
            assert_eq!(last.item_index(), Some(7), "try_map_iter, jobs {jobs}: {last}");
            let streamed: Vec<_> = p.map_iter(0..1_000u32, panicking).unwrap().collect();
            let last = streamed.last().unwrap().as_ref().unwrap_err();
            assert_eq!((streamed.len(), last.item_index()), (8, Some(7)), "map_iter: {last}");
        }
    });
}

/// Streams consumed inside every task of a pool's compute: each consumer waits for its
/// batches, holding its worker, while dispatcher threads compute the batches on that same
/// pool. With a plain wait no worker was left to run them and the compute hung; a consumer on
/// a pool worker now helps its pool while it waits. Streams made inside the tasks, made
/// outside and sent in, and dropped half-read (the drop joins dispatchers that wait for the
/// pool), on both pools.
#[test]
fn streams_consumed_inside_every_worker_of_a_pool() {
    use lazydag::config::{SchedulerKind, pool};
    use lazydag::prelude::*;
    let _s = serial();
    let sums = guard(120, || {
        let mut all = Vec::new();
        for kind in [SchedulerKind::WorkStealing, SchedulerKind::Threads] {
            let p = Parallel::new().n_jobs(2).backend(kind).batch_size(BatchSize::Fixed(10));
            let scheduler = pool(kind, 2).unwrap();
            let inside: Vec<Delayed<u64>> = (0..4u64)
                .map(|i| {
                    let p = p.clone();
                    delayed(i).map(move |i: u64| {
                        p.map_iter(0..1_000u64, move |x| x + i).unwrap().map(Result::unwrap).sum()
                    })
                })
                .collect();
            all.push(lazydag::compute_with(&inside, &*scheduler).unwrap());
            let sent: Vec<Delayed<u64>> = (0..4u64)
                .map(|i| {
                    let stream = p.map_iter(0..1_000u64, move |x| x + i).unwrap();
                    delayed_once(stream).map(|s| s.map(Result::unwrap).sum::<u64>())
                })
                .collect();
            all.push(lazydag::compute_with(&sent, &*scheduler).unwrap());
            let dropped: Vec<Delayed<u64>> = (0..4u64)
                .map(|i| {
                    let p = p.clone();
                    delayed(i).map(move |i: u64| {
                        let mut s = p.map_iter(0u64.., move |x| x + i).unwrap();
                        s.next().unwrap().unwrap() // then dropped with batches in flight
                    })
                })
                .collect();
            let firsts = lazydag::compute_with(&dropped, &*scheduler).unwrap();
            assert_eq!(firsts, vec![0, 1, 2, 3]);
        }
        all
    });
    let want: Vec<u64> = (0..4).map(|i| 499_500 + 1_000 * i).collect();
    assert_eq!(sums, vec![want.clone(); 4]);
}
