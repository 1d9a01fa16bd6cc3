//! Ordering: renumbering a collected plan so that running its tasks in index order keeps few
//! values alive, after the ideas of `dask.order`.
//!
//! The collector numbers tasks in post-order, which is already a good order on a tree (each
//! value has at most one consumer): finishing one argument's sub-tree before opening the next
//! holds one value per open level. A tree whose every task lists its deepest inputs first
//! (rule 2) is left as it is. The collector checks that as it plans each task ([`Depth`]):
//! map-reduces, chains and streaming reductions pay only that check. Any other plan is
//! renumbered:
//!
//! 1. **Outputs in request order.** Each output is pulled in turn, so outputs requested first
//!    are finished first (unless a later one is finished on the way, see 3).
//! 2. **Critical path first.** Pulling a task walks its inputs deepest first (by the longest
//!    chain of tasks below each, then by how much work is below it), so a short branch is not
//!    started, and its value then held, while the long one runs; ties keep argument order.
//! 3. **Finish the dependents that free their parents.** Whenever a task becomes ready and
//!    running it would release one of its inputs (it is that value's last consumer), or a
//!    value is down to one consumer that is ready, that consumer runs at once, before the walk
//!    opens anything new. This is also how broker nodes are avoided: a value shared by two
//!    branches is released by finishing the branch that is ready, not held while another
//!    branch is opened.
//!
//! Invariants: the new order is topological (every input, literals included, gets a smaller
//! index than its consumer; a literal is placed just before its first consumer), it is a
//! permutation of the old one, and every per-task array of the plan (and of the optimizer's
//! facts) is permuted with it. Cost: O(tasks + edges) plus sorting each task's inputs by
//! depth, O(edges × log(inputs per task)); no recursion.

use super::PlanView;
use super::collect::Facts;

/// Sentinel for "not placed yet".
const UNPLACED: u32 = u32::MAX;

/// Renumbers `plan` (and `facts`' per-task kinds) in the memory-friendly order of the module
/// docs. `keys` is each task's depth key, larger runs first: the longest chain of non-literal
/// tasks ending in it (itself included; 0 for a literal) in the high half, and, to break
/// ties, the number of tasks below it in the low half (counted through every path, like
/// dask's `total_dependencies`, so shared tasks count more than once; saturating). The
/// collector computes them as it plans each task.
pub(super) fn order(plan: &mut PlanView<'_>, facts: Option<&mut Facts>, keys: &[u64]) {
    let order = Walk::new(plan, keys).run(plan);
    debug_assert_eq!(order.len(), plan.tasks.len());
    permute(plan, facts, &order);
}

/// What the collector learns, task by task while it plans them, about whether the post-order
/// can stay: the plan is a tree (no value with two consumers; outputs are checked at the
/// end) and every task lists its non-literal inputs deepest first (by the longest chain of
/// tasks below each). Gathered in `finish`, where the inputs are at hand: this is all a tree
/// pays.
#[derive(Debug)]
pub(super) struct Depth {
    /// The height of the current task's last non-literal input so far.
    last: u64,
    keeps: bool,
}

impl Depth {
    pub(super) fn new() -> Depth {
        Depth { last: u64::MAX, keeps: true }
    }

    /// The current task's next non-literal input has height `h` (the longest chain of
    /// non-literal tasks ending in it) and `uses` consumers so far, the current task included.
    #[inline]
    pub(super) fn input(&mut self, h: u64, uses: u32) {
        self.keeps &= h <= self.last && uses <= 1;
        self.last = h;
    }

    /// The current task has had all its inputs.
    #[inline]
    pub(super) fn end_task(&mut self) {
        self.last = u64::MAX;
    }

    /// Whether the post-order can stay, once every task is planned: also no output is
    /// requested twice, or used by a task as well (`uses(o)` counts both).
    pub(super) fn keeps(&self, outputs: &[u32], uses: impl Fn(usize) -> u32) -> bool {
        self.keeps && outputs.iter().all(|&o| uses(o as usize) <= 1)
    }
}

