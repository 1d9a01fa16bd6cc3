//! Recorded tasks: immutable nodes linked to their dependencies.
//!
//! Invariants:
//! - A node is created after all of its dependencies and never changes its dependencies, so the
//!   recorded graph is acyclic by construction and recording is O(1): it allocates one node and
//!   touches nothing else.
//! - Ids come from one process-wide counter, so a node's id is larger than its dependencies'.
//! - Dropping a node never recurses over graph depth: [`Drop`] unlinks uniquely owned
//!   dependencies onto an explicit stack, so a 1,000,000-long chain drops in constant stack.
//!
//! # Cost
//!
//! Recording writes a node's header (104 bytes on 64-bit targets) and its op in one
//! allocation, and takes no lock: the value type's [`ValueOps`] (cloner and tokenizer, which
//! the macros record on every argument and result) is one pointer in an `AtomicCell`, read
//! with a load and replaced with a compare-exchange only when it is new to the node. What few
//! nodes have (a name set with `.name()`, a pure task's content key) is out of line in
//! [`Extra`], allocated when first set, so a task node of a fn item stays at 120 bytes with
//! the `Arc`'s counts: copied into place without a `memcpy` call, and a fast-bin chunk for
//! glibc's allocator (about 120 instructions to free instead of 180). Dropping takes no lock
//! either; a dependency that is shared, or has no dependencies of its own, drops in place,
//! and a chain is unlinked with the next link in hand.
//! `docs/architecture.md` ("Recording") has the layout and the figures.

use std::any::{Any, TypeId, type_name};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crossbeam_utils::atomic::AtomicCell;

use crate::identity::{ContentKey, Tokenizer};
use crate::key::{Name, TaskKey};
use crate::sync::lock_std;
use crate::value::{Cloner, Value};

mod deps;

pub(crate) use deps::{Deps, deps};

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
    /// The compute was cancelled or timed out between two steps of a fused task.
    Stopped,
}

/// What a node does when it runs: the one type-erased operation per node.
pub(crate) trait Op: Send + Sync + 'static {
    /// Whether this node is a literal (a value held by the graph) rather than a function.
    fn is_literal(&self) -> bool;

    /// Runs the operation. `inputs[from..]` holds one value per dependency, in order, and is
    /// drained (values before `from` are left alone: a fused program keeps its stack there).
    /// A literal ignores `inputs` and produces its value, cloning it with `cloner` when it can.
    fn call(
        &self,
        inputs: &mut Vec<Value>,
        from: usize,
        cloner: Option<Cloner>,
    ) -> Result<Value, Failure>;

    /// Whether the op is a one-input function that can run on a [`Carrier`]: fused chains of
    /// such ops hand values from one to the next without boxing each one.
    fn carries(&self) -> bool {
        false
    }

    /// Wraps this op's input for a carried run (only called when [`carries`](Op::carries)).
    fn carry_in(&self, _input: Value) -> Carrier {
        unreachable!("carry_in on an op that does not carry")
    }

    /// Runs on the carried input and leaves the output in `carry`, reusing its allocation when
    /// the input and output types are the same (only called when [`carries`](Op::carries)).
    fn call_carried(&self, _carry: &mut Carrier) -> Result<(), Failure> {
        unreachable!("call_carried on an op that does not carry")
    }

    /// Unwraps this op's carried output (only called when [`carries`](Op::carries)).
    fn carry_out(&self, _carry: Carrier) -> Value {
        unreachable!("carry_out on an op that does not carry")
    }

    /// The Rust type of the value this node produces.
    fn output_type(&self) -> &'static str;

    /// A short `Debug` rendering of a literal's value, when its type is `Debug`.
    fn describe(&self) -> Option<String> {
        None
    }

    /// Whether the op is a cached task (`Delayed::cache`): planning asks it to
    /// [`probe`](Op::probe) its store.
    fn is_cached(&self) -> bool {
        false
    }

    /// For a cached task, which store it caches into ([`StoreId`]), so that two caches of
    /// one task into two stores are not planned as one; [`StoreId::None`] for other ops.
    fn store_id(&self) -> StoreId {
        StoreId::None
    }

    /// Whether the task is async: [`start`](Op::start) returns its future.
    fn is_async(&self) -> bool {
        false
    }

    /// Starts an async task on `inputs[from..]` (drained); `None` for other ops.
    fn start(&self, _inputs: &mut Vec<Value>, _from: usize) -> Option<TaskFuture> {
        None
    }

    /// The path of the function a (non-async) function task calls, `type_name` of its
    /// function: `my_app::tasks::stats` for a fn item, `…::{{closure}}` for a closure. A
    /// distributed scheduler looks tasks up by it; `None` for literals and other ops.
    fn function_path(&self) -> Option<&'static str> {
        None
    }

    /// Whether this node is a held (persisted) value: a literal that stands for a computed
    /// task (see `persist`).
    fn is_held(&self) -> bool {
        false
    }

    /// What a content key says about the op's function: its `type_name`, its `TypeId` (which
    /// fingerprints the build of the function's crate) and how it settles; `None` for a
    /// literal. See `content`.
    fn identity(&self) -> Option<Identity> {
        None
    }

    /// A literal's content key, from its value and `tokenizer`; `None` for other ops, or when
    /// the value was moved out (a spent non-`Clone` literal).
    fn literal_key(&self, _tokenizer: Tokenizer) -> Option<ContentKey> {
        None
    }

    /// A literal's value as plain bits ([`Value::to_bits`]) when it is held inline (a small
    /// `Copy` type): what a compiled plan keeps so that a run reads it without the literal's
    /// lock or a clone. `None` for other ops and boxed values.
    fn literal_bits(&self) -> Option<(u8, [u64; 2])> {
        None
    }

    /// For a cached task (`Delayed::cache`), looks its key up in its store while planning;
    /// `None` for other ops.
    fn probe(&self, _deps: &[Arc<Node>]) -> Option<Probe> {
        None
    }
}

