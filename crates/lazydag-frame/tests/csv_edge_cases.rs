//! Edge cases of the CSV reader that a review found wrong, each pinned at every block size
//! where the block size could matter: blank and whitespace-only lines, a last line without a
//! newline, a sample that ends inside a row or inside a quoted field, byte-order marks, blank
//! lines before the header, values that are not booleans or not UTF-8 (the error names the
//! line and column), an unclosed quote, duplicate `usecols`, and the group-by and reductions
//! fed by such files, against Polars' own reader.
mod common;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

fn write_bytes(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read(path: &std::path::Path, bs: Option<u64>) -> dd::Result<DataFrame> {
    dd::read_csv(path).blocksize(bs).open()?.compute()
}

/// A TSV row of two empty fields ("\t\n") is a row of nulls; it is ASCII whitespace.
#[test]
fn whitespace_only_row_of_empty_fields_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a\tb\n1\t2\n\t\n3\t4\n";
    let path = write(dir.path(), "t.tsv", text);
    let want = CsvReadOptions::default()
        .with_has_header(true)
        .map_parse_options(|o| o.with_separator(b'\t'))
        .try_into_reader_with_file_path(Some(path.clone()))
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(want.height(), 3, "polars reads 3 rows");
    let mut heights = Vec::new();
    for bs in [None, Some(1u64), Some(2), Some(4)] {
        let got =
            dd::read_csv(&path).separator(b'\t').blocksize(bs).open().unwrap().compute().unwrap();
        heights.push((bs, got.height()));
    }
    assert!(heights.iter().all(|(_, h)| *h == 3), "heights by blocksize: {heights:?}");
}

/// A file whose only data row is all empty fields (TSV): one row of nulls.
#[test]
fn only_row_of_empty_fields_is_kept_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "n.tsv", "a\tb\n\t\n");
    let got = dd::read_csv(&path).separator(b'\t').blocksize(None).open().unwrap().compute();
    let got = got.unwrap();
    assert_eq!(got.height(), 1, "{got}");
}

/// One column: a blank line is a null row (check_rows accepts it); it must not depend on the
/// block size.
#[test]
fn single_column_blank_line_same_at_every_blocksize() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a\n1\n\n2\n";
    let path = write(dir.path(), "one.csv", text);
    let whole = read(&path, None);
    let mut by_bs = Vec::new();
    for bs in 1..=text.len() as u64 {
        let got = read(&path, Some(bs));
        by_bs.push((bs, got.as_ref().map(|d| d.height()).map_err(|e| e.root().to_string())));
    }
    let want = whole.as_ref().map(|d| d.height()).map_err(|e| e.root().to_string());
    assert!(by_bs.iter().all(|(_, g)| *g == want), "whole {want:?}, by blocksize {by_bs:?}");
}

/// One String column, a line of spaces: a value "   ".
#[test]
fn single_column_spaces_value_same_at_every_blocksize() {
    let dir = tempfile::tempdir().unwrap();
    let text = "s\nx\n   \ny\n";
    let path = write(dir.path(), "sp.csv", text);
    let whole = read(&path, None).unwrap();
    assert_eq!(whole.height(), 3, "{whole}");
    for bs in 1..=text.len() as u64 {
        let got = read(&path, Some(bs)).unwrap();
        assert_eq!(got.height(), 3, "bs {bs}: {got}");
    }
}

/// Several columns: a blank line is a MalformedRow (docs) at every block size.
#[test]
fn multi_column_blank_line_is_an_error_at_every_blocksize() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a,b\n1,2\n\n3,4\n";
    let path = write(dir.path(), "b.csv", text);
    assert!(read(&path, None).is_err());
    let mut accepted = Vec::new();
    for bs in 1..=text.len() as u64 {
        if let Ok(df) = read(&path, Some(bs)) {
            accepted.push((bs, df.height()));
        }
    }
    // And a trailing blank line.
    let path2 = write(dir.path(), "t.csv", "a,b\n1,2\n3,4\n\n");
    let whole2 = read(&path2, None).map(|d| d.height()).map_err(|e| e.root().to_string());
    let bs4 = read(&path2, Some(4)).map(|d| d.height()).map_err(|e| e.root().to_string());
    assert!(
        accepted.is_empty() && whole2.is_err() == bs4.is_err(),
        "blank line accepted at blocksizes {accepted:?}; trailing blank: whole {whole2:?} vs bs 4 {bs4:?}"
    );
}

