//! Every row/column operation and frame reduction against Polars run eagerly on the whole
//! frame. Reduction cases follow dask's `dask/dataframe/tests/test_reductions.py`
//! (`test_reductions_frame`: sum, mean, min, max, count, std, var, nunique with NaNs, with
//! and without `split_every`).
mod common;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

fn frame() -> DataFrame {
    let n = 61;
    df!(
        "a" => (0..n).map(|i| if i % 9 == 4 { None } else { Some(i as i64 - 20) }).collect::<Vec<_>>(),
        "b" => (0..n).map(|i| if i % 7 == 0 { None } else { Some((i as f64).sin() * 1e3) }).collect::<Vec<_>>(),
        "c" => (0..n).map(|i| ["p", "q", "r", "s"][i % 4]).collect::<Vec<_>>(),
        "t" => (0..n).map(chrono_like).collect::<Vec<_>>()
    )
    .unwrap()
    .lazy()
    .with_columns([col("t").cast(DataType::Datetime(TimeUnit::Microseconds, None))])
    .collect()
    .unwrap()
}

fn chrono_like(i: usize) -> i64 {
    1_700_000_000_000_000 + i as i64 * 3_600_000_000
}

fn eager(pl: &DataFrame, f: impl Fn(LazyFrame) -> LazyFrame) -> DataFrame {
    f(pl.clone().lazy()).collect().unwrap()
}

#[test]
fn row_and_column_operations_match_polars() {
    let pl = frame();
    for nparts in [1, 4, 61, 70] {
        let df = dd::from_polars(pl.clone(), nparts).unwrap();
        let cases: Vec<(dd::DataFrame, DataFrame)> = vec![
            (df.select(["c", "a"]), pl.select(["c", "a"]).unwrap()),
            (df.filter(col("a").gt(lit(3))), eager(&pl, |l| l.filter(col("a").gt(lit(3))))),
            (
                df.with_columns([
                    (col("a") * lit(2) + lit(1)).alias("a2"),
                    col("t").dt().hour().alias("h"),
                    col("b").cast(DataType::Float32),
                ]),
                eager(&pl, |l| {
                    l.with_columns([
                        (col("a") * lit(2) + lit(1)).alias("a2"),
                        col("t").dt().hour().alias("h"),
                        col("b").cast(DataType::Float32),
                    ])
                }),
            ),
            (df.rename([("a", "x")]), eager(&pl, |l| l.rename(["a"], ["x"], true))),
            (df.drop(["b"]), pl.drop("b").unwrap()),
            (
                df.select(["a", "b"]).fillna(lit(0)),
                eager(&pl, |l| l.select([col("a"), col("b")]).fill_null(lit(0))),
            ),
            (df.dropna(), eager(&pl, |l| l.drop_nulls(None))),
            (
                df.dropna_subset(["a"]),
                eager(&pl, |l| l.drop_nulls(Some(by_name(["a"], true, false)))),
            ),
            (
                df.astype([("a", DataType::Float64)]),
                eager(&pl, |l| l.with_columns([col("a").cast(DataType::Float64)])),
            ),
            (
                df.map_partitions(|p| p.head(Some(2)).lazy().collect()).select(["a"]),
                pl.select(["a"]).unwrap(),
            ),
            (
                df.sort_values(["b"], true),
                eager(&pl, |l| {
                    l.sort(
                        ["b"],
                        SortMultipleOptions::default()
                            .with_order_descending(true)
                            .with_nulls_last(true)
                            .with_maintain_order(true),
                    )
                }),
            ),
            (dd::concat([df.clone(), df.clone()]), pl.vstack(&pl).unwrap()),
            (
                df.fillna_columns([("a", lit(-1)), ("b", lit(0.5))]),
                eager(&pl, |l| {
                    l.with_columns([col("a").fill_null(lit(-1)), col("b").fill_null(lit(0.5))])
                }),
            ),
        ];
        for (i, (lazy, want)) in cases.into_iter().enumerate() {
            let got = lazy.compute().unwrap();
            assert_eq!(lazy.schema().unwrap().as_ref(), got.schema().as_ref(), "case {i}: meta");
            if i == 9 {
                assert_eq!(
                    got.height(),
                    pl.height().min(2 * nparts).min(2 * lazy.npartitions()),
                    "case {i}"
                );
                continue;
            }
            assert_frames_close(&got, &want);
        }
    }
}

