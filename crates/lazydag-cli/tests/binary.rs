//! The `lazydag` binary from a fresh checkout: `graph demo` writes a file that `report`, `run`
//! and `dump` read; `run` refuses above a limit with exit code 3 and a clear message.

use std::process::{Command, Output};

fn lazydag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lazydag")).args(args).output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn demo_report_run_dump() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.json");
    std::fs::write(&file, stdout(&lazydag(&["graph", "demo", "--chunks", "5"]))).unwrap();
    let file = file.to_str().unwrap();

    let report = stdout(&lazydag(&["graph", "report", file]));
    // chunk and stats ×5, merge ×4, mean.
    assert!(report.starts_with("tasks: 15 to run, 10 literal inputs, 1 output\n"), "{report}");
    assert!(report.contains("  lazydag::demo::merge  4\n"), "{report}");
    assert!(report.contains("critical path: 6 tasks: chunk-"), "{report}");

    let first = stdout(&lazydag(&["graph", "run", file]));
    assert!(first.starts_with(&report), "{first}");
    assert!(first.lines().last().unwrap().starts_with("output 0 (mean-"), "{first}");
    assert_eq!(stdout(&lazydag(&["graph", "run", file])), first, "the same bits every run");

    let refused = lazydag(&["graph", "run", file, "--max-tasks", "10"]);
    assert_eq!(refused.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("lazydag: refused to run: the task count is 15, above the limit 10"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&refused.stdout).contains("output 0"));

    let listing = stdout(&lazydag(&["graph", "dump", file]));
    assert_eq!(listing.lines().count(), 16, "{listing}");

    let usage = lazydag(&["graph", "frob", file]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("usage: lazydag graph"));
}
