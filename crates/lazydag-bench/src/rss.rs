//! Peak memory, measured honestly: each case runs in a fresh child process (this binary,
//! re-executed with a hidden subcommand), which reports the kernel's high-water mark of its
//! resident set (`VmHWM` in `/proc/self/status`) after its one run.
//!
//! Invariant: a child prints exactly one JSON line on stdout, last; anything else it says goes
//! to stderr. A child whose result is wrong exits non-zero, and the parent reports that.

use std::process::Command;

use lazydag::Scheduler;
use lazydag::scheduler::{Async, Sequential, Threaded, WorkStealing};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::baseline;
use crate::runner::Runner;
use crate::shape::Shape;

/// The hidden subcommand that runs one shape case in a child.
pub(crate) const CASE: &str = "__case";

/// A `kB` field (`VmHWM:`, `MemTotal:` …) of a `/proc` status-like text, in KiB.
pub(crate) fn field_kib(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// A `kB` field of this process's `/proc/self/status`, in KiB (0 where there is no `/proc`).
pub(crate) fn own_kib(name: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|s| field_kib(&s, name)).unwrap_or(0)
}

/// Runs this binary again with `args` (and `env` added to its environment) and parses the
/// JSON on its last stdout line.
///
/// # Errors
/// The child could not start, failed (its stderr is included), or printed no JSON.
pub(crate) fn child<T: DeserializeOwned>(
    args: &[String],
    env: &[(&str, &str)],
) -> Result<T, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let out = Command::new(exe)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .map_err(|e| format!("cannot start a child `{}`: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "child `{}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last)
        .map_err(|e| format!("child `{}` printed no result ({e}): {last}", args.join(" ")))
}

/// A scheduler of `runner`'s kind with `workers` threads (`None` for rayon).
pub(crate) fn scheduler(runner: Runner, workers: usize) -> Option<Box<dyn Scheduler>> {
    match runner {
        Runner::Sequential => Some(Box::new(Sequential)),
        Runner::Threads => Some(Box::new(Threaded::new(workers))),
        Runner::WorkStealing => Some(Box::new(WorkStealing::new(workers))),
        Runner::Async => Some(Box::new(Async::new(workers))),
        Runner::Rayon => None,
    }
}

/// Peak memory of one case, from its own process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CaseRss {
    pub(crate) shape: Shape,
    pub(crate) size: u64,
    pub(crate) runner: Runner,
    pub(crate) workers: usize,
    /// Resident set once the graph is recorded (or the rayon input prepared), KiB.
    pub(crate) built_kib: u64,
    /// High-water mark of the resident set after the run, KiB.
    pub(crate) peak_kib: u64,
}

/// Measures `shape` at `size` on `runner` in a child process.
///
/// # Errors
/// As [`child`].
pub(crate) fn measure(
    shape: Shape,
    size: u64,
    runner: Runner,
    workers: usize,
) -> Result<CaseRss, String> {
    let args = [CASE, shape.name(), &size.to_string(), runner.name(), &workers.to_string()];
    child(&args.map(str::to_owned), &[])
}

/// The child's side of [`measure`]: `__case SHAPE SIZE RUNNER WORKERS`.
///
/// # Errors
/// Bad arguments, a failed compute or a wrong result.
pub(crate) fn case_child(args: &[String]) -> Result<(), String> {
    let [shape, size, runner, workers] = args else {
        return Err(format!("{CASE} takes SHAPE SIZE RUNNER WORKERS, not {args:?}"));
    };
    let shape = Shape::parse(shape).ok_or_else(|| format!("unknown shape {shape}"))?;
    let runner = Runner::parse(runner).ok_or_else(|| format!("unknown runner {runner}"))?;
    let size: u64 = size.parse().map_err(|_| format!("bad size {size}"))?;
    let workers: usize = workers.parse().map_err(|_| format!("bad workers {workers}"))?;
    let expected = shape.expected(size);
    let (built_kib, digest) = match scheduler(runner, workers) {
        Some(scheduler) => {
            let graph = shape.build(size);
            let built = own_kib("VmRSS:");
            (
                built,
                graph
                    .compute(&*scheduler, &lazydag::Optimizer::off())
                    .map_err(|e| e.to_string())?,
            )
        }
        None => {
            let input = baseline::Input::new(shape, size);
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .map_err(|e| e.to_string())?;
            let built = own_kib("VmRSS:");
            (built, baseline::run(&input, &pool))
        }
    };
    if digest != expected {
        return Err(format!(
            "{} {size} on {}: got {digest}, expected {expected}",
            shape.name(),
            runner.name()
        ));
    }
    let peak_kib = own_kib("VmHWM:");
    let result = CaseRss { shape, size, runner, workers, built_kib, peak_kib };
    println!("{}", serde_json::to_string(&result).map_err(|e| e.to_string())?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields() {
        let status = "Name:\tx\nVmHWM:\t   12345 kB\nVmRSS:\t  100 kB\n";
        assert_eq!(field_kib(status, "VmHWM:"), Some(12345));
        assert_eq!(field_kib(status, "VmRSS:"), Some(100));
        assert_eq!(field_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn own_peak_is_at_least_the_current_resident_set() {
        // One snapshot: other tests allocate meanwhile, so two reads could disagree.
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let (peak, now) = (field_kib(&status, "VmHWM:"), field_kib(&status, "VmRSS:"));
            assert!(peak >= now && now > Some(0), "{peak:?} {now:?}");
        }
    }
}
