//! Prints the DOT of the seed example's graph at a small shape (4 x 4 in 2 x 2 chunks):
//! `cargo run -p lazydag-array --example seed_graph [slice] | dot -Tsvg > seed.svg`.
//! With `slice`, the graph of `z[:1]`, which leaves out the chunks it does not need; with
//! `optimized`, the graph as the optimizer leaves it (fused tasks as 3-D boxes); with `y`,
//! the graph of `y = x + x.T` alone (the blockwise tasks that the reduction fuses away).

use lazydag_array::{self as da, s};

fn main() {
    let x = da::random::RandomState::new(0).random([4, 4], [2, 2]);
    let y = &x + &x.t();
    let z = y.mean_axis(0);
    let sliced = std::env::args().any(|a| a == "slice");
    let out = if std::env::args().any(|a| a == "y") {
        y
    } else if sliced {
        z.slice(s![..1])
    } else {
        z
    };
    if std::env::args().any(|a| a == "optimized") {
        let grid = out.to_delayed().expect("no bad input here");
        let blocks: Vec<_> = grid.iter().cloned().collect();
        let optimizer = lazydag_core::config::optimizer().expect("default optimizer");
        print!("{}", lazydag_core::to_dot_optimized(&blocks, &optimizer).expect("optimizes"));
    } else {
        print!("{}", out.to_dot());
    }
}
