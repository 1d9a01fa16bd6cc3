//! The same CSV through pandas and through lazydag-frame, on every scheduler: group-by
//! aggregations (an integer key with nulls, and two keys, one a string), reductions over the
//! frame, `value_counts`, `nlargest`/`nsmallest`, `sort_values`, a filter/assign pipeline, a
//! filter that leaves groups of one row (null `std`), and reductions of a frame filtered to none.
//!
//! It needs pandas, so the workspace run skips it (`#[ignore]`): `scripts/test.sh` runs it with
//! `LAZYDAG_PYTHON` set to the venv `scripts/dask-env.sh` makes (pinned pandas), and prints
//! `SKIPPED` when pip cannot install that. Run by hand:
//!
//! ```text
//! LAZYDAG_PYTHON=$(bash scripts/dask-env.sh | sed 's/^PYO3_PYTHON=//') \
//!     cargo test -p lazydag-frame --test pandas -- --ignored
//! ```
//!
//! lazydag-frame has Polars' semantics. Where pandas' defaults differ, the pandas side below
//! spells out Polars' meaning, and each case is one row of docs/frame.md's "Where pandas
//! differs":
//! - a null key is a group of its own: pandas' `groupby(..., dropna=False)` (its default drops
//!   the rows);
//! - `first`/`last` are the first/last row's value, null included: pandas' `nth`-like
//!   `iloc[0]` (its `first` skips NaN);
//! - `nunique` counts null as a value: pandas' `nunique(dropna=False)`;
//! - `value_counts` counts nulls too: pandas' `value_counts(dropna=False)`.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use lazydag_core::Scheduler;
use lazydag_frame as dd;
use polars::prelude::*;

/// The pandas side: reads `sys.argv[1]`, writes one CSV per case into `sys.argv[2]`.
const PANDAS: &str = r#"
import sys
import pandas as pd

src, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, dtype={"k": "Int64", "w": "int64", "s": "str"})
first = lambda x: x.iloc[0] if len(x) else None
last = lambda x: x.iloc[-1] if len(x) else None
distinct = lambda x: x.nunique(dropna=False)

g = df.groupby("k", dropna=False).agg(
    v_sum=("v", "sum"), v_mean=("v", "mean"), v_min=("v", "min"), v_max=("v", "max"),
    v_count=("v", "count"), v_std=("v", "std"), v_var=("v", "var"),
    v_first=("v", first), v_last=("v", last), v_nunique=("v", distinct),
    w_sum=("w", "sum"), w_min=("w", "min"), w_max=("w", "max"), w_nunique=("w", distinct),
).reset_index()
g.to_csv(f"{out}/groupby_k.csv", index=False)

g2 = df.groupby(["s", "w"], dropna=False).agg(
    v_mean=("v", "mean"), v_count=("v", "count"), k_max=("k", "max"),
).reset_index()
g2.to_csv(f"{out}/groupby_s_w.csv", index=False)

num = df[["k", "v", "w"]]
rows = [num.sum(), num.mean(), num.min(), num.max(), num.count(), num.std(), num.var(),
        num.nunique(dropna=False)]
pd.DataFrame(rows, index=["sum", "mean", "min", "max", "count", "std", "var", "nunique"]) \
    .rename_axis("what").reset_index().to_csv(f"{out}/reductions.csv", index=False)

df["s"].value_counts(dropna=False).rename("count").rename_axis("s").reset_index() \
    .to_csv(f"{out}/value_counts.csv", index=False)
df.nlargest(7, "v")[["v"]].to_csv(f"{out}/nlargest.csv", index=False)
df.nsmallest(7, "v")[["v"]].to_csv(f"{out}/nsmallest.csv", index=False)
df.sort_values("v", kind="stable")[["v"]].to_csv(f"{out}/sorted.csv", index=False)

# Few rows left (some partitions empty, most groups of one row: std/var null), and none.
few = df[df["v"] > 900]
few.groupby("k", dropna=False).agg(
    v_std=("v", "std"), v_var=("v", "var"), v_mean=("v", "mean"), v_first=("v", first),
    v_nunique=("v", distinct), w_count=("w", "count"),
).reset_index().to_csv(f"{out}/few.csv", index=False)
none = df[df["v"] > 1e9][["v", "w"]]
pd.DataFrame([none.sum(), none.mean(), none.count(), none.std()], index=["sum", "mean", "count", "std"]) \
    .rename_axis("what").reset_index().to_csv(f"{out}/none.csv", index=False)

f = df[df["v"] > 50]
f = f.assign(v2=f["v"] * 2 + f["w"])
f.groupby("k", dropna=False).agg(v2_sum=("v2", "sum"), v2_mean=("v2", "mean")).reset_index() \
    .to_csv(f"{out}/pipeline.csv", index=False)
