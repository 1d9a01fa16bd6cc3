//! [`read_csv`]: a CSV file, a glob or a list of files, cut into byte blocks of `blocksize`,
//! one partition per block.
//!
//! Opening reads each file's header and the first `sample` bytes of the first file, from
//! which Polars infers the dtypes (those given with [`ReadCsv::dtypes`] win); every block is
//! then parsed by Polars with that schema. Every file must have the first file's columns
//! (in any order). See [`block`] for how blocks are cut at line boundaries.

mod block;
mod diagnose;

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lazydag_core::delayed;
use polars::prelude::{CsvReadOptions, DataType, PlSmallStr, Schema, SerReader};

use crate::error::{Error, Result};
use crate::frame::{DataFrame, Projector};
use block::{FileSpec, null_values, read_block};

/// Dask's default block size, 64 MB.
const DEFAULT_BLOCKSIZE: u64 = 64_000_000;
/// Bytes of the first file used to infer dtypes (Dask's `sample`, 256 kB).
const DEFAULT_SAMPLE: usize = 256_000;

/// Where to read from: a path, a glob pattern (`data/*.csv`), or a list of either.
pub trait IntoSources {
    /// The paths or patterns, in order.
    fn into_sources(self) -> Vec<String>;
}

impl IntoSources for &str {
    fn into_sources(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}
impl IntoSources for String {
    fn into_sources(self) -> Vec<String> {
        vec![self]
    }
}
impl IntoSources for &String {
    fn into_sources(self) -> Vec<String> {
        vec![self.clone()]
    }
}
impl IntoSources for &Path {
    fn into_sources(self) -> Vec<String> {
        vec![self.to_string_lossy().into_owned()]
    }
}
impl IntoSources for PathBuf {
    fn into_sources(self) -> Vec<String> {
        self.as_path().into_sources()
    }
}
impl IntoSources for &PathBuf {
    fn into_sources(self) -> Vec<String> {
        self.as_path().into_sources()
    }
}
impl<T: IntoSources> IntoSources for Vec<T> {
    fn into_sources(self) -> Vec<String> {
        self.into_iter().flat_map(IntoSources::into_sources).collect()
    }
}
impl<T: IntoSources, const N: usize> IntoSources for [T; N] {
    fn into_sources(self) -> Vec<String> {
        self.into_iter().flat_map(IntoSources::into_sources).collect()
    }
}

/// A block size: bytes (`64_000_000`), a string like Dask's (`"64MB"`, `"1MiB"`, `"500kB"`),
/// or `None` for one partition per file.
pub trait IntoBlocksize {
    /// The size in bytes, `None` for whole files, or why the text is not a size.
    fn into_blocksize(self) -> std::result::Result<Option<u64>, String>;
}
impl IntoBlocksize for u64 {
    fn into_blocksize(self) -> std::result::Result<Option<u64>, String> {
        Ok(Some(self))
    }
}
impl IntoBlocksize for usize {
    fn into_blocksize(self) -> std::result::Result<Option<u64>, String> {
        Ok(Some(self as u64))
    }
}
impl IntoBlocksize for i32 {
    fn into_blocksize(self) -> std::result::Result<Option<u64>, String> {
        u64::try_from(self).map(Some).map_err(|_| format!("blocksize {self} is negative"))
    }
}
impl IntoBlocksize for Option<u64> {
    fn into_blocksize(self) -> std::result::Result<Option<u64>, String> {
        Ok(self)
    }
}
impl IntoBlocksize for &str {
    fn into_blocksize(self) -> std::result::Result<Option<u64>, String> {
        parse_bytes(self).map(Some)
    }
}

/// Parses `"64MB"`, `"1.5 GiB"`, `"100"`, `"5e6"` like Dask's `parse_bytes`: a number
/// (1 when absent) and a unit, the trailing letters.
pub(crate) fn parse_bytes(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len();
    let (num, unit) = t.split_at(split);
    let num = num.trim();
    let num: f64 = if num.is_empty() { 1.0 } else { num.parse().map_err(|_| bad_size(s))? };
    if !num.is_finite() || num < 0.0 {
        return Err(bad_size(s));
    }
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "pb" | "p" => 1e15,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024f64.powi(4),
        "pib" => 1024f64.powi(5),
        _ => return Err(bad_size(s)),
    };
    let bytes = (num * mult).round();
    if bytes < 1.0 {
        return Err(format!("blocksize {s:?} is below one byte"));
    }
    Ok(bytes as u64)
}

