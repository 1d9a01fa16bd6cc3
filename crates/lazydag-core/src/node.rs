//! Recorded tasks: immutable nodes linked to their dependencies.
//!
//! Invariants:
//! - A node is created after all of its dependencies and never changes its dependencies, so the
//!   recorded graph is acyclic by construction and recording is O(1): it allocates one node and
//!   touches nothing else.
//! - Ids come from one process-wide counter, so a node's id is larger than its dependencies'.
//! - Dropping a node never recurses over graph depth: [`Drop`] unlinks uniquely owned
//!   dependencies onto an explicit stack, so a 1,000,000-long chain drops in constant stack.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use smallvec::SmallVec;

use crate::key::{Name, TaskKey};
use crate::value::{Cloner, Value};

/// Dependencies of one node, inline for the common case of up to two.
pub(crate) type Deps = SmallVec<[Arc<Node>; 2]>;

/// Why a task did not produce a value (a panic is caught one level up, in the plan).
#[derive(Debug)]
pub(crate) enum Failure {
    /// The task function returned `Err`.
    Err(Box<dyn std::error::Error + Send + Sync>),
    /// A non-`Clone` literal was already moved into an earlier compute.
    LiteralMoved {
        /// The literal's type.
        type_name: &'static str,
    },
}

/// What a node does when it runs: the one type-erased operation per node.
pub(crate) trait Op: Send + Sync + 'static {
    /// Whether this node is a literal (a value held by the graph) rather than a function.
    fn is_literal(&self) -> bool;

    /// Runs the operation. `inputs` holds one value per dependency, in order, and is drained.
    /// A literal ignores `inputs` and produces its value, cloning it with `cloner` when it can.
    fn run(&self, inputs: &mut Vec<Value>, cloner: Option<Cloner>) -> Result<Value, Failure>;

    /// The Rust type of the value this node produces.
    fn output_type(&self) -> &'static str;

    /// A short `Debug` rendering of a literal's value, when its type is `Debug`.
    fn describe(&self) -> Option<String> {
        None
    }

    /// Whether the task is async: [`start`](Op::start) returns its future.
    fn is_async(&self) -> bool {
        false
    }

    /// Starts an async task on `inputs` (drained); `None` for other ops.
    fn start(&self, _inputs: &mut Vec<Value>) -> Option<TaskFuture> {
        None
    }
}

/// The future of a running async task.
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send>>;

/// One recorded task. `op` comes last so `Arc<Node<ConcreteOp>>` coerces to `Arc<Node>`.
pub(crate) struct Node<O: ?Sized = dyn Op> {
    pub(crate) id: u64,
    name: Mutex<Name>,
    pub(crate) deps: Deps,
    cloner: OnceLock<Cloner>,
    /// Scratch for the collector that holds the visit lock: see `plan::Visits`.
    pub(crate) visit: Visit,
    pub(crate) op: O,
}

/// A node's visit mark: the epoch of the last collect that saw it, and its number there.
#[derive(Debug, Default)]
pub(crate) struct Visit {
    pub(crate) epoch: AtomicU64,
    pub(crate) found: AtomicU32,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl<O: Op> Node<O> {
    /// Allocates a node; the only work recording a task does.
    pub(crate) fn new(name: Name, deps: Deps, op: O) -> Arc<Node> {
        // Relaxed: ids need only be unique and increase along each thread's program order,
        // which a single atomic counter gives under any ordering.
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Arc::new(Node {
            id,
            name: Mutex::new(name),
            deps,
            cloner: OnceLock::new(),
            visit: Visit::default(),
            op,
        })
    }
}

impl Node {
    /// The node's readable name.
    pub(crate) fn name(&self) -> Name {
        self.name.lock().unwrap_or_else(|poison| poison.into_inner()).clone()
    }

    pub(crate) fn set_name(&self, name: Name) {
        *self.name.lock().unwrap_or_else(|poison| poison.into_inner()) = name;
    }

    pub(crate) fn key(&self) -> TaskKey {
        TaskKey::from_name(self.name(), self.id)
    }

