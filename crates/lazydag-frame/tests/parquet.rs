//! `read_parquet` and `to_parquet` against Polars' own eager Parquet reader on the same files
//! (one partition per row group or per file, globs, column selection, a group-by over the
//! partitions, every scheduler), and the errors for bad input. Cases follow dask's
//! `dask/dataframe/io/tests/test_parquet.py` (`test_roundtrip`, `test_split_row_groups`,
//! `test_columns_name`). Needs the `parquet` feature.
#![cfg(feature = "parquet")]
mod common;

use std::path::Path;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

fn frame(n: usize) -> DataFrame {
    df!(
        "k" => (0..n).map(|i| (i * 7 % 13) as i64).collect::<Vec<_>>(),
        "x" => (0..n).map(|i| if i % 11 == 3 { None } else { Some((i as f64).cos() * 100.0) }).collect::<Vec<_>>(),
        "s" => (0..n).map(|i| ["a", "b", "c"][i % 3]).collect::<Vec<_>>(),
        "t" => (0..n).map(|i| 1_700_000_000_000_000 + i as i64 * 1_000_000).collect::<Vec<_>>()
    )
    .unwrap()
    .lazy()
    .with_columns([col("t").cast(DataType::Datetime(TimeUnit::Microseconds, None))])
    .collect()
    .unwrap()
}

fn write_parquet(path: &Path, df: &DataFrame, row_group: usize) {
    let mut file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(&mut file)
        .with_row_group_size(Some(row_group))
        .finish(&mut df.clone())
        .unwrap();
}

/// The number of row groups the file's footer lists (Polars' writer decides the sizes).
fn row_groups(path: &Path) -> usize {
    let mut r = ParquetReader::new(std::fs::File::open(path).unwrap());
    r.get_metadata().unwrap().row_groups.len()
}

/// Polars' eager read of a whole file: the reference.
fn polars_read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

#[test]
fn one_partition_per_row_group_matches_polars_eager() {
    let dir = tempfile::tempdir().unwrap();
    let pl = frame(1000);
    for row_group in [1000, 333, 100, 64] {
        let path = dir.path().join(format!("rg{row_group}.parquet"));
        write_parquet(&path, &pl, row_group);
        let want = polars_read_parquet(&path);
        let df = dd::read_parquet(&path).open().unwrap();
        let groups = row_groups(&path);
        assert!(row_group == 1000 || groups > 1, "the writer made {groups} row groups");
        assert_eq!(df.npartitions(), groups, "row group {row_group}");
        assert_eq!(df.schema().unwrap(), want.schema().clone());
        for (name, s) in schedulers() {
            let got = df.compute_with(&*s).unwrap();
            assert!(got.equals_missing(&want), "row group {row_group} on {name}");
        }
        let whole = dd::read_parquet(&path).split_row_groups(false).open().unwrap();
        assert_eq!(whole.npartitions(), 1);
        assert!(whole.compute().unwrap().equals_missing(&want));
    }
}

#[test]
fn columns_are_projected_in_the_given_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let pl = frame(200);
    write_parquet(&path, &pl, 50);
    let df = dd::read_parquet(&path).columns(["x", "k"]).open().unwrap();
    assert_eq!(df.columns().unwrap(), ["x", "k"]);
    let got = df.compute().unwrap();
    assert!(got.equals_missing(&polars_read_parquet(&path).select(["x", "k"]).unwrap()));
}

#[test]
fn groupby_over_row_groups_matches_polars_eager() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let pl = frame(2000);
    write_parquet(&path, &pl, 150);
    let df = dd::read_parquet(&path).open().unwrap();
    let aggs = [col("x").mean(), col("x").min(), col("x").max(), col("x").count()];
    let got = df.groupby(["k"]).agg(aggs.clone()).compute().unwrap();
    let want = polars_read_parquet(&path)
        .lazy()
        .group_by([col("k")])
        .agg([
            col("x").mean().alias("x_mean"),
            col("x").min().alias("x_min"),
            col("x").max().alias("x_max"),
            col("x").count().alias("x_count"),
        ])
        .sort(["k"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    assert_frames_close(&got, &want);
}

#[test]
fn to_parquet_writes_one_file_per_partition_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let pl = frame(500);
    for nparts in [1, 3, 7] {
        let out = dir.path().join(format!("out{nparts}"));
        let df = dd::from_polars(pl.clone(), nparts).unwrap().filter(col("k").gt(lit(2)));
        let paths = df.to_parquet(&out).unwrap();
        assert_eq!(paths.len(), nparts);
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(p, &out.join(format!("part-{i:05}.parquet")));
            // Each file is partition i, as Polars reads it.
            let want = df.get_partition(i).unwrap().compute().unwrap();
            assert!(polars_read_parquet(p).equals_missing(&want));
        }
        let glob = out.join("*.parquet");
        let back = dd::read_parquet(glob.to_str().unwrap()).open().unwrap();
        let want = pl.clone().lazy().filter(col("k").gt(lit(2))).collect().unwrap();
        assert!(back.compute().unwrap().equals_missing(&want), "{nparts} partitions");
    }
}

#[test]
fn a_list_of_files_is_read_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let pl = frame(300);
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    write_parquet(&a, &pl.slice(0, 120), 50);
    write_parquet(&b, &pl.slice(120, 180), 1000);
    let df = dd::read_parquet(vec![&a, &b]).open().unwrap();
    assert_eq!(df.npartitions(), row_groups(&a) + row_groups(&b));
    assert!(row_groups(&a) > 1);
    assert!(df.compute().unwrap().equals_missing(&pl));
    let per_file = dd::read_parquet(vec![&a, &b]).split_row_groups(false).open().unwrap();
    assert_eq!(per_file.npartitions(), 2);
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.parquet");
    let e = dd::read_parquet(&missing).open().unwrap_err();
    assert!(matches!(e, dd::Error::NoSuchFile { .. }), "{e}");

    let not_parquet = write(dir.path(), "x.parquet", "a,b\n1,2\n");
    let e = dd::read_parquet(&not_parquet).open().unwrap_err();
    assert!(matches!(e, dd::Error::Parquet { .. }), "{e}");
    assert!(e.to_string().contains("x.parquet"), "{e}");

    let good = dir.path().join("good.parquet");
    write_parquet(&good, &frame(10), 5);
    let e = dd::read_parquet(&good).columns(["k", "zz"]).open().unwrap_err();
    assert!(e.to_string().contains("column `zz` not found; the columns are [k, x, s, t]"), "{e}");

    // A later file without one of the first file's columns: named, with its columns.
    let other = dir.path().join("other.parquet");
    write_parquet(&other, &frame(10).drop("x").unwrap(), 5);
    let e = dd::read_parquet(vec![&good, &other]).open().unwrap_err();
    match &e {
        dd::Error::MissingColumn { column, file: Some(f), .. } => {
            assert_eq!(column, "x");
            assert_eq!(f, &other);
        }
        _ => panic!("{e}"),
    }

    // Same columns, another dtype.
    let cast = dir.path().join("cast.parquet");
    let recast = frame(10).lazy().with_columns([col("k").cast(DataType::Int32)]).collect().unwrap();
    write_parquet(&cast, &recast, 5);
    let e = dd::read_parquet(vec![&good, &cast]).open().unwrap_err();
    assert!(e.to_string().contains("cast.parquet"), "{e}");
}
