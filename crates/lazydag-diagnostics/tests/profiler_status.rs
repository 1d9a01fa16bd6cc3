//! The profiler records how each task ended: succeeded, failed, or cancelled.

use std::sync::Arc;

use lazydag::scheduler::{Sequential, Threaded};
use lazydag::{
    CancelToken, Control, Scheduler, TaskStatus, compute_settled, compute_with_control, delayed,
};
use lazydag_diagnostics::Profiler;

fn statuses(profiler: &Profiler) -> Vec<(String, TaskStatus)> {
    let mut seen: Vec<_> =
        profiler.records().into_iter().map(|r| (r.key.name().to_owned(), r.status)).collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    seen
}

#[test]
fn failed_and_succeeded_tasks_are_told_apart() {
    for scheduler in [&Sequential as &dyn Scheduler, &Threaded::new(2)] {
        let profiler = Arc::new(Profiler::new());
        let good = delayed(1u64).map(|x: u64| x + 1).name("good");
        let bad = delayed(1u64).try_map(|_: u64| Err::<u64, _>(std::fmt::Error)).name("bad");
        let control = Control::new().keep_going(true).callback(profiler.clone());
        let results = compute_settled(&[good, bad], scheduler, &control);
        assert!(results[0].is_ok() && results[1].is_err());
        assert_eq!(
            statuses(&profiler),
            vec![
                ("bad".to_owned(), TaskStatus::Failed),
                ("good".to_owned(), TaskStatus::Succeeded)
            ]
        );
        let json = profiler.chrome_trace();
        assert!(
            json.contains("\"status\":\"failed\"") && json.contains("\"status\":\"succeeded\""),
            "{json}"
        );
    }
}

#[test]
fn a_task_running_when_its_compute_is_cancelled_is_recorded_as_cancelled() {
    let profiler = Arc::new(Profiler::new());
    let token = CancelToken::new();
    let inner = token.clone();
    let task = delayed(1u64)
        .map(move |x: u64| {
            inner.cancel(); // the compute is stopped while this task runs
            x
        })
        .name("interrupted");
    let after = task.map(|x: u64| x + 1); // never starts
    let control = Control::new()
        .cancel_token(token)
        .callback(profiler.clone())
        .optimize(lazydag::Optimizer::off()); // unfused: the task reports under its own name
    assert!(compute_with_control(&after, &Sequential, &control).is_err());
    assert_eq!(statuses(&profiler), vec![("interrupted".to_owned(), TaskStatus::Cancelled)]);
}
