//! [`Delayed<T>`]: the typed handle to a recorded task.
//!
//! A handle is one `Arc` to an immutable node: cloning it is one atomic increment, and it is
//! `Send + Sync` whatever `T` is, because it holds no `T` (only the graph does).

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use petgraph::graph::DiGraph;

use crate::compiled::{Compiled, compile};
use crate::compute::{blame, compute, compute_with, execute};
use crate::config::default_scheduler;
use crate::content::{Cached, input_key, task_key};
use crate::control::Control;
use crate::error::Error;
use crate::graph::TaskInfo;
use crate::identity::{ContentKey, TaskStore};
use crate::key::{Name, TaskKey};
use crate::node::{Fallible, Gather, Literal, Node, OpsOf, Plain, Task, deps};
use crate::outputs::Outputs;
use crate::plan::{PlanView, TaskRef};
use crate::schedulers::Scheduler;
use crate::value::Value;

/// A lazily computed value of type `T`: a handle to a task recorded in the graph.
///
/// Nothing runs until [`compute`](Delayed::compute) (or [`compute`](crate::compute()) for many
/// outputs). A handle can be cloned, sent to other threads and used as an argument of any
/// number of tasks, including tasks of other graphs: graphs built separately combine freely.
///
/// ```
/// use lazydag_core::{delayed, Delayed};
/// fn square(x: i64) -> i64 { x * x }
/// fn add(x: i64, y: i64) -> i64 { x + y }
/// let x = delayed!(square(5));
/// let y = delayed!(square(10));
/// let z: Delayed<i64> = delayed!(add(x, y));
/// assert_eq!(z.compute().unwrap(), 125);
/// ```
pub struct Delayed<T> {
    pub(crate) node: Arc<Node>,
    _type: PhantomData<fn() -> T>,
}

/// Makes a literal node holding `value`, like `dask.delayed(obj)`.
///
/// Each compute hands the consuming tasks clones of the value (the graph keeps the original, so
/// the graph can be computed again). Large data belongs in an `Arc`, so that a clone is a
/// refcount. For a value that is not `Clone`, use [`delayed_once`].
///
/// ```
/// use lazydag_core::delayed;
/// let data = delayed(vec![1, 2, 3]);
/// let total = data.map(|v: Vec<i32>| v.iter().sum::<i32>());
/// assert_eq!(total.compute().unwrap(), 6);
/// assert_eq!(total.compute().unwrap(), 6);
/// ```
pub fn delayed<T: Clone + Send + 'static>(value: T) -> Delayed<T> {
    delayed_once(value).shared()
}

/// Makes a literal node holding a value that need not be `Clone`: the first compute moves it
/// out, and computing the graph again fails with [`Error::LiteralMoved`].
///
/// ```
/// use lazydag_core::{delayed_once, Error};
/// struct Token(u32); // not Clone
/// let t = delayed_once(Token(7)).map(|t: Token| t.0);
/// assert_eq!(t.compute().unwrap(), 7);
/// assert!(matches!(t.compute(), Err(Error::LiteralMoved { .. })));
/// ```
pub fn delayed_once<T: Send + 'static>(value: T) -> Delayed<T> {
    Delayed::from_node(Node::new(&"literal", deps![], Literal::new(value, None)))
}

/// Makes a literal node holding `value`, like [`delayed`], and records that its type is
/// [`Tokenize`](crate::Tokenize), so that a pure task taking it gets a content key.
/// (`delayed!` records that on its own for every argument it sees; this is for literals that
/// only [`map`](Delayed::map) consumes.) The value is hashed once, when a pure task first
/// needs its key (not here), and the key is kept in the node: put a large buffer in one
/// `delayed_pure(Arc::new(..))` and pass that handle to many tasks.
///
/// ```
/// use std::sync::Arc;
/// use lazydag_core::{delayed, delayed_pure};
/// fn size(data: Arc<Vec<u8>>) -> usize { data.len() }
/// let data = delayed_pure(Arc::new(vec![7u8; 1 << 20]));
/// assert!(data.content_key().is_none());                 // not hashed yet
/// let a = data.map(size).pure();
/// assert!(a.content_key().is_some() && data.content_key().is_some()); // hashed once, here
/// assert!(delayed(Arc::new(vec![7u8])).map(size).pure().content_key().is_none());
/// ```
pub fn delayed_pure<T: crate::identity::Tokenize + Clone + Send + 'static>(value: T) -> Delayed<T> {
    let literal = delayed_once(value);
    literal.node.set_ops(&OpsOf::<T>::BOTH);
    literal
}

