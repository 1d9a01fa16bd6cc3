//! Row-wise and column-wise operations: one new task per partition, the output schema found by
//! applying the same operation to an empty frame of the input schema (Dask's `meta`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lazydag_core::Delayed;
use polars::prelude::{
    CsvWriter, DataFrame as PlFrame, DataType, Expr, IntoLazy, PlHashMap, Schema, SerWriter,
    SortMultipleOptions, by_name, col,
};

use crate::error::{Error, Result};
use crate::frame::DataFrame;
use crate::reduce::{DEFAULT_SPLIT_EVERY, tree};

fn require<'a>(schema: &Schema, names: impl IntoIterator<Item = &'a String>) -> Result<()> {
    for n in names {
        if !schema.contains(n) {
            return Err(Error::MissingColumn {
                column: n.clone(),
                file: None,
                available: schema.iter_names().map(|c| c.to_string()).collect(),
            });
        }
    }
    Ok(())
}

fn owned<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I) -> Vec<String> {
    names.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

impl DataFrame {
    /// A failed frame when one of `exprs` is not row-separable: an aggregation (`mean()`,
    /// `sum()`, `len()`), a window (`over`), `shift`, a cumulative function, a sort or a
    /// slice, whose value over one partition is not its value over the frame, so that running
    /// it partition by partition would give results that change with the partitioning (`v -
    /// v.mean()` subtracted each partition's mean). Polars' own planner decides, on an empty
    /// frame of the schema. The error says what to use instead.
    fn row_wise(&self, op: &'static str, exprs: &[Expr]) -> Option<DataFrame> {
        let schema = match self.schema() {
            Ok(s) => s,
            Err(e) => return Some(DataFrame::failed(e)),
        };
        let bad = exprs.iter().find(|e| !row_separable(&schema, e))?;
        Some(DataFrame::failed(Error::InvalidArgument(format!(
            "{op}: `{bad:?}` is not row-wise (an aggregation, window, shift, cumulative, sort or \
             slice would be evaluated on each partition separately, giving results that depend \
             on the partitioning): compute the frame-wide value first (`df.mean()`, `df.agg`, \
             `groupby`) and pass it as a literal, or use `map_partitions` for a per-partition \
             result"
        ))))
    }

    fn checked(&self, names: &[String]) -> Option<DataFrame> {
        match self.schema() {
            Err(e) => Some(DataFrame::failed(e)),
            Ok(s) => require(&s, names).err().map(DataFrame::failed),
        }
    }

    /// These columns, in this order, like `df[["a", "b"]]`.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("a" => [1], "b" => [2], "c" => [3]).unwrap(), 1).unwrap();
    /// assert_eq!(df.select(["c", "a"]).columns().unwrap(), ["c", "a"]);
    /// let err = df.select(["zz"]).compute().unwrap_err();
    /// assert!(err.to_string().contains("column `zz` not found; the columns are [a, b, c]"));
    /// ```
    pub fn select<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, columns: I) -> DataFrame {
        let cols = owned(columns);
        if let Some(f) = self.checked(&cols) {
            return f;
        }
        if let Some(f) = self.projected(&cols) {
            return f;
        }
        self.map_parts("select", move |df| Ok(df.select(cols.iter().map(String::as_str))?))
    }

    /// Columns computed by Polars expressions, like `LazyFrame::select`.
    pub fn select_exprs(&self, exprs: impl AsRef<[Expr]>) -> DataFrame {
        let exprs = exprs.as_ref().to_vec();
        if let Some(f) = self.row_wise("select_exprs", &exprs) {
            return f;
        }
        self.map_parts("select", move |df| Ok(df.lazy().select(exprs.clone()).collect()?))
    }

    /// The rows where a Polars predicate holds, like `df[df.v > 0]`.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("v" => [1, -2, 3, -4]).unwrap(), 2).unwrap();
    /// assert_eq!(df.filter(col("v").gt(lit(0))).len().unwrap(), 2);
    /// ```
    pub fn filter(&self, predicate: Expr) -> DataFrame {
        if let Some(f) = self.row_wise("filter", std::slice::from_ref(&predicate)) {
            return f;
        }
        self.map_parts("filter", move |df| Ok(df.lazy().filter(predicate.clone()).collect()?))
    }

    /// Adds or replaces columns with Polars expressions (arithmetic, casts, `dt()` parts),
    /// like `df.assign(...)`.
    pub fn with_columns(&self, exprs: impl AsRef<[Expr]>) -> DataFrame {
        let exprs = exprs.as_ref().to_vec();
        if let Some(f) = self.row_wise("with_columns", &exprs) {
            return f;
        }
        self.map_parts("with_columns", move |df| {
            Ok(df.lazy().with_columns(exprs.clone()).collect()?)
        })
    }

    /// Renames columns, `(old, new)` pairs, like `df.rename(columns={...})`.
    pub fn rename<I: IntoIterator<Item = (S, T)>, S: AsRef<str>, T: AsRef<str>>(
        &self,
        pairs: I,
    ) -> DataFrame {
        let (old, new): (Vec<String>, Vec<String>) =
            pairs.into_iter().map(|(a, b)| (a.as_ref().to_owned(), b.as_ref().to_owned())).unzip();
        if let Some(f) = self.checked(&old) {
            return f;
        }
        self.map_parts("rename", move |df| Ok(df.lazy().rename(&old, &new, true).collect()?))
    }

    /// Drops columns.
    pub fn drop<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, columns: I) -> DataFrame {
        let cols = owned(columns);
        if let Some(f) = self.checked(&cols) {
            return f;
        }
        self.map_parts("drop", move |df| {
            Ok(df.lazy().drop(by_name(cols.iter().map(String::as_str), true, false)).collect()?)
        })
    }

    /// Replaces nulls by a value (a Polars literal or expression), like `fillna(value)`.
    pub fn fillna(&self, value: Expr) -> DataFrame {
        if let Some(f) = self.row_wise("fillna", std::slice::from_ref(&value)) {
            return f;
        }
        self.map_parts("fillna", move |df| Ok(df.lazy().fill_null(value.clone()).collect()?))
    }

    /// Replaces nulls column by column, like `fillna({"a": 0, "b": 1.5})`: each named
    /// column's nulls by its own value (a Polars literal or expression); other columns keep
    /// theirs. A column that does not exist is an error listing those that do.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let pl = df!("a" => [Some(1i64), None], "b" => [None, Some(2.5)], "c" => [None::<i64>, None]).unwrap();
    /// let df = dd::from_polars(pl, 2).unwrap();
    /// let out = df.fillna_columns([("a", lit(0i64)), ("b", lit(-1.0))]).compute().unwrap();
    /// assert_eq!(out.column("a").unwrap().i64().unwrap().get(1), Some(0));
    /// assert_eq!(out.column("b").unwrap().f64().unwrap().get(0), Some(-1.0));
    /// assert_eq!(out.column("c").unwrap().null_count(), 2);
    /// ```
    pub fn fillna_columns<I, S>(&self, values: I) -> DataFrame
    where
        I: IntoIterator<Item = (S, Expr)>,
        S: AsRef<str>,
    {
        let (cols, values): (Vec<String>, Vec<Expr>) =
            values.into_iter().map(|(c, v)| (c.as_ref().to_owned(), v)).unzip();
        if let Some(f) = self.checked(&cols) {
            return f;
        }
        let exprs: Vec<Expr> = cols
            .iter()
            .zip(values)
            .map(|(c, v)| col(c.as_str()).fill_null(v).alias(c.as_str()))
            .collect();
        if let Some(f) = self.row_wise("fillna_columns", &exprs) {
            return f;
        }
        self.map_parts("fillna", move |df| Ok(df.lazy().with_columns(exprs.clone()).collect()?))
    }

    /// Drops the rows with a null in any column, like `dropna()`.
    pub fn dropna(&self) -> DataFrame {
        self.map_parts("dropna", |df| Ok(df.lazy().drop_nulls(None).collect()?))
    }

    /// Drops the rows with a null in any of these columns, like `dropna(subset=...)`.
    pub fn dropna_subset<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, columns: I) -> DataFrame {
        let cols = owned(columns);
        if let Some(f) = self.checked(&cols) {
            return f;
        }
        self.map_parts("dropna", move |df| {
            Ok(df
                .lazy()
                .drop_nulls(Some(by_name(cols.iter().map(String::as_str), true, false)))
                .collect()?)
        })
    }

    /// Casts columns, like `astype({...})`; a value that does not convert is an error.
    pub fn astype<I: IntoIterator<Item = (S, DataType)>, S: AsRef<str>>(
        &self,
        dtypes: I,
    ) -> DataFrame {
        let pairs: Vec<(String, DataType)> =
            dtypes.into_iter().map(|(n, d)| (n.as_ref().to_owned(), d)).collect();
        let names: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
        if let Some(f) = self.checked(&names) {
            return f;
        }
        self.map_parts("astype", move |df| {
            let map: PlHashMap<&str, DataType> =
                pairs.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
            Ok(df.lazy().cast(map, true).collect()?)
        })
    }

    fn top(&self, n: usize, column: &str, largest: bool) -> DataFrame {
        let cols = vec![column.to_owned()];
        if let Some(f) = self.checked(&cols) {
            return f;
        }
        let schema = match self.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let name = if largest { "nlargest" } else { "nsmallest" };
        let pick = Arc::new(move |df: PlFrame| -> Result<PlFrame> {
            Ok(top_n(&df, n, &cols[0], largest)?)
        });
        let leaves: Vec<Delayed<PlFrame>> = self
            .parts
            .iter()
            .map(|p| {
                let pick = pick.clone();
                p.try_map(move |df: PlFrame| pick(df)).name(name).shared()
            })
            .collect();
        let s2 = schema.clone();
        let out = tree(leaves, DEFAULT_SPLIT_EVERY, name, move |dfs| {
            pick(crate::frame::concat_frames(dfs, &s2)?)
        });
        DataFrame::known(vec![out], schema)
    }

    /// The `n` rows with the largest values of `column`, largest first (nulls last), like
    /// `nlargest(n, column)`: the top `n` of each partition, then of those, in a tree.
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("v" => [5, 1, 9, 3, 7]).unwrap(), 3).unwrap();
    /// let top = df.nlargest(2, "v").compute().unwrap();
    /// assert_eq!(top.column("v").unwrap().i32().unwrap().to_vec(), [Some(9), Some(7)]);
    /// ```
    pub fn nlargest(&self, n: usize, column: &str) -> DataFrame {
        self.top(n, column, true)
    }

    /// The `n` rows with the smallest values of `column`, smallest first (nulls last).
    pub fn nsmallest(&self, n: usize, column: &str) -> DataFrame {
        self.top(n, column, false)
    }

    /// Writes one CSV file per partition, `dir/part-00000.csv` and so on (with a header),
    /// each by its own task, so the whole frame is never in memory at once; returns the paths.
    /// Each file is written whole under a temporary name and renamed into place (a failed
    /// write leaves no partial file). As in Dask, `part-` files an earlier write left beyond
    /// this frame's partitions stay: write into an empty directory.
    ///
    /// # Errors
    /// The frame's recorded error, [`Error::Write`] for a directory that cannot be created or a
    /// file that cannot be written, or the first task that fails.
    pub fn to_csv(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        self.write_partitions(dir.as_ref(), "csv", "to_csv", |df, _, file| {
            CsvWriter::new(file).include_header(true).finish(df)?;
            Ok(())
        })
    }

    /// Writes each partition to `dir/part-NNNNN.{ext}` with `write`, by its own task named
    /// `task`, so the whole frame is never held; returns the paths in partition order. The
    /// one home of the per-partition writers ([`to_csv`](DataFrame::to_csv), `to_parquet`).
    pub(crate) fn write_partitions(
        &self,
        dir: &Path,
        ext: &'static str,
        task: &'static str,
        write: fn(&mut PlFrame, &Path, &mut std::fs::File) -> Result<()>,
    ) -> Result<Vec<PathBuf>> {
        self.schema()?;
        let dir = dir.to_owned();
        let cannot_write = |path: &Path| {
            let path = path.to_owned();
            move |e| Error::Write { path, source: Arc::new(e) }
        };
        std::fs::create_dir_all(&dir).map_err(cannot_write(&dir))?;
        let writes: Vec<Delayed<PathBuf>> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let path = dir.join(format!("part-{i:05}.{ext}"));
                // Written whole under a name no reader globs, then renamed into place: a
                // failed write leaves no partial `part-` file.
                let temp = dir.join(format!(".part-{i:05}.{ext}.tmp"));
                p.try_map(move |mut df: PlFrame| -> Result<PathBuf> {
                    let written = std::fs::File::create(&temp)
                        .map_err(cannot_write(&temp))
                        .and_then(|mut file| write(&mut df, &path, &mut file))
                        .and_then(|()| std::fs::rename(&temp, &path).map_err(cannot_write(&path)));
                    if written.is_err() {
                        let _ = std::fs::remove_file(&temp);
                    }
                    written.map(|()| path.clone())
                })
                .name(task)
            })
            .collect();
        Ok(lazydag_core::compute_all(writes)?)
    }
}

