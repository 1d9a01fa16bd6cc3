//! Graphviz DOT output.
//!
//! One DOT node per task (`n0`, `n1`, … in plan order) labelled with the task's name, literals
//! as boxes (labelled with their value when it is `Debug`), functions as ellipses, requested
//! outputs drawn with a double border, and edges from dependency to dependent. Labels are
//! escaped, so any task name yields valid DOT. Built from a [`Plan`], without recursion.

use std::fmt::Write as _;

use crate::outputs::Outputs;
use crate::plan::{Plan, PlanView};

/// The graph that computes `outputs`, in Graphviz DOT.
///
/// ```
/// use lazydag_core::{delayed, to_dot};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let x = delayed!(add(1, 2));
/// let dot = to_dot((&x, delayed!(add(&x, 3))));
/// assert_eq!(dot.matches("->").count(), 4);
/// assert!(dot.contains("shape=box"));
/// ```
pub fn to_dot<O: Outputs>(outputs: O) -> String {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    plan_to_dot(Plan::new(&roots).view())
}

/// Renders a plan.
pub(crate) fn plan_to_dot(plan: &PlanView<'_>) -> String {
    let mut out = String::with_capacity(64 + plan.len() * 48);
    out.push_str("digraph lazydag {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    let mut is_output = vec![false; plan.len()];
    for &o in plan.outputs() {
        is_output[o as usize] = true;
    }
    for (i, &output) in is_output.iter().enumerate() {
        let task = plan.task(i);
        let key = task.key();
        let (label, shape) = if task.is_literal() {
            (task.describe().unwrap_or_else(|| key.name().to_owned()), "box")
        } else {
            (key.name().to_owned(), "ellipse")
        };
        let peripheries = if output { ", peripheries=2" } else { "" };
        let _ = writeln!(
            out,
            "  n{i} [label=\"{}\", shape={shape}{peripheries}, tooltip=\"{}\"];",
            escape(&label),
            escape(&format!("{key}: {}", task.output_type())),
        );
    }
    for i in 0..plan.len() {
        for &d in plan.deps(i) {
            let _ = writeln!(out, "  n{d} -> n{i};");
        }
    }
    out.push_str("}\n");
    out
}

/// Escapes text for a double-quoted DOT string.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_quotes_backslashes_and_newlines() {
        assert_eq!(escape(r#"a "b" \ c"#), r#"a \"b\" \\ c"#);
        assert_eq!(escape("x\r\ny"), "x\\ny");
    }
}
