//! lazydag-bench: C++ Taskflow's micro-benchmark shapes on every lazydag scheduler, the same
//! shapes hand-written with rayon, and (with `--with-dask`) the same shapes in Dask, side by
//! side; plus a streaming-memory benchmark, a practical column-means comparison, the
//! chunked-array figures against dask.array (`array.rs`) and (with the `frame` feature, which
//! builds Polars) a dataframe group-by against Polars, pandas and Dask (`frame/`).
//!
//! `cargo run --release -p lazydag-bench -- --help`. What the figures mean is in
//! `docs/benchmarks.md`, which `--update-docs docs/benchmarks.md` regenerates.
//!
//! Every run checks its result (see `shape.rs`); peak memory is read from child processes
//! (this binary re-run with the hidden `__case` / `__stream` subcommands, see `rss.rs`).

#![deny(missing_docs)]

mod array;
mod baseline;
mod chart;
mod cli;
mod cost;
mod dask;
mod frame;
mod goal;
mod machine;
mod paths;
mod practical;
mod report;
mod rss;
mod run;
mod runner;
mod shape;
mod stream;

use std::process::ExitCode;

/// With the `mimalloc` feature, the harness allocates with mimalloc rather than the system's
/// malloc (for the allocator's share of the per-task costs; see `Cargo.toml`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some(rss::CASE) => rss::case_child(&args[1..]),
        Some(stream::STREAM) => stream::child(&args[1..]),
        Some(cost::COST) => cost::child(&args[1..]),
        Some(array::ARRAY) => array::child(&args[1..]),
        #[cfg(feature = "frame")]
        Some(frame::FRAME) => frame::child(&args[1..]),
        #[cfg(not(feature = "frame"))]
        Some(frame::FRAME) => Err(frame::WITHOUT_FEATURE.into()),
        _ => match cli::parse(&args) {
            Ok(options) => run::run(&options, &args),
            Err(msg) if msg.is_empty() => {
                print!("{}", cli::HELP);
                return ExitCode::SUCCESS;
            }
            Err(msg) => {
                eprintln!("lazydag-bench: {msg}\n\n{}", cli::HELP);
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("lazydag-bench: {msg}");
            ExitCode::FAILURE
        }
    }
}
