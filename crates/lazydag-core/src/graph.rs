//! The recorded graph as a petgraph DAG, for inspection and graph algorithms, and what its
//! order costs in memory ([`peak_live`]).
//!
//! Invariant: node `i` of a graph from [`graph`] is plan index `i`, so node-index order is
//! the order the plan runs its tasks in.

use petgraph::Direction;
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

/// The most task values alive at once when `graph`'s tasks run one at a time in node-index
/// order, the plan's order (what [`graph`] returns): how memory-friendly that order is.
///
/// A task's value is live from when the task runs until its last dependent has run (that
/// dependent's inputs and its own value are all live at that moment). Requested outputs stay
/// live to the end; the graph does not mark them, so its sinks (nodes with no dependents)
/// stand for the outputs. Literals are not counted: the graph holds them whatever the order.
///
/// This is dask's "memory pressure" of an order (the figure `dask/tests/test_order.py`
/// bounds), counted in values, not bytes. Costs O(nodes + edges).
///
/// ```
/// use lazydag_core::{delayed, graph, peak_live};
/// fn leaf() -> i64 { 1 }
/// fn add(a: i64, b: i64) -> i64 { a + b }
/// // ((l + l) + (l + l)): four values are alive when the last add runs: the first sum,
/// // the second pair's two leaves and the new sum.
/// let pair = || delayed!(add(delayed!(leaf()), delayed!(leaf())));
/// let total = delayed!(add(pair(), pair()));
/// assert_eq!(peak_live(&graph(&total)), 4);
/// // Two leaves with nothing after them are both outputs: both stay alive.
/// assert_eq!(peak_live(&graph((delayed!(leaf()), delayed!(leaf())))), 2);
/// ```
pub fn peak_live(graph: &DiGraph<TaskInfo, ()>) -> usize {
    let n = graph.node_count();
    // The node index of each task's last dependent; `usize::MAX` for a sink (an output).
    let mut last = vec![usize::MAX; n];
    for node in graph.node_indices() {
        let dependents = graph.neighbors_directed(node, Direction::Outgoing);
        if let Some(end) = dependents.map(|d| d.index()).max() {
            last[node.index()] = end;
        }
    }
    // How many values are freed right after task `i` runs.
    let mut freed = vec![0usize; n];
    for (task, &end) in last.iter().enumerate() {
        if end != usize::MAX && !graph[NodeIndex::new(task)].literal {
            freed[end] += 1;
        }
    }
    let (mut live, mut peak) = (0usize, 0usize);
    for (task, &free) in freed.iter().enumerate() {
        if !graph[NodeIndex::new(task)].literal {
            live += 1;
            peak = peak.max(live);
        }
        live -= free;
    }
    peak
}