fn bad_size(s: &str) -> String {
    format!("{s:?} is not a size: use e.g. \"64MB\", \"1MiB\", \"500kB\" or a number of bytes")
}

/// A CSV read being configured, from [`read_csv`]; [`open`](ReadCsv::open) builds the frame.
#[derive(Clone, Debug)]
pub struct ReadCsv {
    sources: Vec<String>,
    blocksize: Option<u64>,
    dtypes: Vec<(String, DataType)>,
    has_header: bool,
    separator: u8,
    quote: Option<u8>,
    usecols: Option<Vec<String>>,
    sample: usize,
    na_values: Arc<[PlSmallStr]>,
    error: Option<Error>,
}

/// The fields pandas' `read_csv` reads as missing by default (its `na_values` list, and
/// Dask's): `NA`, `NULL`, `NaN`, `nan`, `N/A` and the rest. An empty field is always null.
pub const PANDAS_NA_VALUES: [&str; 18] = [
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
    "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Starts a CSV read of a path, a glob pattern or a list of them, like
/// `dask.dataframe.read_csv`; configure it, then call [`open`](ReadCsv::open).
///
/// ```
/// use lazydag_frame as dd;
/// use polars::prelude::DataType;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// std::fs::write(&path, "k,v\n1,2.5\n2,3.5\n1,4.0\n").unwrap();
/// let df = dd::read_csv(&path).blocksize(8).dtypes([("k", DataType::Int32)]).open().unwrap();
/// assert!(df.npartitions() > 1);                       // 8-byte blocks
/// assert_eq!(df.dtypes().unwrap()[0], ("k".to_string(), DataType::Int32));
/// assert_eq!(df.len().unwrap(), 3);
/// ```
pub fn read_csv(sources: impl IntoSources) -> ReadCsv {
    ReadCsv {
        sources: sources.into_sources(),
        blocksize: Some(DEFAULT_BLOCKSIZE),
        dtypes: Vec::new(),
        has_header: true,
        separator: b',',
        quote: Some(b'"'),
        usecols: None,
        sample: DEFAULT_SAMPLE,
        na_values: PANDAS_NA_VALUES.iter().map(|v| PlSmallStr::from(*v)).collect(),
        error: None,
    }
}

impl ReadCsv {
    /// The size of a block, one partition each (default 64 MB): bytes, `"64MB"`, or `None`
    /// for one partition per file (needed when quoted fields contain newlines).
    #[must_use]
    pub fn blocksize(mut self, size: impl IntoBlocksize) -> Self {
        match size.into_blocksize() {
            Ok(Some(0)) => {
                self.error =
                    Some(Error::InvalidArgument("blocksize must be at least 1 byte".into()))
            }
            Ok(b) => self.blocksize = b,
            Err(m) => self.error = Some(Error::InvalidArgument(m)),
        }
        self
    }

    /// Dtypes for some columns (the others are inferred), like Dask's `dtype=`.
    #[must_use]
    pub fn dtypes<I, S>(mut self, dtypes: I) -> Self
    where
        I: IntoIterator<Item = (S, DataType)>,
        S: AsRef<str>,
    {
        self.dtypes.extend(dtypes.into_iter().map(|(n, d)| (n.as_ref().to_owned(), d)));
        self
    }

    /// Whether the first line names the columns (default true); without a header the columns
    /// are `column_1`, `column_2`, ...
    #[must_use]
    pub fn has_header(mut self, has_header: bool) -> Self {
        self.has_header = has_header;
        self
    }

    /// The field separator (default `b','`).
    #[must_use]
    pub fn separator(mut self, separator: u8) -> Self {
        self.separator = separator;
        self
    }

    /// The fields read as missing (null), in every column: pandas' `na_values` with
    /// `keep_default_na=False`. The default is pandas' own list, [`PANDAS_NA_VALUES`] (`NA`,
    /// `NULL`, `NaN`, `nan`, `N/A`, ...), so that a column of numbers with such markers is a
    /// numeric column with nulls, as in pandas and Dask, not a column of text; an empty list
    /// reads every field as written (Polars' default). An empty field is always null.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::DataType;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("t.csv");
    /// std::fs::write(&path, "k,v\n1,1.0\n1,NA\n2,3.0\n2,nan\n").unwrap();
    /// let df = dd::read_csv(&path).open().unwrap();
    /// assert_eq!(df.dtypes().unwrap()[1], ("v".to_string(), DataType::Float64));
    /// let mean = df.mean().compute().unwrap();
    /// assert_eq!(mean.column("v").unwrap().f64().unwrap().get(0), Some(2.0)); // as pandas
    /// let raw = dd::read_csv(&path).na_values(Vec::<String>::new()).open().unwrap();
    /// assert_eq!(raw.dtypes().unwrap()[1], ("v".to_string(), DataType::String));
    /// ```
    #[must_use]
    pub fn na_values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.na_values = values.into_iter().map(|v| PlSmallStr::from(v.as_ref())).collect();
        self
    }

    /// The quote character (default `Some(b'"')`), `None` for none.
    #[must_use]
    pub fn quote_char(mut self, quote: Option<u8>) -> Self {
        self.quote = quote;
        self
    }

    /// Only these columns, in this order, like Dask's `usecols`.
    #[must_use]
    pub fn usecols<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.usecols = Some(columns.into_iter().map(|c| c.as_ref().to_owned()).collect());
        self
    }

    /// How many bytes of the first file to infer dtypes from (default 256 kB, Dask's
    /// `sample`).
    #[must_use]
    pub fn sample(mut self, bytes: usize) -> Self {
        self.sample = bytes.max(1);
        self
    }

    /// Lists the files, reads their headers and the first file's sample, and records one
    /// read task per block. Reads no other data.
    ///
    /// # Errors
    /// [`Error::NoSuchFile`] for a path or pattern that matches nothing, [`Error::Io`],
    /// [`Error::EmptyFile`], [`Error::MissingColumn`] for a dtype or `usecols` column that does
    /// not exist or a column missing from one file of several, [`Error::QuotedNewline`] when
    /// the sample has a quoted field containing a newline and blocks are cut, and
    /// [`Error::InvalidArgument`] for a bad blocksize.
    pub fn open(self) -> Result<DataFrame> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let files = expand(&self.sources)?;
        let first = &files[0];
        let head = self.read_head(first)?;
        let (header_end, names) = self.header(first, &head.bytes)?;
        let (schema, quoted_newline) = self.infer(first, &head, header_end, &names)?;
        if let (Some(at), Some(block)) = (quoted_newline, self.blocksize) {
            // Only a file cut into blocks could split a quoted field.
            let size = std::fs::metadata(first)
                .map_err(|e| Error::Io { path: first.clone(), source: Arc::new(e) })?
                .len();
            if size - header_end > block {
                return Err(Error::QuotedNewline { path: first.clone(), byte: header_end + at });
            }
        }
        let columns: Vec<String> = match &self.usecols {
            None => names.clone(),
            Some(cols) => cols.clone(),
        };
        crate::frame::named_once(&columns, "usecols")?;
        for c in self.dtypes.iter().map(|(n, _)| n).chain(columns.iter()) {
            if !names.contains(c) {
                return Err(Error::MissingColumn {
                    column: c.clone(),
                    file: Some(first.clone()),
                    available: names.clone(),
                });
            }
        }
        let mut opened = Opened {
            files: Vec::with_capacity(files.len()),
            schema,
            blocksize: self.blocksize,
            separator: self.separator,
            quote: self.quote,
            na_values: self.na_values.clone(),
        };
        for (f, path) in files.iter().enumerate() {
            let size = std::fs::metadata(path)
                .map_err(|e| Error::Io { path: path.clone(), source: Arc::new(e) })?
                .len();
            let (data_start, file_names) = if f == 0 {
                (header_end, names.clone())
            } else {
                let head = self.read_head(path)?;
                self.header(path, &head.bytes)?
            };
            for c in &names {
                if !file_names.contains(c) {
                    return Err(Error::MissingColumn {
                        column: c.clone(),
                        file: Some(path.clone()),
                        available: file_names.clone(),
                    });
                }
            }
            if file_names.len() != names.len() {
                let extra: Vec<&String> =
                    file_names.iter().filter(|c| !names.contains(c)).collect();
                return Err(Error::InvalidArgument(format!(
                    "`{}` has columns {extra:?} that `{}` lacks: every file needs the same columns",
                    path.display(),
                    first.display()
                )));
            }
            opened.files.push(OpenedFile {
                path: path.clone(),
                data_start,
                size,
                names: file_names,
            });
        }
        Ok(Opened::open(Arc::new(opened), &columns))
    }

    /// The first `sample` bytes of a file, or more, to the end of its first data row (Dask
    /// extends its sample to a line end too): the header and one whole row at least, unless
    /// the file is shorter.
    fn read_head(&self, path: &Path) -> Result<Head> {
        let rows = if self.has_header { 2 } else { 1 };
        let mut n = self.sample;
        loop {
            let bytes = read_prefix(path, n)?;
            let at_eof = bytes.len() < n;
            let lead = leading_blank_lines(&bytes);
            if at_eof || rows_end(&bytes[lead..], self.separator, self.quote, rows).is_some() {
                return Ok(Head { bytes, at_eof });
            }
            n = n.saturating_mul(4);
        }
    }

    /// The end of the header line (where the data starts) and the column names. A UTF-8
    /// byte-order mark, and blank lines before the header, are skipped (as Polars does).
    /// Without a header the names are `column_1`... for the first row's fields, and the
    /// data starts after the mark.
    fn header(&self, path: &Path, sample: &[u8]) -> Result<(u64, Vec<String>)> {
        let bom = if sample.starts_with(BOM) { BOM.len() } else { 0 };
        let lead = bom + leading_blank_lines(&sample[bom..]);
        if lead == sample.len() {
            return Err(Error::EmptyFile { path: path.to_owned() });
        }
        let rest = &sample[lead..];
        let end = lead + rows_end(rest, self.separator, self.quote, 1).unwrap_or(rest.len());
        let line = &sample[lead..end];
        let df = CsvReadOptions::default()
            .with_has_header(self.has_header)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .map_parse_options(|o| o.with_separator(self.separator).with_quote_char(self.quote))
            .into_reader_with_file_handle(Cursor::new(line))
            .finish()
            .map_err(|e| Error::Csv {
                path: path.to_owned(),
                start: lead as u64,
                end: end as u64,
                source: Arc::new(e),
            })?;
        let names: Vec<String> = df.get_column_names().into_iter().map(|n| n.to_string()).collect();
        if names.is_empty() {
            return Err(Error::EmptyFile { path: path.to_owned() });
        }
        Ok((if self.has_header { end } else { bom } as u64, names))
    }

    /// The schema of the first file: Polars' inference on the sample's whole rows (all of
    /// them when the sample is the whole file), then the user's dtypes; and where the sample
    /// has a newline inside a quoted field, if it has one (from the data start).
    fn infer(
        &self,
        path: &Path,
        head: &Head,
        header_end: u64,
        names: &[String],
    ) -> Result<(Schema, Option<u64>)> {
        let body = &head.bytes[header_end as usize..];
        let cut = last_row_end(body, self.quote, self.separator, head.at_eof);
        let body = &body[..cut.end];
        let mut schema: Schema = if body.iter().all(u8::is_ascii_whitespace) {
            names.iter().map(|n| (n.as_str().into(), DataType::String)).collect()
        } else {
            let inferred = CsvReadOptions::default()
                .with_has_header(false)
                .with_infer_schema_length(None)
                .map_parse_options(|o| {
                    o.with_separator(self.separator)
                        .with_quote_char(self.quote)
                        .with_null_values(null_values(&self.na_values))
                })
                .into_reader_with_file_handle(Cursor::new(body))
                .finish();
            match inferred {
                Ok(df) => names
                    .iter()
                    .zip(df.columns())
                    .map(|(n, c)| (n.as_str().into(), c.dtype().clone()))
                    .collect(),
                Err(e) => {
                    let text: Schema =
                        names.iter().map(|n| (n.as_str().into(), DataType::String)).collect();
                    let spec = FileSpec {
                        path: path.to_owned(),
                        data_start: header_end,
                        size: header_end + body.len() as u64,
                        file_schema: Arc::new(text),
                        columns: names.to_vec(),
                        projection: None,
                        separator: self.separator,
                        quote: self.quote,
                        na_values: self.na_values.clone(),
                    };
                    return Err(diagnose::invalid_utf8(&spec, header_end, body).unwrap_or_else(
                        || Error::Csv {
                            path: path.to_owned(),
                            start: header_end,
                            end: header_end + body.len() as u64,
                            source: Arc::new(e),
                        },
                    ));
                }
            }
        };
        for (n, d) in &self.dtypes {
            if let Some(slot) = schema.get_mut(n.as_str()) {
                *slot = d.clone();
            }
        }
        Ok((schema, cut.quoted_newline.map(|at| at as u64)))
    }
}

