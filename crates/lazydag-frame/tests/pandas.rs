//! The same CSV through pandas and through lazydag-frame: read, group-by aggregations,
//! reductions. Skips (passing) when no Python with pandas is found; set `LAZYDAG_PYTHON` to
//! pick an interpreter (e.g. a venv with pandas).
mod common;

use std::process::Command;

use common::*;
use lazydag_frame as dd;
use polars::prelude::*;

fn python() -> Option<String> {
    let candidates = [
        std::env::var("LAZYDAG_PYTHON").ok(),
        Some("/tmp/ddvenv/bin/python".into()),
        Some("python3".into()),
    ];
    candidates.into_iter().flatten().find(|py| {
        Command::new(py).args(["-c", "import pandas"]).output().is_ok_and(|o| o.status.success())
    })
}

#[test]
fn groupby_and_reductions_agree_with_pandas() {
    let Some(py) = python() else {
        eprintln!("skipped: no Python with pandas (set LAZYDAG_PYTHON)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("k,v,w\n");
    for i in 0..500u64 {
        let v = if i % 13 == 0 {
            String::new()
        } else {
            format!("{:.3}", (i * 7919 % 1000) as f64 / 7.0)
        };
        text.push_str(&format!("{},{v},{}\n", i % 17, i % 5));
    }
    let csv = write(dir.path(), "in.csv", &text);
    let out = dir.path().join("pandas.csv");
    let red = dir.path().join("pandas_red.csv");
    let script = format!(
        "import pandas as pd\n\
         df = pd.read_csv({csv:?})\n\
         g = df.groupby('k').agg(v_mean=('v', 'mean'), v_sum=('v', 'sum'), v_count=('v', 'count'), v_std=('v', 'std'), w_nunique=('w', 'nunique')).reset_index()\n\
         g.to_csv({out:?}, index=False)\n\
         pd.DataFrame({{'v_mean': [df.v.mean()], 'v_std': [df.v.std()], 'w_sum': [df.w.sum()]}}).to_csv({red:?}, index=False)\n",
        csv = csv.display().to_string(),
        out = out.display().to_string(),
        red = red.display().to_string(),
    );
    let run = Command::new(&py).args(["-c", &script]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let want = polars_read(&out, None);

    let df = dd::read_csv(&csv).blocksize(700).open().unwrap();
    assert!(df.npartitions() > 3);
    let got = df
        .groupby(["k"])
        .agg([
            col("v").mean(),
            col("v").sum(),
            col("v").count(),
            col("v").std(1),
            col("w").n_unique(),
        ])
        .compute()
        .unwrap();
    for c in ["v_mean", "v_sum", "v_std"] {
        let (g, w) =
            (got.column(c).unwrap().f64().unwrap(), want.column(c).unwrap().f64().unwrap());
        for (a, b) in g.iter().zip(w.iter()) {
            assert!((a.unwrap() - b.unwrap()).abs() < 1e-6, "{c}: {a:?} vs {b:?}");
        }
    }
    for c in ["v_count", "w_nunique"] {
        let ints = |df: &DataFrame| -> Vec<i64> {
            df.column(c)
                .unwrap()
                .cast(&DataType::Int64)
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        assert_eq!(ints(&got), ints(&want), "{c}");
    }

    let red = polars_read(&red, None);
    let mean = df.select(["v"]).mean().compute().unwrap();
    let std = df.select(["v"]).std(1).compute().unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.abs().max(1.0);
    assert!(close(
        mean.column("v").unwrap().f64().unwrap().get(0).unwrap(),
        red.column("v_mean").unwrap().f64().unwrap().get(0).unwrap()
    ));
    assert!(close(
        std.column("v").unwrap().f64().unwrap().get(0).unwrap(),
        red.column("v_std").unwrap().f64().unwrap().get(0).unwrap()
    ));
}
