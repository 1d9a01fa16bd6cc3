//! Type-erased task values.
//!
//! Every task output travels through the scheduler as a [`Value`]. A value of one of the
//! common small `Copy` types (the integers up to 64 bits, `f32`/`f64`, `bool`, `char`, `()`,
//! and pairs of 64-bit integers or floats: at most 16 bytes, 8-aligned, so a `Value` is 24
//! bytes) is held inline, with no allocation; any other type (`u128` too) is boxed. A value
//! is moved into its last consumer and cloned (through the producer's [`Cloner`]) only for
//! the consumers before it, so a value with `k` consumers is cloned at most
//! `k - 1` times. Put large data in an `Arc` to make those clones cheap.
//!
//! Invariant: a value holds a `T` inline exactly when `T` is one of the [`Small`] types (the
//! choice is made from `T` alone, by type id comparisons the compiler folds away), so
//! `Value::new::<T>` and `downcast::<T>` agree on where a `T` lives. No `unsafe`: the inline
//! forms are an enum, and moving a `T` in or out goes through `dyn Any` on an `Option<T>`.
//! An inline value also converts to and from two plain words and a kind number
//! ([`Value::to_bits`]), which is how the pools' slots hold it in atomics, without a lock.

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
    ($($variant:ident($ty:ty) = $kind:literal),* $(,)?) => {
        /// The small `Copy` types a value holds inline.
        #[derive(Clone, Copy)]
        enum Small {
            $($variant($ty),)*
        }

        impl Small {
            /// The variant's number (never 0) and the value's bits (see [`Bits`]).
            #[inline(always)]
            fn to_bits(self) -> (u8, [u64; 2]) {
                match self {
                    $(Small::$variant(v) => ($kind, Bits::to_bits(v)),)*
                }
            }

            /// The value [`to_bits`](Small::to_bits) gave `kind` and `bits` for; `None` for a
            /// kind that names no variant.
            #[inline(always)]
            fn from_bits(kind: u8, bits: [u64; 2]) -> Option<Small> {
                match kind {
                    $($kind => Some(Small::$variant(<$ty as Bits>::from_bits(bits))),)*
                    _ => None,
                }
            }

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
    Unit(()) = 1,
    Bool(bool) = 2,
    Char(char) = 3,
    U8(u8) = 4,
    U16(u16) = 5,
    U32(u32) = 6,
    U64(u64) = 7,
    Usize(usize) = 9,
    I8(i8) = 10,
    I16(i16) = 11,
    I32(i32) = 12,
    I64(i64) = 13,
    Isize(isize) = 15,
    F32(f32) = 16,
    F64(f64) = 17,
    PairU64((u64, u64)) = 18,
    PairI64((i64, i64)) = 19,
    PairF64((f64, f64)) = 20,
    PairUsize((usize, usize)) = 21,
);

/// A small type's value as two 64-bit words, and back: how a pool's slot holds an inline
/// value in plain atomics (no lock; see `schedulers/slot.rs`). `from_bits(to_bits(v)) == v`.
trait Bits: Copy {
    fn to_bits(self) -> [u64; 2];
    fn from_bits(bits: [u64; 2]) -> Self;
}

/// [`Bits`] for the types that fit one word, through `as` casts to and from `$via`.
macro_rules! word_bits {
    ($($ty:ty => $via:ty),* $(,)?) => {$(
        impl Bits for $ty {
            #[inline(always)]
            fn to_bits(self) -> [u64; 2] {
                [self as $via as u64, 0]
            }
            #[inline(always)]
            fn from_bits(bits: [u64; 2]) -> Self {
                bits[0] as $via as $ty
            }
        }
    )*};
}

word_bits!(u8 => u64, u16 => u64, u32 => u64, u64 => u64, usize => u64);
word_bits!(i8 => i64, i16 => i64, i32 => i64, i64 => i64, isize => i64);

impl Bits for () {
    #[inline(always)]
    fn to_bits(self) -> [u64; 2] {
        [0, 0]
    }
    #[inline(always)]
    fn from_bits(_: [u64; 2]) -> Self {}
}

impl Bits for bool {
    #[inline(always)]
    fn to_bits(self) -> [u64; 2] {
        [u64::from(self), 0]
    }
    #[inline(always)]
    fn from_bits(bits: [u64; 2]) -> Self {
        bits[0] != 0
    }
}

impl Bits for char {
    #[inline(always)]
    fn to_bits(self) -> [u64; 2] {
        [u64::from(u32::from(self)), 0]
    }
    #[inline(always)]
    fn from_bits(bits: [u64; 2]) -> Self {
        char::from_u32(bits[0] as u32).unwrap_or(char::REPLACEMENT_CHARACTER)
    }
}

impl Bits for f32 {
    #[inline(always)]
    fn to_bits(self) -> [u64; 2] {
        [u64::from(f32::to_bits(self)), 0]
    }
    #[inline(always)]
    fn from_bits(bits: [u64; 2]) -> Self {
        f32::from_bits(bits[0] as u32)
    }
}

impl Bits for f64 {
    #[inline(always)]
    fn to_bits(self) -> [u64; 2] {
        [f64::to_bits(self), 0]
    }
    #[inline(always)]
    fn from_bits(bits: [u64; 2]) -> Self {
        f64::from_bits(bits[0])
    }
}

impl<A: Bits, B: Bits> Bits for (A, B) {
    #[inline(always)]
    fn to_bits(self) -> [u64; 2] {
        [self.0.to_bits()[0], self.1.to_bits()[0]]
    }
    #[inline(always)]
    fn from_bits(bits: [u64; 2]) -> Self {
        (A::from_bits([bits[0], 0]), B::from_bits([bits[1], 0]))
    }
}

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
    #[inline(always)]
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

    /// The value as plain bits, if it is held inline: its kind (never 0) and two words, which
    /// [`from_bits`](Value::from_bits) turns back into the same value. A pool's slot keeps
    /// such a value in atomics, so storing and reading it takes no lock.
    #[inline]
    pub(crate) fn to_bits(&self) -> Option<(u8, [u64; 2])> {
        match &self.0 {
            Repr::Small(small) => Some(small.to_bits()),
            Repr::Boxed(_) => None,
        }
    }

    /// The inline value [`to_bits`](Value::to_bits) gave `kind` and `bits` for, or `None` for
    /// a kind it never gives.
    #[inline]
    pub(crate) fn from_bits(kind: u8, bits: [u64; 2]) -> Option<Value> {
        Small::from_bits(kind, bits).map(|small| Value(Repr::Small(small)))
    }

    /// Takes a task input of the type the task was recorded with.
    ///
    /// # Panics
    /// Panics if the value holds another type: that is a scheduler handing a task the wrong
    /// input. The panic is caught at the task boundary and reported as an [`Error`](crate::Error).
    #[inline(always)]
    pub(crate) fn take<T: 'static>(self) -> T {
        match self.downcast::<T>() {
            Ok(v) => v,
            Err(_) => wrong_input::<T>(),
        }
    }
}

