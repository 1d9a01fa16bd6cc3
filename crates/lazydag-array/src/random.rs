//! Seeded random arrays whose values depend only on the seed and each element's position.
//!
//! # The generator
//! SplitMix64 (`rand_xoshiro::SplitMix64`, Steele, Lea and Flood's generator, which passes
//! BigCrush): its state after `n` steps is `x0 + n·γ` (γ = 0x9e3779b97f4a7c15) and each output
//! is a bijective mix of the state, so it is counter-based: seeking to any position is setting
//! the state, O(1). An array drawn from a [`RandomState`] with seed `s` starts at
//! `x0 = mix(s) ⊕ mix(mix(k))`, where `k` is the stream number (the `k`-th array that state
//! has drawn, from 0), and gives the element at row-major global index `i` the 64-bit words
//! at positions `w·i .. w·(i+1)` (`w = 1` for `random` and `randint`, `2` for `normal`). Each
//! block seeks once per row of its last axis. So the same seed gives the same array
//! **whatever the chunking, the order in which chunks run, the scheduler or the number of
//! workers**, and a chunk can be recomputed instead of stored. (Two streams of one seed are
//! two windows of one period-2^64 sequence at a pseudo-random distance: they overlap only if
//! that distance is below the arrays' length.) ChaCha8 was the first choice; SplitMix64
//! generates about three times faster, and generation is most of the seed example's time.
//!
//! - `random`: uniform on `[0, 1)`: the top 53 bits of a word times 2^-53.
//! - `normal`: Box–Muller on two words (`u1 ∈ (0, 1]`, `u2 ∈ [0, 1)`), cosine branch.
//! - `randint`: uniform on `[low, high)` by the widening multiply `(word · range) >> 64`
//!   (bias below `range / 2^64`).
//!
//! Random chunks are recomputable sources (marked `.inline()`): see `docs/array.md`. The
//! `f64` arrays (`random`, `normal`) are described as data (a `remote::Recipe`), so their reductions
//! can run on a cluster (`crate::remote`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{ArcArray, IxDyn};
use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{Rng, SeedableRng};

use crate::array::{Array, Block, Region};
use crate::chunks::ChunkSpec;
use crate::creation::{BlockInfo, sources};
use crate::error::Error;
use crate::remote::{self, Draw, Recipe};

/// A seeded source of random arrays, like `dask.array.random.RandomState(seed)`: the `k`-th
/// array it draws is always the same for the same seed.
///
/// ```
/// use lazydag_array::random::RandomState;
/// let a = RandomState::new(42).random(&[6, 5], [4, 2]).compute().unwrap();
/// let b = RandomState::new(42).random(&[6, 5], [1, 5]).compute().unwrap();
/// assert_eq!(a, b); // other chunks, same values
/// assert!(a.iter().all(|&v| (0.0..1.0).contains(&v)));
/// ```
#[derive(Debug)]
pub struct RandomState {
    seed: u64,
    next_stream: AtomicU64,
}

static DEFAULT: RandomState = RandomState { seed: 0, next_stream: AtomicU64::new(0) };

impl RandomState {
    /// A state with the given seed; its first array uses stream 0.
    pub fn new(seed: u64) -> RandomState {
        RandomState { seed, next_stream: AtomicU64::new(0) }
    }

    fn draw(&self) -> (u64, u64) {
        (self.seed, self.next_stream.fetch_add(1, Ordering::Relaxed))
    }

    /// Uniform values on `[0, 1)`, like `RandomState.random_sample`.
    pub fn random(&self, shape: impl AsRef<[usize]>, chunks: impl Into<ChunkSpec>) -> Array<f64> {
        let global = shape.as_ref().to_vec();
        let (seed, stream) = self.draw();
        remote::source(Recipe::Random { global, seed, stream, draw: Draw::Uniform }, chunks)
    }

    /// Normal values with mean `loc` and standard deviation `scale`, like
    /// `RandomState.normal`.
    pub fn normal(
        &self,
        loc: f64,
        scale: f64,
        shape: impl AsRef<[usize]>,
        chunks: impl Into<ChunkSpec>,
    ) -> Array<f64> {
        let shape = shape.as_ref();
        if !(scale >= 0.0 && scale.is_finite() && loc.is_finite()) {
            return Array::failed(Error::invalid(
                "normal",
                format!("loc {loc} and scale {scale}: both must be finite and scale >= 0"),
            ));
        }
        let (seed, stream) = self.draw();
        let draw = Draw::Normal { loc, scale };
        remote::source(Recipe::Random { global: shape.to_vec(), seed, stream, draw }, chunks)
    }

    /// Integers uniform on `[low, high)`, like `RandomState.randint`.
    pub fn randint(
        &self,
        low: i64,
        high: i64,
        shape: impl AsRef<[usize]>,
        chunks: impl Into<ChunkSpec>,
    ) -> Array<i64> {
        let shape = shape.as_ref();
        if low >= high {
            return Array::failed(Error::invalid(
                "randint",
                format!("low {low} must be below high {high}"),
            ));
        }
        let range = high.abs_diff(low);
        let (seed, stream) = self.draw();
        generate("randint", shape, chunks, seed, stream, 1, move |w| {
            let r = ((u128::from(w[0]) * u128::from(range)) >> 64) as u64;
            low.wrapping_add_unsigned(r)
        })
    }
}

