//! One pool per process: a program that computes graphs, runs `Parallel` maps and caches calls
//! with `Memory` runs one work-stealing pool, not one per library. Counted in /proc, in its
//! own test binary (one test), so no other test's pool is counted.

use lazydag::config::{self, SchedulerKind};
use lazydag::prelude::*;
use lazydag_parallel::{Memory, Parallel, cpu_count};

/// The names of this process's threads (Linux).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn double(x: u64) -> u64 {
    x * 2
}

#[test]
fn compute_parallel_and_memory_share_one_pool() {
    let (kind, workers) = config::current().unwrap();
    if kind != SchedulerKind::WorkStealing || thread_names().is_empty() {
        eprintln!("skipped: needs Linux's /proc and the default work-stealing configuration");
        return;
    }
    assert_eq!(workers, cpu_count());
    let graph: Vec<_> = (0..100u64).map(|i| delayed!(double(i))).collect();
    assert_eq!(lazydag::compute_all(&graph).unwrap().len(), 100);
    assert_eq!(Parallel::new().map(0..1000u64, double).unwrap().len(), 1000);
    assert_eq!(Parallel::new().n_jobs(-1).map(0..1000u64, double).unwrap()[999], 1998);
    let dir = tempfile::tempdir().unwrap();
    let cached = Memory::new(dir.path()).cache("double", double);
    assert_eq!(cached.call(21u64).unwrap(), 42);
    assert_eq!(Parallel::new().map(0..100u64, move |x| cached.call(x).unwrap()).unwrap()[5], 10);

    let names = thread_names();
    let pool_threads = names.iter().filter(|name| name.starts_with("lazydag-ws")).count();
    let other_pools = names.iter().filter(|name| name.starts_with("lazydag-threads")).count();
    assert_eq!(pool_threads, workers, "threads: {names:?}");
    assert_eq!(other_pools, 0, "threads: {names:?}");
}
