//! The benchmark shapes, after C++ Taskflow's micro-benchmarks, and their expected results.
//!
//! Invariant: every run of a shape, on any runner, yields one `u64` digest (the value of the
//! single output, or the wrapping sum of all outputs), and the harness compares it with
//! [`Shape::expected`], a closed form or (random DAG, CPU work) a direct evaluation in plain
//! Rust. A mismatch stops the run: a wrong answer is never timed.

use lazydag::{Delayed, Error, Scheduler};
use lazydag_benches as builders;
use serde::{Deserialize, Serialize};

use crate::cli::Profile;

/// Iterations of [`builders::work`] per CPU-bound task: roughly 0.3 ms.
pub(crate) const CPU_ITERS: u64 = 200_000;

/// A graph shape; its `size` parameter is described on each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Shape {
    /// A linear chain of `size` `inc` tasks.
    Chain,
    /// Taskflow's binary tree: a root fanning out `size` levels deep; the leaves are outputs.
    BinaryTree,
    /// A `size x size` grid, each cell waiting for its upper and left neighbours.
    Wavefront,
    /// `size` independent tiny tasks (embarrassingly parallel).
    Independent,
    /// A seeded random levelled DAG of `size` nodes (Taskflow's graph traversal).
    RandomDag,
    /// `size` map tasks, then a binary tree reduction (tree reduction / map-reduce).
    MapReduce,
    /// `size` independent CPU-bound tasks ([`CPU_ITERS`] steps each): speedup, not overhead.
    CpuBound,
}

impl Shape {
    /// Every shape, in table order.
    pub(crate) const ALL: [Shape; 7] = [
        Shape::Chain,
        Shape::BinaryTree,
        Shape::Wavefront,
        Shape::Independent,
        Shape::RandomDag,
        Shape::MapReduce,
        Shape::CpuBound,
    ];

    /// The shape's name in tables, JSON and the Dask script.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::BinaryTree => "binary-tree",
            Shape::Wavefront => "wavefront",
            Shape::Independent => "independent",
            Shape::RandomDag => "random-dag",
            Shape::MapReduce => "map-reduce",
            Shape::CpuBound => "cpu-bound",
        }
    }

    /// Looks a shape up by [`Shape::name`].
    pub(crate) fn parse(name: &str) -> Option<Shape> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The size parameters a profile runs, smallest first. Full sizes give about 1k, 16k
    /// and 262k tasks (the CPU-bound shape: 256 and 1,024 tasks of real work).
    pub(crate) fn sizes(self, profile: Profile) -> Vec<u64> {
        use Profile::{Full, Quick, Smoke};
        match (self, profile) {
            (Shape::BinaryTree, Smoke) => vec![5],
            (Shape::BinaryTree, Quick) => vec![10, 14],
            (Shape::BinaryTree, Full) => vec![10, 14, 18],
            (Shape::Wavefront, Smoke) => vec![6],
            (Shape::Wavefront, Quick) => vec![32, 128],
            (Shape::Wavefront, Full) => vec![32, 128, 512],
            (Shape::MapReduce, Smoke) => vec![33],
            (Shape::MapReduce, Quick) => vec![512, 8_192],
            (Shape::MapReduce, Full) => vec![512, 8_192, 131_072],
            (Shape::CpuBound, Smoke) => vec![8],
            (Shape::CpuBound, Quick) => vec![256],
            (Shape::CpuBound, Full) => vec![256, 1_024],
            (_, Smoke) => vec![50],
            (_, Quick) => vec![1_024, 16_384],
            (_, Full) => vec![1_024, 16_384, 262_144],
        }
    }

    /// How many tasks the shape records at `size` (literals not counted).
    pub(crate) fn tasks(self, size: u64) -> u64 {
        match self {
            Shape::BinaryTree => (1 << size) - 1,
            Shape::Wavefront => size * size,
            Shape::MapReduce => 2 * size - 1,
            Shape::Chain | Shape::Independent | Shape::RandomDag | Shape::CpuBound => size,
        }
    }

    /// The digest every runner must produce at `size`.
    pub(crate) fn expected(self, size: u64) -> u64 {
        match self {
            Shape::Chain => size,
            Shape::BinaryTree => {
                let l = 1_u64 << (size - 1); // leaves hold l .. 2l - 1
                l * (3 * l - 1) / 2
            }
            Shape::Wavefront => 2 * size - 1,
            Shape::Independent | Shape::MapReduce => size * (size + 1) / 2,
            Shape::RandomDag => builders::RandomDag::new(size as usize, builders::SEED).expected(),
            Shape::CpuBound => {
                (0..size).fold(0, |s, i| s.wrapping_add(builders::work(i, CPU_ITERS)))
            }
        }
    }

    /// Records the shape as a lazydag graph, with the shared builders of `benches/common`.
    pub(crate) fn build(self, size: u64) -> Graph {
        match self {
            Shape::Chain => Graph::One(builders::chain(size).0),
            Shape::BinaryTree => Graph::Many(builders::fan_out_tree(size as u32).0),
            Shape::Wavefront => Graph::One(builders::wavefront(size).0),
            Shape::Independent => Graph::Many(builders::independent(size).0),
            Shape::RandomDag => {
                Graph::Many(builders::RandomDag::new(size as usize, builders::SEED).build().0)
            }
            Shape::MapReduce => Graph::One(builders::map_reduce(size).0),
            Shape::CpuBound => Graph::Many(builders::independent_work(size, CPU_ITERS).0),
        }
    }

    /// Records the shape with each task's literal input bound into the task (a closure that
    /// captures it) instead of a literal node of its own: the graph Taskflow's driver builds.
    /// `None` for the shapes that record no literal per task.
    pub(crate) fn build_bound(self, size: u64) -> Option<Graph> {
        match self {
            Shape::MapReduce => Some(Graph::One(builders::map_reduce_bound(size).0)),
            Shape::Independent => Some(Graph::Many(builders::independent_bound(size).0)),
            _ => None,
        }
    }

    /// Whether the Async scheduler runs this case: it is built for I/O, and pays ~10 µs per
    /// CPU task, so only small graphs.
    pub(crate) fn async_runs(self, size: u64) -> bool {
        self.tasks(size) <= 16_384
    }

    /// Whether Dask runs this case: every shape at about 1k tasks, and the headline
    /// map-reduce at every size (262k tasks at full size). Not larger graphs of the other
    /// shapes: Dask's build time grows with depth and its compute with the number of outputs
    /// (a 16k chain takes ~40 s to build), which would make a run take most of an hour. Not
    /// the CPU-bound shape, whose work Python would do differently.
    pub(crate) fn dask_runs(self, size: u64) -> bool {
        match self {
            Shape::CpuBound => false,
            Shape::MapReduce => true,
            _ => self.tasks(size) <= 1_024,
        }
    }
}

