//! Property tests: random frames, partition counts, block sizes (cutting rows anywhere),
//! `split_every`/`split_out` and schedulers all give what Polars gives eagerly.
mod common;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;
use proptest::prelude::*;

fn frame(rows: &[(u8, Option<i32>, bool)]) -> DataFrame {
    df!(
        "k" => rows.iter().map(|r| i64::from(r.0 % 7)).collect::<Vec<_>>(),
        "v" => rows.iter().map(|r| r.1.map(|x| f64::from(x) / 8.0)).collect::<Vec<_>>(),
        "b" => rows.iter().map(|r| r.2).collect::<Vec<_>>()
    )
    .unwrap()
}

/// Two keys (one with nulls; many one-row groups), a float column with nulls and NaN, an
/// int column with nulls: what the group-by's scatter kernel handles, and its edge cases.
fn wide(rows: &[(u8, Option<i32>, bool)]) -> DataFrame {
    let f = |x: i32| if x % 11 == 0 { f64::NAN } else { f64::from(x) / 8.0 };
    df!(
        "k" => rows.iter().map(|r| (r.0 % 13 != 0).then_some(i64::from(r.0 % 17))).collect::<Vec<_>>(),
        "s" => rows.iter().map(|r| if r.2 { "x" } else { "y" }).collect::<Vec<_>>(),
        "v" => rows.iter().map(|r| r.1.map(f)).collect::<Vec<_>>(),
        "i" => rows.iter().map(|r| r.1.filter(|x| x % 3 != 0).map(i64::from)).collect::<Vec<_>>()
    )
    .unwrap()
}

fn rows() -> impl Strategy<Value = Vec<(u8, Option<i32>, bool)>> {
    prop::collection::vec(
        (any::<u8>(), prop::option::weighted(0.8, -1000i32..1000), any::<bool>()),
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn csv_blocks_read_what_polars_reads(rows in rows(), bs in 1u64..200, sched in 0usize..4) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        let mut pl = frame(&rows);
        let mut f = std::fs::File::create(&path).unwrap();
        CsvWriter::new(&mut f).include_header(true).finish(&mut pl).unwrap();
        let schema = pl.schema().clone();
        let want = polars_read(&path, Some(schema.clone()));
        let df = dd::read_csv(&path)
            .blocksize(bs)
            .dtypes(schema.iter().map(|(n, d)| (n.to_string(), d.clone())))
            .open()
            .unwrap();
        let (_, s) = schedulers().swap_remove(sched);
        let got = df.compute_with(&*s).unwrap();
        prop_assert!(got.equals_missing(&want), "bs {}:\n{}\n{}", bs, got, want);
    }

    #[test]
    fn groupby_matches_polars(rows in rows(), nparts in 1usize..9, every in 2usize..5, out in 1usize..4, sched in 0usize..4) {
        let pl = frame(&rows);
        let exprs = [col("v").sum(), col("v").mean(), col("v").std(1), col("v").min(), col("v").count(), col("b").n_unique(), col("v").last()];
        let named: Vec<Expr> = exprs.iter().zip(["v_sum", "v_mean", "v_std", "v_min", "v_count", "b_nunique", "v_last"]).map(|(e, n)| e.clone().alias(n)).collect();
        let want = pl.clone().lazy().group_by_stable([col("k")]).agg(named).sort(["k"], SortMultipleOptions::default()).collect().unwrap();
        let df = dd::from_polars(pl, nparts).unwrap();
        let (_, s) = schedulers().swap_remove(sched);
        let got = df.groupby(["k"]).split_every(every).split_out(out).agg(exprs).compute_with(&*s).unwrap();
        let got = got.sort(["k"], SortMultipleOptions::default()).unwrap();
        assert_frames_close(&got, &want);
    }

    /// The scatter kernel's cases end to end: several keys, NaN, nulls, int columns, empty
    /// partitions (more partitions than rows), one-row groups.
    #[test]
    fn groupby_kernel_cases_match_polars(rows in rows(), nparts in 1usize..12, every in 2usize..5, out in 1usize..3, sched in 0usize..4, two_keys: bool) {
        let pl = wide(&rows);
        let keys: Vec<&str> = if two_keys { vec!["k", "s"] } else { vec!["k"] };
        let names = ["v_sum", "v_mean", "v_min", "v_max", "v_count", "i_sum", "i_mean", "i_min", "i_max", "i_count", "n", "v_var"];
        let exprs = [col("v").sum(), col("v").mean(), col("v").min(), col("v").max(), col("v").count(), col("i").sum(), col("i").mean(), col("i").min(), col("i").max(), col("i").count(), len(), col("v").var(1)];
        let named: Vec<Expr> = exprs.iter().zip(names).map(|(e, n)| e.clone().alias(n)).collect();
        let exprs: Vec<Expr> = exprs.iter().zip(names).map(|(e, n)| if n == "n" { e.clone().alias(n) } else { e.clone() }).collect();
        let key_exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
        let want = pl.clone().lazy().group_by(key_exprs).agg(named).sort(keys.clone(), SortMultipleOptions::default()).collect().unwrap();
        let df = dd::from_polars(pl, nparts).unwrap();
        let (_, s) = schedulers().swap_remove(sched);
        let got = df.groupby(keys.clone()).split_every(every).split_out(out).agg(exprs).compute_with(&*s).unwrap();
        let got = got.sort(keys, SortMultipleOptions::default()).unwrap();
        assert_frames_close(&got, &want);
    }

    #[test]
    fn reductions_match_polars(rows in rows(), nparts in 1usize..9, every in 2usize..5) {
        let pl = frame(&rows).select(["k", "v"]).unwrap();
        let df = dd::from_polars(pl.clone(), nparts).unwrap();
        let eager = |e: Vec<Expr>| pl.clone().lazy().select(e).collect().unwrap();
        let f = |c: &str| col(c).cast(DataType::Float64);
        assert_frames_close(&df.reduction("sum", every).compute().unwrap(), &eager(vec![col("k").sum(), col("v").sum()]));
        assert_frames_close(&df.reduction("mean", every).compute().unwrap(), &eager(vec![f("k").mean(), col("v").mean()]));
        assert_frames_close(&df.reduction("var", every).compute().unwrap(), &eager(vec![f("k").var(1), col("v").var(1)]));
        assert_frames_close(&df.reduction("max", every).compute().unwrap(), &eager(vec![col("k").max(), col("v").max()]));
        assert_frames_close(&df.reduction("count", every).compute().unwrap(), &eager(vec![col("k").count(), col("v").count()]));
        assert_frames_close(&df.reduction("nunique", every).compute().unwrap(), &eager(vec![col("k").n_unique().cast(DataType::UInt64), col("v").n_unique().cast(DataType::UInt64)]));
        prop_assert_eq!(df.len().unwrap(), pl.height());
    }
}
