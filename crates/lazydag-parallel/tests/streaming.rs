//! `map_iter` consumes its input lazily, in bounded memory, and stops when dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lazydag_parallel::{BatchSize, Parallel};

#[test]
fn the_input_is_pulled_lazily_and_memory_is_bounded() {
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let input = (0u64..).inspect(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let (jobs, batch) = (2, 10);
    let p = Parallel::new().n_jobs(jobs).batch_size(BatchSize::Fixed(batch));
    let mut stream = p.map_iter(input, |x| x * 2).unwrap();
    for i in 0..100 {
        assert_eq!(stream.next().unwrap().unwrap(), i * 2);
    }
    std::thread::sleep(Duration::from_millis(50)); // let the dispatchers run ahead
    let ahead = pulled.load(Ordering::Relaxed) - 100;
    // The window is 2 × jobs batches, plus the batch being consumed.
    assert!(ahead <= (2 * jobs as usize + 1) * batch, "{ahead} items pulled ahead");
    drop(stream); // stops and joins the dispatchers
    let after = pulled.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(pulled.load(Ordering::Relaxed), after);
}

#[test]
fn auto_batching_streams_an_endless_input() {
    let mut stream = Parallel::new().n_jobs(2).map_iter(0u64.., |x| x + 1).unwrap();
    assert_eq!(stream.nth(100_000).unwrap().unwrap(), 100_001);
}
