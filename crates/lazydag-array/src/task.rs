//! Recording block tasks: the few shapes of task every operation is made of.
//!
//! Every block task returns a [`Block`] (an `Arc`-shared ndarray) and is marked `.shared()`,
//! so a block feeding several consumers is handed to each as a refcount, never deep-copied.

use lazydag_core::{Delayed, delayed};

use crate::array::Block;

/// A task with no inputs. With `recompute`, it is marked `.inline()`: the optimizer evaluates
/// it inside each consumer instead of storing its value (the memory rule in `docs/array.md`).
pub(crate) fn source<T, F>(name: &'static str, recompute: bool, f: F) -> Delayed<Block<T>>
where
    T: Clone + Send + Sync + 'static,
    F: Fn() -> Block<T> + Send + Sync + 'static,
{
    let d = delayed!((f)()).name(name).shared();
    if recompute { d.inline() } else { d }
}

/// A task of one block.
pub(crate) fn map1<A, T, F>(name: &'static str, a: &Delayed<Block<A>>, f: F) -> Delayed<Block<T>>
where
    A: Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
    F: Fn(Block<A>) -> Block<T> + Send + Sync + 'static,
{
    a.map(f).name(name).shared()
}

/// A task of two blocks.
pub(crate) fn map2<A, B, T, F>(
    name: &'static str,
    a: &Delayed<Block<A>>,
    b: &Delayed<Block<B>>,
    f: F,
) -> Delayed<Block<T>>
where
    A: Clone + Send + Sync + 'static,
    B: Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
    F: Fn(Block<A>, Block<B>) -> Block<T> + Send + Sync + 'static,
{
    delayed!((f)(a, b)).name(name).shared()
}

/// A task of three blocks.
pub(crate) fn map3<A, B, C, T, F>(
    name: &'static str,
    a: &Delayed<Block<A>>,
    b: &Delayed<Block<B>>,
    c: &Delayed<Block<C>>,
    f: F,
) -> Delayed<Block<T>>
where
    A: Clone + Send + Sync + 'static,
    B: Clone + Send + Sync + 'static,
    C: Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
    F: Fn(Block<A>, Block<B>, Block<C>) -> Block<T> + Send + Sync + 'static,
{
    delayed!((f)(a, b, c)).name(name).shared()
}

/// A task of any number of values of one type (`k` inputs: one task, `k` dependencies).
pub(crate) fn map_n<P, T, F>(name: &'static str, inputs: Vec<Delayed<P>>, f: F) -> Delayed<T>
where
    P: Clone + Send + 'static,
    T: Clone + Send + 'static,
    F: Fn(Vec<P>) -> T + Send + Sync + 'static,
{
    delayed!((f)(inputs)).name(name).shared()
}
