//! The pre-flight [`Report`] of a graph read from a file, and the [`Limits`] `run` checks it
//! against before anything runs.

use std::collections::BTreeMap;
use std::fmt;

use lazydag_core::{critical_path, peak_live};
use lazydag_dask::RemoteGraph;

use crate::error::CliError;

/// What a graph will do, known before it runs: what `graph report` prints and `graph run`
/// prints first.
///
/// ```
/// use lazydag_core::delayed;
/// use lazydag_dask::{RemoteGraph, remote};
/// #[remote]
/// fn leaf(seed: u64) -> u64 { seed * 3 }
/// #[remote]
/// fn add(a: u64, b: u64) -> u64 { a + b }
/// # fn main() {
/// let pair = |s: u64| delayed!(add(delayed!(leaf(s)), delayed!(leaf(s + 1))));
/// let total = delayed!(add(pair(0), pair(2)));
/// let graph = RemoteGraph::from_json(&lazydag_cli::dump(&total).unwrap()).unwrap();
/// let report = lazydag_cli::Report::of(&graph);
/// assert_eq!((report.tasks, report.literals, report.outputs), (7, 4, 1));
/// assert_eq!(report.calls.values().sum::<usize>(), 7);
/// assert_eq!(report.critical_path.len(), 3); // leaf -> add -> add
/// assert_eq!(report.peak_live, 4);
/// assert!(report.to_string().contains("critical path: 3 tasks"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The tasks that run (a fused chain counts once; a dump has none).
    pub tasks: usize,
    /// The literal inputs, held in the file.
    pub literals: usize,
    /// The requested outputs.
    pub outputs: usize,
    /// How many calls each registered function gets, by path.
    pub calls: BTreeMap<String, usize>,
    /// The keys of the tasks on the critical path, first to last: the longest chain of tasks
    /// each needing the one before ([`critical_path`]).
    pub critical_path: Vec<String>,
    /// The most task values alive at once when the tasks run one at a time in the file's
    /// order, the plan's order ([`peak_live`]).
    pub peak_live: usize,
}

impl Report {
    /// Reports on `graph`. Costs O(tasks + edges); runs nothing.
    pub fn of(graph: &RemoteGraph) -> Report {
        let inspect = graph.graph();
        let literals = inspect.node_weights().filter(|t| t.literal).count();
        Report {
            tasks: graph.len(),
            literals,
            outputs: graph.output_tasks().len(),
            calls: graph.calls(),
            critical_path: critical_path(&inspect)
                .into_iter()
                .map(|n| inspect[n].key.to_string())
                .collect(),
            peak_live: peak_live(&inspect),
        }
    }

    /// Checks the report against `limits`.
    ///
    /// # Errors
    /// [`CliError::OverLimit`] for the first limit exceeded.
    pub fn check(&self, limits: &Limits) -> Result<(), CliError> {
        let over = |what, flag, value, limit: Option<usize>| match limit {
            Some(limit) if value > limit => Err(CliError::OverLimit { what, flag, value, limit }),
            _ => Ok(()),
        };
        over("the task count", "--max-tasks", self.tasks, limits.max_tasks)?;
        over("the peak of live values", "--max-live", self.peak_live, limits.max_live)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 12;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        writeln!(
            f,
            "tasks: {} to run, {} literal input{}, {} output{}",
            self.tasks,
            self.literals,
            plural(self.literals),
            self.outputs,
            plural(self.outputs)
        )?;
        writeln!(f, "calls per function:")?;
        let width = self.calls.keys().map(String::len).max().unwrap_or(0);
        for (path, n) in &self.calls {
            writeln!(f, "  {path:<width$}  {n}")?;
        }
        let path = &self.critical_path;
        let mut shown = path.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(" -> ");
        if path.len() > SHOWN {
            shown.push_str(&format!(" -> … ({} more)", path.len() - SHOWN));
        }
        writeln!(f, "critical path: {} tasks: {shown}", path.len())?;
        writeln!(f, "peak live values (plan order): {}", self.peak_live)
    }
}

/// Limits `graph run` refuses to run above (`--max-tasks`, `--max-live`); `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most tasks to run.
    pub max_tasks: Option<usize>,
    /// The highest peak of live values.
    pub max_live: Option<usize>,
}
