//! Async tasks that block on nested computes on the async scheduler do not hang, even when
//! more of them block than lazydag's shared runtime has workers (the inner tasks need that
//! runtime too): the blocking wait hands its worker to a replacement thread. In its own file:
//! if it ever hung, the stuck runtime would stall the other async tests of its binary.

use std::time::Duration;

use lazydag::compute_with;
use lazydag::prelude::*;
use lazydag::scheduler::Async;

/// An async task that blocks on a nested compute on the async scheduler.
async fn blocks_on_a_nested_compute(x: u64) -> u64 {
    async fn inner(x: u64) -> u64 {
        tokio::task::yield_now().await;
        x * 10
    }
    let nested = delayed_async!(inner(x));
    nested.compute_with(&Async::new(1)).unwrap()
}

#[test]
fn async_tasks_blocking_on_nested_async_computes_do_not_hang() {
    // More blocking outer tasks than the shared runtime has workers: the inner tasks need
    // that runtime too. The channel's bound is a hang guard only.
    let (send, recv) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outer: Vec<_> =
            (0..8u64).map(|i| delayed_async!(blocks_on_a_nested_compute(i))).collect();
        send.send(compute_with(&outer, &Async::new(2))).unwrap();
    });
    let values = recv.recv_timeout(Duration::from_secs(120)).expect("the nested computes hung");
    assert_eq!(values.unwrap(), (0..8).map(|i| i * 10).collect::<Vec<u64>>());
}
