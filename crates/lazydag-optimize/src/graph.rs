//! [`Graph`]: the index-based view of a plan that passes read and mark.
//!
//! Invariants:
//! - every dependency of task `i` has an index smaller than `i` (checked when the graph is
//!   built), so index order is a topological order;
//! - passes change only roles, and only through [`Graph::fuse`], [`Graph::inline`] and
//!   [`Graph::cull`], which refuse any change that could alter a result: fused tasks form
//!   in-trees whose only exit is their root (so groups never create cycles), a requested output
//!   is always a root, async tasks stay roots, and a task evaluated in several consumers only
//!   duplicates inputs that can be cloned.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use crate::report::OptimizeReport;

/// What a task is, as far as the optimizer cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A value held by the graph (`delayed(v)` or a plain argument): cheap to evaluate anywhere.
    Literal,
    /// A function task.
    Function,
    /// A function task the user marked cheap with `.inline()`: it may be evaluated inside each
    /// consumer instead of once on its own, like Dask's `inline_functions`.
    Cheap,
    /// An async task: always scheduled on its own.
    Async,
}

/// What the optimizer decided for a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Scheduled as a task of its own, running every task fused into it first.
    Root,
    /// Runs inside its only consumer, the task with this index, back to back with it.
    FusedInto(usize),
    /// Evaluated inside each of its consumers.
    Inlined,
    /// No requested output needs it: it never runs.
    Culled,
}

const ROOT: u32 = u32::MAX;
const INLINED: u32 = u32::MAX - 1;
const CULLED: u32 = u32::MAX - 2;

/// Why [`Graph::new`](Graph::from_csr) rejected its input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// The arrays do not describe a graph of `kinds.len()` tasks.
    #[error("malformed graph: {0}")]
    Malformed(String),
    /// A dependency does not come before its dependent.
    #[error("task {task} depends on task {dep}, which does not come before it")]
    NotTopological {
        /// The dependent.
        task: usize,
        /// The dependency.
        dep: usize,
    },
}

/// Why a pass may not make a change; the graph is left as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// Requested outputs must stay tasks of their own.
    #[error("task {0} is a requested output")]
    Output(usize),
    /// Only a task whose value has exactly one use can run inside its consumer.
    #[error("task {task} has {uses} uses; only a task with one use can be fused")]
    Uses {
        /// The task.
        task: usize,
        /// Its uses.
        uses: u32,
    },
    /// The task is not an input of the task it would be fused into.
    #[error("task {task} is not an input of task {into}")]
    NotConsumer {
        /// The task.
        task: usize,
        /// The would-be consumer.
        into: usize,
    },
    /// The kind of task cannot take part in this change.
    #[error("task {task} is {kind:?}, which cannot be {change}")]
    Kind {
        /// The task.
        task: usize,
        /// Its kind.
        kind: Kind,
        /// The change refused.
        change: &'static str,
    },
    /// The task's role already changed (or, for a consumer, it no longer runs).
    #[error("task {task} is already {role:?}")]
    Role {
        /// The task.
        task: usize,
        /// Its role.
        role: Role,
    },
    /// Other tasks were fused into this one; evaluating it in several places would run them
    /// several times.
    #[error("task {0} has other tasks fused into it")]
    HasMembers(usize),
    /// Inlining would use this input more often, and its type is not known to be `Clone`.
    #[error(
        "task {task} would be evaluated in {consumers} consumers, but its input {input} cannot be cloned"
    )]
    NotClonable {
        /// The task.
        task: usize,
        /// Its consumers.
        consumers: u32,
        /// The input that would be used more often.
        input: usize,
    },
    /// A task that still runs needs this one.
    #[error("task {task} is needed by task {by}")]
    Needed {
        /// The task.
        task: usize,
        /// A live consumer.
        by: usize,
    },
}