/// Which store a cached task caches into (see [`Op::store_id`]): the store's own
/// [`TaskStore::identity`](crate::TaskStore::identity) when it gives one, else the `.cache()`
/// call's own store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum StoreId {
    /// Not a cached task.
    None,
    /// A store with no identity: this address of the cache's own handle on it.
    Own(usize),
    /// A store's identity.
    Named(Arc<str>),
}

/// A function's identity, as a content key sees it (see [`Op::identity`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Identity {
    /// `type_name` of the function: its path for a fn item.
    pub(crate) path: &'static str,
    /// `TypeId` of the function: also covers the build of the function's crate.
    pub(crate) type_id: TypeId,
    /// How the task settles and runs (plain, fallible, async, gather), so that the same
    /// function recorded two ways keeps two identities.
    pub(crate) mode: &'static str,
}

/// What planning found for a cached task (see [`Op::probe`]).
#[derive(Debug)]
pub(crate) enum Probe {
    /// The store held a value that decoded: plan the task as a literal, and nothing above it.
    Hit,
    /// Not stored (or unreadable): run the task and its inputs, then store the result.
    Miss,
    /// The task has no content key (it is not pure): the compute fails, naming it.
    NoKey,
}

/// A value on its way through a fused chain: a box holding `Option<T>`, so that the next op
/// can take the `T` out and put its own output back in the same allocation.
pub(crate) type Carrier = Box<dyn Any + Send>;

/// The future of a running async task.
pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send>>;

/// One recorded task. `op` comes last so `Arc<Node<ConcreteOp>>` coerces to `Arc<Node>`.
///
/// Laid out in declaration order (`repr(C)`) so that what the collect walk and a fused chain
/// read on every node (its kind, the inline mark, the dependencies) sits right after the
/// `Arc`'s counts, in the allocation's first 64 bytes: one cache line per node where the
/// compiler's order spread them over three.
///
/// Recording writes only what every node needs (see the module docs, "Cost"): the rare
/// parts (a name set with `.name()`, a content key) live out of line in [`Extra`], allocated
/// when first set, so that a task node of a fn item is 96 bytes plus the `Arc`'s counts and is
/// copied into its allocation inline rather than by a `memcpy` call.
#[repr(C)]
pub(crate) struct Node<O: ?Sized = dyn Op> {
    /// What `op` is, read without a virtual call (fixed when the node is recorded).
    pub(crate) kind: OpKind,
    /// Marked cheap with `.inline()`: the optimizer may evaluate it inside each consumer.
    inline: AtomicBool,
    /// Dropped by [`Node`]'s `Drop` (taken out, then freed out of line when not empty), so
    /// that the drop glue has no call for it.
    pub(crate) deps: ManuallyDrop<Deps>,
    pub(crate) id: u64,
    /// Scratch for the collector that holds the visit lock: see `plan::Visits`.
    pub(crate) visit: Visit,
    /// How to clone and hash the node's value, once known: one pointer to a static pair,
    /// read and replaced without a lock (the macros record it right after creating the node,
    /// and again on every use of a handle as an argument).
    ops: AtomicCell<Option<OpsRef>>,
    /// The name recorded with the node (`stringify!` of the function, or a fixed default),
    /// unless [`Extra::name`] holds one set later. A reference to a static `&str`, so one
    /// pointer rather than two.
    recorded: &'static &'static str,
    /// What few nodes have, allocated the first time one of its parts is set: see [`Extra`].
    /// Dropped by [`Node`]'s `Drop` when set, like `deps`.
    extra: ManuallyDrop<OnceLock<Box<Extra>>>,
    pub(crate) op: O,
}