impl<T: Send + 'static> Delayed<T> {
    pub(crate) fn from_node(node: Arc<Node>) -> Self {
        Delayed { node, _type: PhantomData }
    }

    /// Records a task that applies `f` to this task's output.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// let n = delayed(20).map(|x: i32| x + 1).map(|x: i32| x * 2);
    /// assert_eq!(n.compute().unwrap(), 42);
    /// ```
    pub fn map<U, F>(&self, f: F) -> Delayed<U>
    where
        F: Fn(T) -> U + Send + Sync + 'static,
        U: Send + 'static,
    {
        let task = Task::<F, (T,), Plain>::new(f);
        Delayed::from_node(Node::new(&"map", deps![self.node.clone()], task))
    }

    /// Records a fallible task that applies `f` to this task's output; an `Err` fails the
    /// compute with [`Error::Failed`] naming this new task.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// let n = delayed("42").try_map(|s: &str| s.parse::<u8>());
    /// assert_eq!(n.compute().unwrap(), 42);
    /// let bad = delayed("x").try_map(|s: &str| s.parse::<u8>()).name("parse");
    /// assert!(bad.compute().unwrap_err().to_string().contains("task `parse-"));
    /// ```
    pub fn try_map<U, E, F>(&self, f: F) -> Delayed<U>
    where
        F: Fn(T) -> Result<U, E> + Send + Sync + 'static,
        U: Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let task = Task::<F, (T,), Fallible>::new(f);
        Delayed::from_node(Node::new(&"try_map", deps![self.node.clone()], task))
    }

    /// Computes this value with the default scheduler.
    ///
    /// # Errors
    /// The first task that fails or panics, named in the [`Error`].
    pub fn compute(&self) -> Result<T, Error> {
        compute_with(self, &*default_scheduler()?)
    }

    /// Computes this value with the given scheduler.
    ///
    /// # Errors
    /// The first task that fails or panics, named in the [`Error`].
    pub fn compute_with(&self, scheduler: &dyn Scheduler) -> Result<T, Error> {
        compute_with(self, scheduler)
    }

    /// Computes this value with the default scheduler and returns a handle to the value, held
    /// in the graph: graphs built on the new handle use the value and do not run this task or
    /// anything before it again (`x.persist()` in Dask). The held value lives until the last
    /// handle, and the last task recorded on it, drop. For several outputs at once, see
    /// [`persist`](crate::persist()).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use lazydag_core::delayed;
    /// static RUNS: AtomicUsize = AtomicUsize::new(0);
    /// fn slow(x: u64) -> u64 { RUNS.fetch_add(1, Ordering::Relaxed); x * 10 }
    /// fn inc(x: u64) -> u64 { x + 1 }
    /// let x = delayed!(slow(4)).persist().unwrap();
    /// assert_eq!(delayed!(inc(&x)).compute().unwrap(), 41);
    /// assert_eq!(delayed!(inc(&x)).compute().unwrap(), 41);
    /// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
    /// ```
    ///
    /// # Errors
    /// The first task that fails or panics, named in the [`Error`]; then nothing is held.
    pub fn persist(&self) -> Result<Delayed<T>, Error>
    where
        T: Clone,
    {
        self.persist_with(&*default_scheduler()?)
    }

    /// [`persist`](Delayed::persist) on the given scheduler.
    ///
    /// # Errors
    /// As [`persist`](Delayed::persist).
    pub fn persist_with(&self, scheduler: &dyn Scheduler) -> Result<Delayed<T>, Error>
    where
        T: Clone,
    {
        Ok(self.held(compute_with(self, scheduler)?))
    }

    /// A new handle holding `value`, this task's computed value: a literal node with no
    /// dependencies and this task's name, cloned for every consumer.
    pub(crate) fn held(&self, value: T) -> Delayed<T>
    where
        T: Clone,
    {
        let node = Node::like(&self.node, deps![], Literal::held(value));
        node.set_ops(&OpsOf::<T>::CLONE);
        // A pure task's held value keeps its content key (Dask: `x.persist().key == x.key`),
        // so pure tasks built later from it dedupe and cache as they would from `self`; a
        // gather's key is made now if no pure consumer asked for it yet.
        if let Some(key) = input_key(&self.node) {
            node.set_content_key(key);
        }
        Delayed::from_node(node)
    }

    /// Plans this value once, to compute it many times without walking the graph again:
    /// `let plan = z.plan()?;` then `plan.run()?` as often as needed (see [`Compiled`]).
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// fn inc(x: u64) -> u64 { x + 1 }
    /// let z = delayed!(inc(delayed!(inc(1))));
    /// let plan = z.plan().unwrap();
    /// assert_eq!((plan.run().unwrap(), plan.run().unwrap()), (3, 3));
    /// ```
    ///
    /// # Errors
    /// As [`compile`](crate::compile()).
    pub fn plan(&self) -> Result<Compiled<Delayed<T>>, Error>
    where
        T: Send + 'static,
    {
        compile(self.clone())
    }

    /// Computes this value on the [`Async`](crate::scheduler::Async) scheduler from async
    /// code, without blocking: see [`compute_async`](crate::compute_async()).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lazydag_core::{delayed, delayed_async};
    /// async fn fetch(id: u32) -> String {
    ///     tokio::time::sleep(Duration::from_millis(1)).await;
    ///     format!("record {id}")
    /// }
    /// fn shout(s: String) -> String { s.to_uppercase() }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let page = delayed!(shout(delayed_async!(fetch(7))));
    /// assert_eq!(page.compute_async().await.unwrap(), "RECORD 7");
    /// # });
    /// ```
    ///
    /// # Errors
    /// The first task that fails or panics, named in the [`Error`].
    pub async fn compute_async(&self) -> Result<T, Error> {
        crate::compute::compute_async(self).await
    }

    /// The graph that computes this value, in Graphviz DOT: one node per task labelled with
    /// its name, literals as boxes, functions as ellipses, edges from dependency to dependent.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// let dot = delayed!(inc(1)).to_dot();
    /// assert!(dot.starts_with("digraph lazydag {"));
    /// assert!(dot.contains("label=\"inc\""));
    /// ```
    pub fn to_dot(&self) -> String {
        crate::dot::to_dot(self)
    }

    /// The graph that computes this value after the configured optimizer has run (see
    /// [`to_dot_optimized`](crate::to_dot_optimized())): fused tasks drawn as filled 3-D boxes.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// fn inc(x: i32) -> i32 { x + 1 }
    /// let dot = delayed!(inc(delayed!(inc(1)))).to_dot_optimized().unwrap();
    /// # if std::env::var_os("LAZYDAG_OPTIMIZE").is_none() {
    /// assert!(dot.contains("inc×2"));
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid optimizer setting; [`Error::NotClone`] as in a compute.
    pub fn to_dot_optimized(&self) -> Result<String, Error> {
        crate::dot::to_dot_optimized(self, &crate::config::optimizer()?)
    }

    /// The graph that computes this value, as a petgraph DAG for inspection. Node weights
    /// describe tasks; edges point from a dependency to its dependent.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// fn add(a: i32, b: i32) -> i32 { a + b }
    /// let g = delayed!(add(1, 2)).graph();
    /// assert_eq!((g.node_count(), g.edge_count()), (3, 2));
    /// assert!(!petgraph::algo::is_cyclic_directed(&g));
    /// ```
    pub fn graph(&self) -> DiGraph<TaskInfo, ()> {
        crate::graph::graph(self)
    }
}

