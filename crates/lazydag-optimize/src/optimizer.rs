//! [`Optimizer`]: the pipeline of passes and its knobs.

use std::fmt;
use std::sync::Arc;

use crate::cull::Cull;
use crate::fuse::FuseLinear;
use crate::graph::Graph;
use crate::inline::Inline;
use crate::pass::Pass;
use crate::reduce::FuseReductions;
use crate::report::OptimizeReport;

/// The optimization pipeline: which built-in passes run, their knobs, and user passes.
///
/// Order: [`Inline`] (literals and cheap tasks), [`FuseLinear`], [`FuseReductions`] (when
/// enabled), the user's passes in the order added, then [`Cull`] (skipped for a graph
/// declared [`collected`](Graph::collected), where every task is needed). Each run emits a `debug`
/// tracing event (target `lazydag::optimize`) with the [`OptimizeReport`].
///
/// ```
/// use lazydag_optimize::Optimizer;
/// let default = Optimizer::default();
/// assert!(default.is_enabled() && default.fuses() && default.inlines());
/// assert_eq!(default.reduction_width(), None); // reduction fusion is off by default
/// let tuned = Optimizer::new().max_chain(64).fuse_reductions(Some(32));
/// assert_eq!((tuned.chain_limit(), tuned.reduction_width()), (64, Some(32)));
/// assert!(!Optimizer::off().is_enabled());
/// ```
#[derive(Clone)]
pub struct Optimizer {
    enabled: bool,
    inline: bool,
    fuse: bool,
    max_chain: usize,
    reductions: Option<usize>,
    passes: Vec<Arc<dyn Pass>>,
}

impl Default for Optimizer {
    fn default() -> Self {
        Optimizer {
            enabled: true,
            inline: true,
            fuse: true,
            max_chain: usize::MAX,
            reductions: None,
            passes: Vec::new(),
        }
    }
}

impl Optimizer {
    /// The default pipeline: inline, fuse linear chains of any length, cull.
    pub fn new() -> Self {
        Self::default()
    }

    /// No optimization at all: the collected plan runs as it is.
    pub fn off() -> Self {
        Optimizer { enabled: false, ..Self::default() }
    }

    /// Turns the whole pipeline on or off.
    #[must_use]
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Turns inlining of literals and cheap tasks on or off.
    #[must_use]
    pub fn inline(mut self, inline: bool) -> Self {
        self.inline = inline;
        self
    }

    /// Turns linear-chain fusion on or off (off also keeps reduction fusion from fusing
    /// chains).
    #[must_use]
    pub fn fuse(mut self, fuse: bool) -> Self {
        self.fuse = fuse;
        self
    }

    /// Cuts fused chains every `max` tasks (at least 1; 1 fuses no chain), in linear and in
    /// reduction fusion alike.
    #[must_use]
    pub fn max_chain(mut self, max: usize) -> Self {
        self.max_chain = max.max(1);
        self
    }

    /// Fuses small reduction trees of up to `width` tasks into one task (`None`: off, the
    /// default). See [`FuseReductions`].
    #[must_use]
    pub fn fuse_reductions(mut self, width: Option<usize>) -> Self {
        self.reductions = width;
        self
    }

    /// Adds a user pass, run after the built-in fusion passes and before culling.
    #[must_use]
    pub fn pass(mut self, pass: Arc<dyn Pass>) -> Self {
        self.passes.push(pass);
        self
    }

    /// The user passes, in the order they run.
    pub fn user_passes(&self) -> &[Arc<dyn Pass>] {
        &self.passes
    }

    /// Whether the pipeline runs at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether linear chains are fused.
    pub fn fuses(&self) -> bool {
        self.fuse
    }

    /// Whether literals and cheap tasks are inlined.
    pub fn inlines(&self) -> bool {
        self.inline
    }

    /// The longest fused chain.
    pub fn chain_limit(&self) -> usize {
        self.max_chain
    }

    /// The reduction-fusion width, if enabled.
    pub fn reduction_width(&self) -> Option<usize> {
        self.reductions
    }

    /// Runs the pipeline over `graph` and reports what changed (nothing when disabled).
    pub fn run(&self, graph: &mut Graph<'_>) -> OptimizeReport {
        if self.enabled {
            if self.inline {
                Inline.run(graph);
            }
            if self.fuse && self.max_chain > 1 {
                FuseLinear::new(self.max_chain).run(graph);
            }
            if let Some(width) = self.reductions {
                let chain = if self.fuse { self.max_chain } else { 1 };
                FuseReductions::new(width).chain_limit(chain).run(graph);
            }
            for pass in &self.passes {
                let _span = tracing::debug_span!("pass", name = pass.name()).entered();
                pass.run(graph);
            }
            if !graph.is_collected() {
                Cull.run(graph);
            }
        }
        let report = OptimizeReport::of(graph);
        report.emit();
        report
    }
}

impl fmt::Debug for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let passes: Vec<&str> = self.passes.iter().map(|p| p.name()).collect();
        f.debug_struct("Optimizer")
            .field("enabled", &self.enabled)
            .field("inline", &self.inline)
            .field("fuse", &self.fuse)
            .field("max_chain", &self.max_chain)
            .field("reductions", &self.reductions)
            .field("passes", &passes)
            .finish()
    }
}
