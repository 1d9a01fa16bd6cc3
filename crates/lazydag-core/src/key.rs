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
/// Displays as `name-id`, like Dask's keys. Making one allocates nothing for a name recorded by
/// `delayed!` (a `&'static str`), so profilers and traces can take a key per task cheaply.
///
/// ```
/// use lazydag_core::{delayed, Delayed};
/// fn inc(x: i64) -> i64 { x + 1 }
/// let a = delayed!(inc(1));
/// let key = a.key();
/// assert_eq!(key.name(), "inc");
/// assert_eq!(key.to_string(), format!("inc-{}", key.id()));
/// ```
#[derive(Clone)]
pub struct TaskKey {
    name: KeyName,
    id: u64,
}

/// A key's name: borrowed from the program text, or shared.
#[derive(Clone)]
enum KeyName {
    Static(&'static str),
    Owned(Arc<str>),
}

impl TaskKey {
    /// The key of a task named `name`, without allocating for a recorded (static) name.
    pub(crate) fn from_name(name: Name, id: u64) -> Self {
        let name = match name {
            Name::Static(raw) => KeyName::Static(readable(raw)),
            Name::Owned(name) => KeyName::Owned(name),
        };
        TaskKey { name, id }
    }

    /// The key `name-id` of a task described outside this process's graph (a graph read back
    /// from a file, a task on another machine), so that errors name it as its own process did.
    ///
    /// ```
    /// use lazydag_core::TaskKey;
    /// let key = TaskKey::new("load-csv", 17);
    /// assert_eq!((key.name(), key.id(), key.to_string().as_str()), ("load-csv", 17, "load-csv-17"));
    /// ```
    pub fn new(name: &str, id: u64) -> Self {
        TaskKey { name: KeyName::Owned(name.into()), id }
    }

    /// The task's readable name (`inc`, `load-csv`).
    pub fn name(&self) -> &str {
        match &self.name {
            KeyName::Static(name) => name,
            KeyName::Owned(name) => name,
        }
    }

    /// The task's process-unique id; ids grow in recording order.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl PartialEq for TaskKey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.name() == other.name()
    }
}

impl Eq for TaskKey {}

impl std::hash::Hash for TaskKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
        self.id.hash(state);
    }
}

impl fmt::Debug for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskKey").field("name", &self.name()).field("id", &self.id).finish()
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name(), self.id)
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