/// The parts of a node that most nodes never set, out of line.
#[derive(Debug, Default)]
struct Extra {
    /// A name set with `Delayed::name` (or kept by a held value): replaces the recorded one.
    name: Mutex<Option<Name>>,
    /// The node's content key, set at most once (by `Delayed::pure`, or when a pure task first
    /// needs a literal input's key); empty for impure tasks. See `content`.
    content: OnceLock<ContentKey>,
}

/// A reference to a static [`ValueOps`], compared by address: each type has one static per
/// kind, so two references to the same pair are one address.
#[derive(Clone, Copy, Debug)]
struct OpsRef(&'static ValueOps);

impl PartialEq for OpsRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for OpsRef {}

/// What a node knows about its value's type: how to clone it and how to hash it.
#[derive(Debug)]
pub(crate) struct ValueOps {
    pub(crate) cloner: Option<Cloner>,
    pub(crate) tokenizer: Option<Tokenizer>,
}

impl ValueOps {
    fn known(&self) -> usize {
        usize::from(self.cloner.is_some()) + usize::from(self.tokenizer.is_some())
    }
}

/// The static [`ValueOps`] of each type.
pub(crate) struct OpsOf<T>(PhantomData<fn() -> T>);

impl<T: Clone + Send + 'static> OpsOf<T> {
    /// A `Clone` type.
    pub(crate) const CLONE: ValueOps =
        ValueOps { cloner: Some(crate::value::clone_value::<T>), tokenizer: None };
}

impl<T: Clone + crate::identity::Tokenize + Send + 'static> OpsOf<T> {
    /// A `Clone` and `Tokenize` type.
    pub(crate) const BOTH: ValueOps = ValueOps {
        cloner: Some(crate::value::clone_value::<T>),
        tokenizer: Some(crate::identity::tokenize_value::<T>),
    };
}

impl<T: crate::identity::Tokenize + Send + 'static> OpsOf<T> {
    /// A `Tokenize` type that is not known to be `Clone`.
    pub(crate) const TOKEN: ValueOps =
        ValueOps { cloner: None, tokenizer: Some(crate::identity::tokenize_value::<T>) };
}

/// The facts about a node's op that planning and fusion read on every task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpKind {
    /// A literal value held by the graph.
    pub(crate) literal: bool,
    /// An async task.
    pub(crate) is_async: bool,
    /// A one-input function that can run carried (see [`Op::carries`]).
    pub(crate) carries: bool,
    /// A cached task, looked up in its store while planning (see [`Op::probe`]).
    pub(crate) cached: bool,
}