/// The file's last line has no newline and the sample holds the whole file: it is a
/// complete row and should take part in the inference (as in Polars and pandas).
#[test]
fn last_line_without_newline_counts_for_inference() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "l.csv", "a\n1\n2\nx");
    let want = polars_read(&path, None);
    assert_eq!(want.column("a").unwrap().dtype(), &DataType::String);
    let df = dd::read_csv(&path).open().unwrap();
    let dtypes = df.dtypes().unwrap();
    let got = df.compute().map_err(|e| e.root().to_string());
    assert!(got.is_ok(), "dtypes {dtypes:?}: {got:?}");
    assert!(got.unwrap().equals_missing(&want));
}

/// The sample ends inside the first data row: inference sees a partial value.
#[test]
fn sample_cut_inside_first_data_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "d.csv", "a,b\n1,2024-01-01\n2,2024-01-02\n");
    let df = dd::read_csv(&path).sample(8).open().unwrap();
    let dtypes = df.dtypes().unwrap();
    let got = df.compute().map_err(|e| e.root().to_string());
    assert!(got.is_ok(), "dtypes {dtypes:?}: {got:?}");
    // Partial float cut at the separator.
    let path = write(dir.path(), "f.csv", "a,b\n1,2.5\n2,3.5\n");
    let df = dd::read_csv(&path).sample(6).open().unwrap();
    assert_eq!(df.dtypes().unwrap()[1].1, DataType::Float64, "{:?}", df.dtypes().unwrap());
}

/// The sample (7 bytes) ends right after a newline inside the first data row's quoted field:
/// the header's end must still be the end of line 1.
#[test]
fn sample_ending_at_a_quoted_newline_of_the_first_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "q.csv", "a,b\n\"x\ny\",1\n2,3\n");
    let want = polars_read(&path, None);
    let got = dd::read_csv(&path).sample(7).blocksize(None).open().unwrap().compute();
    let got = got.map_err(|e| e.root().to_string());
    assert!(got.as_ref().is_ok_and(|g| g.equals_missing(&want)), "want\n{want}\ngot {got:?}");
}

/// A UTF-8 BOM without a header line.
#[test]
fn bom_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_bytes(dir.path(), "bom.csv", b"\xEF\xBB\xBF1,2\n3,4\n");
    let df = dd::read_csv(&path).has_header(false).open().unwrap();
    let dtypes = df.dtypes().unwrap();
    let got = df.compute().map_err(|e| e.root().to_string());
    assert!(
        got.as_ref().is_ok_and(
            |g| g.column("column_1").unwrap().i64().unwrap().to_vec() == [Some(1), Some(3)]
        ),
        "dtypes {dtypes:?}: {got:?}"
    );
}

/// A UTF-8 BOM before a header line (sanity).
#[test]
fn bom_with_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_bytes(dir.path(), "bomh.csv", b"\xEF\xBB\xBFa,b\n1,2\n3,4\n");
    for bs in [None, Some(3u64)] {
        let df = dd::read_csv(&path).blocksize(bs).open().unwrap();
        assert_eq!(df.columns().unwrap(), ["a", "b"]);
        let got = df.compute().unwrap();
        assert_eq!(got.column("a").unwrap().i64().unwrap().to_vec(), [Some(1), Some(3)]);
    }
}

/// A blank line before the header.
#[test]
fn blank_line_before_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "lead.csv", "\na,b\n1,2\n");
    let polars = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(path.clone()))
        .unwrap()
        .finish()
        .map(|d| format!("{:?} {}", d.get_column_names(), d.height()));
    let ours = dd::read_csv(&path)
        .open()
        .and_then(|df| {
            let cols = df.columns()?;
            Ok((cols, df.compute()?.height()))
        })
        .map_err(|e| e.root().to_string());
    assert!(
        ours.as_ref().is_ok_and(|(c, h)| c == &["a", "b"] && *h == 1),
        "polars {polars:?}, ours {ours:?}"
    );
}

