//! Records which venv the `python` feature was built against (the one `PYO3_PYTHON` lives
//! in), so the binary finds Dask there at run time without `VIRTUAL_ENV` being set.
fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    let venv = std::env::var_os("PYO3_PYTHON")
        .map(std::path::PathBuf::from)
        .and_then(|python| Some(python.parent()?.parent()?.to_path_buf()))
        .filter(|venv| venv.join("pyvenv.cfg").is_file());
    let venv = venv.map(|v| v.display().to_string()).unwrap_or_default();
    println!("cargo:rustc-env=LAZYDAG_DASK_BUILD_VENV={venv}");
}
