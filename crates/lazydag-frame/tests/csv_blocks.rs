//! Reading CSV in byte blocks: every cut position, headers, dtypes, globs, lists, options.
mod common;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

#[test]
fn every_blocksize_reads_the_same_rows() {
    // Blocks of 1 byte up to the whole file: every cut position of every row.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", CSV_TEXT);
    let want = polars_read(&path, None);
    for bs in 1..=CSV_TEXT.len() as u64 + 1 {
        let df = dd::read_csv(&path).blocksize(bs).open().unwrap();
        let got = df.compute_with(&lazydag_core::scheduler::Sequential).unwrap();
        assert!(got.equals_missing(&want), "blocksize {bs}:\n{got}");
        // Every partition is a whole number of rows: none is cut.
        let rows: usize = df.partitions().iter().map(|p| p.compute().unwrap().height()).sum();
        assert_eq!(rows, 13);
    }
}

#[test]
fn no_trailing_newline_and_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.csv", "x,y\n1,2\n3,4");
    let b = write(dir.path(), "b.csv", "x,y\r\n1,2\r\n3,4\r\n");
    for path in [a, b] {
        for bs in 1..=12u64 {
            let got = dd::read_csv(&path).blocksize(bs).open().unwrap().compute().unwrap();
            assert_eq!(
                got.column("y").unwrap().i64().unwrap().to_vec(),
                [Some(2), Some(4)],
                "bs {bs}"
            );
        }
    }
}

#[test]
fn dtypes_are_known_without_computing_and_user_dtypes_win() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "t.csv",
        "user_id,timestamp,value\n1,2024-01-02 03:04:05,1.5\n2,2024-01-03 00:00:00,2\n",
    );
    let df = dd::read_csv(&path)
        .blocksize("64MB")
        .dtypes([
            ("user_id", DataType::Int64),
            ("timestamp", DataType::Datetime(TimeUnit::Microseconds, None)),
            ("value", DataType::Float64),
        ])
        .open()
        .unwrap();
    assert_eq!(
        df.dtypes().unwrap(),
        [
            ("user_id".to_string(), DataType::Int64),
            ("timestamp".to_string(), DataType::Datetime(TimeUnit::Microseconds, None)),
            ("value".to_string(), DataType::Float64),
        ]
    );
    let out = df.compute().unwrap();
    assert_eq!(out.schema().as_ref(), df.schema().unwrap().as_ref());
    // Inference alone: ints, a string, floats.
    let inferred = dd::read_csv(&path).open().unwrap().dtypes().unwrap();
    assert_eq!(inferred[0].1, DataType::Int64);
    assert_eq!(inferred[2].1, DataType::Float64);
}

#[test]
fn glob_and_list_with_a_header_only_file() {
    // Ported from dask's `files` fixture (dask/dataframe/io/tests/test_csv.py,
    // test_read_csv_files): three files, the second with only a header.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "2014-01-01.csv", "name,amount,id\nAlice,100,1\nBob,200,2\nCharlie,300,3\n");
    write(dir.path(), "2014-01-02.csv", "name,amount,id\n");
    write(dir.path(), "2014-01-03.csv", "name,amount,id\nDennis,400,4\nEdith,500,5\nFrank,600,6\n");
    let pattern = dir.path().join("2014-01-*.csv");
    let df = dd::read_csv(pattern.to_str().unwrap()).blocksize(20).open().unwrap();
    let out = df.compute().unwrap();
    assert_eq!(out.height(), 6);
    assert_eq!(
        out.column("id").unwrap().i64().unwrap().to_vec(),
        (1..=6).map(Some).collect::<Vec<_>>()
    );
    let list = vec![dir.path().join("2014-01-03.csv"), dir.path().join("2014-01-01.csv")];
    let out = dd::read_csv(list).open().unwrap().compute().unwrap();
    assert_eq!(out.column("name").unwrap().str().unwrap().get(0), Some("Dennis"));
}

#[test]
fn columns_in_another_order_in_a_later_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.csv", "k,v\n1,1.5\n");
    let b = write(dir.path(), "b.csv", "v,k\n2.5,2\n");
    let out = dd::read_csv(vec![a, b]).open().unwrap().compute().unwrap();
    assert_eq!(out.column("k").unwrap().i64().unwrap().to_vec(), [Some(1), Some(2)]);
    assert_eq!(out.column("v").unwrap().f64().unwrap().to_vec(), [Some(1.5), Some(2.5)]);
}

