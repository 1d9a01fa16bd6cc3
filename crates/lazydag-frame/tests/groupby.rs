//! Group-by aggregations against Polars run eagerly on the whole frame, over partition
//! counts, `split_every`, `split_out` and schedulers. Cases ported from dask's
//! `dask/dataframe/tests/test_groupby.py` cite it.
mod common;

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
