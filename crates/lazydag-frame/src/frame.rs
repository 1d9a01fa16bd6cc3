//! [`DataFrame`]: a lazy table cut into partitions, each a task yielding a `polars::DataFrame`.
//!
//! Invariants: a frame has at least one partition; its partitions, concatenated in order, are
//! the table; every partition has the frame's schema (its *meta*, known without computing,
//! like Dask's `_meta`); recording an operation adds O(partitions) tasks and runs nothing.
//! Every partition handle is `shared`, so any number of later operations may consume it.

use std::fmt;
use std::sync::Arc;

use lazydag_core::scheduler::default_scheduler;
use lazydag_core::{Delayed, Scheduler, compute_with, delayed};
use polars::prelude::{DataFrame as PlFrame, DataType, Schema, SchemaRef};

use crate::error::{Error, Result};

/// A lazy, partitioned table: `dask.dataframe.DataFrame` on Polars.
///
/// Each partition is one task of the lazydag graph producing a [`polars::prelude::DataFrame`];
/// operations record new tasks, one per partition (or a tree of them, for reductions), and
/// [`compute`](DataFrame::compute) runs the graph on a lazydag scheduler and concatenates the
/// partitions.
///
/// ```
/// use lazydag_frame as dd;
/// use polars::prelude::*;
/// let pl = df!("k" => [1i64, 2, 1, 2], "v" => [1.0, 2.0, 3.0, 4.0]).unwrap();
/// let df = dd::from_polars(pl, 2).unwrap();
/// assert_eq!(df.npartitions(), 2);
/// assert_eq!(df.columns().unwrap(), ["k", "v"]);
/// let doubled = df.with_columns([col("v") * lit(2.0)]);   // lazy: nothing ran
/// let out = doubled.compute().unwrap();
/// assert_eq!(out.column("v").unwrap().f64().unwrap().sum(), Some(20.0));
/// assert_eq!(df.len().unwrap(), 4);
/// ```
#[derive(Clone)]
pub struct DataFrame {
    pub(crate) parts: Vec<Delayed<PlFrame>>,
    pub(crate) meta: Meta,
    /// How to read the same input with fewer columns, for a frame straight from a reader.
    pub(crate) source: Option<Projector>,
}

/// Re-reads a frame's input with only the given columns (of its schema), so that an
/// operation needing fewer columns than the frame has (a group-by, `select`) reads only
/// those: Dask's (and Polars') projection pushdown into the reader. A CSV block then parses
/// only the columns asked for.
#[derive(Clone)]
pub(crate) struct Projector(Arc<Reread>);

/// The function behind a [`Projector`]: the columns wanted, the frame of them.
type Reread = dyn Fn(&[String]) -> DataFrame + Send + Sync;

impl Projector {
    pub(crate) fn new(f: impl Fn(&[String]) -> DataFrame + Send + Sync + 'static) -> Projector {
        Projector(Arc::new(f))
    }
}

/// What is known about a frame's schema without computing it.
#[derive(Clone, Debug)]
pub(crate) enum Meta {
    /// The schema every partition has.
    Known(SchemaRef),
    /// Recording the frame failed (an unknown column, a bad argument): computing it returns
    /// this error and runs nothing.
    Failed(Error),
}

impl fmt::Debug for DataFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("DataFrame");
        d.field("npartitions", &self.parts.len());
        match &self.meta {
            Meta::Known(schema) => d.field("schema", schema),
            Meta::Failed(e) => d.field("error", e),
        };
        d.finish()
    }
}

