//! The embedded interpreter and the venv it takes Dask from.
//!
//! Two ways in. The client (`DaskCluster::connect`) starts CPython inside the running program
//! ([`init`]). The scheduler and workers are this binary run as CPython's own command line
//! ([`python_main`]), started through a symlink `<venv>/bin/<exe>-python` ([`python_link`]):
//! CPython then finds the venv's `pyvenv.cfg` next to it, and Dask's nanny starts its worker
//! through `sys.executable`, the symlink again, so every process has `lazydag_native`.
//! Invariant: [`init`] runs at most once per process and never in python mode.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::OnceLock;

use pyo3::prelude::*;

use crate::error::DaskError;
use crate::python::native;

/// The venv Dask is installed in: `LAZYDAG_DASK_VENV`, else `VIRTUAL_ENV`, else the one the
/// binary was built against (`PYO3_PYTHON`'s).
pub(crate) fn venv() -> Result<PathBuf, DaskError> {
    let built = env!("LAZYDAG_DASK_BUILD_VENV");
    let venv = std::env::var_os("LAZYDAG_DASK_VENV")
        .or_else(|| std::env::var_os("VIRTUAL_ENV"))
        .or_else(|| (!built.is_empty()).then(|| OsString::from(built)))
        .map(PathBuf::from)
        .ok_or_else(|| {
            DaskError::Python(
                "no venv with Dask: set LAZYDAG_DASK_VENV (scripts/dask-env.sh makes one)".into(),
            )
        })?;
    if venv.join("pyvenv.cfg").is_file() {
        Ok(venv)
    } else {
        Err(DaskError::Python(format!("`{}` is not a venv (no pyvenv.cfg)", venv.display())))
    }
}

/// `<venv>/bin/<exe>-python`, a symlink to this executable, made (atomically) when missing
/// or pointing elsewhere.
pub(crate) fn python_link() -> Result<PathBuf, DaskError> {
    let exe = std::env::current_exe().map_err(|e| DaskError::Start(e.to_string()))?;
    let name = exe.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let link = venv()?.join("bin").join(format!("{name}-python"));
    if std::fs::read_link(&link).ok().as_deref() == Some(exe.as_path()) {
        return Ok(link);
    }
    let tmp = link.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&exe, &tmp)
        .and_then(|()| std::fs::rename(&tmp, &link))
        .map_err(|e| DaskError::Start(format!("cannot link `{}`: {e}", link.display())))?;
    Ok(link)
}

/// Starts the embedded interpreter for the client, once, with `lazydag_native` built in and
/// only the venv's packages importable (the base interpreter's may be other versions).
pub(crate) fn init() -> Result<(), DaskError> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let venv = venv().map_err(|e| e.to_string())?;
        let link = python_link().map_err(|e| e.to_string())?;
        native::register();
        Python::initialize();
        Python::attach(|py| {
            let sys = py.import("sys")?;
            sys.setattr("executable", link.display().to_string())?;
            let site = py.import("site")?;
            let path = sys.getattr("path")?;
            let kept: Vec<String> = path
                .extract::<Vec<String>>()?
                .into_iter()
                .filter(|p| !p.contains("site-packages") && !p.contains("dist-packages"))
                .collect();
            sys.setattr("path", kept)?;
            let (major, minor): (u8, u8) =
                sys.getattr("version_info")?.get_item(0)?.extract::<u8>().and_then(|ma| {
                    Ok((ma, sys.getattr("version_info")?.get_item(1)?.extract::<u8>()?))
                })?;
            let packages = venv.join(format!("lib/python{major}.{minor}/site-packages"));
            site.call_method1("addsitedir", (packages.display().to_string(),))?;
            if sys.getattr("argv").is_err() {
                sys.setattr("argv", vec![link.display().to_string()])?;
            }
            py.import("distributed").map(drop)
        })
        .map_err(|e: PyErr| format!("cannot import Dask from `{}`: {e}", venv.display()))
    })
    .clone()
    .map_err(DaskError::Python)
}

/// Runs this process as CPython's command line (`argv[0]` is the `-python` symlink) with
/// `lazydag_native` built in, and returns its exit status.
pub(crate) fn python_main(argv: &[OsString]) -> i32 {
    native::register();
    let owned: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()).unwrap_or_else(|_| c"".to_owned()))
        .collect();
    let mut ptrs: Vec<*mut std::ffi::c_char> =
        owned.iter().map(|c| c.as_ptr().cast_mut()).collect();
    let argc = std::ffi::c_int::try_from(ptrs.len()).unwrap_or(std::ffi::c_int::MAX);
    // SAFETY: `argc` counts the pointers in `ptrs`, each a NUL-terminated string owned by
    // `owned`, which outlives the call; CPython copies them and does not keep the pointers.
    // No interpreter is running yet in this process (python mode is chosen before anything
    // else in `main`).
    unsafe { pyo3::ffi::Py_BytesMain(argc, ptrs.as_mut_ptr()) }
}
