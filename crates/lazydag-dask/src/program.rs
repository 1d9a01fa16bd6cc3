//! One Dask task on the wire: a [`Spec`] (the lazydag task it stands for and the registered
//! functions it runs back to back) and one bytes input per scheduled dependency.
//!
//! A fused chain ships as one Dask task: its steps run on the worker with values handed from
//! one to the next in memory, encoded only at the end. Invariants: steps are in run order and
//! the last one is the task's value; a step's [`Src::Step`] names an earlier step whose value
//! nothing else uses; every input is used by exactly one step argument.

use lazydag_core::Value;
use serde::{Deserialize, Serialize};

use crate::registry::{CallError, build_id, lookup};

/// Where a step's argument comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Src {
    /// The Dask task's input `k` (a dependency's bytes, or a literal's).
    Input(u32),
    /// The value of an earlier step.
    Step(u32),
}

/// One registered function call inside a Dask task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Step {
    pub(crate) path: String,
    pub(crate) args: Vec<Src>,
}

/// Everything a worker needs besides the inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Spec {
    /// The plan index of the lazydag task, so the client can name it in an error.
    pub(crate) index: u32,
    /// Its key, for the worker's messages.
    pub(crate) key: String,
    /// The client's [`build_id`]: a worker of another build refuses the task.
    pub(crate) build: u64,
    pub(crate) steps: Vec<Step>,
}

/// Why a task failed on a worker, written into the exception message so the client can name
/// the task: `lazydag task #INDEX `KEY` failed|panicked: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskFailure {
    pub(crate) index: u32,
    pub(crate) key: String,
    pub(crate) panicked: bool,
    pub(crate) message: String,
}

const MARK: &str = "lazydag task #";

impl TaskFailure {
    pub(crate) fn render(&self) -> String {
        let how = if self.panicked { "panicked" } else { "failed" };
        format!("{MARK}{} `{}` {how}: {}", self.index, self.key, self.message)
    }

    /// Finds a rendered failure anywhere in `text` (Dask wraps exception messages).
    pub(crate) fn parse(text: &str) -> Option<TaskFailure> {
        let rest = &text[text.find(MARK)? + MARK.len()..];
        let (index, rest) = rest.split_once(" `")?;
        let (key, rest) = rest.split_once("` ")?;
        let (how, message) = rest.split_once(": ")?;
        Some(TaskFailure {
            index: index.parse().ok()?,
            key: key.to_owned(),
            panicked: how == "panicked",
            message: message.trim_end_matches(['\'', '"', ')']).to_owned(),
        })
    }
}

/// Runs one shipped task: decodes `spec`, decodes each input with the codec of the argument it
/// feeds, runs the steps and encodes the last one's value. This is all a worker does per task
/// (`lazydag_native.call` is this function with the GIL released).
///
/// # Errors
/// A rendered failure naming the lazydag task: the function's `Err` or panic, an unregistered
/// path, a build mismatch, or bytes that do not decode.
pub fn run_task(spec: &[u8], inputs: &[&[u8]]) -> Result<Vec<u8>, String> {
    let spec: Spec = rmp_serde::from_slice(spec)
        .map_err(|e| format!("a lazydag task spec does not decode: {e}"))?;
    run_spec(&spec, inputs).map_err(|(panicked, message)| {
        TaskFailure { index: spec.index, key: spec.key.clone(), panicked, message }.render()
    })
}

fn run_spec(spec: &Spec, inputs: &[&[u8]]) -> Result<Vec<u8>, (bool, String)> {
    let failed = |m: String| (false, m);
    if spec.build != build_id() {
        return Err(failed(format!(
            "this worker runs another build of the binary (worker {:016x}, client {:016x}): \
             deploy the client's binary to every worker",
            build_id(),
            spec.build
        )));
    }
    let mut values: Vec<Option<Value>> = Vec::with_capacity(spec.steps.len());
    let mut last = None;
    for step in &spec.steps {
        let f = lookup(&step.path).ok_or_else(|| {
            failed(format!("no #[remote] function `{}` in this worker's binary", step.path))
        })?;
        if step.args.len() != f.arity() {
            return Err(failed(format!(
                "`{}` takes {} arguments, the task gives {}",
                step.path,
                f.arity(),
                step.args.len()
            )));
        }
        let mut args = Vec::with_capacity(step.args.len());
        for (pos, src) in step.args.iter().enumerate() {
            let codec = f.arg(pos);
            args.push(match *src {
                Src::Input(k) => {
                    let bytes = inputs.get(k as usize).ok_or_else(|| {
                        failed(format!("input {k} missing ({} given)", inputs.len()))
                    })?;
                    codec.decode(bytes).map_err(|e| failed(format!("argument {pos}: {e}")))?
                }
                Src::Step(j) => values
                    .get_mut(j as usize)
                    .and_then(Option::take)
                    .ok_or_else(|| failed(format!("step {j} has no value left")))?,
            });
        }
        let value = f.call(args).map_err(|e| match e {
            CallError::Failed(m) => (false, m),
            CallError::Panicked(m) => (true, m),
        })?;
        values.push(Some(value));
        last = Some(f);
    }
    let f = last.ok_or_else(|| failed("a task spec with no steps".to_owned()))?;
    let value = values.pop().flatten().ok_or_else(|| failed("no value".to_owned()))?;
    f.output().encode(&value).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_round_trips_inside_other_text() {
        let f = TaskFailure {
            index: 7,
            key: "stats-42".into(),
            panicked: true,
            message: "bad: input".into(),
        };
        let wrapped = format!("RuntimeError('{}')", f.render());
        assert_eq!(TaskFailure::parse(&wrapped), Some(f));
        assert_eq!(TaskFailure::parse("KilledWorker: x"), None);
    }

    #[test]
    fn another_build_is_refused_naming_the_task() {
        let spec = Spec { index: 3, key: "inc-9".into(), build: build_id() ^ 1, steps: vec![] };
        let err = run_task(&rmp_serde::to_vec(&spec).unwrap(), &[]).unwrap_err();
        assert!(err.starts_with("lazydag task #3 `inc-9` failed: "), "{err}");
        assert!(err.contains("another build of the binary"), "{err}");
    }
}
