//! [`Security`]: TLS for the connection to a Dask cluster, as Dask's own
//! `distributed.security.Security` (one CA, and a certificate and key for this process).
//!
//! Invariant: a `Security` always has all three files; encryption is then required, so a
//! `tcp://` address is refused by Dask rather than silently used in the clear.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// TLS settings: the CA file that signs every certificate of the cluster, and this process's
/// certificate and private key (PEM files). Given to [`DaskCluster::connect_secure`] it is the
/// client's `distributed.security.Security(tls_ca_file, tls_client_cert, tls_client_key,
/// require_encryption=True)`; given to [`DaskCluster::local_secure`] the same three files are
/// also the scheduler's and the workers' (`--tls-ca-file`, `--tls-cert`, `--tls-key`), and
/// the cluster listens on `tls://127.0.0.1`.
///
/// ```
/// use lazydag_dask::Security;
/// let tls = Security::new("ca.pem", "me.pem", "me.key");
/// assert_eq!(tls.ca_file(), std::path::Path::new("ca.pem"));
/// assert_eq!(tls.cli_args().len(), 6); // --tls-ca-file ca.pem --tls-cert me.pem --tls-key me.key
/// ```
///
/// [`DaskCluster::connect_secure`]: crate::DaskCluster::connect_secure
/// [`DaskCluster::local_secure`]: crate::DaskCluster::local_secure
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Security {
    ca_file: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Security {
    /// TLS with the CA file `ca_file`, and `cert` and `key` for this process (PEM; `key` may
    /// be the same file as `cert` when it holds both). Nothing is read until a connection.
    pub fn new(
        ca_file: impl Into<PathBuf>,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Security {
        Security { ca_file: ca_file.into(), cert: cert.into(), key: key.into() }
    }

    /// The CA file.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// This process's certificate.
    pub fn cert(&self) -> &Path {
        &self.cert
    }

    /// This process's private key.
    pub fn key(&self) -> &Path {
        &self.key
    }

    /// The options of `my-app lazydag scheduler` and `my-app lazydag worker` (Dask's own)
    /// that give a scheduler or worker these files: `--tls-ca-file CA --tls-cert CERT
    /// --tls-key KEY`.
    pub fn cli_args(&self) -> Vec<OsString> {
        vec![
            "--tls-ca-file".into(),
            self.ca_file.clone().into_os_string(),
            "--tls-cert".into(),
            self.cert.clone().into_os_string(),
            "--tls-key".into(),
            self.key.clone().into_os_string(),
        ]
    }

    /// The client's `distributed.security.Security`.
    pub(crate) fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("tls_ca_file", self.ca_file.display().to_string())?;
        kwargs.set_item("tls_client_cert", self.cert.display().to_string())?;
        kwargs.set_item("tls_client_key", self.key.display().to_string())?;
        kwargs.set_item("require_encryption", true)?;
        py.import("distributed.security")?.getattr("Security")?.call((), Some(&kwargs))
    }
}
