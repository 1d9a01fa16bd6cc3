//! [`DaskCluster`]: a lazydag [`Scheduler`] that runs plans on a Dask distributed cluster.
//!
//! Per compute: the plan is translated and checked ([`RemoteGraph::from_plan`]: refusals
//! happen here, before anything is sent), written as a Dask graph of
//! `(lazydag_native.call, spec, *inputs)` tuples keyed `<name>-<id>-<token>` (Dask groups the
//! dashboard by the name), submitted with `Client.get(..., sync=False)`, then waited for in
//! slices of 20 ms so that a cancel or timeout through `Control` cancels the Dask futures.
//! Invariant: every process [`DaskCluster::local`] started is stopped by PID when the cluster
//! is dropped (the scheduler is first asked to shut down, then survivors get SIGKILL).

use std::fmt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use lazydag_core::{Error, Plan, Scheduler, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::error::DaskError;
use crate::graph::{Arg, Output, RemoteGraph};
use crate::python::security::Security;
use crate::python::{interp, native};

/// A connection to a Dask scheduler (a `distributed.Client` in this process), usable as a
/// lazydag scheduler: `total.compute_with(&cluster)`.
pub struct DaskCluster {
    address: String,
    dashboard: Option<String>,
    pub(crate) client: Py<PyAny>,
    /// Processes started by [`local`](DaskCluster::local): the scheduler, then the workers.
    started: Mutex<Vec<Child>>,
    logs: Option<PathBuf>,
    computes: AtomicU64,
}

/// How often a compute checks whether its outputs are done, or it was cancelled.
const POLL: Duration = Duration::from_millis(20);

/// How long [`DaskCluster::connect`] waits for the scheduler.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The Dask settings of the processes a loopback cluster ([`DaskCluster::local`]) starts,
/// each unless the environment sets it (`DASK_…` variables are Dask's own configuration). An
/// idle Dask process is not idle: the scheduler, every nanny and every worker checks its event
/// loop's health every 20 ms and samples its CPU and memory for the dashboard every 500 ms. A
/// loopback cluster shares the caller's cores, so that background is taken from the tasks:
/// on 2 cores, two idle clusters (3 workers) used 0.17 cores with Dask's intervals and
/// 0.13-0.15 with these (docs/distributed.md, "Figures"). What they cost: an event loop blocked for
/// longer than `tick.limit` (3 s) is reported up to 1 s later, and the dashboard's system
/// plots have a point every 2 s. Workers started by `main_hook` on other machines keep Dask's
/// defaults.
const LOCAL_CLUSTER_CONFIG: [(&str, &str); 2] = [
    ("DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL", "1000ms"),
    ("DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL", "2000ms"),
];

impl DaskCluster {
    /// Connects to the Dask scheduler at `address` (`tcp://head:8786`), waiting up to 30 s.
    ///
    /// # Errors
    /// [`DaskError::Unreachable`] naming the address when no scheduler answers in time;
    /// [`DaskError::Python`] when the venv or Dask cannot be loaded.
    pub fn connect(address: &str) -> Result<DaskCluster, DaskError> {
        DaskCluster::connect_timeout(address, CONNECT_TIMEOUT)
    }

    /// [`connect`](DaskCluster::connect) with another connect timeout.
    ///
    /// # Errors
    /// As [`connect`](DaskCluster::connect).
    pub fn connect_timeout(address: &str, timeout: Duration) -> Result<DaskCluster, DaskError> {
        DaskCluster::open(address, None, timeout)
    }

    /// Connects over TLS to the Dask scheduler at `address` (`tls://head:8786`) with
    /// `security`'s CA, certificate and key, waiting up to 30 s. Encryption is required: a
    /// `tcp://` address is refused.
    ///
    /// # Errors
    /// [`DaskError::Unreachable`] naming the address when no scheduler answers in time (a
    /// certificate the scheduler does not trust fails this way too, with Dask's message);
    /// [`DaskError::Python`] when the venv or Dask cannot be loaded.
    pub fn connect_secure(address: &str, security: &Security) -> Result<DaskCluster, DaskError> {
        DaskCluster::open(address, Some(security), CONNECT_TIMEOUT)
    }

    fn open(
        address: &str,
        security: Option<&Security>,
        timeout: Duration,
    ) -> Result<DaskCluster, DaskError> {
        interp::init()?;
        let secs = timeout.as_secs_f64();
        let client = Python::attach(|py| -> PyResult<Py<PyAny>> {
            let kwargs = PyDict::new(py);
            kwargs.set_item("timeout", format!("{secs}s"))?;
            kwargs.set_item("set_as_default", false)?;
            if let Some(security) = security {
                kwargs.set_item("security", security.to_python(py)?)?;
            }
            let client =
                py.import("distributed")?.getattr("Client")?.call((address,), Some(&kwargs))?;
            Ok(client.unbind())
        })
        .map_err(|e| DaskError::Unreachable {
            address: address.to_owned(),
            timeout_s: secs,
            message: e.to_string(),
        })?;
        let dashboard = Python::attach(|py| {
            client.bind(py).getattr("dashboard_link").and_then(|l| l.extract::<String>()).ok()
        });
        Ok(DaskCluster {
            address: address.to_owned(),
            dashboard,
            client,
            started: Mutex::new(Vec::new()),
            logs: None,
            computes: AtomicU64::new(0),
        })
    }

    /// Starts a loopback cluster like Dask's `Client()`: this binary as the scheduler (port
    /// and dashboard port chosen by the OS, on 127.0.0.1) and as `n_workers` workers of one
    /// thread each, each under Dask's nanny; waits until all workers have joined (up to 120 s)
    /// and prints the dashboard link on stderr. The program's `main` must call
    /// [`main_hook`](crate::main_hook) first.
    ///
    /// # Errors
    /// [`DaskError::Start`] when a process cannot start or the workers do not join in time
    /// (the message names the log directory).
    pub fn local(n_workers: usize) -> Result<DaskCluster, DaskError> {
        DaskCluster::local_with(n_workers, 1)
    }

    /// [`local`](DaskCluster::local) with `threads` threads per worker.
    ///
    /// # Errors
    /// As [`local`](DaskCluster::local).
    pub fn local_with(n_workers: usize, threads: usize) -> Result<DaskCluster, DaskError> {
        DaskCluster::start(n_workers, threads, None)
    }

    /// [`local`](DaskCluster::local) over TLS: the scheduler, the workers (and their nannies)
    /// and this client all use `security`'s CA, certificate and key (one certificate for all,
    /// which must be valid for 127.0.0.1), and listen on `tls://127.0.0.1`.
    ///
    /// # Errors
    /// As [`local`](DaskCluster::local).
    pub fn local_secure(n_workers: usize, security: &Security) -> Result<DaskCluster, DaskError> {
        DaskCluster::start(n_workers, 1, Some(security))
    }

    fn start(
        n_workers: usize,
        threads: usize,
        security: Option<&Security>,
    ) -> Result<DaskCluster, DaskError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lazydag-dask-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| DaskError::Start(e.to_string()))?;
        let exe = std::env::current_exe().map_err(|e| DaskError::Start(e.to_string()))?;
        let file = dir.join("scheduler.json");
        let mut started = Vec::new();
        let tls: Vec<std::ffi::OsString> = match security {
            Some(security) => {
                let mut args: Vec<std::ffi::OsString> = vec!["--protocol".into(), "tls".into()];
                args.extend(security.cli_args());
                args
            }
            None => Vec::new(),
        };
        let mut spawn = |name: &str, args: &[&str]| -> Result<(), DaskError> {
            let log = std::fs::File::create(dir.join(format!("{name}.log")))
                .map_err(|e| DaskError::Start(e.to_string()))?;
            let err = log.try_clone().map_err(|e| DaskError::Start(e.to_string()))?;
            let mut command = Command::new(&exe);
            for (key, value) in LOCAL_CLUSTER_CONFIG {
                if std::env::var_os(key).is_none() {
                    command.env(key, value);
                }
            }
            let child = command
                .arg("lazydag")
                .args(args)
                .args(&tls)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(err)
                .spawn()
                .map_err(|e| DaskError::Start(format!("{name}: {e}")))?;
            started.push(child);
            Ok(())
        };
        let file_arg = file.display().to_string();
        let scratch = dir.join("scratch").display().to_string();
        let result = (|| -> Result<DaskCluster, DaskError> {
            spawn(
                "scheduler",
                &[
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--dashboard-address",
                    "127.0.0.1:0",
                    "--scheduler-file",
                    &file_arg,
                ],
            )?;
            let threads = threads.to_string();
            for w in 0..n_workers {
                let name = format!("worker-{w}");
                spawn(
                    &name,
                    &[
                        "worker",
                        "--scheduler-file",
                        &file_arg,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        &threads,
                        "--name",
                        &name,
                        "--no-dashboard",
                        "--local-directory",
                        &scratch,
                    ],
                )?;
            }
            wait_for_file(&file, Duration::from_secs(120))?;
            let address = read_address(&file)?;
            let cluster = DaskCluster::open(&address, security, Duration::from_secs(120))?;
            cluster.wait_for_workers(n_workers, Duration::from_secs(120))?;
            cluster.warm_up()?;
            Ok(cluster)
        })();
        match result {
            Ok(mut cluster) => {
                cluster.started = Mutex::new(started);
                cluster.logs = Some(dir);
                if let Some(link) = &cluster.dashboard {
                    eprintln!(
                        "lazydag: local Dask cluster at {}, dashboard {link}",
                        cluster.address
                    );
                }
                Ok(cluster)
            }
            Err(e) => {
                stop_all(&mut started);
                Err(DaskError::Start(format!("{e} (logs in {})", dir.display())))
            }
        }
    }

    /// Waits until `n` workers have joined the scheduler.
    ///
    /// # Errors
    /// [`DaskError::Python`] when they have not joined within `timeout`.
    pub fn wait_for_workers(&self, n: usize, timeout: Duration) -> Result<(), DaskError> {
        Python::attach(|py| {
            let kwargs = PyDict::new(py);
            kwargs.set_item("timeout", timeout.as_secs_f64())?;
            self.client.bind(py).call_method("wait_for_workers", (n,), Some(&kwargs)).map(drop)
        })
        .map_err(|e| DaskError::Python(format!("waiting for {n} workers: {e}")))
    }

    /// Runs one tiny task on every worker that has joined, pinned to it, through Dask's task
    /// path, and checks that each runs this build of the program ([`build_id`](crate::build_id));
    /// returns how many workers answered. [`local`](DaskCluster::local) calls it once its
    /// workers have joined: a worker's first task costs tens of milliseconds more than the
    /// next, which a compute would otherwise pay on its critical path (measured in
    /// docs/distributed.md, "Figures"). Call it after workers join a cluster from
    /// [`connect`](DaskCluster::connect) to pay that before the first compute and refuse a
    /// stale worker there rather than at its first task.
    ///
    /// # Errors
    /// [`DaskError::Skew`] naming the first worker that runs another build;
    /// [`DaskError::Python`] when a task fails.
    pub fn warm_up(&self) -> Result<usize, DaskError> {
        let ours = crate::build_id();
        let token = self.computes.fetch_add(1, Ordering::Relaxed);
        let answers = Python::attach(|py| -> PyResult<Vec<(String, u64)>> {
            let client = self.client.bind(py);
            let info = client.call_method0("scheduler_info")?;
            let workers: Vec<String> = info
                .get_item("workers")?
                .try_iter()?
                .map(|w| w?.extract())
                .collect::<PyResult<_>>()?;
            let build_id = py.import("lazydag_native")?.getattr("build_id")?;
            let mut futures = Vec::with_capacity(workers.len());
            for (i, worker) in workers.iter().enumerate() {
                let kwargs = PyDict::new(py);
                kwargs.set_item(
                    "key",
                    format!("lazydag-warm-up-{:x}{token:x}-{i}", std::process::id()),
                )?;
                kwargs.set_item("workers", PyList::new(py, [worker])?)?;
                kwargs.set_item("allow_other_workers", false)?;
                kwargs.set_item("pure", false)?;
                futures.push(client.call_method("submit", (&build_id,), Some(&kwargs))?);
            }
            let ids = client.call_method1("gather", (PyList::new(py, futures)?,))?;
            let ids: Vec<u64> = ids.extract()?;
            Ok(workers.into_iter().zip(ids).collect())
        })
        .map_err(|e| DaskError::Python(format!("warming up the workers: {e}")))?;
        if let Some((worker, theirs)) = answers.iter().find(|(_, id)| *id != ours) {
            return Err(DaskError::Skew { worker: worker.clone(), theirs: *theirs, ours });
        }
        Ok(answers.len())
    }

    /// The scheduler's address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The dashboard's URL (`http://127.0.0.1:8787/status`), when the scheduler runs one.
    pub fn dashboard_link(&self) -> Option<&str> {
        self.dashboard.as_deref()
    }

    /// The PIDs of the processes [`local`](DaskCluster::local) started: the scheduler first,
    /// then each worker's nanny (each nanny's child is the worker proper). Empty for a
    /// cluster from [`connect`](DaskCluster::connect).
    pub fn pids(&self) -> Vec<u32> {
        self.started.lock().unwrap_or_else(|p| p.into_inner()).iter().map(Child::id).collect()
    }

    /// Where the local cluster's processes write their logs (removed when the cluster is
    /// dropped, unless `LAZYDAG_DASK_KEEP_LOGS` is set).
    pub fn log_dir(&self) -> Option<&std::path::Path> {
        self.logs.as_deref()
    }

    fn run(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        let view = plan.view();
        let graph = RemoteGraph::from_plan(view)?;
        let token =
            format!("{:x}{:x}", std::process::id(), self.computes.fetch_add(1, Ordering::Relaxed));
        let keys: Vec<String> = graph
            .tasks
            .iter()
            .map(|t| format!("{}-{}-{token}", t.key.name(), t.key.id()))
            .collect();
        let mut wanted: Vec<usize> = graph
            .outputs
            .iter()
            .filter_map(|o| match o {
                Output::Task(n) => Some(*n),
                Output::Literal(_) => None,
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let fail = |e: PyErr| -> Error {
            Python::attach(|py| {
                let text = e.value(py).to_string();
                graph.task_error(&format!("{}: {text}", e.get_type(py)))
            })
        };
        let bytes = Python::attach(|py| -> Result<Vec<Option<Vec<u8>>>, Error> {
            let dsk = build(py, &graph, &keys).map_err(fail)?;
            let out: Vec<&str> = wanted.iter().map(|&n| keys[n].as_str()).collect();
            let client = self.client.bind(py);
            let kwargs = PyDict::new(py);
            kwargs.set_item("sync", false).map_err(fail)?;
            let futures = client
                .call_method("get", (dsk, PyList::new(py, &out).map_err(fail)?), Some(&kwargs))
                .map_err(fail)?;
            let futures = futures.cast_into::<PyList>().map_err(|e| fail(e.into()))?;
            // Each future counts itself done through a callback (run on Dask's callback
            // thread, also when it failed or was cancelled); this thread sleeps on the count
            // with the GIL released, waking at once when the last one is done and every
            // slice to check for a cancel or timeout.
            let left =
                Arc::new(Countdown { left: Mutex::new(futures.len()), zero: Condvar::new() });
            let callback = Py::new(py, DoneCallback(Arc::clone(&left))).map_err(fail)?;
            for future in futures.iter() {
                future.call_method1("add_done_callback", (&callback,)).map_err(fail)?;
            }
            while !py.detach(|| left.wait(POLL)) {
                if view.should_stop() {
                    let _ = client.call_method1("cancel", (&futures,));
                    return Err(view.stop_error().unwrap_or(Error::Cancelled));
                }
            }
            let results = client.call_method1("gather", (&futures,)).map_err(fail)?;
            let mut bytes: Vec<Option<Vec<u8>>> = vec![None; graph.tasks.len()];
            for (&n, item) in wanted.iter().zip(results.try_iter().map_err(fail)?) {
                let item = item.map_err(fail)?;
                let b = item.cast::<PyBytes>().map_err(|e| fail(e.into()))?;
                bytes[n] = Some(b.as_bytes().to_vec());
            }
            Ok(bytes)
        })?;
        graph.finish(bytes)
    }
}

/// How many of a compute's futures are not done yet.
struct Countdown {
    left: Mutex<usize>,
    zero: Condvar,
}

impl Countdown {
    /// Waits until none is left (true) or `slice` has passed (false).
    fn wait(&self, slice: Duration) -> bool {
        let left = self.left.lock().unwrap_or_else(|p| p.into_inner());
        let (left, _) = self
            .zero
            .wait_timeout_while(left, slice, |left| *left > 0)
            .unwrap_or_else(|p| p.into_inner());
        *left == 0
    }
}

/// The callback each future of a compute gets (`Future.add_done_callback`): counts it done.
#[pyclass(frozen)]
struct DoneCallback(Arc<Countdown>);

#[pymethods]
impl DoneCallback {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        let mut left = self.0.left.lock().unwrap_or_else(|p| p.into_inner());
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.0.zero.notify_all();
        }
    }
}

