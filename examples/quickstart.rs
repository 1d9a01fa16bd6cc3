//! The first `dask.delayed` example, in lazydag: record, look at the graph, compute.
//!
//! Run with `cargo run --release -p lazydag-examples --example quickstart`.

use lazydag::prelude::*;

fn square(x: i64) -> i64 {
    x * x
}

fn add(x: i64, y: i64) -> i64 {
    x + y
}

fn main() -> Result<(), lazydag::Error> {
    let x = delayed!(square(5));
    let y = delayed!(square(10));
    let z = delayed!(add(x, y)); // nothing has run yet

    println!("z = {}", z.compute()?);
    println!();
    println!("The graph, in Graphviz DOT (render it with `dot -Tsvg`):");
    print!("{}", z.to_dot());
    Ok(())
}
