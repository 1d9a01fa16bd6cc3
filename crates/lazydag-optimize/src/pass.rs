//! [`Pass`]: the extension point of the optimizer.

use crate::graph::Graph;

/// One optimization pass: it reads a [`Graph`] and changes task roles through its checked
/// methods, which refuse any change that could alter results (so a pass simply skips what it
/// is refused).
///
/// ```
/// use lazydag_optimize::{Graph, Kind, Optimizer, Pass, Role};
///
/// /// Fuses every single-use input into tasks named `checkpoint`, even when they have
/// /// several inputs (linear fusion alone would leave a join of two inputs apart).
/// struct FuseIntoCheckpoints;
/// impl Pass for FuseIntoCheckpoints {
///     fn name(&self) -> &str { "fuse-into-checkpoints" }
///     fn run(&self, graph: &mut Graph<'_>) {
///         for i in 0..graph.len() {
///             if graph.name(i) != "checkpoint" { continue; }
///             for d in graph.live_deps(i).collect::<Vec<_>>() {
///                 let _ = graph.fuse(d, i); // refused when it would change results
///             }
///         }
///     }
/// }
///
/// // Two inputs (tasks 0 and 1) joined by task 2, named `checkpoint`.
/// let mut g = Graph::from_deps(
///     vec![Kind::Function, Kind::Function, Kind::Function],
///     &[vec![], vec![], vec![0, 1]],
///     vec![2],
/// ).unwrap().with_names(|i| if i == 2 { "checkpoint".into() } else { "load".into() });
/// let optimizer = Optimizer::default().pass(std::sync::Arc::new(FuseIntoCheckpoints));
/// let report = optimizer.run(&mut g);
/// assert_eq!((g.role(0), g.role(1)), (Role::FusedInto(2), Role::FusedInto(2)));
/// assert_eq!(report.after, 1);
/// ```
pub trait Pass: Send + Sync {
    /// A short name, for traces.
    fn name(&self) -> &str;

    /// Runs the pass over `graph`.
    fn run(&self, graph: &mut Graph<'_>);
}
