//! [`RemoteGraph`]: a lazydag plan checked and translated for a cluster, before anything is
//! sent. Every scheduled task becomes one shipped task (a fused chain included); every
//! literal input is encoded with the codec of the argument it feeds. A gathering task (a
//! `Vec` of handles passed to a registered function) ships as a [`GATHER`] step that
//! concatenates its inputs' bytes.
//!
//! Invariants: a `RemoteGraph` exists only if every function task of the plan is a registered
//! `#[remote]` function (the entry found by the task's path has the `TypeId` of the task's own
//! function, so a worker's look-up by path runs that function) whose registered value type is
//! the task's, and every literal it ships serialized; shipped tasks are in plan order, so each
//! one's dependencies come before it.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use lazydag_core::{Error, PlanView, TaskKey, TaskRef, Value};

use crate::codec::Codec;
use crate::error::DaskError;
use crate::program::{GATHER, Spec, Src, Step, TaskFailure, run_task};
use crate::registry::{build_id, lookup, registered};

/// An input of a shipped task.
#[derive(Debug)]
pub(crate) enum Arg {
    /// The value of shipped task `n` (an index into [`RemoteGraph::tasks`]).
    Task(usize),
    /// A literal's bytes.
    Literal(Vec<u8>),
}

/// One shipped task.
#[derive(Debug)]
pub(crate) struct RemoteTask {
    /// Its lazydag key (the root of a fused chain).
    pub(crate) key: TaskKey,
    /// The encoded [`Spec`].
    pub(crate) spec: Vec<u8>,
    pub(crate) args: Vec<Arg>,
    /// How its bytes decode on the client (`None` for a gather, which is never an output).
    pub(crate) output: Option<Codec>,
}

/// A requested output: a shipped task's bytes, or a literal's value taken on the client.
pub(crate) enum Output {
    Task(usize),
    Literal(Value),
}

/// A plan translated for a cluster: the shipped tasks and the requested outputs.
pub struct RemoteGraph {
    pub(crate) tasks: Vec<RemoteTask>,
    pub(crate) outputs: Vec<Output>,
    /// Plan index → the shipped task's index, to name a failed task.
    pub(crate) plan_index: Vec<usize>,
}

/// A refusal naming `task`, as the compute's error.
fn refuse(task: TaskRef<'_>, why: String) -> Error {
    let key = task.key();
    Error::Failed { source: Arc::new(DaskError::Refused { task: key.to_string(), why }), task: key }
}

impl RemoteGraph {
    /// Checks and translates a plan (optimized or not). Costs O(tasks + edges); runs no task
    /// except that it takes the value of each literal, to encode it.
    ///
    /// # Errors
    /// [`Error::Failed`] naming the first task that cannot run on a cluster, with a
    /// [`DaskError::Refused`] source saying why and what to do: a closure (`.map`), a function
    /// without `#[remote]` (one whose path is that of another, registered function included),
    /// an async task, a gather requested as an output or fed a literal, a `Result` function
    /// recorded with `delayed!` instead of `try_delayed!`, a literal whose `Serialize` fails. A
    /// literal already moved is [`Error::LiteralMoved`], as locally.
    pub fn from_plan(plan: &PlanView<'_>) -> Result<RemoteGraph, Error> {
        let mut shipped = vec![usize::MAX; plan.len()];
        let mut tasks = Vec::new();
        let mut plan_index = Vec::new();
        for i in 0..plan.len() {
            if plan.is_literal(i) {
                continue;
            }
            let task = translate(plan, i, &shipped)?;
            shipped[i] = tasks.len();
            tasks.push(task);
            plan_index.push(i);
        }
        let mut outputs = Vec::with_capacity(plan.outputs().len());
        for &o in plan.outputs() {
            let o = o as usize;
            outputs.push(if plan.is_literal(o) {
                Output::Literal(plan.run(o, &mut Vec::new())?)
            } else if tasks[shipped[o]].output.is_none() {
                return Err(refuse(
                    plan.task(o),
                    "it is a gathering task requested as an output (a `Vec` of handles \
                     collected into one); request the elements as outputs instead, or pass \
                     the Vec to a #[remote] fn"
                        .to_owned(),
                ));
            } else {
                Output::Task(shipped[o])
            });
        }
        Ok(RemoteGraph { tasks, outputs, plan_index })
    }

    /// The number of shipped tasks (one per scheduled task; literals travel inside them).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether nothing is shipped (every output is a literal).
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The bytes sent per task beyond its inputs' own bytes: the encoded spec (function
    /// paths, key, build id), summed over all shipped tasks.
    pub fn spec_bytes(&self) -> usize {
        self.tasks.iter().map(|t| t.spec.len()).sum()
    }