/// Makes a frame of `npartitions` partitions (of equal size, give or take a row) from an
/// in-memory Polars frame, like `dask.dataframe.from_pandas(df, npartitions)`.
///
/// # Errors
/// [`Error::InvalidArgument`] when `npartitions` is 0.
///
/// ```
/// use lazydag_frame as dd;
/// use polars::prelude::*;
/// let pl = df!("a" => [1i32, 2, 3, 4, 5]).unwrap();
/// let df = dd::from_polars(pl.clone(), 2).unwrap();
/// let sizes: Vec<usize> = df.partitions().iter().map(|p| p.compute().unwrap().height()).collect();
/// assert_eq!(sizes, [3, 2]);
/// assert!(df.compute().unwrap().equals(&pl));
/// ```
pub fn from_polars(df: PlFrame, npartitions: usize) -> Result<DataFrame> {
    if npartitions == 0 {
        return Err(Error::InvalidArgument("from_polars: npartitions must be at least 1".into()));
    }
    let schema = df.schema().clone();
    let height = df.height();
    let size = height.div_ceil(npartitions).max(1);
    let mut parts = Vec::with_capacity(npartitions);
    for i in 0..npartitions {
        let offset = (i * size).min(height);
        let len = size.min(height - offset);
        let slice = df.slice(offset as i64, len);
        parts.push(delayed(slice).name("from_polars"));
    }
    Ok(DataFrame { parts, meta: Meta::Known(schema), source: None })
}

/// Makes a frame from lazy partitions, like `dask.dataframe.from_delayed`. The schema is that
/// of `schema` when given; otherwise the first partition is computed to learn it. Every
/// partition is checked against it when it is computed.
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty list; a compute error of the first partition when
/// `schema` is `None`.
///
/// ```
/// use lazydag_core::delayed;
/// use lazydag_frame as dd;
/// use polars::prelude::*;
/// let parts: Vec<_> = (0..3).map(|i| delayed(df!("x" => [i as i64]).unwrap())).collect();
/// let df = dd::from_delayed(parts, None).unwrap();
/// assert_eq!(df.compute().unwrap().column("x").unwrap().i64().unwrap().sum(), Some(3));
/// ```
pub fn from_delayed(parts: Vec<Delayed<PlFrame>>, schema: Option<SchemaRef>) -> Result<DataFrame> {
    let Some(first) = parts.first() else {
        return Err(Error::InvalidArgument("from_delayed: needs at least one partition".into()));
    };
    let schema = match schema {
        Some(s) => s,
        None => first.compute()?.schema().clone(),
    };
    let parts = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let expect = schema.clone();
            p.try_map(move |df: PlFrame| check_schema(df, &expect, i)).name("from_delayed").shared()
        })
        .collect();
    Ok(DataFrame { parts, meta: Meta::Known(schema), source: None })
}

/// The schema `f` gives for an empty frame of `schema`: the output schema of user code,
/// learned as Dask learns its `meta`. `what` names the operation and `alternative` the one
/// that takes the schema instead, for the error when `f` fails or panics there.
pub(crate) fn meta_of<F>(
    f: &F,
    schema: SchemaRef,
    what: &str,
    alternative: &str,
) -> Result<SchemaRef>
where
    F: Fn(PlFrame) -> polars::prelude::PolarsResult<PlFrame>,
{
    let empty = PlFrame::empty_with_arc_schema(schema);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(empty))) {
        Ok(Ok(df)) => Ok(df.schema().clone()),
        Ok(Err(e)) => Err(Error::InvalidArgument(format!(
            "{what}: the function failed on an empty frame of the input schema ({e}); give \
             the output schema with {alternative}"
        ))),
        Err(_) => Err(Error::InvalidArgument(format!(
            "{what}: the function panicked on an empty frame of the input schema; give the \
             output schema with {alternative}"
        ))),
    }
}

/// Checks that no column of `columns` is named twice (`what`: the option that lists them, as
/// `usecols`): the error says which one.
pub(crate) fn named_once(columns: &[String], what: &str) -> Result<()> {
    match columns.iter().enumerate().find(|(i, c)| columns[..*i].contains(c)) {
        Some((_, twice)) => Err(Error::InvalidArgument(format!(
            "{what} names `{twice}` twice: name each column once"
        ))),
        None => Ok(()),
    }
}

/// `df`, checked to have the schema `expect` (its columns put in that order if they are in
/// another); otherwise an error naming partition `i`.
pub(crate) fn check_schema(df: PlFrame, expect: &Schema, i: usize) -> Result<PlFrame> {
    if df.schema().as_ref() == expect {
        return Ok(df);
    }
    let mismatch = |got: &Schema| {
        Error::InvalidArgument(format!("partition {i} has schema {got:?}, expected {expect:?}"))
    };
    // Same columns in another order: put them in order; anything else (a column more or
    // fewer, another dtype) is an error.
    let names: Vec<&str> = expect.iter_names().map(|n| n.as_str()).collect();
    if df.width() != names.len() {
        return Err(mismatch(df.schema()));
    }
    let reordered = df.select(names.iter().copied()).map_err(|_| mismatch(df.schema()))?;
    if reordered.schema().as_ref() == expect {
        Ok(reordered)
    } else {
        Err(mismatch(reordered.schema()))
    }
}