/// One task's state in an ordering walk: what `place` reads and writes for a task, side by
/// side, so that visiting a task is one bounds check and one cache line rather than one of
/// each per array.
#[derive(Clone, Copy)]
struct TaskState {
    /// The new index, or [`UNPLACED`].
    placed: u32,
    /// Consumer entries not placed yet.
    remaining: u32,
    /// Non-literal inputs not placed yet.
    waiting: u32,
    /// A literal: never pulled, placed just before its first consumer.
    literal: bool,
    /// Neither a literal nor a requested output: its value is released by its last consumer.
    releasable: bool,
}

/// The state of one ordering walk, indexed by the collected (post-order) index.
struct Walk {
    /// Each task's inputs, deepest first (stable: ties keep argument order); CSR over
    /// `PlanView::dep_start`.
    sorted: Vec<u32>,
    /// Dependents, CSR.
    dependents_start: Vec<u32>,
    dependents: Vec<u32>,
    state: Vec<TaskState>,
    /// The tasks in their new order (collected indices).
    order: Vec<u32>,
    /// Ready tasks to place at once (rule 3), last pushed first.
    eager: Vec<u32>,
    /// Whether the plan has literals at all (else `place` need not look for them).
    literals: bool,
}

impl Walk {
    fn new(plan: &PlanView<'_>, height: &[u64]) -> Walk {
        let n = plan.tasks.len();
        let mut sorted = plan.dep_list.clone();
        for i in 0..n {
            let (start, end) = (plan.dep_start[i] as usize, plan.dep_start[i + 1] as usize);
            match &mut sorted[start..end] {
                [] | [_] => {}
                // The common join, without a call: swap only a strictly deeper second input.
                [a, b] => {
                    if height[*b as usize] > height[*a as usize] {
                        std::mem::swap(a, b);
                    }
                }
                more => more.sort_by_key(|&d| std::cmp::Reverse(height[d as usize])),
            }
        }
        let (dependents_start, dependents) = plan.invert();
        let mut state: Vec<TaskState> = dependents_start
            .windows(2)
            .zip(plan.waiting.iter().zip(&plan.literal))
            .map(|(range, (&waiting, &literal))| TaskState {
                placed: UNPLACED,
                remaining: range[1] - range[0],
                waiting,
                literal,
                releasable: !literal,
            })
            .collect();
        for &o in &plan.outputs {
            state[o as usize].releasable = false;
        }
        Walk {
            sorted,
            dependents_start,
            dependents,
            state,
            order: Vec::with_capacity(n),
            eager: Vec::new(),
            literals: plan.literal.contains(&true),
        }
    }

    fn dependents(&self, i: usize) -> &[u32] {
        &self.dependents[self.dependents_start[i] as usize..self.dependents_start[i + 1] as usize]
    }

    /// Whether placing ready task `w` would release one of its inputs.
    fn frees(&self, plan: &PlanView<'_>, w: usize) -> bool {
        plan.deps(w).iter().any(|&x| {
            let x = &self.state[x as usize];
            x.releasable && x.remaining == 1
        })
    }

    /// Pulls every output in request order and returns the new order.
    fn run(mut self, plan: &PlanView<'_>) -> Vec<u32> {
        let mut stack: Vec<(u32, u32)> = Vec::new();
        for &out in &plan.outputs {
            self.pull(plan, out, &mut stack);
        }
        self.order
    }

    /// Places `root` after everything it needs, deepest inputs first (rule 2).
    fn pull(&mut self, plan: &PlanView<'_>, root: u32, stack: &mut Vec<(u32, u32)>) {
        if self.state[root as usize].placed != UNPLACED {
            return;
        }
        stack.push((root, plan.dep_start[root as usize]));
        while let Some(&mut (task, ref mut cursor)) = stack.last_mut() {
            let end = plan.dep_start[task as usize + 1];
            if *cursor < end {
                let dep = self.sorted[*cursor as usize];
                *cursor += 1;
                let s = &self.state[dep as usize];
                if s.placed == UNPLACED && !s.literal {
                    stack.push((dep, plan.dep_start[dep as usize]));
                }
            } else {
                stack.pop();
                if self.state[task as usize].placed == UNPLACED {
                    self.settle(plan, task as usize);
                }
            }
        }
    }

