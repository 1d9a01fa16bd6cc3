//! [`visualize`]: the graph as DOT, rendered by Graphviz when it is installed.
//!
//! The DOT file is always written first (next to the picture, with a `.dot` extension), so a
//! missing or failing Graphviz still leaves something to look at; the error says how to install
//! Graphviz. The `dot` command is looked up on `PATH` unless
//! [`Visualize::dot_command`] names another.

use std::path::{Path, PathBuf};
use std::process::Command;

use lazydag_core::{DotStyle, Outputs, to_dot_with};

use crate::colour;
use crate::error::{Error, write};
use crate::profiler::Profiler;
use crate::stream::human;

/// How [`visualize`] colours the nodes.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub enum Colouring<'a> {
    /// No fill.
    None,
    /// By priority (plan order, the order the `Sequential` scheduler runs tasks): blue runs first,
    /// red last. The default.
    #[default]
    Priority,
    /// By the time each task took in the profiled runs, on a log scale from the fastest (blue)
    /// to the slowest (red); tasks the profiler did not see are left unfilled.
    Duration(&'a Profiler),
}

/// Options for [`visualize`].
#[derive(Clone, Debug)]
pub struct Visualize<'a> {
    colouring: Colouring<'a>,
    dot_command: PathBuf,
}

impl Default for Visualize<'_> {
    fn default() -> Self {
        Visualize { colouring: Colouring::Priority, dot_command: PathBuf::from("dot") }
    }
}

impl<'a> Visualize<'a> {
    /// Colour by priority, render with `dot` from `PATH`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses the node colours.
    #[must_use]
    pub fn colouring(mut self, colouring: Colouring<'a>) -> Self {
        self.colouring = colouring;
        self
    }

    /// Colours by the durations `profiler` measured (shorthand for
    /// [`Colouring::Duration`]).
    #[must_use]
    pub fn durations(self, profiler: &'a Profiler) -> Self {
        self.colouring(Colouring::Duration(profiler))
    }

    /// Runs this Graphviz `dot` executable instead of the one on `PATH`.
    #[must_use]
    pub fn dot_command(mut self, command: impl Into<PathBuf>) -> Self {
        self.dot_command = command.into();
        self
    }
}

/// Writes the graph that computes `outputs` to `path`, like Dask's `visualize()`. The format
/// follows the extension: `.dot` or `.gv` writes DOT only; `.svg`, `.png` or `.pdf` also
/// writes the DOT beside it (same name, `.dot`) and renders it with Graphviz. Returns the DOT
/// file's path.
///
/// ```
/// use lazydag::delayed;
/// use lazydag_diagnostics::{visualize, Visualize};
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// let x = delayed!(add(1, 2));
/// let dir = std::env::temp_dir().join(format!("lazydag-vis-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let dot = visualize(delayed!(add(&x, 3)), dir.join("graph.dot"), &Visualize::new()).unwrap();
/// assert!(std::fs::read_to_string(dot).unwrap().contains("fillcolor"));
/// ```
///
/// # Errors
/// [`Error::UnknownFormat`] for another extension; [`Error::Io`] if a file cannot be written;
/// [`Error::GraphvizMissing`] (saying how to install it) when `dot` cannot be run, and
/// [`Error::GraphvizFailed`] when it fails: in both cases the DOT file was written.
pub fn visualize<O: Outputs>(
    outputs: O,
    path: impl AsRef<Path>,
    options: &Visualize<'_>,
) -> Result<PathBuf, Error> {
    let path = path.as_ref();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let format = match ext.as_str() {
        "dot" | "gv" => None,
        "svg" | "png" | "pdf" => Some(ext.clone()),
        _ => return Err(Error::UnknownFormat { path: path.to_owned() }),
    };
    let dot_text = to_dot_with(outputs, &style(options.colouring));
    let dot = if format.is_some() { path.with_extension("dot") } else { path.to_owned() };
    write(&dot, &dot_text)?;
    let Some(format) = format else {
        return Ok(dot);
    };
    let result = Command::new(&options.dot_command)
        .arg(format!("-T{format}"))
        .arg(&dot)
        .arg("-o")
        .arg(path)
        .output();
    match result {
        Err(_) => Err(Error::GraphvizMissing {
            command: options.dot_command.clone(),
            dot,
            output: path.to_owned(),
        }),
        Ok(out) if !out.status.success() => Err(Error::GraphvizFailed {
            dot,
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        }),
        Ok(_) => Ok(dot),
    }
}

/// The DOT styling for a colouring.
fn style<'a>(colouring: Colouring<'a>) -> DotStyle<'a> {
    match colouring {
        Colouring::None => DotStyle::new(),
        Colouring::Priority => DotStyle::new()
            .fill(|i, n, _| Some(colour::ramp(i as f64 / n.saturating_sub(1).max(1) as f64)))
            .note(|i, _, _| Some(format!("priority {i}"))),
        Colouring::Duration(profiler) => {
            let durations = profiler.durations();
            let secs = |d: &std::time::Duration| d.as_secs_f64().max(1e-9);
            let slowest = durations.values().map(secs).fold(1e-9, f64::max);
            let fastest = durations.values().map(secs).fold(slowest, f64::min);
            // Log scale: durations often span orders of magnitude.
            let range = (slowest / fastest).ln();
            let durations = std::sync::Arc::new(durations);
            let notes = std::sync::Arc::clone(&durations);
            DotStyle::new()
                .fill(move |_, _, task| {
                    let took = secs(durations.get(&task.key())?);
                    let t = if range > 0.0 { (took / fastest).ln() / range } else { 1.0 };
                    Some(colour::ramp(t))
                })
                .note(move |_, _, task| {
                    notes.get(&task.key()).map(|d| format!("took {}", human(*d)))
                })
        }
    }
}
