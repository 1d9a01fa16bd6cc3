//! Optimizing a collected plan: run the [`Optimizer`]'s passes over a
//! [`Graph`](lazydag_optimize::Graph) view of it, then rebuild the plan with one task per
//! root, each fused root carrying the program of the tasks that run inside it.
//!
//! Invariants: the rebuilt plan is again topological (a root's inputs come from roots with
//! smaller indices, and roots keep their relative order), its use counts count every `Input`
//! step, and it is checked for `Clone` again before anything runs.

use lazydag_optimize::{Graph, Kind, OptimizeReport, Optimizer, Role};

use super::PlanView;
use super::program::{Instr, mark_carried};

/// Optimizes `plan`; returns it unchanged (with its report) when no pass changed anything.
pub(super) fn optimize<'g>(plan: PlanView<'g>, optimizer: &Optimizer) -> PlanView<'g> {
    let n = plan.len();
    let kinds: Vec<Kind> = (0..n)
        .map(|i| {
            let node = plan.tasks[i];
            if plan.literal[i] {
                Kind::Literal
            } else if node.op.is_async() {
                Kind::Async
            } else if node.is_inline() {
                Kind::Cheap
            } else {
                Kind::Function
            }
        })
        .collect();
    let clonable: Vec<bool> = plan.tasks.iter().map(|node| node.cloner().is_some()).collect();
    let (roles, report) = {
        let graph =
            Graph::from_csr(kinds, &plan.dep_start[..], &plan.dep_list[..], &plan.outputs[..]);
        let mut graph = graph
            .expect("a collected plan is a topological graph")
            .with_clonable(clonable)
            .with_names(|i| plan.tasks[i].key().name().to_owned());
        let report = optimizer.run(&mut graph);
        (graph.roles().collect::<Vec<Role>>(), report)
    };
    if report.after == report.before {
        return PlanView { report: Some(report), ..plan };
    }
    rebuild(plan, &roles, report)
}

/// One step of the walk that writes a root's program.
struct Frame {
    task: u32,
    cursor: u32,
}

/// Builds the plan of the roots, each with its program.
fn rebuild<'g>(old: PlanView<'g>, roles: &[Role], report: OptimizeReport) -> PlanView<'g> {
    let n = old.len();
    let mut new_index = vec![u32::MAX; n];
    let mut plan = PlanView {
        tasks: Vec::with_capacity(report.after),
        handles: Vec::with_capacity(report.after),
        literal: Vec::with_capacity(report.after),
        dep_start: Vec::with_capacity(report.after + 1),
        dep_list: Vec::new(),
        uses: Vec::with_capacity(report.after),
        waiting: Vec::with_capacity(report.after),
        outputs: Vec::with_capacity(old.outputs.len()),
        dependents: Default::default(),
        stop: Default::default(),
        program_start: Vec::with_capacity(report.after + 1),
        program: Vec::new(),
        report: Some(report),
    };
    plan.dep_start.push(0);
    plan.program_start.push(0);
    let runs_inside = |dep: usize, consumer: usize| match roles[dep] {
        Role::FusedInto(into) => into == consumer,
        Role::Inlined => true,
        Role::Root | Role::Culled => false,
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut program: Vec<Instr<'g>> = Vec::new();
    for r in 0..n {
        if roles[r] != Role::Root {
            continue;
        }
        let index = plan.tasks.len() as u32;
        new_index[r] = index;
        // Post-order walk of what runs inside `r`, writing its program and its inputs.
        let inputs_start = plan.dep_list.len();
        let mut plain = true;
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
                    debug_assert!(input != u32::MAX, "an input is a root planned earlier");
                    plan.dep_list.push(input);
                    plan.uses[input as usize] += 1;
                }
            } else {
                program.push(Instr::Run(old.handles[task]));
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
    PlanView { stop: old.stop, ..plan }
}
