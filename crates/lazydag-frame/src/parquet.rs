//! [`read_parquet`]: Parquet files (a path, a glob or a list), one partition per row group
//! (or per file), and [`DataFrame::to_parquet`], one file per partition. Behind the crate's
//! `parquet` feature.
//!
//! Opening reads only each file's footer (its metadata: schema and row-group sizes); each
//! partition's task then reads its own row group's column chunks, single-threaded (lazydag
//! runs the partitions in parallel). Writing is done by one task per partition, so no task
//! holds more than its partition.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lazydag_core::{Delayed, delayed};
use polars::prelude::{
    DataFrame as PlFrame, ParallelStrategy, ParquetReader, ParquetWriter, PolarsError, SchemaRef,
    SerReader,
};

use crate::csv::{IntoSources, expand};
use crate::error::{Error, Result};
use crate::frame::DataFrame;

/// A Parquet read being configured, from [`read_parquet`]; [`open`](ReadParquet::open) builds
/// the frame.
#[derive(Clone, Debug)]
pub struct ReadParquet {
    sources: Vec<String>,
    columns: Option<Vec<String>>,
    split_row_groups: bool,
}

/// Starts a Parquet read of a path, a glob pattern or a list of them, like
/// `dask.dataframe.read_parquet`: one partition per row group (Dask's `split_row_groups=True`)
/// unless [`split_row_groups(false)`](ReadParquet::split_row_groups) asks for one per file.
///
/// ```
/// use lazydag_frame as dd;
/// use polars::prelude::*;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.parquet");
/// let mut pl = df!("k" => [1i64, 2, 1, 2, 3], "v" => [1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
/// let mut file = std::fs::File::create(&path).unwrap();
/// ParquetWriter::new(&mut file).with_row_group_size(Some(2)).finish(&mut pl).unwrap();
///
/// let df = dd::read_parquet(&path).open().unwrap();
/// assert_eq!(df.npartitions(), 2);     // the row groups Polars wrote (it merges small ones)
/// assert_eq!(df.columns().unwrap(), ["k", "v"]);        // from the footer, nothing computed
/// assert!(df.compute().unwrap().equals(&pl));
/// let whole = dd::read_parquet(&path).split_row_groups(false).columns(["v"]).open().unwrap();
/// assert_eq!(whole.npartitions(), 1);
/// assert_eq!(whole.columns().unwrap(), ["v"]);
/// ```
pub fn read_parquet(sources: impl IntoSources) -> ReadParquet {
    ReadParquet { sources: sources.into_sources(), columns: None, split_row_groups: true }
}

impl ReadParquet {
    /// Only these columns, in this order (Dask's `columns=`); only their column chunks are read.
    #[must_use]
    pub fn columns<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.columns = Some(columns.into_iter().map(|c| c.as_ref().to_owned()).collect());
        self
    }

    /// One partition per row group (`true`, the default) or per file (`false`).
    #[must_use]
    pub fn split_row_groups(mut self, split: bool) -> Self {
        self.split_row_groups = split;
        self
    }

    /// Lists the files, reads their footers and records one read task per row group (or
    /// file). Reads no column data.
    ///
    /// # Errors
    /// [`Error::NoSuchFile`] for a path or pattern that matches nothing (a folder: no
    /// `*.parquet` file in it), [`Error::Io`],
    /// [`Error::Parquet`] for a file that is not Parquet, [`Error::MissingColumn`] for a
    /// `columns` entry that does not exist or a column missing from one file of several, and
    /// [`Error::InvalidArgument`] when a file's dtypes differ from the first file's.
    pub fn open(self) -> Result<DataFrame> {
        // A folder is its `.parquet` files, in name order: what `to_parquet` writes there
        // (`part-00000.parquet`, …), as Dask's `read_parquet(dir)` reads a dataset folder.
        let sources: Vec<String> = self
            .sources
            .iter()
            .map(|s| {
                let path = std::path::Path::new(s);
                if path.is_dir() {
                    path.join("*.parquet").to_string_lossy().into_owned()
                } else {
                    s.clone()
                }
            })
            .collect();
        let files = expand(&sources)?;
        let mut schema: Option<SchemaRef> = None;
        let mut parts: Vec<Delayed<PlFrame>> = Vec::new();
        for path in &files {
            let footer = Footer::read(path)?;
            let columns = match &self.columns {
                Some(c) => c.clone(),
                None => match &schema {
                    // Later files: the first file's columns, in its order.
                    Some(s) => s.iter_names().map(|n| n.to_string()).collect(),
                    None => footer.schema.iter_names().map(|n| n.to_string()).collect(),
                },
            };
            crate::frame::named_once(&columns, "columns")?;
            let projected = footer.project(path, &columns, schema.is_some())?;
            match &schema {
                None => schema = Some(projected),
                Some(first) if *first != projected => {
                    return Err(Error::InvalidArgument(format!(
                        "`{}` has dtypes {projected:?}; the first file has {first:?}",
                        path.display()
                    )));
                }
                Some(_) => {}
            }
            let slices: Vec<(usize, usize)> =
                if self.split_row_groups && footer.row_groups.len() > 1 {
                    let mut offset = 0;
                    footer
                        .row_groups
                        .iter()
                        .map(|&n| {
                            offset += n;
                            (offset - n, n)
                        })
                        .collect()
                } else {
                    vec![(0, footer.row_groups.iter().sum())]
                };
            for slice in slices {
                let (path, columns) = (path.clone(), columns.clone());
                parts.push(
                    delayed(slice)
                        .try_map(move |s: (usize, usize)| read_slice(&path, &columns, s))
                        .name("read_parquet")
                        .shared(),
                );
            }
        }
        let schema = schema.expect("expand returns at least one file");
        Ok(DataFrame::known(parts, schema))
    }
}

