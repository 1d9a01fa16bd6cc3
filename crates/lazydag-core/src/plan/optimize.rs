//! Optimizing a collected plan: run the [`Optimizer`]'s passes over a
//! [`Graph`] view of it, then rebuild the plan with one task per root, each fused root carrying
//! the program of the tasks that run inside it.
//!
//! Invariants: the rebuilt plan is again topological (a root's inputs come from tasks with
//! smaller indices, and tasks keep their relative order), its use counts count every `Input`
//! step, and it is checked for `Clone` again before anything runs. Literals stay plan entries
//! even when the report counts them as inlined: a plan never schedules a literal, each
//! consumer evaluates it when it runs, which is what inlining a constant means.

use lazydag_optimize::{Graph, Kind, OptimizeReport, Optimizer, Role, is_chain_link};

use super::PlanView;
use super::collect::Facts;
use super::program::{Instr, mark_carried};

/// Optimizes `plan`, of which `prefused` tasks were already fused while collecting; returns it
/// unchanged (with its report) when no pass changed what runs, and whether it was rebuilt
/// (only a rebuilt plan needs checking again).
pub(super) fn optimize<'g>(
    plan: PlanView<'g>,
    facts: Facts,
    optimizer: &Optimizer,
    prefused: usize,
) -> (PlanView<'g>, bool) {
    optimize_with(plan, facts, optimizer, prefused, true)
}

/// [`optimize`], where `may_skip` allows the shortcut: when no pass could change what runs,
/// the report is computed from the collect's facts instead of by running the passes (the
/// property test below checks that both give the same report).
fn optimize_with<'g>(
    plan: PlanView<'g>,
    facts: Facts,
    optimizer: &Optimizer,
    prefused: usize,
    may_skip: bool,
) -> (PlanView<'g>, bool) {
    let n = plan.len();
    if may_skip
        && facts.cheap == 0
        && optimizer.reduction_width().is_none()
        && optimizer.user_passes().is_empty()
        && (facts.linear == 0 || !optimizer.fuses() || !any_chain_link(&plan, &facts.kinds))
    {
        // No chain link and no cheap task: the passes would only mark literals inlined,
        // which changes nothing that runs (see the module docs). Skip building the graph, and
        // report what the passes would have.
        let literal_outputs = {
            // Requested literals are rare: only they are sorted.
            let mut literals: Vec<u32> =
                plan.outputs.iter().copied().filter(|&o| plan.literal[o as usize]).collect();
            literals.sort_unstable();
            literals.dedup();
            literals.len()
        };
        let inlined = if optimizer.inlines() { facts.literals - literal_outputs } else { 0 };
        let report = OptimizeReport {
            before: n + prefused,
            after: n - inlined,
            culled: 0,
            fused: prefused,
            inlined,
        };
        report.emit();
        return (PlanView { report: Some(report), ..plan }, false);
    }
    let Facts { kinds, .. } = facts;
    // Read here, not while collecting: a node's cloner is not on its first cache line, and
    // only a graph that the passes will look at needs it.
    let clonable: Vec<bool> = plan.tasks.iter().map(|node| node.cloner().is_some()).collect();
    let graph = Graph::from_csr(kinds, &plan.dep_start[..], &plan.dep_list[..], &plan.outputs[..]);
    let mut graph = graph
        .expect("a collected plan is a topological graph")
        .collected()
        .with_clonable(clonable)
        .with_names(|i| plan.tasks[i].key().name().to_owned());
    if prefused > 0 {
        let sizes = (0..n).map(|i| plan.program(i).map_or(1, runs) as u32).collect();
        graph = graph.with_group_sizes(sizes);
    }
    let report = optimizer.run(&mut graph);
    // Inlined literals change nothing: a plan never schedules a literal (see the module docs).
    let changed = graph.report().after + graph.inlined_literals() < n;
    if !changed {
        drop(graph);
        return (PlanView { report: Some(report), ..plan }, false);
    }
    let rebuilt = rebuild(&plan, &graph, report);
    drop(graph);
    (PlanView { stop: plan.stop, ..rebuilt }, true)
}

