//! The demo graph `lazydag graph demo [--chunks N]` writes: the mean of `N` chunks of
//! pseudo-random numbers, as a map (one `chunk` and one `stats` per chunk), a tree of `merge`s
//! and a `mean`, all registered functions of this binary.

use std::io::Write;

use lazydag_cli::CliError;
use lazydag_core::{Delayed, delayed};
use lazydag_dask::remote;

/// `len` numbers in [0, 1) from `seed` (xorshift; the same on every machine).
#[remote]
fn chunk(seed: u64, len: u32) -> Vec<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// The count and sum of a chunk.
#[remote]
fn stats(xs: Vec<f64>) -> (u64, f64) {
    (xs.len() as u64, xs.iter().sum())
}

/// Two partial (count, sum) pairs combined.
#[remote]
fn merge(a: (u64, f64), b: (u64, f64)) -> (u64, f64) {
    (a.0 + b.0, a.1 + b.1)
}

/// The mean of a (count, sum) pair.
#[remote]
fn mean(s: (u64, f64)) -> f64 {
    s.1 / s.0 as f64
}

/// Writes the demo graph's JSON to `out`; `args` may be `--chunks N` (default 8).
pub(crate) fn write(args: &[String], out: &mut dyn Write) -> Result<(), CliError> {
    let chunks = match args {
        [] => 8,
        [flag, n] if flag == "--chunks" => n
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| CliError::Usage("--chunks takes a positive number".into()))?,
        _ => return Err(CliError::Usage("usage: lazydag graph demo [--chunks N]".into())),
    };
    let mut level: Vec<Delayed<(u64, f64)>> =
        (0..chunks).map(|seed| delayed!(stats(delayed!(chunk(seed, 1000))))).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => delayed!(merge(a, b)),
                [a] => a.clone(),
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    let total = delayed!(mean(&level[0]));
    writeln!(out, "{}", lazydag_cli::dump(&total)?)?;
    Ok(())
}
