//! Collecting: the depth-first walk from the outputs that builds a [`PlanView`] in one pass.
//!
//! The walk uses an explicit stack (never recursion), visits only what the outputs need, and
//! numbers tasks in post-order: the index is topological; [`order`](super::order) then makes
//! it the memory-friendly priority.
//!
//! Cost: each planned task is one [`Entry`] pushed on one array (its node, counts and depth
//! key side by side, so counting an input's use touches one cache line), each edge one index
//! pushed on the dependency list; the plan's per-task arrays are split off the entries once,
//! at their exact sizes, when the walk is over. A frame on the walk's stack is 24 bytes (a
//! 1,000,000-deep chain holds one per link). A plan that keeps its post-order (a tree: no
//! value has two uses) also gets its run state from the entries then, in one pass: each
//! entry remembers the task that took it as an input, its only dependent
//! ([`tree_run_state`]); any other plan builds it from its arrays on first use.

use std::collections::hash_map::Entry as Slot;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};

use lazydag_optimize::{Kind, is_chain_link};
use rustc_hash::FxHashMap;

use super::order::Depth;
use super::program::{Instr, push_carried};
use super::{PlanView, Stop, TaskRef};
use crate::error::Error;
use crate::identity::ContentKey;
use crate::node::{Node, Probe, StoreId};

/// How a collect remembers which nodes it has seen.
///
/// The fast way marks the nodes themselves: each collect takes a fresh epoch and stores
/// `(epoch, discovery number)` in each node it finds, so "seen?" is one load from a node the
/// walk reads anyway. Two collects marking the same nodes at once would clobber each other's
/// marks, so marking needs the one global [`MARKING`] lock; a collect that finds it taken
/// (another thread is collecting right now) remembers nodes in a hash map instead.
///
/// Memory ordering: marks are only read and written by the holder of `MARKING`, whose
/// acquire/release orders one holder's marks before the next holder's reads, so `Relaxed`
/// suffices. A node created concurrently starts at epoch 0, which no collect uses; epochs
/// are 64-bit and never wrap, so a stale mark can never look current.
enum Visits {
    Marks { epoch: u64, _lock: MutexGuard<'static, u64> },
    Map(FxHashMap<usize, u32>),
}

static MARKING: Mutex<u64> = Mutex::new(0);

impl Visits {
    fn new() -> Self {
        let mut last = match MARKING.try_lock() {
            Ok(guard) => guard,
            // No user code runs under the lock, but stay correct if a panic ever poisons it.
            Err(TryLockError::Poisoned(poison)) => poison.into_inner(),
            Err(TryLockError::WouldBlock) => return Visits::Map(FxHashMap::default()),
        };
        *last += 1;
        Visits::Marks { epoch: *last, _lock: last }
    }

    /// The plan index of `node` if this collect has finished it; otherwise marks it as
    /// in progress and returns `None`. In a DAG a node met again is always finished: meeting
    /// one still in progress (on the stack) would mean a cycle.
    #[inline(always)]
    fn finished_or_start(&mut self, node: &Node) -> Option<u32> {
        match self {
            Visits::Marks { epoch, .. } => {
                if node.visit.epoch.load(Ordering::Relaxed) == *epoch {
                    Some(node.visit.found.load(Ordering::Relaxed))
                } else {
                    node.visit.epoch.store(*epoch, Ordering::Relaxed);
                    None
                }
            }
            Visits::Map(map) => match map.entry(node.addr()) {
                Slot::Occupied(index) => Some(*index.get()),
                Slot::Vacant(slot) => {
                    slot.insert(u32::MAX);
                    None
                }
            },
        }
    }

