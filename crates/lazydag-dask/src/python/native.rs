//! `lazydag_native`: the Python module every process of the cluster has built in.
//!
//! A Dask task is the tuple `(lazydag_native.call, spec, *inputs)`: `spec` and literal
//! inputs are `bytes`, a dependency is another task's key, which Dask replaces by that task's
//! result (`bytes`) wherever it lives. `call` runs [`run_task`](crate::run_task) with the GIL
//! released, so a worker's threads run Rust tasks in parallel.

use pyo3::prelude::*;

#[pymodule]
pub(crate) mod lazydag_native {
    use pyo3::exceptions::PyRuntimeError;
    use pyo3::prelude::*;
    use pyo3::types::{PyBytes, PyTuple};

    /// Runs one shipped task on its inputs (each `bytes`) and returns its value's bytes; a
    /// failure is a `RuntimeError` whose message names the lazydag task.
    #[pyfunction]
    #[pyo3(signature = (spec, *inputs))]
    fn call<'py>(
        py: Python<'py>,
        spec: &Bound<'py, PyBytes>,
        inputs: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let held: Vec<Bound<'py, PyBytes>> = inputs
            .iter()
            .map(|a| a.cast_into::<PyBytes>().map_err(PyErr::from))
            .collect::<PyResult<_>>()?;
        let slices: Vec<&[u8]> = held.iter().map(|b| b.as_bytes()).collect();
        let spec = spec.as_bytes();
        let out = py.detach(|| crate::run_task(spec, &slices)).map_err(PyRuntimeError::new_err)?;
        Ok(PyBytes::new(py, &out))
    }

    /// The registered function paths (a worker can be asked what it runs).
    #[pyfunction]
    fn registered() -> Vec<&'static str> {
        crate::registered().into_iter().map(|f| f.path()).collect()
    }

    /// This build's fingerprint.
    #[pyfunction]
    fn build_id() -> u64 {
        crate::build_id()
    }
}

/// Registers the module for the interpreter this process will start.
///
/// # Panics
/// If an interpreter is already running (pyo3's check).
pub(crate) fn register() {
    pyo3::append_to_inittab!(lazydag_native);
}

/// The module's `call`, imported.
pub(crate) fn call(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("lazydag_native")?.getattr("call")
}
