//! The memory goal: a group-by aggregate over a CSV larger than the memory its process may
//! use finishes, with a peak RSS of about workers x blocksize x a small factor.
//!
//! Ignored by default (it writes a ~180 MiB file); `scripts/test.sh` runs it:
//! `cargo test -p lazydag-frame --test memory -- --ignored --nocapture`.
//! The parent test writes the CSV and runs this binary again as a child (the `memory_child`
//! test, which does nothing unless `LAZYDAG_FRAME_MEMORY_CSV` is set) inside a cgroup whose
//! memory limit is below the file's size, when it can make one (root with cgroup v1 or v2
//! mounted at /sys/fs/cgroup); otherwise the child runs unlimited and only the measured peak
//! is checked. The limit counts the child's anonymous memory and the page cache it reads in;
//! the binary's code pages were brought in by the parent and are charged there, so they are
//! measured separately: the child first runs the same group-by on the file's first 1,000
//! rows (the baseline), then on the whole file, and prints both peaks (`VmHWM`). The check
//! is on the difference.
//! `POLARS_MAX_THREADS` is set to the worker count in the child only.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use lazydag_core::scheduler::Threaded;
use lazydag_frame as dd;
use polars::prelude::*;

const WORKERS: usize = 2;
const BLOCKSIZE: u64 = 8_000_000;
const ROWS: usize = 5_000_000;
const KEYS: usize = 10_000;
/// The cgroup limit (anonymous memory and the page cache the child brings in): below the
/// file's size (~180 MiB).
const LIMIT_BYTES: u64 = 128 * 1024 * 1024;

fn write_csv(path: &Path) -> u64 {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(w, "user_id,a,b,c,d").unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..ROWS {
        // xorshift: cheap, fixed, no dependency.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = x % KEYS as u64;
        let f = |s: u64| (x >> s) % 100_000;
        writeln!(w, "{k},{}.{:02},{}.5,{},-{}.25", f(3), f(5) % 100, f(11), f(17), f(23)).unwrap();
    }
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    hwm.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn groupby(csv: &Path) -> (DataFrame, usize) {
    let df = dd::read_csv(csv).blocksize(BLOCKSIZE).open().unwrap();
    let aggs: Vec<Expr> = ["a", "b", "c", "d"]
        .iter()
        .flat_map(|c| [col(*c).mean(), col(*c).min(), col(*c).max(), col(*c).count()])
        .collect();
    let out = df.groupby(["user_id"]).agg(aggs).compute_with(&Threaded::new(WORKERS)).unwrap();
    (out, df.npartitions())
}

/// The child: the same group-by over the file's first 1,000 rows (the baseline: the code's
/// pages, which in a debug build are most of the process), then over the whole file; prints
/// both peaks on one line.
#[test]
#[ignore = "run by `groupby_over_a_csv_larger_than_its_memory_limit`"]
fn memory_child() {
    let Ok(csv) = std::env::var("LAZYDAG_FRAME_MEMORY_CSV") else { return };
    let csv = PathBuf::from(csv);
    let mut text = Vec::new();
    std::fs::File::open(&csv).unwrap().take(64 << 10).read_to_end(&mut text).unwrap();
    let head: Vec<u8> =
        text.split_inclusive(|&b| b == b'\n').take(1001).flatten().copied().collect();
    let small = csv.with_extension("head.csv");
    std::fs::write(&small, head).unwrap();
    let _ = groupby(&small);
    let base = hwm_kb();
    let (out, blocks) = groupby(&csv);
    assert_eq!(out.height(), KEYS);
    let count = out.column("a_count").unwrap().as_materialized_series().sum::<u64>().unwrap();
    assert_eq!(count, ROWS as u64, "every row counted once");
    println!("\nCHILD_PEAK_RSS_KB={} base={base} blocks={blocks}", hwm_kb());
}

/// A fresh memory cgroup with `LIMIT_BYTES`, or `None` when this process cannot make one.
fn make_cgroup() -> Option<PathBuf> {
    let name = format!("lazydag-frame-memory-{}", std::process::id());
    let v1 = Path::new("/sys/fs/cgroup/memory");
    let (dir, limit_file) = if v1.join("memory.limit_in_bytes").exists() {
        (v1.join(&name), "memory.limit_in_bytes")
    } else if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        (Path::new("/sys/fs/cgroup").join(&name), "memory.max")
    } else {
        return None;
    };
    std::fs::create_dir(&dir).ok()?;
    if std::fs::write(dir.join(limit_file), LIMIT_BYTES.to_string()).is_err() {
        let _ = std::fs::remove_dir(&dir);
        return None;
    }
    // No swap either, where the kernel accounts it.
    let _ = std::fs::write(dir.join("memory.memsw.limit_in_bytes"), LIMIT_BYTES.to_string());
    let _ = std::fs::write(dir.join("memory.swap.max"), "0");
    Some(dir)
}

#[test]
#[ignore = "writes a ~180 MiB CSV; scripts/test.sh runs it"]
fn groupby_over_a_csv_larger_than_its_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("big.csv");
    let size = write_csv(&csv);
    let cgroup = make_cgroup();
    let exe = std::env::current_exe().unwrap();
    let args = ["memory_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"];
    let mut cmd = match &cgroup {
        // The shell joins the cgroup, then becomes the child.
        Some(cg) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg("echo $$ > \"$0/cgroup.procs\" && exec \"$@\"")
                .arg(cg)
                .arg(&exe)
                .args(args);
            c
        }
        None => {
            let mut c = Command::new(&exe);
            c.args(args);
            c
        }
    };
    let out = cmd
        .env("LAZYDAG_FRAME_MEMORY_CSV", &csv)
        .env("POLARS_MAX_THREADS", WORKERS.to_string())
        .output()
        .unwrap();
    if let Some(cg) = &cgroup {
        let _ = std::fs::remove_dir(cg);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed ({}): {stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The test harness prints `test memory_child ... ` before the child's line.
    let line = stdout
        .lines()
        .find_map(|l| l.split("CHILD_PEAK_RSS_KB=").nth(1))
        .unwrap_or_else(|| panic!("no peak line from the child: {stdout}"));
    // `PEAK base=BASE blocks=N`, in kB.
    let nums: Vec<u64> =
        line.split(' ').map(|f| f.rsplit('=').next().unwrap().parse().unwrap()).collect();
    let (peak, base, blocks) = (nums[0] * 1024, nums[1] * 1024, nums[2]);
    let data = peak.saturating_sub(base);
    let per_block = WORKERS as u64 * BLOCKSIZE;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let limit = match &cgroup {
        Some(_) => format!("{:.0} MiB", mib(LIMIT_BYTES)),
        None => "none (no cgroup could be made: not root?)".into(),
    };
    println!(
        "memory: {:.0} MiB CSV in {blocks} blocks, {WORKERS} workers x {} MB blocks, cgroup limit \
         {limit}: peak RSS {:.0} MiB = baseline {:.0} MiB (the same group-by on 1,000 rows: \
         the debug binary's code) + {:.0} MiB = {:.1} x workers x blocksize",
        mib(size),
        BLOCKSIZE / 1_000_000,
        mib(peak),
        mib(base),
        mib(data),
        data as f64 / per_block as f64,
    );
    assert!(size > LIMIT_BYTES * 4 / 3, "the file ({size} B) must be well over the limit");
    assert!(blocks >= size / BLOCKSIZE, "one partition per block");
    // The bound: what the group-by adds to the process is under 8 x workers x blocksize
    // (measured: about 5x; the margin keeps the test from flaking).
    assert!(data < 8 * per_block, "the group-by added {data} B, over 8 x workers x blocksize");
}