/// The Dask graph: `{key: (call, spec, *inputs)}`.
fn build<'py>(
    py: Python<'py>,
    graph: &RemoteGraph,
    keys: &[String],
) -> PyResult<Bound<'py, PyDict>> {
    let call = native::call(py)?;
    let dsk = PyDict::new(py);
    for (task, key) in graph.tasks.iter().zip(keys) {
        let mut items: Vec<Bound<'py, PyAny>> = Vec::with_capacity(2 + task.args.len());
        items.push(call.clone());
        items.push(PyBytes::new(py, &task.spec).into_any());
        for arg in &task.args {
            items.push(match arg {
                Arg::Task(n) => PyString::new(py, &keys[*n]).into_any(),
                Arg::Literal(bytes) => PyBytes::new(py, bytes).into_any(),
            });
        }
        dsk.set_item(key, PyTuple::new(py, items)?)?;
    }
    Ok(dsk)
}

fn wait_for_file(file: &std::path::Path, timeout: Duration) -> Result<(), DaskError> {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if std::fs::read_to_string(file).is_ok_and(|s| s.contains("\"address\"")) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(DaskError::Start(format!("the scheduler wrote no `{}` in {timeout:?}", file.display())))
}

/// The `"address"` of a Dask scheduler file (JSON).
fn read_address(file: &std::path::Path) -> Result<String, DaskError> {
    let text = std::fs::read_to_string(file).map_err(|e| DaskError::Start(e.to_string()))?;
    let start = text.find("\"address\"").map(|i| i + "\"address\"".len());
    let value = start.and_then(|s| {
        let rest = text[s..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_owned())
    });
    value.ok_or_else(|| DaskError::Start(format!("no address in `{}`", file.display())))
}

