//! Bad input: every case names the file, the line or byte offset, and the column; nothing
//! panics and nothing is dropped silently.
mod common;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

#[test]
fn missing_file_and_glob_matching_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let e = dd::read_csv(&missing).open().unwrap_err();
    assert!(matches!(e, dd::Error::NoSuchFile { .. }));
    assert!(e.to_string().contains("nope.csv"), "{e}");
    let pattern = dir.path().join("*.csv");
    let e = dd::read_csv(pattern.to_str().unwrap()).open().unwrap_err();
    assert!(e.to_string().starts_with("no file matches"), "{e}");
}

#[test]
fn empty_file_first_or_later() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "b.csv", "");
    let e = dd::read_csv(&empty).open().unwrap_err();
    assert!(matches!(e, dd::Error::EmptyFile { .. }), "{e}");
    assert!(e.to_string().contains("b.csv"));
    let good = write(dir.path(), "a.csv", "x\n1\n");
    let e = dd::read_csv(vec![good, empty]).open().unwrap_err();
    assert!(e.to_string().contains("b.csv` is empty"), "{e}");
}

#[test]
fn value_that_does_not_parse_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("user_id,value\n");
    for i in 0..30 {
        text.push_str(&format!("{i},{}.5\n", i));
    }
    text.push_str("31,oops\n32,1.0\n");
    let path = write(dir.path(), "v.csv", &text);
    for bs in [None, Some(16u64), Some(100)] {
        let df = dd::read_csv(&path)
            .blocksize(bs)
            .dtypes([("value", DataType::Float64)])
            .open()
            .unwrap();
        let e = df.compute().unwrap_err();
        match e.root() {
            dd::Error::Parse { line, column, value, byte, .. } => {
                assert_eq!(
                    (*line, column.as_str(), value.as_str()),
                    (32, "value", "oops"),
                    "bs {bs:?}"
                );
                assert_eq!(*byte as usize, text.find("31,oops").unwrap());
            }
            other => panic!("bs {bs:?}: {other}"),
        }
        let msg = e.to_string();
        assert!(msg.contains("v.csv` line 32") && msg.contains("column `value`"), "{msg}");
        assert!(msg.contains("task `read_csv"), "the task is named: {msg}");
    }
}

#[test]
fn inferred_int_column_meeting_a_float_later_says_to_declare_a_dtype() {
    // The case behind dask's "Mismatched dtypes found" error: the sample infers int, a later
    // block holds a float.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a\n");
    for i in 0..100 {
        text.push_str(&format!("{i}\n"));
    }
    text.push_str("1.5\n");
    let path = write(dir.path(), "i.csv", &text);
    let e = dd::read_csv(&path).sample(50).blocksize(64).open().unwrap().compute().unwrap_err();
    let msg = e.root().to_string();
    assert!(
        msg.contains("line 102") && msg.contains("\"1.5\"") && msg.contains(".dtypes("),
        "{msg}"
    );
}

#[test]
fn malformed_rows_too_many_or_too_few_fields() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bad) in [("long.csv", "3,4,5"), ("short.csv", "3"), ("blank.csv", "")] {
        let text = format!("a,b\n1,2\n{bad}\n6,7\n");
        let path = write(dir.path(), name, &text);
        // Read whole, and with one column only: Polars does not look past the last column it
        // reads, so the row check finds a long row then.
        for (bs, usecols) in
            [(None, None), (Some(5u64), None), (None, Some("a")), (None, Some("b"))]
        {
            let read = dd::read_csv(&path).blocksize(bs);
            let read = if let Some(c) = usecols { read.usecols([c]) } else { read };
            let e = read.open().unwrap().compute().unwrap_err();
            match e.root() {
                dd::Error::MalformedRow { line, byte, expected, .. } => {
                    assert_eq!((*line, *byte, *expected), (3, 8, 2), "{name} {bs:?}");
                }
                other => panic!("{name} {bs:?}: {other}"),
            }
            assert!(e.to_string().contains(name), "{e}");
        }
    }
}

