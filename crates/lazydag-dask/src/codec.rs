//! Values on the wire: [`lazydag_core::codec`] (bincode), one blob per argument or result, so that
//! a dependency's bytes pass from the worker that made them to the one that needs them
//! untouched. Only this binary reads them (Python moves them as opaque `bytes`).
//!
//! bincode, not MessagePack: `rmp-serde` writes `Some(x)` as `x`, so `None`, `Some(None)` and
//! `Some(())` were one nil byte and all arrived as `None`. bincode tags every `Option`, writes
//! floats by their bits and is deterministic; it is not self-describing, so a value is
//! rendered for reading ([`Codec::to_json`]) from its typed value, not from its bytes.
//!
//! Invariant: a [`Codec`] is built for one type `T` and only ever encodes a [`Value`] holding a
//! `T` and decodes into one, from all of the bytes; a mismatch is an error, never a panic.

use std::any::type_name;
use std::fmt;

use lazydag_core::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Encodes and decodes the values of one Rust type, type-erased: what the registry keeps per
/// argument and per result of a registered function.
#[derive(Clone, Copy)]
pub struct Codec {
    type_name: fn() -> &'static str,
    encode: fn(&Value) -> Result<Vec<u8>, String>,
    decode: fn(&[u8]) -> Result<Value, String>,
    render: fn(&Value) -> Result<String, String>,
    render_text: fn(&Value) -> Result<String, String>,
}

/// The codec of `T`; `#[remote]` calls it for each argument and the result.
pub const fn codec<T: Serialize + DeserializeOwned + Send + 'static>() -> Codec {
    Codec {
        type_name: type_name::<T>,
        encode: encode::<T>,
        decode: decode::<T>,
        render: render::<T>,
        render_text: render_text::<T>,
    }
}

fn typed<T: 'static>(value: &Value) -> Result<&T, String> {
    value.downcast_ref::<T>().ok_or_else(|| format!("not a `{}`", type_name::<T>()))
}

fn encode<T: Serialize + 'static>(value: &Value) -> Result<Vec<u8>, String> {
    lazydag_core::codec::encode(typed::<T>(value)?)
        .map_err(|e| format!("a `{}` does not serialize: {e}", type_name::<T>()))
}

fn decode<T: DeserializeOwned + Send + 'static>(bytes: &[u8]) -> Result<Value, String> {
    lazydag_core::codec::decode::<T>(bytes)
        .map(Value::new)
        .map_err(|why| format!("bytes do not decode as a `{}`: {why}", type_name::<T>()))
}

fn render<T: Serialize + 'static>(value: &Value) -> Result<String, String> {
    serde_json::to_string(typed::<T>(value)?)
        .map_err(|e| format!("a `{}` has no JSON rendering: {e}", type_name::<T>()))
}

fn render_text<T: Serialize + 'static>(value: &Value) -> Result<String, String> {
    crate::text::to_text(typed::<T>(value)?)
        .map_err(|e| format!("a `{}` has no JSON rendering: {e}", type_name::<T>()))
}

impl Codec {
    /// The Rust type this codec is for.
    pub fn type_name(&self) -> &'static str {
        (self.type_name)()
    }

    /// Encodes `value`, which must hold this codec's type.
    ///
    /// # Errors
    /// When `value` holds another type or its `Serialize` fails.
    pub fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        (self.encode)(value)
    }

    /// Decodes bytes made by [`encode`](Codec::encode) on any machine.
    ///
    /// # Errors
    /// When the bytes are not exactly a bincode encoding of this codec's type (bytes left
    /// over count as not).
    pub fn decode(&self, bytes: &[u8]) -> Result<Value, String> {
        (self.decode)(bytes)
    }

    /// Renders a value of this codec's type as JSON text, for reading: `serde_json` of the
    /// typed value (a struct is an object of its fields; NaN and ±inf are `null`, as JSON
    /// has no such numbers; [`to_text`](Codec::to_text) tells them apart). The bytes, not this
    /// text, are what runs.
    ///
    /// ```
    /// use lazydag_core::Value;
    /// use lazydag_dask::__private::codec;
    /// let text = codec::<Vec<f64>>().to_json(&Value::new(vec![0.5, 2.0])).unwrap();
    /// assert_eq!(text, "[0.5,2.0]");
    /// ```
    ///
    /// # Errors
    /// When `value` holds another type, or it does not fit JSON (a map with non-string keys).
    pub fn to_json(&self, value: &Value) -> Result<String, String> {
        (self.render)(value)
    }

    /// Renders a value of this codec's type as text for people (what `lazydag graph run`
    /// prints): [`to_json`](Codec::to_json)'s text, except that a NaN or infinite float,
    /// at any depth, is written as Python's `json.dumps` writes it, `NaN`, `Infinity`,
    /// `-Infinity`, not `null` (which stays `None` and `()`). Not strict JSON where such a
    /// float is; Python's `json.loads` reads it back.
    ///
    /// ```
    /// use lazydag_core::Value;
    /// use lazydag_dask::__private::codec;
    /// let value = Value::new((Some(f64::NAN), None::<f64>, vec![f64::INFINITY, 0.5]));
    /// let text = codec::<(Option<f64>, Option<f64>, Vec<f64>)>().to_text(&value).unwrap();
    /// assert_eq!(text, "[NaN,null,[Infinity,0.5]]");
    /// ```
    ///
    /// # Errors
    /// As [`to_json`](Codec::to_json).
    pub fn to_text(&self, value: &Value) -> Result<String, String> {
        (self.render_text)(value)
    }

    /// Renders bytes made by [`encode`](Codec::encode): decoded, then [`to_json`](Codec::to_json).
    ///
    /// # Errors
    /// When the bytes do not decode or the value has no JSON rendering.
    pub(crate) fn bytes_to_json(&self, bytes: &[u8]) -> Result<String, String> {
        self.to_json(&self.decode(bytes)?)
    }
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Codec<{}>", self.type_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_bit_identical() {
        let c = codec::<Vec<f64>>();
        let xs = vec![0.1, -0.0, f64::MIN_POSITIVE, 1e300, f64::NAN];
        let bytes = c.encode(&Value::new(xs.clone())).unwrap();
        let back = c.decode(&bytes).unwrap().downcast::<Vec<f64>>().ok().unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&xs));
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = codec::<u64>().encode(&Value::new("x")).unwrap_err();
        assert!(err.contains("not a `u64`"), "{err}");
        let err = codec::<String>().decode(&[0x05, b'x']).unwrap_err(); // 5 bytes promised
        assert!(err.contains("alloc::string::String"), "{err}");
    }

    #[test]
    fn bytes_left_over_are_an_error() {
        let c = codec::<u8>();
        let mut bytes = c.encode(&Value::new(7u8)).unwrap();
        bytes.push(0);
        let err = c.decode(&bytes).unwrap_err();
        assert!(err.contains("1 bytes left over"), "{err}");
    }

    #[test]
    fn options_keep_their_nesting() {
        let c = codec::<Option<Option<()>>>();
        for x in [None, Some(None), Some(Some(()))] {
            let back = c.decode(&c.encode(&Value::new(x)).unwrap()).unwrap();
            assert_eq!(back.downcast::<Option<Option<()>>>().ok(), Some(x));
        }
    }
}
