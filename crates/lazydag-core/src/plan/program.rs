//! Fused tasks: a small stack program per scheduled task that runs several recorded tasks back
//! to back, with no scheduler round-trip between them.
//!
//! A program is the post-order of the tasks fused into a root (and of the literals and cheap
//! tasks inlined into them): [`Instr::Input`] pushes the task's next scheduled input, and
//! [`Instr::Call`] runs a recorded task on the top `deps.len()` values of the stack and pushes
//! its value. Runs of two or more one-input functions in a row are *carried*
//! ([`Instr::CarryStart`] … [`Instr::CarryEnd`]): the value passes from one to the next inside
//! one box that each step reuses when the types match, instead of a new box per step.
//!
//! Invariants: every recorded task appears at most once per program unless it is an inlined
//! literal or cheap task (evaluated once per consumer, by design); a program ends with its
//! root; the inputs it consumes are exactly the task's scheduled dependencies, in order.

use std::fmt;
use std::sync::Arc;

use crate::node::{Carrier, Failure, Node};
use crate::plan::TaskRef;
use crate::value::Value;

/// One step of a fused task's program.
#[derive(Clone, Copy)]
pub(crate) enum Instr<'g> {
    /// Push the task's next scheduled input.
    Input,
    /// Run a recorded task on the top of the stack; push its value.
    Call(&'g Arc<Node>),
    /// Start a carried run: wrap the top of the stack, run the task on it.
    CarryStart(&'g Arc<Node>),
    /// Run the task on the carried value.
    Carry(&'g Arc<Node>),
    /// Run the task on the carried value, unwrap its value and push it.
    CarryEnd(&'g Arc<Node>),
}

impl<'g> Instr<'g> {
    /// The recorded task this step runs, if any.
    pub(crate) fn node(self) -> Option<&'g Arc<Node>> {
        match self {
            Instr::Input => None,
            Instr::Call(n) | Instr::CarryStart(n) | Instr::Carry(n) | Instr::CarryEnd(n) => Some(n),
        }
    }
}

impl fmt::Debug for Instr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instr::Input => f.write_str("Input"),
            Instr::Call(n) => write!(f, "Call({})", n.key()),
            Instr::CarryStart(n) => write!(f, "CarryStart({})", n.key()),
            Instr::Carry(n) => write!(f, "Carry({})", n.key()),
            Instr::CarryEnd(n) => write!(f, "CarryEnd({})", n.key()),
        }
    }
}

/// Pushes onto `program` the steps that run `members` (each with whether it carries) one
/// after the other, each on the value of the one before: runs of two or more carrying members
/// become carried runs. A loop over a slice, not an iterator adapter: collecting a fused
/// chain calls it once per chain, and its cost per member is part of every fused compute.
pub(crate) fn push_carried<'g>(members: &[(&'g Arc<Node>, bool)], program: &mut Vec<Instr<'g>>) {
    program.reserve(members.len());
    let mut in_run = false;
    for (i, &(node, carries)) in members.iter().enumerate() {
        let next_carries = members.get(i + 1).is_some_and(|&(_, c)| c);
        program.push(match (carries, in_run, next_carries) {
            (false, ..) => {
                in_run = false;
                Instr::Call(node)
            }
            (true, false, true) => {
                in_run = true;
                Instr::CarryStart(node)
            }
            (true, true, true) => Instr::Carry(node),
            (true, true, false) => {
                in_run = false;
                Instr::CarryEnd(node)
            }
            (true, false, false) => Instr::Call(node),
        });
    }
}

