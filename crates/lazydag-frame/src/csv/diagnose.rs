//! Finding where bad input is: the row and column behind a Polars parse error, and rows whose
//! field count differs from the header's (which Polars would silently pad with nulls).
//!
//! The row scan is quote-aware (a separator or newline inside quotes does not count) and runs
//! once over each block; everything else here runs only on the error path.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use polars::prelude::{CsvReadOptions, DataType, PolarsError, Schema, SerReader};

use super::block::{FileSpec, parse};
use crate::error::{Error, Result};

/// Where row `row` of a block begins and ends, and its field count, by an RFC 4180 scan: a
/// quote opens a quoted field only at the start of a field (as in Polars), `""` inside one is
/// a quote, and separators and newlines inside one do not count. Calls
/// `visit(row, start, end, fields)` for every row until it returns false, `end` one past the
/// row's newline (the bytes' length for a last row without one); returns whether the bytes
/// end inside a quoted field (that last, open row is not visited).
pub(crate) fn scan_rows(
    bytes: &[u8],
    sep: u8,
    quote: Option<u8>,
    mut visit: impl FnMut(usize, usize, usize, usize) -> bool,
) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let q = quote.unwrap_or(0);
    let has_quote = quote.is_some();
    let (mut row, mut row_start, mut fields, mut state) = (0usize, 0usize, 1usize, S::FieldStart);
    for (i, &b) in bytes.iter().enumerate() {
        match state {
            S::Quoted => {
                if b == q {
                    state = S::QuoteInQuoted;
                }
                continue;
            }
            S::QuoteInQuoted if b == q => {
                state = S::Quoted;
                continue;
            }
            S::FieldStart if has_quote && b == q => {
                state = S::Quoted;
                continue;
            }
            _ => {}
        }
        if b == sep {
            fields += 1;
            state = S::FieldStart;
        } else if b == b'\n' {
            let line = &bytes[row_start..i];
            let blank = line.is_empty() || line == b"\r";
            if !visit(row, row_start, i + 1, if blank { 0 } else { fields }) {
                return false;
            }
            row += 1;
            row_start = i + 1;
            fields = 1;
            state = S::FieldStart;
        } else {
            state = S::Unquoted;
        }
    }
    if row_start < bytes.len() && state != S::Quoted {
        let line = &bytes[row_start..];
        let blank = line.iter().all(|b| *b == b'\r');
        visit(row, row_start, bytes.len(), if blank { 0 } else { fields });
    }
    state == S::Quoted
}

/// The 1-based line number of byte `offset` of the file (the header is line 1).
fn line_of(spec: &FileSpec, offset: u64) -> u64 {
    let Ok(file) = File::open(&spec.path) else { return 0 };
    let mut newlines = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = offset;
    let mut reader = file.take(offset);
    while left > 0 {
        let Ok(n) = reader.read(&mut buf) else { return 0 };
        if n == 0 {
            break;
        }
        newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        left -= n as u64;
    }
    newlines + 1
}

/// Checks that every row of a block has as many fields as the header (a blank line is a
/// malformed row unless there is one column), that the block does not end inside a quoted
/// field (a cut there: [`Error::QuotedNewline`]; the end of the file:
/// [`Error::UnclosedQuote`]), and that Polars read one row per line.
pub(crate) fn check_rows(spec: &FileSpec, from: u64, bytes: &[u8], height: usize) -> Result<()> {
    let expected = spec.file_schema.len();
    if let Some(rows) = unquoted_rows(bytes, spec.separator, spec.quote, expected)
        && rows == height
    {
        return Ok(());
    }
    let (mut bad, mut rows, mut open_row) = (None, 0, 0);
    let open_quote = scan_rows(bytes, spec.separator, spec.quote, |row, at, end, fields| {
        (rows, open_row) = (row + 1, end);
        let ok = fields == expected || (fields == 0 && expected == 1);
        if !ok {
            bad = Some((at, fields));
        }
        ok
    });
    if open_quote && bad.is_none() {
        let end = from + bytes.len() as u64;
        if end < spec.size {
            return Err(Error::QuotedNewline { path: spec.path.clone(), byte: end });
        }
        // The file's last block: nothing follows that could close the field.
        let byte = from + open_row as u64;
        return Err(Error::UnclosedQuote {
            path: spec.path.clone(),
            line: line_of(spec, byte),
            byte,
        });
    }
    if let Some((at, found)) = bad {
        let byte = from + at as u64;
        return Err(Error::MalformedRow {
            path: spec.path.clone(),
            line: line_of(spec, byte),
            byte,
            expected,
            found,
        });
    }
    if rows != height {
        return Err(Error::InvalidArgument(format!(
            "`{}` bytes {from}..{}: {rows} rows in the text but Polars read {height}; please \
             report this file",
            spec.path.display(),
            from + bytes.len() as u64
        )));
    }
    Ok(())
}

