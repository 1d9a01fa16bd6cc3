//! Task names and keys.
//!
//! A task's [`TaskKey`] is its readable name plus a process-unique id, so that errors, DOT and
//! traces can name a task even when many tasks share a function (`inc-17`, `inc-18`).

use std::fmt;
use std::sync::Arc;

/// A task's name as recorded: the text of the function expression given to `delayed!`, or a
/// name set with [`Delayed::name`](crate::Delayed::name).
#[derive(Clone, Debug)]
pub(crate) enum Name {
    /// Recorded by a macro (`stringify!` of the function path) or a fixed default.
    Static(&'static str),
    /// Set by the user.
    Owned(Arc<str>),
}

impl Name {
    /// The readable form: `math::add::<i64>` becomes `add`, a closure becomes `closure`.
    pub(crate) fn readable(&self) -> &str {
        match self {
            Name::Owned(s) => s,
            Name::Static(raw) => readable(raw),
        }
    }
}

fn readable(raw: &str) -> &str {
    let raw = raw.trim();
    if raw.starts_with('(') || raw.starts_with('|') || raw.starts_with("move") {
        return "closure";
    }
    let path = match raw.find('<') {
        Some(generic) => raw[..generic].trim_end_matches(|c: char| c == ':' || c.is_whitespace()),
        None => raw,
    };
    match path.rfind("::") {
        Some(sep) => path[sep + 2..].trim(),
        None => path,
    }
}

/// Identifies one recorded task: its readable name and a process-unique id.
///
/// Displays as `name-id`, like Dask's keys.
///
/// ```
/// use lazydag_core::{delayed, Delayed};
/// fn inc(x: i64) -> i64 { x + 1 }
/// let a = delayed!(inc(1));
/// let key = a.key();
/// assert_eq!(key.name(), "inc");
/// assert_eq!(key.to_string(), format!("inc-{}", key.id()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TaskKey {
    name: Arc<str>,
    id: u64,
}

impl TaskKey {
    pub(crate) fn new(name: &str, id: u64) -> Self {
        TaskKey { name: name.into(), id }
    }

    /// The task's readable name (`inc`, `load-csv`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The task's process-unique id; ids grow in recording order.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn readable_names() {
        assert_eq!(readable("add"), "add");
        assert_eq!(readable("math :: add"), "add");
        assert_eq!(readable("math::add::<i64>"), "add");
        assert_eq!(readable("parse :: < u8 >"), "parse");
        assert_eq!(readable("(| x | x + 1)"), "closure");
        assert_eq!(readable("move | x | x"), "closure");
    }
}
