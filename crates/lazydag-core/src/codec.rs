//! The byte encoding of values that leave the process: cached task values (a [`TaskStore`]),
//! `Memory` entries, graph files' literals, values sent to a cluster's workers. One home, so
//! that every reader refuses bad bytes the same way.
//!
//! The encoding is bincode's standard configuration: lossless (it tags every `Option`, so
//! `None`, `Some(None)` and `Some(())` differ; floats travel as their bits) and deterministic.
//!
//! Invariant: [`decode`] never aborts the process, whatever the bytes:
//! - bincode reads a string's or a byte buffer's length prefix and allocates that much before
//!   it reads the bytes, so eight corrupt bytes claiming a terabyte would abort on the
//!   allocation; here every such claim is checked against a limit of at least the input's
//!   length (a legitimate value's strings are all inside its input) and at most 64 times it
//!   (64 KiB for inputs up to 1 KiB), so a corrupt prefix fails as an error after allocating
//!   no more than that. Sequences and maps go through serde, which reserves at most about a
//!   megabyte from a length it has not read yet.
//! - bincode recurses once per level of nesting, so corrupt bytes of a recursive type (a
//!   `Box`ed list) would nest a level per byte and overflow the thread's stack; the decoder
//!   runs under `serde_stacker`, which grows the stack on the heap instead.
//!
//! [`TaskStore`]: crate::TaskStore

use bincode::config::standard;
use bincode::error::DecodeError;

/// Encodes `value`.
///
/// # Errors
/// The value's `Serialize` failed (a map with non-string keys is fine; a custom impl may
/// refuse), as text.
///
/// ```
/// use lazydag_core::codec::encode;
/// assert_ne!(encode(&Some(())).unwrap(), encode(&None::<()>).unwrap());
/// ```
pub fn encode<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    bincode::serde::encode_to_vec(value, standard()).map_err(|err| err.to_string())
}

/// Decodes all of `bytes` as a `T`: bytes left over mean another value (or another type),
/// an error like any other, and so does a length prefix longer than the input can hold
/// (see the module docs: never an abort).
///
/// # Errors
/// The bytes are not a whole `T`, as text.
///
/// ```
/// use lazydag_core::codec::{decode, encode};
/// let bytes = encode(&(1_u8, String::from("ab"))).unwrap();
/// assert_eq!(decode::<(u8, String)>(&bytes).unwrap(), (1, "ab".to_owned()));
/// assert!(decode::<u8>(&bytes).is_err()); // bytes left over
/// // A string claiming 2^40 bytes: an error, not a terabyte allocation.
/// let mut corrupt = vec![0xFD];
/// corrupt.extend_from_slice(&(1_u64 << 40).to_le_bytes());
/// assert!(decode::<String>(&corrupt).is_err());
/// ```
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let n = bytes.len();
    let decoded = if n <= LIMIT_0 {
        within::<T, LIMIT_1>(bytes)
    } else if n <= LIMIT_1 {
        within::<T, LIMIT_2>(bytes)
    } else if n <= LIMIT_2 {
        within::<T, LIMIT_3>(bytes)
    } else if n <= LIMIT_3 {
        within::<T, LIMIT_4>(bytes)
    } else if n <= LIMIT_4 {
        within::<T, LIMIT_5>(bytes)
    } else {
        within::<T, { usize::MAX }>(bytes)
    };
    match decoded {
        Ok((value, read)) if read == bytes.len() => Ok(value),
        Ok((_, read)) => Err(format!("{} bytes left over after the value", bytes.len() - read)),
        Err(DecodeError::LimitExceeded) => Err(format!(
            "a length in the bytes is larger than the {} bytes hold: they are corrupt",
            bytes.len()
        )),
        Err(err) => Err(err.to_string()),
    }
}

/// The limits, 64 times apart, from 64 KiB: bincode takes its limit as a constant, so the
/// input's length picks one of these (one instance of the decoder per limit and type).
const LIMIT_0: usize = 1 << 10;
const LIMIT_1: usize = 1 << 16;
const LIMIT_2: usize = 1 << 22;
const LIMIT_3: usize = 1 << 28;
const LIMIT_4: usize = shifted(34);
const LIMIT_5: usize = shifted(40);

/// `1 << bits`, or `usize::MAX` where that does not fit (32-bit targets).
const fn shifted(bits: u32) -> usize {
    match 1_usize.checked_shl(bits) {
        Some(limit) => limit,
        None => usize::MAX,
    }
}

fn within<T: serde::de::DeserializeOwned, const LIMIT: usize>(
    bytes: &[u8],
) -> Result<(T, usize), DecodeError> {
    let mut rest = Rest(bytes);
    let value = {
        let config = standard().with_limit::<LIMIT>();
        let mut decoder = bincode::serde::OwnedSerdeDecoder::from_reader(&mut rest, config);
        // Grown on the heap as deep as the bytes nest: bincode recurses once per level, so
        // corrupt bytes of a recursive type would otherwise overflow the thread's stack.
        T::deserialize(serde_stacker::Deserializer::new(decoder.as_deserializer()))?
    };
    Ok((value, bytes.len() - rest.0.len()))
}

/// The bytes not read yet: a slice reader whose rest the caller sees afterwards.
struct Rest<'a>(&'a [u8]);

impl bincode::de::read::Reader for Rest<'_> {
    fn read(&mut self, bytes: &mut [u8]) -> Result<(), DecodeError> {
        let Some((read, rest)) = self.0.split_at_checked(bytes.len()) else {
            return Err(DecodeError::UnexpectedEnd { additional: bytes.len() - self.0.len() });
        };
        bytes.copy_from_slice(read);
        self.0 = rest;
        Ok(())
    }

    fn peek_read(&mut self, n: usize) -> Option<&[u8]> {
        self.0.get(..n)
    }

    fn consume(&mut self, n: usize) {
        self.0 = self.0.get(n..).unwrap_or_default();
    }
}
