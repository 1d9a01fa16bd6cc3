//! visualize(): DOT always written; Graphviz renders SVG when present; a missing Graphviz is a
//! clear error that says how to install it.

use std::path::PathBuf;
use std::sync::Arc;

use lazydag::{Control, Delayed, compute_with_control, delayed, scheduler::Sequential};
use lazydag_diagnostics::{Error, Profiler, Visualize, visualize};

fn add(a: i32, b: i32) -> i32 {
    a + b
}

fn graph() -> Delayed<i32> {
    let x = delayed!(add(1, 2));
    let y = delayed!(add(&x, 10));
    delayed!(add(&x, &y))
}

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lazydag-vis-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn missing_graphviz_is_a_clear_error_and_the_dot_is_still_written() {
    let dir = dir("missing");
    let options = Visualize::new().dot_command("/nonexistent/bin/dot");
    let err = visualize(graph(), dir.join("graph.svg"), &options).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::GraphvizMissing { .. }), "{err:?}");
    assert!(message.contains("apt-get install graphviz"), "{message}");
    assert!(message.contains("graph.dot"), "{message}");
    let dot = std::fs::read_to_string(dir.join("graph.dot")).unwrap();
    assert!(dot.starts_with("digraph lazydag") && dot.contains("fillcolor"));
    assert!(!dir.join("graph.svg").exists());
}

#[test]
fn unknown_extension_is_refused() {
    let err = visualize(graph(), dir("ext").join("graph.bmp"), &Visualize::new()).unwrap_err();
    assert!(err.to_string().contains(".svg"), "{err}");
}

#[test]
fn colours_by_measured_duration_after_a_profiled_run() {
    let out = graph();
    let profiler = Arc::new(Profiler::new());
    compute_with_control(&out, &Sequential, &Control::new().callback(profiler.clone())).unwrap();
    let path = dir("durations").join("graph.dot");
    visualize(&out, &path, &Visualize::new().durations(&profiler)).unwrap();
    let dot = std::fs::read_to_string(path).unwrap();
    assert_eq!(dot.matches("fillcolor").count(), 3, "the three tasks, not the literals: {dot}");
    assert_eq!(dot.matches(", took ").count(), 3);
}

#[test]
fn renders_svg_when_graphviz_is_installed() {
    if std::process::Command::new("dot").arg("-V").output().is_err() {
        eprintln!("Graphviz not installed: skipping the rendering check");
        return;
    }
    let path = dir("render").join("graph.svg");
    visualize(graph(), &path, &Visualize::new()).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &svg,
        roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() },
    )
    .unwrap();
    let nodes = doc.descendants().filter(|n| n.attribute("class") == Some("node")).count();
    assert_eq!(nodes, 6, "three adds and three literals");
}
