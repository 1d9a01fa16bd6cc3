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
    /// Whether the literal is a held value, made by [`persist`](crate::persist()) from a
    /// computed task (whose name it keeps).
    pub held: bool,
    /// The Rust type of the task's output.
    pub output_type: &'static str,
    /// A literal's value rendered with `Debug`, when known.
    pub value: Option<String>,
    /// Whether the task is one of the requested outputs (its value lives to the end of the
    /// compute, even when other tasks also use it).
    pub output: bool,
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
    let mut output = vec![false; plan.len()];
    for &o in plan.outputs() {
        output[o as usize] = true;
    }
    let mut graph = DiGraph::with_capacity(plan.len(), plan.len());
    for (i, &output) in output.iter().enumerate() {
        let task = plan.task(i);
        graph.add_node(TaskInfo {
            key: task.key(),
            literal: task.is_literal(),
            held: task.is_held(),
            output_type: task.output_type(),
            value: task.describe(),
            output,
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
/// dependent's inputs and its own value are all live at that moment). Requested outputs
/// ([`TaskInfo::output`]) stay live to the end, even when other tasks use them too, and so
/// do sinks (nodes with no dependents). Literals are not counted: the graph holds them
/// whatever the order.
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
/// // An output another task also uses stays alive too: `a`, its sum and `b`.
/// let a = delayed!(leaf());
/// let b = delayed!(add(&a, delayed!(leaf())));
/// assert_eq!(peak_live(&graph((&a, &b))), 3);
/// ```
pub fn peak_live(graph: &DiGraph<TaskInfo, ()>) -> usize {
    let n = graph.node_count();
    // The node index of each task's last dependent; `usize::MAX` for an output (a requested
    // one, or a sink): it stays alive to the end.
    let mut last = vec![usize::MAX; n];
    for node in graph.node_indices() {
        if graph[node].output {
            continue;
        }
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

/// The critical path of `graph`: the longest chain of function tasks, each a dependency of the
/// next, from a first task to a last one. However many workers run the graph, its tasks run one
/// after another, so its length bounds the compute's depth (Dask's "critical path" of a
/// graph). Literals and held values do not run and are not on it; among chains of equal length
/// the one ending at the smallest node index is returned, and it is empty when no task runs.
///
/// Costs O(nodes + edges), with no recursion.
///
/// ```
/// use lazydag_core::{critical_path, delayed, graph};
/// fn inc(x: i64) -> i64 { x + 1 }
/// fn add(a: i64, b: i64) -> i64 { a + b }
/// let long = delayed!(inc(delayed!(inc(delayed!(inc(0)))))).name("long");
/// let short = delayed!(inc(1)).name("short");
/// let g = graph(delayed!(add(&short, &long)));
/// let path: Vec<_> = critical_path(&g).into_iter().map(|n| g[n].key.name().to_owned()).collect();
/// assert_eq!(path, ["inc", "inc", "long", "add"]);
/// ```
///
/// # Panics
/// If `graph` has a cycle (a graph from [`graph`] never has one).
pub fn critical_path(graph: &DiGraph<TaskInfo, ()>) -> Vec<NodeIndex> {
    let order = petgraph::algo::toposort(graph, None)
        .unwrap_or_else(|cycle| panic!("critical_path: the graph has a cycle at {cycle:?}"));
    // `length[v]`: the most function tasks on a chain ending at `v`; `from[v]`: the previous
    // task on that chain.
    let mut length = vec![0usize; graph.node_count()];
    let mut from: Vec<Option<NodeIndex>> = vec![None; graph.node_count()];
    for &node in &order {
        let best = graph
            .neighbors_directed(node, Direction::Incoming)
            .filter(|d| length[d.index()] > 0)
            .min_by_key(|d| (std::cmp::Reverse(length[d.index()]), d.index()));
        let runs = usize::from(!graph[node].literal);
        length[node.index()] = best.map_or(0, |d| length[d.index()]) + runs;
        from[node.index()] = best;
    }
    let Some(end) = graph
        .node_indices()
        .filter(|n| length[n.index()] > 0)
        .min_by_key(|n| (std::cmp::Reverse(length[n.index()]), n.index()))
    else {
        return Vec::new();
    };
    let mut path = vec![end];
    while let Some(previous) = from[path[path.len() - 1].index()] {
        path.push(previous);
    }
    path.reverse();
    path.retain(|n| !graph[*n].literal);
    path
}

#[cfg(test)]
mod tests {
    use petgraph::graph::DiGraph;

    use super::{TaskInfo, critical_path};
    use crate::key::{Name, TaskKey};

    fn task(name: &'static str, id: u64, literal: bool) -> TaskInfo {
        let key = TaskKey::from_name(Name::Static(name), id);
        TaskInfo { key, literal, held: false, output_type: "u8", value: None, output: false }
    }

    #[test]
    fn a_graph_without_tasks_has_an_empty_critical_path() {
        let mut g = DiGraph::new();
        g.add_node(task("lit", 1, true));
        assert!(critical_path(&g).is_empty());
        assert!(critical_path(&DiGraph::new()).is_empty());
    }

    #[test]
    fn node_order_need_not_be_topological() {
        // Edges c -> b -> a, added so that the indices run against the order.
        let mut g = DiGraph::new();
        let a = g.add_node(task("a", 1, false));
        let b = g.add_node(task("b", 2, false));
        let c = g.add_node(task("c", 3, false));
        let lit = g.add_node(task("lit", 4, true));
        g.add_edge(c, b, ());
        g.add_edge(b, a, ());
        g.add_edge(lit, c, ());
        assert_eq!(critical_path(&g), vec![c, b, a]);
    }
}