/// Whether some task and its only non-literal input form a link `FuseLinear` could fuse
/// ([`is_chain_link`], the one rule). One pass over the plan's arrays (never the nodes), no graph built.
fn any_chain_link(plan: &PlanView<'_>, kinds: &[Kind]) -> bool {
    let mut output = vec![false; plan.len()];
    for &o in &plan.outputs {
        output[o as usize] = true;
    }
    // `waiting[i]` counts task `i`'s scheduled (non-literal) inputs; with one, it is the
    // first non-literal entry of `deps(i)`.
    (0..plan.len()).any(|i| {
        plan.waiting[i] == 1 && {
            let mut inputs = plan.deps(i).iter().map(|&d| d as usize);
            inputs.find(|&d| !plan.literal[d]).is_some_and(|d| {
                let sole_use = plan.uses[d] == 1 && !output[d];
                is_chain_link(kinds[d], sole_use, kinds[i], 1)
            })
        }
    })
}

/// How many recorded tasks a program runs.
fn runs(program: &[Instr<'_>]) -> usize {
    program.iter().filter(|step| step.node().is_some()).count()
}

/// One step of the walk that writes a root's program.
struct Frame {
    task: u32,
    cursor: u32,
}

/// Builds the plan of the roots (and of the literals they use), each root with its program.
fn rebuild<'g>(old: &PlanView<'g>, graph: &Graph<'_>, report: OptimizeReport) -> PlanView<'g> {
    let n = old.len();
    let mut new_index = vec![u32::MAX; n];
    let mut plan = PlanView {
        tasks: Vec::with_capacity(report.after),
        handles: Vec::with_capacity(report.after),
        literal: Vec::with_capacity(report.after),
        dep_start: vec![0],
        dep_list: Vec::new(),
        uses: Vec::with_capacity(report.after),
        waiting: Vec::with_capacity(report.after),
        outputs: Vec::with_capacity(old.outputs.len()),
        dependents: Default::default(),
        initial: Default::default(),
        stop: Default::default(),
        program_start: vec![0],
        program: Vec::new(),
        report: Some(report),
        cache_miss: old.cache_miss,
    };
    // Runs inside its consumer: fused into it, or an inlined function. (Inlined literals stay
    // plan entries that each consumer evaluates.)
    let runs_inside = |dep: usize, consumer: usize| match graph.role(dep) {
        Role::FusedInto(into) => into == consumer,
        Role::Inlined => !old.literal[dep],
        Role::Root | Role::Culled => false,
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut program: Vec<Instr<'g>> = Vec::new();
    for r in 0..n {
        let planned = match graph.role(r) {
            Role::Root => true,
            Role::Inlined => old.literal[r],
            Role::FusedInto(_) | Role::Culled => false,
        };
        if !planned {
            continue;
        }
        new_index[r] = plan.tasks.len() as u32;
        // Post-order walk of what runs inside `r`, writing its program and its inputs.
        let inputs_start = plan.dep_list.len();
        let mut plain = old.program(r).is_none();
        program.clear();
        stack.push(Frame { task: r as u32, cursor: 0 });
        while let Some(frame) = stack.last_mut() {
            let task = frame.task as usize;
            if let Some(&dep) = old.deps(task).get(frame.cursor as usize) {
                frame.cursor += 1;
                let dep = dep as usize;
                if runs_inside(dep, task) {
                    plain = false;
                    stack.push(Frame { task: dep as u32, cursor: 0 });
                } else {
                    program.push(Instr::Input);
                    let input = new_index[dep];
                    debug_assert!(input != u32::MAX, "an input is planned before its consumer");
                    plan.dep_list.push(input);
                    plan.uses[input as usize] += 1;
                }
            } else {
                match old.program(task) {
                    // A chain fused while collecting: its inputs all come first, then its runs.
                    Some(inner) => program.extend(inner.iter().filter(|s| s.node().is_some())),
                    None => program.push(Instr::Call(old.handles[task])),
                }
                stack.pop();
            }
        }
        let waiting =
            plan.dep_list[inputs_start..].iter().filter(|&&d| !plan.literal[d as usize]).count()
                as u32;
        if !plain {
            mark_carried(&mut program);
            plan.program.extend_from_slice(&program);
        }
        plan.program_start.push(plan.program.len() as u32);
        plan.tasks.push(old.tasks[r]);
        plan.handles.push(old.handles[r]);
        plan.literal.push(old.literal[r]);
        plan.dep_start.push(plan.dep_list.len() as u32);
        plan.uses.push(0);
        plan.waiting.push(waiting);
    }
    for &o in &old.outputs {
        let index = new_index[o as usize];
        plan.outputs.push(index);
        plan.uses[index as usize] += 1;
    }
    plan
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use lazydag_optimize::Optimizer;

    use super::optimize_with;
    use crate::delayed::{Delayed, delayed};
    use crate::plan::TaskRef;
    use crate::plan::collect::Collector;

    fn add(a: u64, b: u64) -> u64 {
        a + b
    }

    /// A graph from `steps`: each step adds a task reading earlier nodes (a chain link, a
    /// join, a cheap task, a join with a literal, or an async-free map of two), holding on to
    /// its handle or not (which decides what the collector may fuse). Returns the outputs and
    /// the handles held.
    fn graph(steps: &[(u8, usize, usize, bool)], outputs: usize) -> Vec<Delayed<u64>> {
        let mut nodes: Vec<Option<Delayed<u64>>> = vec![Some(delayed(1_u64))];
        let mut held = Vec::new();
        for &(shape, a, b, hold) in steps {
            let pick = |i: usize, nodes: &[Option<Delayed<u64>>]| {
                let live: Vec<&Delayed<u64>> = nodes.iter().flatten().collect();
                live[i % live.len()].clone()
            };
            let (x, y) = (pick(a, &nodes), pick(b, &nodes));
            let node = match shape % 4 {
                0 => x.map(|v: u64| v + 1),
                1 => crate::delayed!(add(&x, &y)),
                2 => x.map(|v: u64| v * 2).inline(),
                _ => crate::delayed!(add(&x, 5)),
            };
            if hold {
                held.push(node.clone());
            }
            nodes.push(Some(node));
            // Drop the handles nobody holds any more, so that chains can fuse while collecting.
            let len = nodes.len();
            for slot in &mut nodes[..len.saturating_sub(2)] {
                *slot = None;
            }
            nodes[0] = Some(delayed(1_u64));
        }
        let live: Vec<Delayed<u64>> = nodes.into_iter().flatten().collect();
        let mut out: Vec<Delayed<u64>> = live.iter().rev().take(outputs).cloned().collect();
        out.extend(held.into_iter().step_by(3));
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The shortcut that skips the passes reports exactly what running them reports.
        #[test]
        fn the_skip_path_and_the_passes_give_the_same_report(
            steps in proptest::collection::vec((0u8..4, 0usize..64, 0usize..64, any::<bool>()), 1..40),
            outputs in 1usize..3,
            reductions in any::<bool>(),
        ) {
            let outs = graph(&steps, outputs);
            let roots: Vec<TaskRef<'_>> = outs.iter().map(Delayed::task).collect();
            let optimizer = if reductions {
                Optimizer::default().fuse_reductions(Some(4))
            } else {
                Optimizer::default()
            };
            let report = |may_skip: bool| {
                let collected = Collector::new(true, Some(optimizer.chain_limit())).collect(&roots);
                let facts = collected.facts.expect("an optimizing collect records facts");
                let (plan, _) =
                    optimize_with(collected.plan, facts, &optimizer, collected.prefused, may_skip);
                plan.report
            };
            prop_assert_eq!(report(true), report(false));
        }
    }
}
