//! Values as text for people ([`to_text`]): `serde_json`'s rendering, except that a NaN or
//! infinite float is written as Python's `json.dumps` writes it, `NaN`, `Infinity` and
//! `-Infinity`, where `serde_json` writes `null` (JSON has no such numbers), the same as
//! `None` and `()`.
//!
//! Invariant: the text is byte for byte `serde_json::to_string` of the value wherever the
//! value holds no non-finite float; only those are written differently, at any depth (in a
//! `Vec`, a tuple, a struct, an `Option`, an enum). Map keys are left to `serde_json`.
//!
//! How: [`Floats`] wraps `serde_json`'s serializer and hands every non-finite float to it as
//! a string, first raising a flag that [`Tokens`], its formatter, reads to leave that one
//! string unquoted. The tokens need no escaping, so the string is written as is.

use std::cell::Cell;
use std::io;

use serde::ser::{self, Serialize, Serializer};

/// `value` as JSON text, non-finite floats written `NaN`, `Infinity`, `-Infinity`.
pub(crate) fn to_text<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let raw = Cell::new(false);
    let mut out = Vec::new();
    let mut json = serde_json::Serializer::with_formatter(&mut out, Tokens { raw: &raw });
    value.serialize(Floats { inner: &mut json, raw: &raw })?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// The token for a non-finite float, `None` for a finite one.
fn token(x: f64) -> Option<&'static str> {
    match x {
        _ if x.is_nan() => Some("NaN"),
        f64::INFINITY => Some("Infinity"),
        f64::NEG_INFINITY => Some("-Infinity"),
        _ => None,
    }
}

/// `serde_json`'s compact formatter, writing the next string unquoted when `raw` is raised.
struct Tokens<'a> {
    raw: &'a Cell<bool>,
}

impl serde_json::ser::Formatter for Tokens<'_> {
    fn begin_string<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.raw.get() { Ok(()) } else { writer.write_all(b"\"") }
    }

    fn end_string<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.raw.replace(false) { Ok(()) } else { writer.write_all(b"\"") }
    }
}

/// A serializer that passes everything to `inner`, a non-finite float as its token.
struct Floats<'a, S> {
    inner: S,
    raw: &'a Cell<bool>,
}

/// A value whose floats go through [`Floats`].
struct Wrapped<'a, T: ?Sized> {
    value: &'a T,
    raw: &'a Cell<bool>,
}

impl<T: Serialize + ?Sized> Serialize for Wrapped<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Floats { inner: serializer, raw: self.raw })
    }
}

impl<'a, S> Floats<'a, S> {
    fn wrap<'v, T: ?Sized>(&self, value: &'v T) -> Wrapped<'v, T>
    where
        'a: 'v,
    {
        Wrapped { value, raw: self.raw }
    }
}

/// Forwards the scalar methods of `Serializer` unchanged.
macro_rules! forward {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.inner.$method(v)
        }
    )*};
}