impl<T: Send + 'static> Delayed<Delayed<T>> {
    /// The value of the graph this task returns: "tasks from tasks" (Dask's `get_client` inside
    /// a task, Taskflow's subflows), for graphs whose shape depends on computed values.
    ///
    /// The returned task waits for this one, which records a new graph and returns its handle,
    /// then computes that graph and yields its value. On a pool the inner graph runs on the
    /// pool of the worker that runs the task, whose waiting worker helps run it (the nested
    /// compute protocol, see the [`scheduler`](crate::scheduler) docs); elsewhere (the
    /// `Sequential` scheduler, an async scheduler's blocking thread) it runs on the task's own
    /// thread. The inner compute inherits the outer compute's cancel token and what is left of
    /// its timeout, so a cancel or a deadline stops the inner graph too and the outer compute
    /// returns [`Error::Cancelled`] or [`Error::TimedOut`]. An inner failure fails this task
    /// with [`Error::Failed`], whose source is the inner error (naming the inner task). The
    /// inner compute reports to no callback of the outer one (see
    /// [`callback`](crate::callback)'s nested computes) and uses the configured optimizer.
    ///
    /// A fan-out whose width a task computes:
    ///
    /// ```
    /// use lazydag_core::{delayed, Delayed};
    /// fn square(x: u64) -> u64 { x * x }
    /// fn sum(parts: Vec<u64>) -> u64 { parts.iter().sum() }
    /// /// One task per item: how many is known only when this runs.
    /// fn fan_out(n: u64) -> Delayed<u64> {
    ///     let parts: Vec<Delayed<u64>> = (0..n).map(|i| delayed!(square(i))).collect();
    ///     delayed!(sum(parts))
    /// }
    /// let n = delayed(3_u64).map(|x: u64| x + 1); // 4, once computed
    /// let total = delayed!(fan_out(n)).flatten();
    /// assert_eq!(total.compute().unwrap(), 0 + 1 + 4 + 9);
    /// ```
    pub fn flatten(&self) -> Delayed<T> {
        self.try_map(|inner: Delayed<T>| compute_inner(&inner)).name("flatten")
    }
}

