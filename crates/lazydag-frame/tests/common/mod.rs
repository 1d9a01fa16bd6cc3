//! Helpers shared by the behaviour tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use lazydag_core::Scheduler;
use lazydag_core::scheduler::{Async, Sequential, Threaded, WorkStealing};
use polars::prelude::*;

/// Every scheduler the tests run on: the one place to edit when a scheduler is renamed.
pub fn schedulers() -> Vec<(&'static str, Box<dyn Scheduler>)> {
    vec![
        ("sync", Box::new(Sequential)),
        ("threaded", Box::new(Threaded::new(3))),
        ("work-stealing", Box::new(WorkStealing::new(3))),
        ("async", Box::new(Async::new(2))),
    ]
}

/// Writes `text` to `name` in `dir` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Polars' own eager read of a whole file, the reference.
pub fn polars_read(path: &Path, schema: Option<SchemaRef>) -> DataFrame {
    // The fields `read_csv` reads as null by default, pandas' list.
    let na: Vec<PlSmallStr> = lazydag_frame::PANDAS_NA_VALUES.iter().map(|v| (*v).into()).collect();
    let mut opts = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .map_parse_options(|o| o.with_null_values(Some(NullValues::AllColumns(na.clone()))));
    if let Some(s) = schema {
        opts = opts.with_schema(Some(s));
    }
    opts.try_into_reader_with_file_path(Some(path.to_owned())).unwrap().finish().unwrap()
}

/// Sorts by all columns so that frames of the same rows compare equal.
pub fn sorted(df: &DataFrame) -> DataFrame {
    let names: Vec<PlSmallStr> = df.get_column_names().into_iter().cloned().collect();
    df.sort(names, SortMultipleOptions::default()).unwrap()
}

/// Asserts equal shape, names, dtypes and values, floats within a relative 1e-9.
pub fn assert_frames_close(got: &DataFrame, want: &DataFrame) {
    assert_eq!(got.get_column_names(), want.get_column_names(), "columns");
    assert_eq!(got.height(), want.height(), "heights of\n{got}\n{want}");
    for (g, w) in got.columns().iter().zip(want.columns()) {
        assert_eq!(g.dtype(), w.dtype(), "dtype of {}", g.name());
        if g.dtype().is_float() {
            let g = g.cast(&DataType::Float64).unwrap();
            let w = w.cast(&DataType::Float64).unwrap();
            let (g, w) = (g.f64().unwrap(), w.f64().unwrap());
            for (a, b) in g.iter().zip(w.iter()) {
                match (a, b) {
                    (Some(a), Some(b)) => {
                        let tol = 1e-9 * a.abs().max(b.abs()).max(1.0);
                        assert!((a - b).abs() <= tol || (a.is_nan() && b.is_nan()), "{a} vs {b}");
                    }
                    (a, b) => assert_eq!(a, b),
                }
            }
        } else {
            assert!(
                g.as_materialized_series().equals_missing(w.as_materialized_series()),
                "{g:?}\n{w:?}"
            );
        }
    }
}

/// dask's `csv_text` fixture (dask/dataframe/io/tests/test_csv.py).
pub const CSV_TEXT: &str = "name,amount\nAlice,100\nBob,-200\nCharlie,300\nDennis,400\nEdith,-500\nFrank,600\nAlice,200\nFrank,-200\nBob,600\nAlice,400\nFrank,200\nAlice,300\nEdith,600\n";
