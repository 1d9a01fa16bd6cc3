//! [`Plan`]: the frozen, index-based form of a graph that schedulers execute.
//!
//! Collecting walks back from the requested outputs with an explicit stack (never recursion),
//! so only tasks an output needs are planned (culling for free) and a 1,000,000-deep chain is
//! fine. The walk is a depth-first post-order, which gives every task an index that is
//!
//! - **topological**: a task's dependencies have smaller indices, and
//! - **memory-friendly**: like `dask.order`, it finishes one branch before opening the next,
//!   so running tasks in index order keeps few intermediate values alive.
//!
//! Schedulers use the index as the task's static priority (smaller runs first).

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::error::{Error, panic_message};
use crate::key::TaskKey;
use crate::node::{Failure, Node};
use crate::value::Value;

/// A borrowed view of one recorded task, for inspection and for schedulers.
#[derive(Clone, Copy)]
pub struct TaskRef<'g>(&'g Node);

impl<'g> TaskRef<'g> {
    pub(crate) fn new(node: &'g Node) -> Self {
        TaskRef(node)
    }

    /// The task's key: readable name and process-unique id.
    pub fn key(self) -> TaskKey {
        self.0.key()
    }

    /// Whether the task is a literal (a value held by the graph), not a function call.
    pub fn is_literal(self) -> bool {
        self.0.op.is_literal()
    }

    /// The Rust type of the task's output.
    pub fn output_type(self) -> &'static str {
        self.0.op.output_type()
    }

    /// A short `Debug` rendering of a literal's value, when the literal was recorded by
    /// `delayed!` from a `Debug` value.
    pub fn describe(self) -> Option<String> {
        self.0.op.describe()
    }

    /// The number of dependencies (edges into this task).
    pub fn dep_count(self) -> usize {
        self.0.deps.len()
    }
}

impl fmt::Debug for TaskRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskRef({})", self.key())
    }
}

/// A frozen execution plan: tasks in priority order, with dependencies and dependents as
/// compressed index lists. It is all a [`Scheduler`](crate::Scheduler) sees, and all a
/// user-written scheduler needs.
///
/// Indices are `usize` in method arguments and `u32` in lists. For every task `i`:
/// - [`deps(i)`](Plan::deps) lists its inputs in argument order (an index repeats when the
///   same value is passed twice); all are smaller than `i`;
/// - [`uses(i)`](Plan::uses) counts the consumers of its value: entries in other tasks'
///   `deps` plus requests in [`outputs`](Plan::outputs). The value is moved into the last use
///   and cloned with [`share`](Plan::share) for the others;
/// - a literal ([`is_literal(i)`](Plan::is_literal)) is never scheduled: a consumer asks for
///   its value with [`run`](Plan::run) at any time;
/// - [`waiting(i)`](Plan::waiting) counts the non-literal entries of `deps(i)`: the task is
///   ready once that many inputs have completed.
///
/// ```
/// use lazydag_core::{delayed, Plan};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let x = delayed!(add(1, 2));
/// let y = delayed!(add(&x, &x));
/// let plan = Plan::new(&[y.task()]);
/// let top = plan.outputs()[0] as usize;
/// assert_eq!(plan.len(), 4); // two literals, two adds
/// assert_eq!(plan.deps(top).len(), 2);
/// assert_eq!(plan.waiting(top), 2);
/// assert_eq!(plan.uses(plan.deps(top)[0] as usize), 2);
/// ```
pub struct Plan<'g> {
    tasks: Vec<&'g Node>,
    literal: Vec<bool>,
    dep_start: Vec<u32>,
    dep_list: Vec<u32>,
    uses: Vec<u32>,
    waiting: Vec<u32>,
    outputs: Vec<u32>,
    dependents: OnceLock<(Vec<u32>, Vec<u32>)>,
}

impl<'g> Plan<'g> {
    /// Plans the tasks needed to compute `outputs`, in the order given.
    ///
    /// Costs O(tasks + edges) time and memory, and no recursion.
    pub fn new(outputs: &[TaskRef<'g>]) -> Self {
        Collector::default().run(outputs)
    }

    /// The number of planned tasks, literals included.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether nothing was planned.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Task `i`.
    pub fn task(&self, i: usize) -> TaskRef<'g> {
        TaskRef(self.tasks[i])
    }