/// The top `n` rows of `df` by `column`.
pub(crate) fn top_n(
    df: &PlFrame,
    n: usize,
    column: &str,
    largest: bool,
) -> polars::prelude::PolarsResult<PlFrame> {
    let opts = SortMultipleOptions::default()
        .with_order_descending(largest)
        .with_nulls_last(true)
        .with_maintain_order(true);
    Ok(df.sort([column], opts)?.head(Some(n)))
}

/// Dask/pandas names on an in-memory `polars::DataFrame`, for results of a compute
/// (`user_stats.nlargest(10, "value_count")`).
pub trait PolarsFrameExt {
    /// The `n` rows with the largest values of `column`, largest first (nulls last).
    ///
    /// ```
    /// use lazydag_frame::PolarsFrameExt;
    /// use polars::prelude::*;
    /// let df = df!("v" => [2, 8, 5]).unwrap();
    /// assert_eq!(df.nlargest(1, "v").unwrap().column("v").unwrap().i32().unwrap().get(0), Some(8));
    /// ```
    ///
    /// # Errors
    /// Polars' error for a missing column.
    fn nlargest(&self, n: usize, column: &str) -> Result<PlFrame>;
    /// The `n` rows with the smallest values of `column`, smallest first (nulls last).
    ///
    /// # Errors
    /// Polars' error for a missing column.
    fn nsmallest(&self, n: usize, column: &str) -> Result<PlFrame>;
}

impl PolarsFrameExt for PlFrame {
    fn nlargest(&self, n: usize, column: &str) -> Result<PlFrame> {
        Ok(top_n(self, n, column, true)?)
    }
    fn nsmallest(&self, n: usize, column: &str) -> Result<PlFrame> {
        Ok(top_n(self, n, column, false)?)
    }
}

/// Whether `expr`, over a frame of `schema`, is row-separable: its value over a frame's rows
/// split in two is its values over each part, concatenated (what running it partition by
/// partition needs). Asked of Polars' planner for a `select` of it on an empty frame; an
/// expression the planner refuses (a missing column) counts as row-wise here, so that the
/// compute reports Polars' own error.
fn row_separable(schema: &Schema, expr: &Expr) -> bool {
    use polars_plan::plans::{IR, is_row_separable_rec};
    let empty = PlFrame::empty_with_schema(schema);
    let Ok(plan) = empty.lazy().select([expr.clone()]).to_alp() else {
        return true;
    };
    match plan.lp_arena.get(plan.lp_top) {
        IR::Select { expr, .. } => {
            expr.iter().all(|e| is_row_separable_rec(e.node(), &plan.expr_arena))
        }
        _ => true,
    }
}
