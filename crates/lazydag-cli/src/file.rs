//! Writing a graph to a file ([`dump`]) and listing a file's tasks ([`listing`]).
//!
//! A dump is of the unoptimized plan, one file task per recorded task, so that the file, its
//! listing and its report show the graph as it was built.

use std::fmt::Write as _;
use std::sync::Arc;

use lazydag_core::{Error, Outputs, Plan};
use lazydag_dask::{DaskError, RemoteGraph};
use petgraph::Direction;
use petgraph::visit::EdgeRef as _;

/// Writes the graph that computes `outputs` as JSON (the format is in `docs/cli.md`), to be
/// read back with [`RemoteGraph::from_json`] by a binary that registers the same functions.
///
/// # Errors
/// [`Error::Failed`] naming the first task that cannot be written, with a
/// [`DaskError`] source saying why: a closure, a function without `#[lazydag::remote]`, an
/// async or gathering task, a literal that does not serialize (see
/// [`RemoteGraph::from_plan`]), or an output that is a literal or a held value rather than a
/// task.
pub fn dump<O: Outputs>(outputs: O) -> Result<String, Error> {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    if let Some(literal) = roots.iter().find(|r| r.is_literal()) {
        let why = format!(
            "output `{}` is a literal or a held value, not a task: a graph file's outputs are \
             tasks",
            literal.key()
        );
        let source = Arc::new(DaskError::GraphFile { why });
        return Err(Error::Failed { task: literal.key(), source });
    }
    let plan = Plan::new(&roots);
    let graph = RemoteGraph::from_plan(plan.view())?;
    Ok(graph.to_json().expect("every output is a task: checked above"))
}

/// The tasks of a graph read from a file, one line each in run order: `key: type <- inputs`,
/// literals shown by value; then the outputs. What `graph dump FILE` prints.
///
/// ```
/// use lazydag_core::delayed;
/// use lazydag_dask::{RemoteGraph, remote};
/// #[remote]
/// fn inc(x: u64) -> u64 { x + 1 }
/// # fn main() {
/// let json = lazydag_cli::dump(delayed!(inc(delayed!(inc(1))))).unwrap();
/// let text = lazydag_cli::listing(&RemoteGraph::from_json(&json).unwrap());
/// let lines: Vec<&str> = text.lines().collect();
/// assert!(lines[0].starts_with("inc-") && lines[0].ends_with(": u64 <- 1"), "{text}");
/// assert!(lines[2].starts_with("outputs: inc-"), "{text}");
/// # }
/// ```
pub fn listing(graph: &RemoteGraph) -> String {
    let graph = graph.graph();
    let mut out = String::new();
    let mut outputs = Vec::new();
    for node in graph.node_indices() {
        let task = &graph[node];
        if task.literal {
            continue;
        }
        let mut inputs: Vec<_> = graph.edges_directed(node, Direction::Incoming).collect();
        inputs.sort_by_key(|e| e.id());
        let inputs: Vec<String> = inputs
            .iter()
            .map(|e| {
                let from = &graph[e.source()];
                match (&from.value, from.literal) {
                    (Some(value), true) => value.clone(),
                    _ => from.key.to_string(),
                }
            })
            .collect();
        let _ = writeln!(out, "{}: {} <- {}", task.key, task.output_type, inputs.join(", "));
        if task.output {
            outputs.push(task.key.to_string());
        }
    }
    let _ = writeln!(out, "outputs: {}", outputs.join(", "));
    out
}