#[test]
fn no_header_separator_usecols() {
    // Ported from dask's tsv_text case (test_csv.py, read_table with sep="\t").
    let dir = tempfile::tempdir().unwrap();
    let tsv = CSV_TEXT.replace(',', "\t");
    let path = write(dir.path(), "t.tsv", &tsv);
    let df = dd::read_csv(&path).separator(b'\t').blocksize(30).usecols(["amount"]).open().unwrap();
    assert_eq!(df.columns().unwrap(), ["amount"]);
    let sum = df.sum().compute().unwrap();
    assert_eq!(sum.column("amount").unwrap().i64().unwrap().get(0), Some(2800));

    let raw = write(dir.path(), "raw.csv", "1,a\n2,b\n3,c\n");
    let df = dd::read_csv(&raw).has_header(false).blocksize(4).open().unwrap();
    assert_eq!(df.columns().unwrap(), ["column_1", "column_2"]);
    assert_eq!(df.len().unwrap(), 3);
}

#[test]
fn quoted_fields_without_newlines_are_fine_at_any_cut() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a,b\n\"x,1\",2\n\"y \"\"q\"\"\",3\n\"z\",4\n";
    let path = write(dir.path(), "q.csv", text);
    let want = polars_read(&path, None);
    for bs in 1..=text.len() as u64 {
        let got = dd::read_csv(&path).blocksize(bs).open().unwrap().compute().unwrap();
        assert!(got.equals_missing(&want), "bs {bs}: {got}");
    }
}

#[test]
fn quoted_newlines_read_whole_files_and_are_refused_in_blocks() {
    // dask's test_csv_parse_fail (test_csv.py): quoted fields holding newlines.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "q.csv", "a,b\n1,\"hi\n\"\n2,\"oi\n\"\n");
    let whole = dd::read_csv(&path).blocksize(None).open().unwrap().compute().unwrap();
    assert_eq!(whole.column("b").unwrap().str().unwrap().get(1), Some("oi\n"));
    let err = dd::read_csv(&path).blocksize(5).open().unwrap_err();
    assert!(matches!(err, dd::Error::QuotedNewline { .. }), "{err}");
    assert!(err.to_string().contains("blocksize(None)"));
}

#[test]
fn quoted_newline_after_the_sample_is_read_right_or_refused_never_wrong() {
    // The sample (40 bytes) sees no quoted newline, so blocks are cut; at every block size
    // the frame is either exactly Polars' read of the whole file or a clear error.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b\n");
    for i in 0..20 {
        text.push_str(&format!("{i},plain\n"));
    }
    text.push_str("99,\"two\nlines\"\n7,after\n");
    let path = write(dir.path(), "late.csv", &text);
    let want = polars_read(&path, None);
    let mut refused = 0;
    for bs in 1..=text.len() as u64 {
        let df = dd::read_csv(&path).sample(40).blocksize(bs).open().unwrap();
        match df.compute() {
            Ok(got) => assert!(got.equals_missing(&want), "bs {bs}: {got}"),
            Err(e) => {
                refused += 1;
                assert!(
                    matches!(
                        e.root(),
                        dd::Error::QuotedNewline { .. } | dd::Error::MalformedRow { .. }
                    ),
                    "bs {bs}: {e}"
                );
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn head_computes_only_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", CSV_TEXT);
    let df = dd::read_csv(&path).blocksize(20).open().unwrap();
    assert!(df.npartitions() > 5);
    let h = df.head(3).unwrap();
    assert_eq!(h.height(), 3);
    assert_eq!(h.column("name").unwrap().str().unwrap().get(2), Some("Charlie"));
    assert_eq!(df.head(100).unwrap().height(), 13);
}

#[test]
fn every_scheduler_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", CSV_TEXT);
    let want = polars_read(&path, None);
    let df = dd::read_csv(&path).blocksize(17).open().unwrap();
    for (name, s) in schedulers() {
        assert!(df.compute_with(&*s).unwrap().equals_missing(&want), "{name}");
    }
}

#[test]
fn to_csv_writes_one_file_per_partition_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.csv", CSV_TEXT);
    let df = dd::read_csv(&path).blocksize(40).open().unwrap();
    let out = dir.path().join("out");
    let files = df.to_csv(&out).unwrap();
    assert_eq!(files.len(), df.npartitions());
    let back = dd::read_csv(out.join("part-*.csv").to_str().unwrap()).open().unwrap();
    assert!(back.compute().unwrap().equals_missing(&df.compute().unwrap()));
}

#[test]
fn a_quote_inside_an_unquoted_field_is_a_character() {
    // 5" (inches). Polars' whole-file reader miscounts the rows of this file; every block
    // size here gives the three rows or a clear error, and never a panic or a wrong row.
    let dir = tempfile::tempdir().unwrap();
    let text = "size,n\n5\",1\n7\",2\n\"q,uoted\",3\n";
    let path = write(dir.path(), "in.csv", text);
    for bs in 1..=text.len() as u64 {
        match dd::read_csv(&path).blocksize(bs).open().and_then(|df| df.compute()) {
            Ok(got) => {
                assert_eq!(
                    got.column("n").unwrap().i64().unwrap().to_vec(),
                    [Some(1), Some(2), Some(3)],
                    "bs {bs}"
                );
                assert_eq!(got.column("size").unwrap().str().unwrap().get(2), Some("q,uoted"));
            }
            Err(e) => assert!(e.root().to_string().contains("in.csv"), "bs {bs}: {e}"),
        }
    }
}

#[test]
fn a_header_longer_than_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..50).map(|i| format!("column_number_{i}")).collect();
    let mut text = names.join(",");
    text.push('\n');
    text.push_str(&vec!["1"; 50].join(","));
    text.push('\n');
    let path = write(dir.path(), "wide.csv", &text);
    let df = dd::read_csv(&path).sample(64).open().unwrap();
    assert_eq!(df.columns().unwrap(), names);
    assert_eq!(df.compute().unwrap().height(), 1);
}

