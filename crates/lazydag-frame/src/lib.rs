//! lazydag-frame: `dask.dataframe` for lazydag — lazy tables cut into partitions, each a
//! [`polars`] frame computed by one task.
//!
//! ```
//! use lazydag_frame as dd;
//! use polars::prelude::*;
//! let pl = df!("user_id" => [1i64, 2, 1, 3], "value" => [1.0, 2.0, 3.0, 4.0]).unwrap();
//! let df = dd::from_polars(pl, 2).unwrap();
//! let stats = df
//!     .groupby(["user_id"])
//!     .agg([col("value").mean(), col("value").max(), col("value").count()])
//!     .compute()
//!     .unwrap();
//! assert_eq!(stats.get_column_names(), ["user_id", "value_mean", "value_max", "value_count"]);
//! assert_eq!(stats.column("value_mean").unwrap().f64().unwrap().get(0), Some(2.0));
//! ```
//!
//! Read CSV files in byte blocks with [`read_csv`], wrap an in-memory frame with
//! [`from_polars`], or lazy partitions with [`from_delayed`]; with the `parquet` feature,
//! read Parquet files one partition per row group with `read_parquet` and write them with
//! `DataFrame::to_parquet`. Operations record tasks (one per partition, or a tree for
//! reductions and group-bys) and run nothing; `compute()` runs the graph on any lazydag
//! scheduler. See `docs/frame.md`.

#![deny(missing_docs)]

mod csv;
mod error;
mod frame;
mod groupby;
mod merge;
mod ops;
#[cfg(feature = "parquet")]
mod parquet;
mod quantile;
mod reduce;
mod shuffle;
mod sort;

pub use crate::csv::{IntoBlocksize, IntoSources, PANDAS_NA_VALUES, ReadCsv, read_csv};
pub use crate::error::{Error, Result};
pub use crate::frame::{DataFrame, concat, from_delayed, from_polars};
pub use crate::groupby::GroupBy;
pub use crate::ops::PolarsFrameExt;
#[cfg(feature = "parquet")]
pub use crate::parquet::{ReadParquet, read_parquet};
pub use polars;