/// What [`ReadCsv::open`] learned: the files and the schema. Records the read tasks of any
/// subset of the columns without reading anything again (the frame's [`Projector`]).
struct Opened {
    files: Vec<OpenedFile>,
    /// Every column of the first file with the dtype to parse it as.
    schema: Schema,
    blocksize: Option<u64>,
    separator: u8,
    quote: Option<u8>,
    na_values: Arc<[PlSmallStr]>,
}

/// One file of a read: where its data starts, its size, its columns in its order.
struct OpenedFile {
    path: PathBuf,
    data_start: u64,
    size: u64,
    names: Vec<String>,
}

impl Opened {
    /// The frame of `columns`, able to re-read itself with fewer.
    fn open(this: Arc<Opened>, columns: &[String]) -> DataFrame {
        let df = this.frame(columns);
        df.with_source(Projector::new(move |fewer| Opened::open(this.clone(), fewer)))
    }

    /// One read task per block of every file, each yielding `columns` (known columns of the
    /// schema) in that order; a block parses only those unless they are all the columns.
    fn frame(&self, columns: &[String]) -> DataFrame {
        let dtype = |c: &str| self.schema.get(c).cloned().unwrap_or(DataType::String);
        let out_schema: Schema = columns.iter().map(|c| (c.as_str().into(), dtype(c))).collect();
        let mut parts = Vec::new();
        for file in &self.files {
            let file_schema: Schema =
                file.names.iter().map(|c| (c.as_str().into(), dtype(c))).collect();
            let every = columns.len() == file.names.len();
            let spec = Arc::new(FileSpec {
                path: file.path.clone(),
                data_start: file.data_start,
                size: file.size,
                file_schema: Arc::new(file_schema),
                columns: columns.to_vec(),
                projection: (!every).then(|| {
                    let mut idx: Vec<usize> = columns
                        .iter()
                        .filter_map(|c| file.names.iter().position(|n| n == c))
                        .collect();
                    idx.sort_unstable();
                    idx.dedup();
                    Arc::new(idx)
                }),
                separator: self.separator,
                quote: self.quote,
                na_values: self.na_values.clone(),
            });
            let block = self.blocksize.unwrap_or(u64::MAX).max(1);
            let mut start = file.data_start;
            loop {
                let end = start.saturating_add(block).min(file.size);
                let spec = spec.clone();
                let task = delayed((start, end))
                    .try_map(move |(s, e): (u64, u64)| read_block(&spec, s, e))
                    .name("read_csv")
                    .shared();
                parts.push(task);
                if end >= file.size {
                    break;
                }
                start = end;
            }
        }
        DataFrame::known(parts, Arc::new(out_schema))
    }
}

