//! Values on the wire: MessagePack (`rmp-serde`), one blob per argument or result, so that a
//! dependency's bytes pass from the worker that made them to the one that needs them untouched.
//!
//! Invariant: a [`Codec`] is built for one type `T` and only ever encodes a [`Value`] holding a
//! `T` and decodes into one; a mismatch is an error, never a panic.

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
}

/// The codec of `T`; `#[remote]` calls it for each argument and the result.
pub const fn codec<T: Serialize + DeserializeOwned + Send + 'static>() -> Codec {
    Codec { type_name: type_name::<T>, encode: encode::<T>, decode: decode::<T> }
}

fn encode<T: Serialize + 'static>(value: &Value) -> Result<Vec<u8>, String> {
    let value = value.downcast_ref::<T>().ok_or_else(|| format!("not a `{}`", type_name::<T>()))?;
    rmp_serde::to_vec(value)
        .map_err(|e| format!("a `{}` does not serialize: {e}", type_name::<T>()))
}

fn decode<T: DeserializeOwned + Send + 'static>(bytes: &[u8]) -> Result<Value, String> {
    rmp_serde::from_slice::<T>(bytes)
        .map(Value::new)
        .map_err(|e| format!("bytes do not decode as a `{}`: {e}", type_name::<T>()))
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
    /// When the bytes are not a MessagePack encoding of this codec's type.
    pub fn decode(&self, bytes: &[u8]) -> Result<Value, String> {
        (self.decode)(bytes)
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
        let err = codec::<String>().decode(&[0xc3]).unwrap_err(); // `true`
        assert!(err.contains("alloc::string::String"), "{err}");
    }
}