/// Computes a graph a task returned ([`Delayed::flatten`]) on the pool the task runs on, with
/// the outer compute's stop conditions.
fn compute_inner<T: Send + 'static>(inner: &Delayed<T>) -> Result<T, Error> {
    let (token, deadline) = crate::cancel::watched();
    let mut control = Control::new();
    if let Some(token) = token {
        control = control.cancel_token(token);
    }
    if let Some(at) = deadline {
        control = control.timeout(at.saturating_duration_since(std::time::Instant::now()));
    }
    crate::compute::compute_with_control(inner, &*crate::schedulers::here(), &control)
}

impl<T> Delayed<T> {
    /// Sets the task's readable name, shown in errors, DOT and traces.
    ///
    /// **Every handle sees the name.** This renames the recorded node, not this handle: every
    /// clone of the handle, and every task that already takes it as an input, sees the change
    /// (the node is shared; handles are pointers to it). Record a new task to have a different
    /// one.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// let d = delayed(1).name("load-csv");
    /// assert_eq!(d.key().name(), "load-csv");
    /// ```
    #[must_use]
    pub fn name(self, name: impl AsRef<str>) -> Self {
        self.node.set_name(Name::Owned(name.as_ref().into()));
        self
    }

    /// Declares that this value may feed several tasks: it is cloned for every consumer but the
    /// last. [`delayed!`](crate::delayed!) does this on its own for arguments and results of
    /// `Clone` types; call it for a [`map`](Delayed::map) result used by several `map`s.
    ///
    /// **Every handle sees it.** This marks the recorded node, not this handle: every clone
    /// of the handle, and every task that already takes it as an input, sees the change (the
    /// node is shared; handles are pointers to it). Record a new task to have a different one.
    ///
    /// ```
    /// use lazydag_core::{compute, delayed};
    /// let y = delayed(3).map(|x: i32| x * 2).shared();
    /// let (a, b) = compute((y.map(|v: i32| v + 1), y.map(|v: i32| v - 1))).unwrap();
    /// assert_eq!((a, b), (7, 5));
    /// ```
    #[must_use]
    pub fn shared(self) -> Self
    where
        T: Clone + Send + 'static,
    {
        self.known_clone();
        self
    }

