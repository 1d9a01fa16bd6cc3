//! One byte block of a CSV file, read by one task.
//!
//! A block `[start, end)` owns the lines that *begin* in it: it starts after the first
//! newline at or after `start - 1` (or at `start` for the file's first data byte) and ends
//! at the first line start at or after `end`. So consecutive blocks partition the lines
//! exactly, wherever the cuts fall, and only the bytes of the block (plus the rest of its
//! last line) are read. A quoted field containing a newline at a cut would be split: a block
//! that ends inside a quoted field is refused with [`Error::QuotedNewline`] (the row scan of
//! [`check_rows`](super::diagnose::check_rows) finds it).

use std::cell::Cell;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::io::csv::read::_csv_read_internal::{
    cast_columns, prepare_csv_schema, read_chunk, validate_utf8,
};
use polars::prelude::{
    ChunkedArray, CsvParseOptions, CsvReadOptions, DataFrame as PlFrame, DataType, IntoColumn,
    IntoSeries, NullValues, PlSmallStr, PolarsNumericType, Schema, SchemaRef, SerReader, Series,
    StringChunked,
};

use crate::error::{Error, Result};

/// How to parse the blocks of one file.
#[derive(Debug)]
pub(crate) struct FileSpec {
    pub(crate) path: PathBuf,
    /// The first byte after the header line (0 without a header).
    pub(crate) data_start: u64,
    pub(crate) size: u64,
    /// Every column of the file, in the file's order, with the dtype to parse it as.
    pub(crate) file_schema: SchemaRef,
    /// The output columns, in the frame's order.
    pub(crate) columns: Vec<String>,
    /// Their positions in the file, ascending, when not every column is read (`usecols`):
    /// Polars then parses only those.
    pub(crate) projection: Option<Arc<Vec<usize>>>,
    pub(crate) separator: u8,
    pub(crate) quote: Option<u8>,
    /// The fields read as null (`ReadCsv::na_values`; none when empty).
    pub(crate) na_values: Arc<[PlSmallStr]>,
}

impl FileSpec {
    /// Whether `field` is one of the read's missing-value fields: a null, not a value.
    pub(crate) fn is_missing(&self, field: &str) -> bool {
        self.na_values.iter().any(|n| n.as_str() == field)
    }
}

/// Polars' form of a list of missing-value fields (`None` for none).
pub(crate) fn null_values(na: &[PlSmallStr]) -> Option<NullValues> {
    (!na.is_empty()).then(|| NullValues::AllColumns(na.to_vec()))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io { path: path.to_owned(), source: Arc::new(e) }
}

/// The first line start at or after `pos` (`data_start` itself is one).
fn line_start(file: &mut File, spec: &FileSpec, pos: u64) -> Result<u64> {
    if pos <= spec.data_start {
        return Ok(spec.data_start);
    }
    if pos >= spec.size {
        return Ok(spec.size);
    }
    file.seek(SeekFrom::Start(pos - 1)).map_err(io(&spec.path))?;
    let mut buf = [0u8; 64 * 1024];
    let mut at = pos - 1;
    loop {
        let n = file.read(&mut buf).map_err(io(&spec.path))?;
        if n == 0 {
            return Ok(spec.size);
        }
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            return Ok(at + i as u64 + 1);
        }
        at += n as u64;
    }
}

/// Reads block `[start, end)` of the file into a frame of the output columns.
pub(crate) fn read_block(spec: &FileSpec, start: u64, end: u64) -> Result<PlFrame> {
    let mut file = File::open(&spec.path).map_err(io(&spec.path))?;
    let from = line_start(&mut file, spec, start)?;
    let to = line_start(&mut file, spec, end)?;
    let empty = || {
        let schema: Schema = spec
            .columns
            .iter()
            .map(|c| {
                (c.as_str().into(), spec.file_schema.get(c).cloned().unwrap_or(DataType::String))
            })
            .collect();
        PlFrame::empty_with_schema(&schema)
    };
    if from >= to {
        return Ok(empty());
    }
    let mut buffer = BUFFER.take();
    let len = (to - from) as usize;
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    let out = parse_bytes(spec, &mut file, from, &mut buffer[..len]);
    if buffer.len() <= KEEP {
        BUFFER.set(buffer);
    }
    out
}

/// The largest read buffer a thread keeps for its next block (a whole file read as one
/// partition is not kept).
const KEEP: usize = 256 << 20;