    /// Records that `node` got plan index `index`.
    #[inline(always)]
    fn finish(&mut self, node: &Node, index: u32) {
        match self {
            Visits::Marks { .. } => node.visit.found.store(index, Ordering::Relaxed),
            Visits::Map(map) => {
                map.insert(node.addr(), index);
            }
        }
    }
}

/// The depth-first walk that builds a [`Plan`](crate::Plan) in one pass.
///
/// Each stack frame is a node whose dependencies are being walked. As each dependency's plan
/// index becomes known (it was finished before, or its own frame just finished) it is pushed
/// on `pending`; frames nest, so a frame's pending indices are the contiguous tail starting
/// at its `pending_start`. When a frame finishes, that tail becomes its dependency list.
///
/// **Chains fused while collecting.** When the optimizer will fuse linear chains, a frame
/// opened on a function `top` first looks down its chain: while the lowest node so far has
/// exactly one input, and that input is a plain function owned by nothing else
/// (`Arc::strong_count == 1`: no handle, no other task, no output request can reach it), the
/// input joins the chain. The frame then walks the inputs of the chain's lowest node, and
/// finishing it plans one task for the whole chain, with its program. Such members never get
/// a visit mark: nothing else can reach them. This finds a subset of what the `FuseLinear`
/// pass would (which still runs, on the plan), in one pointer chase per member instead of a
/// plan entry each: on a 1,000,000-task chain it is what makes fusion pay end to end.
pub(super) struct Collector<'g> {
    seen: Visits,
    /// The planned tasks so far, in post-order.
    entries: Vec<Entry<'g>>,
    /// Each task's inputs, CSR over `Entry::dep_end`.
    dep_list: Vec<u32>,
    /// Fused tasks' programs, CSR (empty unless fusing while collecting).
    program_start: Vec<u32>,
    program: Vec<Instr<'g>>,
    outputs: Vec<u32>,
    pending: Vec<u32>,
    /// The longest chain to fuse while collecting; `None` fuses nothing.
    chain_limit: Option<usize>,
    /// Members of the open frames' chains, below their tops, top-down per frame, each with
    /// whether it can run carried (read here, while the node is at hand).
    chain: Vec<(&'g Arc<Node>, bool)>,
    /// How many tasks were fused into others while collecting.
    prefused: usize,
    /// What the optimizer needs to know of each task, read while the node is at hand; only
    /// recorded for a plan that will be optimized.
    facts: Option<Facts>,
    /// Whether the ordering pass may keep the post-order.
    depth: Depth,
    /// Whether a cached task missed its store (see [`PlanView::has_cache_miss`]).
    cache_miss: bool,
    /// Whether a literal has two uses or more (the ordering does not care; the tree's run
    /// state does: see [`tree_run_state`]).
    shared_literal: bool,
    /// The plan index of each content key planned so far (with the store of a cached task,
    /// see [`dedupe_key`]): a pure task met again under another node is planned once (see
    /// [`Collector::seen`]).
    keyed: FxHashMap<(ContentKey, StoreId), u32>,
    /// The first cached task that turned out to have no key.
    error: Option<Error>,
}

/// Per-task facts for the optimizer, in plan order, and counts that tell when the passes
/// can change nothing.
#[derive(Debug, Default)]
pub(super) struct Facts {
    pub(super) kinds: Vec<Kind>,
    /// Tasks with exactly one non-literal input: the only ones a chain can end in.
    pub(super) linear: usize,
    /// Tasks marked cheap with `.inline()`.
    pub(super) cheap: usize,
    /// Literals.
    pub(super) literals: usize,
}

/// What a collect produced.
pub(super) struct Collected<'g> {
    pub(super) plan: PlanView<'g>,
    /// Tasks fused into others while collecting.
    pub(super) prefused: usize,
    /// Present when the collect was for an optimized plan.
    pub(super) facts: Option<Facts>,
    /// A cached task without a content key: the compute fails with it.
    pub(super) error: Option<Error>,
}

/// One planned task while collecting; split into the plan's arrays when the walk is over.
#[derive(Clone, Copy)]
struct Entry<'g> {
    node: &'g Arc<Node>,
    /// The depth key [`order`](super::order) sorts inputs by: the longest chain of
    /// non-literal tasks ending here in the high half, the tasks below (through every path,
    /// saturating) in the low half; 0 for a literal.
    key: u64,
    /// Where its inputs end in `Collector::dep_list`.
    dep_end: u32,
    uses: u32,
    waiting: u32,
    /// The last task that took it as an input so far ([`NONE`] for none): in a tree, its
    /// only dependent.
    consumer: u32,
    /// A literal, or a cached task found in its store (planned as a literal).
    literal: bool,
}

/// No task: the [`Entry::consumer`] of a task nothing has taken as an input yet.
const NONE: u32 = u32::MAX;

