//! The recorded graph as a petgraph DAG, for inspection and graph algorithms.

use petgraph::graph::{DiGraph, NodeIndex};

use crate::key::TaskKey;
use crate::outputs::Outputs;
use crate::plan::Plan;

/// What a node of the inspection graph describes: one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// The task's key.
    pub key: TaskKey,
    /// Whether the task is a literal rather than a function call.
    pub literal: bool,
    /// Whether the literal is a held value, made by [`persist`](crate::persist()) from a
    /// computed task (whose name it keeps).
    pub held: bool,
    /// The Rust type of the task's output.
    pub output_type: &'static str,
    /// A literal's value rendered with `Debug`, when known.
    pub value: Option<String>,
}

/// The graph that computes `outputs`, as a petgraph DAG: node `i` is the `i`-th task in plan
/// order (dependencies before dependents), edges point from a dependency to its dependent.
///
/// ```
/// use lazydag_core::{delayed, graph};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let g = graph(delayed!(add(1, 2)));
/// let order = petgraph::algo::toposort(&g, None).unwrap();
/// assert_eq!(g[*order.last().unwrap()].key.name(), "add");
/// ```
pub fn graph<O: Outputs>(outputs: O) -> DiGraph<TaskInfo, ()> {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    let plan = Plan::new(&roots);
    let plan = plan.view();
    let mut graph = DiGraph::with_capacity(plan.len(), plan.len());
    for i in 0..plan.len() {
        let task = plan.task(i);
        graph.add_node(TaskInfo {
            key: task.key(),
            literal: task.is_literal(),
            held: task.is_held(),
            output_type: task.output_type(),
            value: task.describe(),
        });
    }
    for i in 0..plan.len() {
        for &d in plan.deps(i) {
            graph.add_edge(NodeIndex::new(d as usize), NodeIndex::new(i), ());
        }
    }
    graph
}
