//! Task identity by content: [`ContentKey`], the [`Tokenize`] trait that hashes literals, and
//! the [`TaskStore`] hook of the graph-aware cache.
//!
//! Invariants:
//! - A key is a 32-byte blake3 digest of a domain tag and a stable byte encoding: the same
//!   value (or the same function over inputs with the same keys) gives the same key in every
//!   run of the same binary, on every thread and in every process.
//! - Every encoding is prefix-free where it matters: strings, byte buffers and sequences are
//!   written with their length first, so `("ab", "c")` and `("a", "bc")` differ.
//! - Nothing here knows about nodes or plans: `content` (above `node`) computes a task's key
//!   from its function and its inputs' keys, and the collector substitutes cache hits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::value::Value;

/// A task's or a literal's identity by content: a 32-byte blake3 digest.
///
/// A pure task's key covers its function (path, [`Delayed::pure_v`](crate::Delayed::pure_v)
/// version, build fingerprint of its crate) and its inputs' keys; a literal's key covers its
/// type and its value ([`Tokenize`]). Displays as 64 lowercase hex digits.
///
/// ```
/// use lazydag_core::{delayed, ContentKey};
/// fn add(a: i64, b: i64) -> i64 { a + b }
/// let a = delayed!(add(1, 2)).pure();
/// let b = delayed!(add(1, 2)).pure();
/// let key: ContentKey = a.content_key().unwrap();
/// assert_eq!(Some(key), b.content_key());          // recorded apart, one identity
/// assert_ne!(delayed!(add(1, 3)).pure().content_key(), Some(key));
/// assert_eq!(key.to_string().len(), 64);
/// assert_eq!(key.to_string().parse::<ContentKey>().unwrap(), key);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentKey([u8; 32]);

impl ContentKey {
    /// The key with these digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        ContentKey(bytes)
    }

    /// The digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key of `tag` followed by what `write` feeds the hasher: the one way keys are made.
    pub(crate) fn of(tag: &str, write: impl FnOnce(&mut KeyHasher)) -> Self {
        let mut hasher = KeyHasher::new(tag);
        write(&mut hasher);
        hasher.finish()
    }

    /// The key of what `write` writes, unless it refused a value it could not encode
    /// ([`KeyHasher::write_serde`]'s error): then `None`, no key at all, since a key must
    /// never stand for two values.
    pub(crate) fn of_encoded(tag: &str, write: impl FnOnce(&mut KeyHasher)) -> Option<Self> {
        let mut hasher = KeyHasher::new(tag);
        write(&mut hasher);
        (!hasher.refused).then(|| hasher.finish())
    }
}

impl fmt::Display for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One write of the 64 digits: a cache lookup names its entry by them, and 32 `{:02x}`
        // writes cost about 9,000 instructions.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [0u8; 64];
        for (pair, byte) in digits.chunks_exact_mut(2).zip(self.0) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        f.write_str(std::str::from_utf8(&digits).expect("hex digits are ASCII"))
    }
}

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentKey({self})")
    }
}

/// A string that is not 64 hex digits, given to [`ContentKey`]'s `FromStr`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a content key is 64 hex digits, not `{0}`")]
pub struct ParseKeyError(String);

impl std::str::FromStr for ContentKey {
    type Err = ParseKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseKeyError(s.chars().take(80).collect());
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(ContentKey(bytes))
    }
}

/// What [`Tokenize`] writes to: a blake3 hasher with typed, length-prefixed helpers.
///
/// Integers are written little-endian at their own width, so a key does not depend on the
/// machine's byte order. Small writes are gathered in a buffer on the stack and hashed in one
/// call at the end (a key of a few hundred bytes never builds blake3's incremental hasher);
/// a large buffer goes to the incremental hasher in one block. The digest depends only on the
/// bytes written, not on how they were split.
pub struct KeyHasher {
    buffer: [u8; BUFFER],
    len: usize,
    /// Created once the bytes outgrow the buffer.
    large: Option<Box<blake3::Hasher>>,
    /// A value could not be encoded: the key would not determine it.
    refused: bool,
}

/// The stack buffer of a [`KeyHasher`]: a task key over 8 inputs fits.
const BUFFER: usize = 512;

impl fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHasher(..)")
    }
}

