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

/// The most chunks `--chunks` takes: 3 tasks each (`chunk`, `stats`, a `merge`), so 300,000
/// tasks and a file of about 140 MB, well under the most a graph file may have (1 GiB), so
/// that `graph report` reads any demo file. Without a cap a huge N allocates without limit.
const MAX_CHUNKS: u64 = 100_000;

/// The number of chunks `args` asks for: none (8) or `--chunks N`, N from 1 to [`MAX_CHUNKS`].
fn chunks(args: &[String]) -> Result<u64, CliError> {
    match args {
        [] => Ok(8),
        [flag, n] if flag == "--chunks" => {
            n.parse::<u64>().ok().filter(|n| (1..=MAX_CHUNKS).contains(n)).ok_or_else(|| {
                CliError::Usage(format!(
                    "--chunks takes a number from 1 to {MAX_CHUNKS} (the most the demo writes), \
                     not `{n}`"
                ))
            })
        }
        _ => Err(CliError::Usage("usage: lazydag graph demo [--chunks N]".into())),
    }
}

/// Writes the demo graph's JSON to `out`; `args` may be `--chunks N` (default 8, at most
/// [`MAX_CHUNKS`]).
pub(crate) fn write(args: &[String], out: &mut dyn Write) -> Result<(), CliError> {
    let chunks = chunks(args)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks_of(words: &[&str]) -> Result<u64, CliError> {
        chunks(&words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn chunks_are_from_one_to_the_cap() {
        assert_eq!(chunks_of(&[]).unwrap(), 8);
        assert_eq!(chunks_of(&["--chunks", "1"]).unwrap(), 1);
        assert_eq!(chunks_of(&["--chunks", "100000"]).unwrap(), MAX_CHUNKS);
        for n in ["0", "100001", "18446744073709551616", "-1", "many"] {
            let err = chunks_of(&["--chunks", n]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{err}");
            let text = err.to_string();
            assert!(text.contains("a number from 1 to 100000") && text.contains(n), "{text}");
        }
        assert_eq!(chunks_of(&["--chunks"]).unwrap_err().exit_code(), 2);
    }
}