/// Concatenates frames, like `dask.dataframe.concat`: the partitions of the first, then of the
/// second, and so on. Frames must have the same columns (in any order) and dtypes.
///
/// ```
/// use lazydag_frame as dd;
/// use polars::prelude::*;
/// let a = dd::from_polars(df!("x" => [1i64, 2]).unwrap(), 1).unwrap();
/// let b = dd::from_polars(df!("x" => [3i64]).unwrap(), 1).unwrap();
/// let both = dd::concat([a, b]);
/// assert_eq!(both.npartitions(), 2);
/// assert_eq!(both.len().unwrap(), 3);
/// ```
pub fn concat(frames: impl IntoIterator<Item = DataFrame>) -> DataFrame {
    let frames: Vec<DataFrame> = frames.into_iter().collect();
    let Some(first) = frames.first() else {
        return DataFrame::failed(Error::InvalidArgument(
            "concat: needs at least one frame".into(),
        ));
    };
    let schema = match first.schema() {
        Ok(s) => s,
        Err(e) => return DataFrame::failed(e),
    };
    let mut parts = Vec::new();
    for (j, f) in frames.iter().enumerate() {
        let s = match f.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        if s == schema {
            parts.extend(f.parts.iter().cloned());
            continue;
        }
        let same = schema.len() == s.len() && schema.iter().all(|(n, dt)| s.get(n) == Some(dt));
        if !same {
            return DataFrame::failed(Error::InvalidArgument(format!(
                "concat: frame {j} has schema {s:?}, the first has {schema:?}"
            )));
        }
        let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        parts.extend(f.parts.iter().map(|p| {
            let names = names.clone();
            p.try_map(move |df: PlFrame| {
                Ok::<_, Error>(df.select(names.iter().map(String::as_str))?)
            })
            .name("concat")
            .shared()
        }));
    }
    DataFrame { parts, meta: Meta::Known(schema), source: None }
}

impl DataFrame {
    pub(crate) fn failed(e: Error) -> DataFrame {
        DataFrame { parts: Vec::new(), meta: Meta::Failed(e), source: None }
    }

    pub(crate) fn known(parts: Vec<Delayed<PlFrame>>, schema: SchemaRef) -> DataFrame {
        DataFrame { parts, meta: Meta::Known(schema), source: None }
    }

    /// A frame read by `source`, which can re-read it with fewer columns.
    pub(crate) fn with_source(mut self, source: Projector) -> DataFrame {
        self.source = Some(source);
        self
    }

    /// The same rows with only `columns` (in that order), read with only those columns when
    /// this frame comes straight from a reader; `None` when it does not, or when `columns`
    /// are not fewer columns of its schema.
    pub(crate) fn projected(&self, columns: &[String]) -> Option<DataFrame> {
        let source = self.source.as_ref()?;
        let schema = self.schema().ok()?;
        let fewer = !columns.is_empty()
            && columns.len() < schema.len()
            && columns.iter().all(|c| schema.contains(c))
            && columns.iter().enumerate().all(|(i, c)| !columns[..i].contains(c));
        fewer.then(|| (source.0)(columns))
    }

    /// The number of partitions, like Dask's `npartitions`.
    pub fn npartitions(&self) -> usize {
        self.parts.len()
    }

    /// The schema every partition has, known without computing (from the first block of a CSV,
    /// the dtypes given, or an operation applied to an empty frame of the input schema).
    ///
    /// # Errors
    /// The error recorded when this frame was built (an unknown column, a bad argument).
    pub fn schema(&self) -> Result<SchemaRef> {
        match &self.meta {
            Meta::Known(s) => Ok(s.clone()),
            Meta::Failed(e) => Err(e.clone()),
        }
    }

