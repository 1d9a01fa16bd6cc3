//! Handling errors: stop at the first failure (the default), or collect one result per item.
//!
//! `cargo run --release -p lazydag-parallel --example errors`

use lazydag_parallel::Parallel;

#[derive(Debug, thiserror::Error)]
#[error("cannot process negative value {0}")]
struct Negative(i64);

fn process(x: i64) -> Result<f64, Negative> {
    if x < 0 { Err(Negative(x)) } else { Ok((x as f64).sqrt()) }
}

fn main() {
    let items = vec![4, 9, -1, 16, -25, 36];
    let parallel = Parallel::new().n_jobs(2);

    // Default: the first error stops the map and names the item.
    match parallel.try_map(items.clone(), process) {
        Ok(values) => println!("all ok: {values:?}"),
        Err(err) => println!("stopped: {err} (item index {:?})", err.item_index()),
    }

    // Collect mode: every item runs and gets its own Result.
    let results = parallel.clone().collect_errors().try_map(items, process).unwrap();
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(v) => println!("item {i}: {v}"),
            Err(err) => println!("item {i}: error: {err}"),
        }
    }

    // A panic is caught too, with its message and the item's index.
    let err = parallel.map(0..100, |x: u32| if x == 42 { panic!("bad input {x}") } else { x });
    println!("panic: {}", err.unwrap_err());
}
