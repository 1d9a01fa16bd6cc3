//! Frame edge cases a second review found wrong: the mean, standard deviation or variance of
//! a column that has none (a String; a Datetime's moments) is refused, as pandas refuses it,
//! instead of averaging digits; and `read_parquet` of the folder `to_parquet` wrote reads it,
//! as Dask's does.
#![cfg(feature = "parquet")]

use lazydag_frame as dd;
use polars::prelude::*;

/// Polars' eager group-by of the same data, sorted by key: the reference.
fn eager_gb(pl: &DataFrame, key: &str, named: Vec<Expr>) -> DataFrame {
    pl.clone()
        .lazy()
        .group_by([col(key)])
        .agg(named)
        .sort([key], SortMultipleOptions::default())
        .collect()
        .unwrap()
}

/// `mean`, `std` and `var` of a column without one (Polars gives null; pandas raises a
/// `TypeError`) are refused, naming the column and its type: the partials averaged through
/// `Float64`, so "1" and "2" averaged to "1.5" (as a string) and a Datetime's standard
/// deviation came back as a date. A Datetime's mean is still Polars'.
#[test]
fn groupby_moments_of_columns_without_them_are_refused() {
    let strings = df!("k" => [1i64, 1, 2], "s" => ["1", "2", "x"]).unwrap();
    let times = df!("k" => [1i64, 1, 2, 2], "t" => [1_000_000i64, 3_000_000, 5_000_000, 6_000_000])
        .unwrap()
        .lazy()
        .with_columns([col("t").cast(DataType::Datetime(TimeUnit::Microseconds, None))])
        .collect()
        .unwrap();
    let cases = [
        (&strings, col("s").mean(), "`mean` of column `s`"),
        (&strings, col("s").var(1), "`var` of column `s`"),
        (&strings, col("s").std(1), "`std` of column `s`"),
        (&times, col("t").std(1), "`std` of column `t`"),
        (&times, col("t").var(1), "`var` of column `t`"),
    ];
    for (pl, e, what) in cases {
        let frame = dd::from_polars(pl.clone(), 2).unwrap().groupby(["k"]).agg([e]);
        let err = frame.compute().unwrap_err().to_string();
        assert!(err.contains(what) && err.contains("only numeric and Boolean"), "{err}");
    }
    let want = eager_gb(&times, "k", vec![col("t").mean().alias("t_mean")]);
    let got = dd::from_polars(times.clone(), 2).unwrap().groupby(["k"]).agg([col("t").mean()]);
    assert!(got.compute().unwrap().equals_missing(&want));
}

/// Dask's `read_parquet(path)` takes the directory `to_parquet(path)` wrote (docs/frame.md
/// maps one onto the other); `read_parquet(dir)` here passes the directory to
/// `ParquetReader` (`parquet.rs` `Footer::read`, after `csv::expand` accepts any existing
/// path) and fails with "`dir`: not readable as Parquet: ... Is a directory".
#[test]
fn read_parquet_reads_the_directory_to_parquet_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let pl = df!("a" => [1i64, 2, 3, 4], "b" => [1.0, 2.0, 3.0, 4.0]).unwrap();
    dd::from_polars(pl.clone(), 2).unwrap().to_parquet(&out).unwrap();
    let back = dd::read_parquet(&out).open();
    let back = back.unwrap_or_else(|e| panic!("read_parquet(dir written by to_parquet): {e}"));
    assert!(back.compute().unwrap().equals(&pl));
}
