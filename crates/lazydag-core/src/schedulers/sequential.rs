//! The synchronous scheduler: every task on the calling thread, in plan order.
//!
//! Plan order is memory-friendly (docs/order.md): this finishes a branch before the next.
//! Each value lives in a slot until its last use takes it (earlier uses get clones), so an
//! intermediate value is freed as soon as its last consumer has run. No locks, no atomics
//! beyond those inside literals; one scratch vector for inputs reused across tasks.

use std::cell::Cell;

use crate::error::Error;
use crate::panic;
use crate::plan::{Plan, PlanView};
use crate::schedulers::Scheduler;
use crate::schedulers::slot::Slots;
use crate::value::Value;

/// Runs every task on the calling thread, in the plan's memory-friendly order. The reference
/// scheduler: simplest, deterministic, and the one the others are tested against.
///
/// ```
/// use lazydag_core::{delayed, scheduler::Sequential};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// assert_eq!(delayed!(add(2, 3)).compute_with(&Sequential).unwrap(), 5);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sequential;

impl Scheduler for Sequential {
    fn name(&self) -> &str {
        "sync"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        let plan = plan.view();
        let mut slots = Slots::new(plan);
        let mut inputs = Vec::new();
        let result = run(plan, &mut slots, &mut inputs);
        // After a failure the slots and inputs still hold values: each is dropped under its
        // own catch (here, and in `Slots`' drop), so that a panicking `Drop` among them can
        // neither replace the task's error nor, with a second one, abort the process.
        panic::clear_quietly(&mut inputs);
        drop(slots);
        result
    }
}

/// Runs every task of `plan` in order, then takes the outputs' values. In a plain compute
/// ([`PlanView::is_plain`]: nothing to watch, report, trace or fuse) the tasks are called
/// without a catch of their own, and one catch around the loop names the task that panicked,
/// as the task boundary would.
fn run(
    plan: &PlanView<'_>,
    slots: &mut Slots,
    inputs: &mut Vec<Value>,
) -> Result<Vec<Value>, Error> {
    if !plan.is_plain() {
        return run_tasks::<false>(plan, slots, inputs, &Cell::new(0));
    }
    let running = Cell::new(0);
    match panic::catch(|| run_tasks::<true>(plan, slots, inputs, &running)) {
        Ok(result) => result,
        Err(caught) => Err(Error::Panicked {
            task: plan.task(running.get()).key(),
            message: caught.message(),
            location: caught.location().map(str::to_owned),
        }),
    }
}

/// The loop of [`run`]; `PLAIN`: the plan is plain, and a panic of a task unwinds to the
/// caller, which names the task `running` holds.
#[inline(always)]
fn run_tasks<const PLAIN: bool>(
    plan: &PlanView<'_>,
    slots: &mut Slots,
    inputs: &mut Vec<Value>,
    running: &Cell<usize>,
) -> Result<Vec<Value>, Error> {
    for i in 0..plan.len() {
        if plan.is_literal(i) {
            continue;
        }
        // A plain compute has no cancel token and no deadline.
        if !PLAIN && plan.should_stop() {
            return Err(plan.stop_error().expect("a stopped plan says why"));
        }
        for &d in plan.deps(i) {
            inputs.push(slots.take("sync", plan, d as usize)?);
        }
        let value = if PLAIN {
            running.set(i);
            plan.run_plain_uncaught(i, inputs).map_err(|failure| plan.plain_failed(i, failure))?
        } else {
            plan.run(i, inputs)?
        };
        slots.store(i, value);
    }
    slots.take_outputs("sync", plan)
}