/// A node's visit mark: the epoch of the last collect that saw it, and its number there.
#[derive(Debug, Default)]
pub(crate) struct Visit {
    pub(crate) epoch: AtomicU64,
    pub(crate) found: AtomicU32,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl<O: Op> Node<O> {
    /// Allocates a node named `recorded` (`&stringify!(f)`, or a fixed default such as
    /// `&"literal"`); the only work recording a task does.
    #[inline]
    pub(crate) fn new(recorded: &'static &'static str, deps: Deps, op: O) -> Arc<Node> {
        Self::with_extra(recorded, OnceLock::new(), deps, op)
    }

    /// Allocates a node with the name of `source` (a held value or a cache of `source`).
    pub(crate) fn like(source: &Node, deps: Deps, op: O) -> Arc<Node> {
        let extra = match source.extra.get().and_then(|extra| lock_std(&extra.name).clone()) {
            Some(name) => OnceLock::from(Box::new(Extra::named(name))),
            None => OnceLock::new(),
        };
        Self::with_extra(source.recorded, extra, deps, op)
    }

    #[inline]
    fn with_extra(
        recorded: &'static &'static str,
        extra: OnceLock<Box<Extra>>,
        deps: Deps,
        op: O,
    ) -> Arc<Node> {
        // Relaxed: ids need only be unique and increase along each thread's program order,
        // which a single atomic counter gives under any ordering.
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let kind = OpKind {
            literal: op.is_literal(),
            is_async: op.is_async(),
            carries: op.carries(),
            cached: op.is_cached(),
        };
        Arc::new(Node {
            kind,
            inline: AtomicBool::new(false),
            deps: ManuallyDrop::new(deps),
            id,
            visit: Visit::default(),
            ops: AtomicCell::new(None),
            recorded,
            extra: ManuallyDrop::new(extra),
            op,
        })
    }
}

impl Extra {
    fn named(name: Name) -> Self {
        Extra { name: Mutex::new(Some(name)), content: OnceLock::new() }
    }
}

impl Node {
    /// The node's readable name.
    pub(crate) fn name(&self) -> Name {
        match self.extra.get() {
            Some(extra) => lock_std(&extra.name).clone().unwrap_or(Name::Static(self.recorded)),
            None => Name::Static(self.recorded),
        }
    }

    pub(crate) fn set_name(&self, name: Name) {
        *lock_std(&self.extra().name) = Some(name);
    }

    /// The node's [`Extra`], allocated now if it has none.
    fn extra(&self) -> &Extra {
        self.extra.get_or_init(Box::default)
    }

    pub(crate) fn key(&self) -> TaskKey {
        TaskKey::from_name(self.name(), self.id)
    }

    /// How to clone the node's value, if its type is known to be `Clone`.
    #[inline]
    pub(crate) fn cloner(&self) -> Option<Cloner> {
        self.ops.load().and_then(|ops| ops.0.cloner)
    }

    /// Records what is known about the node's value type (see [`ValueOps`]): a pair that knows
    /// more replaces one that knows less; otherwise the first stays. Lock-free: a load, and a
    /// compare-exchange only when the pair is new to the node.
    #[inline]
    pub(crate) fn set_ops(&self, ops: &'static ValueOps) {
        let new = OpsRef(ops);
        let mut current = self.ops.load();
        while current.is_none_or(|old| old != new && old.0.known() < ops.known()) {
            match self.ops.compare_exchange(current, Some(new)) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// The tokenizer recorded by `delayed!`, if the value's type is `Tokenize`.
    pub(crate) fn tokenizer(&self) -> Option<Tokenizer> {
        self.ops.load().and_then(|ops| ops.0.tokenizer)
    }

    /// The node's content key, if it has one (it is pure, or a hashed literal).
    #[inline]
    pub(crate) fn content_key(&self) -> Option<ContentKey> {
        self.extra.get()?.content.get().copied()
    }

    /// Sets the node's content key unless it has one, and returns the one it has.
    pub(crate) fn set_content_key(&self, key: ContentKey) -> ContentKey {
        *self.extra().content.get_or_init(|| key)
    }

    /// Marks the node cheap: the optimizer may evaluate it inside each consumer.
    pub(crate) fn mark_inline(&self) {
        // Relaxed: a lone flag that publishes nothing else; a compute started after the
        // marking thread synchronized with it (e.g. by handing over the handle) sees it.
        self.inline.store(true, Ordering::Relaxed);
    }

    /// Whether the node is marked cheap (see [`mark_inline`](Node::mark_inline)).
    #[inline]
    pub(crate) fn is_inline(&self) -> bool {
        self.inline.load(Ordering::Relaxed)
    }

    /// The node's address, its identity within one process.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        (self as *const Node).cast::<()>() as usize
    }
}

impl<O: ?Sized> Drop for Node<O> {
    /// Drops the dependencies without recursing over the graph's depth and without a lock
    /// (see [`deps::release`]): a node without dependencies (a leaf, or one that an
    /// unlinking loop emptied) only checks, inline.
    #[inline]
    fn drop(&mut self) {
        if !self.deps.is_empty() {
            deps::release(std::mem::take(&mut *self.deps));
        }
        if self.extra.get().is_some() {
            drop(self.extra.take());
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
    /// The value's bits when it is held inline (a small `Copy` type, [`Value::to_bits`]):
    /// a use that may clone it copies these instead, with no lock (the value never changes;
    /// only a use that moves it out, without a cloner, takes the lock).
    bits: Option<(u8, [u64; 2])>,
    describe: Option<fn(&T) -> String>,
    /// A persisted task's value rather than a value the program gave.
    held: bool,
}

impl<T: Send + 'static> Literal<T> {
    pub(crate) fn new(value: T, describe: Option<fn(&T) -> String>) -> Self {
        let value = Value::new(value);
        Literal { bits: value.to_bits(), value: Mutex::new(Some(value)), describe, held: false }
    }

    /// A computed value held for later graphs (`persist`).
    pub(crate) fn held(value: T) -> Self {
        Literal { held: true, ..Literal::new(value, None) }
    }
}

impl<T: Send + 'static> Op for Literal<T> {
    fn is_literal(&self) -> bool {
        true
    }

