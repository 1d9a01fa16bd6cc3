//! The hash shuffle: rows cut into `n` buckets by a fixed hash of the key columns, so that
//! equal keys land in the same bucket whichever partition they come from (Dask's task-based
//! shuffle). The group-by's `split_out` path reduces each bucket's pieces in a tree; a hash
//! join and a group-by `apply` concatenate them into one partition per bucket.
//!
//! Cost: one `shuffle-split` task per input partition (it hashes its rows once and keeps the
//! `n` pieces until every bucket took its own), and one small task per (partition, bucket)
//! pair that picks a piece: `n x partitions` tasks, as in Dask. Keys must have the same dtype
//! in every frame that is shuffled to meet another (the hash depends on the dtype).

use std::sync::Arc;

use lazydag_core::Delayed;
use polars::prelude::{BooleanChunked, DataFrame as PlFrame, NewChunkedArray};
use polars::prelude::{PlSeedableRandomStateQuality, SchemaRef};

use crate::error::Result;
use crate::frame::concat_frames;

/// Splits `df` into `n` frames by a fixed hash of the key columns: equal keys, equal bucket,
/// whichever partition they come from.
pub(crate) fn bucketize(df: &PlFrame, keys: &[String], n: usize) -> Result<Vec<PlFrame>> {
    let mut key_df = df.select(keys.iter().map(String::as_str))?;
    let hashes = key_df.hash_rows(Some(PlSeedableRandomStateQuality::fixed()))?;
    let bucket: Vec<usize> = hashes.into_no_null_iter().map(|h| (h % n as u64) as usize).collect();
    (0..n)
        .map(|j| {
            let mask =
                BooleanChunked::from_iter_values("mask".into(), bucket.iter().map(|&b| b == j));
            Ok(df.filter(&mask)?)
        })
        .collect()
}

/// The pieces of `parts` in each of `n` buckets: `pieces[j][i]` is partition `i`'s rows of
/// bucket `j`. Tasks are named `{name}-shuffle` (the split) and `{name}-bucket` (a piece).
pub(crate) fn pieces(
    parts: &[Delayed<PlFrame>],
    keys: &Arc<Vec<String>>,
    n: usize,
    name: &str,
) -> Vec<Vec<Delayed<PlFrame>>> {
    let (split_name, piece_name) = (format!("{name}-shuffle"), format!("{name}-bucket"));
    let split: Vec<Delayed<Vec<PlFrame>>> = parts
        .iter()
        .map(|p| {
            let keys = keys.clone();
            p.try_map(move |df: PlFrame| bucketize(&df, &keys, n)).name(&split_name).shared()
        })
        .collect();
    (0..n)
        .map(|j| {
            split
                .iter()
                .map(|b| b.map(move |v: Vec<PlFrame>| v[j].clone()).name(&piece_name).shared())
                .collect()
        })
        .collect()
}

/// `parts` shuffled into `n` partitions of `schema` by the key columns: partition `j` holds
/// every row of bucket `j`, in input order (each concatenated by a `{name}-bucket` task).
pub(crate) fn shuffle(
    parts: &[Delayed<PlFrame>],
    keys: &Arc<Vec<String>>,
    n: usize,
    schema: &SchemaRef,
    name: &str,
) -> Vec<Delayed<PlFrame>> {
    let piece_name = format!("{name}-bucket");
    pieces(parts, keys, n, name)
        .into_iter()
        .map(|bucket| {
            let schema = schema.clone();
            let all: Delayed<Vec<PlFrame>> = bucket.into_iter().collect();
            all.try_map(move |v: Vec<PlFrame>| concat_frames(v, &schema)).name(&piece_name).shared()
        })
        .collect()
}
