//! Group-by aggregations against Polars run eagerly on the whole frame, over partition
//! counts, `split_every`, `split_out` and schedulers. Cases ported from dask's
//! `dask/dataframe/tests/test_groupby.py` cite it.
mod common;

use std::sync::Arc;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

fn frame() -> DataFrame {
    // Like dask's test_groupby.py `pdf` fixture: a few keys, with nulls in the values.
    let n = 97;
    let k: Vec<i64> = (0..n).map(|i| (i * 7 % 5) as i64).collect();
    let s: Vec<&str> = (0..n).map(|i| ["a", "b", "c"][i % 3]).collect();
    let v: Vec<Option<f64>> = (0..n)
        .map(|i| if i % 11 == 0 { None } else { Some(1e6 + (i as f64) * 0.37 - (i % 4) as f64) })
        .collect();
    let w: Vec<Option<i64>> =
        (0..n).map(|i| if i % 13 == 5 { None } else { Some((i * i % 17) as i64) }).collect();
    df!("k" => k, "s" => s, "v" => v, "w" => w).unwrap()
}

fn aggs() -> Vec<Expr> {
    vec![
        col("v").sum(),
        col("v").mean(),
        col("v").min(),
        col("v").max(),
        col("v").count(),
        col("v").std(1),
        col("v").var(1),
        col("v").var(0).alias("v_var0"),
        col("w").first(),
        col("w").last(),
        col("w").n_unique(),
        col("w").sum(),
        col("s").n_unique(),
        col("s").min(),
        len(),
    ]
}