    fn call(&self, _: &mut Vec<Value>, _: usize, cloner: Option<Cloner>) -> Result<Value, Failure> {
        if let (Some(_), Some((kind, bits))) = (cloner, self.bits)
            && let Some(copy) = Value::from_bits(kind, bits)
        {
            return Ok(copy); // a small `Copy` value: its copy is its clone
        }
        let mut slot = lock_std(&self.value);
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
        let slot = lock_std(&self.value);
        slot.as_ref().and_then(Value::downcast_ref::<T>).map(render)
    }

    fn is_held(&self) -> bool {
        self.held
    }

    fn literal_key(&self, tokenizer: Tokenizer) -> Option<ContentKey> {
        lock_std(&self.value).as_ref().and_then(tokenizer)
    }

    fn literal_bits(&self) -> Option<(u8, [u64; 2])> {
        self.bits
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

    fn call(
        &self,
        inputs: &mut Vec<Value>,
        from: usize,
        _: Option<Cloner>,
    ) -> Result<Value, Failure> {
        Ok(Value::new(inputs.drain(from..).map(Value::take::<T>).collect::<Vec<T>>()))
    }

    fn output_type(&self) -> &'static str {
        type_name::<Vec<T>>()
    }

    fn identity(&self) -> Option<Identity> {
        Some(Identity { path: "lazydag::gather", type_id: TypeId::of::<T>(), mode: "gather" })
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
    /// The mode's name in a content key (`plain`, `fallible`).
    const MODE: &'static str;
    /// The mode's name in the content key of an async task.
    const ASYNC_MODE: &'static str;
    /// The task's result.
    fn settle(returned: R) -> Result<Value, Failure>;
    /// The Rust type of the task's value.
    fn output_type() -> &'static str;
    /// Puts the task's result back into `slot`, the carrier's emptied input, when its type is
    /// the same (`Ok(None)`); otherwise returns a new carrier holding it.
    fn settle_carried<A: Send + 'static>(
        returned: R,
        slot: &mut Option<A>,
    ) -> Result<Option<Carrier>, Failure>;
    /// Takes the result back out of a carrier filled by [`settle_carried`](Settle::settle_carried).
    fn carry_out(carry: Carrier) -> Value;
}

/// Puts `value` into `slot` when `A` is `T` (a check the compiler folds away), or boxes it.
fn put_carried<A: Send + 'static, T: Send + 'static>(
    value: T,
    slot: &mut Option<A>,
) -> Option<Carrier> {
    match (slot as &mut dyn Any).downcast_mut::<Option<T>>() {
        Some(same) => {
            *same = Some(value);
            None
        }
        None => Some(Box::new(Some(value))),
    }
}

/// The `Option<T>` inside a carrier.
///
/// # Panics
/// If the carrier holds another type: a fused chain was wired wrongly (caught at the task
/// boundary and reported, like any task panic).
fn carried_slot<T: Send + 'static>(carry: &mut Carrier) -> &mut Option<T> {
    match carry.downcast_mut::<Option<T>>() {
        Some(slot) => slot,
        None => {
            panic!("fused task input is not a `{}`: a fused chain is miswired", type_name::<T>())
        }
    }
}

/// Takes the `T` out of a carrier.
fn take_carried<T: Send + 'static>(carry: &mut Carrier) -> T {
    carried_slot::<T>(carry).take().expect("a carried value is present")
}