impl KeyHasher {
    fn new(tag: &str) -> Self {
        let mut hasher = KeyHasher { buffer: [0; BUFFER], len: 0, large: None, refused: false };
        hasher.write_str(tag);
        hasher
    }

    fn finish(&self) -> ContentKey {
        let tail = &self.buffer[..self.len];
        match &self.large {
            None => ContentKey(*blake3::hash(tail).as_bytes()),
            Some(large) => {
                let mut large = large.clone();
                large.update(tail);
                ContentKey(*large.finalize().as_bytes())
            }
        }
    }

    /// Writes raw bytes, with no length: for fixed-size data, or after writing a length.
    /// Large buffers go straight to blake3 (several GB/s).
    pub fn write_raw(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() <= BUFFER {
            self.buffer[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
            return;
        }
        let large = self.large.get_or_insert_with(|| Box::new(blake3::Hasher::new()));
        large.update(&self.buffer[..self.len]);
        self.len = 0;
        if bytes.len() >= BUFFER {
            large.update(bytes);
        } else {
            self.buffer[..bytes.len()].copy_from_slice(bytes);
            self.len = bytes.len();
        }
    }

    /// Writes a length or count (as a `u64`).
    pub fn write_len(&mut self, len: usize) {
        self.write_raw(&(len as u64).to_le_bytes());
    }

    /// Writes a byte buffer: its length, then its bytes.
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        self.write_len(bytes.len());
        self.write_raw(bytes);
    }

    /// Writes a string: its length, then its UTF-8 bytes.
    pub fn write_str(&mut self, s: &str) {
        self.write_bytes(s.as_bytes());
    }

    /// Writes another key (an input's identity).
    pub fn write_key(&mut self, key: &ContentKey) {
        self.write_raw(&key.0);
    }

    /// Writes `value` in bincode (`config::standard()`, streamed into the hasher without a
    /// buffer): how a type with only a serde `Serialize` implements [`Tokenize`] (see
    /// [`tokenize_serde!`](crate::tokenize_serde!)). bincode tags every `Option` and writes
    /// floats by their bits, so `None`, `Some(None)` and `Some(())` get different keys
    /// (MessagePack, the encoding before, wrote all three as one nil byte). An encoding
    /// error (a serializer that refuses the value, such as a map or sequence of unknown
    /// length) leaves the value without a key: a pure task over it stays impure (two values
    /// that both fail to encode must not share a key).
    pub fn write_serde<T: serde::Serialize + ?Sized>(&mut self, value: &T) {
        let written = bincode::serde::encode_into_std_write(
            value,
            &mut Writer(self),
            bincode::config::standard(),
        );
        if let Err(err) = written {
            tracing::debug!(error = %err, "a value's serde encoding failed: it gets no content key");
            self.refused = true;
        }
    }
}

/// `KeyHasher` as an `io::Write`, for serde encoders.
struct Writer<'a>(&'a mut KeyHasher);

