//! The two error modes: stop at the first failure (default), or collect one result per item.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag_parallel::{BatchSize, Error, ItemError, Parallel};

#[derive(Debug, thiserror::Error)]
#[error("odd input {0}")]
struct Odd(u32);

fn even(x: u32) -> Result<u32, Odd> {
    if !x.is_multiple_of(2) { Err(Odd(x)) } else { Ok(x / 2) }
}

#[test]
fn try_map_returns_the_error_with_its_index() {
    let err = Parallel::new().n_jobs(2).try_map([2, 4, 7, 8], even).unwrap_err();
    let Error::Item(ItemError::Failed { index, source }) = &err else { panic!("{err:?}") };
    assert_eq!(*index, 2);
    assert_eq!(source.to_string(), "odd input 7");
    assert_eq!(err.to_string(), "item 2 failed: odd input 7");
    assert_eq!(Parallel::new().try_map([2, 4], even).unwrap(), vec![1, 2]);
}

#[test]
fn a_panic_is_reported_with_its_message_and_index() {
    let err = Parallel::new()
        .n_jobs(3)
        .map(0..1000u32, |x| if x == 600 { panic!("bad item {x}") } else { x })
        .unwrap_err();
    assert_eq!(err.item_index(), Some(600));
    assert_eq!(err.to_string(), "item 600 panicked: bad item 600");
    // The pool is fine afterwards.
    assert_eq!(Parallel::new().n_jobs(3).map(0..10u32, |x| x).unwrap().len(), 10);
}

#[test]
fn the_first_error_stops_the_rest() {
    // One lane takes batches in order, so the stop is exact: items 0 to 3 ran, nothing after.
    // (With more lanes the others stop at their next batch or poll: how many items that is
    // depends on how the threads are scheduled, so only the one-lane count is exact.)
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let err = Parallel::new()
        .n_jobs(1)
        .batch_size(BatchSize::Fixed(1))
        .map(0..200u32, move |x| {
            counter.fetch_add(1, Ordering::Relaxed);
            assert!(x != 3, "three");
            x
        })
        .unwrap_err();
    assert_eq!(err.item_index(), Some(3));
    assert_eq!(ran.load(Ordering::Relaxed), 4);
}

#[test]
fn collect_mode_runs_everything() {
    let results = Parallel::new().n_jobs(2).collect_errors().try_map(0..10, even).unwrap();
    assert_eq!(results.len(), 10);
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(v) => assert_eq!((i % 2, *v as usize), (0, i / 2)),
            Err(e) => assert_eq!((i % 2, e.index()), (1, i)),
        }
    }
    let panics = Parallel::new()
        .n_jobs(2)
        .batch_size(BatchSize::Fixed(4))
        .collect_errors()
        .map(0..12u32, |x| if x.is_multiple_of(5) { panic!("five {x}") } else { x });
    let failed: Vec<_> = panics.unwrap().into_iter().filter_map(Result::err).collect();
    assert_eq!(failed.iter().map(ItemError::index).collect::<Vec<_>>(), vec![0, 5, 10]);
    assert_eq!(failed[1].to_string(), "item 5 panicked: five 5");
}

#[test]
fn a_stream_yields_values_then_the_error_then_ends() {
    let p = Parallel::new().n_jobs(2).batch_size(BatchSize::Fixed(3));
    let it = p.try_map_iter(vec![0, 2, 4, 6, 9, 10, 12], even).unwrap();
    let results: Vec<_> = it.collect();
    // The failure at index 4 stops the map: a batch before it may be cut short, so the values
    // are a prefix of 0, 1, 2, 3 (in order), then the error, then the end.
    let (last, values) = results.split_last().unwrap();
    assert_eq!(last.as_ref().unwrap_err().item_index(), Some(4));
    let values: Vec<u32> = values.iter().map(|v| *v.as_ref().unwrap()).collect();
    assert!(values.len() <= 4 && values.iter().copied().eq(0..values.len() as u32), "{values:?}");
    let settled: Vec<_> = p.collect_errors().try_map_iter(vec![1, 2, 3], even).unwrap().collect();
    assert!(settled[0].is_err() && settled[1].is_ok() && settled[2].is_err());
}

#[test]
fn a_panicking_input_iterator_ends_the_map_with_an_error() {
    let input = (0..100u32).map(|i| if i == 57 { panic!("input broke") } else { i });
    let p = Parallel::new().n_jobs(2).batch_size(BatchSize::Fixed(10));
    let err = p.map(input.clone(), |x| x).unwrap_err();
    assert_eq!(err.item_index(), Some(57));
    assert_eq!(err.to_string(), "item 57 panicked: the input iterator panicked: input broke");
    let all = p.collect_errors().map(input, |x| x).unwrap();
    assert_eq!(all.len(), 58, "items 0..57, then the input's failure");
    assert!(all[..57].iter().enumerate().all(|(i, r)| r.as_ref().ok() == Some(&(i as u32))));
    assert_eq!(all[57].as_ref().unwrap_err().index(), 57);
}

/// A scheduler that refuses every compute.
struct Refusing;

impl lazydag::Scheduler for Refusing {
    fn name(&self) -> &str {
        "refusing"
    }

    fn execute(&self, _plan: &lazydag::Plan) -> Result<Vec<lazydag::Value>, lazydag::Error> {
        Err(lazydag::Error::Cancelled)
    }
}

#[test]
fn a_failing_scheduler_is_a_scheduler_error_not_an_item_error() {
    let p = Parallel::new().n_jobs(2).scheduler(Arc::new(Refusing));
    let err = p.map(0..10u32, |x| x).unwrap_err();
    assert!(matches!(err, Error::Scheduler(lazydag::Error::Cancelled)), "{err:?}");
    assert_eq!(err.item_index(), None);
    let err = p.collect_errors().map(0..10u32, |x| x).unwrap_err();
    assert!(matches!(err, Error::Scheduler(_)), "{err:?}");
}
