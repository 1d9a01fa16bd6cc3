//! Measurements for the `distributed` figures (`examples/dask_bench.rs`): the bridge alone,
//! and the same graph shape in plain Python on the same cluster, Dask's own per-task cost.

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::error::DaskError;
use crate::graph::{Arg, RemoteGraph};
use crate::python::{DaskCluster, interp, native};

fn py_err(e: PyErr) -> DaskError {
    DaskError::Python(e.to_string())
}

/// Microseconds per `lazydag_native.call` from Python (the bridge: bytes in, decode, call,
/// encode, bytes out, GIL released), for the first task of `graph`, whose inputs must all be
/// literals; `calls` calls in a Python loop.
///
/// # Errors
/// When the task has a dependency or Python fails.
pub fn bridge_us(graph: &RemoteGraph, calls: usize) -> Result<f64, DaskError> {
    interp::init()?;
    let task = graph.tasks.first().ok_or_else(|| DaskError::Python("an empty graph".into()))?;
    Python::attach(|py| -> Result<f64, DaskError> {
        let mut items: Vec<Bound<'_, PyAny>> = vec![PyBytes::new(py, &task.spec).into_any()];
        for arg in &task.args {
            let Arg::Literal(bytes) = arg else {
                return Err(DaskError::Python("bridge_us needs a task of literals".into()));
            };
            items.push(PyBytes::new(py, bytes).into_any());
        }
        let g = PyDict::new(py);
        g.set_item("call", native::call(py).map_err(py_err)?).map_err(py_err)?;
        g.set_item("args", PyTuple::new(py, items).map_err(py_err)?).map_err(py_err)?;
        g.set_item("n", calls).map_err(py_err)?;
        py.run(
            c"import time
t = time.perf_counter()
for _ in range(n): call(*args)
us = (time.perf_counter() - t) / n * 1e6",
            Some(&g),
            None,
        )
        .map_err(py_err)?;
        g.get_item("us")
            .map_err(py_err)?
            .ok_or_else(|| DaskError::Python("no us".into()))?
            .extract::<f64>()
            .map_err(py_err)
    })
}

/// Seconds for a plain-Python Dask graph of the map + tree-reduce shape (`chunks` × `chunk`
/// of `len` random numbers → `stats` → a pairwise tree of `merge`: 3 × chunks − 1 tasks) on
/// `cluster`, submitted like lazydag's (`Client.get` of a dict of tuples).
///
/// # Errors
/// When Python or Dask fails.
pub fn python_map_reduce(cluster: &DaskCluster, chunks: u32, len: u32) -> Result<f64, DaskError> {
    Python::attach(|py| -> Result<f64, DaskError> {
        let g = PyDict::new(py);
        // Named `__main__` as in a script: cloudpickle sends the functions by value, without
        // `pickle.whichmodule` scanning every module for a function with no `__module__`
        // (which cost ~30 ms per task here).
        g.set_item("__name__", "__main__").map_err(py_err)?;
        g.set_item("client", cluster.client.bind(py)).map_err(py_err)?;
        g.set_item("chunks", chunks).map_err(py_err)?;
        g.set_item("n", len).map_err(py_err)?;
        g.set_item(
            "token",
            format!("{:x}", Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id())),
        )
        .map_err(py_err)?;
        py.run(
            c"import random, time
def chunk(seed, n):
    r = random.Random(seed)
    return [r.random() for _ in range(n)]
def stats(xs):
    return (len(xs), sum(xs), min(xs), max(xs))
def merge(a, b):
    return (a[0] + b[0], a[1] + b[1], min(a[2], b[2]), max(a[3], b[3]))
dsk = {}
level = []
for s in range(chunks):
    dsk[f'chunk-{s}-{token}'] = (chunk, s, n)
    dsk[f'stats-{s}-{token}'] = (stats, f'chunk-{s}-{token}')
    level.append(f'stats-{s}-{token}')
m = 0
while len(level) > 1:
    nxt = []
    for i in range(0, len(level) - 1, 2):
        k = f'merge-{m}-{token}'; m += 1
        dsk[k] = (merge, level[i], level[i + 1]); nxt.append(k)
    if len(level) % 2: nxt.append(level[-1])
    level = nxt
t = time.perf_counter()
out = client.get(dsk, level[0])
secs = time.perf_counter() - t
assert out[0] == chunks * n",
            Some(&g),
            None,
        )
        .map_err(py_err)?;
        g.get_item("secs")
            .map_err(py_err)?
            .ok_or_else(|| DaskError::Python("no secs".into()))?
            .extract::<f64>()
            .map_err(py_err)
    })
}
