//! [`Cull`]: tasks no requested output needs are removed.

use crate::graph::{Graph, Role};
use crate::pass::Pass;

/// Removes every task that no requested output needs, like Dask's `cull`. Collecting a plan
/// from its outputs already leaves unneeded tasks out (they are never visited), so on a
/// freshly collected plan this finds nothing; it matters for graphs built by hand and after
/// passes that leave tasks without consumers. O(tasks + edges).
///
/// ```
/// use lazydag_optimize::{Cull, Graph, Kind, Pass, Role};
/// // 0 -> 1 (requested), 0 -> 2 (not requested).
/// let f = Kind::Function;
/// let mut g = Graph::from_deps(vec![f, f, f], &[vec![], vec![0], vec![0]], vec![1]).unwrap();
/// Cull.run(&mut g);
/// assert_eq!((g.role(0), g.role(1), g.role(2)), (Role::Root, Role::Root, Role::Culled));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Cull;

impl Pass for Cull {
    fn name(&self) -> &str {
        "cull"
    }

    fn run(&self, graph: &mut Graph<'_>) {
        let n = graph.len();
        let mut needed = vec![false; n];
        for &o in graph.outputs() {
            needed[o as usize] = true;
        }
        // Dependents have larger indices: walking down, a task's need is known when reached.
        let mut dead = Vec::new();
        for i in (0..n).rev() {
            if needed[i] && graph.role(i) != Role::Culled {
                for &d in graph.deps(i) {
                    needed[d as usize] = true;
                }
            } else if graph.role(i) != Role::Culled {
                dead.push(i);
            }
        }
        // Consumers first (they come first in `dead`), so each cull finds its users gone.
        for i in dead {
            let culled = graph.cull(i);
            debug_assert!(culled.is_ok(), "an unneeded task can be culled: {culled:?}");
        }
    }
}