    /// Whether task `i` is a literal.
    pub fn is_literal(&self, i: usize) -> bool {
        self.literal[i]
    }

    /// The inputs of task `i`, in argument order.
    pub fn deps(&self, i: usize) -> &[u32] {
        &self.dep_list[self.dep_start[i] as usize..self.dep_start[i + 1] as usize]
    }

    /// How many consumers (dependent tasks and output requests) use task `i`'s value.
    pub fn uses(&self, i: usize) -> u32 {
        self.uses[i]
    }

    /// All use counts, indexed by task: a scheduler's starting point for counting down.
    pub fn all_uses(&self) -> &[u32] {
        &self.uses
    }

    /// How many non-literal inputs task `i` waits for before it can run.
    pub fn waiting(&self, i: usize) -> u32 {
        self.waiting[i]
    }

    /// All waiting counts, indexed by task.
    pub fn all_waiting(&self) -> &[u32] {
        &self.waiting
    }

    /// The tasks that take task `i`'s value as an input (a task appears once per edge).
    /// Computed on first use, in O(tasks + edges).
    pub fn dependents(&self, i: usize) -> &[u32] {
        let (start, list) = self.dependents.get_or_init(|| self.invert());
        &list[start[i] as usize..start[i + 1] as usize]
    }

    /// The requested outputs, in request order (an index repeats if requested twice).
    pub fn outputs(&self) -> &[u32] {
        &self.outputs
    }

    /// Runs task `i` on `inputs` (one value per entry of [`deps(i)`](Plan::deps), in order;
    /// the vector is left empty). A literal ignores `inputs` and returns its value.
    ///
    /// # Errors
    /// [`Error::Failed`] when the task returns `Err`, [`Error::Panicked`] when it panics (the
    /// panic is caught here), [`Error::LiteralMoved`] for a spent non-`Clone` literal.
    pub fn run(&self, i: usize, inputs: &mut Vec<Value>) -> Result<Value, Error> {
        let node = self.tasks[i];
        let cloner = if self.literal[i] { node.cloner() } else { None };
        let _span = tracing::trace_span!("task", key = %node.key()).entered();
        let outcome = catch_unwind(AssertUnwindSafe(|| node.op.run(inputs, cloner)));
        inputs.clear();
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Failure::Err(source))) => Err(Error::Failed { task: node.key(), source }),
            Ok(Err(Failure::LiteralMoved)) => {
                Err(Error::LiteralMoved { task: node.key(), type_name: node.op.output_type() })
            }
            Err(payload) => {
                Err(Error::Panicked { task: node.key(), message: panic_message(&*payload) })
            }
        }
    }

    /// Clones task `i`'s value for a consumer that is not its last use.
    ///
    /// # Errors
    /// [`Error::Panicked`] if the type's `Clone` panics; [`Error::NotClone`] if the type is
    /// not known to be `Clone` (a plan that passed [`check`](Plan::check) never asks that).
    pub fn share(&self, i: usize, value: &Value) -> Result<Value, Error> {
        let node = self.tasks[i];
        let Some(clone) = node.cloner() else {
            return Err(self.not_clone(i));
        };
        catch_unwind(AssertUnwindSafe(|| clone(value))).map_err(|payload| Error::Panicked {
            task: node.key(),
            message: format!("cloning its output panicked: {}", panic_message(&*payload)),
        })
    }

    /// Checks, before anything runs, that every value used more than once can be cloned.
    ///
    /// # Errors
    /// [`Error::NotClone`] naming the first such task.
    pub fn check(&self) -> Result<(), Error> {
        match (0..self.len()).find(|&i| self.uses[i] > 1 && self.tasks[i].cloner().is_none()) {
            Some(i) => Err(self.not_clone(i)),
            None => Ok(()),
        }
    }

    fn not_clone(&self, i: usize) -> Error {
        let node = self.tasks[i];
        Error::NotClone {
            task: node.key(),
            type_name: node.op.output_type(),
            uses: self.uses[i] as usize,
        }
    }

    fn invert(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.len();
        let mut start = vec![0u32; n + 1];
        for &d in &self.dep_list {
            start[d as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut list = vec![0u32; self.dep_list.len()];
        for i in 0..n {
            for &d in self.deps(i) {
                list[fill[d as usize] as usize] = i as u32;
                fill[d as usize] += 1;
            }
        }
        (start, list)
    }
}

impl fmt::Debug for Plan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("tasks", &self.len())
            .field("edges", &self.dep_list.len())
            .field("outputs", &self.outputs)
            .finish()
    }
}

