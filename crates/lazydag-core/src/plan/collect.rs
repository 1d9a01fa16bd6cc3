//! Collecting: the depth-first walk from the outputs that builds a [`PlanView`] in one pass.
//!
//! The walk uses an explicit stack (never recursion), visits only what the outputs need, and
//! numbers tasks in post-order: the index is topological and the memory-friendly priority.

use std::collections::hash_map::Entry;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};

use lazydag_optimize::{Kind, is_chain_link};
use rustc_hash::FxHashMap;

use super::program::{Instr, carried};
use super::{PlanView, Stop, TaskRef};
use crate::error::Error;
use crate::identity::ContentKey;
use crate::node::{Node, Probe};

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
                Entry::Occupied(index) => Some(*index.get()),
                Entry::Vacant(slot) => {
                    slot.insert(u32::MAX);
                    None
                }
            },
        }
    }

    /// Records that `node` got plan index `index`.
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
    plan: PlanView<'g>,
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
    /// The plan index of each content key planned so far (with whether the task is a cached
    /// one): a pure task met again under another node is planned once (see [`Collector::seen`]).
    keyed: FxHashMap<(ContentKey, bool), u32>,
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

struct Frame<'g> {
    /// The node whose inputs are walked: the lowest member of the frame's chain.
    node: &'g Arc<Node>,
    /// The node the frame plans: the top of its chain.
    top: &'g Arc<Node>,
    cursor: u32,
    pending_start: u32,
    /// Where the frame's chain members start in `Collector::chain`.
    chain_start: u32,
    /// A cached task whose value was found in its store: planned as a literal, its inputs
    /// not walked.
    hit: bool,
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

/// Whether `dep`, the only input of `node`, joins `node`'s chain while collecting: the
/// optimizer's link rule ([`is_chain_link`]), with sole ownership standing for its one use
/// (`strong_count == 1`: no handle, no other task and no output request reaches `dep`), and
/// plain functions only (cheap tasks are left to the inline pass).
fn joins_chain(dep: &Arc<Node>, node: &Node) -> bool {
    let (input, consumer) = (kind(dep), kind(node));
    input != Kind::Cheap
        && consumer != Kind::Cheap
        // A keyed input stays a task of its own, so that another node with its key can share
        // it; a cached task is probed when its frame opens.
        && !dep.kind.cached
        && !node.kind.cached
        && dep.content_key().is_none()
        && is_chain_link(input, Arc::strong_count(dep) == 1, consumer, 1)
}

impl<'g> Collector<'g> {
    /// A collector; `optimizing` records the optimizer's facts, and `chain_limit` turns on
    /// chain fusion (see the type's docs).
    pub(super) fn new(optimizing: bool, chain_limit: Option<usize>) -> Self {
        let fusing = chain_limit.is_some_and(|limit| limit > 1);
        Collector {
            seen: Visits::new(),
            plan: PlanView {
                tasks: Vec::new(),
                handles: Vec::new(),
                literal: Vec::new(),
                dep_start: vec![0],
                dep_list: Vec::new(),
                uses: Vec::new(),
                waiting: Vec::new(),
                outputs: Vec::new(),
                dependents: OnceLock::new(),
                stop: Stop::default(),
                program_start: if fusing { vec![0] } else { Vec::new() },
                program: Vec::new(),
                report: None,
            },
            pending: Vec::new(),
            chain_limit: chain_limit.filter(|_| fusing),
            chain: Vec::new(),
            prefused: 0,
            facts: optimizing.then(Facts::default),
            keyed: FxHashMap::default(),
            error: None,
        }
    }

    /// The plan index of `node` if it was planned already: this very node (its visit
    /// mark), or, for a keyed node, another node with its content key (then this node is
    /// marked with that index too). Otherwise marks it in progress and returns `None`.
    fn seen(&mut self, node: &Node) -> Option<u32> {
        if let Some(index) = self.seen.finished_or_start(node) {
            return Some(index);
        }
        if self.keyed.is_empty() {
            return None;
        }
        let key = node.content_key()?;
        let index = *self.keyed.get(&(key, node.kind.cached))?;
        self.seen.finish(node, index);
        Some(index)
    }