fn reductions_of(df: &dd::DataFrame, split_every: usize) -> Vec<DataFrame> {
    ["sum", "mean", "min", "max", "count", "var", "std", "nunique"]
        .iter()
        .map(|r| df.reduction(r, split_every).compute().unwrap())
        .collect()
}

#[test]
fn reductions_match_polars() {
    let pl = frame();
    let nums = pl.select(["a", "b"]).unwrap();
    let want = vec![
        eager(&nums, |l| l.select([col("a").sum(), col("b").sum()])),
        eager(&nums, |l| l.select([col("a").cast(DataType::Float64).mean(), col("b").mean()])),
        eager(&pl, |l| l.select([col("a").min(), col("b").min(), col("c").min(), col("t").min()])),
        eager(&pl, |l| l.select([col("a").max(), col("b").max(), col("c").max(), col("t").max()])),
        eager(&pl, |l| {
            l.select([col("a").count(), col("b").count(), col("c").count(), col("t").count()])
        }),
        eager(&nums, |l| l.select([col("a").cast(DataType::Float64).var(1), col("b").var(1)])),
        eager(&nums, |l| l.select([col("a").cast(DataType::Float64).std(1), col("b").std(1)])),
        eager(&pl, |l| l.select([col("*").n_unique().cast(DataType::UInt64)])),
    ];
    for nparts in [1, 3, 10, 61] {
        let df = dd::from_polars(pl.clone(), nparts).unwrap();
        for split_every in [2, 8] {
            for (got, want) in reductions_of(&df, split_every).iter().zip(&want) {
                assert_frames_close(got, want);
            }
        }
    }
    let df = dd::from_polars(pl.clone(), 5).unwrap();
    assert_frames_close(&df.mean().compute().unwrap(), &want[1]);
    assert_frames_close(&df.std(1).compute().unwrap(), &want[6]);
    assert_eq!(df.len().unwrap(), 61);
}

#[test]
fn reductions_agree_on_every_scheduler() {
    let df = dd::from_polars(frame(), 7).unwrap();
    let reference = df.var(1).compute_with(&lazydag_core::scheduler::Sequential).unwrap();
    for (_, s) in schedulers() {
        assert_frames_close(&df.var(1).compute_with(&*s).unwrap(), &reference);
    }
}

#[test]
fn graph_is_lazy_and_linear_in_partitions() {
    let df = dd::from_polars(frame(), 16).unwrap();
    let g = df.filter(col("a").gt(lit(0))).groupby(["c"]).mean();
    let dot = g.to_dot().unwrap();
    assert!(dot.contains("groupby-partial") && dot.contains("groupby-combine"), "{dot}");
    let tasks = dot.matches("label=").count();
    assert!(tasks < 16 * 4 + 20, "{tasks} tasks for 16 partitions");
    let parts = df.to_delayed();
    assert_eq!(parts.len(), 16);
    let back = dd::from_delayed(parts, Some(df.schema().unwrap())).unwrap();
    assert!(back.compute().unwrap().equals_missing(&frame()));
    assert!(df.get_partition(16).is_err());
    assert_eq!(df.get_partition(15).unwrap().compute().unwrap().height(), 1);
}

#[test]
fn facade_reexports_the_crate() {
    use lazydag::frame as ddf;
    let df = ddf::from_polars(frame(), 2).unwrap();
    assert_eq!(df.npartitions(), 2);
}

#[test]
fn sort_values_with_sampled_boundaries_matches_polars() {
    // Many duplicates and nulls in the first key, a second key for ties.
    let n = 500;
    let pl = df!(
        "a" => (0..n).map(|i| if i % 17 == 3 { None } else { Some((i * 7919 % 23) as i64) }).collect::<Vec<_>>(),
        "b" => (0..n).map(|i| ((i * 31) % 101) as f64).collect::<Vec<_>>()
    )
    .unwrap();
    for descending in [false, true] {
        let opts = SortMultipleOptions::default()
            .with_order_descending(descending)
            .with_nulls_last(true)
            .with_maintain_order(true);
        let want = pl.sort(["a", "b"], opts).unwrap();
        for nparts in [1, 3, 8] {
            let df = dd::from_polars(pl.clone(), nparts).unwrap();
            let s = df.sort_values(["a", "b"], descending);
            assert_eq!(s.npartitions(), nparts);
            assert!(
                s.compute().unwrap().equals_missing(&want),
                "desc {descending} nparts {nparts}"
            );
            if nparts == 8 {
                for (_, sched) in schedulers() {
                    assert!(s.compute_with(&*sched).unwrap().equals_missing(&want));
                }
            }
        }
    }
}
