//! Writing a graph to a file ([`dump`]), reading one back ([`read`]) and listing a file's tasks
//! ([`listing`]).
//!
//! A dump is of the unoptimized plan, one file task per recorded task, so that the file, its
//! listing and its report show the graph as it was built. Every command that takes a FILE
//! reads it with [`read`], the one home of the size limit ([`MAX_FILE_BYTES`]): no more than
//! the limit and one byte is ever read, so a file that never ends (`/dev/zero`, a FIFO) or a
//! huge one is refused, not read whole into memory.

use std::fmt::Write as _;
use std::io::{self, Read as _};
use std::sync::Arc;

use lazydag_core::{Error, Outputs, Plan};
use lazydag_dask::{DaskError, RemoteGraph};
use petgraph::Direction;
use petgraph::visit::EdgeRef as _;

use crate::error::CliError;

/// The most bytes a graph file may have: 1 GiB. A file is parsed whole, into several times
/// its size, so this is already generous: `lazydag graph demo` at its most chunks (300,000
/// tasks) writes about 140 MB.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads the graph file at `path` (at most [`MAX_FILE_BYTES`]) and checks it against this
/// binary's registry ([`RemoteGraph::from_json`]): what `graph dump|report|run FILE` read.
pub(crate) fn read(path: &str) -> Result<RemoteGraph, CliError> {
    Ok(RemoteGraph::from_json(&read_text(path, MAX_FILE_BYTES)?)?)
}

/// The UTF-8 text of the file at `path`, refused as [`CliError::TooLarge`] as soon as it has
/// more than `limit` bytes: by its length when it is a regular file, else after reading
/// `limit + 1` bytes and no more.
fn read_text(path: &str, limit: u64) -> Result<String, CliError> {
    let unreadable = |source| CliError::Read { path: path.to_owned(), source };
    let too_large = || CliError::TooLarge { path: path.to_owned(), limit };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // A regular file's length is known: refuse a huge one without reading it.
    if file.metadata().is_ok_and(|m| m.is_file() && m.len() > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| unreadable(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// Writes the graph that computes `outputs` as JSON (the format is in `docs/cli.md`), to be
/// read back with [`RemoteGraph::from_json`] by a binary that registers the same functions.
///
/// # Errors
/// [`Error::Failed`] naming the first task that cannot be written, with a
/// [`DaskError`] source saying why: a closure, a function without `#[lazydag::remote]`, an
/// async or gathering task, a literal that does not serialize (see
/// [`RemoteGraph::from_plan`]), or an output that is a literal or a held value rather than a
/// task.
pub fn dump<O: Outputs>(outputs: O) -> Result<String, Error> {
    let mut roots = Vec::new();
    outputs.roots(&mut roots);
    if let Some(literal) = roots.iter().find(|r| r.is_literal()) {
        let why = format!(
            "output `{}` is a literal or a held value, not a task: a graph file's outputs are \
             tasks",
            literal.key()
        );
        let source = Arc::new(DaskError::GraphFile { why });
        return Err(Error::Failed { task: literal.key(), source });
    }
    let plan = Plan::new(&roots);
    let graph = RemoteGraph::from_plan(plan.view())?;
    Ok(graph.to_json().expect("every output is a task: checked above"))
}

/// The tasks of a graph read from a file, one line each in run order: `key: type <- inputs`,
/// literals shown by value; then the outputs. What `graph dump FILE` prints.
///
/// ```
/// use lazydag_core::delayed;
/// use lazydag_dask::{RemoteGraph, remote};
/// #[remote]
/// fn inc(x: u64) -> u64 { x + 1 }
/// # fn main() {
/// let json = lazydag_cli::dump(delayed!(inc(delayed!(inc(1))))).unwrap();
/// let text = lazydag_cli::listing(&RemoteGraph::from_json(&json).unwrap());
/// let lines: Vec<&str> = text.lines().collect();
/// assert!(lines[0].starts_with("inc-") && lines[0].ends_with(": u64 <- 1"), "{text}");
/// assert!(lines[2].starts_with("outputs: inc-"), "{text}");
/// # }
/// ```
pub fn listing(graph: &RemoteGraph) -> String {
    let graph = graph.graph();
    let mut out = String::new();
    let mut outputs = Vec::new();
    for node in graph.node_indices() {
        let task = &graph[node];
        if task.literal {
            continue;
        }
        let mut inputs: Vec<_> = graph.edges_directed(node, Direction::Incoming).collect();
        inputs.sort_by_key(|e| e.id());
        let inputs: Vec<String> = inputs
            .iter()
            .map(|e| {
                let from = &graph[e.source()];
                match (&from.value, from.literal) {
                    (Some(value), true) => value.clone(),
                    _ => from.key.to_string(),
                }
            })
            .collect();
        let _ = writeln!(out, "{}: {} <- {}", task.key, task.output_type, inputs.join(", "));
        if task.output {
            outputs.push(task.key.to_string());
        }
    }
    let _ = writeln!(out, "outputs: {}", outputs.join(", "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_the_limit_is_read_and_one_byte_more_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.json");
        let path = path.to_str().unwrap();
        std::fs::write(path, "0123456789").unwrap();
        assert_eq!(read_text(path, 10).unwrap(), "0123456789");
        let err = read_text(path, 9).unwrap_err();
        assert!(matches!(&err, CliError::TooLarge { limit: 9, .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(path) && text.contains("more than 9 bytes"), "{text}");
    }

    /// `/dev/zero` never ends and has no length: reading stops after `limit + 1` bytes.
    #[cfg(unix)]
    #[test]
    fn a_file_that_never_ends_is_refused_after_the_limit() {
        let err = read_text("/dev/zero", 4096).unwrap_err();
        assert!(matches!(&err, CliError::TooLarge { limit: 4096, .. }), "{err}");
        assert!(err.to_string().contains("`/dev/zero`"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_utf8_is_unreadable_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.json");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let err = read_text(path.to_str().unwrap(), 10).unwrap_err();
        assert!(matches!(&err, CliError::Read { .. }), "{err}");
        assert!(err.to_string().contains("g.json"), "{err}");
    }
}
