//! The `python` feature: CPython embedded in the user's binary, running Dask's own code.
//!
//! - [`native`]: the `lazydag_native` module (one function, `call(spec, *inputs)`), built into
//!   every interpreter this binary starts, so the scheduler can unpickle graphs that name it
//!   and workers can run them with the GIL released;
//! - [`interp`]: finding the venv, starting the embedded interpreter (client side), and the
//!   binary as CPython's own command line (scheduler and worker side);
//! - [`hook`]: [`main_hook`], the dispatch at the top of `main`, and [`register`], the
//!   `dask` scheduler for `LAZYDAG_SCHEDULER` and `lazydag.toml`;
//! - [`cluster`]: [`DaskCluster`], the `Scheduler` that submits plans to Dask;
//! - [`security`]: [`Security`], TLS files for the client and a local cluster;
//! - [`bench`](mod@bench): the bridge alone and plain-Python Dask, for the `distributed` figures.

pub mod bench;

mod cluster;

mod hook;

mod interp;

mod native;

mod security;

pub use self::cluster::DaskCluster;
pub use self::hook::{main_hook, register};
pub use self::security::Security;