    /// What [`shared`](Delayed::shared) does, on a borrowed handle.
    pub(crate) fn known_clone(&self)
    where
        T: Clone + Send + 'static,
    {
        self.node.set_ops(&OpsOf::<T>::CLONE);
    }

    /// Marks the task cheap, like a function in Dask's `inline_functions(fast_functions=...)`:
    /// the optimizer may evaluate it inside each consumer instead of scheduling it and storing
    /// its value. With `k` consumers it then runs `k` times, so mark only cheap, pure tasks
    /// (an index lookup, a field access). It stays a task of its own when it is a requested
    /// output, when optimization is off, or when an input it would evaluate again is not
    /// `Clone`.
    ///
    /// **Every handle sees it.** This marks the recorded node, not this handle: every clone
    /// of the handle, and every task that already takes it as an input, sees the change (the
    /// node is shared; handles are pointers to it). Record a new task to have a different one.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use lazydag_core::{compute, delayed, Plan};
    /// use lazydag_optimize::Optimizer;
    /// let runs = Arc::new(AtomicUsize::new(0));
    /// let counter = Arc::clone(&runs);
    /// let table = delayed(vec![10, 20, 30]);
    /// let first = table.map(move |t: Vec<i32>| { counter.fetch_add(1, Ordering::Relaxed); t[0] })
    ///     .shared()
    ///     .inline();
    /// let (a, b) = compute((first.map(|x: i32| x + 1), first.map(|x: i32| x * 2))).unwrap();
    /// assert_eq!((a, b), (11, 20));
    /// assert_eq!(runs.load(Ordering::Relaxed), 2); // once inside each consumer
    /// ```
    #[must_use]
    pub fn inline(self) -> Self {
        self.node.mark_inline();
        self
    }

    /// The task's key: its name and process-unique id.
    pub fn key(&self) -> TaskKey {
        self.node.key()
    }

    /// Makes the task **pure**: gives it a [`ContentKey`] computed from its function and its
    /// inputs, like `dask.delayed(f, pure=True)`. Two pure tasks recorded apart with the same
    /// function and inputs are then one task in a compute (it runs once), and the key is the
    /// same in every run of the same binary, so a [`cache`](Delayed::cache) can find it again.
    /// Same as [`pure_v(0)`](Delayed::pure_v).
    ///
    /// The key covers the function's path, its crate's build identity (name, version, Cargo
    /// metadata, toolchain: see `docs/identity.md`), the version, and each input's key: a pure
    /// task's, or a literal's (its type and value, hashed with [`Tokenize`](crate::Tokenize)).
    /// An edit of the function's code does not change the key: bump the version with
    /// [`pure_v`](Delayed::pure_v) when the function computes something new.
    ///
    /// The task stays impure (no key, [`content_key`](Delayed::content_key) is `None`) when it
    /// cannot be keyed soundly: its function is a closure, a function pointer or a trait
    /// object, or an input is an impure task or a literal whose type is not `Tokenize`. A key
    /// is set once: calling this again (or with another version) keeps the first key.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use lazydag_core::{compute, delayed};
    /// static RUNS: AtomicUsize = AtomicUsize::new(0);
    /// fn load(n: u64) -> u64 { RUNS.fetch_add(1, Ordering::Relaxed); n * 10 }
    /// let a = delayed!(load(4)).pure();
    /// let b = delayed!(load(4)).pure();          // recorded apart, same identity
    /// assert_eq!(compute((a, b)).unwrap(), (40, 40));
    /// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
    /// assert!(delayed!((|n: u64| n)(4)).pure().content_key().is_none()); // a closure
    /// ```
    #[must_use]
    pub fn pure(self) -> Self {
        self.pure_v(0)
    }

    /// [`pure`](Delayed::pure) at a version of your choosing: bump it when the function's code
    /// changes what it computes, so that cached values of the old code are not used.
    ///
    /// ```
    /// use lazydag_core::delayed;
    /// fn step(x: i32) -> i32 { x + 1 }
    /// let v1 = delayed!(step(1)).pure_v(1).content_key();
    /// let v2 = delayed!(step(1)).pure_v(2).content_key();
    /// assert!(v1.is_some() && v1 != v2);
    /// ```
    #[must_use]
    pub fn pure_v(self, version: u32) -> Self {
        if self.node.content_key().is_none()
            && !self.node.kind.literal
            && let Some(key) = task_key(&self.node, version)
        {
            self.node.set_content_key(key);
        }
        self
    }

