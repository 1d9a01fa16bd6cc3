//! `merge` (broadcast and hash joins), `describe` and `quantile` against Polars run eagerly.
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
        // Null keys match null keys, as in pandas' merge.
        let mut args = JoinArgs::new(how.clone()).with_coalesce(JoinCoalesce::CoalesceColumns);
        args.nulls_equal = true;
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

/// describe's rows against Polars eagerly: count, mean, std, min, max exact on any partition
/// count; the percentiles exact (Polars' linear quantile) on one partition and, on several,
/// within the documented rank bound of Polars' exact ranks. Follows dask's
/// `test_describe` (`dask/dataframe/tests/test_dataframe.py`), which also allows approximate
/// percentiles.
#[test]
fn describe_matches_polars_statistics() {
    let n = 5000usize;
    let pl = df!(
        "x" => (0..n).map(|i| ((i * 7919) % n) as i64).collect::<Vec<_>>(),
        "y" => (0..n).map(|i| if i % 10 == 3 { None } else { Some((i as f64).sin() * 1e3) }).collect::<Vec<_>>(),
        "s" => (0..n).map(|i| ["a", "b"][i % 2]).collect::<Vec<_>>()
    )
    .unwrap();
    let q =
        |c: &str, p: f64| col(c).cast(DataType::Float64).quantile(lit(p), QuantileMethod::Linear);
    for nparts in [1, 3, 40] {
        let df = dd::from_polars(pl.clone(), nparts).unwrap();
        let d = df.describe().compute().unwrap();
        assert_eq!(d.get_column_names(), ["statistic", "x", "y"]);
        let rows: Vec<&str> =
            d.column("statistic").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(rows, ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]);
        for c in ["x", "y"] {
            let e = pl
                .clone()
                .lazy()
                .select([
                    col(c).count().cast(DataType::Float64).alias("count"),
                    col(c).cast(DataType::Float64).mean().alias("mean"),
                    col(c).cast(DataType::Float64).std(1).alias("std"),
                    col(c).min().cast(DataType::Float64).alias("min"),
                    q(c, 0.25).alias("25%"),
                    q(c, 0.5).alias("50%"),
                    q(c, 0.75).alias("75%"),
                    col(c).max().cast(DataType::Float64).alias("max"),
                ])
                .collect()
                .unwrap();
            let got = d.column(c).unwrap().f64().unwrap();
            for (i, name) in rows.iter().enumerate() {
                let want = e.column(name).unwrap().f64().unwrap().get(0).unwrap();
                let v = got.get(i).unwrap();
                if !name.ends_with('%') || nparts == 1 {
                    assert!(
                        (v - want).abs() <= 1e-9 * want.abs().max(1.0),
                        "{c} {name}: {v} vs {want}"
                    );
                    continue;
                }
                // Approximate: the fraction of values at or below v is within the bound
                // (one summary level plus one merge level here: 2 / 1000 of the rows).
                let p: f64 = name.trim_end_matches('%').parse::<f64>().unwrap() / 100.0;
                let values = pl.column(c).unwrap().cast(&DataType::Float64).unwrap();
                let vals: Vec<f64> = values.f64().unwrap().iter().flatten().collect();
                let below = vals.iter().filter(|&&x| x < v).count() as f64;
                let at_or_below = vals.iter().filter(|&&x| x <= v).count() as f64;
                let m = (vals.len() - 1) as f64;
                let tol = 2.0 / 1000.0 + 1.0 / m;
                assert!(
                    (below - 1.0) / m <= p + tol && p - tol <= at_or_below / m,
                    "{c} {name} on {nparts} partitions: {v} (exact {want}) has rank {below}..{at_or_below} of {m}"
                );
            }
        }
    }
}

#[test]
fn quantile_checks_its_probabilities() {
    let df = dd::from_polars(df!("x" => [1.0, 2.0]).unwrap(), 2).unwrap();
    let e = df.quantile(&[0.5, 1.5]).compute().unwrap_err();
    assert!(e.to_string().contains("quantile 1.5 is outside [0, 1]"), "{e}");
    let q = df.quantile(&[0.0, 1.0]).compute().unwrap();
    assert_eq!(q.column("x").unwrap().f64().unwrap().to_vec(), [Some(1.0), Some(2.0)]);
}

/// A null key matches the other side's null keys, as in pandas' and Dask's `merge` (a
/// review's reproducer: pandas gives 2 rows, lazydag gave 1), broadcast or hash-partitioned.
#[test]
fn null_keys_match_as_in_pandas() {
    let l = df!("k" => [Some(1i64), None, Some(2)], "v" => [1i64, 2, 3]).unwrap();
    let r = df!("k" => [Some(1i64), None], "w" => [10i64, 20]).unwrap();
    for (nl, nr) in [(2, 1), (1, 2), (3, 2), (2, 3)] {
        let left = dd::from_polars(l.clone(), nl).unwrap();
        let right = dd::from_polars(r.clone(), nr).unwrap();
        let got = left.merge(&right, ["k"], JoinType::Inner).compute().unwrap();
        let got = got.sort(["v"], Default::default()).unwrap();
        let w: Vec<Option<i64>> = got.column("w").unwrap().i64().unwrap().iter().collect();
        assert_eq!(w, [Some(10), Some(20)], "{nl} x {nr} partitions: {got}");
        assert_eq!(got.column("k").unwrap().null_count(), 1);
    }
}