fn expect_line(e: &dd::Error, line: &str) {
    let msg = e.root().to_string();
    assert!(msg.contains(line), "{msg}");
}

/// A Boolean column with a value that is not a boolean.
#[test]
fn bad_boolean_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bool.csv", "a,b\n1,true\n2,maybe\n");
    let df = dd::read_csv(&path).dtypes([("b", DataType::Boolean)]).open().unwrap();
    let e = df.compute().unwrap_err();
    expect_line(&e, "line 3");
    assert!(e.root().to_string().contains("column `b`"), "{e}");
}

/// Invalid UTF-8 in a String column.
#[test]
fn invalid_utf8_names_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_bytes(dir.path(), "u8.csv", b"a,b\n1,x\n2,\xff\xfe\n3,y\n");
    let df = dd::read_csv(&path).dtypes([("b", DataType::String)]).open();
    let e = match df {
        Err(e) => e,
        Ok(df) => df.compute().unwrap_err(),
    };
    expect_line(&e, "line 3");
}

/// A long row inside the sample: the error should name the line (as MalformedRow does).
#[test]
fn ragged_row_in_sample_names_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "rag.csv", "a,b\n1,2\n3,4,5\n6,7\n");
    let e = match dd::read_csv(&path).open() {
        Err(e) => e,
        Ok(df) => df.compute().unwrap_err(),
    };
    assert!(matches!(e.root(), dd::Error::MalformedRow { line: 3, .. }), "{e}");
}

/// An unclosed quote, file read whole: the message must not say "use blocksize(None)".
#[test]
fn unclosed_quote_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "open.csv", "a,b\n1,\"oops\n2,3\n");
    let r = dd::read_csv(&path).blocksize(None).open().and_then(|d| d.compute());
    let e = r.unwrap_err();
    assert!(matches!(e.root(), dd::Error::UnclosedQuote { line: 2, byte: 4, .. }), "{e}");
    assert!(!e.to_string().contains("blocksize(None)"), "{e}");
}

/// A small file (one block at the default size) with a quoted newline.
#[test]
fn small_file_with_quoted_newline_default_blocksize() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "small.csv", "a,b\n1,\"x\ny\"\n2,z\n");
    let r = dd::read_csv(&path).open().and_then(|d| d.compute());
    assert!(r.is_ok(), "{}", r.unwrap_err());
}

/// usecols naming a column twice.
#[test]
fn usecols_duplicate_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "dup.csv", "a,b,c\n1,2,3\n");
    let r = dd::read_csv(&path).usecols(["a", "a"]).open().and_then(|d| {
        let cols = d.columns()?;
        Ok((cols, d.compute()?))
    });
    let e = r.unwrap_err();
    assert_eq!(e.to_string(), "invalid argument: usecols names `a` twice: name each column once");
}

/// Group-by over every block size of a CSV with null keys, NaN and empty values, against
/// Polars' eager group-by of the whole file.
#[test]
fn groupby_from_csv_every_blocksize_matches_polars() {
    let dir = tempfile::tempdir().unwrap();
    let text = "k,v,s\n1,1.5,a\n,2.0,b\n2,,c\n1,NaN,\n3,4.0,a\n,5.5,a\n2,-1.0,b\n1,0.5,c\n";
    let path = write(dir.path(), "g.csv", text);
    let whole = polars_read(&path, None);
    let aggs = || {
        vec![
            col("v").sum().alias("v_sum"),
            col("v").mean().alias("v_mean"),
            col("v").min().alias("v_min"),
            col("v").max().alias("v_max"),
            col("v").count().alias("v_count"),
            col("v").std(1).alias("v_std"),
            col("s").first().alias("s_first"),
            col("s").last().alias("s_last"),
            col("s").n_unique().alias("s_nunique"),
            len().alias("size"),
        ]
    };
    let opts = SortMultipleOptions::default().with_nulls_last(false).with_maintain_order(true);
    let want = whole.clone().lazy().group_by([col("k")]).agg(aggs()).collect().unwrap();
    let want = want.sort(["k"], opts.clone()).unwrap();
    for bs in 1..=text.len() as u64 {
        for split_every in [2usize, 8] {
            let df = dd::read_csv(&path).blocksize(bs).open().unwrap();
            let got = df.groupby(["k"]).split_every(split_every).agg(aggs()).compute().unwrap();
            let got = got.sort(["k"], opts.clone()).unwrap();
            assert_frames_close(&got, &want);
        }
        let df = dd::read_csv(&path).blocksize(bs).open().unwrap();
        let s = df.sum().compute().unwrap();
        assert_eq!(s.column("k").unwrap().i64().unwrap().get(0), Some(10), "bs {bs}");
        let c = df.count().compute().unwrap();
        assert_eq!(
            c.column("v").unwrap().cast(&DataType::UInt64).unwrap().u64().unwrap().get(0),
            Some(6) // `NaN` is one of pandas' missing-value fields: not counted, as in pandas
        );
        let n = df.nunique().compute().unwrap();
        assert_eq!(n.column("k").unwrap().u64().unwrap().get(0), Some(4), "bs {bs}");
    }
}