#[test]
fn usecols_parses_only_those_columns_and_reports_their_errors() {
    // `junk` would not parse as an int, but it is not read.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "u.csv", "a,junk,b\n1,x,2\n3,y,4\n5,z,bad\n");
    let df = dd::read_csv(&path)
        .usecols(["b", "a"])
        .dtypes([("junk", DataType::Int64), ("b", DataType::Int64)])
        .blocksize(9)
        .open()
        .unwrap();
    assert_eq!(df.columns().unwrap(), ["b", "a"]);
    let e = df.compute().unwrap_err();
    assert!(
        e.root().to_string().contains("line 4") && e.root().to_string().contains("column `b`"),
        "{e}"
    );
    let ok = dd::read_csv(&path).usecols(["a"]).dtypes([("junk", DataType::Int64)]).open().unwrap();
    assert_eq!(ok.compute().unwrap().column("a").unwrap().i64().unwrap().sum(), Some(9));
}

#[test]
fn a_group_by_or_select_reads_only_the_columns_it_needs() {
    // `junk` would not parse as an int: reading the whole frame fails, but a group-by or a
    // `select` that does not need it pushes the projection into the read, like Dask's and
    // Polars' readers, and never parses it. Rows are still checked whole.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "p.csv", "k,junk,v\n1,x,2.0\n2,y,3.0\n1,z,4.0\n");
    let df = dd::read_csv(&path).dtypes([("junk", DataType::Int64)]).blocksize(9).open().unwrap();
    assert!(df.compute().unwrap_err().root().to_string().contains("column `junk`"));
    let g = df.groupby(["k"]).agg([col("v").sum(), col("v").mean()]).compute().unwrap();
    assert_eq!(g.column("v_sum").unwrap().f64().unwrap().get(0), Some(6.0));
    let means = df.select(["k", "v"]).groupby(["k"]).mean().compute().unwrap();
    assert_eq!(means.get_column_names(), ["k", "v"]);
    assert_eq!(means.column("v").unwrap().f64().unwrap().get(0), Some(3.0));
    let sizes = df.groupby(["k"]).size().compute().unwrap();
    assert_eq!(sizes.column("size").unwrap().u32().unwrap().get(0), Some(2));
    // The select reads only `v`, and still finds a malformed row.
    let bad = write(dir.path(), "bad.csv", "k,junk,v\n1,x,2.0\n2,y\n");
    let e = dd::read_csv(&bad).open().unwrap().select(["v"]).compute().unwrap_err();
    assert!(e.root().to_string().contains("line 3"), "{e}");
}
