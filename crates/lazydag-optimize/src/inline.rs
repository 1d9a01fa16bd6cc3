//! [`Inline`]: literals and cheap tasks are evaluated inside their consumers.

use crate::graph::{Graph, Kind};
use crate::pass::Pass;

/// Marks every literal and every task the user marked cheap ([`Kind::Cheap`], `.inline()`)
/// to be evaluated inside its consumers, like Dask's `inline(dsk, inline_constants=True)` and
/// `inline_functions(dsk, fast_functions=...)`. A cheap task with several consumers then runs
/// once per consumer (that is what marking it cheap allows), which saves storing and cloning
/// its value; [`Graph::inline`] refuses it when an input it would evaluate again cannot be
/// cloned. Outputs are never inlined.
///
/// ```
/// use lazydag_optimize::{Graph, Inline, Kind, Pass, Role};
/// let mut g = Graph::from_deps(
///     vec![Kind::Literal, Kind::Cheap, Kind::Function, Kind::Function],
///     &[vec![], vec![0], vec![1], vec![1]],
///     vec![2, 3],
/// ).unwrap();
/// Inline.run(&mut g);
/// assert_eq!((g.role(0), g.role(1)), (Role::Inlined, Role::Inlined));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Inline;

impl Pass for Inline {
    fn name(&self) -> &str {
        "inline"
    }

    fn run(&self, graph: &mut Graph<'_>) {
        for i in 0..graph.len() {
            if matches!(graph.kind(i), Kind::Literal | Kind::Cheap) && !graph.is_output(i) {
                let _ = graph.inline(i);
            }
        }
    }
}