/// Sets the run state of `plan`, collected as `entries` and kept in post-order, when it is a
/// tree (no task's value has two uses, counting output requests): `with_dependents` (no
/// literal has two uses either), its dependents lists (at most one dependent each, the
/// entry's consumer); and its initial tasks (non-literal, waiting
/// for nothing, in index order) and its number of distinct non-literal outputs (all of
/// them: a tree requests no task twice). The same as [`PlanView::invert`] and
/// `PlanView::start` would compute, in one pass over the entries.
fn tree_run_state(plan: &PlanView<'_>, entries: &[Entry<'_>], with_dependents: bool) {
    let n = entries.len();
    let mut start = Vec::with_capacity(n + 1);
    let mut list = Vec::with_capacity(plan.dep_list.len());
    let mut initial = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        start.push(list.len() as u32);
        if e.consumer != NONE {
            list.push(e.consumer);
        }
        if !e.literal && e.waiting == 0 {
            initial.push(i as u32);
        }
    }
    start.push(list.len() as u32);
    let outputs = plan.outputs.iter().filter(|&&o| !entries[o as usize].literal).count();
    if with_dependents {
        debug_assert_eq!(list.len(), plan.dep_list.len(), "a tree's edges have one consumer each");
        let _ = plan.dependents.set((start, list));
    }
    let _ = plan.initial.set((initial.into_boxed_slice(), outputs));
}

/// The node whose inputs a frame walks has exactly `deps.len()` of them pushed on `pending` by
/// the time the frame finishes (each is pushed when found planned, or when its own frame
/// finishes), so the frame needs no record of where its tail starts.
struct Frame<'g> {
    /// The inputs walked: those of the lowest member of the frame's chain; none for a cached
    /// task whose value was found in its store (planned as a literal).
    deps: &'g [Arc<Node>],
    /// The node the frame plans: the top of its chain.
    top: &'g Arc<Node>,
    /// The next input to walk; [`HIT`] for a cache hit.
    cursor: u32,
    /// Where the frame's chain members start in `Collector::chain`.
    chain_start: u32,
}

/// The cursor of a frame that walks no inputs.
const HIT: u32 = u32::MAX;

/// The content key under which `node` may be planned once for every node with that key: a
/// second node with it becomes a second use of the first's value, so a value that cannot be
/// cloned (no cloner: not `Clone`) is never shared this way, and each such node is planned
/// on its own, as an impure one would be.
#[inline(always)]
fn shareable_key(node: &Node) -> Option<ContentKey> {
    node.content_key().filter(|_| node.cloner().is_some())
}

/// What two nodes must share to be planned once: the [`shareable_key`], and for a cached
/// task its store ([`Op::store_id`](crate::node::Op::store_id)). A pure task and a cache of
/// it have one key and stay two tasks; two caches of one task into two stores stay two, so
/// that each store is probed and written.
#[inline(always)]
fn dedupe_key(node: &Node) -> Option<(ContentKey, StoreId)> {
    let key = shareable_key(node)?;
    Some((key, if node.kind.cached { node.op.store_id() } else { StoreId::None }))
}

/// The optimizer's kind of `node`.
fn kind(node: &Node) -> Kind {
    if node.kind.literal {
        Kind::Literal
    } else if node.kind.is_async {
        Kind::Async
    } else if node.is_inline() {
        Kind::Cheap
    } else {
        Kind::Function
    }
}

/// The optimizer's kind of `node` if it may be a link of a chain fused while collecting:
/// plain functions only (cheap tasks are left to the inline pass), and no cached task (it is
/// probed when its frame opens).
#[inline(always)]
fn chain_kind(node: &Node) -> Option<Kind> {
    let kind = kind(node);
    (kind != Kind::Cheap && !node.kind.cached).then_some(kind)
}

/// The kind of `dep`, the only input of a consumer of chain kind `consumer`, if it joins the
/// consumer's chain while collecting: the optimizer's link rule ([`is_chain_link`]), with sole
/// ownership standing for its one use (`strong_count == 1`: no handle, no other task and no
/// output request reaches `dep`). A keyed input stays a task of its own, so that another node
/// with its key can share it. The consumer's side is asked once per chain ([`chain_kind`]),
/// not once per link: each link is the next one's consumer.
#[inline(always)]
fn joins_chain(dep: &Arc<Node>, consumer: Kind) -> Option<Kind> {
    let input = chain_kind(dep)?;
    (dep.content_key().is_none() && is_chain_link(input, Arc::strong_count(dep) == 1, consumer, 1))
        .then_some(input)
}

impl<'g> Collector<'g> {
    /// A collector; `optimizing` records the optimizer's facts, and `chain_limit` turns on
    /// chain fusion (see the type's docs).
    pub(super) fn new(optimizing: bool, chain_limit: Option<usize>) -> Self {
        let fusing = chain_limit.is_some_and(|limit| limit > 1);
        Collector {
            seen: Visits::new(),
            entries: Vec::new(),
            dep_list: Vec::new(),
            program_start: if fusing { vec![0] } else { Vec::new() },
            program: Vec::new(),
            outputs: Vec::new(),
            pending: Vec::new(),
            chain_limit: chain_limit.filter(|_| fusing),
            chain: Vec::new(),
            prefused: 0,
            facts: optimizing.then(Facts::default),
            depth: Depth::new(),
            shared_literal: false,
            cache_miss: false,
            keyed: FxHashMap::default(),
            error: None,
        }
    }

