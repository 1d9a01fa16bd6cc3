//! The `Memory` hit path, repeated, for instruction and syscall counts (docs/memory.md, "Cost"):
//! the bench `memory/hit_1kb` and `memory/task_hit_1kb_upstream_skip` without criterion.
//!
//! ```text
//! cargo build --release -p lazydag-parallel --example memory_hit_profile
//! valgrind --tool=callgrind target/release/examples/memory_hit_profile call 1000
//! valgrind --tool=callgrind target/release/examples/memory_hit_profile call 11000
//! strace -c -f target/release/examples/memory_hit_profile task 10000
//! ```
//!
//! The difference of two runs' totals over the difference of their hit counts is the cost of
//! one hit, setup and the first (storing) call cancelled out. `call` is a cached function's
//! hit (`Cached::call`), `task` a pure cached graph task whose upstream is skipped.

use lazydag_parallel::Memory;

/// The upstream step of the graph task (runs once, at setup).
fn upstream_1kb(n: usize) -> String {
    "b".repeat(n)
}

/// The cached step of the graph task: a 1 KB value.
fn step_1kb(s: String) -> String {
    s.replace('b', "a")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "call".into());
    let hits: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let mut total = 0;
    match what.as_str() {
        "call" => {
            let one_kb = memory.cache("one_kb", |_: u64| "a".repeat(1000));
            one_kb.call(7).unwrap();
            for _ in 0..hits {
                total += one_kb.call(7).unwrap().len();
            }
        }
        "task" => {
            let graph = || {
                let up = lazydag::delayed!(upstream_1kb(1000)).pure().cache(&memory);
                lazydag::delayed!(step_1kb(up)).pure().cache(&memory)
            };
            graph().compute().unwrap();
            for _ in 0..hits {
                total += graph().compute().unwrap().len();
            }
        }
        other => panic!("`{other}`: expected `call` or `task`"),
    }
    assert_eq!(total, hits * 1000);
}