/// Every descendant of `pid` (children first found through `/proc`), deepest last.
fn descendants(pid: u32) -> Vec<u32> {
    let mut all = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else { continue };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
                all.push(child);
                todo.push(child);
            }
        }
    }
    all
}

/// Stops the processes we started and all their descendants, by PID: SIGTERM, up to 10 s to
/// exit, then SIGKILL.
fn stop_all(started: &mut Vec<Child>) {
    let mut pids: Vec<u32> = Vec::new();
    for child in started.iter() {
        pids.push(child.id());
        pids.extend(descendants(child.id()));
    }
    let signal = |sig: &str, pids: &[u32]| {
        if !pids.is_empty() {
            let _ = Command::new("kill")
                .arg(sig)
                .args(pids.iter().map(u32::to_string))
                .stderr(Stdio::null())
                .status();
        }
    };
    signal("-TERM", &pids);
    let until = Instant::now() + Duration::from_secs(10);
    for child in started.iter_mut() {
        while Instant::now() < until && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let alive: Vec<u32> = pids
        .iter()
        .copied()
        .filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
        .collect();
    signal("-KILL", &alive);
    for child in started.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    started.clear();
}

impl Scheduler for DaskCluster {
    fn name(&self) -> &str {
        "dask"
    }

    fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
        self.run(plan)
    }
}

impl Drop for DaskCluster {
    fn drop(&mut self) {
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        Python::attach(|py| {
            let client = self.client.bind(py);
            if !started.is_empty() {
                let _ = client.call_method0("shutdown");
            }
            let _ = client.call_method0("close");
        });
        stop_all(&mut started);
        if let Some(dir) = &self.logs
            && std::env::var_os("LAZYDAG_DASK_KEEP_LOGS").is_none()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl fmt::Debug for DaskCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaskCluster")
            .field("address", &self.address)
            .field("dashboard", &self.dashboard)
            .field("started", &self.pids())
            .finish()
    }
}
