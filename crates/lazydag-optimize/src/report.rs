//! [`OptimizeReport`]: what an optimization did, in counts.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::graph::Graph;

/// What an optimization did. `before == after + culled + fused + inlined` always holds.
///
/// ```
/// use lazydag_optimize::OptimizeReport;
/// let r = OptimizeReport { before: 10, after: 4, culled: 1, fused: 3, inlined: 2 };
/// assert_eq!(r.to_string(), "10 tasks -> 4 (culled 1, fused 3, inlined 2)");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptimizeReport {
    /// Tasks in the collected plan, literals included.
    pub before: usize,
    /// Tasks scheduled after optimizing.
    pub after: usize,
    /// Tasks removed because no requested output needs them.
    pub culled: usize,
    /// Tasks that run inside a consumer (fused linear chains and reductions).
    pub fused: usize,
    /// Literals and cheap tasks evaluated inside their consumers.
    pub inlined: usize,
}

impl OptimizeReport {
    /// Counts the roles in `graph` (O(1): the graph keeps the counts).
    pub fn of(graph: &Graph<'_>) -> Self {
        graph.report()
    }
}

impl OptimizeReport {
    /// Emits the report as a `debug` tracing event with target `lazydag::optimize` (the
    /// [`Optimizer`](crate::Optimizer) does this on every run).
    pub fn emit(&self) {
        tracing::debug!(
            target: "lazydag::optimize",
            before = self.before,
            after = self.after,
            culled = self.culled,
            fused = self.fused,
            inlined = self.inlined,
            "optimized"
        );
    }
}

impl fmt::Display for OptimizeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tasks -> {} (culled {}, fused {}, inlined {})",
            self.before, self.after, self.culled, self.fused, self.inlined
        )
    }
}