impl std::io::Write for Writer<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write_raw(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A value that can be hashed into a [`ContentKey`]: what a literal argument of a pure task
/// must implement.
///
/// Implemented for the integer and float types, `bool`, `char`, `()`, `str`, `String`,
/// references, `Box`, `Arc`, `Option`, `Result`, slices, arrays, `Vec`, `BTreeMap`,
/// `BTreeSet` and tuples of up to 8 elements. A byte buffer (`Vec<u8>`, `[u8]`) is hashed as
/// one block, not byte by byte. Floats are hashed by their bits (`0.0` and `-0.0` differ).
/// `HashMap` is left out on purpose: its order changes between runs.
///
/// A type with a serde `Serialize` opts in with [`tokenize_serde!`](crate::tokenize_serde!);
/// any other implements `tokenize` by writing its fields:
///
/// ```
/// use lazydag_core::{KeyHasher, Tokenize};
/// struct Window { start: u64, len: u32 }
/// impl Tokenize for Window {
///     fn tokenize(&self, h: &mut KeyHasher) {
///         self.start.tokenize(h);
///         self.len.tokenize(h);
///     }
/// }
/// ```
pub trait Tokenize {
    /// Writes this value's stable encoding.
    fn tokenize(&self, hasher: &mut KeyHasher);

    /// Writes a slice of values, element by element unless the type knows better (a byte
    /// slice is written as one block).
    fn tokenize_slice(items: &[Self], hasher: &mut KeyHasher)
    where
        Self: Sized,
    {
        for item in items {
            item.tokenize(hasher);
        }
    }
}

/// Implements [`Tokenize`] for types that implement serde's `Serialize`, by hashing their
/// bincode encoding ([`KeyHasher::write_serde`]).
///
/// ```
/// use lazydag_core::{delayed, tokenize_serde};
/// #[derive(serde::Serialize, Clone, Debug)]
/// struct Params { rate: f64, steps: u32 }
/// tokenize_serde!(Params);
///
/// fn fit(p: Params) -> f64 { p.rate * f64::from(p.steps) }
/// let a = delayed!(fit(Params { rate: 0.5, steps: 4 })).pure();
/// let b = delayed!(fit(Params { rate: 0.5, steps: 4 })).pure();
/// assert!(a.content_key().is_some());
/// assert_eq!(a.content_key(), b.content_key());
/// ```
///
/// The encoding must be deterministic for the key to be: a `HashMap` field is not (its
/// order changes from run to run); use a `BTreeMap`.
#[macro_export]
macro_rules! tokenize_serde {
    ($($ty:ty),+ $(,)?) => {$(
        impl $crate::Tokenize for $ty {
            fn tokenize(&self, hasher: &mut $crate::KeyHasher) {
                hasher.write_serde(self);
            }
        }
    )+};
}

macro_rules! tokenize_int {
    ($($ty:ty),*) => {$(
        impl Tokenize for $ty {
            fn tokenize(&self, hasher: &mut KeyHasher) {
                hasher.write_raw(&self.to_le_bytes());
            }
        }
    )*};
}

tokenize_int!(i8, i16, i32, i64, i128, u16, u32, u64, u128);

impl Tokenize for u8 {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        hasher.write_raw(&[*self]);
    }

    fn tokenize_slice(items: &[u8], hasher: &mut KeyHasher) {
        hasher.write_raw(items);
    }
}

impl Tokenize for usize {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        (*self as u64).tokenize(hasher);
    }
}

impl Tokenize for isize {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        (*self as i64).tokenize(hasher);
    }
}

impl Tokenize for f32 {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        self.to_bits().tokenize(hasher);
    }
}

impl Tokenize for f64 {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        self.to_bits().tokenize(hasher);
    }
}

impl Tokenize for bool {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        hasher.write_raw(&[u8::from(*self)]);
    }
}

impl Tokenize for char {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        u32::from(*self).tokenize(hasher);
    }
}

impl Tokenize for () {
    fn tokenize(&self, _: &mut KeyHasher) {}
}

impl Tokenize for str {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        hasher.write_str(self);
    }
}

impl Tokenize for String {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        hasher.write_str(self);
    }
}

impl<T: Tokenize + ?Sized> Tokenize for &T {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        (**self).tokenize(hasher);
    }
}

impl<T: Tokenize + ?Sized> Tokenize for Box<T> {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        (**self).tokenize(hasher);
    }
}

/// An `Arc` hashes as its contents: a literal holding an `Arc` is hashed once, when a pure
/// task first needs its key, and the key is kept in the literal's node.
impl<T: Tokenize + ?Sized> Tokenize for Arc<T> {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        (**self).tokenize(hasher);
    }
}

impl<T: Tokenize> Tokenize for [T] {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        hasher.write_len(self.len());
        T::tokenize_slice(self, hasher);
    }
}

impl<T: Tokenize, const N: usize> Tokenize for [T; N] {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        self.as_slice().tokenize(hasher);
    }
}

impl<T: Tokenize> Tokenize for Vec<T> {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        self.as_slice().tokenize(hasher);
    }
}

impl<T: Tokenize> Tokenize for Option<T> {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        match self {
            None => hasher.write_raw(&[0]),
            Some(value) => {
                hasher.write_raw(&[1]);
                value.tokenize(hasher);
            }
        }
    }
}

impl<T: Tokenize, E: Tokenize> Tokenize for Result<T, E> {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        match self {
            Ok(value) => {
                hasher.write_raw(&[0]);
                value.tokenize(hasher);
            }
            Err(err) => {
                hasher.write_raw(&[1]);
                err.tokenize(hasher);
            }
        }
    }
}

impl<K: Tokenize, V: Tokenize> Tokenize for BTreeMap<K, V> {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        hasher.write_len(self.len());
        for (key, value) in self {
            key.tokenize(hasher);
            value.tokenize(hasher);
        }
    }
}

