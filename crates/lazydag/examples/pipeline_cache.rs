//! The graph-aware disk cache: a 3-step pipeline (load → clean → summarise) whose steps are
//! pure tasks cached in a [`Memory`]. Each step prints `ran: <step>` when it runs. Run it
//! again after changing the last step's parameter: `clean`'s result is loaded from disk, so
//! neither `load` nor `clean` runs, only `summarise` does.
//!
//! ```text
//! cargo run -p lazydag --example pipeline_cache -- 10   # ran: load, ran: clean, ran: summarise
//! cargo run -p lazydag --example pipeline_cache -- 3    # ran: summarise
//! cargo run -p lazydag --example pipeline_cache -- 3    # (nothing runs: all from disk)
//! ```
//!
//! Arguments: `[TOP] [CACHE_DIR]`: how many of the largest values `summarise` averages
//! (default 10), and the cache folder (default `lazydag-pipeline-cache` in the temporary
//! folder). `crates/lazydag-parallel/tests/memory.rs` runs this twice in child
//! processes and checks the `ran:` lines.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lazydag::delayed;
use lazydag::parallel::Memory;

/// How many raw values `load` makes.
const ROWS: u64 = 200_000;

/// How long each of the two slow steps takes, on top of its work.
const SLOW: Duration = Duration::from_millis(300);

/// Step 1, slow: reads the raw values (here: makes them up, some negative).
fn load(rows: u64) -> Vec<f64> {
    println!("ran: load");
    std::thread::sleep(SLOW);
    (0..rows).map(|i| ((i * 7_919) % 1_000) as f64 - 100.0).collect()
}

/// Step 2, slow: drops the invalid (negative) values.
fn clean(raw: Vec<f64>) -> Vec<f64> {
    println!("ran: clean");
    std::thread::sleep(SLOW);
    raw.into_iter().filter(|x| *x >= 0.0).collect()
}

/// Step 3, quick, with a parameter: the mean of all values and of the `top` largest.
fn summarise(values: Vec<f64>, top: u64) -> String {
    println!("ran: summarise");
    let mut sorted = values.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let top = (top as usize).min(sorted.len()).max(1);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    format!(
        "{} values, mean {:.2}, mean of the top {top} {:.2}",
        values.len(),
        mean(&values),
        mean(&sorted[..top])
    )
}

/// Builds the pipeline with every step cached in `location` and computes its summary.
pub(crate) fn run(location: &Path, top: u64) -> Result<String, lazydag::Error> {
    let memory = Memory::new(location);
    let raw = delayed!(load(ROWS)).pure().cache(&memory);
    let cleaned = delayed!(clean(raw)).pure().cache(&memory);
    let summary = delayed!(summarise(cleaned, top)).pure().cache(&memory);
    summary.compute()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let top: u64 = args.next().map_or(Ok(10), |a| a.parse())?;
    let location: PathBuf = args
        .next()
        .map_or_else(|| std::env::temp_dir().join("lazydag-pipeline-cache"), PathBuf::from);
    let summary = run(&location, top)?;
    println!("{summary}");
    println!("cache: {}", location.display());
    Ok(())
}