#[test]
fn missing_columns_list_the_ones_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", "a,b\n1,2\n");
    let e = dd::read_csv(&path).dtypes([("c", DataType::Int64)]).open().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("column `c` not found in `{}`; the columns are [a, b]", path.display())
    );
    let e = dd::read_csv(&path).usecols(["a", "z"]).open().unwrap_err();
    assert!(e.to_string().contains("column `z` not found"), "{e}");
    let df = dd::read_csv(&path).open().unwrap();
    let e = df.select(["q"]).compute().unwrap_err();
    assert_eq!(e.to_string(), "column `q` not found; the columns are [a, b]");
    let e = df.fillna_columns([("a", lit(0)), ("q", lit(1))]).compute().unwrap_err();
    assert_eq!(e.to_string(), "column `q` not found; the columns are [a, b]");
}

#[test]
fn key_column_absent_in_one_file_of_a_glob() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1.csv", "user_id,value\n1,2.0\n");
    write(dir.path(), "2.csv", "uid,value\n1,2.0\n");
    let pattern = dir.path().join("*.csv");
    let e = dd::read_csv(pattern.to_str().unwrap()).open().unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("column `user_id` not found in `") && msg.contains("2.csv`"), "{msg}");
    assert!(msg.contains("the columns are [uid, value]"), "{msg}");
}

#[test]
fn bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", "a\n1\n");
    let e = dd::read_csv(&path).blocksize("64 parsecs").open().unwrap_err();
    assert!(e.to_string().contains("is not a size"), "{e}");
    assert!(dd::read_csv(&path).blocksize(0).open().is_err());
    assert!(dd::from_polars(df!("a" => [1]).unwrap(), 0).is_err());
    assert!(dd::from_delayed(vec![], None).is_err());
    let df = dd::from_polars(df!("a" => [1]).unwrap(), 1).unwrap();
    assert!(df.reduction("median", 2).compute().is_err());
    // A user function that panics on a partition is an error naming the task, not a crash.
    let boom = df.map_partitions_with_schema(|_| panic!("user bug"), df.schema().unwrap());
    let e = boom.compute().unwrap_err();
    assert!(e.to_string().contains("map_partitions") && e.to_string().contains("user bug"), "{e}");
}

#[test]
fn a_file_deleted_after_open_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gone.csv", CSV_TEXT);
    let df = dd::read_csv(&path).open().unwrap();
    std::fs::remove_file(&path).unwrap();
    let e = df.compute().unwrap_err();
    assert!(matches!(e.root(), dd::Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("gone.csv"));
}

/// A bad value in a `Datetime` column is named at its own line: the check cast the whole
/// text column, which fails for every row when one value does not parse, and so blamed
/// the first row and quoted a valid value.
#[test]
fn a_bad_datetime_is_named_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "t,v\n2021-01-01 10:00:00,1\n2021-01-02 11:30:00,2\nnot a date,3\n2021-01-04 09:00:00,4\n";
    let path = write(dir.path(), "t.csv", text);
    for bs in [None, Some(24u64)] {
        let df = dd::read_csv(&path)
            .blocksize(bs)
            .dtypes([("t", DataType::Datetime(TimeUnit::Microseconds, None))])
            .open()
            .unwrap();
        let e = df.compute().unwrap_err();
        match e.root() {
            dd::Error::Parse { line, column, value, .. } => {
                assert_eq!(
                    (*line, column.as_str(), value.as_str()),
                    (4, "t", "not a date"),
                    "bs {bs:?}"
                );
            }
            other => panic!("bs {bs:?}: {other}"),
        }
    }
}

/// A missing-value field (`NA`, one of pandas' list that `read_csv` reads as null) before
/// a bad value is not the one blamed.
#[test]
fn a_missing_value_field_is_not_blamed_for_a_bad_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "n.csv", "v\n1.0\nNA\noops\n2.0\n");
    let df = dd::read_csv(&path).dtypes([("v", DataType::Float64)]).open().unwrap();
    match df.compute().unwrap_err().root() {
        dd::Error::Parse { line, value, .. } => assert_eq!((*line, value.as_str()), (4, "oops")),
        other => panic!("{other}"),
    }
}
