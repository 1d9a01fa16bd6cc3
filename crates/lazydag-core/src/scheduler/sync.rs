//! The synchronous scheduler: every task on the calling thread, in plan order.
//!
//! Plan order is a depth-first post-order, so this finishes a branch before opening the next.
//! Each value lives in a slot until its last use takes it (earlier uses get clones), so an
//! intermediate value is freed as soon as its last consumer has run. No locks, no atomics
//! beyond those inside literals; one scratch vector for inputs reused across tasks.

use crate::error::Error;
use crate::plan::{Plan, PlanView};
use crate::scheduler::Scheduler;
use crate::value::Value;

/// Runs every task on the calling thread, in the plan's memory-friendly order. The reference
/// scheduler: simplest, deterministic, and the one the others are tested against.
///
/// ```
/// use lazydag_core::{delayed, scheduler::Sync};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// assert_eq!(delayed!(add(2, 3)).compute_with(&Sync).unwrap(), 5);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sync;

impl Scheduler for Sync {
    fn name(&self) -> &str {
        "sync"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        let plan = plan.view();
        let mut run = Run {
            plan,
            left: plan.all_uses().to_vec(),
            slots: std::iter::repeat_with(|| None).take(plan.len()).collect(),
        };
        let mut inputs = Vec::new();
        for i in 0..plan.len() {
            if plan.is_literal(i) {
                continue;
            }
            if plan.should_stop() {
                return Err(plan.stop_error().expect("a stopped plan says why"));
            }
            for &d in plan.deps(i) {
                inputs.push(run.take(d as usize)?);
            }
            run.slots[i] = Some(plan.run(i, &mut inputs)?);
        }
        plan.outputs().iter().map(|&o| run.take(o as usize)).collect()
    }
}

/// The state of one synchronous run.
struct Run<'p, 'g> {
    plan: &'p PlanView<'g>,
    /// Uses of each value not yet taken.
    left: Vec<u32>,
    /// Each task's value, from when it runs until its last use takes it.
    slots: Vec<Option<Value>>,
}

impl Run<'_, '_> {
    /// Takes task `d`'s value for one use: a literal's fresh value, a clone for an early use,
    /// the value itself for the last.
    fn take(&mut self, d: usize) -> Result<Value, Error> {
        if self.plan.is_literal(d) {
            return self.plan.run(d, &mut Vec::new());
        }
        self.left[d] -= 1;
        let slot = &mut self.slots[d];
        if self.left[d] == 0 {
            Ok(slot.take().expect("a value is taken after it is produced"))
        } else {
            self.plan.share(d, slot.as_ref().expect("a value is shared after it is produced"))
        }
    }
}