    /// The task's identity by content, if it is pure (see [`pure`](Delayed::pure)); `None`
    /// for an impure task. A literal gets its key when a pure task first uses it.
    pub fn content_key(&self) -> Option<ContentKey> {
        self.node.content_key()
    }

    /// A reference to the recorded task, for inspection.
    pub fn task(&self) -> TaskRef<'_> {
        TaskRef::new(&self.node)
    }
}

impl<T> Delayed<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + 'static,
{
    /// A handle to this task's value that is kept in `store` under the task's
    /// [`ContentKey`]: the graph-aware cache.
    ///
    /// When a compute is planned, the key is looked up in the store. On a hit the stored value
    /// is decoded and used, and **the tasks upstream of this one are not planned at all**, so
    /// they do not run. On a miss the task runs and its `Ok` value is stored on the way through
    /// (a failure is never stored). Changing a literal input or a function's
    /// [version](Delayed::pure_v) changes the key, so exactly the entries that depend on it
    /// miss. Values are encoded with bincode (lossless: it tags `Option`s, which MessagePack
    /// did not); an entry that does not decode is
    /// a miss (and a `tracing` warning), never a wrong value. A value once loaded is kept by
    /// the returned handle's node for later computes.
    ///
    /// The task must be pure: call [`pure`](Delayed::pure) first. Caching an impure task fails
    /// the compute with [`Error::NotPure`] naming it. The returned handle has the same content
    /// key, so pure tasks built on it key the same with or without the cache.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::{Arc, Mutex};
    /// use lazydag_core::{delayed, ContentKey, TaskStore};
    ///
    /// #[derive(Clone, Default)]
    /// struct InMemory(Arc<Mutex<HashMap<ContentKey, Vec<u8>>>>);
    /// impl TaskStore for InMemory {
    ///     fn load(&self, key: &ContentKey, _: &str) -> Option<Vec<u8>> {
    ///         self.0.lock().unwrap().get(key).cloned()
    ///     }
    ///     fn store(&self, key: &ContentKey, _: &str, bytes: &[u8]) -> Result<(), String> {
    ///         self.0.lock().unwrap().insert(*key, bytes.to_vec());
    ///         Ok(())
    ///     }
    /// }
    ///
    /// static RUNS: AtomicUsize = AtomicUsize::new(0);
    /// fn slow_square(x: u64) -> u64 { RUNS.fetch_add(1, Ordering::Relaxed); x * x }
    /// let store = InMemory::default();
    /// let first = delayed!(slow_square(12)).pure().cache(&store);
    /// assert_eq!(first.compute().unwrap(), 144);
    /// let again = delayed!(slow_square(12)).pure().cache(&store); // a new graph
    /// assert_eq!(again.compute().unwrap(), 144);
    /// assert_eq!(RUNS.load(Ordering::Relaxed), 1);                 // loaded, not run
    /// ```
    pub fn cache<S: TaskStore + Clone>(&self, store: &S) -> Delayed<T> {
        let store: Arc<dyn TaskStore> = Arc::new(store.clone());
        let node = Node::like(&self.node, deps![self.node.clone()], Cached::<T>::new(store));
        node.set_ops(&OpsOf::<T>::CLONE);
        if let Some(key) = input_key(&self.node) {
            node.set_content_key(key);
        }
        Delayed::from_node(node)
    }
}