/// Inverts compressed dependency lists (task `i`'s inputs are
/// `dep_list[dep_start[i]..dep_start[i + 1]]`) into compressed dependent lists of the same
/// form: for each task, the tasks that take its value, once per edge, in index order.
/// O(tasks + edges), by a counting sort.
///
/// A graph utility, public because lazydag's core keeps plans in the same compressed form and
/// builds a plan's dependents (`PlanView::dependents` in `lazydag-core`) with this one
/// function, as [`Graph::dependents`] does.
///
/// ```
/// // 0 -> 1, 0 -> 2, 1 -> 2
/// let (start, list) = lazydag_optimize::invert(&[0, 0, 1, 3], &[0, 0, 1]);
/// assert_eq!((start, list), (vec![0, 2, 3, 3], vec![1, 2, 2]));
/// ```
pub fn invert(dep_start: &[u32], dep_list: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let n = dep_start.len().saturating_sub(1);
    let mut start = vec![0u32; n + 1];
    for &d in dep_list {
        start[d as usize + 1] += 1;
    }
    for j in 0..n {
        start[j + 1] += start[j];
    }
    let mut fill = start.clone();
    let mut list = vec![0u32; dep_list.len()];
    for j in 0..n {
        for &d in &dep_list[dep_start[j] as usize..dep_start[j + 1] as usize] {
            list[fill[d as usize] as usize] = j as u32;
            fill[d as usize] += 1;
        }
    }
    (start, list)
}

/// Names tasks for passes and reports.
type Namer<'a> = Box<dyn Fn(usize) -> String + Send + Sync + 'a>;

/// A task graph for optimization passes: tasks `0..len()` in topological order, their
/// dependencies (in argument order, an index repeats when a value is passed twice), the
/// requested outputs, each task's [`Kind`], and the [`Role`] passes have given it.
///
/// Building costs O(tasks + edges); every query is O(1) except [`dependents`](Graph::dependents)
/// (O(tasks + edges) once, on first use) and [`group_size`](Graph::group_size).
pub struct Graph<'a> {
    kinds: Cow<'a, [Kind]>,
    dep_start: Cow<'a, [u32]>,
    dep_list: Cow<'a, [u32]>,
    outputs: Cow<'a, [u32]>,
    clonable: Option<Cow<'a, [bool]>>,
    names: Option<Namer<'a>>,
    uses: Vec<u32>,
    /// The last consumer found for each task (the only one when `uses == 1` and not output).
    consumer: Vec<u32>,
    output: Vec<bool>,
    role: Vec<u32>,
    size: Vec<u32>,
    dependents: OnceLock<(Vec<u32>, Vec<u32>)>,
    /// Every task is needed by an output (see [`Graph::collected`]).
    collected: bool,
    /// Role counts, kept up to date by the checked methods.
    fused: usize,
    inlined: usize,
    inlined_literals: usize,
    culled: usize,
    /// Tasks fused before the graph was built (see [`Graph::with_group_sizes`]).
    prefused: usize,
}

impl<'a> Graph<'a> {
    /// A graph from compressed dependency lists: task `i`'s inputs are
    /// `dep_list[dep_start[i]..dep_start[i + 1]]`. Every task starts as [`Role::Root`].
    ///
    /// ```
    /// use lazydag_optimize::{Graph, Kind};
    /// let g = Graph::from_csr(vec![Kind::Literal, Kind::Function], vec![0, 0, 1], vec![0], vec![1]);
    /// assert_eq!(g.unwrap().deps(1), &[0]);
    /// ```
    ///
    /// # Errors
    /// [`GraphError`] when the arrays disagree in length, an index is out of range, or a
    /// dependency does not come before its dependent.
    pub fn from_csr(
        kinds: impl Into<Cow<'a, [Kind]>>,
        dep_start: impl Into<Cow<'a, [u32]>>,
        dep_list: impl Into<Cow<'a, [u32]>>,
        outputs: impl Into<Cow<'a, [u32]>>,
    ) -> Result<Self, GraphError> {
        let (kinds, dep_start, dep_list, outputs) =
            (kinds.into(), dep_start.into(), dep_list.into(), outputs.into());
        let n = kinds.len();
        let malformed = |what: String| Err(GraphError::Malformed(what));
        if dep_start.len() != n + 1 || dep_start[0] != 0 {
            return malformed(format!("{} tasks need {} dep_start entries from 0", n, n + 1));
        }
        if dep_start[n] as usize != dep_list.len() {
            return malformed("dep_start does not end at the length of dep_list".to_owned());
        }
        let mut uses = vec![0u32; n];
        let mut consumer = vec![ROOT; n];
        for i in 0..n {
            let (start, end) = (dep_start[i] as usize, dep_start[i + 1] as usize);
            if start > end {
                return malformed(format!("dep_start decreases at task {i}"));
            }
            for &d in &dep_list[start..end] {
                if d as usize >= i {
                    return Err(GraphError::NotTopological { task: i, dep: d as usize });
                }
                uses[d as usize] += 1;
                consumer[d as usize] = i as u32;
            }
        }
        let mut output = vec![false; n];
        for &o in outputs.iter() {
            if o as usize >= n {
                return malformed(format!("output {o} is not one of the {n} tasks"));
            }
            uses[o as usize] += 1;
            output[o as usize] = true;
        }
        Ok(Graph {
            kinds,
            dep_start,
            dep_list,
            outputs,
            clonable: None,
            names: None,
            uses,
            consumer,
            output,
            role: vec![ROOT; n],
            size: vec![1; n],
            dependents: OnceLock::new(),
            collected: false,
            fused: 0,
            inlined: 0,
            inlined_literals: 0,
            culled: 0,
            prefused: 0,
        })
    }