    pub(crate) fn cloner(&self) -> Option<Cloner> {
        self.cloner.get().copied()
    }

    /// Records that this node's output type is `Clone`, so it can feed several consumers.
    pub(crate) fn set_cloner(&self, cloner: Cloner) {
        if self.cloner.get().is_none() {
            let _ = self.cloner.set(cloner);
        }
    }

    /// The node's address, its identity within one process.
    pub(crate) fn addr(&self) -> usize {
        (self as *const Node).cast::<()>() as usize
    }
}

impl<O: ?Sized> Drop for Node<O> {
    fn drop(&mut self) {
        if self.deps.iter().all(|dep| Arc::strong_count(dep) > 1) {
            return; // Dropping shared handles only decrements counts: no recursion possible.
        }
        let mut stack: SmallVec<[Arc<Node>; 16]> = mem::take(&mut self.deps).into_iter().collect();
        while let Some(mut dep) = stack.pop() {
            if let Some(unique) = Arc::get_mut(&mut dep) {
                stack.extend(mem::take(&mut unique.deps));
            }
            // `dep` drops here with no dependencies left, or as one of several owners.
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node").field("key", &self.key()).field("deps", &self.deps.len()).finish()
    }
}

/// A literal value held by the graph (`delayed(value)` or a plain argument of `delayed!`).
///
/// Each compute clones the value when its type is known to be `Clone`; otherwise the first
/// compute moves it out and a later one fails with [`Error::LiteralMoved`](crate::Error).
pub(crate) struct Literal<T> {
    value: Mutex<Option<Value>>,
    describe: Option<fn(&T) -> String>,
}

impl<T: Send + 'static> Literal<T> {
    pub(crate) fn new(value: T, describe: Option<fn(&T) -> String>) -> Self {
        Literal { value: Mutex::new(Some(Value::new(value))), describe }
    }
}

impl<T: Send + 'static> Op for Literal<T> {
    fn is_literal(&self) -> bool {
        true
    }

    fn run(&self, _inputs: &mut Vec<Value>, cloner: Option<Cloner>) -> Result<Value, Failure> {
        let mut slot = self.value.lock().unwrap_or_else(|poison| poison.into_inner());
        match (cloner, slot.as_ref()) {
            (Some(clone), Some(value)) => Ok(clone(value)),
            (None, Some(_)) => {
                slot.take().ok_or(Failure::LiteralMoved { type_name: type_name::<T>() })
            }
            (_, None) => Err(Failure::LiteralMoved { type_name: type_name::<T>() }),
        }
    }

    fn output_type(&self) -> &'static str {
        type_name::<T>()
    }

    fn describe(&self) -> Option<String> {
        let render = self.describe?;
        let slot = self.value.lock().unwrap_or_else(|poison| poison.into_inner());
        slot.as_ref().and_then(Value::downcast_ref::<T>).map(render)
    }
}

/// Gathers any number of same-typed inputs into one `Vec`, in dependency order.
pub(crate) struct Gather<T>(PhantomData<fn() -> T>);

impl<T> Gather<T> {
    pub(crate) fn new() -> Self {
        Gather(PhantomData)
    }
}

impl<T: Send + 'static> Op for Gather<T> {
    fn is_literal(&self) -> bool {
        false
    }

    fn run(&self, inputs: &mut Vec<Value>, _: Option<Cloner>) -> Result<Value, Failure> {
        Ok(Value::new(inputs.drain(..).map(Value::take::<T>).collect::<Vec<T>>()))
    }

    fn output_type(&self) -> &'static str {
        type_name::<Vec<T>>()
    }
}

/// Marks a task whose function returns a plain value (`delayed!`).
#[derive(Debug)]
pub(crate) enum Plain {}

/// Marks a task whose function returns `Result<T, E>`; `Err` fails the compute (`try_delayed!`).
#[derive(Debug)]
pub(crate) enum Fallible {}

/// How what a task's function returns becomes the task's result.
pub(crate) trait Settle<R>: 'static {
    /// The task's result.
    fn settle(returned: R) -> Result<Value, Failure>;
    /// The Rust type of the task's value.
    fn output_type() -> &'static str;
}