/// Gathers many handles into one handle of a `Vec`, in order: one task whose inputs are all
/// of them, like passing a list of delayed values to a `dask.delayed` function.
///
/// ```
/// use lazydag_core::{delayed, Delayed};
/// fn square(x: u64) -> u64 { x * x }
/// let parts: Delayed<Vec<u64>> = (1..=3).map(|i| delayed!(square(i))).collect();
/// let total = parts.map(|v: Vec<u64>| v.iter().sum::<u64>());
/// assert_eq!(total.compute().unwrap(), 14);
/// ```
impl<T: Send + 'static> FromIterator<Delayed<T>> for Delayed<Vec<T>> {
    fn from_iter<I: IntoIterator<Item = Delayed<T>>>(items: I) -> Self {
        let deps = items.into_iter().map(|d| d.node).collect();
        Delayed::from_node(Node::new(&"gather", deps, Gather::<T>::new()))
    }
}

impl<'a, T: Send + 'static> FromIterator<&'a Delayed<T>> for Delayed<Vec<T>> {
    fn from_iter<I: IntoIterator<Item = &'a Delayed<T>>>(items: I) -> Self {
        items.into_iter().cloned().collect()
    }
}

impl<T> Clone for Delayed<T> {
    fn clone(&self) -> Self {
        Delayed { node: self.node.clone(), _type: PhantomData }
    }
}

impl<T> fmt::Debug for Delayed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Delayed").field(&self.key().to_string()).finish()
    }
}

impl<T: Send + 'static> Outputs for Delayed<T> {
    type Values = T;

    fn roots<'a>(&'a self, roots: &mut Vec<TaskRef<'a>>) {
        roots.push(self.task());
    }

    fn unpack(&self, values: &mut std::vec::IntoIter<Value>) -> Result<T, Error> {
        let contract = |message: String| Error::Scheduler { scheduler: "?".into(), message };
        let value = values.next().ok_or_else(|| contract("too few output values".into()))?;
        value.downcast::<T>().map_err(|_| {
            contract(format!("output `{}` is not a `{}`", self.key(), std::any::type_name::<T>()))
        })
    }
}

/// Computes same-typed outputs in keep-going mode: a failing task does not stop independent
/// branches, and each output gets its own result (dask/dask#799). Cancellation and timeouts
/// still stop the whole compute, and then every output reports that.
///
/// ```
/// use lazydag_core::{compute_settled, try_delayed, Control, scheduler::Sequential};
/// fn parse(s: &'static str) -> Result<i32, std::num::ParseIntError> { s.parse() }
/// let outs = vec![try_delayed!(parse("1")), try_delayed!(parse("x")), try_delayed!(parse("3"))];
/// let results = compute_settled(&outs, &Sequential, &Control::new());
/// assert_eq!(results[0].as_ref().ok(), Some(&1));
/// assert!(results[1].is_err());
/// assert_eq!(results[2].as_ref().ok(), Some(&3));
/// ```
pub fn compute_settled<T: Send + 'static>(
    outputs: &[Delayed<T>],
    scheduler: &dyn Scheduler,
    control: &Control,
) -> Vec<Result<T, Error>> {
    let roots: Vec<_> = outputs.iter().map(Delayed::task).collect();
    let control = control.clone().keep_going(true);
    match execute(&roots, scheduler, &control) {
        Err(err) => outputs.iter().map(|_| Err(err.clone())).collect(),
        Ok(values) => values
            .into_iter()
            .zip(outputs)
            .map(|(value, output)| {
                let value = PlanView::settled(value)?;
                output.unpack(&mut vec![value].into_iter()).map_err(|err| blame(err, scheduler))
            })
            .collect(),
    }
}

/// Computes a collection of same-typed outputs, returning their values in order, like
/// `dask.compute(*values)`.
///
/// ```
/// use lazydag_core::{compute_all, delayed};
/// fn inc(x: u32) -> u32 { x + 1 }
/// let tasks: Vec<_> = (0..4).map(|i| delayed!(inc(i))).collect();
/// assert_eq!(compute_all(&tasks).unwrap(), vec![1, 2, 3, 4]);
/// ```
///
/// # Errors
/// The first task that fails or panics, named in the [`Error`].
pub fn compute_all<T, I>(outputs: I) -> Result<Vec<T>, Error>
where
    T: Send + 'static,
    I: IntoIterator,
    I::Item: Borrow<Delayed<T>>,
{
    let outputs: Vec<Delayed<T>> = outputs.into_iter().map(|d| d.borrow().clone()).collect();
    compute(outputs)
}
