//! Which results are stored: every value except a `Result`'s `Err` (joblib never caches a
//! failure: the next call runs the function again).
//!
//! Invariant: [`is_err`] runs the value's `Serialize` against a probe serializer that answers
//! only the first call. serde serializes `Result::Err(e)` as the newtype variant `Err` of the
//! enum `Result`, so that call says it; any other value's first call is something else, and
//! the probe stops there, before looking inside it. The cost is one call, whatever the size.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Whether `value` is a `Result::Err` (a failure, not to be stored).
pub(crate) fn is_err<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(Probe), Err(Stop(true)))
}

/// The probe serializer: every method stops at once.
struct Probe;

/// Why the probe stopped: `true` when the value was a `Result::Err`.
#[derive(Debug)]
struct Stop(bool);

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "an Err" } else { "not an Err" })
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Stop(false)
    }
}

/// Methods of [`Probe`] that stop with "not an `Err`".
macro_rules! not_err {
    ($($method:ident($($arg:ty),*) -> $out:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$out, Stop> { Err(Stop(false)) })*
    };
}

impl ser::Serializer for Probe {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Impossible<(), Stop>;
    type SerializeTuple = Impossible<(), Stop>;
    type SerializeTupleStruct = Impossible<(), Stop>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = Impossible<(), Stop>;
    type SerializeStruct = Impossible<(), Stop>;
    type SerializeStructVariant = Impossible<(), Stop>;

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<(), Stop> {
        Err(Stop(name == "Result" && variant == "Err"))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Stop> {
        Err(Stop(false))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Stop> {
        Err(Stop(false))
    }

    not_err! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_i128(i128) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_u128(u128) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_results_err_is_a_failure() {
        assert!(is_err(&Err::<u8, String>("no".into())));
        assert!(!is_err(&Ok::<u8, String>(1)));
        assert!(!is_err(&Ok::<Result<u8, u8>, u8>(Err(1))), "an Ok holding an Err is a value");
        assert!(!is_err(&vec![1, 2, 3]));
        assert!(!is_err(&Some(1)));
        assert!(!is_err(&"Err"));
        #[derive(Serialize)]
        enum Mine {
            #[allow(dead_code)]
            Err(u8),
        }
        assert!(!is_err(&Mine::Err(1)), "another enum's `Err` variant is a value");
    }
}