/// A blank first line without a header.
#[test]
fn blank_first_line_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "lead2.csv", "\n1,2\n");
    let r = dd::read_csv(&path).has_header(false).open().and_then(|df| {
        let cols = df.columns()?;
        Ok((cols, df.compute()?.height()))
    });
    // The columns come from the first non-blank row; the blank line is a malformed row (the
    // reader's policy for blank lines in a file of several columns), named by its line.
    let e = r.unwrap_err();
    assert!(
        matches!(e.root(), dd::Error::MalformedRow { line: 1, expected: 2, found: 0, .. }),
        "{e}"
    );
}

/// value_counts of a column named `count`.
#[test]
fn value_counts_of_a_column_named_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "vc.csv", "count,x\n1,a\n1,b\n2,c\n");
    let df = dd::read_csv(&path).open().unwrap();
    // The output's count column would collide with it: a clear error, not Polars' own.
    let e = df.value_counts("count").compute().unwrap_err();
    assert!(e.to_string().contains("rename it first"), "{e}");
    assert_eq!(df.value_counts("x").compute().unwrap().height(), 3);
}

/// Reductions and a group-by on a header-only file (all-String empty partitions).
#[test]
fn reductions_on_header_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "h.csv", "k,v\n");
    let df = dd::read_csv(&path)
        .dtypes([("k", DataType::Int64), ("v", DataType::Float64)])
        .open()
        .unwrap();
    let m = df.mean().compute().unwrap();
    assert_eq!(m.height(), 1);
    let g = df
        .groupby(["k"])
        .agg([col("v").mean(), col("v").std(1), col("v").n_unique()])
        .compute()
        .unwrap();
    assert_eq!(g.height(), 0);
}

/// pandas' missing-value fields read as nulls at every block size, whether a block holds
/// one where it stops a typed column (`NA` in a float column: the block is read again with
/// the list) or only ones that parse (`NaN` in a float column, `NA` in a text column:
/// nulled after a read without the list): the same frame as one read with the list.
#[test]
fn missing_value_fields_are_nulls_at_every_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let text = "k,v,s\n1,1.0,a\n2,NaN,NA\n3,NA,b\n4,nan,NULL\n5,2.5,c\n6,-nan,None\n7,3.0,n/a\n";
    let path = write(dir.path(), "na.csv", text);
    let want = polars_read(&path, None);
    assert_eq!(want.column("v").unwrap().dtype(), &DataType::Float64);
    assert_eq!(
        (want.column("v").unwrap().null_count(), want.column("s").unwrap().null_count()),
        (4, 4)
    );
    for bs in 1..=text.len() as u64 {
        let got = dd::read_csv(&path).blocksize(bs).open().unwrap().compute().unwrap();
        assert!(got.equals_missing(&want), "bs {bs}: {got} {want}");
    }
    let mean = dd::read_csv(&path).blocksize(9).open().unwrap().mean().compute().unwrap();
    assert_eq!(mean.column("v").unwrap().f64().unwrap().get(0), Some(6.5 / 3.0), "as pandas");
}