    /// Places ready task `task`, then every task rule 3 makes eager.
    fn settle(&mut self, plan: &PlanView<'_>, task: usize) {
        self.place(plan, task);
        while let Some(w) = self.eager.pop() {
            if self.state[w as usize].placed == UNPLACED {
                self.place(plan, w as usize);
            }
        }
    }

    /// Gives `task` the next index.
    #[inline(always)]
    fn put(&mut self, task: usize) {
        self.state[task].placed = self.order.len() as u32;
        self.order.push(task as u32);
    }

    /// Gives ready task `task` the next index (its unplaced literal inputs just before it),
    /// and queues the consumers rule 3 wants next.
    fn place(&mut self, plan: &PlanView<'_>, task: usize) {
        if self.state[task].literal {
            // A requested literal: never scheduled, so no count of a dependent waits for it.
            self.put(task);
            return;
        }
        let deps = plan.deps(task);
        if self.literals {
            for &d in deps {
                let s = self.state[d as usize];
                if s.literal && s.placed == UNPLACED {
                    self.put(d as usize);
                }
            }
        }
        self.put(task);
        for &d in deps {
            let s = &mut self.state[d as usize];
            s.remaining -= 1;
            if s.remaining == 1 && s.releasable {
                // `d` is down to one consumer: run it now if it is ready.
                let last = self.dependents(d as usize).iter().copied().find(|&w| {
                    let w = &self.state[w as usize];
                    w.placed == UNPLACED && w.waiting == 0
                });
                self.eager.extend(last);
            }
        }
        let (start, end) =
            (self.dependents_start[task] as usize, self.dependents_start[task + 1] as usize);
        for k in start..end {
            let w = self.dependents[k] as usize;
            let s = &mut self.state[w];
            s.waiting -= 1;
            if s.waiting == 0 && s.placed == UNPLACED && self.frees(plan, w) {
                self.eager.push(w as u32);
            }
        }
    }
}

/// Applies `order` (collected indices in their new order) to every per-task array.
fn permute(plan: &mut PlanView<'_>, facts: Option<&mut Facts>, order: &[u32]) {
    let n = order.len();
    let mut new_of = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        new_of[old as usize] = new as u32;
    }
    let pick = |old: &[u32]| order.iter().map(|&o| old[o as usize]).collect::<Vec<u32>>();
    plan.tasks = order.iter().map(|&o| plan.tasks[o as usize]).collect();
    plan.handles = order.iter().map(|&o| plan.handles[o as usize]).collect();
    plan.literal = order.iter().map(|&o| plan.literal[o as usize]).collect();
    plan.uses = pick(&plan.uses);
    plan.waiting = pick(&plan.waiting);
    let mut dep_start = Vec::with_capacity(n + 1);
    let mut dep_list = Vec::with_capacity(plan.dep_list.len());
    dep_start.push(0);
    for &o in order {
        let deps = plan.deps(o as usize);
        dep_list.extend(deps.iter().map(|&d| new_of[d as usize]));
        dep_start.push(dep_list.len() as u32);
    }
    plan.dep_start = dep_start;
    plan.dep_list = dep_list;
    for out in &mut plan.outputs {
        *out = new_of[*out as usize];
    }
    if !plan.program_start.is_empty() {
        let mut start = Vec::with_capacity(n + 1);
        let mut program = Vec::with_capacity(plan.program.len());
        start.push(0);
        for &o in order {
            let (a, b) = (plan.program_start[o as usize], plan.program_start[o as usize + 1]);
            program.extend_from_slice(&plan.program[a as usize..b as usize]);
            start.push(program.len() as u32);
        }
        plan.program_start = start;
        plan.program = program;
    }
    if let Some(facts) = facts {
        facts.kinds = order.iter().map(|&o| facts.kinds[o as usize]).collect();
    }
}
