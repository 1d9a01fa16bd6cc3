//! [`persist`]: compute outputs once and keep their values in the graph, like Dask's
//! `persist()`.
//!
//! Persisting computes the outputs and returns, for each one, a new handle to a *held* value:
//! a literal node with no dependencies that keeps the computed value and hands every consumer
//! a clone (so the output type must be `Clone`; put large values in an `Arc`). Later graphs
//! built on a held handle never run the tasks behind it again. The original handles and their
//! graph are left as they were.
//!
//! Invariants: a held node keeps its task's name but gets a new id (a counter id, like every
//! node); its value lives exactly as long as the node, that is until the last handle and the
//! last recorded task using it drop. A failed compute holds nothing.

use crate::compute::{blame, execute};
use crate::config::default_scheduler;
use crate::control::Control;
use crate::delayed::Delayed;
use crate::error::Error;
use crate::outputs::Outputs;
use crate::plan::PlanView;
use crate::schedulers::Scheduler;
use crate::value::Value;

/// What [`persist`] can persist: a [`Delayed<T>`] of a `Clone` type, a reference to one, and
/// tuples (up to 8), `Vec`s, slices and arrays of those, like [`Outputs`]. The held handles
/// come back in the same shape ([`Held`](Persist::Held)).
///
/// A value that is not `Clone` cannot be held, since every later consumer takes its own copy:
///
/// ```compile_fail
/// use lazydag_core::{delayed_once, persist};
/// struct Token(u32); // not Clone
/// let held = persist(delayed_once(Token(1))); // error: `Token` is not `Clone`
/// ```
pub trait Persist: Outputs {
    /// The held handles, shaped like `Self` (a `Vec` for slices and arrays).
    type Held;

    /// Turns this output's computed values (in the order of its roots) into held handles.
    #[doc(hidden)]
    fn hold(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Held, Error>;

    /// Records on each root that its value is `Clone` (which `Persist` requires), so that a
    /// root requested twice, or also used by another root, is cloned rather than refused as
    /// [`Error::NotClone`] (a `map` result, whose type the macros did not probe).
    #[doc(hidden)]
    fn cloneable(&self);
}

/// Computes `outputs` with the default scheduler and returns handles to their held values, in
/// the same shape: graphs built on them later do not run the tasks again (`dask.persist`).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use lazydag_core::{delayed, persist};
/// static RUNS: AtomicUsize = AtomicUsize::new(0);
/// fn load(n: u64) -> Vec<u64> { RUNS.fetch_add(1, Ordering::Relaxed); (0..n).collect() }
/// fn total(v: Vec<u64>) -> u64 { v.iter().sum() }
/// fn count(v: Vec<u64>) -> usize { v.len() }
///
/// let data = delayed!(load(5));
/// let (held, n) = persist((&data, delayed!(count(&data)))).unwrap();
/// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
/// assert_eq!(delayed!(total(&held)).compute().unwrap(), 10); // `load` does not run again
/// assert_eq!(n.compute().unwrap(), 5);
/// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
/// assert!(held.task().is_held());
/// assert_eq!(held.key().name(), "load");
/// ```
///
/// # Errors
/// As [`compute`](crate::compute()): the first task that fails or panics, named in the
/// [`Error`]; then nothing is held.
pub fn persist<P: Persist>(outputs: P) -> Result<P::Held, Error> {
    persist_with(outputs, &*default_scheduler()?)
}

/// [`persist`] on the given scheduler.
///
/// ```
/// use lazydag_core::{delayed, persist_with, scheduler::Sequential};
/// fn inc(x: i32) -> i32 { x + 1 }
/// let xs: Vec<_> = (0..3).map(|i| delayed!(inc(i))).collect();
/// let held = persist_with(&xs, &Sequential).unwrap();
/// assert_eq!(held.len(), 3);
/// assert!(held.iter().all(|h| h.graph().node_count() == 1));
/// ```
///
/// # Errors
/// As [`persist`].
pub fn persist_with<P: Persist>(outputs: P, scheduler: &dyn Scheduler) -> Result<P::Held, Error> {
    outputs.cloneable();
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    let values = execute(&roots, scheduler, &Control::default())?;
    let values = values.into_iter().map(PlanView::settled).collect::<Result<Vec<_>, _>>()?;
    outputs.hold(&mut values.into_iter()).map_err(|err| blame(err, scheduler))
}

impl<T: Clone + Send + 'static> Persist for Delayed<T> {
    type Held = Delayed<T>;

    fn hold(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Delayed<T>, Error> {
        let value: T = self.unpack(values)?;
        Ok(self.held(value))
    }

    fn cloneable(&self) {
        self.known_clone();
    }
}

impl<P: Persist + ?Sized> Persist for &P {
    type Held = P::Held;

    fn hold(&self, values: &mut std::vec::IntoIter<Value>) -> Result<P::Held, Error> {
        (**self).hold(values)
    }

    fn cloneable(&self) {
        (**self).cloneable();
    }
}

impl<P: Persist> Persist for [P] {
    type Held = Vec<P::Held>;

    fn hold(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Held, Error> {
        self.iter().map(|p| p.hold(values)).collect()
    }

    fn cloneable(&self) {
        self.iter().for_each(P::cloneable);
    }
}

impl<P: Persist> Persist for Vec<P> {
    type Held = Vec<P::Held>;

    fn hold(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Held, Error> {
        self.as_slice().hold(values)
    }

    fn cloneable(&self) {
        self.as_slice().cloneable();
    }
}

impl<P: Persist, const N: usize> Persist for [P; N] {
    type Held = Vec<P::Held>;

    fn hold(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Held, Error> {
        self.as_slice().hold(values)
    }

    fn cloneable(&self) {
        self.as_slice().cloneable();
    }
}

macro_rules! tuple_persist {
    ($($name:ident),+) => {
        impl<$($name: Persist),+> Persist for ($($name,)+) {
            type Held = ($($name::Held,)+);

            #[allow(non_snake_case)]
            fn hold(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Held, Error> {
                let ($($name,)+) = self;
                Ok(($($name.hold(values)?,)+))
            }

            #[allow(non_snake_case)]
            fn cloneable(&self) {
                let ($($name,)+) = self;
                $($name.cloneable();)+
            }
        }
    };
}

tuple_persist!(A);
tuple_persist!(A, B);
tuple_persist!(A, B, C);
tuple_persist!(A, B, C, D);
tuple_persist!(A, B, C, D, E);
tuple_persist!(A, B, C, D, E, F);
tuple_persist!(A, B, C, D, E, F, G);
tuple_persist!(A, B, C, D, E, F, G, H);