/// A recorded lazydag graph: one output, or many (whose digest is their wrapping sum).
#[derive(Debug)]
pub(crate) enum Graph {
    /// One output handle.
    One(Delayed<u64>),
    /// Many output handles.
    Many(Vec<Delayed<u64>>),
}

impl Graph {
    /// Computes the graph on `scheduler` and returns its digest.
    pub(crate) fn compute(
        &self,
        scheduler: &dyn Scheduler,
        optimizer: &lazydag::Optimizer,
    ) -> Result<u64, Error> {
        let control = lazydag::Control::new().optimize(optimizer.clone());
        match self {
            Graph::One(out) => lazydag::compute_with_control(out, scheduler, &control),
            Graph::Many(outs) => {
                let values: Vec<u64> = lazydag::compute_with_control(outs, scheduler, &control)?;
                Ok(values.iter().fold(0, |s, v| s.wrapping_add(*v)))
            }
        }
    }
}

impl Graph {
    /// Compiles the graph's plan once (`z.plan()?`, here with `optimizer`), for
    /// [`run_plan`](Graph::run_plan) to run many times.
    ///
    /// # Errors
    /// As planning a compute.
    pub(crate) fn plan(&self, optimizer: &lazydag::Optimizer) -> Result<Compiled, Error> {
        Ok(match self {
            Graph::One(out) => Compiled::One(lazydag::compile_with(out.clone(), optimizer)?),
            Graph::Many(outs) => Compiled::Many(lazydag::compile_with(outs.clone(), optimizer)?),
        })
    }

    /// Runs a compiled plan of this graph on `scheduler` and returns its digest.
    ///
    /// # Errors
    /// As the compute.
    pub(crate) fn run_plan(
        &self,
        plan: &Compiled,
        scheduler: &dyn Scheduler,
    ) -> Result<u64, Error> {
        match plan {
            Compiled::One(plan) => plan.run_with(scheduler),
            Compiled::Many(plan) => {
                Ok(plan.run_with(scheduler)?.iter().fold(0, |s: u64, v| s.wrapping_add(*v)))
            }
        }
    }
}

/// A compiled plan of a [`Graph`].
#[derive(Debug)]
pub(crate) enum Compiled {
    /// Of one output.
    One(lazydag::Compiled<Delayed<u64>>),
    /// Of many outputs.
    Many(lazydag::Compiled<Vec<Delayed<u64>>>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use lazydag::scheduler::Sequential;

    #[test]
    fn every_shape_matches_its_expected_digest_and_task_count() {
        for shape in Shape::ALL {
            for size in shape.sizes(Profile::Smoke) {
                let graph = shape.build(size);
                let digest = graph.compute(&Sequential, &lazydag::Optimizer::off()).unwrap();
                assert_eq!(digest, shape.expected(size), "{} {size}", shape.name());
                let tasks = match &graph {
                    Graph::One(out) => out.graph().node_count(),
                    Graph::Many(outs) => lazydag::graph(outs).node_count(),
                };
                let literals = match shape {
                    Shape::Chain => 1,
                    Shape::Independent | Shape::MapReduce => size as usize,
                    Shape::CpuBound => 2 * size as usize,
                    _ => 0,
                };
                assert_eq!(tasks - literals, shape.tasks(size) as usize, "{}", shape.name());
            }
        }
    }

    #[test]
    fn closed_forms_hold_for_small_sizes() {
        assert_eq!(Shape::BinaryTree.expected(3), 4 + 5 + 6 + 7);
        assert_eq!(Shape::Wavefront.expected(1), 1);
        assert_eq!(Shape::MapReduce.expected(4), 10);
        assert_eq!(Shape::Chain.tasks(5), 5);
    }
}
