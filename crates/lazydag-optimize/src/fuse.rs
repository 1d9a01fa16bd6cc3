//! [`FuseLinear`]: linear chains become one task.

use crate::graph::{Graph, Kind, Role};
use crate::pass::Pass;

/// Fuses linear chains, like Dask's `fuse_linear`: a task whose value has exactly one use, by
/// a consumer with no other scheduled input (inlined literals do not count), runs inside that
/// consumer, back to back with it. Requested outputs are never fused away (they may absorb
/// their inputs), async tasks are left alone, and a chain is cut every `max_len` tasks.
///
/// ```
/// use lazydag_optimize::{FuseLinear, Graph, Kind, Pass, Role};
/// // 0 -> 1 -> 2 -> 3, with 1 also requested: 0 fuses into 1, 2 into 3.
/// let f = Kind::Function;
/// let mut g = Graph::from_deps(vec![f, f, f, f], &[vec![], vec![0], vec![1], vec![2]], vec![3, 1])
///     .unwrap();
/// FuseLinear::new(usize::MAX).run(&mut g);
/// assert_eq!(g.role(0), Role::FusedInto(1));
/// assert_eq!(g.role(1), Role::Root);
/// assert_eq!(g.role(2), Role::FusedInto(3));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FuseLinear {
    max_len: usize,
}

impl FuseLinear {
    /// Fuses chains of at most `max_len` tasks (at least 1).
    pub fn new(max_len: usize) -> Self {
        FuseLinear { max_len: max_len.max(1) }
    }
}

impl Pass for FuseLinear {
    fn name(&self) -> &str {
        "fuse-linear"
    }

    fn run(&self, graph: &mut Graph<'_>) {
        // Index order is topological: a chain grows from its first task towards its last.
        for d in 0..graph.len() {
            if graph.role(d) != Role::Root || !fusable(graph.kind(d)) {
                continue;
            }
            let Some(c) = graph.sole_consumer(d) else { continue };
            if graph.group_size(d) + graph.group_size(c) > self.max_len {
                continue;
            }
            // `d` is one of `c`'s live scheduled inputs; count them up to two.
            let scheduled_inputs = if graph.deps(c) == [d as u32] {
                1
            } else {
                graph.live_deps(c).filter(|&x| graph.kind(x) != Kind::Literal).take(2).count()
            };
            if is_chain_link(graph.kind(d), true, graph.kind(c), scheduled_inputs) {
                let _ = graph.fuse(d, c);
            }
        }
    }
}

/// Whether tasks of this kind can be fused at all.
pub(crate) fn fusable(kind: Kind) -> bool {
    matches!(kind, Kind::Function | Kind::Cheap)
}

/// The linear-fusion rule, in one place: whether a task of kind `input` may run inside its
/// consumer, of kind `consumer`, back to back with it. [`FuseLinear`] fuses exactly such
/// links (within its length limit); lazydag's core asks the same question without building a
/// [`Graph`] (to skip the passes when no link exists, and to fuse chains while collecting).
///
/// A link needs:
/// - both tasks fusable: functions, plain or cheap (never literals or async tasks);
/// - `sole_use`: the input's value has exactly one use, by this consumer (one use, and it is
///   not a requested output);
/// - `consumer_scheduled_inputs == 1`: the consumer has no other input that is scheduled
///   (literal inputs do not count).
///
/// ```
/// use lazydag_optimize::{Kind, is_chain_link};
/// assert!(is_chain_link(Kind::Function, true, Kind::Cheap, 1));
/// assert!(!is_chain_link(Kind::Function, false, Kind::Function, 1)); // the value is shared
/// assert!(!is_chain_link(Kind::Function, true, Kind::Function, 2)); // a join
/// assert!(!is_chain_link(Kind::Async, true, Kind::Function, 1));
/// ```
#[inline]
pub fn is_chain_link(
    input: Kind,
    sole_use: bool,
    consumer: Kind,
    consumer_scheduled_inputs: usize,
) -> bool {
    fusable(input) && fusable(consumer) && sole_use && consumer_scheduled_inputs == 1
}
