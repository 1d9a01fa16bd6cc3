//! `graph run` prints a NaN or infinite output, at any depth, as Python's `json.dumps` does
//! (`NaN`, `Infinity`, `-Infinity`), never as `null`, which stays `None`.

use lazydag_core::delayed;
use lazydag_dask::remote;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Summary {
    count: u64,
    mean: f64,
    spread: Option<f32>,
}

#[remote]
fn ratio(a: f64, b: f64) -> f64 {
    a / b
}

#[remote]
fn ratios(a: f64) -> Vec<f64> {
    vec![a / 0.0, -a / 0.0, f64::NAN, a]
}

#[remote]
fn pair(a: f64) -> (u64, f64, Option<f64>) {
    (1, a * 0.0, None)
}

#[remote]
fn summary(a: f64) -> Summary {
    Summary { count: 0, mean: a / 0.0, spread: Some(f32::NAN) }
}

#[test]
fn non_finite_outputs_print_as_python_writes_them() {
    let inf = f64::INFINITY;
    let outputs = (
        delayed!(ratio(0.0, 0.0)),
        delayed!(ratio(-1.0, 0.0)),
        delayed!(ratios(2.0)),
        delayed!(pair(inf)),
        delayed!(summary(-1.0)),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.json");
    std::fs::write(&path, lazydag_cli::dump(outputs).unwrap()).unwrap();
    let words: Vec<String> =
        ["graph", "run", path.to_str().unwrap()].iter().map(|w| (*w).to_owned()).collect();
    let mut out = Vec::new();
    lazydag_cli::run(&words, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let values: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("output ")?.split_once(") = "))
        .map(|p| p.1)
        .collect();
    assert_eq!(
        values,
        [
            "NaN",
            "-Infinity",
            "[Infinity,-Infinity,NaN,2.0]",
            "[1,NaN,null]",
            r#"{"count":0,"mean":-Infinity,"spread":NaN}"#,
        ],
        "{out}"
    );
}