impl<'a, S: Serializer> Serializer for Floats<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Floats<'a, S::SerializeSeq>;
    type SerializeTuple = Floats<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Floats<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Floats<'a, S::SerializeTupleVariant>;
    type SerializeMap = Floats<'a, S::SerializeMap>;
    type SerializeStruct = Floats<'a, S::SerializeStruct>;
    type SerializeStructVariant = Floats<'a, S::SerializeStructVariant>;

    forward! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_i128(i128); serialize_u8(u8); serialize_u16(u16);
        serialize_u32(u32); serialize_u64(u64); serialize_u128(u128); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_unit_struct(&'static str);
    }

    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        if token(f64::from(v)).is_some() {
            self.serialize_f64(f64::from(v))
        } else {
            self.inner.serialize_f32(v)
        }
    }

    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        match token(v) {
            Some(token) => {
                self.raw.set(true);
                self.inner.serialize_str(token)
            }
            None => self.inner.serialize_f64(v),
        }
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let value = self.wrap(value);
        self.inner.serialize_some(&value)
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let value = self.wrap(value);
        self.inner.serialize_newtype_struct(name, &value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let value = self.wrap(value);
        self.inner.serialize_newtype_variant(name, index, variant, &value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let raw = self.raw;
        Ok(Floats { inner: self.inner.serialize_seq(len)?, raw })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let raw = self.raw;
        Ok(Floats { inner: self.inner.serialize_tuple(len)?, raw })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let raw = self.raw;
        Ok(Floats { inner: self.inner.serialize_tuple_struct(name, len)?, raw })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let raw = self.raw;
        Ok(Floats { inner: self.inner.serialize_tuple_variant(name, index, variant, len)?, raw })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let raw = self.raw;
        Ok(Floats { inner: self.inner.serialize_map(len)?, raw })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let raw = self.raw;
        Ok(Floats { inner: self.inner.serialize_struct(name, len)?, raw })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let raw = self.raw;
        Ok(Floats { inner: self.inner.serialize_struct_variant(name, index, variant, len)?, raw })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Implements a compound serializer trait by wrapping each element or field.
macro_rules! compound {
    ($trait:ident, $method:ident $(, $key:ident)?) => {
        impl<S: ser::$trait> ser::$trait for Floats<'_, S> {
            type Ok = S::Ok;
            type Error = S::Error;

            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($key: &'static str,)?
                value: &T,
            ) -> Result<(), S::Error> {
                let value = Wrapped { value, raw: self.raw };
                self.inner.$method($($key,)? &value)
            }

            fn end(self) -> Result<S::Ok, S::Error> {
                self.inner.end()
            }
        }
    };
}

compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);
compound!(SerializeStruct, serialize_field, key);
compound!(SerializeStructVariant, serialize_field, key);

impl<S: ser::SerializeMap> ser::SerializeMap for Floats<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    /// Keys as `serde_json` writes them (a non-finite float key is its error).
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        self.inner.serialize_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        let value = Wrapped { value, raw: self.raw };
        self.inner.serialize_value(&value)
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::to_text;

    #[derive(Serialize)]
    struct Stats {
        n: u64,
        sum: f64,
        min: f32,
        note: &'static str,
    }

    #[derive(Serialize)]
    enum Shape {
        Point(f64),
        Pair(f64, f64),
        Named { x: f64 },
    }

    #[derive(Serialize)]
    struct Meters(f64);

    #[test]
    fn non_finite_floats_are_tokens_at_any_depth() {
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        assert_eq!(to_text(&nan).unwrap(), "NaN");
        assert_eq!(to_text(&-inf).unwrap(), "-Infinity");
        assert_eq!(to_text(&vec![0.5, nan, inf, -inf]).unwrap(), "[0.5,NaN,Infinity,-Infinity]");
        assert_eq!(to_text(&(3u64, nan)).unwrap(), "[3,NaN]");
        let stats = Stats { n: 2, sum: inf, min: f32::NAN, note: "NaN" };
        assert_eq!(to_text(&stats).unwrap(), r#"{"n":2,"sum":Infinity,"min":NaN,"note":"NaN"}"#);
        let options: Vec<Option<f64>> = vec![None, Some(nan)];
        assert_eq!(to_text(&options).unwrap(), "[null,NaN]");
        let shapes = [Shape::Point(nan), Shape::Pair(1.0, -inf), Shape::Named { x: inf }];
        assert_eq!(
            to_text(&shapes).unwrap(),
            r#"[{"Point":NaN},{"Pair":[1.0,-Infinity]},{"Named":{"x":Infinity}}]"#
        );
        assert_eq!(to_text(&Meters(nan)).unwrap(), "NaN");
        let map = BTreeMap::from([("a", nan), ("b", 1.0)]);
        assert_eq!(to_text(&map).unwrap(), r#"{"a":NaN,"b":1.0}"#);
    }

    #[test]
    fn finite_values_are_serde_json_byte_for_byte() {
        let map = BTreeMap::from([(1u8, vec![Some("x\"\n"), None])]);
        let stats = Stats { n: 1, sum: 0.1, min: -0.0, note: "\u{1}\\" };
        assert_eq!(to_text(&map).unwrap(), serde_json::to_string(&map).unwrap());
        assert_eq!(to_text(&stats).unwrap(), serde_json::to_string(&stats).unwrap());
        assert_eq!(to_text(&1e300).unwrap(), serde_json::to_string(&1e300).unwrap());
    }
}
