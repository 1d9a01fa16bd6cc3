//! DOT for a graph read from a file: the inspection graph drawn like `lazydag_core::to_dot`
//! draws a live one (literals as boxes labelled by value, tasks as ellipses, edges from
//! dependency to dependent, bottom to top).

use std::fmt::Write as _;

use lazydag_core::TaskInfo;
use petgraph::graph::DiGraph;

/// Graphviz DOT text for `graph`.
pub(crate) fn to_dot(graph: &DiGraph<TaskInfo, ()>) -> String {
    let mut out =
        String::from("digraph lazydag {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    for node in graph.node_indices() {
        let task = &graph[node];
        let (label, shape) = match (&task.value, task.literal) {
            (Some(value), true) => (value.clone(), "box"),
            (None, true) => (task.key.name().to_owned(), "box"),
            _ => (task.key.name().to_owned(), "ellipse"),
        };
        let tooltip = format!("{}: {}", task.key, task.output_type);
        let _ = writeln!(
            out,
            "  n{} [label=\"{}\", shape={shape}, tooltip=\"{}\"];",
            node.index(),
            escape(&label),
            escape(&tooltip)
        );
    }
    for edge in graph.raw_edges() {
        let _ = writeln!(out, "  n{} -> n{};", edge.source().index(), edge.target().index());
    }
    out.push_str("}\n");
    out
}

/// Escapes text for a double-quoted DOT string.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_quotes_backslashes_and_newlines() {
        assert_eq!(escape(r#"a "b" \ c"#), r#"a \"b\" \\ c"#);
        assert_eq!(escape("x\ny"), "x\\ny");
    }
}
