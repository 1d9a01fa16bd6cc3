//! `merge` (broadcast and hash joins) and `describe` against Polars run eagerly.
//! Join cases follow dask's `dask/dataframe/tests/test_multi.py` (`test_merge`: inner, left,
//! right and outer joins of frames with several partitions on each side, and with one).
mod common;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

fn sides() -> (DataFrame, DataFrame) {
    let l = df!(
        "k" => (0..40i64).map(|i| i % 13).collect::<Vec<_>>(),
        "x" => (0..40i64).collect::<Vec<_>>()
    )
    .unwrap();
    let r = df!(
        "k" => (0..20i64).map(|i| (i * 3) % 17).collect::<Vec<_>>(),
        "y" => (0..20).map(|i| f64::from(i) / 2.0).collect::<Vec<_>>()
    )
    .unwrap();
    (l, r)
}

#[test]
fn merge_matches_polars_broadcast_and_hash() {
    let (l, r) = sides();
    for how in [JoinType::Inner, JoinType::Left, JoinType::Right, JoinType::Full] {
        let args = JoinArgs::new(how.clone()).with_coalesce(JoinCoalesce::CoalesceColumns);
        let want = l
            .clone()
            .lazy()
            .join(r.clone().lazy(), [col("k")], [col("k")], args)
            .collect()
            .unwrap();
        for (lp, rp) in [(4, 1), (1, 3), (4, 3), (2, 5)] {
            let left = dd::from_polars(l.clone(), lp).unwrap();
            let right = dd::from_polars(r.clone(), rp).unwrap();
            let m = left.merge(&right, ["k"], how.clone());
            let got = m.compute().unwrap();
            assert_eq!(m.schema().unwrap().as_ref(), got.schema().as_ref());
            assert_frames_close(
                &sorted(&got),
                &sorted(&want.select(got.get_column_names()).unwrap()),
            );
        }
    }
}

#[test]
fn merge_errors() {
    let (l, r) = sides();
    let left = dd::from_polars(l, 2).unwrap();
    let right = dd::from_polars(r, 2).unwrap();
    let e = left.merge(&right, ["nope"], JoinType::Inner).compute().unwrap_err();
    assert!(e.to_string().contains("column `nope` not found"), "{e}");
    let right32 = right.astype([("k", DataType::Int32)]);
    let e = left.merge(&right32, ["k"], JoinType::Inner).compute().unwrap_err();
    assert!(e.to_string().contains("cast one side"), "{e}");
}

#[test]
fn describe_matches_polars_statistics() {
    let (l, _) = sides();
    let df = dd::from_polars(l.clone(), 3).unwrap();
    let d = df.describe().compute().unwrap();
    let x = d.column("x").unwrap().f64().unwrap();
    let eager = l.lazy().select([
        col("x").count().cast(DataType::Float64).alias("count"),
        col("x").cast(DataType::Float64).mean().alias("mean"),
        col("x").cast(DataType::Float64).std(1).alias("std"),
        col("x").min().cast(DataType::Float64).alias("min"),
        col("x").max().cast(DataType::Float64).alias("max"),
    ]);
    let e = eager.collect().unwrap();
    for (i, name) in ["count", "mean", "std", "min", "max"].iter().enumerate() {
        let want = e.column(name).unwrap().f64().unwrap().get(0).unwrap();
        assert!((x.get(i).unwrap() - want).abs() < 1e-9, "{name}");
    }
}
