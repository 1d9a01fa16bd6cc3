//! Graphviz DOT output.
//!
//! One DOT node per task (`n0`, `n1`, … in plan order) labelled with the task's name, literals
//! as boxes (labelled with their value when it is `Debug`), held values (made by
//! [`persist`](crate::persist())) as dashed boxes labelled `name (held)`, functions as ellipses, requested
//! outputs drawn with a double border, and edges from dependency to dependent. Labels are
//! escaped, so any task name yields valid DOT. Built from a [`Plan`], without recursion.

use std::fmt::{self, Write as _};

use lazydag_optimize::Optimizer;

use crate::error::Error;
use crate::outputs::Outputs;
use crate::plan::{Plan, PlanView, TaskRef};

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

/// The graph that computes `outputs` after `optimizer` has run: what the scheduler will run.
/// A fused task is drawn as a 3-D box, filled, labelled Dask-style with the names of the tasks
/// it runs (`load-clean-save`, repeated names counted: `inc×999`), and its tooltip lists every
/// member's key.
///
/// ```
/// use lazydag_core::{delayed, to_dot_optimized};
/// use lazydag_optimize::Optimizer;
/// fn inc(x: i32) -> i32 { x + 1 }
/// fn double(x: i32) -> i32 { x * 2 }
/// let out = delayed!(double(delayed!(inc(delayed!(inc(1))))));
/// let dot = to_dot_optimized(&out, &Optimizer::default()).unwrap();
/// assert!(dot.contains("label=\"inc×2-double\""));
/// assert!(dot.contains("shape=box3d"));
/// assert_eq!(dot.matches("->").count(), 1); // the literal `1` -> the fused task
/// ```
///
/// # Errors
/// [`Error::NotClone`] when a value with several uses cannot be cloned (the compute would
/// fail the same way).
pub fn to_dot_optimized<O: Outputs>(outputs: O, optimizer: &Optimizer) -> Result<String, Error> {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    Ok(plan_to_dot(Plan::optimized(&roots, optimizer)?.view()))
}

/// Extra styling for [`to_dot_with`]: a fill colour and a tooltip note per task, both chosen
/// by a function of the task's plan index (its priority, `0..count`) and the task.
#[derive(Default)]
pub struct DotStyle<'a> {
    fill: Option<Box<StyleFn<'a>>>,
    note: Option<Box<StyleFn<'a>>>,
}

/// `(plan index, task count, task) -> text`.
type StyleFn<'a> = dyn Fn(usize, usize, TaskRef<'_>) -> Option<String> + 'a;

impl<'a> DotStyle<'a> {
    /// No extra styling: [`to_dot_with`] then writes what [`to_dot`] writes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fills each task's node with the Graphviz colour `fill(index, count, task)` returns
    /// (`"#ff8800"`, `"0.5 0.8 1.0"`), or leaves it unfilled for `None`.
    #[must_use]
    pub fn fill(mut self, fill: impl Fn(usize, usize, TaskRef<'_>) -> Option<String> + 'a) -> Self {
        self.fill = Some(Box::new(fill));
        self
    }

    /// Appends the text `note(index, count, task)` returns to the task's tooltip.
    #[must_use]
    pub fn note(mut self, note: impl Fn(usize, usize, TaskRef<'_>) -> Option<String> + 'a) -> Self {
        self.note = Some(Box::new(note));
        self
    }
}

impl fmt::Debug for DotStyle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DotStyle")
            .field("fill", &self.fill.is_some())
            .field("note", &self.note.is_some())
            .finish()
    }
}

/// The graph that computes `outputs`, in Graphviz DOT, styled by `style` (colours by
/// priority, by measured duration, ...).
///
/// ```
/// use lazydag_core::{delayed, to_dot_with, DotStyle};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let x = delayed!(add(1, 2));
/// let style = DotStyle::new()
///     .fill(|i, n, _task| Some(format!("0.0 {:.2} 1.0", i as f64 / n as f64)))
///     .note(|i, _, _| Some(format!("priority {i}")));
/// let dot = to_dot_with(delayed!(add(&x, 3)), &style);
/// assert_eq!(dot.matches("style=filled").count(), 5); // every node, literals included
/// assert!(dot.contains("priority 4"));
/// ```
pub fn to_dot_with<O: Outputs>(outputs: O, style: &DotStyle<'_>) -> String {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    plan_to_dot_with(Plan::new(&roots).view(), style)
}

/// Renders a plan.
pub(crate) fn plan_to_dot(plan: &PlanView<'_>) -> String {
    plan_to_dot_with(plan, &DotStyle::default())
}

/// Renders a plan with extra styling.
fn plan_to_dot_with(plan: &PlanView<'_>, style: &DotStyle<'_>) -> String {
    let mut out = String::with_capacity(64 + plan.len() * 48);
    out.push_str("digraph lazydag {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    let mut is_output = vec![false; plan.len()];
    for &o in plan.outputs() {
        is_output[o as usize] = true;
    }
    for (i, &output) in is_output.iter().enumerate() {
        let task = plan.task(i);
        let key = task.key();
        let members = plan.members(i);
        let (label, shape) = if members.len() > 1 {
            (plan.chain_name(i), "box3d")
        } else if task.is_held() {
            (format!("{} (held)", key.name()), "box")
        } else if task.is_literal() {
            (task.describe().unwrap_or_else(|| key.name().to_owned()), "box")
        } else {
            (key.name().to_owned(), "ellipse")
        };
        let peripheries = if output { ", peripheries=2" } else { "" };
        let n = plan.len();
        let fill = match style.fill.as_ref().and_then(|fill| fill(i, n, task)) {
            Some(colour) if task.is_held() => {
                format!(", style=\"dashed,filled\", fillcolor=\"{}\"", escape(&colour))
            }
            Some(colour) => format!(", style=filled, fillcolor=\"{}\"", escape(&colour)),
            None if members.len() > 1 => ", style=filled, fillcolor=\"#dce6f7\"".to_owned(),
            None if task.is_held() => ", style=dashed".to_owned(),
            None => String::new(),
        };
        let mut tooltip = format!("{key}: {}", task.output_type());
        if members.len() > 1 {
            tooltip.push_str(&fused_tooltip(&members));
        }
        if let Some(note) = style.note.as_ref().and_then(|note| note(i, n, task)) {
            tooltip.push_str(", ");
            tooltip.push_str(&note);
        }
        let _ = writeln!(
            out,
            "  n{i} [label=\"{}\", shape={shape}{peripheries}{fill}, tooltip=\"{}\"];",
            escape(&label),
            escape(&tooltip),
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

/// The tooltip lines listing a fused task's members (the first 20).
fn fused_tooltip(members: &[TaskRef<'_>]) -> String {
    const SHOWN: usize = 20;
    let mut out = format!(", fused from {} tasks:", members.len());
    for task in members.iter().take(SHOWN) {
        let _ = write!(out, " {}", task.key());
    }
    if members.len() > SHOWN {
        let _ = write!(out, " … and {} more", members.len() - SHOWN);
    }
    out
}

/// Escapes text for a double-quoted DOT string. Other control characters (a NUL, an ANSI
/// colour code's escape) are not valid there: Graphviz refuses the file, so each becomes
/// U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push(c),
            c if c.is_control() => out.push(char::REPLACEMENT_CHARACTER),
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
        assert_eq!(escape("a\0b\u{1b}[31m\tc"), "a\u{fffd}b\u{fffd}[31m\tc");
    }
}
