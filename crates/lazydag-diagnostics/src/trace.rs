//! Chrome trace-event JSON (the format Perfetto and `chrome://tracing` open).
//!
//! One process (`pid` 1, named `lazydag`), one thread track per worker (`tid` = the worker's
//! rank in sorted order, named by `thread_name` metadata), one complete event (`"ph": "X"`)
//! per task with `ts` and `dur` in microseconds.

use std::collections::BTreeMap;

use lazydag_core::Worker;
use serde_json::{Value, json};

use crate::profiler::TaskRecord;

/// The records as a trace-event JSON object.
pub(crate) fn chrome_trace(records: &[TaskRecord]) -> String {
    let tracks = tracks(records);
    let mut events: Vec<Value> = vec![json!({
        "name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": { "name": "lazydag" }
    })];
    for (worker, tid) in &tracks {
        events.push(json!({
            "name": "thread_name", "ph": "M", "pid": 1, "tid": tid,
            "args": { "name": worker.to_string() }
        }));
    }
    for r in records {
        events.push(json!({
            "name": r.key.name(),
            "cat": "task",
            "ph": "X",
            "pid": 1,
            "tid": tracks[&r.worker],
            "ts": r.start.as_secs_f64() * 1e6,
            "dur": r.duration().as_secs_f64() * 1e6,
            "args": {
                "key": r.key.to_string(),
                "worker": r.worker.to_string(),
                "status": format!("{:?}", r.status).to_lowercase(),
            },
        }));
    }
    json!({ "traceEvents": events, "displayTimeUnit": "ms" }).to_string()
}

/// Each worker's track number, in sorted worker order.
pub(crate) fn tracks(records: &[TaskRecord]) -> BTreeMap<Worker, usize> {
    let mut tracks: BTreeMap<Worker, usize> = records.iter().map(|r| (r.worker, 0)).collect();
    for (n, tid) in tracks.values_mut().enumerate() {
        *tid = n;
    }
    tracks
}