/// Expands globs and checks that every path exists (shared with `read_parquet`).
pub(crate) fn expand(sources: &[String]) -> Result<Vec<PathBuf>> {
    if sources.is_empty() {
        return Err(Error::InvalidArgument("no path given".into()));
    }
    let mut files = Vec::new();
    for s in sources {
        if s.contains(['*', '?', '[']) {
            let paths = glob::glob(s)
                .map_err(|e| Error::InvalidArgument(format!("bad glob pattern `{s}`: {e}")))?;
            let mut found: Vec<PathBuf> =
                paths.filter_map(std::result::Result::ok).filter(|p| p.is_file()).collect();
            if found.is_empty() {
                return Err(Error::NoSuchFile { pattern: s.clone() });
            }
            found.sort();
            files.extend(found);
        } else {
            let p = PathBuf::from(s);
            if !p.exists() {
                return Err(Error::NoSuchFile { pattern: s.clone() });
            }
            files.push(p);
        }
    }
    Ok(files)
}

fn read_prefix(path: &Path, n: usize) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Io { path: path.to_owned(), source: Arc::new(e) })?;
    let mut buf = Vec::with_capacity(n.min(1 << 24));
    file.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::Io { path: path.to_owned(), source: Arc::new(e) })?;
    Ok(buf)
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The first bytes of a file, from [`ReadCsv::read_head`].
struct Head {
    bytes: Vec<u8>,
    /// Whether they are the whole file.
    at_eof: bool,
}

