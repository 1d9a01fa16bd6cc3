//! A [`RemoteGraph`] as JSON, for inspection and replay: the same translation a cluster gets
//! (registered functions by path, literals as their codec's bincode bytes), written as text
//! and read back in any binary that registers the same functions.
//!
//! Invariants: a literal's `bytes` hex is what runs (its `value` is a readable rendering,
//! ignored when reading), so a replay computes the same bits as the dump's process; a graph
//! is read back only if every function is registered here with the file's argument and value
//! types, every literal decodes as its argument's type, and every input comes from an earlier
//! task. The build fingerprint in the file is informational: a replay stamps this binary's.

use std::collections::BTreeMap;

use lazydag_core::{TaskInfo, TaskKey};
use petgraph::graph::DiGraph;
use serde::{Deserialize, Serialize};

use crate::codec::Codec;
use crate::error::DaskError;
use crate::graph::{Arg, Output, RemoteGraph, RemoteTask};
use crate::program::{Spec, Src, Step};
use crate::registry::{RemoteFn, build_id, lookup};

/// The `format` field of a graph file.
const FORMAT: &str = "lazydag-graph";
/// The `version` field this code writes and reads. Version 2: literals are bincode, in
/// `bytes` (version 1 had MessagePack in `msgpack`, which conflated `None`, `Some(None)` and
/// `Some(())`); a version 1 file is refused, never read as bincode.
const VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
struct File {
    format: String,
    version: u32,
    /// The dumping binary's [`build_id`], in hex.
    build: String,
    tasks: Vec<FileTask>,
    /// Indices into `tasks`.
    outputs: Vec<usize>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileTask {
    key: String,
    /// The task's plan index in the dumping process (errors carry it).
    index: u32,
    /// The Rust type of the task's value.
    output: String,
    /// The registered functions the task runs, in order (several for a fused chain).
    calls: Vec<FileCall>,
    inputs: Vec<FileInput>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileCall {
    function: String,
    args: Vec<FileSrc>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FileSrc {
    /// The task's input `k`.
    Input(u32),
    /// The value of the task's earlier call `j`.
    Call(u32),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FileInput {
    /// The value of task `n` (an index into the file's `tasks`).
    Task(usize),
    Literal(FileLiteral),
}

#[derive(Debug, Serialize, Deserialize)]
struct FileLiteral {
    #[serde(rename = "type")]
    type_name: String,
    /// The value's bytes (its codec's bincode) in hex: what runs.
    bytes: String,
    /// The value rendered as JSON, for reading; ignored when the file is read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
}

fn file_error(why: String) -> DaskError {
    DaskError::GraphFile { why }
}

impl RemoteGraph {
    /// Writes the graph as pretty-printed JSON (the format is in `docs/cli.md`).
    ///
    /// ```
    /// use lazydag_core::{delayed, Plan};
    /// use lazydag_dask::{RemoteGraph, remote};
    /// #[remote]
    /// fn double(x: u32) -> u32 { x * 2 }
    /// # fn main() {
    /// let out = delayed!(double(delayed!(double(5))));
    /// let json = RemoteGraph::from_plan(Plan::new(&[out.task()]).view()).unwrap().to_json().unwrap();
    /// assert!(json.contains("\"format\": \"lazydag-graph\""));
    /// let back = RemoteGraph::from_json(&json).unwrap();
    /// assert_eq!(back.run_here().unwrap()[0].downcast_ref::<u32>(), Some(&20));
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`DaskError::GraphFile`] when an output is a literal rather than a task (a file's
    /// outputs are tasks; compute a literal where it is).
    pub fn to_json(&self) -> Result<String, DaskError> {
        let mut tasks = Vec::with_capacity(self.tasks.len());
        for task in &self.tasks {
            let spec = spec(task);
            let inputs = task
                .args
                .iter()
                .enumerate()
                .map(|(k, arg)| match arg {
                    Arg::Task(n) => FileInput::Task(*n),
                    Arg::Literal(bytes) => FileInput::Literal(FileLiteral {
                        type_name: input_codec(&spec, k).map_or("?", |c| c.type_name()).to_owned(),
                        bytes: hex(bytes),
                        value: render(&spec, k, bytes)
                            .and_then(|text| serde_json::from_str(&text).ok()),
                    }),
                })
                .collect();
            let calls = spec
                .steps
                .iter()
                .map(|s| FileCall {
                    function: s.path.clone(),
                    args: s
                        .args
                        .iter()
                        .map(|a| match *a {
                            Src::Input(k) => FileSrc::Input(k),
                            Src::Step(j) => FileSrc::Call(j),
                        })
                        .collect(),
                })
                .collect();
            // A gather anywhere in the task (its root, or a step of a fused task) has no
            // registered function a file could name: refused here, not at reading.
            let gathers = spec.steps.iter().any(|s| s.path == crate::program::GATHER);
            let (Some(output), false) = (task.output, gathers) else {
                return Err(file_error(format!(
                    "task `{}` gathers a `Vec` of handles into one value; graph files do not hold \
                     gathering tasks yet: pass the elements to a `#[remote]` function instead",
                    task.key
                )));
            };
            tasks.push(FileTask {
                key: task.key.to_string(),
                index: spec.index,
                output: output.type_name().to_owned(),
                calls,
                inputs,
            });
        }
        let mut outputs = Vec::with_capacity(self.outputs.len());
        for (i, output) in self.outputs.iter().enumerate() {
            match output {
                Output::Task(n) => outputs.push(*n),
                Output::Literal(_) => {
                    return Err(file_error(format!(
                        "output {i} is a literal, not a task: a graph file's outputs are \
                         tasks (compute the literal where it is)"
                    )));
                }
            }
        }
        let file = File {
            format: FORMAT.to_owned(),
            version: VERSION,
            build: format!("{:016x}", build_id()),
            tasks,
            outputs,
        };
        Ok(serde_json::to_string_pretty(&file).expect("a graph file is plain data"))
    }

    /// Reads a graph written by [`to_json`](RemoteGraph::to_json), checking it against this
    /// binary's registry before anything runs. Run it with
    /// [`run_here`](RemoteGraph::run_here) (or on a cluster).
    ///
    /// # Errors
    /// [`DaskError::GraphFile`], naming the task at fault: text that is not a graph file of
    /// this version, a function not registered in this binary or registered with other
    /// types, a literal that does not decode as its argument's type, an input that is not an
    /// earlier task.
    pub fn from_json(text: &str) -> Result<RemoteGraph, DaskError> {
        let file: File = serde_json::from_str(text)
            .map_err(|e| file_error(format!("not a lazydag graph file: {e}")))?;
        if file.format != FORMAT || file.version != VERSION {
            return Err(file_error(format!(
                "format `{}` version {} is not `{FORMAT}` version {VERSION}",
                file.format, file.version
            )));
        }
        let mut tasks: Vec<RemoteTask> = Vec::with_capacity(file.tasks.len());
        let mut plan_index = Vec::with_capacity(file.tasks.len());
        let mut seen = std::collections::HashSet::with_capacity(file.tasks.len());
        for (n, task) in file.tasks.into_iter().enumerate() {
            let read = read_task(n, task, &tasks)?;
            // Errors name a task by its index: two tasks with one would blame the wrong one.
            if !seen.insert(read.1) {
                return Err(file_error(format!(
                    "task {n} has index {}, like an earlier task: every task's index is its own",
                    read.1
                )));
            }
            plan_index.push(read.1);
            tasks.push(read.0);
        }
        let outputs = file
            .outputs
            .iter()
            .map(|&n| {
                if n < tasks.len() {
                    Ok(Output::Task(n))
                } else {
                    Err(file_error(format!("output {n} is not one of the {} tasks", tasks.len())))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(RemoteGraph { tasks, outputs, plan_index })
    }

    /// The graph for inspection, like [`lazydag_core::graph`]: one node per task (a fused
    /// chain is one node, named by its last call) and one per literal input (named
    /// `literal`, id 0, its JSON rendering as the value), in run order, edges from each
    /// input to its consumer. [`lazydag_core::critical_path`] and
    /// [`lazydag_core::peak_live`] read it.
    pub fn graph(&self) -> DiGraph<TaskInfo, ()> {
        let mut graph = DiGraph::new();
        let mut node = Vec::with_capacity(self.tasks.len());
        let mut requested = vec![false; self.tasks.len()];
        for output in &self.outputs {
            if let Output::Task(n) = output {
                requested[*n] = true;
            }
        }
        for (task, &output) in self.tasks.iter().zip(&requested) {
            let spec = spec(task);
            let mut inputs = Vec::with_capacity(task.args.len());
            for (k, arg) in task.args.iter().enumerate() {
                inputs.push(match arg {
                    Arg::Task(n) => node[*n],
                    Arg::Literal(bytes) => graph.add_node(TaskInfo {
                        key: TaskKey::new("literal", 0),
                        literal: true,
                        held: false,
                        output_type: input_codec(&spec, k).map_or("?", |c| c.type_name()),
                        value: render(&spec, k, bytes),
                        output: false,
                    }),
                });
            }
            let me = graph.add_node(TaskInfo {
                key: task.key.clone(),
                literal: false,
                held: false,
                output_type: task.output.map_or("gather", |c| c.type_name()),
                value: None,
                output,
            });
            for input in inputs {
                graph.add_edge(input, me, ());
            }
            node.push(me);
        }
        graph
    }

    /// How many calls of each registered function the graph makes, by path (a fused task
    /// counts each of its calls).
    pub fn calls(&self) -> BTreeMap<String, usize> {
        let mut calls = BTreeMap::new();
        for task in &self.tasks {
            for step in spec(task).steps {
                *calls.entry(step.path).or_insert(0) += 1;
            }
        }
        calls
    }

    /// Each requested output's task key and value codec, in order: what names the values
    /// [`run_here`](RemoteGraph::run_here) returns and turns them into text
    /// ([`Codec::to_json`]). `None` for a literal output.
    pub fn output_tasks(&self) -> Vec<Option<(TaskKey, Codec)>> {
        self.outputs
            .iter()
            .map(|o| match o {
                Output::Task(n) => {
                    let task = &self.tasks[*n];
                    task.output.map(|codec| (task.key.clone(), codec))
                }
                Output::Literal(_) => None,
            })
            .collect()
    }
}

/// A shipped task's decoded spec.
fn spec(task: &RemoteTask) -> Spec {
    rmp_serde::from_slice(&task.spec).expect("a RemoteGraph holds specs it encoded")
}

/// Literal input `k`'s bytes rendered as JSON text, for reading, by the codec of the argument
/// it feeds; `None` when there is no rendering.
fn render(spec: &Spec, k: usize, bytes: &[u8]) -> Option<String> {
    input_codec(spec, k)?.bytes_to_json(bytes).ok()
}

/// The codec of the argument that task input `k` feeds.
fn input_codec(spec: &Spec, k: usize) -> Option<Codec> {
    spec.steps.iter().find_map(|step| {
        let pos = step.args.iter().position(|a| *a == Src::Input(k as u32))?;
        Some(lookup(&step.path)?.arg(pos))
    })
}

/// Reads task `n` of a file, checked against the registry and the tasks before it; returns
/// it with its plan index.
fn read_task(
    n: usize,
    task: FileTask,
    before: &[RemoteTask],
) -> Result<(RemoteTask, usize), DaskError> {
    let name = &task.key;
    let bad = |why: String| file_error(format!("task {n} `{name}`: {why}"));
    let key = task
        .key
        .rsplit_once('-')
        .and_then(|(name, id)| Some(TaskKey::new(name, id.parse().ok()?)))
        .ok_or_else(|| bad("its key is not `name-id`".to_owned()))?;
    let mut steps = Vec::with_capacity(task.calls.len());
    let mut fns: Vec<&'static RemoteFn> = Vec::with_capacity(task.calls.len());
    // The codec each input feeds, and how many arguments it feeds.
    let mut feeds: Vec<(Option<Codec>, usize)> = vec![(None, 0); task.inputs.len()];
    for (j, call) in task.calls.iter().enumerate() {
        let f = lookup(&call.function).ok_or_else(|| {
            bad(format!(
                "`{}` is not registered in this binary: replay a graph with the binary that \
                 dumped it, or one that links the same #[lazydag::remote] functions",
                call.function
            ))
        })?;
        if call.args.len() != f.arity() {
            return Err(bad(format!(
                "`{}` takes {} arguments, the file gives {}",
                call.function,
                f.arity(),
                call.args.len()
            )));
        }
        let mut args = Vec::with_capacity(call.args.len());
        for (pos, src) in call.args.iter().enumerate() {
            args.push(match *src {
                FileSrc::Input(k) => {
                    let feed = feeds.get_mut(k as usize).ok_or_else(|| {
                        bad(format!("call {j} reads input {k} of {}", task.inputs.len()))
                    })?;
                    *feed = (Some(f.arg(pos)), feed.1 + 1);
                    Src::Input(k)
                }
                FileSrc::Call(i) => {
                    let from = fns.get(i as usize).ok_or_else(|| {
                        bad(format!("call {j} reads call {i}, which does not come before it"))
                    })?;
                    same_type(from.output(), f.arg(pos)).map_err(&bad)?;
                    Src::Step(i)
                }
            });
        }
        steps.push(Step { path: call.function.clone(), args });
        fns.push(f);
    }
    let last = fns.last().ok_or_else(|| bad("it makes no call".to_owned()))?;
    let output = last.output();
    if output.type_name() != task.output {
        return Err(bad(format!(
            "its value is a `{}` in the file but `{}` returns a `{}` here",
            task.output,
            last.path(),
            output.type_name()
        )));
    }
    let mut args = Vec::with_capacity(task.inputs.len());
    for (k, input) in task.inputs.into_iter().enumerate() {
        let (codec, uses) = feeds[k];
        let codec = match (codec, uses) {
            (Some(codec), 1) => codec,
            _ => return Err(bad(format!("input {k} feeds {uses} arguments, not one"))),
        };
        args.push(match input {
            FileInput::Task(m) => {
                let from = before.get(m).ok_or_else(|| {
                    bad(format!("input {k} is task {m}, which does not come before it"))
                })?;
                let from =
                    from.output.ok_or_else(|| bad(format!("input {k} is a gathering task")))?;
                same_type(from, codec).map_err(&bad)?;
                Arg::Task(m)
            }
            FileInput::Literal(literal) => {
                if literal.type_name != codec.type_name() {
                    return Err(bad(format!(
                        "literal input {k} is a `{}` in the file but its argument is a `{}` here",
                        literal.type_name,
                        codec.type_name()
                    )));
                }
                let bytes = unhex(&literal.bytes)
                    .ok_or_else(|| bad(format!("literal input {k}: `bytes` is not hex")))?;
                codec.decode(&bytes).map_err(|e| bad(format!("literal input {k}: {e}")))?;
                Arg::Literal(bytes)
            }
        });
    }
    let spec = Spec { index: task.index, key: key.to_string(), build: build_id(), steps };
    let spec = rmp_serde::to_vec(&spec).expect("a spec of strings and integers serializes");
    Ok((RemoteTask { key, spec, args, output: Some(output) }, task.index as usize))
}

/// Checks that a value of `from`'s type can be `to`'s argument.
fn same_type(from: Codec, to: Codec) -> Result<(), String> {
    if from.type_name() == to.type_name() {
        Ok(())
    } else {
        Err(format!("a `{}` is passed where a `{}` is taken", from.type_name(), to.type_name()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = vec![0, 1, 0x7f, 0x80, 0xff];
        assert_eq!(hex(&bytes), "00017f80ff");
        assert_eq!(unhex("00017f80ff"), Some(bytes));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn other_text_is_refused() {
        let err = RemoteGraph::from_json("{\"tasks\": 3}").unwrap_err();
        assert!(err.to_string().starts_with("graph file: not a lazydag graph file"), "{err}");
        let other = r#"{"format":"x","version":2,"build":"0","tasks":[],"outputs":[]}"#;
        let err = RemoteGraph::from_json(other).unwrap_err();
        assert!(err.to_string().contains("is not `lazydag-graph` version 2"), "{err}");
        // A version 1 file (literals in MessagePack) is refused, not read as bincode.
        let old = r#"{"format":"lazydag-graph","version":1,"build":"0","tasks":[],"outputs":[]}"#;
        let err = RemoteGraph::from_json(old).unwrap_err();
        assert!(err.to_string().contains("version 1 is not `lazydag-graph` version 2"), "{err}");
    }
}