fn eager(pl: &DataFrame, keys: &[&str], exprs: &[Expr], names: &[String]) -> DataFrame {
    let named: Vec<Expr> =
        exprs.iter().zip(names).map(|(e, n)| e.clone().alias(n.as_str())).collect();
    let out = pl
        .clone()
        .lazy()
        .group_by_stable(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg(named)
        .collect()
        .unwrap();
    out.sort(
        keys.iter().map(|k| PlSmallStr::from(*k)).collect::<Vec<_>>(),
        SortMultipleOptions::default(),
    )
    .unwrap()
}

fn names() -> Vec<String> {
    [
        "v_sum",
        "v_mean",
        "v_min",
        "v_max",
        "v_count",
        "v_std",
        "v_var",
        "v_var0",
        "w_first",
        "w_last",
        "w_nunique",
        "w_sum",
        "s_nunique",
        "s_min",
        "size",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn agg_matches_polars_for_every_partitioning_and_split_every() {
    let pl = frame();
    let want = eager(&pl, &["k"], &aggs(), &names());
    for nparts in [1, 2, 3, 7, 20] {
        for split_every in [2, 3, 8] {
            let df = dd::from_polars(pl.clone(), nparts).unwrap();
            let got = df.groupby(["k"]).split_every(split_every).agg(aggs()).compute().unwrap();
            assert_frames_close(&got, &want);
        }
    }
}

#[test]
fn two_keys_and_split_out() {
    // dask test_groupby.py::test_groupby_split_out_multi_column_groupby: split_out with
    // several keys gives the same groups as one output partition.
    let pl = frame();
    let exprs = vec![col("v").mean(), col("v").std(1), col("w").n_unique(), col("w").first()];
    let names: Vec<String> = ["v_mean", "v_std", "w_nunique", "w_first"].map(String::from).to_vec();
    let want = eager(&pl, &["k", "s"], &exprs, &names);
    for split_out in [1, 2, 5] {
        let df = dd::from_polars(pl.clone(), 6).unwrap();
        let g = df.groupby(["k", "s"]).split_out(split_out).agg(exprs.clone());
        assert_eq!(g.npartitions(), split_out);
        let got = g.compute().unwrap();
        let got = got.sort(["k", "s"], SortMultipleOptions::default()).unwrap();
        assert_frames_close(&got, &want);
    }
}

#[test]
fn shortcuts_name_columns_like_pandas() {
    // dask test_groupby.py::test_full_groupby: df.groupby("a").mean() etc.
    let pl = frame().select(["k", "v", "w"]).unwrap();
    let df = dd::from_polars(pl.clone(), 4).unwrap();
    let cases: Vec<(dd::DataFrame, Vec<Expr>)> = vec![
        (df.groupby(["k"]).mean(), vec![col("v").mean(), col("w").mean()]),
        (df.groupby(["k"]).sum(), vec![col("v").sum(), col("w").sum()]),
        (df.groupby(["k"]).min(), vec![col("v").min(), col("w").min()]),
        (df.groupby(["k"]).max(), vec![col("v").max(), col("w").max()]),
        (df.groupby(["k"]).count(), vec![col("v").count(), col("w").count()]),
        (df.groupby(["k"]).std(1), vec![col("v").std(1), col("w").std(1)]),
        (df.groupby(["k"]).var(1), vec![col("v").var(1), col("w").var(1)]),
        (df.groupby(["k"]).first(), vec![col("v").first(), col("w").first()]),
        (df.groupby(["k"]).last(), vec![col("v").last(), col("w").last()]),
        (df.groupby(["k"]).nunique(), vec![col("v").n_unique(), col("w").n_unique()]),
    ];
    let plain: Vec<String> = vec!["v".into(), "w".into()];
    for (lazy, exprs) in cases {
        assert_frames_close(&lazy.compute().unwrap(), &eager(&pl, &["k"], &exprs, &plain));
    }
    let size = df.groupby(["k"]).size().compute().unwrap();
    assert_frames_close(&size, &eager(&pl, &["k"], &[len()], &["size".to_string()]));
}

#[test]
fn string_keys_null_keys_and_every_scheduler() {
    let pl = df!(
        "k" => [Some("x"), None, Some("y"), Some("x"), None, Some("z")],
        "v" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    )
    .unwrap();
    let want =
        eager(&pl, &["k"], &[col("v").sum(), col("v").mean()], &["v_sum".into(), "v_mean".into()]);
    let df = dd::from_polars(pl, 4).unwrap();
    for (name, s) in schedulers() {
        for split_out in [1, 3] {
            let got = df
                .groupby(["k"])
                .split_out(split_out)
                .agg([col("v").sum(), col("v").mean()])
                .compute_with(&*s)
                .unwrap();
            let got = got.sort(["k"], SortMultipleOptions::default()).unwrap();
            assert_frames_close(&got, &want);
            let _ = name;
        }
    }
}

#[test]
fn variance_combine_is_stable_with_a_large_offset() {
    // Values 1e9 + small noise: a naive sum-of-squares combine loses every digit.
    let v: Vec<f64> = (0..10_000).map(|i| 1e9 + ((i * 7919) % 101) as f64 * 1e-3).collect();
    let k: Vec<i64> = (0..10_000).map(|i| i % 3).collect();
    let pl = df!("k" => k, "v" => v).unwrap();
    let want = eager(&pl, &["k"], &[col("v").var(1)], &["v_var".into()]);
    let got = dd::from_polars(pl, 37)
        .unwrap()
        .groupby(["k"])
        .split_every(2)
        .agg([col("v").var(1)])
        .compute()
        .unwrap();
    let (g, w) =
        (got.column("v_var").unwrap().f64().unwrap(), want.column("v_var").unwrap().f64().unwrap());
    for (a, b) in g.iter().zip(w.iter()) {
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!((a - b).abs() / b < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn value_counts_and_nlargest() {
    let pl = frame();
    let df = dd::from_polars(pl.clone(), 5).unwrap();
    let vc = df.value_counts("s").compute().unwrap();
    assert_eq!(vc.column("s").unwrap().str().unwrap().get(0), Some("a"));
    assert_eq!(vc.column("count").unwrap().u32().unwrap().to_vec(), [Some(33), Some(32), Some(32)]);
    let top = df.nlargest(5, "v").compute().unwrap();
    let opts = SortMultipleOptions::default()
        .with_order_descending(true)
        .with_nulls_last(true)
        .with_maintain_order(true);
    let want = pl.sort(["v"], opts).unwrap().head(Some(5));
    assert!(top.equals_missing(&want));
    let low = df.nsmallest(3, "w").compute().unwrap();
    assert_eq!(low.column("w").unwrap().i64().unwrap().to_vec(), [Some(0), Some(0), Some(0)]);
}

#[test]
fn unknown_key_or_aggregation_is_a_clear_error() {
    let df = dd::from_polars(frame(), 2).unwrap();
    let e = df.groupby(["nope"]).mean().compute().unwrap_err();
    assert_eq!(e.to_string(), "column `nope` not found; the columns are [k, s, v, w]");
    let e = df.groupby(["k"]).agg([col("v").median()]).compute().unwrap_err();
    assert!(e.to_string().contains("unsupported aggregation"), "{e}");
    let e = df.groupby(["k"]).agg([col("zz").sum()]).compute().unwrap_err();
    assert!(e.to_string().contains("column `zz` not found"), "{e}");
}

/// A group's two largest `v` (nulls last), each with its distance to the group's mean: what a
/// pandas user writes as `groupby(k).apply(lambda g: ...)`.
fn top_two(g: DataFrame) -> PolarsResult<DataFrame> {
    let opts = SortMultipleOptions::default().with_order_descending(true).with_nulls_last(true);
    g.lazy()
        .with_column((col("v") - col("v").mean()).alias("from_mean"))
        .sort(["v"], opts)
        .limit(2)
        .collect()
}

/// `f` on every group of the whole frame, eagerly: the reference for `apply`.
fn eager_apply(
    pl: &DataFrame,
    keys: &[&str],
    f: impl Fn(DataFrame) -> PolarsResult<DataFrame>,
) -> DataFrame {
    let parts: Vec<DataFrame> = pl
        .partition_by_stable(keys.to_vec(), true)
        .unwrap()
        .into_iter()
        .map(|g| f(g).unwrap())
        .collect();
    let mut out = parts[0].clone();
    for p in &parts[1..] {
        out.vstack_mut(p).unwrap();
    }
    out
}

#[test]
fn apply_matches_polars_for_every_partitioning_split_out_and_scheduler() {
    // dask test_groupby.py::test_groupby_apply_tasks / test_full_groupby: apply over a
    // shuffle gives the groups that pandas' apply on the whole frame gives.
    let pl = frame();
    for keys in [&["k"][..], &["k", "s"], &["w"]] {
        let want = sorted(&eager_apply(&pl, keys, top_two));
        for nparts in [1, 2, 5, 13] {
            for split_out in [1, 3] {
                let df = dd::from_polars(pl.clone(), nparts).unwrap();
                let applied = df.groupby(keys).split_out(split_out).apply(top_two);
                let n = if split_out > 1 { split_out } else { nparts };
                assert_eq!(applied.npartitions(), n, "{keys:?} {nparts} {split_out}");
                assert_eq!(applied.columns().unwrap(), ["k", "s", "v", "w", "from_mean"]);
                for (name, scheduler) in schedulers() {
                    let got = applied.compute_with(&*scheduler).unwrap();
                    assert_frames_close(&sorted(&got), &want);
                    assert!(got.height() > 0, "{name}");
                }
            }
        }
    }
}

#[test]
fn apply_keeps_key_order_and_row_order_within_a_partition() {
    // One partition, nothing shuffled: groups in key order (the null key first), each
    // group's rows in input order, as pandas' `groupby(sort=True).apply(lambda g: g)`.
    let pl = frame();
    let df = dd::from_polars(pl.clone(), 1).unwrap();
    let got = df.groupby(["w"]).apply(Ok).compute().unwrap();
    let opts = SortMultipleOptions::default().with_nulls_last(false).with_maintain_order(true);
    assert_frames_close(&got, &pl.sort(["w"], opts).unwrap());
    // `sort(false)`: groups in order of first appearance.
    let got = df.groupby(["w"]).sort(false).apply(Ok).compute().unwrap();
    assert_frames_close(&got, &eager_apply(&pl, &["w"], Ok));
    // Several partitions: the same rows, and each group's rows still in input order.
    let df = dd::from_polars(pl.clone(), 4).unwrap();
    let got = df.groupby(["k"]).apply(Ok).compute().unwrap();
    assert_frames_close(&sorted(&got), &sorted(&pl));
    for g in got.partition_by_stable(["k"], true).unwrap() {
        let v: Vec<Option<f64>> = g.column("v").unwrap().f64().unwrap().iter().collect();
        let key = g.column("k").unwrap().i64().unwrap().get(0);
        let mask = pl.column("k").unwrap().i64().unwrap().equal(key.unwrap());
        let want: Vec<Option<f64>> =
            pl.filter(&mask).unwrap().column("v").unwrap().f64().unwrap().iter().collect();
        assert_eq!(v, want, "key {key:?}");
    }
}

/// The group's key `k`; `None` for the empty frame `apply` learns the output schema from
/// (Polars' `get(0)` panics on an empty column).
fn first_key(g: &DataFrame) -> PolarsResult<Option<i64>> {
    let k = g.column("k")?.i64()?;
    Ok(if k.is_empty() { None } else { k.get(0) })
}

#[test]
fn apply_may_change_the_rows_and_the_columns() {
    // One row per group with new columns (an aggregation by hand), and an empty result for
    // some groups: the output is what the groups gave, nothing more.
    let pl = frame();
    let summary = |g: DataFrame| -> PolarsResult<DataFrame> {
        let k = first_key(&g)?;
        if k == Some(3) {
            return Ok(DataFrame::empty_with_schema(&Schema::from_iter([
                Field::new("k".into(), DataType::Int64),
                Field::new("rows".into(), DataType::UInt32),
            ])));
        }
        df!("k" => [k], "rows" => [g.height() as u32])
    };
    let df = dd::from_polars(pl.clone(), 3).unwrap();
    let got = df.groupby(["k"]).apply(summary).compute().unwrap();
    assert_eq!(got.get_column_names(), ["k", "rows"]);
    let want = sorted(&eager_apply(&pl, &["k"], summary));
    assert_frames_close(&sorted(&got), &want);
    assert!(!got.column("k").unwrap().i64().unwrap().iter().any(|k| k == Some(3)));
}

#[test]
fn apply_errors_name_the_task_and_the_way_out() {
    let df = dd::from_polars(frame(), 3).unwrap();
    // A missing key lists the columns.
    let e = df.groupby(["nope"]).apply(Ok).compute().unwrap_err();
    assert_eq!(e.to_string(), "column `nope` not found; the columns are [k, s, v, w]");
    // A function that cannot run on the empty meta frame says to give the schema.
    let needs_rows = |g: DataFrame| -> PolarsResult<DataFrame> {
        let first = first_key(&g)?.ok_or_else(|| polars_err!(NoData: "no rows"))?;
        df!("k" => [first])
    };
    let e = df.groupby(["k"]).apply(needs_rows).compute().unwrap_err();
    assert!(e.to_string().contains("apply_with_schema"), "{e}");
    let schema = Arc::new(Schema::from_iter([Field::new("k".into(), DataType::Int64)]));
    let got = df.groupby(["k"]).apply_with_schema(needs_rows, schema).compute().unwrap();
    assert_eq!(got.height(), 5);
    // A group whose result has other columns than the others is an error, not a ragged frame.
    let ragged = |g: DataFrame| -> PolarsResult<DataFrame> {
        match first_key(&g)? {
            Some(2) => g.select(["k"]),
            _ => Ok(g),
        }
    };
    for (name, scheduler) in schedulers() {
        let e = df.groupby(["k"]).apply(ragged).compute_with(&*scheduler).unwrap_err();
        assert!(
            e.to_string().contains("groupby-apply") && e.to_string().contains("schema"),
            "{name}: {e}"
        );
        // A function that fails or panics on a group fails the compute, naming the task.
        let failing = |g: DataFrame| -> PolarsResult<DataFrame> {
            if first_key(&g)? == Some(4) {
                polars_bail!(ComputeError: "user error on group 4");
            }
            Ok(g)
        };
        let e = df.groupby(["k"]).apply(failing).compute_with(&*scheduler).unwrap_err();
        assert!(
            e.to_string().contains("groupby-apply") && e.to_string().contains("group 4"),
            "{name}: {e}"
        );
        let panicking = |g: DataFrame| -> PolarsResult<DataFrame> {
            if first_key(&g)? == Some(1) {
                panic!("user bug in group 1");
            }
            Ok(g)
        };
        let e = df.groupby(["k"]).apply(panicking).compute_with(&*scheduler).unwrap_err();
        assert!(
            e.to_string().contains("groupby-apply") && e.to_string().contains("user bug"),
            "{name}: {e}"
        );
    }
}