"#;

/// The interpreter with pandas: `LAZYDAG_PYTHON`, which the ignored run must have.
fn python() -> String {
    let py = std::env::var("LAZYDAG_PYTHON").expect(
        "LAZYDAG_PYTHON must name a Python with pandas (scripts/dask-env.sh makes one; \
         scripts/test.sh sets it)",
    );
    let check = Command::new(&py).args(["-c", "import pandas"]).output();
    assert!(
        check.as_ref().is_ok_and(|o| o.status.success()),
        "LAZYDAG_PYTHON={py} cannot import pandas: {check:?}"
    );
    py
}

/// 3,000 rows: `k` an integer key with nulls (every 29th row) and a group whose `v` is all
/// null (41); `v` a float with nulls (every 13th row), negative and repeated values; `w` a
/// small integer; `s` a string with nulls and a quoted field holding the separator.
fn csv_text() -> String {
    let mut text = String::from("k,v,w,s\n");
    for i in 0..3000u64 {
        let k = match i {
            _ if i % 29 == 0 => String::new(),
            _ if i % 26 == 0 => "41".to_owned(),
            _ => (i * 31 % 37).to_string(),
        };
        let v = if i % 13 == 0 {
            String::new()
        } else {
            format!("{:.3}", (i * 7919 % 10007) as f64 / 7.0 - 500.0)
        };
        let s = ["a", "", "\"x, y\"", "b", "a", "c"][(i % 6) as usize];
        text.push_str(&format!("{k},{v},{},{s}\n", i * 7 % 5));
    }
    text
}

/// Runs the pandas side on `csv`, writing its results into `out`.
fn run_pandas(csv: &Path, out: &Path) {
    let run = Command::new(python()).args(["-c", PANDAS]).arg(csv).arg(out).output().unwrap();
    assert!(run.status.success(), "pandas failed:\n{}", String::from_utf8_lossy(&run.stderr));
}

/// Column `name` of `df` as `f64`s (null for null); a missing column fails naming the others.
fn floats(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let column =
        df.column(name).unwrap_or_else(|e| panic!("{e}: have {:?}", df.get_column_names()));
    column.cast(&DataType::Float64).unwrap().f64().unwrap().iter().collect()
}

/// Asserts that `got` and `want` hold the same values in `columns`, row by row: floats within
/// a relative 1e-9, and pandas' NaN for "no value" the same as Polars' null.
fn assert_same(case: &str, got: &DataFrame, want: &DataFrame, columns: &[&str]) {
    assert_eq!(got.height(), want.height(), "{case}: rows of\n{got}\n{want}");
    for &c in columns {
        let (g, w) = (floats(got, c), floats(want, c));
        for (row, (a, b)) in g.iter().zip(&w).enumerate() {
            let a = a.filter(|a| !a.is_nan());
            let b = b.filter(|b| !b.is_nan());
            let ok = match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
                (a, b) => a == b,
            };
            assert!(ok, "{case}: column {c}, row {row}: lazydag {a:?}, pandas {b:?}");
        }
    }
}

/// Sorts by `keys` (nulls first, as `sorted` does), so that both sides' groups line up.
fn by(df: &DataFrame, keys: &[&str]) -> DataFrame {
    df.sort(keys.iter().copied(), SortMultipleOptions::default()).unwrap()
}