impl<R: Send + 'static> Settle<R> for Plain {
    const MODE: &'static str = "plain";
    const ASYNC_MODE: &'static str = "async";

    fn settle(returned: R) -> Result<Value, Failure> {
        Ok(Value::new(returned))
    }

    fn output_type() -> &'static str {
        type_name::<R>()
    }

    fn settle_carried<A: Send + 'static>(
        returned: R,
        slot: &mut Option<A>,
    ) -> Result<Option<Carrier>, Failure> {
        Ok(put_carried(returned, slot))
    }

    fn carry_out(mut carry: Carrier) -> Value {
        Value::new(take_carried::<R>(&mut carry))
    }
}

impl<T, E> Settle<Result<T, E>> for Fallible
where
    T: Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    const MODE: &'static str = "fallible";
    const ASYNC_MODE: &'static str = "fallible-async";

    fn settle(returned: Result<T, E>) -> Result<Value, Failure> {
        returned.map(Value::new).map_err(|err| Failure::Err(Box::new(err)))
    }

    fn output_type() -> &'static str {
        type_name::<T>()
    }

    fn settle_carried<A: Send + 'static>(
        returned: Result<T, E>,
        slot: &mut Option<A>,
    ) -> Result<Option<Carrier>, Failure> {
        match returned {
            Ok(value) => Ok(put_carried(value, slot)),
            Err(err) => Err(Failure::Err(Box::new(err))),
        }
    }

    fn carry_out(mut carry: Carrier) -> Value {
        Value::new(take_carried::<T>(&mut carry))
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

/// Takes one input of each argument type, in order, from a task's inputs: the last values of
/// the vector (`inputs[from..]` holds exactly one per argument), popped from the back, last
/// argument first. Popping costs a length check per value; a `Vec::drain` was ~25
/// instructions per task (its drop moves the tail and re-checks the range).
macro_rules! take_inputs {
    ($inputs:expr, $from:expr, $($arg:ident),*) => {
        #[allow(unused_variables)]
        let inputs: &mut Vec<Value> = $inputs;
        debug_assert_eq!(inputs.len() - $from, <[&str]>::len(&[$(stringify!($arg)),*]));
        take_inputs!(@rev inputs, [$($arg)*] []);
    };
    (@rev $inputs:ident, [] [$($rev:ident)*]) => {
        $(let $rev = $inputs.pop().expect("one input per dependency").take::<$rev>();)*
    };
    (@rev $inputs:ident, [$first:ident $($rest:ident)*] [$($rev:ident)*]) => {
        take_inputs!(@rev $inputs, [$($rest)*] [$first $($rev)*]);
    };
}

macro_rules! task_arity {
    ($($arg:ident),*) => {
        task_arity!(@ops [$($arg),*] {});
    };
    (@carry $arg:ident) => {
        task_arity!(@ops [$arg] {
            fn carries(&self) -> bool {
                true
            }

            fn carry_in(&self, input: Value) -> Carrier {
                Box::new(Some(input.take::<$arg>()))
            }

            fn call_carried(&self, carry: &mut Carrier) -> Result<(), Failure> {
                let slot = carried_slot::<$arg>(carry);
                let input = slot.take().expect("a carried value is present");
                if let Some(boxed) = Mode::settle_carried((self.f)(input), slot)? {
                    *carry = boxed;
                }
                Ok(())
            }

            fn carry_out(&self, carry: Carrier) -> Value {
                Mode::carry_out(carry)
            }
        });
    };
    (@ops [$($arg:ident),*] { $($carry:tt)* }) => {
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
            fn call(
                &self,
                inputs: &mut Vec<Value>,
                from: usize,
                _: Option<Cloner>,
            ) -> Result<Value, Failure> {
                take_inputs!(inputs, from, $($arg),*);
                Mode::settle((self.f)($($arg),*))
            }

            fn output_type(&self) -> &'static str {
                Mode::output_type()
            }

            fn function_path(&self) -> Option<&'static str> {
                Some(type_name::<Fun>())
            }

            fn identity(&self) -> Option<Identity> {
                Some(Identity { path: type_name::<Fun>(), type_id: TypeId::of::<Fun>(), mode: Mode::MODE })
            }

            $($carry)*
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

            fn call(
                &self,
                inputs: &mut Vec<Value>,
                from: usize,
                _: Option<Cloner>,
            ) -> Result<Value, Failure> {
                let future = self.start(inputs, from).expect("an async op starts a future");
                crate::runtime::block_on(future)
            }

            #[allow(non_snake_case)]
            fn start(&self, inputs: &mut Vec<Value>, from: usize) -> Option<TaskFuture> {
                take_inputs!(inputs, from, $($arg),*);
                let future = (self.f)($($arg),*);
                Some(Box::pin(async move { Mode::settle(future.await) }))
            }

            fn output_type(&self) -> &'static str {
                Mode::output_type()
            }

            fn identity(&self) -> Option<Identity> {
                Some(Identity { path: type_name::<Fun>(), type_id: TypeId::of::<Fun>(), mode: Mode::ASYNC_MODE })
            }
        }
    };
}