    /// The literal bytes sent with the tasks (a literal feeding several tasks counts once per
    /// task): the parameters a closure would have held, such as an array recipe.
    pub fn literal_bytes(&self) -> usize {
        let literal = |a: &Arg| if let Arg::Literal(b) = a { b.len() } else { 0 };
        self.tasks.iter().flat_map(|t| &t.args).map(literal).sum()
    }

    /// Runs the shipped tasks in this process, exactly as workers would (bytes in, bytes
    /// out, through the registry), and returns the outputs' values: a check of the
    /// translation and codecs that needs no cluster.
    ///
    /// # Errors
    /// The first task failure, as [`Error::Failed`] or [`Error::Panicked`] naming the task.
    pub fn run_here(self) -> Result<Vec<Value>, Error> {
        let mut results: Vec<Vec<u8>> = Vec::with_capacity(self.tasks.len());
        for task in &self.tasks {
            let inputs: Vec<&[u8]> = task
                .args
                .iter()
                .map(|a| match a {
                    Arg::Task(n) => results[*n].as_slice(),
                    Arg::Literal(bytes) => bytes.as_slice(),
                })
                .collect();
            let out = run_task(&task.spec, &inputs).map_err(|m| self.task_error(&m))?;
            results.push(out);
        }
        let bytes: Vec<Option<Vec<u8>>> = results.into_iter().map(Some).collect();
        self.finish(bytes)
    }

    /// Decodes the outputs from the shipped tasks' bytes (`bytes[n]` for task `n`; only the
    /// output tasks' entries are read).
    pub(crate) fn finish(self, bytes: Vec<Option<Vec<u8>>>) -> Result<Vec<Value>, Error> {
        let mut values = Vec::with_capacity(self.outputs.len());
        for output in self.outputs {
            values.push(match output {
                Output::Literal(value) => value,
                Output::Task(n) => {
                    let task = &self.tasks[n];
                    let data = bytes[n].as_deref().ok_or_else(|| Error::Scheduler {
                        scheduler: "dask".into(),
                        message: format!("no result came back for task `{}`", task.key),
                    })?;
                    let output = task.output.expect("outputs were checked not to be gathers");
                    output.decode(data).map_err(|m| Error::Failed {
                        task: task.key.clone(),
                        source: Arc::new(DaskError::Remote { message: m }),
                    })?
                }
            });
        }
        Ok(values)
    }

    /// The error for a worker's message: naming the task when the message is a rendered
    /// [`TaskFailure`], else a scheduler error carrying the message.
    pub(crate) fn task_error(&self, message: &str) -> Error {
        let named = TaskFailure::parse(message).and_then(|f| {
            let n = self.plan_index.iter().position(|&i| i == f.index as usize)?;
            Some((self.tasks[n].key.clone(), f))
        });
        match named {
            Some((task, f)) if f.panicked => {
                // A remote panic has no location here: the wire format carries only its message.
                Error::Panicked { task, message: f.message, location: None }
            }
            Some((task, f)) => {
                Error::Failed { task, source: Arc::new(DaskError::Remote { message: f.message }) }
            }
            None => Error::Scheduler { scheduler: "dask".into(), message: message.to_owned() },
        }
    }
}

impl fmt::Debug for RemoteGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteGraph")
            .field("tasks", &self.tasks.len())
            .field("outputs", &self.outputs.len())
            .finish()
    }
}

/// A frame of the walk that rebuilds a task's program: a member and the arguments found so far.
struct Frame<'g> {
    node: TaskRef<'g>,
    next: usize,
    args: Vec<Src>,
}

/// Translates scheduled task `i` (alone or the root of a fused chain) into a shipped task.
///
/// The fused program is rebuilt from the members' own dependencies: a dependency that is a
/// member runs inside the task (a step), any other is the task's next scheduled input. The
/// walk is the same post-order the core's fusion uses, so inputs come in plan order; each is
/// checked against `plan.deps(i)` and a mismatch is an error, never a wrong result.
fn translate(plan: &PlanView<'_>, i: usize, shipped: &[usize]) -> Result<RemoteTask, Error> {
    let members = plan.members(i);
    for &m in &members {
        check_member(m)?;
    }
    let member_ids: HashSet<u64> = members.iter().map(|m| m.id()).collect();
    let root = *members.last().expect("a task runs at least itself");
    let scheduled = plan.deps(i);
    let mut steps: Vec<Step> = Vec::with_capacity(members.len());
    let mut args: Vec<Arg> = Vec::with_capacity(scheduled.len());
    let mut stack = vec![Frame { node: root, next: 0, args: Vec::new() }];
    while let Some(top) = stack.last_mut() {
        if let Some(dep) = top.node.deps().nth(top.next) {
            let pos = top.next;
            top.next += 1;
            if member_ids.contains(&dep.id()) {
                stack.push(Frame { node: dep, next: 0, args: Vec::new() });
                continue;
            }
            let k = args.len();
            let Some(&d) = scheduled.get(k) else {
                return Err(mismatch(root, "more inputs than scheduled dependencies"));
            };
            let d = d as usize;
            if plan.task(d).id() != dep.id() {
                return Err(mismatch(root, "inputs out of order"));
            }
            args.push(if plan.is_literal(d) {
                literal(plan, d, top.node, pos)?
            } else {
                Arg::Task(shipped[d])
            });
            top.args.push(Src::Input(k as u32));
        } else {
            let frame = stack.pop().expect("the loop saw a top frame");
            let path = step_path(frame.node).expect("members were checked");
            steps.push(Step { path: path.to_owned(), args: frame.args });
            let j = (steps.len() - 1) as u32;
            if let Some(parent) = stack.last_mut() {
                parent.args.push(Src::Step(j));
            }
        }
    }
    if args.len() != scheduled.len() {
        return Err(mismatch(root, "fewer inputs than scheduled dependencies"));
    }
    let key = root.key();
    let output = root.function_path().map(|p| lookup(p).expect("checked").output());
    let spec = Spec { index: i as u32, key: key.to_string(), build: build_id(), steps };
    let spec = rmp_serde::to_vec(&spec).expect("a spec of strings and integers serializes");
    Ok(RemoteTask { key, spec, args, output })
}

