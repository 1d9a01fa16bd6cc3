//! [`FuseReductions`]: small trees of single-use tasks become one task.

use crate::fuse::fusable;
use crate::graph::{Graph, Kind, Role};
use crate::pass::Pass;

/// Fuses small in-trees, a bounded form of Dask's `fuse(ave_width=...)`: visiting tasks in
/// topological order, each task absorbs those of its inputs whose value it alone uses, as
/// long as the fused group stays within `max_members` tasks. On a tree reduction this turns
/// every sub-tree of about `max_members` tasks into one task. Off by default (see
/// [`Optimizer::fuse_reductions`](crate::Optimizer::fuse_reductions)).
///
/// ```
/// use lazydag_optimize::{FuseReductions, Graph, Kind, Pass, Role};
/// // Four leaves, two adds, one final add: 7 tasks.
/// let f = Kind::Function;
/// let mut g = Graph::from_deps(
///     vec![f; 7],
///     &[vec![], vec![], vec![], vec![], vec![0, 1], vec![2, 3], vec![4, 5]],
///     vec![6],
/// ).unwrap();
/// FuseReductions::new(3).run(&mut g);
/// assert_eq!(g.role(0), Role::FusedInto(4));
/// assert_eq!(g.role(4), Role::Root); // 3 members already: 6 cannot absorb it
/// assert_eq!(g.group_size(4), 3);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FuseReductions {
    max_members: usize,
    max_chain: usize,
}

impl FuseReductions {
    /// Fuses groups of at most `max_members` tasks.
    pub fn new(max_members: usize) -> Self {
        FuseReductions { max_members: max_members.max(1), max_chain: usize::MAX }
    }

    /// Also keeps linear steps (a task with one input to absorb) within `max_chain` members,
    /// as [`FuseLinear`](crate::FuseLinear) would; the [`Optimizer`](crate::Optimizer) passes
    /// its chain limit here.
    #[must_use]
    pub fn chain_limit(mut self, max_chain: usize) -> Self {
        self.max_chain = max_chain.max(1);
        self
    }
}

impl Pass for FuseReductions {
    fn name(&self) -> &str {
        "fuse-reductions"
    }

    fn run(&self, graph: &mut Graph<'_>) {
        let mut inputs = Vec::new();
        for c in 0..graph.len() {
            if graph.role(c) != Role::Root || !fusable(graph.kind(c)) {
                continue;
            }
            inputs.clear();
            inputs.extend(graph.live_deps(c).filter(|&d| graph.kind(d) != Kind::Literal));
            let limit = match inputs.len() {
                1 => self.max_members.min(self.max_chain),
                _ => self.max_members,
            };
            for &d in &inputs {
                let fits = graph.group_size(c) + graph.group_size(d) <= limit;
                if fits && graph.role(d) == Role::Root && graph.sole_consumer(d) == Some(c) {
                    let _ = graph.fuse(d, c);
                }
            }
        }
    }
}