/// Turns every run of two or more consecutive one-input functions into a carried run, by the
/// rule of [`push_carried`]. (In post-order, a one-input task always takes the value the step
/// before it pushed.) Steps already carried, and inputs, are left as they are.
pub(crate) fn mark_carried(program: &mut [Instr<'_>]) {
    let is_run = |instr: &Instr<'_>| matches!(instr, Instr::Call(_));
    let mut i = 0;
    while i < program.len() {
        let start = i;
        while i < program.len() && is_run(&program[i]) {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let members: Vec<_> = program[start..i]
            .iter()
            .map(|step| step.node().expect("a run step has a node"))
            .map(|node| (node, node.kind.carries))
            .collect();
        let mut steps = Vec::with_capacity(members.len());
        push_carried(&members, &mut steps);
        program[start..i].copy_from_slice(&steps);
    }
}

/// Runs `program` on `inputs` (drained in order by [`Instr::Input`]) and returns the stack it
/// leaves: the root's value for a whole program, the root's inputs for a program without its
/// last step. `current` names the task running when a failure or panic happens. `stop` is
/// asked before each step, so cancelling or timing out a compute does not wait for a whole
/// fused chain: it fails with [`Failure::Stopped`] between two members, as an unfused compute
/// would stop between two tasks.
pub(crate) fn exec<'g>(
    program: &[Instr<'g>],
    inputs: &mut Vec<Value>,
    current: &mut Option<&'g Arc<Node>>,
    stop: &impl Fn() -> bool,
) -> Result<Vec<Value>, Failure> {
    let mut stack: Vec<Value> = Vec::with_capacity(4);
    let mut next_input = inputs.drain(..);
    let mut carry: Option<Carrier> = None;
    // A step's result, or on failure the return, with what the steps left dropped first.
    macro_rules! step {
        ($result:expr) => {
            match $result {
                Ok(value) => value,
                Err(failure) => return Err(failed(failure, stack, next_input, carry)),
            }
        };
    }
    for &instr in program {
        if !matches!(instr, Instr::Input) && stop() {
            return Err(failed(Failure::Stopped, stack, next_input, carry));
        }
        match instr {
            Instr::Input => {
                stack.push(next_input.next().expect("one scheduled input per Input step"));
            }
            Instr::Call(node) => {
                *current = Some(node);
                let from = stack.len() - node.deps.len();
                let cloner = if node.kind.literal { node.cloner() } else { None };
                let value = step!(node.op.call(&mut stack, from, cloner));
                stack.push(value);
            }
            Instr::CarryStart(node) => {
                *current = Some(node);
                let input = stack.pop().expect("a carried run starts on a value");
                let mut boxed = node.op.carry_in(input);
                step!(node.op.call_carried(&mut boxed));
                carry = Some(boxed);
            }
            Instr::Carry(node) => {
                *current = Some(node);
                step!(node.op.call_carried(carry.as_mut().expect("inside a carried run")));
            }
            Instr::CarryEnd(node) => {
                *current = Some(node);
                let mut boxed = carry.take().expect("inside a carried run");
                step!(node.op.call_carried(&mut boxed));
                stack.push(node.op.carry_out(boxed));
            }
        }
    }
    Ok(stack)
}

/// A failed step of [`exec`]: what the members before it left, the inputs not yet used and
/// the carried value are dropped, one catch each, so that two panicking `Drop`s among them
/// cannot abort the process; then the failure.
#[cold]
#[inline(never)]
fn failed(
    failure: Failure,
    stack: Vec<Value>,
    inputs: impl Iterator<Item = Value>,
    carry: Option<Carrier>,
) -> Failure {
    crate::panic::drop_each_quietly(stack);
    crate::panic::drop_each_quietly(inputs);
    crate::panic::drop_quietly(carry);
    failure
}

/// A fused task's label, like Dask's fused keys: member names joined by `-` (literals left
/// out), a run of one name counted (`inc×999`), long lists cut in the middle.
pub(crate) fn chain_name(members: &[TaskRef<'_>]) -> String {
    let mut runs: Vec<(String, usize)> = Vec::new();
    for task in members.iter().filter(|t| !t.is_literal()) {
        let name = task.key().name().to_owned();
        match runs.last_mut() {
            Some((last, count)) if *last == name => *count += 1,
            _ => runs.push((name, 1)),
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(name, count)| if count > 1 { format!("{name}×{count}") } else { name })
        .collect();
    if parts.len() > 6 {
        let total: usize = members.iter().filter(|t| !t.is_literal()).count();
        let head = parts[..3].join("-");
        let tail = parts[parts.len() - 2..].join("-");
        format!("{head}-…-{tail} ({total} tasks)")
    } else {
        parts.join("-")
    }
}

/// Displays a program's [`chain_name`] (computed only when shown: a disabled trace costs nothing).
pub(crate) struct ChainName<'a, 'g>(pub(crate) &'a [Instr<'g>]);

impl fmt::Display for ChainName<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members: Vec<TaskRef<'_>> =
            self.0.iter().filter_map(|step| step.node()).map(TaskRef::new).collect();
        f.write_str(&chain_name(&members))
    }
}