/// Reads the block's bytes into `bytes`, parses and checks them.
fn parse_bytes(spec: &FileSpec, file: &mut File, from: u64, bytes: &mut [u8]) -> Result<PlFrame> {
    file.seek(SeekFrom::Start(from)).map_err(io(&spec.path))?;
    file.read_exact(bytes).map_err(io(&spec.path))?;
    let bytes = &*bytes;
    // No shortcut for blank or whitespace-only blocks: a line of separators is a row of
    // nulls, a blank line one null (one column) or a malformed row (several), whatever the
    // block size.
    let census = Census::of(bytes, spec.separator, spec.quote);
    let df = parse_block(spec, bytes, census.lines)
        .map_err(|e| crate::csv::diagnose::explain(spec, from, bytes, e))?;
    if !census.proves(spec, &df) {
        crate::csv::diagnose::check_rows(spec, from, bytes, df.height())?;
    }
    Ok(df.select(spec.columns.iter().map(String::as_str))?)
}

thread_local! {
    /// The bytes of the last block this thread read, kept for the next one: a fresh 64 MB
    /// buffer per block costs its page faults and zeroing every time (about 5% of a
    /// group-by's CPU). The parsed frame owns its data, so nothing borrows it after a read.
    static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Parses a block's bytes with `spec`'s schema and projection straight into one frame of one
/// chunk per column, on the calling thread: Polars' parser (`read_chunk`, the loop its
/// `CsvReader` runs on each piece) without the reader around it, which first counts the
/// lines of the block in a separate pass, then cuts it into 16 pieces parsed on Polars' own
/// thread pool and returns 16 chunks per column. The values, dtypes, nulls and errors are the
/// reader's (checked against [`parse`] by `the_direct_parse_is_the_readers`); the row count
/// is [`check_rows`](super::diagnose::check_rows)'s to check, with `rows` (the block's lines)
/// only sizing the columns.
pub(crate) fn parse_block(
    spec: &FileSpec,
    bytes: &[u8],
    rows: usize,
) -> polars::prelude::PolarsResult<PlFrame> {
    let mut schema = spec.file_schema.clone();
    let mut to_cast = Vec::new();
    prepare_csv_schema(&mut schema, &mut to_cast)?;
    let every: Vec<usize>;
    let projection = match &spec.projection {
        Some(p) => p.as_slice(),
        None => {
            every = (0..schema.len()).collect();
            &every
        }
    };
    let strings =
        projection.iter().any(|&i| schema.get_at_index(i).is_some_and(|(_, dt)| dt.is_string()));
    if strings && !validate_utf8(bytes) {
        polars::prelude::polars_bail!(ComputeError: "invalid utf-8 sequence");
    }
    // First without the missing-value fields: Polars compares every field with each of them
    // (with pandas' 18 it read a 230 MB file 1.66x slower, median of 5), and most blocks
    // have none where they would fail. A block where one stops a typed column (`NA` in a
    // number column) is read again with them; in a block read without them, those that
    // parsed (text in a string column, `NaN` in a float column) become nulls after.
    let fast =
        CsvParseOptions::default().with_separator(spec.separator).with_quote_char(spec.quote);
    let read = |options: &CsvParseOptions, nulls| {
        read_chunk(
            bytes,
            options,
            &schema,
            false,
            projection,
            0,
            rows,
            nulls,
            usize::MAX,
            bytes.len(),
            Some(0),
        )
    };
    let mut df = match read(&fast, None) {
        Ok(mut df) => {
            if !spec.na_values.is_empty() {
                missing_to_null(&mut df, spec)?;
            }
            df
        }
        Err(e) => {
            let Some(na) = null_values(&spec.na_values) else { return Err(e) };
            let compiled = na.clone().compile(&schema)?;
            read(&fast.clone().with_null_values(Some(na)), Some(&compiled))?
        }
    };
    cast_columns(&mut df, &to_cast, false, false)?;
    Ok(df)
}

/// Turns the read's missing-value fields that parsed without being declared into nulls:
/// text in string columns (before any cast of them), and `NaN` in float columns when the
/// list has a spelling of it (`NaN`, `nan`, ...: a CSV's NaNs can only come from such text).
/// Copies a column only when it holds one.
fn missing_to_null(df: &mut PlFrame, spec: &FileSpec) -> polars::prelude::PolarsResult<()> {
    let nan = spec.na_values.iter().any(|n| n.parse::<f64>().is_ok_and(f64::is_nan));
    let mut replaced = Vec::new();
    for c in df.columns() {
        let name = c.name().clone();
        replaced.extend(match c.dtype() {
            DataType::String => {
                let ca = c.str()?;
                let na = |v: Option<&str>| v.is_some_and(|s| spec.is_missing(s));
                ca.iter().any(na).then(|| {
                    let out: StringChunked =
                        ca.iter().map(|v| v.filter(|s| !na(Some(s)))).collect();
                    out.with_name(name).into_series()
                })
            }
            DataType::Float64 if nan => nan_to_null(c.f64()?, name),
            DataType::Float32 if nan => nan_to_null(c.f32()?, name),
            _ => None,
        });
    }
    for s in replaced {
        df.with_column(s.into_column())?;
    }
    Ok(())
}

/// `ca` with its NaNs as nulls, named `name`; `None` when it has none.
#[allow(clippy::eq_op)] // `x != x`: NaN, for any float type
fn nan_to_null<T>(ca: &ChunkedArray<T>, name: PlSmallStr) -> Option<Series>
where
    T: PolarsNumericType,
    ChunkedArray<T>: IntoSeries,
{
    ca.iter().any(|v| v.is_some_and(|x| x != x)).then(|| {
        let out: ChunkedArray<T> = ca.iter().map(|v| v.filter(|x| x == x)).collect();
        out.with_name(name).into_series()
    })
}

/// One cheap pass over a block: whether it holds a quote character, its lines, and its
/// separators.
pub(crate) struct Census {
    quoted: bool,
    /// Newlines, plus one for a last line without one.
    pub(crate) lines: usize,
    separators: usize,
}

impl Census {
    pub(crate) fn of(bytes: &[u8], sep: u8, quote: Option<u8>) -> Census {
        let quoted = quote.is_some_and(|q| memchr::memchr(q, bytes).is_some());
        let (mut lines, mut separators) = (0usize, 0usize);
        // Counted in u8 lanes, 255 bytes at a time (so no lane overflows): a vectorized
        // compare-and-add.
        for chunk in bytes.chunks(255) {
            let count = |b: u8| chunk.iter().map(|&c| u8::from(c == b)).fold(0u8, u8::wrapping_add);
            lines += usize::from(count(b'\n'));
            separators += usize::from(count(sep));
        }
        if bytes.last().is_some_and(|&b| b != b'\n') {
            lines += 1;
        }
        Census { quoted, lines, separators }
    }

    /// Whether the parsed `df` proves what [`check_rows`](super::diagnose::check_rows)
    /// checks, without its per-row scan: with no quote character, the rows are the lines, and
    /// Polars read one row per line when `df` has as many rows as the block has lines. Every
    /// row has at least the header's fields when the file's last column was read and has no
    /// null (a short row leaves it null). Then the block's separators, one fewer than the
    /// fields in each row, add up to `rows x (fields - 1)` only when no row has more. When
    /// any of this fails (a quote, a null in the last column, a column left unread), the
    /// per-row check decides and names the bad row.
    pub(crate) fn proves(&self, spec: &FileSpec, df: &PlFrame) -> bool {
        let fields = spec.file_schema.len();
        let last_full = spec
            .file_schema
            .get_at_index(fields.wrapping_sub(1))
            .and_then(|(name, _)| df.column(name).ok())
            .is_some_and(|c| c.null_count() == 0);
        !self.quoted
            && last_full
            && self.lines == df.height()
            && Some(self.separators) == df.height().checked_mul(fields.saturating_sub(1))
    }
}

/// Parses header-less CSV bytes with `schema`, with Polars, on one thread (lazydag runs
/// blocks in parallel).
pub(crate) fn parse(
    spec: &FileSpec,
    bytes: &[u8],
    schema: SchemaRef,
) -> polars::prelude::PolarsResult<PlFrame> {
    let (sep, quote) = (spec.separator, spec.quote);
    CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(schema))
        .with_projection(spec.projection.clone())
        .with_n_threads(Some(1))
        .with_raise_if_empty(false)
        .map_parse_options(|o| o.with_separator(sep).with_quote_char(quote))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::diagnose::tests::every_text;
    use polars::prelude::TimeUnit;
    use proptest::prelude::*;

    fn spec(schema: Schema, projection: Option<Vec<usize>>) -> FileSpec {
        let columns: Vec<String> = match &projection {
            Some(p) => p.iter().map(|&i| schema.get_at_index(i).unwrap().0.to_string()).collect(),
            None => schema.iter_names().map(|n| n.to_string()).collect(),
        };
        FileSpec {
            path: PathBuf::from("t.csv"),
            data_start: 0,
            size: 0,
            file_schema: Arc::new(schema),
            columns,
            projection: projection.map(Arc::new),
            separator: b',',
            na_values: Arc::from([]),
            quote: Some(b'"'),
        }
    }

    /// A field of column `c` (int, float, string, bool, datetime) from a random code: a value,
    /// an empty field, a quoted value, or a value that does not parse.
    fn field(c: usize, code: u16) -> String {
        let v = i64::from(code % 97) - 40;
        if code % 401 == 1 {
            return "x!".into();
        }
        match (code % 11, c) {
            (0, _) => String::new(),
            (1, _) => format!("\"{v}\""),
            (_, 0) => v.to_string(),
            (_, 1) => format!("{}.{}", v, code % 10),
            (_, 2) => format!("s{v}"),
            (_, 3) => ["true", "false"][usize::from(code % 2)].into(),
            _ => format!("2024-01-{:02} 0{}:00:00", 1 + code % 28, code % 10),
        }
    }

    fn schema() -> Schema {
        let dt = DataType::Datetime(TimeUnit::Microseconds, None);
        [DataType::Int64, DataType::Float64, DataType::String, DataType::Boolean, dt]
            .into_iter()
            .enumerate()
            .map(|(i, d)| (format!("c{i}").as_str().into(), d))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// A block read the new way (the direct parse, then the row check unless the census
        /// proves it) gives what the old way gave (Polars' reader, then the row check): the
        /// same frame, or an error where it erred; over every dtype, nulls, quotes, bad
        /// values, short and long rows, projections, CRLF and a last line without a newline.
        /// (The reader refuses a block whose first row has the wrong field count, the direct
        /// parse leaves that to the row check: so the two are compared with it.)
        #[test]
        fn the_direct_parse_is_the_readers(
            rows in prop::collection::vec((prop::collection::vec(any::<u16>(), 5), 0u8..20), 0..40),
            mask in 1u8..32, crlf: bool, last_newline: bool,
        ) {
            let mut text = String::new();
            for (codes, shape) in &rows {
                let n = match shape { 0 => 4, 1 => 6, _ => 5 };
                let fields: Vec<String> =
                    (0..n).map(|c| field(c.min(4), codes[c.min(4)])).collect();
                text.push_str(&fields.join(","));
                text.push_str(if crlf { "\r\n" } else { "\n" });
            }
            if !last_newline {
                text.pop();
            }
            let projection: Vec<usize> = (0..5).filter(|i| mask & (1 << i) != 0).collect();
            let projection = (projection.len() < 5).then_some(projection);
            let spec = spec(schema(), projection);
            let bytes = text.as_bytes();
            let check = |df: PlFrame| {
                super::super::diagnose::check_rows(&spec, 0, bytes, df.height()).map(|()| df)
            };
            let reader = parse(&spec, bytes, spec.file_schema.clone())
                .map_err(Error::from)
                .and_then(check);
            let census = Census::of(bytes, b',', Some(b'"'));
            let direct = parse_block(&spec, bytes, census.lines)
                .map_err(Error::from)
                .and_then(|df| if census.proves(&spec, &df) { Ok(df) } else { check(df) });
            match (reader, direct) {
                (Ok(want), Ok(got)) => {
                    prop_assert_eq!(got.schema(), want.schema());
                    prop_assert!(got.equals_missing(&want), "{:?}\ngot\n{}\nwant\n{}", text, got, want);
                }
                (Err(_), Err(_)) => {}
                (want, got) => prop_assert!(false, "{:?}: reader {:?}, direct {:?}", text, want, got),
            }
        }
    }

    /// The census never passes a block that the per-row check refuses: every text of up to 7
    /// bytes over `1 , \n \r`, for 1 to 3 int columns, each read whole and without its first
    /// column.
    #[test]
    fn the_census_proves_only_what_the_row_check_accepts() {
        let alphabet = *b"1,\n\r";
        let (mut proven, mut checked) = (0, 0);
        for bytes in every_text(alphabet, 7).filter(|b| !b.is_empty()) {
            for fields in 1..=3 {
                let schema: Schema = (0..fields)
                    .map(|i| (format!("c{i}").as_str().into(), DataType::Int64))
                    .collect();
                let mut projections = vec![None];
                if fields > 1 {
                    projections.push(Some((1..fields).collect()));
                }
                for projection in projections {
                    let spec = spec(schema.clone(), projection);
                    let census = Census::of(&bytes, b',', Some(b'"'));
                    let Ok(df) = parse_block(&spec, &bytes, census.lines) else { continue };
                    checked += 1;
                    if census.proves(&spec, &df) {
                        proven += 1;
                        let check =
                            super::super::diagnose::check_rows(&spec, 0, &bytes, df.height());
                        assert!(check.is_ok(), "{bytes:?}, {fields} fields: {check:?}");
                    }
                }
            }
        }
        // Enough of each outcome to mean something.
        assert!(proven > 1000 && checked > 2 * proven, "{proven} of {checked}");
    }
}
