//! Where schedulers keep task values between producer and consumers: one slot per task with
//! the value and the number of uses not yet taken.
//!
//! A use counts itself down and clones the value ([`PlanView::share`]), or moves it out if it
//! is the last, so a value with `k` uses is cloned `k - 1` times and freed as soon as its last
//! consumer has taken it. A literal has no slot: each use asks the plan for a fresh value.
//! Two forms: [`Slots`] for a single owner (the `Sequential` loop, the async driver), and
//! [`SharedSlots`] for threads, where counting and taking happen under the slot's lock — so a
//! last use can never move a value out while an earlier use is still cloning it.

use std::sync::Mutex;

use crate::error::Error;
use crate::plan::PlanView;
use crate::sync::lock_std;
use crate::value::Value;

/// The error for a value taken before it was stored or after its last use: a scheduler bug,
/// reported rather than panicking on a worker thread.
fn misuse(scheduler: &str, view: &PlanView<'_>, d: usize) -> Error {
    Error::Scheduler {
        scheduler: scheduler.to_owned(),
        message: format!(
            "the value of `{}` was used before it was produced or after its last use",
            view.task(d).key()
        ),
    }
}

/// Takes one use of a stored value: the value itself for the last use, a clone otherwise.
fn take_use(
    scheduler: &str,
    view: &PlanView<'_>,
    d: usize,
    value: &mut Option<Value>,
    left: &mut u32,
) -> Result<Value, Error> {
    match (*left, value.as_ref()) {
        (1, Some(_)) => {
            *left = 0;
            value.take().ok_or_else(|| misuse(scheduler, view, d))
        }
        (n, Some(kept)) if n > 1 => {
            *left = n - 1;
            view.share(d, kept)
        }
        _ => Err(misuse(scheduler, view, d)),
    }
}

/// Values owned by one thread.
#[derive(Debug)]
pub(crate) struct Slots {
    values: Vec<Option<Value>>,
    left: Vec<u32>,
}

impl Slots {
    pub(crate) fn new(view: &PlanView<'_>) -> Self {
        Slots {
            values: std::iter::repeat_with(|| None).take(view.len()).collect(),
            left: view.all_uses().to_vec(),
        }
    }

    /// Stores task `i`'s value.
    pub(crate) fn store(&mut self, i: usize, value: Value) {
        self.values[i] = Some(value);
    }

    /// Takes task `d`'s value for one use.
    pub(crate) fn take(
        &mut self,
        scheduler: &str,
        view: &PlanView<'_>,
        d: usize,
    ) -> Result<Value, Error> {
        if view.is_literal(d) {
            return view.run(d, &mut Vec::new());
        }
        take_use(scheduler, view, d, &mut self.values[d], &mut self.left[d])
    }
}

/// One task's value and the uses not yet taken.
#[derive(Debug)]
struct Slot {
    value: Option<Value>,
    left: u32,
}

/// Values shared by the threads of a pool.
#[derive(Debug)]
pub(crate) struct SharedSlots {
    slots: Box<[Mutex<Slot>]>,
}

impl SharedSlots {
    pub(crate) fn new(view: &PlanView<'_>) -> Self {
        let slots =
            view.all_uses().iter().map(|&left| Mutex::new(Slot { value: None, left })).collect();
        SharedSlots { slots }
    }

    /// Stores task `i`'s value.
    pub(crate) fn store(&self, i: usize, value: Value) {
        self.lock(i).value = Some(value);
    }

    /// Takes task `d`'s value for one use.
    pub(crate) fn take(
        &self,
        scheduler: &str,
        view: &PlanView<'_>,
        d: usize,
    ) -> Result<Value, Error> {
        if view.is_literal(d) {
            return view.run(d, &mut Vec::new());
        }
        let mut slot = self.lock(d);
        let Slot { value, left } = &mut *slot;
        take_use(scheduler, view, d, value, left)
    }

    fn lock(&self, i: usize) -> std::sync::MutexGuard<'_, Slot> {
        // Only `share` runs user code under a slot lock, and it catches panics.
        lock_std(&self.slots[i])
    }
}