/// The panic of [`Value::take`] for an input of another type: out of line, so that the take
/// itself inlines into every task's call.
#[cold]
#[inline(never)]
fn wrong_input<T>() -> ! {
    panic!("task input is not a `{}`: the scheduler passed a wrong value", type_name::<T>())
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
        assert!(matches!(Value::new(1_u128).0, Repr::Boxed(_)));
        assert_eq!(std::mem::size_of::<Value>(), 24);
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
    fn inline_values_survive_their_bits() {
        fn round<T: Send + PartialEq + std::fmt::Debug + Copy + 'static>(v: T) {
            let (kind, bits) = Value::new(v).to_bits().expect("inline");
            assert_eq!(Value::from_bits(kind, bits).unwrap().downcast::<T>().ok(), Some(v));
        }
        round(());
        round(true);
        round('é');
        round(u8::MAX);
        round(i8::MIN);
        round(-3_i16);
        round(u32::MAX);
        round(i32::MIN);
        round(u64::MAX);
        round(i64::MIN);
        round(usize::MAX);
        round(isize::MIN);
        round(-1.5_f32);
        round(f64::MIN_POSITIVE);
        round((u64::MAX, 1_u64));
        round((-1_i64, i64::MIN));
        round((0.5_f64, -2.0_f64));
        round((usize::MAX, 0_usize));
        assert!(Value::new(vec![1_u8]).to_bits().is_none());
        assert!(Value::from_bits(0, [0, 0]).is_none() && Value::from_bits(99, [0, 0]).is_none());
    }

    #[test]
    fn cloners_clone_inline_and_boxed_values() {
        let inline = clone_value::<f64>(&Value::new(2.5_f64));
        assert_eq!(inline.downcast::<f64>().ok(), Some(2.5));
        let boxed = clone_value::<Vec<u8>>(&Value::new(vec![1_u8, 2]));
        assert_eq!(boxed.downcast::<Vec<u8>>().ok(), Some(vec![1, 2]));
    }
}