impl<R: Send + 'static> Settle<R> for Plain {
    fn settle(returned: R) -> Result<Value, Failure> {
        Ok(Value::new(returned))
    }

    fn output_type() -> &'static str {
        type_name::<R>()
    }
}

impl<T, E> Settle<Result<T, E>> for Fallible
where
    T: Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    fn settle(returned: Result<T, E>) -> Result<Value, Failure> {
        returned.map(Value::new).map_err(|err| Failure::Err(Box::new(err)))
    }

    fn output_type() -> &'static str {
        type_name::<T>()
    }
}

/// A function task of some arity `Args` (a tuple of input types), recorded in mode `Mode`.
pub(crate) struct Task<F, Args, Mode> {
    f: F,
    _types: PhantomData<fn() -> (Args, Mode)>,
}

impl<F, Args, Mode> Task<F, Args, Mode> {
    pub(crate) fn new(f: F) -> Self {
        Task { f, _types: PhantomData }
    }
}

/// An async function task: its function returns a future whose output settles as `Mode` says
/// (`delayed_async!` records `Plain`, `try_delayed_async!` records `Fallible`).
pub(crate) struct AsyncTask<F, Args, Mode> {
    f: F,
    _types: PhantomData<fn() -> (Args, Mode)>,
}

impl<F, Args, Mode> AsyncTask<F, Args, Mode> {
    pub(crate) fn new(f: F) -> Self {
        AsyncTask { f, _types: PhantomData }
    }
}

/// Takes one input of each argument type, in order, from a task's inputs.
macro_rules! take_inputs {
    ($inputs:expr, $($arg:ident),*) => {
        #[allow(unused_mut, unused_variables)]
        let mut inputs = $inputs.drain(..);
        $(let $arg = inputs.next().expect("one input per dependency").take::<$arg>();)*
        drop(inputs);
    };
}

macro_rules! task_arity {
    ($($arg:ident),*) => {
        impl<Fun, Ret, Mode, $($arg),*> Op for Task<Fun, ($($arg,)*), Mode>
        where
            Fun: Fn($($arg),*) -> Ret + Send + Sync + 'static,
            Mode: Settle<Ret>,
            $($arg: Send + 'static,)*
        {
            fn is_literal(&self) -> bool {
                false
            }

            #[allow(non_snake_case)]
            fn run(&self, inputs: &mut Vec<Value>, _: Option<Cloner>) -> Result<Value, Failure> {
                take_inputs!(inputs, $($arg),*);
                Mode::settle((self.f)($($arg),*))
            }

            fn output_type(&self) -> &'static str {
                Mode::output_type()
            }
        }

        impl<Fun, Fut, Mode, $($arg),*> Op for AsyncTask<Fun, ($($arg,)*), Mode>
        where
            Fun: Fn($($arg),*) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Mode: Settle<Fut::Output>,
            $($arg: Send + 'static,)*
        {
            fn is_literal(&self) -> bool {
                false
            }

            fn is_async(&self) -> bool {
                true
            }

            fn run(&self, inputs: &mut Vec<Value>, _: Option<Cloner>) -> Result<Value, Failure> {
                let future = self.start(inputs).expect("an async op starts a future");
                crate::runtime::block_on(future)
            }

            #[allow(non_snake_case)]
            fn start(&self, inputs: &mut Vec<Value>) -> Option<TaskFuture> {
                take_inputs!(inputs, $($arg),*);
                let future = (self.f)($($arg),*);
                Some(Box::pin(async move { Mode::settle(future.await) }))
            }

            fn output_type(&self) -> &'static str {
                Mode::output_type()
            }
        }
    };
}

task_arity!();
task_arity!(A1);
task_arity!(A1, A2);
task_arity!(A1, A2, A3);
task_arity!(A1, A2, A3, A4);
task_arity!(A1, A2, A3, A4, A5);
task_arity!(A1, A2, A3, A4, A5, A6);
task_arity!(A1, A2, A3, A4, A5, A6, A7);
task_arity!(A1, A2, A3, A4, A5, A6, A7, A8);
