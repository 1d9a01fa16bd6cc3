//! Where schedulers keep task values between producer and consumers: one slot per task with
//! the value and the number of uses not yet taken.
//!
//! A use counts itself down and clones the value ([`PlanView::share`]), or moves it out if it
//! is the last, so a value with `k` uses is cloned `k - 1` times and freed as soon as its last
//! consumer has taken it. A literal has no slot: each use asks the plan for a fresh value.
//! Two forms: [`Slots`] for a single owner (the `Sequential` loop, the async driver), and
//! [`SharedSlots`] for threads. There a value held inline ([`Value::to_bits`]: the small
//! `Copy` types) sits in plain atomics: its producer writes them once, and every use reads a
//! copy, so it takes no lock and no count (a copy is its clone, and there is nothing to free).
//! A boxed value is counted and taken under its task's lock, so a last use can never move it
//! out while an earlier use is still cloning it.
//!
//! Both drop the values a failed or stopped run left one by one, each under its own catch
//! (`panic::drop_quietly`): a value's panicking `Drop` is logged, never the run's error, and
//! two of them cannot abort the process. A successful run leaves every slot empty.
//!
//! # Memory ordering
//! The producer writes an inline value's words (`Relaxed`), then its kind (`Release`); a use
//! reads the kind (`Acquire`), then the words. A use only happens after its consumer became
//! ready, which the readiness count already orders after the store (see `countdown.rs`), so the
//! `Release`/`Acquire` pair only makes the slot self-contained; on x86 all of them are plain
//! moves: storing and reading an inline value costs no read-modify-write. The boxed values'
//! locks are made once per run, by the first boxed store (a `OnceLock`: its initialisation is
//! published to every later `get`, and a thread that races it waits for it), so a take that
//! finds no locks made has found a value never stored.

use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::error::Error;
use crate::panic;
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
#[inline(always)]
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
            match kept.to_bits() {
                // A small `Copy` value: its copy is its clone, no cloner to look up.
                Some((kind, bits)) => {
                    Value::from_bits(kind, bits).ok_or_else(|| misuse(scheduler, view, d))
                }
                None => view.share(d, kept),
            }
        }
        _ => Err(misuse(scheduler, view, d)),
    }
}

/// The outputs' values in request order, each taken by `take` (one use each): the vector is
/// sized once, where a `collect` into `Result` cannot know the length and grows it by copies
/// (a 131,072-output tree spent ~17 instructions per task in `memcpy`). Every scheduler
/// takes its outputs through here.
#[inline]
fn take_outputs(
    view: &PlanView<'_>,
    mut take: impl FnMut(usize) -> Result<Value, Error>,
) -> Result<Vec<Value>, Error> {
    let mut outputs = Vec::with_capacity(view.outputs().len());
    for &o in view.outputs() {
        match take(o as usize) {
            Ok(value) => outputs.push(value),
            Err(err) => {
                // The outputs taken so far are leftovers now: one catch each.
                panic::clear_quietly(&mut outputs);
                return Err(err);
            }
        }
    }
    Ok(outputs)
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
    #[inline(always)]
    pub(crate) fn store(&mut self, i: usize, value: Value) {
        self.values[i] = Some(value);
    }

    /// Takes task `d`'s value for one use.
    #[inline(always)]
    pub(crate) fn take(
        &mut self,
        scheduler: &str,
        view: &PlanView<'_>,
        d: usize,
    ) -> Result<Value, Error> {
        if view.is_literal(d) {
            return view.literal(d);
        }
        take_use(scheduler, view, d, &mut self.values[d], &mut self.left[d])
    }

    /// Takes the outputs' values, in request order (see [`take_outputs`]).
    pub(crate) fn take_outputs(
        &mut self,
        scheduler: &str,
        view: &PlanView<'_>,
    ) -> Result<Vec<Value>, Error> {
        take_outputs(view, |o| self.take(scheduler, view, o))
    }
}

/// A failed or stopped run leaves values in its slots (stored for consumers that never ran):
/// each is dropped under its own catch ([`panic::drop_quietly`]), so that two panicking
/// `Drop`s among them are two logged errors, not a panic during an unwind (an abort). After
/// a successful run every slot is empty: the drop only looks.
impl Drop for Slots {
    fn drop(&mut self) {
        for slot in &mut self.values {
            if let Some(value) = slot.take() {
                panic::drop_quietly(value);
            }
        }
    }
}

/// One task's boxed value and the uses not yet taken.
#[derive(Debug)]
struct Boxed {
    value: Option<Value>,
    left: u32,
}