    /// The plan index of `node` if it was planned already: this very node (its visit
    /// mark), or, for a keyed node, another node with its content key (then this node is
    /// marked with that index too). Otherwise marks it in progress and returns `None`.
    #[inline(always)]
    fn seen(&mut self, node: &Node) -> Option<u32> {
        if let Some(index) = self.seen.finished_or_start(node) {
            return Some(index);
        }
        if self.keyed.is_empty() {
            return None;
        }
        let index = *self.keyed.get(&dedupe_key(node)?)?;
        self.seen.finish(node, index);
        Some(index)
    }

    /// Records `node`'s plan index under its [`dedupe_key`], if it has one: out of line, since
    /// only pure tasks (and keyed literals) get here.
    #[cold]
    #[inline(never)]
    fn remember_key(&mut self, node: &Node, index: u32) {
        if let Some(key) = dedupe_key(node) {
            self.keyed.insert(key, index);
        }
    }

    /// Opens a frame on `top`, taking in the chain below it.
    #[inline(always)]
    fn open(&mut self, top: &'g Arc<Node>) -> Frame<'g> {
        let chain_start = self.chain.len() as u32;
        let mut node = top;
        if top.kind.cached {
            let hit = match top.op.probe(&top.deps) {
                Some(Probe::Hit) => true,
                Some(Probe::Miss) | None => false,
                Some(Probe::NoKey) => {
                    self.error.get_or_insert_with(|| Error::NotPure { task: top.key() });
                    false
                }
            };
            self.cache_miss |= !hit;
            let (deps, cursor) = if hit { (&[][..], HIT) } else { (node.deps.as_slice(), 0) };
            return Frame { deps, top, cursor, chain_start };
        }
        if let Some(limit) = self.chain_limit
            && let Some(mut consumer) = chain_kind(top)
        {
            let mut len = 1;
            while len < limit
                && let [dep] = node.deps.as_slice()
                && let Some(input) = joins_chain(dep, consumer)
            {
                self.chain.push((dep, dep.kind.carries));
                (node, consumer) = (dep, input);
                len += 1;
            }
        }
        Frame { deps: node.deps.as_slice(), top, cursor: 0, chain_start }
    }

    /// Walks from `roots`.
    pub(super) fn collect(mut self, roots: &[TaskRef<'g>]) -> Collected<'g> {
        let mut stack: Vec<Frame<'g>> = Vec::new();
        for root in roots {
            if let Some(index) = self.seen(root.0) {
                self.outputs.push(index);
                continue;
            }
            let frame = self.open(root.0);
            stack.push(frame);
            while let Some(frame) = stack.last_mut() {
                let deps: &'g [Arc<Node>] = frame.deps;
                if let Some(dep) = deps.get(frame.cursor as usize) {
                    frame.cursor += 1;
                    match self.seen(dep) {
                        Some(index) => self.pending.push(index),
                        // A leaf (a literal, or a call without inputs) needs no frame.
                        None if dep.deps.is_empty() && !dep.kind.cached => {
                            let index = self.finish(dep, 0, self.chain.len(), false);
                            self.pending.push(index);
                        }
                        None => {
                            let frame = self.open(dep);
                            stack.push(frame);
                        }
                    }
                } else {
                    let (top, hit, chain_start) =
                        (frame.top, frame.cursor == HIT, frame.chain_start as usize);
                    stack.pop();
                    let index = self.finish(top, deps.len(), chain_start, hit);
                    if stack.is_empty() {
                        self.outputs.push(index);
                    } else {
                        self.pending.push(index);
                    }
                }
            }
        }
        for &out in &self.outputs {
            self.entries[out as usize].uses += 1;
        }
        let keeps = self.depth.keeps(&self.outputs, |o| self.entries[o].uses);
        let keys = (!keeps).then(|| self.entries.iter().map(|e| e.key).collect::<Vec<u64>>());
        let entries = &self.entries;
        let mut dep_start = Vec::with_capacity(entries.len() + 1);
        dep_start.push(0);
        dep_start.extend(entries.iter().map(|e| e.dep_end));
        let mut plan = PlanView {
            tasks: entries.iter().map(|e| &**e.node).collect(),
            handles: entries.iter().map(|e| e.node).collect(),
            literal: entries.iter().map(|e| e.literal).collect(),
            dep_start,
            dep_list: self.dep_list,
            uses: entries.iter().map(|e| e.uses).collect(),
            waiting: entries.iter().map(|e| e.waiting).collect(),
            outputs: self.outputs,
            dependents: OnceLock::new(),
            initial: OnceLock::new(),
            stop: Stop::default(),
            // No program at all: `run` need not look for one.
            program_start: if self.prefused == 0 { Vec::new() } else { self.program_start },
            program: self.program,
            report: None,
            cache_miss: self.cache_miss,
        };
        if keeps {
            // The post-order stays: what a run starts from can be read off the entries now,
            // instead of in passes over the plan (see `tree_run_state`).
            tree_run_state(&plan, entries, !self.shared_literal);
        }
        drop(self.entries);
        if let Some(keys) = keys {
            super::order::order(&mut plan, self.facts.as_mut(), &keys);
        }
        Collected { plan, prefused: self.prefused, facts: self.facts, error: self.error }
    }

    /// Gives `node` the next plan index; its dependencies are the last `inputs` entries of
    /// `pending`, and `chain[chain_start..]` runs inside it, lowest last. A cache `hit` is
    /// planned as a literal.
    #[inline(always)]
    fn finish(&mut self, node: &'g Arc<Node>, inputs: usize, chain_start: usize, hit: bool) -> u32 {
        let index = u32::try_from(self.entries.len()).expect("a plan holds fewer than 2^32 tasks");
        let pending_start = self.pending.len() - inputs;
        let deps = &self.pending[pending_start..];
        let literal = node.kind.literal || hit;
        let (mut waiting, mut height, mut below) = (0u32, 0u64, 0u64);
        self.dep_list.reserve(inputs);
        for &dep in deps {
            self.dep_list.push(dep);
            let input = &mut self.entries[dep as usize];
            input.uses += 1;
            input.consumer = index;
            if input.literal {
                self.shared_literal |= input.uses > 1;
            } else {
                // Literals are never scheduled: they do not count.
                waiting += 1;
                let h = input.key >> 32;
                self.depth.input(h, input.uses);
                height = height.max(h);
                below = below.saturating_add(input.key & BELOW);
            }
        }
        self.depth.end_task();
        self.pending.truncate(pending_start);
        if self.chain.len() > chain_start {
            self.push_program(node, inputs, chain_start);
        }
        if !self.program_start.is_empty() {
            self.program_start.push(self.program.len() as u32);
        }
        let key = if literal { 0 } else { ((height + 1) << 32) | (below + 1).min(BELOW) };
        self.entries.push(Entry {
            node,
            key,
            dep_end: self.dep_list.len() as u32,
            uses: 0,
            waiting,
            consumer: NONE,
            literal,
        });
        if node.content_key().is_some() {
            self.remember_key(node, index);
        }
        if let Some(facts) = &mut self.facts {
            let kind = if hit { Kind::Literal } else { kind(node) };
            facts.linear += usize::from(waiting == 1);
            facts.cheap += usize::from(kind == Kind::Cheap);
            facts.literals += usize::from(kind == Kind::Literal);
            facts.kinds.push(kind);
        }
        self.seen.finish(node, index);
        index
    }
}

impl<'g> Collector<'g> {
    /// The program of `node`, the top of the chain `chain[chain_start..]` with `inputs`
    /// inputs: the inputs, then the chain bottom-up (the members are top-down: reversed in
    /// place), then `node`. Out of line: it keeps [`finish`](Collector::finish), inlined into
    /// the walk's loop, as small for plans without fused chains as it was before they had it.
    #[inline(never)]
    fn push_program(&mut self, node: &'g Arc<Node>, inputs: usize, chain_start: usize) {
        let program = &mut self.program;
        program.reserve_exact(inputs + self.chain.len() - chain_start + 1);
        program.extend(std::iter::repeat_n(Instr::Input, inputs));
        self.prefused += self.chain.len() - chain_start;
        self.chain[chain_start..].reverse();
        self.chain.push((node, node.kind.carries));
        push_carried(&self.chain[chain_start..], program);
        self.chain.truncate(chain_start);
    }
}

/// The low half of [`Entry::key`]: the tasks below.
const BELOW: u64 = 0xffff_ffff;