    /// The column names, in order.
    ///
    /// # Errors
    /// As [`schema`](DataFrame::schema).
    pub fn columns(&self) -> Result<Vec<String>> {
        Ok(self.schema()?.iter_names().map(|n| n.to_string()).collect())
    }

    /// The columns and their dtypes, in order, like Dask's `dtypes`.
    ///
    /// # Errors
    /// As [`schema`](DataFrame::schema).
    pub fn dtypes(&self) -> Result<Vec<(String, DataType)>> {
        Ok(self.schema()?.iter().map(|(n, d)| (n.to_string(), d.clone())).collect())
    }

    /// The partitions, each a lazy `polars::DataFrame` to compute on its own, like
    /// `df.partitions` / `to_delayed()` in Dask. An erroneous frame has none (see
    /// [`schema`](DataFrame::schema) for its error).
    pub fn partitions(&self) -> &[Delayed<PlFrame>] {
        &self.parts
    }

    /// The partitions as owned handles, like Dask's `to_delayed()`.
    pub fn to_delayed(&self) -> Vec<Delayed<PlFrame>> {
        self.parts.clone()
    }

    /// Partition `i`, lazy.
    ///
    /// # Errors
    /// The frame's recorded error, or [`Error::InvalidArgument`] when `i` is out of range.
    pub fn get_partition(&self, i: usize) -> Result<Delayed<PlFrame>> {
        self.schema()?;
        self.parts.get(i).cloned().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "get_partition({i}): the frame has {} partitions",
                self.parts.len()
            ))
        })
    }

    /// The first `n` rows, computing only as many partitions (from the first on) as needed.
    ///
    /// Like Dask's `head(n)`, it computes the first partition alone; unlike it (whose
    /// `npartitions=1` warns and returns fewer rows), it goes on while rows are missing, with
    /// twice as many partitions in each further compute (1, 2, 4, …), all of a batch in one
    /// compute. So partitions that share upstream work (the output of a shuffle, a sort or a
    /// merge) run it once per batch, `ceil(log2(p + 1))` times for `p` partitions at most, rather
    /// than once per partition; the price is at most one batch of partitions computed beyond
    /// those the rows needed.
    ///
    /// # Errors
    /// The frame's recorded error, or the first task that fails.
    pub fn head(&self, n: usize) -> Result<PlFrame> {
        let schema = self.schema()?;
        let mut out = PlFrame::empty_with_arc_schema(schema);
        let (mut next, mut batch) = (0, 1);
        while out.height() < n && next < self.parts.len() {
            let end = (next + batch).min(self.parts.len());
            let dfs: Vec<PlFrame> = lazydag_core::compute(&self.parts[next..end].to_vec())?;
            for df in dfs {
                out.vstack_mut_owned(df)?;
            }
            (next, batch) = (end, batch * 2);
        }
        Ok(out.head(Some(n)))
    }

    /// The number of rows: each partition's height, summed in a tree.
    ///
    /// # Errors
    /// The frame's recorded error, or the first task that fails.
    pub fn len(&self) -> Result<usize> {
        self.schema()?;
        let heights: Vec<Delayed<usize>> =
            self.parts.iter().map(|p| p.map(|df: PlFrame| df.height()).name("len")).collect();
        let total = crate::reduce::tree(heights, 32, "len-sum", |xs: Vec<usize>| {
            Ok(xs.into_iter().sum::<usize>())
        });
        Ok(total.compute()?)
    }

    /// Whether the frame has no rows (computes [`len`](DataFrame::len)).
    ///
    /// # Errors
    /// As [`len`](DataFrame::len).
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The whole frame as one lazy `polars::DataFrame`: a task concatenating the partitions.
    ///
    /// # Errors
    /// The frame's recorded error.
    pub fn to_single(&self) -> Result<Delayed<PlFrame>> {
        let schema = self.schema()?;
        if self.parts.len() == 1 {
            return Ok(self.parts[0].clone());
        }
        let all: Delayed<Vec<PlFrame>> = self.parts.iter().collect();
        Ok(all
            .try_map(move |dfs: Vec<PlFrame>| concat_frames(dfs, &schema))
            .name("concat")
            .shared())
    }

    /// Computes the frame with the default scheduler and concatenates its partitions.
    ///
    /// # Errors
    /// The frame's recorded error, or the first task that fails (naming it, the file, line
    /// and column for bad input).
    pub fn compute(&self) -> Result<PlFrame> {
        let scheduler = default_scheduler()?;
        self.compute_with(&*scheduler)
    }

    /// Computes the frame with the given lazydag scheduler.
    ///
    /// # Errors
    /// As [`compute`](DataFrame::compute).
    pub fn compute_with(&self, scheduler: &dyn Scheduler) -> Result<PlFrame> {
        let single = self.to_single()?;
        Ok(compute_with(&single, scheduler)?)
    }

    /// The graph that computes the whole frame, in Graphviz DOT.
    ///
    /// # Errors
    /// The frame's recorded error.
    pub fn to_dot(&self) -> Result<String> {
        Ok(self.to_single()?.to_dot())
    }

    /// Applies `f` to every partition, like Dask's `map_partitions`. The output schema is
    /// learned by applying `f` to an empty frame of the input schema (Dask's `meta`); when
    /// `f` fails there, use [`map_partitions_with_schema`](DataFrame::map_partitions_with_schema).
    ///
    /// ```
    /// use lazydag_frame as dd;
    /// use polars::prelude::*;
    /// let df = dd::from_polars(df!("x" => [1i64, 2, 3]).unwrap(), 2).unwrap();
    /// let tail = df.map_partitions(|p| Ok(p.tail(Some(1))));
    /// assert_eq!(tail.compute().unwrap().height(), 2);
    /// ```
    pub fn map_partitions<F>(&self, f: F) -> DataFrame
    where
        F: Fn(PlFrame) -> polars::prelude::PolarsResult<PlFrame> + Send + Sync + 'static,
    {
        let out = match self
            .schema()
            .and_then(|schema| meta_of(&f, schema, "map_partitions", "map_partitions_with_schema"))
        {
            Ok(out) => out,
            Err(e) => return DataFrame::failed(e),
        };
        self.map_partitions_with_schema(f, out)
    }

    /// Applies `f` to every partition, declaring the output schema (checked on each partition).
    pub fn map_partitions_with_schema<F>(&self, f: F, schema: SchemaRef) -> DataFrame
    where
        F: Fn(PlFrame) -> polars::prelude::PolarsResult<PlFrame> + Send + Sync + 'static,
    {
        if let Err(e) = self.schema() {
            return DataFrame::failed(e);
        }
        let f = Arc::new(f);
        let parts = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let f = f.clone();
                let expect = schema.clone();
                p.try_map(move |df: PlFrame| check_schema(f(df)?, &expect, i))
                    .name("map_partitions")
                    .shared()
            })
            .collect();
        DataFrame::known(parts, schema)
    }

    /// Records `f` on every partition where the output schema is that of `f` on the meta.
    pub(crate) fn map_parts<F>(&self, name: &'static str, f: F) -> DataFrame
    where
        F: Fn(PlFrame) -> Result<PlFrame> + Send + Sync + 'static,
    {
        let schema = match self.schema() {
            Ok(s) => s,
            Err(e) => return DataFrame::failed(e),
        };
        let out = match f(PlFrame::empty_with_arc_schema(schema)) {
            Ok(df) => df.schema().clone(),
            Err(e) => return DataFrame::failed(e),
        };
        let f = Arc::new(f);
        let parts = self
            .parts
            .iter()
            .map(|p| {
                let f = f.clone();
                p.try_map(move |df: PlFrame| f(df)).name(name).shared()
            })
            .collect();
        DataFrame::known(parts, out)
    }
}

/// Concatenates partitions; an empty list gives an empty frame of `schema`.
pub(crate) fn concat_frames(dfs: Vec<PlFrame>, schema: &SchemaRef) -> Result<PlFrame> {
    let mut iter = dfs.into_iter();
    let Some(mut acc) = iter.next() else {
        return Ok(PlFrame::empty_with_arc_schema(schema.clone()));
    };
    for df in iter {
        acc.vstack_mut_owned(df)?;
    }
    Ok(acc)
}