/// What a file's footer says: its schema and the number of rows of each row group.
struct Footer {
    schema: SchemaRef,
    row_groups: Vec<usize>,
}

impl Footer {
    fn read(path: &Path) -> Result<Footer> {
        let mut reader = ParquetReader::new(open(path)?);
        let metadata = reader.get_metadata().map_err(|e| parquet_error(path, e))?.clone();
        let row_groups = metadata.row_groups.iter().map(|rg| rg.num_rows()).collect();
        // An empty slice reads no data: the frame of the file's schema.
        let empty = reader.with_slice(Some((0, 0))).finish().map_err(|e| parquet_error(path, e))?;
        Ok(Footer { schema: empty.schema().clone(), row_groups })
    }

    /// The schema of `columns`, in that order; a missing one is an error naming the file
    /// when it is not the first (`later`).
    fn project(&self, path: &Path, columns: &[String], later: bool) -> Result<SchemaRef> {
        let mut out = polars::prelude::Schema::with_capacity(columns.len());
        for c in columns {
            let Some(dtype) = self.schema.get(c.as_str()) else {
                return Err(Error::MissingColumn {
                    column: c.clone(),
                    file: later.then(|| path.to_owned()),
                    available: self.schema.iter_names().map(|n| n.to_string()).collect(),
                });
            };
            out.insert(c.as_str().into(), dtype.clone());
        }
        Ok(Arc::new(out))
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::Io { path: path.to_owned(), source: Arc::new(e) })
}

fn parquet_error(path: &Path, e: PolarsError) -> Error {
    Error::Parquet { path: path.to_owned(), source: Arc::new(e) }
}

/// Reads rows `slice.0 .. slice.0 + slice.1` of `columns` (one row group, or the file).
fn read_slice(path: &Path, columns: &[String], slice: (usize, usize)) -> Result<PlFrame> {
    let df = ParquetReader::new(open(path)?)
        .with_columns(Some(columns.to_vec()))
        .with_slice(Some(slice))
        .read_parallel(ParallelStrategy::None)
        .finish()
        .map_err(|e| parquet_error(path, e))?;
    // The projection is read in file order; the frame's order is that of `columns`.
    Ok(df.select(columns.iter().map(String::as_str))?)
}

impl DataFrame {
    /// Writes one Parquet file per partition, `dir/part-NNNNN.parquet` (Dask's `to_parquet`),
    /// each by its partition's task as it is computed, so the whole frame is never held;
    /// returns the paths in partition order.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let dir = tempfile::tempdir().unwrap();
    /// let pl = df!("a" => [1i64, 2, 3, 4, 5]).unwrap();
    /// let paths = dd::from_polars(pl.clone(), 2).unwrap().to_parquet(dir.path()).unwrap();
    /// assert_eq!(paths.len(), 2);
    /// let back = dd::read_parquet(dir.path().join("*.parquet").to_str().unwrap()).open().unwrap();
    /// assert!(back.compute().unwrap().equals(&pl));
    /// ```
    ///
    /// # Errors
    /// The frame's recorded error, [`Error::Write`] when `dir` cannot be created or a file
    /// written, or the first task that fails.
    pub fn to_parquet(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        self.write_partitions(dir.as_ref(), "parquet", "to_parquet", |df, path, file| {
            ParquetWriter::new(file)
                .set_parallel(false)
                .finish(df)
                .map_err(|e| parquet_error(path, e))?;
            Ok(())
        })
    }
}