#[test]
#[ignore = "needs pandas: scripts/test.sh runs it with LAZYDAG_PYTHON (see the file's docs)"]
fn the_same_csv_agrees_with_pandas_on_every_scheduler() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "in.csv", &csv_text());
    run_pandas(&csv, dir.path());
    let want = |name: &str| polars_read(&dir.path().join(name), None);

    let df = dd::read_csv(&csv).blocksize(4096).open().unwrap();
    assert!(df.npartitions() > 10, "{} partitions", df.npartitions());
    let aggs = [
        col("v").sum(),
        col("v").mean(),
        col("v").min(),
        col("v").max(),
        col("v").count(),
        col("v").std(1),
        col("v").var(1),
        col("v").first(),
        col("v").last(),
        col("v").n_unique(),
        col("w").sum(),
        col("w").min(),
        col("w").max(),
        col("w").n_unique(),
    ];
    // lazydag-frame names each `<column>_<aggregation>`, as the pandas side does by hand.
    let agg_columns = [
        "v_sum",
        "v_mean",
        "v_min",
        "v_max",
        "v_count",
        "v_std",
        "v_var",
        "v_first",
        "v_last",
        "v_nunique",
        "w_sum",
        "w_min",
        "w_max",
        "w_nunique",
    ];
    let reductions: [(&str, dd::DataFrame); 8] = {
        let num = df.select(["k", "v", "w"]);
        [
            ("sum", num.sum()),
            ("mean", num.mean()),
            ("min", num.min()),
            ("max", num.max()),
            ("count", num.count()),
            ("std", num.std(1)),
            ("var", num.var(1)),
            ("nunique", num.nunique()),
        ]
    };
    let few = df.filter(col("v").gt(lit(900.0))).groupby(["k"]).split_every(2).agg([
        col("v").std(1),
        col("v").var(1),
        col("v").mean(),
        col("v").first(),
        col("v").n_unique(),
        col("w").count(),
    ]);
    let few_columns = ["k", "v_std", "v_var", "v_mean", "v_first", "v_nunique", "w_count"];
    let none = df.filter(col("v").gt(lit(1e9))).select(["v", "w"]);
    let nones: [(&str, dd::DataFrame); 4] =
        [("sum", none.sum()), ("mean", none.mean()), ("count", none.count()), ("std", none.std(1))];
    let pipeline = df
        .filter(col("v").gt(lit(50.0)))
        .with_columns([(col("v") * lit(2.0) + col("w")).alias("v2")])
        .groupby(["k"])
        .split_every(3)
        .agg([col("v2").sum(), col("v2").mean()]);

    for (name, scheduler) in schedulers() {
        let run =
            |frame: &dd::DataFrame| frame.compute_with(&*scheduler as &dyn Scheduler).unwrap();
        let case = |what: &str| format!("{what} on {name}");

        let got = by(&run(&df.groupby(["k"]).split_every(3).agg(aggs.clone())), &["k"]);
        let pandas = by(&want("groupby_k.csv"), &["k"]);
        assert_same(&case("groupby(k) keys"), &got, &pandas, &["k"]);
        assert_same(&case("groupby(k).agg"), &got, &pandas, &agg_columns);

        let got =
            run(&df.groupby(["s", "w"]).agg([col("v").mean(), col("v").count(), col("k").max()]));
        let two = ["s", "w"];
        let (got, pandas) = (by(&got, &two), by(&want("groupby_s_w.csv"), &two));
        let strings = |df: &DataFrame| -> Vec<Option<String>> {
            df.column("s").unwrap().str().unwrap().iter().map(|s| s.map(str::to_owned)).collect()
        };
        assert_eq!(strings(&got), strings(&pandas), "{}", case("groupby(s, w) keys"));
        assert_same(&case("groupby(s, w)"), &got, &pandas, &["w", "v_mean", "v_count", "k_max"]);

        let pandas = want("reductions.csv");
        for (row, (what, frame)) in reductions.iter().enumerate() {
            let got = run(frame);
            let want_row = pandas.slice(row as i64, 1);
            assert_eq!(
                want_row.column("what").unwrap().str().unwrap().get(0),
                Some(*what),
                "reductions.csv's row order"
            );
            assert_same(&case(&format!("df.{what}()")), &got, &want_row, &["k", "v", "w"]);
        }

        let got = run(&df.value_counts("s"));
        let (got, pandas) = (by(&got, &["s"]), by(&want("value_counts.csv"), &["s"]));
        assert_eq!(strings(&got), strings(&pandas), "{}", case("value_counts keys"));
        assert_same(&case("value_counts"), &got, &pandas, &["count"]);

        assert_same(&case("nlargest"), &run(&df.nlargest(7, "v")), &want("nlargest.csv"), &["v"]);
        assert_same(
            &case("nsmallest"),
            &run(&df.nsmallest(7, "v")),
            &want("nsmallest.csv"),
            &["v"],
        );
        let sorted = run(&df.sort_values(["v"], false));
        assert_same(
            &case("sort_values"),
            &sorted.select(["v"]).unwrap(),
            &want("sorted.csv"),
            &["v"],
        );

        let (got, pandas) = (by(&run(&few), &["k"]), by(&want("few.csv"), &["k"]));
        assert_same(&case("a filter leaving few rows, then groupby"), &got, &pandas, &few_columns);
        let stds = floats(&got, "v_std");
        assert!(stds.len() > 5 && stds.contains(&None), "one-row groups: {stds:?}");
        let pandas = want("none.csv");
        for (row, (what, frame)) in nones.iter().enumerate() {
            let want_row = pandas.slice(row as i64, 1);
            assert_eq!(want_row.column("what").unwrap().str().unwrap().get(0), Some(*what));
            let case = case(&format!("{what}() of a frame filtered to no rows"));
            assert_same(&case, &run(frame), &want_row, &["v", "w"]);
        }

        let (got, pandas) = (by(&run(&pipeline), &["k"]), by(&want("pipeline.csv"), &["k"]));
        assert_same(&case("filter/assign/groupby"), &got, &pandas, &["k", "v2_sum", "v2_mean"]);
    }
}
