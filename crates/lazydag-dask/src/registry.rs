//! Functions registered by name (`#[remote]`): what lets a task cross a process boundary.
//!
//! A closure cannot be sent to another machine, but the same binary runs everywhere, so a
//! task travels as the path of a registered function plus bytes. Every `#[remote]` function
//! submits one [`RemoteFn`] with `inventory`; the table is built once per process, on first
//! use. Invariant: a path names at most one entry (a duplicate is a panic at first use naming
//! it, which cannot happen for paths from `module_path!()` within one binary).
//!
//! A path need not name one *function*, though: a fn nested in `fn shadow` has the type path
//! of a `fn twice` in `mod shadow`. So each entry also keeps the [`TypeId`] of its fn item, and
//! a task is accepted only if its function's `TypeId` is the entry's (the check is the graph's,
//! before anything is sent; a worker, the same binary, looks the checked path up).

use std::any::{TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use lazydag_core::Value;

use crate::codec::Codec;

/// One registered function: its path, its fn item's `TypeId`, and how to call it on
/// type-erased values.
pub struct RemoteFn {
    path: &'static str,
    type_id: fn() -> TypeId,
    arity: usize,
    args: &'static [Codec],
    output: Codec,
    fallible: bool,
    call: fn(Vec<Value>) -> Result<Value, String>,
}

inventory::collect!(RemoteFn);

impl RemoteFn {
    #[doc(hidden)]
    /// Used by `#[remote]`'s expansion.
    pub const fn __new(
        path: &'static str,
        type_id: fn() -> TypeId,
        arity: usize,
        args: &'static [Codec],
        output: Codec,
        fallible: bool,
        call: fn(Vec<Value>) -> Result<Value, String>,
    ) -> RemoteFn {
        RemoteFn { path, type_id, arity, args, output, fallible, call }
    }

    /// The path it is registered under: `module_path!()::name`, the same string as
    /// [`TaskRef::function_path`](lazydag_core::TaskRef::function_path) of its tasks.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The [`TypeId`] of the registered fn item: what tells it from another function with the
    /// same path, the same value as
    /// [`TaskRef::function_type_id`](lazydag_core::TaskRef::function_type_id) of its tasks.
    ///
    /// ```
    /// use std::any::TypeId;
    /// use lazydag_dask::{lookup, remote};
    ///
    /// #[remote]
    /// fn halve(x: u64) -> u64 { x / 2 }
    ///
    /// # fn main() {
    /// fn type_id_of<T: 'static>(_: &T) -> TypeId { TypeId::of::<T>() }
    /// let f = lookup(&format!("{}::halve", module_path!())).unwrap();
    /// assert_eq!(f.function_type_id(), type_id_of(&halve));
    /// # }
    /// ```
    pub fn function_type_id(&self) -> TypeId {
        (self.type_id)()
    }

    /// The number of arguments.
    pub fn arity(&self) -> usize {
        self.arity
    }

    /// The codec of argument `i`.
    ///
    /// # Panics
    /// If `i` is not below [`arity`](RemoteFn::arity).
    pub fn arg(&self, i: usize) -> Codec {
        self.args[i]
    }

    /// The codec of the task's value (for a fallible function, of its `Ok` value).
    pub fn output(&self) -> Codec {
        self.output
    }

    /// Whether the function returns `Result` (recorded with `try_delayed!`).
    pub fn is_fallible(&self) -> bool {
        self.fallible
    }

    /// Calls the function on one value per argument, in order. A panic is caught and becomes
    /// an error (`panicked: …`); so does an `Err` of a fallible function.
    ///
    /// # Errors
    /// The function's `Err` (its `Display`), a panic, or inputs of the wrong number or type.
    pub fn call(&self, inputs: Vec<Value>) -> Result<Value, CallError> {
        if inputs.len() != self.arity {
            return Err(CallError::Failed(format!(
                "`{}` takes {} arguments, got {}",
                self.path,
                self.arity,
                inputs.len()
            )));
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.call)(inputs))) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(message)) => Err(CallError::Failed(message)),
            Err(payload) => Err(CallError::Panicked(panic_message(payload.as_ref()))),
        }
    }
}

/// Why a call of a registered function did not return a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// It returned `Err` (the message is the error's `Display`), or its inputs were wrong.
    Failed(String),
    /// It panicked (the message is the panic's).
    Panicked(String),
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_owned())
}

impl fmt::Debug for RemoteFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteFn")
            .field("path", &self.path)
            .field("type_id", &self.function_type_id())
            .field("args", &self.args)
            .field("output", &self.output)
            .field("fallible", &self.fallible)
            .finish()
    }
}

fn table() -> &'static HashMap<&'static str, &'static RemoteFn> {
    static TABLE: OnceLock<HashMap<&'static str, &'static RemoteFn>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for f in inventory::iter::<RemoteFn> {
            if table.insert(f.path, f).is_some() {
                panic!("two #[remote] functions are registered as `{}`", f.path);
            }
        }
        table
    })
}

/// The function registered under `path`, if any.
pub fn lookup(path: &str) -> Option<&'static RemoteFn> {
    table().get(path).copied()
}

/// Every registered function, sorted by path.
pub fn registered() -> Vec<&'static RemoteFn> {
    let mut all: Vec<_> = table().values().copied().collect();
    all.sort_unstable_by_key(|f| f.path);
    all
}

/// A fingerprint of this build's task code: a hash of the running executable's bytes (or,
/// where it cannot be read, of every registered signature). The client sends its own with each
/// task, and a worker running a different build refuses the task instead of running other code.
pub fn build_id() -> u64 {
    static ID: OnceLock<u64> = OnceLock::new();
    *ID.get_or_init(|| {
        let mut hasher = DefaultHasher::new();
        match std::env::current_exe().and_then(std::fs::read) {
            Ok(bytes) => bytes.hash(&mut hasher),
            Err(_) => {
                for f in registered() {
                    (f.path, f.function_type_id(), f.output.type_name(), f.fallible)
                        .hash(&mut hasher);
                    f.args.iter().for_each(|a| a.type_name().hash(&mut hasher));
                }
            }
        }
        hasher.finish()
    })
}

/// Takes argument `pos` (a `T`) from a task's inputs; used by `#[remote]`'s expansion.
///
/// # Errors
/// When the input is missing or holds another type.
pub fn take_arg<T: 'static>(
    inputs: &mut std::vec::IntoIter<Value>,
    pos: usize,
) -> Result<T, String> {
    let value = inputs.next().ok_or_else(|| format!("argument {pos} is missing"))?;
    value.downcast::<T>().map_err(|_| format!("argument {pos} is not a `{}`", type_name::<T>()))
}

/// A fallible function's result as a task's; used by `#[remote]`'s expansion.
///
/// # Errors
/// The function's `Err`, by its `Display`.
pub fn settle_fallible<T: Send + 'static, E: fmt::Display>(
    returned: Result<T, E>,
) -> Result<Value, String> {
    returned.map(Value::new).map_err(|e| e.to_string())
}
