//! The `graph` command line: [`run`] parses and runs one command, [`main_hook`] answers it
//! from a user's binary.

use std::io::Write;

use lazydag_dask::RemoteGraph;

use crate::error::CliError;
use crate::file::{listing, read};
use crate::report::{Limits, Report};

/// The commands and their options.
pub const USAGE: &str = "\
usage: lazydag graph <command> FILE [options]
  dump FILE                      list the file's tasks (key: type <- inputs) and outputs
  report FILE [--dot]            the pre-flight report: tasks, calls per function, critical
                                 path, peak live values; --dot adds the graph in Graphviz DOT
  run FILE [--max-tasks N] [--max-live N] [--dot]
                                 print the report, refuse above a limit (exit code 3), run the
                                 graph here and print each output as JSON (NaN and
                                 ±inf as NaN, Infinity, -Infinity)";

/// Runs one graph command, `args` being the words after the program's `lazydag` (`graph`,
/// the command, the file, options; see [`USAGE`]), writing what it prints to `out`.
///
/// ```
/// use lazydag_core::delayed;
/// use lazydag_dask::remote;
/// #[remote]
/// fn inc(x: u64) -> u64 { x + 1 }
/// # fn main() {
/// let dir = tempfile::tempdir().unwrap();
/// let file = dir.path().join("g.json");
/// std::fs::write(&file, lazydag_cli::dump(delayed!(inc(delayed!(inc(1))))).unwrap()).unwrap();
/// let file = file.to_str().unwrap();
///
/// let mut out = Vec::new();
/// let run = |words: &[&str], out: &mut Vec<u8>| {
///     let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
///     lazydag_cli::run(&words, out)
/// };
/// run(&["graph", "run", file], &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().ends_with(": u64) = 3\n"));
/// let err = run(&["graph", "run", file, "--max-tasks", "1"], &mut Vec::new()).unwrap_err();
/// assert_eq!(err.exit_code(), 3);
/// assert!(err.to_string().contains("the task count is 2, above the limit 1"), "{err}");
/// # }
/// ```
///
/// # Errors
/// [`CliError`]: a wrong command line, an unreadable file, a file this binary cannot run,
/// a limit exceeded, a failing task.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), CliError> {
    let usage = |why: &str| CliError::Usage(why.to_owned());
    let (Some("graph"), Some(command)) = (args.first().map(String::as_str), args.get(1)) else {
        return Err(usage("expected `graph <command> FILE`"));
    };
    if !["dump", "report", "run"].contains(&command.as_str()) {
        return Err(usage(&format!("unknown command `{command}`")));
    }
    let path = args.get(2).ok_or_else(|| usage("expected a graph file after the command"))?;
    let mut limits = Limits::default();
    let mut dot = false;
    let mut options = args[3..].iter();
    while let Some(option) = options.next() {
        let mut number = |flag: &str| {
            options
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| usage(&format!("{flag} takes a number")))
        };
        match option.as_str() {
            "--dot" if command != "dump" => dot = true,
            "--max-tasks" if command == "run" => limits.max_tasks = Some(number("--max-tasks")?),
            "--max-live" if command == "run" => limits.max_live = Some(number("--max-live")?),
            other => return Err(usage(&format!("unknown option `{other}` for `{command}`"))),
        }
    }
    let graph = read(path)?;
    match command.as_str() {
        "dump" => write!(out, "{}", listing(&graph))?,
        "report" | "run" => {
            let report = Report::of(&graph);
            write!(out, "{report}")?;
            if dot {
                write!(out, "{}", crate::dot::to_dot(&graph.graph()))?;
            }
            if command == "run" {
                report.check(&limits)?;
                run_graph(graph, out)?;
            }
        }
        _ => unreachable!("commands were checked above"),
    }
    Ok(())
}

/// Runs a checked graph here and prints each output: `output I (KEY: TYPE) = JSON`.
///
/// The value is [`Codec::to_text`](lazydag_dask::Codec::to_text): JSON, but a NaN or infinite
/// float (at any depth) as `NaN`, `Infinity`, `-Infinity`, as Python's `json.dumps` writes
/// it, not as `null`, which is `None`. The line is for people, not a JSON document (it starts
/// `output I`), so telling the values apart matters more than strictness; a bare token rather
/// than the string `"NaN"`, which would be a `String`'s rendering; and what pandas and Dask
/// users see and Python's `json.loads` reads back.
fn run_graph(graph: RemoteGraph, out: &mut dyn Write) -> Result<(), CliError> {
    let outputs = graph.output_tasks();
    let values = graph.run_here()?;
    for (i, (value, output)) in values.iter().zip(outputs).enumerate() {
        let (key, codec) = output.expect("a graph file's outputs are tasks");
        let text = codec.to_text(value).unwrap_or_else(|e| format!("({e})"));
        writeln!(out, "output {i} ({key}: {}) = {text}", codec.type_name())?;
    }
    Ok(())
}

/// Answers `my-app lazydag graph …` and exits; returns at once for any other command line.
/// Call it first in `main`, before `lazydag_dask::main_hook` (which answers the other
/// `lazydag` words), in the binary that registers the graph's functions:
///
/// ```no_run
/// // First in `main`: `my-app lazydag graph run g.json` ends here.
/// lazydag_cli::main_hook();
/// // ... the program as usual
/// ```
///
/// It prints errors to stderr as `lazydag: …` and exits with [`CliError::exit_code`].
pub fn main_hook() {
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    if args.get(1).map(String::as_str) != Some("lazydag")
        || args.get(2).map(String::as_str) != Some("graph")
    {
        return;
    }
    let code = match run(&args[2..], &mut std::io::stdout().lock()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lazydag: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
