//! Inputs that would allocate without limit are refused with a clear error naming the limit: a
//! graph file over 1 GiB (by every command that reads one, before reading it whole), and a
//! demo with more than 100,000 chunks (a usage error, exit code 2, nothing written).

use std::process::Command;

#[test]
fn a_graph_file_over_the_limit_is_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    // Sparse: one byte over 1 GiB in length, nothing written, so the test is fast.
    std::fs::File::create(&path).unwrap().set_len((1 << 30) + 1).unwrap();
    let path = path.to_str().unwrap();
    for command in ["dump", "report", "run"] {
        let words: Vec<String> = ["graph", command, path].iter().map(|w| (*w).to_owned()).collect();
        let mut out = Vec::new();
        let err = lazydag_cli::run(&words, &mut out).unwrap_err();
        assert!(matches!(err, lazydag_cli::CliError::TooLarge { .. }), "{command}: {err}");
        assert_eq!(err.exit_code(), 1);
        let text = err.to_string();
        assert!(text.contains(path) && text.contains("more than 1073741824 bytes"), "{text}");
        assert!(out.is_empty(), "{command} printed before refusing");
    }
}

#[test]
fn a_demo_above_the_chunk_cap_is_a_usage_error_naming_the_cap() {
    let out = Command::new(env!("CARGO_BIN_EXE_lazydag"))
        .args(["graph", "demo", "--chunks", "1000000000000"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--chunks takes a number from 1 to 100000"), "{stderr}");
    assert!(out.stdout.is_empty(), "wrote a graph above the cap");
}
