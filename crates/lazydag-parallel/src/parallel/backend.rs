//! Resolving `n_jobs` (joblib's convention) and the scheduler a map runs on.
//!
//! Invariants: a pool is built at most once per `(kind, workers)` pair in a process, in
//! lazydag-core's one cache ([`lazydag_core::config::pool`]), shared with `compute`;
//! resolving `n_jobs` never falls back to a default: a value that leaves no worker is an
//! [`Error::Config`] naming the valid range.

use std::sync::Arc;

use lazydag_core::Scheduler;
use lazydag_core::config::{MAX_WORKERS, SchedulerKind};

use crate::error::Error;

/// The number of cores this process may use: lazydag's one cached count.
pub(crate) use lazydag_core::config::cores;

/// Turns joblib's `n_jobs` into a worker count on a machine with `cores` cores: `n > 0` is `n`,
/// `-1` is every core, `-2` every core but one, and so on; `0`, values that leave no worker and
/// counts above [`MAX_WORKERS`] (each worker is a thread) are errors.
pub(crate) fn resolve_jobs(n_jobs: isize, cores: usize) -> Result<usize, Error> {
    let cores = cores.min(MAX_WORKERS);
    let lowest = -(cores as isize);
    let valid = format!(
        "valid values: a positive count, or -1 (all {cores} cores) down to {lowest} (one core); \
         at most {MAX_WORKERS}"
    );
    match n_jobs {
        n if n > MAX_WORKERS as isize => Err(Error::Config {
            message: format!(
                "n_jobs = {n} is more than {MAX_WORKERS} workers: each worker is an \
                 operating-system thread, and more only cost memory and start-up time; {valid}"
            ),
        }),
        n if n > 0 => Ok(n as usize),
        0 => Err(Error::Config { message: format!("n_jobs must not be 0; {valid}") }),
        n if n >= lowest => Ok((cores as isize + 1 + n) as usize),
        n => Err(Error::Config {
            message: format!("n_jobs = {n} leaves no worker on this {cores}-core machine; {valid}"),
        }),
    }
}

/// The process's one scheduler of `kind` with `workers` workers: the same instance that
/// [`compute`](lazydag_core::compute()) uses for that pair
/// ([`lazydag_core::config::pool`]), so `Parallel` and `compute` share one pool.
pub(crate) fn scheduler(kind: SchedulerKind, workers: usize) -> Result<Arc<dyn Scheduler>, Error> {
    match kind {
        SchedulerKind::Sequential
        | SchedulerKind::Threads
        | SchedulerKind::WorkStealing
        | SchedulerKind::Async => Ok(lazydag_core::config::pool(kind, workers)?),
        other => Err(Error::Config {
            message: format!("backend `{other}` is not supported by Parallel"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_jobs;

    #[test]
    fn joblib_convention() {
        assert_eq!(resolve_jobs(3, 8).unwrap(), 3);
        assert_eq!(resolve_jobs(16, 8).unwrap(), 16);
        assert_eq!(resolve_jobs(-1, 8).unwrap(), 8);
        assert_eq!(resolve_jobs(-2, 8).unwrap(), 7);
        assert_eq!(resolve_jobs(-8, 8).unwrap(), 1);
        let zero = resolve_jobs(0, 8).unwrap_err().to_string();
        assert!(zero.contains("must not be 0") && zero.contains("-1 (all 8 cores) down to -8"));
        let low = resolve_jobs(-9, 8).unwrap_err().to_string();
        assert!(low.contains("n_jobs = -9 leaves no worker"), "{low}");
    }

    #[test]
    fn worker_counts_above_the_limit_are_config_errors() {
        use lazydag_core::config::MAX_WORKERS;
        assert_eq!(resolve_jobs(MAX_WORKERS as isize, 8).unwrap(), MAX_WORKERS);
        for n in [MAX_WORKERS as isize + 1, 1 << 40, isize::MAX] {
            let err = resolve_jobs(n, 8).unwrap_err();
            assert!(matches!(err, crate::Error::Config { .. }), "{err}");
            assert!(err.to_string().contains("more than 4096 workers"), "{err}");
        }
    }
}
