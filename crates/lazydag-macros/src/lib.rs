//! Procedural macros of lazydag: [`macro@remote`], which registers a function by name so that
//! another process running the same binary (a Dask worker) can call it.
//!
//! The generated code names the registry crate, `::lazydag_dask` by default; the documented
//! examples live there (`lazydag_dask::remote`), because a proc-macro crate cannot run them.

#![deny(missing_docs)]

mod remote;

use proc_macro::TokenStream;

/// Registers a function under its path (`module_path!()::name`) so that a cluster can run it.
///
/// The function is left as written, so plain calls and `delayed!(f(..))` do not change. Next
/// to it the attribute submits a registry entry (with `inventory`) that decodes the arguments
/// (bincode), calls the function and encodes the result; every argument type and the
/// result type must be `serde::Serialize + serde::de::DeserializeOwned + Send + 'static`, which
/// the compiler checks here. A function returning `Result<T, E>` (with `E: Display`) is
/// fallible, for `try_delayed!`: an `Err` comes back to the caller as the task's error.
///
/// Refused at compile time, with a message: generic, `async`, `unsafe`, `extern` or `const`
/// functions, methods (`self`), patterns other than a name in argument position, more than 8
/// arguments. `#[remote(crate = path)]` names the registry crate when it is not a direct
/// dependency called `lazydag_dask` (the `lazydag` facade passes `::lazydag::dask`).
#[proc_macro_attribute]
pub fn remote(attr: TokenStream, item: TokenStream) -> TokenStream {
    remote::expand(attr.into(), item.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}