task_arity!();
task_arity!(@carry A1);
task_arity!(A1, A2);
task_arity!(A1, A2, A3);
task_arity!(A1, A2, A3, A4);
task_arity!(A1, A2, A3, A4, A5);
task_arity!(A1, A2, A3, A4, A5, A6);
task_arity!(A1, A2, A3, A4, A5, A6, A7);
task_arity!(A1, A2, A3, A4, A5, A6, A7, A8);

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(x: u64) -> u64 {
        x + 1
    }

    fn add(x: u64, y: u64) -> u64 {
        x + y
    }

    /// A task node of a fn item (a zero-sized op) with the `Arc`'s two counts: at most 120
    /// bytes, which glibc serves from its fast bins (chunks up to 128 bytes with the size
    /// word) and which the compiler copies into the allocation without a `memcpy` call.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_task_node_of_a_fn_item_is_a_small_allocation() {
        fn size<T>(_: &T) -> usize {
            std::mem::size_of::<T>()
        }
        let op = Task::<_, (u64,), Plain>::new(inc);
        assert_eq!(size(&op), 0);
        let header = size_of::<Node<()>>();
        assert!(2 * size_of::<usize>() + header <= 120, "a node's header is {header} bytes");
    }

    /// A deep chain whose every link also takes a literal drops without recursing per link
    /// (test threads have 2 MiB stacks), and a part still held elsewhere survives.
    #[test]
    fn a_deep_chain_with_side_literals_drops_iteratively() {
        let literal = || Node::new(&"literal", deps![], Literal::new(1_u64, None));
        let mut tip = literal();
        let mut middle = None;
        for i in 0..200_000 {
            let op = Task::<_, (u64, u64), Plain>::new(add);
            tip = Node::new(&"add", deps![tip, literal()], op);
            if i == 100_000 {
                middle = Some(Arc::clone(&tip));
            }
        }
        drop(tip);
        let middle = middle.expect("kept");
        assert_eq!(Arc::strong_count(&middle), 1);
        assert_eq!(middle.deps.len(), 2, "the held part keeps its dependencies");
        drop(middle);
    }

    #[test]
    fn a_set_name_and_a_content_key_live_out_of_line() {
        let node = Node::new(&"inc", deps![], Task::<_, (u64,), Plain>::new(inc));
        assert!(node.extra.get().is_none());
        assert_eq!(node.key().name(), "inc");
        node.set_name(Name::Owned("renamed".into()));
        assert_eq!(node.key().name(), "renamed");
        let like = Node::like(&node, deps![], Literal::held(3_u64));
        assert_eq!(like.key().name(), "renamed");
        assert!(node.content_key().is_none());
    }

    #[test]
    fn ops_that_know_more_replace_ops_that_know_less() {
        let node = Node::new(&"literal", deps![], Literal::new(1_u64, None));
        assert!(node.cloner().is_none() && node.tokenizer().is_none());
        node.set_ops(&OpsOf::<u64>::CLONE);
        assert!(node.cloner().is_some() && node.tokenizer().is_none());
        node.set_ops(&OpsOf::<u64>::BOTH);
        assert!(node.cloner().is_some() && node.tokenizer().is_some());
        node.set_ops(&OpsOf::<u64>::TOKEN);
        assert!(node.cloner().is_some(), "a pair that knows less does not replace one");
    }
}