fn mismatch(task: TaskRef<'_>, what: &str) -> Error {
    Error::Scheduler {
        scheduler: "dask".into(),
        message: format!("cannot rebuild fused task `{}` for the cluster: {what}", task.key()),
    }
}

/// What a step of `task` runs: its registered function's path, or [`GATHER`].
fn step_path(task: TaskRef<'_>) -> Option<&'static str> {
    if task.is_gather() { Some(GATHER) } else { task.function_path() }
}

/// Checks that a member task can run on a worker.
fn check_member(task: TaskRef<'_>) -> Result<(), Error> {
    const WHAT_TO_DO: &str = "only #[lazydag::remote] functions run on a cluster";
    if task.is_gather() {
        return Ok(());
    }
    let Some(path) = task.function_path() else {
        return Err(refuse(
            task,
            format!(
                "it is an async task (a `{}`); {WHAT_TO_DO}: record a #[remote] function \
                 that takes the inputs instead",
                task.output_type()
            ),
        ));
    };
    if path.contains("{{closure}}") {
        return Err(refuse(
            task,
            format!(
                "it is a closure (`{path}`); {WHAT_TO_DO}: move its body into a \
                 #[remote] fn and record it with delayed!"
            ),
        ));
    }
    let Some(f) = lookup(path) else {
        let name = path.rsplit("::").next().unwrap_or(path);
        let nested = registered().iter().any(|f| f.path().ends_with(&format!("::{name}")));
        let hint = if nested {
            " (a #[remote] fn of that name exists: declare it at module level, not inside a \
             function body, so that its registered path is its type's path)"
        } else {
            ""
        };
        return Err(refuse(
            task,
            format!(
                "`{path}` is not registered; {WHAT_TO_DO}: put #[lazydag::remote] on it (its \
                 arguments and result must be serde types){hint}"
            ),
        ));
    };
    if task.function_type_id() != Some(f.function_type_id()) {
        return Err(refuse(
            task,
            format!(
                "`{path}` is registered, but by another function with the same path (a fn \
                 nested in a function body, or an associated fn, can have the path of a \
                 module's fn), which a worker would run instead; {WHAT_TO_DO}: put \
                 #[lazydag::remote] on the task's function itself, declared at module level, \
                 or rename it"
            ),
        ));
    }
    if f.output().type_name() != task.output_type() {
        return Err(refuse(
            task,
            format!(
                "`{path}` is registered with value type `{}` but the task's is `{}`; record \
                 a function returning Result with try_delayed!",
                f.output().type_name(),
                task.output_type()
            ),
        ));
    }
    Ok(())
}

/// Encodes literal `d`, argument `pos` of `consumer`, with that argument's codec.
fn literal(plan: &PlanView<'_>, d: usize, consumer: TaskRef<'_>, pos: usize) -> Result<Arg, Error> {
    if consumer.is_gather() {
        return Err(refuse(
            plan.task(d),
            format!(
                "it is element {pos} of the gathered `{}`, a literal, whose encoding is not \
                 known there; compute it with a #[remote] fn, or pass it to the function as \
                 its own argument",
                consumer.key()
            ),
        ));
    }
    let f = lookup(consumer.function_path().expect("checked")).expect("checked");
    let value = plan.run(d, &mut Vec::new())?;
    f.arg(pos).encode(&value).map(Arg::Literal).map_err(|why| {
        refuse(
            plan.task(d),
            format!(
                "it is argument {pos} of `{}` and {why}; only literals that serialize can be \
                 sent",
                consumer.key()
            ),
        )
    })
}
