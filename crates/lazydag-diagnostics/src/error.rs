//! The one error type of the diagnostics crate.

use std::path::PathBuf;

/// Why a diagnostic could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be written.
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// Graphviz is not installed (or not where it was looked for). The DOT file was written.
    #[error(
        "Graphviz `{}` was not found, so `{}` could not be rendered; the graph was written as \
         DOT to `{}`. Install Graphviz (`apt-get install graphviz`, `brew install graphviz`, or \
         from graphviz.org) and try again, or render it yourself with `dot -T{} {} -o {}`",
        command.display(), output.display(), dot.display(), format_of(output), dot.display(),
        output.display()
    )]
    GraphvizMissing {
        /// The command that was tried.
        command: PathBuf,
        /// The DOT file that was written.
        dot: PathBuf,
        /// The picture that was asked for.
        output: PathBuf,
    },

    /// Graphviz ran but failed. The DOT file was written.
    #[error("Graphviz failed to render `{}` ({status}): {stderr}", dot.display())]
    GraphvizFailed {
        /// The DOT file that was written.
        dot: PathBuf,
        /// Graphviz's exit status.
        status: std::process::ExitStatus,
        /// What Graphviz printed on stderr.
        stderr: String,
    },

    /// The output's extension names no format this crate writes.
    #[error(
        "cannot tell the format of `{}`: use a `.svg`, `.png`, `.pdf` or `.dot` file name",
        path.display()
    )]
    UnknownFormat {
        /// The path given.
        path: PathBuf,
    },
}

/// The Graphviz output format (`dot -T…`) of a picture named `output`: its extension, as
/// `visualize` chose the format from it (`svg` when it has none).
fn format_of(output: &std::path::Path) -> String {
    output.extension().map_or_else(|| "svg".to_owned(), |ext| ext.to_string_lossy().to_lowercase())
}

/// Writes `contents` to `path`, naming the path in the error.
pub(crate) fn write(path: &std::path::Path, contents: &str) -> Result<(), Error> {
    std::fs::write(path, contents).map_err(|source| Error::Io { path: path.to_owned(), source })
}
