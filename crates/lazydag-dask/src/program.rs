//! One Dask task on the wire: a [`Spec`] (the lazydag task it stands for and the registered
//! functions it runs back to back) and one bytes input per scheduled dependency.
//!
//! A fused chain ships as one Dask task: its steps run on the worker with values handed from
//! one to the next in memory, encoded only at the end. Invariants: steps are in run order and
//! the last one is the task's value; a step's [`Src::Step`] names an earlier step whose value
//! nothing else uses; every input is used by exactly one step argument.
//!
//! A step whose path is [`GATHER`] is a gathering task (`delayed!(f(vec_of_handles))`): it
//! calls nothing and makes the bincode `Vec` of its arguments' bytes (the element count, then
//! the elements' bytes back to back), which is the encoding of the `Vec` the next function
//! takes; the elements' bytes are not decoded.

use lazydag_core::Value;
use serde::{Deserialize, Serialize};

use crate::registry::{CallError, build_id, lookup};

/// The path of a gathering step: not a Rust path, so no registered function has it.
pub(crate) const GATHER: &str = "<gather>";

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

/// A step's value: typed (with the function that made it, for its codec) or, for a gather,
/// already bytes.
enum Slot {
    Typed(Value, &'static crate::registry::RemoteFn),
    Bytes(Vec<u8>),
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
    let mut values: Vec<Option<Slot>> = Vec::with_capacity(spec.steps.len());
    let input = |k: u32| {
        inputs
            .get(k as usize)
            .copied()
            .ok_or_else(|| failed(format!("input {k} missing ({} given)", inputs.len())))
    };
    for step in &spec.steps {
        let mut take = |j: u32| {
            values
                .get_mut(j as usize)
                .and_then(Option::take)
                .ok_or_else(|| failed(format!("step {j} has no value left")))
        };
        if step.path == GATHER {
            let mut bytes = vec_header(step.args.len());
            for src in &step.args {
                match *src {
                    Src::Input(k) => bytes.extend_from_slice(input(k)?),
                    Src::Step(j) => match take(j)? {
                        Slot::Bytes(b) => bytes.extend_from_slice(&b),
                        Slot::Typed(v, f) => bytes.extend(f.output().encode(&v).map_err(failed)?),
                    },
                }
            }
            values.push(Some(Slot::Bytes(bytes)));
            continue;
        }
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
            let decode =
                |b: &[u8]| codec.decode(b).map_err(|e| failed(format!("argument {pos}: {e}")));
            args.push(match *src {
                Src::Input(k) => decode(input(k)?)?,
                Src::Step(j) => match take(j)? {
                    Slot::Typed(v, _) => v,
                    Slot::Bytes(b) => decode(&b)?,
                },
            });
        }
        let value = f.call(args).map_err(|e| match e {
            CallError::Failed(m) => (false, m),
            CallError::Panicked(m) => (true, m),
        })?;
        values.push(Some(Slot::Typed(value, f)));
    }
    match values.pop().flatten() {
        Some(Slot::Typed(v, f)) => f.output().encode(&v).map_err(failed),
        Some(Slot::Bytes(b)) => Ok(b),
        None => Err(failed("a task spec with no steps".to_owned())),
    }
}

/// The bincode header of a `Vec` of `n` elements: its length, as bincode writes a `u64`
/// (`config::standard()`: a varint), which is how it writes a sequence's length.
fn vec_header(n: usize) -> Vec<u8> {
    bincode::serde::encode_to_vec(n as u64, bincode::config::standard())
        .expect("a u64 always encodes")
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
    fn a_gather_is_the_encoding_of_the_vec() {
        let config = bincode::config::standard();
        // Across each of the varint's widths (1, 3, 5 bytes).
        for n in [0usize, 3, 250, 251, 65_535, 65_536, 70_000] {
            let parts: Vec<Vec<u8>> = (0..n as u64)
                .map(|i| bincode::serde::encode_to_vec((i, i as f64), config).unwrap())
                .collect();
            let mut bytes = vec_header(n);
            parts.iter().for_each(|p| bytes.extend_from_slice(p));
            let (back, read): (Vec<(u64, f64)>, usize) =
                bincode::serde::decode_from_slice(&bytes, config).unwrap();
            assert_eq!(read, bytes.len());
            assert_eq!(back.len(), n);
            assert!(back.iter().enumerate().all(|(i, &(a, b))| a == i as u64 && b == i as f64));
        }
    }

    #[test]
    fn another_build_is_refused_naming_the_task() {
        let spec = Spec { index: 3, key: "inc-9".into(), build: build_id() ^ 1, steps: vec![] };
        let err = run_task(&rmp_serde::to_vec(&spec).unwrap(), &[]).unwrap_err();
        assert!(err.starts_with("lazydag task #3 `inc-9` failed: "), "{err}");
        assert!(err.contains("another build of the binary"), "{err}");
    }
}
