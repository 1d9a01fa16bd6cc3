//! Running this test binary again as a child in which starting threads fails past a limit:
//! how the pool and stream start-failure tests provoke a refusal. Shared by path with
//! `lazydag-parallel`'s tests (`#[path]`), so it uses nothing but std.
//!
//! The limit is a fresh pids cgroup allowing [`PIDS`] tasks when this process can make one
//! (root, with cgroup v1's `pids` controller or cgroup v2 with `pids` enabled): `clone` then
//! fails with `EAGAIN` and nothing else runs short. Otherwise the child's address space is
//! capped at 1 GiB, where thread stacks run out after about a hundred; that also refuses the
//! thread, but with memory used up the standard library's own setup of a thread that did
//! start can fail too (a sigaltstack it cannot map), which aborts the child: rare, since pools
//! and streams set each thread up before starting the next, but not impossible.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The tasks (threads) a child's pids cgroup allows.
pub(crate) const PIDS: usize = 64;

/// Runs `test` of this binary in a child with `env` set to `1`, under the limit: its output,
/// and which limit it ran under. `None` when no child could be started (no `sh`).
pub(crate) fn run_limited(test: &str, env: &str) -> Option<(Output, &'static str)> {
    let exe = std::env::current_exe().ok()?;
    let args = ["--exact", test, "--test-threads=1", "--nocapture"];
    if let Some(cgroup) = pids_cgroup() {
        // The shell joins the cgroup, then becomes the child.
        let out = Command::new("sh")
            .arg("-c")
            .arg("echo $$ > \"$0/cgroup.procs\" && exec \"$@\"")
            .arg(&cgroup)
            .arg(&exe)
            .args(args)
            .env(env, "1")
            .output();
        let _ = std::fs::remove_dir(&cgroup); // empty once the child has exited
        if let Ok(out) = out {
            return Some((out, "a pids cgroup"));
        }
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(&exe)
        .args(args)
        .env(env, "1")
        .output()
        .ok()?;
    Some((out, "ulimit -v 1 GiB"))
}

/// A fresh pids cgroup limited to [`PIDS`] tasks, or `None` when this process cannot make
/// one.
fn pids_cgroup() -> Option<PathBuf> {
    let name = format!("lazydag-spawn-limit-{}", std::process::id());
    for root in ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"] {
        let root = Path::new(root);
        if !root.join("cgroup.procs").exists() {
            continue;
        }
        let dir = root.join(&name);
        if std::fs::create_dir(&dir).is_err() {
            continue;
        }
        if std::fs::write(dir.join("pids.max"), PIDS.to_string()).is_ok() {
            return Some(dir);
        }
        let _ = std::fs::remove_dir(&dir);
    }
    None
}
