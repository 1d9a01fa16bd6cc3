//! The DOT output is valid Graphviz: `dot -Tsvg` accepts it.

use std::io::Write;
use std::process::{Command, Stdio};

use lazydag::prelude::*;

fn square(x: i64) -> i64 {
    x * x
}
fn add(x: i64, y: i64) -> i64 {
    x + y
}

/// Renders `dot_text` with Graphviz and returns the SVG.
fn render(dot_text: &str) -> String {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` is installed (.ci/run installs the graphviz package)");
    child.stdin.take().unwrap().write_all(dot_text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot rejected:\n{dot_text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn quickstart_graph_renders() {
    let z = delayed!(add(delayed!(square(5)), delayed!(square(10))));
    let dot = z.to_dot();
    // 2 literals (boxes), 3 functions (ellipses), 4 edges
    assert_eq!(dot.matches("shape=box").count(), 2);
    assert_eq!(dot.matches("shape=ellipse").count(), 3);
    assert_eq!(dot.matches(" -> ").count(), 4);
    assert!(dot.contains("label=\"5\""));
    let svg = render(&dot);
    assert!(svg.contains("<svg"));
    for name in ["square", "add", "10"] {
        assert!(svg.contains(&format!(">{name}<")), "svg lacks {name}");
    }
}

#[test]
fn awkward_names_and_values_are_escaped() {
    let weird = delayed(String::from("quote \" backslash \\ newline \n end"))
        .map(|s: String| s.len())
        .name("name with \"quotes\" and {braces} -> arrows");
    let svg = render(&lazydag::to_dot((&weird, delayed!(square(2)))));
    assert!(svg.contains("<svg"));
}

#[test]
fn many_outputs_render_with_outputs_marked() {
    let x = delayed!(square(3));
    let ys: Vec<_> = (0..5).map(|i| delayed!(add(&x, i))).collect();
    let dot = lazydag::to_dot(&ys);
    assert_eq!(dot.matches("peripheries=2").count(), 5);
    render(&dot);
}

#[test]
fn a_held_value_renders_as_a_dashed_box() {
    let held = delayed!(square(5)).persist().unwrap();
    let z = delayed!(add(&held, delayed!(square(2))));
    let dot = z.to_dot();
    assert_eq!(dot.matches("(held)\", shape=box, style=dashed").count(), 1, "{dot}");
    let style = lazydag::DotStyle::new().fill(|_, _, _| Some("#ffeeaa".into()));
    let filled = lazydag::to_dot_with(&z, &style);
    assert!(filled.contains("style=\"dashed,filled\""), "{filled}");
    for text in [dot, filled] {
        assert!(render(&text).contains("<svg"));
    }
}