/// One task's readiness count and inline value in a pool (a boxed value is in
/// [`SharedSlots::boxed`]): side by side, so that a run makes one array, and the task step
/// indexes one.
#[derive(Debug)]
struct Slot {
    /// The task inputs not yet produced (see `countdown.rs`).
    waiting: AtomicU32,
    /// The inline value's kind ([`Value::to_bits`]), or 0: none stored inline.
    kind: AtomicU8,
    bits: [AtomicU64; 2],
}

/// Values shared by the threads of a pool, and each task's readiness count: counts and inline
/// values in `slots`, boxed values in `boxed`, one lock and use count per task, made when the
/// run stores its first boxed value. So a run of small values only writes three words per
/// task to start (count, kind and bits: one pass, no separate copy of the counts) and frees
/// one array at the end (no drop per slot).
#[derive(Debug)]
pub(crate) struct SharedSlots {
    slots: Box<[Slot]>,
    boxed: OnceLock<Box<[Mutex<Boxed>]>>,
}

/// As for [`Slots`]: each boxed value a failed or stopped run left is dropped under its own
/// catch (inline values are `Copy`: nothing to drop). A run that stored no boxed value made
/// no locks, and its drop looks at nothing.
impl Drop for SharedSlots {
    fn drop(&mut self) {
        let Some(boxed) = self.boxed.get_mut() else {
            return;
        };
        for slot in boxed.iter_mut() {
            let slot = slot.get_mut().unwrap_or_else(PoisonError::into_inner);
            if let Some(value) = slot.value.take() {
                panic::drop_quietly(value);
            }
        }
    }
}

impl SharedSlots {
    /// Empty slots for every task of `view`, with its readiness counts. Also builds the plan's
    /// dependents lists now, on the caller, rather than inside the first worker's task.
    pub(crate) fn new(view: &PlanView<'_>) -> Self {
        if !view.is_empty() {
            let _ = view.dependents(0);
        }
        let slots = view
            .all_waiting()
            .iter()
            .map(|&w| Slot {
                waiting: AtomicU32::new(w),
                kind: AtomicU8::new(0),
                bits: [AtomicU64::new(0), AtomicU64::new(0)],
            })
            .collect();
        SharedSlots { slots, boxed: OnceLock::new() }
    }

    /// Task `j`'s readiness count, for the rule in `countdown.rs`.
    #[inline]
    pub(crate) fn waiting(&self, j: u32) -> &AtomicU32 {
        &self.slots[j as usize].waiting
    }

    /// Stores task `i`'s value (the first boxed one makes every task's lock and count, from
    /// `view`'s uses).
    #[inline]
    pub(crate) fn store(&self, view: &PlanView<'_>, i: usize, value: Value) {
        match value.to_bits() {
            Some((kind, [lo, hi])) => {
                let slot = &self.slots[i];
                slot.bits[0].store(lo, Ordering::Relaxed);
                slot.bits[1].store(hi, Ordering::Relaxed);
                slot.kind.store(kind, Ordering::Release);
            }
            None => {
                let boxed = self.boxed.get_or_init(|| {
                    let uses = view.all_uses().iter();
                    uses.map(|&left| Mutex::new(Boxed { value: None, left })).collect()
                });
                lock_std(&boxed[i]).value = Some(value);
            }
        }
    }

    /// Takes task `d`'s value for one use.
    #[inline]
    pub(crate) fn take(
        &self,
        scheduler: &str,
        view: &PlanView<'_>,
        d: usize,
    ) -> Result<Value, Error> {
        if view.is_literal(d) {
            return view.literal(d);
        }
        let slot = &self.slots[d];
        let kind = slot.kind.load(Ordering::Acquire);
        if kind != 0 {
            let bits = [slot.bits[0].load(Ordering::Relaxed), slot.bits[1].load(Ordering::Relaxed)];
            return Value::from_bits(kind, bits).ok_or_else(|| misuse(scheduler, view, d));
        }
        // Only `share` runs user code under a slot lock, and it catches panics.
        let Some(boxed) = self.boxed.get() else {
            return Err(misuse(scheduler, view, d)); // nothing boxed stored yet
        };
        let mut boxed = lock_std(&boxed[d]);
        let Boxed { value, left } = &mut *boxed;
        take_use(scheduler, view, d, value, left)
    }

    /// Takes the outputs' values, in request order (see [`take_outputs`]).
    pub(crate) fn take_outputs(
        &self,
        scheduler: &str,
        view: &PlanView<'_>,
    ) -> Result<Vec<Value>, Error> {
        take_outputs(view, |o| self.take(scheduler, view, o))
    }
}
