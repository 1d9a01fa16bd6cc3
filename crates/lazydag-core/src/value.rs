//! Type-erased task values.
//!
//! Every task output travels through the scheduler as a [`Value`]. A value of one of the
//! common small `Copy` types (the integers, `f32`/`f64`, `bool`, `char`, `()`, and pairs of
//! 64-bit integers or floats: at most 16 bytes) is held inline, with no allocation; any other
//! type is boxed. A value is moved into its last consumer and cloned (through the producer's
//! [`Cloner`]) only for the consumers before it, so a value with `k` consumers is cloned at most
//! `k - 1` times. Put large data in an `Arc` to make those clones cheap.
//!
//! Invariant: a value holds a `T` inline exactly when `T` is one of the [`Small`] types (the
//! choice is made from `T` alone, by type id comparisons the compiler folds away), so
//! `Value::new::<T>` and `downcast::<T>` agree on where a `T` lives. No `unsafe`: the inline
//! forms are an enum, and moving a `T` in or out goes through `dyn Any` on an `Option<T>`.

use std::any::{Any, type_name};
use std::fmt;

/// A type-erased task result, as it moves between tasks inside a scheduler.
///
/// Schedulers never look inside a value: they hand it from the task that produced it to the
/// tasks that consume it (see [`Plan`](crate::Plan)). Small `Copy` values (`i64`, `f64`,
/// `(u64, u64)`, …) and zero-sized values do not allocate; other values are boxed.
///
/// ```
/// use lazydag_core::Value;
/// let v = Value::new(41_i64);
/// assert!(v.is::<i64>() && !v.is::<u64>());
/// assert_eq!(v.downcast_ref::<i64>(), Some(&41));
/// assert_eq!(v.downcast::<i64>().ok(), Some(41));
/// let text = Value::new(String::from("boxed"));
/// assert_eq!(text.downcast::<String>().ok().as_deref(), Some("boxed"));
/// ```
pub struct Value(Repr);

/// Where a value lives.
enum Repr {
    Small(Small),
    Boxed(Box<dyn Any + Send>),
}

/// Declares the inline forms: one variant per small type, and the moves in and out of it.
macro_rules! small_types {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// The small `Copy` types a value holds inline.
        #[derive(Clone, Copy)]
        enum Small {
            $($variant($ty),)*
        }

        impl Small {
            /// `value` inline, if its type is a small one; otherwise `value` back.
            #[inline(always)]
            fn try_new<T: 'static>(value: T) -> Result<Small, T> {
                let mut value = Some(value);
                let any: &mut dyn Any = &mut value;
                $(if let Some(v) = any.downcast_mut::<Option<$ty>>() {
                    return Ok(Small::$variant(v.take().expect("just put in")));
                })*
                Err(value.expect("still there"))
            }

            /// The value, as a `T` if it is one.
            #[inline(always)]
            fn take<T: 'static>(self) -> Option<T> {
                match self {
                    $(Small::$variant(v) => {
                        let mut v = Some(v);
                        (&mut v as &mut dyn Any).downcast_mut::<Option<T>>()?.take()
                    })*
                }
            }

            /// The value, borrowed as a `T` if it is one.
            #[inline(always)]
            fn get<T: 'static>(&self) -> Option<&T> {
                match self {
                    $(Small::$variant(v) => (v as &dyn Any).downcast_ref::<T>(),)*
                }
            }
        }
    };
}

small_types!(
    Unit(()),
    Bool(bool),
    Char(char),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    U128(u128),
    Usize(usize),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    I128(i128),
    Isize(isize),
    F32(f32),
    F64(f64),
    PairU64((u64, u64)),
    PairI64((i64, i64)),
    PairF64((f64, f64)),
    PairUsize((usize, usize)),
);

impl Value {
    /// Wraps `value`: inline for a small `Copy` type, boxed otherwise.
    #[inline]
    pub fn new<T: Send + 'static>(value: T) -> Self {
        match Small::try_new(value) {
            Ok(small) => Value(Repr::Small(small)),
            Err(value) => Value(Repr::Boxed(Box::new(value))),
        }
    }

    /// Takes the typed value back out, or returns `self` unchanged if it holds another type.
    #[inline]
    pub fn downcast<T: 'static>(self) -> Result<T, Value> {
        match self.0 {
            Repr::Small(small) => small.take::<T>().ok_or(Value(Repr::Small(small))),
            Repr::Boxed(boxed) => match boxed.downcast::<T>() {
                Ok(boxed) => Ok(*boxed),
                Err(other) => Err(Value(Repr::Boxed(other))),
            },
        }
    }

    /// Borrows the typed value, if it holds a `T`.
    #[inline]
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        match &self.0 {
            Repr::Small(small) => small.get::<T>(),
            Repr::Boxed(boxed) => boxed.downcast_ref::<T>(),
        }
    }

    /// Whether the value holds a `T`.
    #[inline]
    pub fn is<T: 'static>(&self) -> bool {
        self.downcast_ref::<T>().is_some()
    }

    /// Takes a task input of the type the task was recorded with.
    ///
    /// # Panics
    /// Panics if the value holds another type: that is a scheduler handing a task the wrong
    /// input. The panic is caught at the task boundary and reported as an [`Error`](crate::Error).
    #[inline]
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

/// Clones a `T` held in a value: the [`Cloner`] of `T`.
pub(crate) fn clone_value<T: Clone + Send + 'static>(value: &Value) -> Value {
    Value::new(value.downcast_ref::<T>().expect("value type matches its task").clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_inline_and_others_boxed() {
        assert!(matches!(Value::new(7_u64).0, Repr::Small(Small::U64(7))));
        assert!(matches!(Value::new((1.5_f64, 2.0_f64)).0, Repr::Small(Small::PairF64(_))));
        assert!(matches!(Value::new(vec![1_u8]).0, Repr::Boxed(_)));
        assert!(matches!(Value::new([0_u64; 2]).0, Repr::Boxed(_)));
    }

    #[test]
    fn a_value_of_another_type_comes_back_unchanged() {
        let v = Value::new(3_i32).downcast::<u32>().unwrap_err();
        assert_eq!(v.downcast::<i32>().ok(), Some(3));
        let v = Value::new(String::from("x")).downcast::<u64>().unwrap_err();
        assert_eq!(v.downcast_ref::<String>().map(String::as_str), Some("x"));
        assert!(!Value::new(1_u64).is::<i64>() && Value::new(()).is::<()>());
    }

    #[test]
    fn cloners_clone_inline_and_boxed_values() {
        let inline = clone_value::<f64>(&Value::new(2.5_f64));
        assert_eq!(inline.downcast::<f64>().ok(), Some(2.5));
        let boxed = clone_value::<Vec<u8>>(&Value::new(vec![1_u8, 2]));
        assert_eq!(boxed.downcast::<Vec<u8>>().ok(), Some(vec![1, 2]));
    }
}
