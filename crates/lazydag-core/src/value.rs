//! Type-erased task values.
//!
//! Every task output travels through the scheduler as a [`Value`]: one box holding the typed
//! result. A value is moved into its last consumer and cloned (through the producer's
//! [`Cloner`]) only for the consumers before it, so a value with `k` consumers is cloned at most
//! `k - 1` times. Put large data in an `Arc` to make those clones cheap.

use std::any::{Any, type_name};
use std::fmt;

/// A type-erased task result, as it moves between tasks inside a scheduler.
///
/// Schedulers never look inside a value: they hand it from the task that produced it to the
/// tasks that consume it (see [`Plan`](crate::Plan)). A zero-sized value does not allocate.
///
/// ```
/// use lazydag_core::Value;
/// let v = Value::new(41_i64);
/// assert_eq!(v.downcast::<i64>().ok(), Some(41));
/// ```
pub struct Value(Box<dyn Any + Send>);

impl Value {
    /// Boxes `value`.
    pub fn new<T: Send + 'static>(value: T) -> Self {
        Value(Box::new(value))
    }

    /// Takes the typed value back out, or returns `self` unchanged if it holds another type.
    pub fn downcast<T: 'static>(self) -> Result<T, Value> {
        match self.0.downcast::<T>() {
            Ok(boxed) => Ok(*boxed),
            Err(other) => Err(Value(other)),
        }
    }

    /// Borrows the typed value, if it holds a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }

    /// Whether the value holds a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        self.0.is::<T>()
    }

    /// Takes a task input of the type the task was recorded with.
    ///
    /// # Panics
    /// Panics if the value holds another type: that is a scheduler handing a task the wrong
    /// input. The panic is caught at the task boundary and reported as an [`Error`](crate::Error).
    pub(crate) fn take<T: 'static>(self) -> T {
        match self.downcast::<T>() {
            Ok(v) => v,
            Err(_) => panic!(
                "task input is not a `{}`: the scheduler passed a wrong value",
                type_name::<T>()
            ),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Value(..)")
    }
}

/// Clones a value whose type is known to be `Clone`; recorded per task when its output type is.
pub(crate) type Cloner = fn(&Value) -> Value;

/// The [`Cloner`] for `T`.
pub(crate) fn cloner<T: Clone + Send + 'static>() -> Cloner {
    |value| Value::new(value.downcast_ref::<T>().expect("value type matches its task").clone())
}
