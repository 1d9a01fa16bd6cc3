//! A user scheduler that panics ends a stream with an error, not with an empty stream, and
//! fails a collecting map with an error.

use std::sync::Arc;

use lazydag_core::{Error as CoreError, Plan, Scheduler, Value};
use lazydag_parallel::{BatchSize, Error, Parallel};

#[derive(Debug)]
struct Panicky;

impl Scheduler for Panicky {
    fn name(&self) -> &str {
        "panicky"
    }
    fn execute(&self, _: &Plan) -> Result<Vec<Value>, CoreError> {
        panic!("the scheduler broke")
    }
}

fn is_the_panic(err: &Error) -> bool {
    let text = err.to_string();
    text.contains("panicky") && text.contains("the scheduler broke")
}

#[test]
fn map_iter_on_a_panicking_scheduler_ends_with_the_error() {
    for jobs in [1, 2, 4] {
        let stream = Parallel::new()
            .n_jobs(jobs)
            .batch_size(BatchSize::Fixed(3))
            .scheduler(Arc::new(Panicky))
            .map_iter(0..100u32, |x| x)
            .unwrap();
        let items: Vec<_> = stream.collect();
        let last = items.last().expect("the stream is not empty");
        assert!(last.as_ref().is_err_and(is_the_panic), "n_jobs {jobs}: {last:?}");
        assert!(items.iter().all(Result::is_err), "no value comes from a broken scheduler");
    }
}

#[test]
fn map_on_a_panicking_scheduler_is_an_error() {
    let err =
        Parallel::new().n_jobs(2).scheduler(Arc::new(Panicky)).map(0..100u32, |x| x).unwrap_err();
    assert!(is_the_panic(&err), "{err}");
}
