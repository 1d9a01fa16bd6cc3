//! What the figures were measured on: core count, CPU model, load average. Read from `/proc`
//! where it exists; a missing file gives "unknown", never an error.

use serde::{Deserialize, Serialize};

/// The machine a run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Machine {
    /// `std::thread::available_parallelism()`.
    pub(crate) cores: usize,
    /// The first `model name` of `/proc/cpuinfo`.
    pub(crate) cpu: String,
    /// Total memory, GiB (`MemTotal` of `/proc/meminfo`).
    pub(crate) memory_gib: f64,
    /// The 1-minute load average when the run started and when it ended.
    pub(crate) load_start: f64,
    pub(crate) load_end: f64,
}

impl Machine {
    /// Reads the machine now (the end load is filled in by [`Machine::finish`]).
    pub(crate) fn now() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let memory_gib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| crate::rss::field_kib(&s, "MemTotal:"))
            .map_or(0.0, |kib| kib as f64 / (1024.0 * 1024.0));
        let load = load_average();
        Self { cores: cores(), cpu, memory_gib, load_start: load, load_end: load }
    }

    /// Records the load average at the end of the run.
    pub(crate) fn finish(&mut self) {
        self.load_end = load_average();
    }
}

/// The number of cores this process may use.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The 1-minute load average, or -1 where `/proc/loadavg` is missing.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(-1.0)
}