/// The fast path of [`check_rows`] for a block without quote characters (most files): the
/// rows are the lines, and a row's fields are one more than its separators, counted a line at
/// a time (a vectorized count). The row count when every row has `expected` fields (as
/// [`scan_rows`] counts them), `None` when the block has a quote character or a bad row, for
/// the full scan to decide and locate.
fn unquoted_rows(bytes: &[u8], sep: u8, quote: Option<u8>, expected: usize) -> Option<usize> {
    if quote.is_some_and(|q| memchr::memchr(q, bytes).is_some()) {
        return None;
    }
    let fields = |line: &[u8]| 1 + line.iter().filter(|&&b| b == sep).count();
    let ok = |line: &[u8], blank: bool| {
        if blank { expected == 1 } else { fields(line) == expected }
    };
    let (mut rows, mut start) = (0, 0);
    for end in memchr::memchr_iter(b'\n', bytes) {
        let line = &bytes[start..end];
        if !ok(line, line.is_empty() || line == b"\r") {
            return None;
        }
        rows += 1;
        start = end + 1;
    }
    if start < bytes.len() {
        let line = &bytes[start..];
        if !ok(line, line.iter().all(|b| *b == b'\r')) {
            return None;
        }
        rows += 1;
    }
    Some(rows)
}

/// Row `i` of the block `bytes` (at `from`) has `value` in `column`, which does not parse as
/// `dtype`: the error naming its line and byte.
fn bad_value(
    spec: &FileSpec,
    from: u64,
    bytes: &[u8],
    i: usize,
    column: &str,
    value: &str,
    dtype: String,
) -> Error {
    let mut at = 0;
    scan_rows(bytes, spec.separator, spec.quote, |row, off, _, _| {
        at = off;
        row < i
    });
    let byte = from + at as u64;
    Error::Parse {
        path: spec.path.clone(),
        line: line_of(spec, byte),
        byte,
        column: column.to_owned(),
        value: value.to_owned(),
        dtype,
    }
}

/// The error naming the line and column of the first byte of `bytes` (at `from`) that is not
/// UTF-8, if there is one: the row that holds it, and that row's first value with a
/// replacement character once the bytes are read lossily.
pub(crate) fn invalid_utf8(spec: &FileSpec, from: u64, bytes: &[u8]) -> Option<Error> {
    let bad = std::str::from_utf8(bytes).err()?.valid_up_to();
    let mut row_of_bad = None;
    scan_rows(bytes, spec.separator, spec.quote, |row, _, end, _| {
        if bad < end {
            row_of_bad = Some(row);
        }
        row_of_bad.is_none()
    });
    let i = row_of_bad?;
    let text: Schema =
        spec.file_schema.iter_names().map(|n| (n.clone(), DataType::String)).collect();
    let lossy = String::from_utf8_lossy(bytes);
    let df = parse(spec, lossy.as_bytes(), Arc::new(text)).ok()?;
    spec.file_schema.iter_names().find_map(|name| {
        let value = df.column(name).ok()?.str().ok()?.get(i)?;
        value
            .contains('\u{FFFD}')
            .then(|| bad_value(spec, from, bytes, i, name, value, "UTF-8 text".into()))
    })
}

/// Turns Polars' error on a block into one naming the line and the column: re-reads the block
/// as text, finds the first value that does not cast to its column's dtype.
pub(crate) fn explain(spec: &FileSpec, from: u64, bytes: &[u8], err: PolarsError) -> Error {
    let fallback = |err: PolarsError| Error::Csv {
        path: spec.path.clone(),
        start: from,
        end: from + bytes.len() as u64,
        source: Arc::new(err),
    };
    // A wrong field count first: Polars' message for it has no position.
    if let Err(e) = check_rows(spec, from, bytes, usize::MAX)
        && matches!(
            e,
            Error::MalformedRow { .. } | Error::QuotedNewline { .. } | Error::UnclosedQuote { .. }
        )
    {
        return e;
    }
    let text: Arc<Schema> =
        Arc::new(spec.file_schema.iter_names().map(|n| (n.clone(), DataType::String)).collect());
    if let Some(e) = invalid_utf8(spec, from, bytes) {
        return e;
    }
    let Ok(df) = parse(spec, bytes, text) else { return fallback(err) };
    for (name, dtype) in spec.file_schema.iter() {
        if *dtype == DataType::String {
            continue;
        }
        let Ok(raw) = df.column(name) else { continue };
        let Ok(text) = raw.str() else { continue };
        let bad_row = if *dtype == DataType::Boolean {
            // Polars' CSV parser reads `true`/`false` in any case; a String column does not
            // cast to Boolean, so the values are checked here.
            let boolean =
                |s: &str| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false");
            (0..text.len()).find(|&i| text.get(i).is_some_and(|s| !s.is_empty() && !boolean(s)))
        } else if dtype.is_temporal() {
            // A text column casts to a date or time with one format for the whole column (and
            // not the CSV parser's formats), so each value is parsed alone, as the CSV parser
            // reads it (this is the error path only).
            (0..text.len()).find(|&i| match text.get(i) {
                Some(s) if !s.is_empty() && !spec.is_missing(s) => !parses_as(spec, name, dtype, s),
                _ => false,
            })
        } else {
            let Ok(cast) = raw.cast(dtype) else { continue };
            (0..text.len()).find(|&i| {
                text.get(i).is_some_and(|s| !s.is_empty() && !spec.is_missing(s))
                    && cast.get(i).is_ok_and(|v| v.is_null())
            })
        };
        if let Some(i) = bad_row {
            let value = text.get(i).unwrap_or_default();
            return bad_value(spec, from, bytes, i, name, value, dtype.to_string());
        }
    }
    fallback(err)
}

