//! Where things live: the workspace root, fixed at compile time, and the files under it that
//! the harness uses (the Dask scripts and their venv).

use std::path::PathBuf;

/// The workspace root (two levels above this crate's manifest).
pub(crate) fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    here.canonicalize().unwrap_or(here)
}

/// `benches/dask`: the Python side of the comparison.
pub(crate) fn dask_dir() -> PathBuf {
    workspace_root().join("benches/dask")
}

/// The venv `benches/dask/setup.sh` creates.
pub(crate) fn venv() -> PathBuf {
    workspace_root().join("target/dask-venv")
}
