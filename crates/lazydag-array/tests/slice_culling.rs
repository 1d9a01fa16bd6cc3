//! The slice-culling claim: computing `z[:5]` of the seed example runs only the chunks it
//! needs, counted by a callback (every member of a fused task included), not estimated.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use lazydag_array::{self as da, s};
use lazydag_core::{Callback, Control, PlanSummary, TaskEvent};

#[derive(Default)]
struct Count {
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

fn run(z: &da::Array<f64>) -> (Vec<f64>, BTreeMap<String, usize>) {
    let count = Arc::new(Count::default());
    let control = Control::new().callback(count.clone());
    let v =
        z.compute_with_control(&*common::sequential(), &control).unwrap().iter().copied().collect();
    let ran = count.ran.lock().unwrap().clone();
    (v, ran)
}

#[test]
fn z_first_five_runs_only_the_first_block_column_and_row_of_x() {
    // 20 x 20 blocks of 10 x 10: z[:5] needs x's block column 0 and block row 0.
    let x = da::random::RandomState::new(1).random([200, 200], [10, 10]);
    let y = &x + &x.t();
    let z = y.mean_axis(0);
    let (first, ran) = run(&z.slice(s![..5]));
    assert_eq!(ran["random"], 40, "{ran:?}"); // 20 for x[:, 0], 20 for x.T[:, 0]
    assert_eq!(ran["add"], 20, "{ran:?}");
    assert_eq!(ran["transpose"], 20, "{ran:?}");
    assert_eq!(ran["mean"], 20, "{ran:?}");
    assert!(!ran.contains_key("random") || ran["random"] < 400);
    // The same values as the full computation.
    let (all, full) = run(&z);
    assert_eq!(&all[..5], &first[..]);
    assert_eq!(full["random"], 800, "{full:?}"); // each chunk of x recomputed for x and x.T
}

#[test]
fn a_slice_of_one_element_runs_one_chunk() {
    let x = da::random::RandomState::new(2).random([100, 100], [10, 10]);
    let (v, ran) = run(&x.slice(s![55, 37]));
    assert_eq!(v.len(), 1);
    assert_eq!(ran["random"], 1, "{ran:?}");
    assert_eq!(ran.get("getitem"), Some(&1));
}

#[test]
fn a_strided_slice_runs_only_the_chunks_with_selected_elements() {
    let x = da::arange(0.0, 100.0, 1.0, 10);
    // 0, 25, 50, 75: chunks 0, 2, 5, 7.
    let (v, ran) = run(&x.slice(s![..;25]));
    assert_eq!(v, vec![0.0, 25.0, 50.0, 75.0]);
    assert_eq!(ran["arange"], 4, "{ran:?}");
}
