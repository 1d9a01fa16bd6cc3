//! The harness end to end at tiny sizes: every shape on every scheduler and rayon, peak memory
//! in child processes, the streaming reduction, the column means and the frame group-bys. The binary checks every
//! result itself (closed forms, or a direct evaluation) and exits non-zero on a wrong one;
//! this test checks that it succeeded and that the files say what ran.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_lazydag-bench");

#[test]
fn smoke_run_covers_every_shape_and_runner() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("smoke-run");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(BIN)
        .args(["--smoke", "--workers", "1,2", "--out"])
        .arg(&out)
        .output()
        .expect("run the harness");
    assert!(status.status.success(), "harness failed: {}", String::from_utf8_lossy(&status.stderr));

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let rows = json["rows"].as_array().unwrap();
    let shapes: Vec<&str> = rows.iter().map(|r| r["shape"].as_str().unwrap()).collect();
    for shape in [
        "chain",
        "binary-tree",
        "wavefront",
        "independent",
        "random-dag",
        "map-reduce",
        "cpu-bound",
    ] {
        assert!(shapes.contains(&shape), "{shape} missing from {shapes:?}");
    }
    for row in rows {
        let runs = row["runs"].as_array().unwrap();
        // sync, optimizer off and on; threads, work-stealing and async (off and on) and rayon
        // for 1 and 2 workers
        assert_eq!(runs.len(), 2 + (3 * 2 + 1) * 2, "{row}");
        assert!(runs.iter().all(|r| r["time"]["median_s"].as_f64().unwrap() > 0.0));
    }
    let rss = json["rss"].as_array().unwrap();
    assert_eq!(rss.len(), rows.len() * 9);
    assert!(
        rss.iter().all(|c| c["peak_kib"].as_u64().unwrap() >= c["built_kib"].as_u64().unwrap())
    );
    let stream = json["stream"].as_array().unwrap();
    assert_eq!(stream.len(), 2 * (1 + 4 * 2)); // each with the default allocator and mmapped
    assert!(stream.iter().all(|s| !s["capped"].as_bool().unwrap()));
    // sequential; Parallel, rayon, graph and (with the `frame` feature) lazydag-frame for 1
    // and 2 workers
    let per_worker = if cfg!(feature = "frame") { 4 } else { 3 };
    assert_eq!(json["practical"].as_array().unwrap().len(), 1 + per_worker * 2);
    // lazydag-frame and Polars on both group-bys; pandas and Dask not asked for
    if cfg!(feature = "frame") {
        let frame = json["frame"]["results"].as_array().unwrap();
        assert_eq!(frame.len(), 2 * 2, "{frame:?}");
        assert!(frame.iter().all(|r| r["time"]["median_s"].as_f64().unwrap() > 0.0));
    } else {
        assert!(json["frame"].is_null(), "{}", json["frame"]);
    }

    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("#### Per-task overhead, 2 workers") && md.contains("| map-reduce |"));
    assert!(md.contains("#### The optimizer, 2 workers"), "{md}");
    assert_eq!(md.contains("#### Dataframe group-by over a"), cfg!(feature = "frame"), "{md}");
    assert!(md.contains("optimizer on: cost per original task within 3x of rayon (chain"), "{md}");
    let svg = std::fs::read_to_string(out.join("overhead.svg")).unwrap();
    assert!(
        svg.starts_with("<svg")
            && svg.contains("lazydag work-stealing")
            && svg.trim_end().ends_with("</svg>")
    );
}

#[test]
fn render_rewrites_the_same_report_from_saved_results() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("smoke-render");
    let again = out.join("again");
    let _ = std::fs::remove_dir_all(&out);
    let run = |args: &[&str]| {
        let status = Command::new(BIN).args(args).output().expect("run the harness");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    };
    let (out_s, again_s) = (out.to_str().unwrap(), again.to_str().unwrap());
    run(&["--smoke", "--skip", "rss,stream,practical,array,frame", "--out", out_s]);
    let saved = out.join("results.json");
    run(&["--render", saved.to_str().unwrap(), "--out", again_s]);
    for file in ["results.json", "results.md", "overhead.svg"] {
        let (a, b) =
            (std::fs::read(out.join(file)).unwrap(), std::fs::read(again.join(file)).unwrap());
        assert!(a == b, "{file} differs after --render");
    }
}

#[test]
fn help_and_bad_flags() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--with-dask"));
    let bad = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown option `--bogus`"));
}