    /// A graph from one dependency list per task: convenient for tests and small graphs.
    ///
    /// # Errors
    /// As [`from_csr`](Graph::from_csr).
    pub fn from_deps(
        kinds: Vec<Kind>,
        deps: &[Vec<u32>],
        outputs: Vec<u32>,
    ) -> Result<Graph<'static>, GraphError> {
        if deps.len() != kinds.len() {
            return Err(GraphError::Malformed(format!(
                "{} tasks but {} dependency lists",
                kinds.len(),
                deps.len()
            )));
        }
        let mut dep_start = vec![0u32];
        let mut dep_list = Vec::new();
        for list in deps {
            dep_list.extend_from_slice(list);
            dep_start.push(dep_list.len() as u32);
        }
        Graph::from_csr(kinds, dep_start, dep_list, outputs)
    }

    /// Says which tasks' values can be cloned (by default all can). Inlining a task into
    /// several consumers clones its inputs, so it is refused for inputs marked `false`.
    ///
    /// # Panics
    /// If `clonable` does not have one entry per task.
    #[must_use]
    pub fn with_clonable(mut self, clonable: impl Into<Cow<'a, [bool]>>) -> Self {
        let clonable = clonable.into();
        assert_eq!(clonable.len(), self.len(), "one clonable flag per task");
        self.clonable = Some(clonable);
        self
    }

    /// Says how many recorded tasks each task already runs, when some were fused before the
    /// graph was built (by default 1 each); fusion limits count them, and the
    /// [`report`](Graph::report) counts those tasks as fused (and in `before`).
    ///
    /// # Panics
    /// If `sizes` does not have one entry per task, or an entry is 0.
    #[must_use]
    pub fn with_group_sizes(mut self, sizes: Vec<u32>) -> Self {
        assert_eq!(sizes.len(), self.len(), "one group size per task");
        assert!(sizes.iter().all(|&s| s > 0), "a task runs at least itself");
        self.prefused = sizes.iter().map(|&s| s as usize - 1).sum();
        self.size = sizes;
        self
    }

    /// Declares that every task is needed by some output, as a walk back from the outputs (a
    /// lazydag collect) guarantees. No pass can make a needed task unneeded (fusing and
    /// inlining keep every input in use), so [`Cull`](crate::Cull) then has nothing to do and
    /// the [`Optimizer`](crate::Optimizer) skips it.
    #[must_use]
    pub fn collected(mut self) -> Self {
        self.collected = true;
        self
    }

    /// Whether the graph was declared [`collected`](Graph::collected).
    pub fn is_collected(&self) -> bool {
        self.collected
    }

    /// How many literals are [`Role::Inlined`] (the rest of [`OptimizeReport::inlined`] are
    /// cheap function tasks). O(1).
    pub fn inlined_literals(&self) -> usize {
        self.inlined_literals
    }

    /// The counts of each role so far, as a report. O(1).
    pub fn report(&self) -> OptimizeReport {
        OptimizeReport {
            before: self.len() + self.prefused,
            after: self.len() - self.fused - self.inlined - self.culled,
            culled: self.culled,
            fused: self.fused + self.prefused,
            inlined: self.inlined,
        }
    }

    /// Names tasks (for reports and user passes); by default task `i` is `task-i`.
    #[must_use]
    pub fn with_names(mut self, names: impl Fn(usize) -> String + Send + Sync + 'a) -> Self {
        self.names = Some(Box::new(names));
        self
    }

    /// The number of tasks.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether the graph has no task.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Task `i`'s kind.
    pub fn kind(&self, i: usize) -> Kind {
        self.kinds[i]
    }

    /// Task `i`'s name.
    pub fn name(&self, i: usize) -> String {
        match &self.names {
            Some(names) => names(i),
            None => format!("task-{i}"),
        }
    }

    /// Task `i`'s inputs, in argument order.
    pub fn deps(&self, i: usize) -> &[u32] {
        &self.dep_list[self.dep_start[i] as usize..self.dep_start[i + 1] as usize]
    }

    /// The compressed dependency lists: `(dep_start, dep_list)`.
    pub fn csr(&self) -> (&[u32], &[u32]) {
        (&self.dep_start, &self.dep_list)
    }

    /// The tasks that take task `i`'s value (once per edge). Built on first use.
    pub fn dependents(&self, i: usize) -> &[u32] {
        let (start, list) = self.dependents.get_or_init(|| invert(&self.dep_start, &self.dep_list));
        &list[start[i] as usize..start[i + 1] as usize]
    }

    /// How many times task `i`'s value is used: edges to dependents plus output requests.
    pub fn uses(&self, i: usize) -> u32 {
        self.uses[i]
    }

    /// The requested outputs, in request order.
    pub fn outputs(&self) -> &[u32] {
        &self.outputs
    }

    /// Whether task `i` is a requested output.
    pub fn is_output(&self, i: usize) -> bool {
        self.output[i]
    }

    /// Whether task `i`'s value can be cloned.
    pub fn is_clonable(&self, i: usize) -> bool {
        self.clonable.as_ref().is_none_or(|c| c[i])
    }

    /// The only consumer of task `i`: `Some` when its value has exactly one use and that use is
    /// another task, not an output request.
    pub fn sole_consumer(&self, i: usize) -> Option<usize> {
        (self.uses[i] == 1 && !self.output[i]).then_some(self.consumer[i] as usize)
    }

    /// Task `i`'s role.
    pub fn role(&self, i: usize) -> Role {
        match self.role[i] {
            ROOT => Role::Root,
            INLINED => Role::Inlined,
            CULLED => Role::Culled,
            into => Role::FusedInto(into as usize),
        }
    }

    /// The root task that runs task `i`: `i` itself unless it is fused into another task.
    /// O(length of the fusion chain above `i`).
    pub fn root_of(&self, mut i: usize) -> usize {
        while let Role::FusedInto(into) = self.role(i) {
            i = into;
        }
        i
    }

    /// How many tasks run as task `i`'s group: `i` and every task fused into it, directly or
    /// through others.
    pub fn group_size(&self, i: usize) -> usize {
        self.size[i] as usize
    }

    /// Task `i`'s inputs that are still scheduled values (not inlined), in argument order.
    pub fn live_deps(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.deps(i).iter().map(|&d| d as usize).filter(move |&d| self.role[d] != INLINED)
    }

    /// Fuses task `task` into `into`, its only consumer: it will run inside `into`'s task,
    /// right before it, with no scheduler round-trip.
    ///
    /// # Errors
    /// [`Refused`] unless `task` is a root function task (not async, not a literal) that is not
    /// an output, whose value has exactly one use, by `into`, and `into` is a function task that
    /// still runs.
    pub fn fuse(&mut self, task: usize, into: usize) -> Result<(), Refused> {
        self.check_root(task)?;
        for (t, change) in [(task, "fused into a consumer"), (into, "a fusion target")] {
            if matches!(self.kinds[t], Kind::Literal | Kind::Async) {
                return Err(Refused::Kind { task: t, kind: self.kinds[t], change });
            }
        }
        if matches!(self.role(into), Role::Inlined | Role::Culled) {
            return Err(Refused::Role { task: into, role: self.role(into) });
        }
        if self.output[task] {
            return Err(Refused::Output(task));
        }
        if self.uses[task] != 1 {
            return Err(Refused::Uses { task, uses: self.uses[task] });
        }
        if self.consumer[task] as usize != into {
            return Err(Refused::NotConsumer { task, into });
        }
        self.role[task] = into as u32;
        self.fused += 1;
        let added = self.size[task];
        let mut at = into;
        loop {
            self.size[at] += added;
            match self.role(at) {
                Role::FusedInto(next) => at = next,
                _ => break,
            }
        }
        Ok(())
    }

    /// Marks task `task` to be evaluated inside each of its consumers instead of on its own.
    ///
    /// # Errors
    /// [`Refused`] unless `task` is a root literal or [`Kind::Cheap`] task, not an output, with
    /// nothing fused into it; and, when it has several consumers, every input it would
    /// evaluate again can be cloned and is not itself an inlined function.
    pub fn inline(&mut self, task: usize) -> Result<(), Refused> {
        self.check_root(task)?;
        if !matches!(self.kinds[task], Kind::Literal | Kind::Cheap) {
            return Err(Refused::Kind { task, kind: self.kinds[task], change: "inlined" });
        }
        if self.output[task] {
            return Err(Refused::Output(task));
        }
        if self.size[task] != 1 {
            return Err(Refused::HasMembers(task));
        }
        let consumers = self.uses[task];
        // Evaluated more than once if it has several consumers, or if a consumer is itself an
        // inlined function (evaluated in each of its own consumers). Only a user pass can
        // inline a consumer before its input: the built-in pass goes in index order.
        let consumer_inlined = self.inlined > self.inlined_literals
            && self.dependents(task).iter().any(|&c| self.role[c as usize] == INLINED);
        if consumers > 1 || consumer_inlined {
            for &d in self.deps(task) {
                let d = d as usize;
                let nested = self.role[d] == INLINED && self.kinds[d] != Kind::Literal;
                if !self.is_clonable(d) || nested {
                    return Err(Refused::NotClonable { task, consumers, input: d });
                }
            }
        }
        self.role[task] = INLINED;
        self.inlined += 1;
        self.inlined_literals += usize::from(self.kinds[task] == Kind::Literal);
        Ok(())
    }

    /// Removes task `task`: no requested output needs it.
    ///
    /// # Errors
    /// [`Refused`] if it is an output or a consumer that is not culled still uses it.
    pub fn cull(&mut self, task: usize) -> Result<(), Refused> {
        if self.output[task] {
            return Err(Refused::Output(task));
        }
        if let Some(&by) = self.dependents(task).iter().find(|&&c| self.role[c as usize] != CULLED)
        {
            return Err(Refused::Needed { task, by: by as usize });
        }
        match self.role(task) {
            Role::FusedInto(_) => self.fused -= 1,
            Role::Inlined => {
                self.inlined -= 1;
                self.inlined_literals -= usize::from(self.kinds[task] == Kind::Literal);
            }
            Role::Culled => return Ok(()),
            Role::Root => {}
        }
        self.role[task] = CULLED;
        self.culled += 1;
        Ok(())
    }

    fn check_root(&self, task: usize) -> Result<(), Refused> {
        match self.role(task) {
            Role::Root => Ok(()),
            role => Err(Refused::Role { task, role }),
        }
    }

    /// The roles of all tasks, in index order.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = Role> + '_ {
        (0..self.len()).map(|i| self.role(i))
    }
}

impl fmt::Debug for Graph<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graph")
            .field("tasks", &self.len())
            .field("edges", &self.dep_list.len())
            .field("outputs", &self.outputs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dependency_after_its_dependent_is_rejected_by_name() {
        let f = Kind::Function;
        let err = Graph::from_deps(vec![f, f], &[vec![1], vec![]], vec![0]).unwrap_err();
        assert_eq!(err, GraphError::NotTopological { task: 0, dep: 1 });
        assert_eq!(err.to_string(), "task 0 depends on task 1, which does not come before it");
        let out_of_range = Graph::from_deps(vec![f], &[vec![]], vec![3]).unwrap_err();
        assert!(out_of_range.to_string().contains("output 3 is not one of the 1 tasks"));
    }
}
