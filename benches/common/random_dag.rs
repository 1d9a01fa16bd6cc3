//! Taskflow's random DAG traversal: a seeded, levelled random graph whose structure is shared
//! by the lazydag graph, the rayon baseline and the expected value (and re-derived, from the
//! same seed and generator, by `benches/dask/shapes.py`).
//!
//! Invariant: nodes are numbered level by level, `width` per level; a node of level `l > 0`
//! has 1 to 3 dependencies, drawn (with repeats allowed) from level `l - 1`. Its value is the
//! wrapping sum of its dependencies' values plus one; a source's value is one.

use lazydag::prelude::*;

/// splitmix64: a small, well-known seeded generator, so Python can draw the same graph.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The structure of a random levelled DAG (see the module docs).
#[derive(Debug, Clone)]
pub struct RandomDag {
    width: usize,
    deps: Vec<Vec<u32>>,
}

/// The seed every benchmark uses.
pub const SEED: u64 = 7;

/// A source node (level 0).
fn source() -> u64 {
    1
}

fn join1(a: u64) -> u64 {
    a.wrapping_add(1)
}

fn join2(a: u64, b: u64) -> u64 {
    a.wrapping_add(b).wrapping_add(1)
}

fn join3(a: u64, b: u64, c: u64) -> u64 {
    a.wrapping_add(b).wrapping_add(c).wrapping_add(1)
}

impl RandomDag {
    /// Draws a DAG of `nodes` nodes in levels of `max(2, isqrt(nodes))` from `seed`.
    /// Cost: O(nodes).
    ///
    /// ```
    /// let dag = lazydag_benches::RandomDag::new(100, 7);
    /// assert_eq!((dag.nodes(), dag.width()), (100, 10));
    /// let (sinks, tasks) = dag.build();
    /// let values: Vec<u64> = lazydag::compute(&sinks).unwrap();
    /// let sum = values.iter().fold(0_u64, |s, v| s.wrapping_add(*v));
    /// assert_eq!((sum, tasks), (dag.expected(), 100));
    /// ```
    pub fn new(nodes: usize, seed: u64) -> Self {
        let width = nodes.isqrt().max(2);
        let mut rng = SplitMix64(seed);
        let deps = (0..nodes)
            .map(|i| {
                if i < width {
                    return Vec::new();
                }
                let level_start = (i / width - 1) * width;
                let count = 1 + rng.next() % 3;
                (0..count)
                    .map(|_| (level_start as u64 + rng.next() % width as u64) as u32)
                    .collect()
            })
            .collect();
        Self { width, deps }
    }

    /// How many nodes (all of them tasks).
    pub fn nodes(&self) -> usize {
        self.deps.len()
    }

    /// Nodes per level.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The dependencies of node `i`, all in the level before it.
    pub fn deps(&self, i: usize) -> &[u32] {
        &self.deps[i]
    }

    /// Whether no node depends on node `i`; the sinks are the graph's outputs. Cost: O(nodes).
    pub fn sinks(&self) -> Vec<bool> {
        let mut sink = vec![true; self.nodes()];
        for deps in &self.deps {
            for &d in deps {
                sink[d as usize] = false;
            }
        }
        sink
    }

    /// Evaluates every node directly, in order: the reference values. Cost: O(nodes).
    pub fn values(&self) -> Vec<u64> {
        let mut values = Vec::with_capacity(self.nodes());
        for deps in &self.deps {
            let v = deps.iter().fold(1_u64, |s, &d| s.wrapping_add(values[d as usize]));
            values.push(v);
        }
        values
    }

    /// The wrapping sum of the sinks' values: what every runner must reproduce.
    pub fn expected(&self) -> u64 {
        let values = self.values();
        self.sinks()
            .iter()
            .zip(&values)
            .filter(|(sink, _)| **sink)
            .fold(0, |s, (_, v)| s.wrapping_add(*v))
    }

    /// Records the DAG as lazydag tasks; returns the sinks (in node order) and the task count.
    pub fn build(&self) -> (Vec<Delayed<u64>>, u64) {
        let mut handles: Vec<Delayed<u64>> = Vec::with_capacity(self.nodes());
        for deps in &self.deps {
            let h = |k: usize| &handles[deps[k] as usize];
            let task = match deps.len() {
                0 => delayed!(source()),
                1 => delayed!(join1(h(0))),
                2 => delayed!(join2(h(0), h(1))),
                _ => delayed!(join3(h(0), h(1), h(2))),
            };
            handles.push(task);
        }
        let sinks = self.sinks();
        let outputs = handles.into_iter().zip(sinks).filter(|(_, s)| *s).map(|(h, _)| h).collect();
        (outputs, self.nodes() as u64)
    }
}
