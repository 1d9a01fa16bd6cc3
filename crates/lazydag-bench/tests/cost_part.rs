//! The per-task cost part at tiny sizes: with a Taskflow directory that does not exist, the
//! harness says it skipped the C++ side and still measures lazydag's phases (wall and CPU time
//! per task; `--callgrind` is left out: valgrind would make the test slow).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lazydag-bench");

#[test]
fn the_cost_part_skips_a_missing_taskflow_and_times_every_phase() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cost-part");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(BIN)
        .args(["--smoke", "--skip", "overhead,rss,stream,practical", "--shapes", "map-reduce"])
        .args(["--workers", "2", "--taskflow", "/nonexistent/taskflow", "--out"])
        .arg(&out)
        .output()
        .expect("run the harness");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "harness failed: {stderr}");
    assert!(stderr.contains("skipped C++ Taskflow"), "{stderr}");
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("cost.json")).unwrap()).unwrap();
    let row = &rows[0];
    assert_eq!(row["shape"], "map-reduce");
    assert!(row["taskflow"].is_null());
    let phases: Vec<&str> = row["lazydag"]["wall_us"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["build", "run", "drop", "rebuild", "plan", "rerun"]);
    // The same shape with each leaf's literal bound into its task, Taskflow's graph.
    let bound = &rows[1];
    assert_eq!(
        (&bound["shape"], &bound["bound"], &bound["tasks"]),
        (&row["shape"], &true.into(), &row["tasks"])
    );
    assert_eq!(bound["lazydag"]["wall_us"].as_array().unwrap().len(), phases.len());
    let table = std::fs::read_to_string(out.join("cost.md")).unwrap();
    assert!(table.contains("| map-reduce (65) | rerun |"), "{table}");
    assert!(table.contains("| map-reduce, literal bound (65) | rerun |"), "{table}");
}

#[test]
fn a_cost_child_refuses_to_bind_a_shape_without_literals() {
    let run = Command::new(BIN)
        .args(["__cost", "wavefront", "4", "1", "time", "1", "bound"])
        .output()
        .expect("run the cost child");
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("wavefront records no literal to bind"), "{stderr}");
}
