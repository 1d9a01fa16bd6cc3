//! `Parallel::verbose` on a stderr that is not a terminal: joblib's lines, counting items.
//! The map runs in a child process (this test binary again) whose stderr is a pipe.

use std::process::Command;

use lazydag_parallel::{BatchSize, Parallel};

const CHILD: &str = "LAZYDAG_PROGRESS_LINES_CHILD";

#[test]
fn verbose_maps_print_item_counts_to_a_piped_stderr() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_map", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(" out of 1000 ")).collect();
    // 1000 items in batches of 10, verbose(1): a line every 100 items, the last one final.
    assert_eq!(lines.len(), 10, "{stderr}");
    assert!(lines[0].contains("Done  100 out of 1000 | elapsed:"), "{}", lines[0]);
    assert!(lines[9].contains("Done 1000 out of 1000") && lines[9].ends_with("finished"));
    assert!(!stderr.contains('\u{1b}'), "escape codes on a pipe: {stderr:?}");
    // A stream of unknown length: powers of two, then the final count.
    let streamed: Vec<&str> = stderr.lines().filter(|l| l.contains(" items | elapsed")).collect();
    assert!(streamed.first().is_some_and(|l| l.contains("Done   10 items")), "{stderr}");
    assert!(
        streamed.last().is_some_and(|l| l.contains("Done   50 items") && l.ends_with("finished"))
    );
}

#[test]
fn child_map() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let parallel = Parallel::new().n_jobs(2).batch_size(BatchSize::Fixed(10)).verbose(1);
    let squares = parallel.map(0..1000u64, |x| x * x).unwrap();
    assert_eq!(squares[999], 998_001);
    let unknown = (0..50u64).filter(|_| true); // no exact length
    let streamed: Vec<u64> =
        parallel.map_iter(unknown, |x| x + 1).unwrap().map(Result::unwrap).collect();
    assert_eq!(streamed.len(), 50);
}
