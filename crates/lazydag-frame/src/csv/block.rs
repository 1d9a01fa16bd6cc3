//! One byte block of a CSV file, read by one task.
//!
//! A block `[start, end)` owns the lines that *begin* in it: it starts after the first
//! newline at or after `start - 1` (or at `start` for the file's first data byte) and ends
//! at the first line start at or after `end`. So consecutive blocks partition the lines
//! exactly, wherever the cuts fall, and only the bytes of the block (plus the rest of its
//! last line) are read. A quoted field containing a newline at a cut would be split: a block
//! that ends inside a quoted field is refused with [`Error::QuotedNewline`] (the row scan of
//! [`check_rows`](super::diagnose::check_rows) finds it).

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::{
    CsvReadOptions, DataFrame as PlFrame, DataType, Schema, SchemaRef, SerReader,
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
    let mut bytes = vec![0u8; (to - from) as usize];
    file.seek(SeekFrom::Start(from)).map_err(io(&spec.path))?;
    file.read_exact(&mut bytes).map_err(io(&spec.path))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(empty());
    }
    let df = parse(spec, &bytes, spec.file_schema.clone())
        .map_err(|e| crate::csv::diagnose::explain(spec, from, &bytes, e))?;
    crate::csv::diagnose::check_rows(spec, from, &bytes, df.height())?;
    Ok(df.select(spec.columns.iter().map(String::as_str))?)
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