/// The length of the blank lines (empty, or a lone `\r`) at the start of `bytes`.
fn leading_blank_lines(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(n) = memchr::memchr(b'\n', &bytes[at..]) {
        if !bytes[at..at + n].iter().all(|&b| b == b'\r') {
            break;
        }
        at += n + 1;
    }
    at
}

/// One past the newline that ends the `k`-th row (quote-aware), if the bytes hold `k` rows
/// that end in a newline.
fn rows_end(bytes: &[u8], sep: u8, quote: Option<u8>, k: usize) -> Option<usize> {
    let mut end = None;
    diagnose::scan_rows(bytes, sep, quote, |row, _, row_end, _| {
        if row + 1 < k {
            return true;
        }
        end = bytes[..row_end].ends_with(b"\n").then_some(row_end);
        false
    });
    end
}

struct Cut {
    /// One past the last complete row's newline.
    end: usize,
    /// The first newline inside a quoted field, if any.
    quoted_newline: Option<usize>,
}

/// Where the sample's complete rows end: a last row without a newline is complete only when
/// the sample is the whole file (`at_eof`).
fn last_row_end(bytes: &[u8], quote: Option<u8>, sep: u8, at_eof: bool) -> Cut {
    let mut starts = Vec::new();
    let open = diagnose::scan_rows(bytes, sep, quote, |_, at, _, _| {
        starts.push(at);
        true
    });
    // A row holding a quoted newline: one whose text between its start and the next row's
    // start has more than one newline.
    let mut quoted_newline = None;
    let mut bounds = starts.clone();
    bounds.push(bytes.len());
    for w in bounds.windows(2) {
        let row = &bytes[w[0]..w[1]];
        let body = row.strip_suffix(b"\n").unwrap_or(row);
        if let Some(k) = body.iter().position(|&b| b == b'\n') {
            quoted_newline = Some(w[0] + k);
            break;
        }
    }
    let end = if open {
        // The sample ends inside a quoted field: keep the rows before it.
        *starts.last().unwrap_or(&0)
    } else if bytes.ends_with(b"\n") || at_eof {
        bytes.len()
    } else {
        *starts.last().unwrap_or(&0)
    };
    if open && quoted_newline.is_none() {
        let last = *starts.last().unwrap_or(&0);
        quoted_newline = bytes[last..].iter().position(|&b| b == b'\n').map(|k| last + k);
    }
    Cut { end, quoted_newline }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_like_dask() {
        assert_eq!(parse_bytes("64MB"), Ok(64_000_000));
        assert_eq!(parse_bytes("1MiB"), Ok(1 << 20));
        assert_eq!(parse_bytes("500 kB"), Ok(500_000));
        assert_eq!(parse_bytes("12"), Ok(12));
        assert!(parse_bytes("12 parsecs").is_err());
        // dask/utils.py's parse_bytes doctests.
        assert_eq!(parse_bytes("5e3"), Ok(5000));
        assert_eq!(parse_bytes("5 kB"), Ok(5000));
        assert_eq!(parse_bytes("5.4 kB"), Ok(5400));
        assert_eq!(parse_bytes("1kiB"), Ok(1024));
        assert_eq!(parse_bytes("1e6"), Ok(1_000_000));
        assert_eq!(parse_bytes("MB"), Ok(1_000_000));
        assert_eq!(parse_bytes("2 PB"), Ok(2_000_000_000_000_000));
        assert!(parse_bytes("-5MB").is_err() && parse_bytes("infMB").is_err());
    }
}
