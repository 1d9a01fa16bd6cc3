//! [`main_hook`]: the user's binary as every Dask process.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::python::interp;

const USAGE: &str = "usage: <app> lazydag scheduler [dask scheduler options]
       <app> lazydag worker SCHEDULER-ADDRESS [dask worker options]
       <app> lazydag python [python options]
Dask's own command lines run inside this binary, so task code is the client's.";

/// Call first in `main`: when the process was started as a Dask process, runs it as that and
/// never returns; otherwise returns at once and the program goes on.
///
/// - `my-app lazydag scheduler [options]` runs Dask's `dask scheduler` (its options: `--host`,
///   `--port`, `--dashboard-address`, `--scheduler-file`, TLS …);
/// - `my-app lazydag worker tcp://head:8786 [options]` runs `dask worker` (`--nthreads`,
///   `--nworkers`, `--memory-limit`, `--no-nanny` …; the nanny is on by default);
/// - `my-app lazydag python …` is CPython's command line with the tasks built in;
/// - run through its `-python` symlink (what the others exec, and what Dask's nanny starts
///   its worker with), the binary is CPython's command line.
///
/// The first three exec `<venv>/bin/<my-app>-python` (a symlink to this binary, made on
/// demand) with `-m distributed.cli.dask_scheduler` / `dask_worker`, so the PID stays the same.
pub fn main_hook() {
    register();
    let args: Vec<OsString> = std::env::args_os().collect();
    let Some(argv0) = args.first() else { return };
    let exe_name = std::path::Path::new(argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if exe_name.ends_with("-python") {
        std::process::exit(interp::python_main(&args));
    }
    if args.get(1).is_none_or(|a| a != "lazydag") {
        return;
    }
    let module = match args.get(2).and_then(|a| a.to_str()) {
        Some("scheduler") => Some("distributed.cli.dask_scheduler"),
        Some("worker") => Some("distributed.cli.dask_worker"),
        Some("python") => None,
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let link = match interp::python_link() {
        Ok(link) => link,
        Err(e) => {
            eprintln!("lazydag: {e}");
            std::process::exit(2);
        }
    };
    let mut cmd = Command::new(&link);
    cmd.arg0(&link);
    if let Some(module) = module {
        cmd.args(["-m", module]);
    }
    let err = cmd.args(&args[3..]).exec();
    eprintln!("lazydag: cannot exec `{}`: {err}", link.display());
    std::process::exit(2);
}

/// Registers the external scheduler `dask` with lazydag's config
/// ([`register_external`](lazydag_core::config::register_external)), so that
/// `LAZYDAG_SCHEDULER=dask` with `LAZYDAG_DASK_ADDRESS=tcp://head:8786`, or `scheduler =
/// "dask"` with `dask-address = "tcp://head:8786"` in `lazydag.toml`, runs every
/// `compute()` on that cluster with no code change. [`main_hook`] calls it; call it yourself
/// only in a program that does not call `main_hook`. Calling it again is harmless.
///
/// The cluster is connected to (30 s timeout) on the first compute that selects it and reused
/// by later ones with the same address.
///
/// ```no_run
/// lazydag_dask::register();
/// // LAZYDAG_SCHEDULER=dask LAZYDAG_DASK_ADDRESS=tcp://127.0.0.1:8786 ./my-app
/// ```
pub fn register() {
    lazydag_core::config::register_external("dask", connect_configured);
}

/// The factory [`register`] registers: [`DaskCluster::connect`](crate::DaskCluster::connect) to the configured address.
fn connect_configured(
    address: Option<&str>,
) -> Result<std::sync::Arc<dyn lazydag_core::Scheduler>, lazydag_core::Error> {
    let Some(address) = address else {
        return Err(lazydag_core::Error::Config {
            message: format!(
                "scheduler `dask` needs the cluster's address: set {} (or `dask-address` in \
                 lazydag.toml), e.g. tcp://127.0.0.1:8786",
                lazydag_core::config::ENV_DASK_ADDRESS
            ),
        });
    };
    match crate::python::DaskCluster::connect(address) {
        Ok(cluster) => Ok(std::sync::Arc::new(cluster)),
        Err(err) => Err(lazydag_core::Error::Scheduler {
            scheduler: "dask".into(),
            message: err.to_string(),
        }),
    }
}