    /// Opens a frame on `top`, taking in the chain below it.
    fn open(&mut self, top: &'g Arc<Node>) -> Frame<'g> {
        let chain_start = self.chain.len() as u32;
        let mut node = top;
        let pending_start = self.pending.len() as u32;
        if top.kind.cached {
            let hit = match top.op.probe(&top.deps) {
                Some(Probe::Hit) => true,
                Some(Probe::Miss) | None => false,
                Some(Probe::NoKey) => {
                    self.error.get_or_insert_with(|| Error::NotPure { task: top.key() });
                    false
                }
            };
            return Frame { node, top, cursor: 0, pending_start, chain_start, hit };
        }
        if let Some(limit) = self.chain_limit {
            let mut len = 1;
            while len < limit
                && let [dep] = node.deps.as_slice()
                && joins_chain(dep, node)
            {
                self.chain.push((dep, dep.kind.carries));
                node = dep;
                len += 1;
            }
        }
        Frame { node, top, cursor: 0, pending_start, chain_start, hit: false }
    }

    /// Walks from `roots`.
    pub(super) fn collect(mut self, roots: &[TaskRef<'g>]) -> Collected<'g> {
        let mut stack: Vec<Frame<'g>> = Vec::new();
        for root in roots {
            if let Some(index) = self.seen(root.0) {
                self.plan.outputs.push(index);
                continue;
            }
            let frame = self.open(root.0);
            stack.push(frame);
            while let Some(frame) = stack.last_mut() {
                let next =
                    if frame.hit { None } else { frame.node.deps.get(frame.cursor as usize) };
                if let Some(dep) = next {
                    frame.cursor += 1;
                    match self.seen(dep) {
                        Some(index) => self.pending.push(index),
                        None => {
                            let frame = self.open(dep);
                            stack.push(frame);
                        }
                    }
                } else {
                    let (top, pending_start, chain_start, hit) = (
                        frame.top,
                        frame.pending_start as usize,
                        frame.chain_start as usize,
                        frame.hit,
                    );
                    stack.pop();
                    let index = self.finish(top, pending_start, chain_start, hit);
                    if stack.is_empty() {
                        self.plan.outputs.push(index);
                    } else {
                        self.pending.push(index);
                    }
                }
            }
        }
        for &out in &self.plan.outputs {
            self.plan.uses[out as usize] += 1;
        }
        if self.prefused == 0 {
            // No program at all: `run` need not look for one.
            self.plan.program_start = Vec::new();
        }
        Collected { plan: self.plan, prefused: self.prefused, facts: self.facts, error: self.error }
    }

    /// Gives `node` the next plan index; its dependencies are `pending[pending_start..]`, and
    /// `chain[chain_start..]` runs inside it, lowest last. A cache `hit` is planned as a
    /// literal.
    fn finish(
        &mut self,
        node: &'g Arc<Node>,
        pending_start: usize,
        chain_start: usize,
        hit: bool,
    ) -> u32 {
        let plan = &mut self.plan;
        let index = u32::try_from(plan.tasks.len()).expect("a plan holds fewer than 2^32 tasks");
        let mut waiting = 0;
        let inputs = self.pending.len() - pending_start;
        for &dep in &self.pending[pending_start..] {
            plan.uses[dep as usize] += 1;
            waiting += u32::from(!plan.literal[dep as usize]);
        }
        plan.dep_list.extend_from_slice(&self.pending[pending_start..]);
        self.pending.truncate(pending_start);
        if self.chain.len() > chain_start {
            // The program: the inputs, then the chain bottom-up, then `node`.
            plan.program.reserve_exact(inputs + self.chain.len() - chain_start + 1);
            plan.program.extend(std::iter::repeat_n(Instr::Input, inputs));
            let members = self.chain[chain_start..].iter().rev().copied();
            plan.program.extend(carried(members.chain([(node, node.kind.carries)])));
            self.prefused += self.chain.len() - chain_start;
            self.chain.truncate(chain_start);
        }
        if !plan.program_start.is_empty() {
            plan.program_start.push(plan.program.len() as u32);
        }
        plan.tasks.push(node);
        plan.handles.push(node);
        plan.literal.push(node.kind.literal || hit);
        plan.dep_start.push(plan.dep_list.len() as u32);
        plan.uses.push(0);
        plan.waiting.push(waiting);
        if let Some(key) = node.content_key() {
            self.keyed.insert((key, node.kind.cached), index);
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
