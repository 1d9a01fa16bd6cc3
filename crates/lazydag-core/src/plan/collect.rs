//! Collecting: the depth-first walk from the outputs that builds a [`PlanView`] in one pass.
//!
//! The walk uses an explicit stack (never recursion), visits only what the outputs need, and
//! numbers tasks in post-order: the index is topological and the memory-friendly priority.

use std::collections::hash_map::Entry;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};

use rustc_hash::FxHashMap;

use super::{PlanView, Stop, TaskRef};
use crate::node::Node;

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

/// The depth-first walk that builds a [`Plan`] in one pass.
///
/// Each stack frame is a node whose dependencies are being walked. As each dependency's plan
/// index becomes known (it was finished before, or its own frame just finished) it is pushed
/// on `pending`; frames nest, so a frame's pending indices are the contiguous tail starting
/// at its `pending_start`. When a frame finishes, that tail becomes its dependency list.
pub(super) struct Collector<'g> {
    seen: Visits,
    plan: PlanView<'g>,
    pending: Vec<u32>,
}

struct Frame<'g> {
    node: &'g Arc<Node>,
    cursor: u32,
    pending_start: u32,
}

impl<'g> Collector<'g> {
    pub(super) fn new() -> Self {
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
                program_start: Vec::new(),
                program: Vec::new(),
                report: None,
            },
            pending: Vec::new(),
        }
    }

    pub(super) fn run(mut self, roots: &[TaskRef<'g>]) -> PlanView<'g> {
        let mut stack: Vec<Frame<'g>> = Vec::new();
        for root in roots {
            if let Some(index) = self.seen.finished_or_start(root.0) {
                self.plan.outputs.push(index);
                continue;
            }
            stack.push(Frame { node: root.0, cursor: 0, pending_start: 0 });
            while let Some(frame) = stack.last_mut() {
                if let Some(dep) = frame.node.deps.get(frame.cursor as usize) {
                    frame.cursor += 1;
                    match self.seen.finished_or_start(dep) {
                        Some(index) => self.pending.push(index),
                        None => stack.push(Frame {
                            node: dep,
                            cursor: 0,
                            pending_start: self.pending.len() as u32,
                        }),
                    }
                } else {
                    let index = self.finish(frame.node, frame.pending_start as usize);
                    stack.pop();
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
        self.plan
    }

    /// Gives `node` the next plan index; its dependencies are `pending[pending_start..]`.
    fn finish(&mut self, node: &'g Arc<Node>, pending_start: usize) -> u32 {
        let plan = &mut self.plan;
        let index = u32::try_from(plan.tasks.len()).expect("a plan holds fewer than 2^32 tasks");
        let mut waiting = 0;
        for &dep in &self.pending[pending_start..] {
            plan.uses[dep as usize] += 1;
            waiting += u32::from(!plan.literal[dep as usize]);
        }
        plan.dep_list.extend_from_slice(&self.pending[pending_start..]);
        self.pending.truncate(pending_start);
        plan.tasks.push(node);
        plan.handles.push(node);
        plan.literal.push(node.op.is_literal());
        plan.dep_start.push(plan.dep_list.len() as u32);
        plan.uses.push(0);
        plan.waiting.push(waiting);
        self.seen.finish(node, index);
        index
    }
}