/// Whether the CSV parser reads the field `s` as a non-null `dtype` (parsed alone, quoted).
fn parses_as(spec: &FileSpec, name: &str, dtype: &DataType, s: &str) -> bool {
    let quote = spec.quote.unwrap_or(b'"') as char;
    let field = format!("{quote}{}{quote}\n", s.replace(quote, &format!("{quote}{quote}")));
    let schema: Schema = std::iter::once((name.into(), dtype.clone())).collect();
    CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_n_threads(Some(1))
        .map_parse_options(|o| o.with_separator(spec.separator).with_quote_char(Some(quote as u8)))
        .into_reader_with_file_handle(std::io::Cursor::new(field.into_bytes()))
        .finish()
        .is_ok_and(|df| df.height() == 1 && df.columns()[0].null_count() == 0)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Every text of 0 to `max_len` bytes over `alphabet`, shortest first: the exhaustive
    /// inputs of the row scans' tests here and in `block`.
    pub(in crate::csv) fn every_text(
        alphabet: [u8; 4],
        max_len: u32,
    ) -> impl Iterator<Item = Vec<u8>> {
        (0..=max_len).flat_map(move |len| {
            (0..4usize.pow(len)).map(move |mut code| {
                (0..len)
                    .map(|_| {
                        let b = alphabet[code % 4];
                        code /= 4;
                        b
                    })
                    .collect()
            })
        })
    }

    fn counts(s: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        scan_rows(s.as_bytes(), b',', Some(b'"'), |_, at, _, f| {
            v.push((at, f));
            true
        });
        v
    }

    #[test]
    fn scan_counts_fields_outside_quotes() {
        assert_eq!(counts("a,b\n\"x,y\",z\n"), [(0, 2), (4, 2)]);
        assert_eq!(counts("a,b,c\n\nd"), [(0, 3), (6, 0), (7, 1)]);
        assert_eq!(counts("\"multi\nline\",2\r\n"), [(0, 2)]);
        // A quote inside an unquoted field is a character; `""` inside quotes is a quote.
        assert_eq!(counts("5\",6\n\"a\"\"b,c\",d\n"), [(0, 2), (5, 2)]);
        assert!(scan_rows(b"1,\"open\n", b',', Some(b'"'), |_, _, _, _| true));
    }

    #[test]
    fn the_unquoted_fast_path_agrees_with_the_full_scan() {
        // Every string of up to 7 bytes over `a , \n \r`, for 1 to 3 expected fields.
        let alphabet = *b"a,\n\r";
        let mut checked = 0;
        for bytes in every_text(alphabet, 7) {
            for expected in 1..=3 {
                let (mut rows, mut all_ok) = (0, true);
                scan_rows(&bytes, b',', Some(b'"'), |_, _, _, f| {
                    rows += 1;
                    all_ok &= f == expected || (f == 0 && expected == 1);
                    true
                });
                let fast = unquoted_rows(&bytes, b',', Some(b'"'), expected);
                assert_eq!(fast, all_ok.then_some(rows), "{bytes:?}, {expected} fields");
                checked += 1;
            }
        }
        assert_eq!(checked, 3 * (0..=7).map(|l| 4usize.pow(l)).sum::<usize>());
        // A quote anywhere leaves it to the full scan.
        assert_eq!(unquoted_rows(b"a,b\n\"c\",d\n", b',', Some(b'"'), 2), None);
        assert_eq!(unquoted_rows(b"a,b\n\"c\",d\n", b',', None, 2), Some(2));
    }
}