/// The depth-first walk that builds a [`Plan`].
#[derive(Default)]
struct Collector<'g> {
    /// Node address → discovery number.
    seen: FxHashMap<usize, u32>,
    /// Nodes in discovery order.
    found: Vec<&'g Node>,
    /// Per discovered node: where its edges start in `edge_found`.
    edge_start: Vec<u32>,
    /// Per edge: the discovery number of the dependency.
    edge_found: Vec<u32>,
    /// Per discovered node: its final (post-order) index.
    index: Vec<u32>,
    /// Discovery numbers in post-order.
    order: Vec<u32>,
}

impl<'g> Collector<'g> {
    /// The discovery number of `node`, and whether it was new.
    fn discover(&mut self, node: &'g Node) -> (u32, bool) {
        let next = self.found.len() as u32;
        let found = *self.seen.entry(node.addr()).or_insert(next);
        if found != next {
            return (found, false);
        }
        self.found.push(node);
        self.edge_start.push(self.edge_found.len() as u32);
        self.edge_found.resize(self.edge_found.len() + node.deps.len(), 0);
        self.index.push(u32::MAX);
        (next, true)
    }

    fn run(mut self, roots: &[TaskRef<'g>]) -> Plan<'g> {
        let mut outputs = Vec::with_capacity(roots.len());
        let mut stack: Vec<(u32, u32)> = Vec::new();
        for root in roots {
            let (id, new) = self.discover(root.0);
            outputs.push(id);
            if new {
                stack.push((id, 0));
            }
            while let Some(&mut (id, ref mut cursor)) = stack.last_mut() {
                let node = self.found[id as usize];
                if let Some(dep) = node.deps.get(*cursor as usize) {
                    let edge = self.edge_start[id as usize] + *cursor;
                    *cursor += 1;
                    let (dep_id, new) = self.discover(dep);
                    self.edge_found[edge as usize] = dep_id;
                    if new {
                        stack.push((dep_id, 0));
                    }
                } else {
                    stack.pop();
                    self.index[id as usize] = self.order.len() as u32;
                    self.order.push(id);
                }
            }
        }
        self.freeze(outputs)
    }

    fn freeze(self, mut outputs: Vec<u32>) -> Plan<'g> {
        let n = self.order.len();
        let mut tasks = Vec::with_capacity(n);
        let mut literal: Vec<bool> = Vec::with_capacity(n);
        let mut dep_start = Vec::with_capacity(n + 1);
        let mut dep_list = Vec::with_capacity(self.edge_found.len());
        let mut uses = vec![0u32; n];
        let mut waiting = Vec::with_capacity(n);
        dep_start.push(0);
        for &id in &self.order {
            let node = self.found[id as usize];
            let start = self.edge_start[id as usize] as usize;
            let mut wait = 0;
            for &dep_id in &self.edge_found[start..start + node.deps.len()] {
                let dep = self.index[dep_id as usize];
                uses[dep as usize] += 1;
                wait += u32::from(!literal[dep as usize]);
                dep_list.push(dep);
            }
            tasks.push(node);
            literal.push(node.op.is_literal());
            dep_start.push(dep_list.len() as u32);
            waiting.push(wait);
        }
        for out in &mut outputs {
            *out = self.index[*out as usize];
            uses[*out as usize] += 1;
        }
        Plan {
            tasks,
            literal,
            dep_start,
            dep_list,
            uses,
            waiting,
            outputs,
            dependents: OnceLock::new(),
        }
    }
}