impl<T: Tokenize> Tokenize for BTreeSet<T> {
    fn tokenize(&self, hasher: &mut KeyHasher) {
        hasher.write_len(self.len());
        for item in self {
            item.tokenize(hasher);
        }
    }
}

macro_rules! tokenize_tuple {
    ($($name:ident),+) => {
        impl<$($name: Tokenize),+> Tokenize for ($($name,)+) {
            #[allow(non_snake_case)]
            fn tokenize(&self, hasher: &mut KeyHasher) {
                let ($($name,)+) = self;
                $($name.tokenize(hasher);)+
            }
        }
    };
}

tokenize_tuple!(A);
tokenize_tuple!(A, B);
tokenize_tuple!(A, B, C);
tokenize_tuple!(A, B, C, D);
tokenize_tuple!(A, B, C, D, E);
tokenize_tuple!(A, B, C, D, E, F);
tokenize_tuple!(A, B, C, D, E, F, G);
tokenize_tuple!(A, B, C, D, E, F, G, H);

/// The key of a literal value: its type and its [`Tokenize`] encoding.
pub(crate) fn literal_key<T: Tokenize + 'static>(value: &T) -> Option<ContentKey> {
    // v3: `tokenize_serde!` types hash their bincode (v2 hashed MessagePack, which gave
    // `None` and `Some(None)` one key).
    ContentKey::of_encoded("lazydag-literal-v3", |h| {
        h.write_str(std::any::type_name::<T>());
        // The type's build fingerprint too, as for a task's function: two types can share a
        // name (one defined in two blocks, two versions of a crate) and encode alike.
        std::hash::Hash::hash(&std::any::TypeId::of::<T>(), &mut FeedKey(h));
        value.tokenize(h);
    })
}

/// Feeds what `Hash` writes into a key.
pub(crate) struct FeedKey<'a>(pub(crate) &'a mut KeyHasher);

impl std::hash::Hasher for FeedKey<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write_raw(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

/// How to hash a type-erased literal value: recorded in a literal's node by `delayed!` when
/// the value's type is [`Tokenize`] (a pointer store, no hashing), and called only when a
/// pure task first needs the literal's key. `None` when the value is not a `T` (or is gone).
pub(crate) type Tokenizer = fn(&Value) -> Option<ContentKey>;

/// Hashes a `T` held in a value: the [`Tokenizer`] of `T`.
pub(crate) fn tokenize_value<T: Tokenize + 'static>(value: &Value) -> Option<ContentKey> {
    value.downcast_ref::<T>().and_then(literal_key::<T>)
}