/// SplitMix64's increment (the golden ratio).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

#[inline]
fn unit(word: u64) -> f64 {
    // Below 2^53, so the signed conversion (one instruction) is exact.
    ((word >> 11) as i64) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn generate<T, F>(
    name: &'static str,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
    stream: u64,
    words: usize,
    value: F,
) -> Array<T>
where
    T: crate::Element,
    F: Fn(&[u64]) -> T + Send + Sync + 'static,
{
    let global = shape.to_vec();
    let value = Arc::new(value);
    sources(name, shape, chunks, true, move |b: &BlockInfo| {
        fill_block(&global, b, seed, stream, words, &*value)
    })
}

/// The region of a random `f64` array ([`Recipe::Random`]): what `random` and `normal`
/// generate, on the client and on a cluster's workers alike.
pub(crate) fn region(global: &[usize], seed: u64, stream: u64, draw: Draw) -> Region<f64> {
    match draw {
        Draw::Uniform => region_of("random", global, seed, stream, 1, |w| unit(w[0])),
        Draw::Normal { loc, scale } => region_of("normal", global, seed, stream, 2, move |w| {
            let u1 = 1.0 - unit(w[0]);
            let u2 = unit(w[1]);
            loc + scale * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        }),
    }
}

fn region_of<T, F>(
    name: &'static str,
    global: &[usize],
    seed: u64,
    stream: u64,
    words: usize,
    value: F,
) -> Region<T>
where
    T: crate::Element,
    F: Fn(&[u64]) -> T + Send + Sync + 'static,
{
    let global = global.to_vec();
    Region::new(name, move |r: &[std::ops::Range<usize>]| {
        let b = BlockInfo {
            index: Vec::new(),
            offset: r.iter().map(|r| r.start).collect(),
            shape: r.iter().map(|r| r.len()).collect(),
        };
        fill_block(&global, &b, seed, stream, words, &value)
    })
}

/// Fills one block: one seek per run along the last axis.
fn fill_block<T: crate::Element, F: Fn(&[u64]) -> T>(
    global: &[usize],
    b: &BlockInfo,
    seed: u64,
    stream: u64,
    words: usize,
    value: &F,
) -> Block<T> {
    let x0 = SplitMix64::seed_from_u64(seed).next_u64()
        ^ SplitMix64::seed_from_u64(SplitMix64::seed_from_u64(stream).next_u64()).next_u64();
    let n: usize = b.shape.iter().product();
    let mut data = Vec::with_capacity(n);
    let nd = b.shape.len();
    let run = if nd == 0 { 1 } else { b.shape[nd - 1] };
    let mut w = [0u64; 2];
    if n > 0 {
        // Iterate over the block's rows (every index but the last axis), row-major.
        let rows = n / run;
        let mut idx = vec![0usize; nd.saturating_sub(1)];
        for _ in 0..rows {
            let mut lin: u64 = 0;
            for a in 0..nd {
                let i = if a + 1 == nd { 0 } else { idx[a] };
                lin = lin.wrapping_mul(global[a] as u64).wrapping_add((b.offset[a] + i) as u64);
            }
            // Seek: the state before word `w·lin` is `x0 + w·lin·γ`.
            let mut rng = SplitMix64::seed_from_u64(
                x0.wrapping_add(lin.wrapping_mul(words as u64).wrapping_mul(GAMMA)),
            );
            if words == 1 {
                data.extend((0..run).map(|_| value(&[rng.next_u64()])));
            } else {
                for _ in 0..run {
                    for slot in w.iter_mut().take(words) {
                        *slot = rng.next_u64();
                    }
                    data.push(value(&w[..words]));
                }
            }
            for a in (0..idx.len()).rev() {
                idx[a] += 1;
                if idx[a] < b.shape[a] {
                    break;
                }
                idx[a] = 0;
            }
        }
    }
    ArcArray::from_shape_vec(IxDyn(&b.shape), data).expect("the data has the block's length")
}

/// Uniform values on `[0, 1)` from the default state (seed 0; each call draws the next
/// stream, so two calls give different arrays, the same in every run of a program).
/// For reproducibility that does not depend on call order, use [`RandomState`].
///
/// ```
/// use lazydag_array as da;
/// let x = da::random::random(&[100_000, 100_000], [1_000, 1_000]); // nothing allocated
/// assert_eq!(x.num_blocks(), 10_000);
/// ```
pub fn random(shape: impl AsRef<[usize]>, chunks: impl Into<ChunkSpec>) -> Array<f64> {
    let shape = shape.as_ref();
    DEFAULT.random(shape, chunks)
}

/// Normal values from the default state; see [`RandomState::normal`].
pub fn normal(
    loc: f64,
    scale: f64,
    shape: impl AsRef<[usize]>,
    chunks: impl Into<ChunkSpec>,
) -> Array<f64> {
    let shape = shape.as_ref();
    DEFAULT.normal(loc, scale, shape, chunks)
}

/// Integers on `[low, high)` from the default state; see [`RandomState::randint`].
pub fn randint(
    low: i64,
    high: i64,
    shape: impl AsRef<[usize]>,
    chunks: impl Into<ChunkSpec>,
) -> Array<i64> {
    let shape = shape.as_ref();
    DEFAULT.randint(low, high, shape, chunks)
}
