//! Helpers shared by the behaviour tests: the schedulers every result is checked on, float
//! comparison, and a count of the tasks a compute runs.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use lazydag_array::{Array, Element};
use lazydag_core::scheduler::{Sequential, Threaded, WorkStealing};
use lazydag_core::{Callback, Control, PlanSummary, Scheduler, TaskEvent};
use ndarray::ArrayD;

/// The scheduler that runs everything on the calling thread, in the plan's order. A
/// scheduler rename (as `Sync` became `Sequential`) is a change of this line and the `use`.
pub fn sequential() -> Box<dyn Scheduler> {
    Box::new(Sequential)
}

/// Every scheduler a result must agree on, the sequential one first.
pub fn schedulers() -> Vec<Box<dyn Scheduler>> {
    vec![sequential(), Box::new(Threaded::new(3)), Box::new(WorkStealing::new(2))]
}

/// Whether two float arrays have the same shape and values within `tol` (relative to the
/// magnitude, absolute near zero); NaNs must be at the same places.
pub fn close(a: &ArrayD<f64>, b: &ArrayD<f64>, tol: f64) -> bool {
    a.shape() == b.shape()
        && a.iter().zip(b).all(|(&x, &y)| {
            (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs()))
        })
}

/// Asserts [`close`] with a readable message.
#[track_caller]
pub fn assert_close(got: &ArrayD<f64>, want: &ArrayD<f64>) {
    assert!(close(got, want, 1e-10), "got {got:?}\nwant {want:?}");
}

/// An irregular chunking of `len` cut at the given fractions-ish seeds: sizes from `seeds`
/// (each 1..=len), the last one trimmed; used by property tests.
pub fn chunks_from(len: usize, seeds: &[usize]) -> Vec<usize> {
    if len == 0 {
        return vec![0];
    }
    let mut out = Vec::new();
    let mut left = len;
    let mut i = 0;
    while left > 0 {
        let c = (seeds.get(i % seeds.len().max(1)).copied().unwrap_or(1) % len).max(1).min(left);
        out.push(c);
        left -= c;
        i += 1;
    }
    out
}

/// Counts the tasks that run, by name (each member of a fused task included).
#[derive(Default)]
pub struct Count {
    members: Mutex<Vec<Vec<String>>>,
    ran: Mutex<BTreeMap<String, usize>>,
}

impl Callback for Count {
    fn start(&self, plan: &PlanSummary<'_>) {
        let v = plan.plan();
        *self.members.lock().unwrap() = (0..v.len())
            .map(|i| v.members(i).iter().map(|t| t.key().name().to_string()).collect())
            .collect();
    }
    fn pretask(&self, task: &TaskEvent<'_>) {
        let m = self.members.lock().unwrap();
        let mut ran = self.ran.lock().unwrap();
        for n in &m[task.index()] {
            *ran.entry(n.clone()).or_default() += 1;
        }
    }
}

/// `z` computed on the sequential scheduler, and the tasks that ran, by name.
pub fn run_counted<T: Element>(z: &Array<T>) -> (ArrayD<T>, BTreeMap<String, usize>) {
    let count = Arc::new(Count::default());
    let control = Control::new().callback(count.clone());
    let v = z.compute_with_control(&*sequential(), &control).unwrap();
    let ran = count.ran.lock().unwrap().clone();
    (v, ran)
}