/// Where the graph-aware cache keeps task results: implemented by
/// `lazydag::parallel::Memory` (on disk), and by anything else (an in-memory map in tests, a
/// remote store).
///
/// A task marked [`.cache(&store)`](crate::Delayed::cache) is looked up by its
/// [`ContentKey`] when its compute is *planned*: on a hit its value is decoded and its
/// upstream tasks are not planned at all; on a miss it runs and its `Ok` result is stored
/// (never an `Err`). `task` is the task's readable name, for the store's own bookkeeping (a
/// folder name, a log line); the key alone identifies the entry.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use lazydag_core::{ContentKey, TaskStore};
///
/// #[derive(Clone, Default)]
/// struct InMemory(Arc<Mutex<HashMap<ContentKey, Vec<u8>>>>);
///
/// impl TaskStore for InMemory {
///     fn load(&self, key: &ContentKey, _task: &str) -> Option<Vec<u8>> {
///         self.0.lock().unwrap().get(key).cloned()
///     }
///     fn store(&self, key: &ContentKey, _task: &str, bytes: &[u8]) -> Result<(), String> {
///         self.0.lock().unwrap().insert(*key, bytes.to_vec());
///         Ok(())
///     }
/// }
/// ```
pub trait TaskStore: Send + Sync + 'static {
    /// The stored bytes of the task with this key, if any (a miss, or an entry that is
    /// unreadable, is `None`).
    fn load(&self, key: &ContentKey, task: &str) -> Option<Vec<u8>>;

    /// Stores a task's encoded result; an `Err` is reported (to `tracing`), never a wrong
    /// value.
    ///
    /// # Errors
    /// Whatever kept the store from keeping the bytes (a full disk, a read-only folder).
    fn store(&self, key: &ContentKey, task: &str, bytes: &[u8]) -> Result<(), String>;

    /// Names where this store keeps its entries (a folder, a bucket), when stores that give
    /// the same name keep the same entries: two caches of one task into stores of one identity
    /// are planned as one task, probed and written once. `None` (the default) makes each
    /// `.cache(&store)` call's store its own: two caches of one task into it are then probed
    /// and written once each (the same value, so nothing is wrong, only repeated).
    ///
    /// ```
    /// # use lazydag_core::{ContentKey, TaskStore};
    /// struct Folder(std::path::PathBuf);
    /// impl TaskStore for Folder {
    ///     fn load(&self, _: &ContentKey, _: &str) -> Option<Vec<u8>> { None }
    ///     fn store(&self, _: &ContentKey, _: &str, _: &[u8]) -> Result<(), String> { Ok(()) }
    ///     fn identity(&self) -> Option<String> {
    ///         Some(format!("folder:{}", self.0.display()))
    ///     }
    /// }
    /// assert_eq!(Folder("/tmp/c".into()).identity().as_deref(), Some("folder:/tmp/c"));
    /// ```
    fn identity(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<T: Tokenize + 'static>(value: &T) -> ContentKey {
        literal_key(value).expect("the value encodes")
    }

    #[test]
    fn lengths_keep_encodings_apart() {
        assert_ne!(key(&("ab", "c")), key(&("a", "bc")));
        assert_ne!(key(&vec![vec![1u8], vec![]]), key(&vec![vec![], vec![1u8]]));
        assert_ne!(key(&Some(0u8)), key(&None::<u8>));
    }

    #[test]
    fn serde_options_keep_their_nesting() {
        #[derive(serde::Serialize)]
        struct Nested(Option<Option<u8>>);
        tokenize_serde!(Nested);
        let keys = [key(&Nested(None)), key(&Nested(Some(None))), key(&Nested(Some(Some(0))))];
        assert_ne!(keys[0], keys[1], "None and Some(None) share a key");
        assert_ne!(keys[1], keys[2], "Some(None) and Some(Some(0)) share a key");
        assert_ne!(keys[0], keys[2], "None and Some(Some(0)) share a key");
    }

    #[test]
    fn types_are_part_of_the_key() {
        assert_ne!(key(&1i64), key(&1i32));
        assert_ne!(key(&1u64), key(&1.0f64));
        assert_eq!(key(&String::from("x")), key(&String::from("x")));
    }

    #[test]
    fn byte_buffers_hash_as_one_block() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut one = KeyHasher::new("t");
        bytes.tokenize(&mut one);
        let mut by_hand = KeyHasher::new("t");
        by_hand.write_bytes(&bytes);
        assert_eq!(one.finish(), by_hand.finish());
    }

    #[test]
    fn the_digest_does_not_depend_on_how_bytes_are_split() {
        let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        let mut whole = KeyHasher::new("t");
        whole.write_raw(&bytes);
        for step in [1, 3, 100, 511, 512, 513, 4096] {
            let mut split = KeyHasher::new("t");
            bytes.chunks(step).for_each(|chunk| split.write_raw(chunk));
            assert_eq!(split.finish(), whole.finish(), "chunks of {step}");
        }
        let mut small = KeyHasher::new("t");
        small.write_raw(b"abc");
        let mut by_hand = blake3::Hasher::new();
        by_hand.update(&[1, 0, 0, 0, 0, 0, 0, 0]).update(b"t").update(b"abc");
        assert_eq!(small.finish().as_bytes(), by_hand.finalize().as_bytes());
    }

    #[test]
    fn arc_hashes_as_its_contents() {
        assert_ne!(key(&Arc::new(5u32)), key(&5u32)); // the type name differs
        let mut a = KeyHasher::new("t");
        Arc::new(5u32).tokenize(&mut a);
        let mut b = KeyHasher::new("t");
        5u32.tokenize(&mut b);
        assert_eq!(a.finish(), b.finish());
    }

    #[test]
    fn hex_round_trips() {
        let k = key(&42u8);
        assert_eq!(k.to_string().parse::<ContentKey>(), Ok(k));
        assert!("zz".parse::<ContentKey>().is_err());
        assert!("é".repeat(32).parse::<ContentKey>().is_err());
    }
}
