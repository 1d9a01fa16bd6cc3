//! Keys: which file holds the result of a call, from the function's identity, its name, its
//! version and its arguments (less the ignored ones).
//!
//! A function's **identity** is its Rust type: `std::any::type_name` (for people) and
//! `TypeId` (128 bits, unique per type in a build, the same in every run and process of one
//! binary). Every closure and every `fn` item has a type of its own, so two functions cached
//! under one name hash to different keys and never share entries. Function pointers
//! (`fn(u64) -> u64`) share one type per signature: a pointer's identity adds which function
//! of which build it points to (`pointer`: the executable's hash and the offset), so two
//! pointers never share entries either. Trait objects (`Box<dyn Fn…>`) share one type and
//! hide their function: they are refused ([`identity`] returns why), since nothing could keep
//! two of them under one name apart.
//!
//! Invariants: the key is blake3 over length-framed parts (a domain tag, identity, name,
//! version, the ignored positions, the arguments' encoding), so no two different sets of parts
//! hash alike by concatenation. The arguments are encoded with bincode (`config::standard()`),
//! which is lossless and deterministic: floats are their bits, `Option`s are tagged, so two
//! different argument values are two keys. (Keys were the arguments' JSON up to domain tag
//! v2, and JSON is lossy: NaN, +inf and -inf are all `null`, and so are `None`, `Some(None)`
//! and `Some(())`, so such calls shared an entry and returned each other's values.) None
//! arguments encode as nothing, one as its encoding, two to eight (a tuple) as each kept
//! argument's encoding, length-prefixed (`Split`): ignoring one leaves the others apart, and
//! `((1, 2), 3)` is not `(1, (2, 3))`. A function's folder is its name, sanitized: entries of two
//! functions under one name share a folder but not a file.

use std::any::{Any, TypeId, type_name};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lazydag_core::sync::std_locks::lock;
use serde::Serialize;
use serde::ser::{Impossible, SerializeTuple};

use super::function::CachedFn;

/// A function's identity: its type's name and its `TypeId`, and for a `fn` pointer which
/// function it points to.
///
/// # Errors
/// A message for people (what to cache instead) when `f`'s type is one type for many
/// functions that `f` cannot be told apart from: a trait object, a `fn` pointer of another
/// ABI, or a `fn` pointer that `pointer` cannot name.
pub(crate) fn identity<M: 'static, F: CachedFn<M> + 'static>(f: &F) -> Result<String, String> {
    let typed = format!("{}#{:?}", type_name::<F>(), TypeId::of::<F>());
    if let Some(pointer) = (f as &dyn Any).downcast_ref::<M>() {
        // `F` is the marker type itself: a `fn` pointer of `F`'s signature.
        let place =
            super::pointer::locate(F::address(pointer)).map_err(|why| refusal::<F>(&why))?;
        return Ok(format!("{typed}@{place}"));
    }
    if opaque(type_name::<F>()) {
        return Err(refusal::<F>("one type for many functions, and it does not say which"));
    }
    Ok(typed)
}

/// Why a function of type `F` cannot be cached (`why`), and what to do instead.
fn refusal<F>(why: &str) -> String {
    format!(
        "`{}` cannot be cached: {why}, so two of them under one name could return each \
         other's values. Cache a closure or a `fn` item instead (each has a type of its own); \
         for a function chosen at run time, cache one function that takes the choice as an \
         argument (an enum, say), so that it is part of the key",
        type_name::<F>()
    )
}

/// Whether values of type `F` are opaque: one type for many functions (function pointers,
/// trait objects), so that the type cannot tell them apart.
fn opaque(type_name: &str) -> bool {
    type_name.starts_with("fn(")
        || type_name.starts_with("unsafe fn(")
        || type_name.starts_with("extern ")
        || type_name.contains("dyn ")
}

/// The functions cached so far in this process, by folder and name: to warn once when two
/// functions are cached under one name.
static CACHED: Mutex<BTreeMap<(PathBuf, String), String>> = Mutex::new(BTreeMap::new());

/// Records that the function of identity `identity` is cached as `name` in `location`, and
/// warns when that name already holds another function in this process (joblib's
/// `JobLibCollisionWarning`; the entries stay apart anyway). Returns whether it warned.
pub(crate) fn register(location: &Path, name: &str, identity: &str) -> bool {
    let mut cached = lock(&CACHED);
    let before = cached.insert((location.to_path_buf(), name.to_owned()), identity.to_owned());
    let Some(before) = before.filter(|before| before != identity) else { return false };
    tracing::warn!(
        function = name,
        before = before.as_str(),
        now = identity,
        "memory name collision: `{name}` in {} was cached for another function before; \
         their entries are kept apart (the key includes the function's identity), but give \
         each function its own name",
        location.display()
    );
    true
}

/// The parts a key hashes before the arguments: the same for every call of one `Cached`.
pub(crate) struct KeyParts<'a> {
    /// The function's identity ([`identity`]).
    pub(crate) identity: &'a str,
    /// Its name (also its folder).
    pub(crate) name: &'a str,
    /// Its version.
    pub(crate) version: &'a str,
    /// The positions of the arguments left out of the key, sorted, no duplicates.
    pub(crate) ignore: &'a [usize],
}

/// The key hasher fed with everything but the arguments: hashed once per `Cached` (and per
/// change of its version or ignored positions), cloned for each call.
pub(crate) fn prefix(parts: &KeyParts<'_>) -> blake3::Hasher {
    let ignored: Vec<u8> = parts.ignore.iter().flat_map(|&i| (i as u64).to_le_bytes()).collect();
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"lazydag-parallel memory key v3\0");
    for part in
        [parts.identity.as_bytes(), parts.name.as_bytes(), parts.version.as_bytes(), &ignored]
    {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher
}

/// The encoding of `args`, less the arguments at the `ignore` positions, for a function of
/// `arity` arguments: nothing for none; for one, its encoding (nothing when it is ignored);
/// for two to eight (a tuple), each kept argument's encoding, length-prefixed.
fn arguments<A: Serialize>(args: &A, arity: usize, ignore: &[usize]) -> Result<Vec<u8>, String> {
    if let Some(&bad) = ignore.iter().find(|&&i| i >= arity) {
        return Err(format!(
            "`ignore` names argument {bad}, but the function takes {arity} (positions 0 to {})",
            arity.saturating_sub(1)
        ));
    }
    match arity {
        0 => Ok(Vec::new()),
        1 if ignore.is_empty() => encode(args),
        1 => Ok(Vec::new()), // the only argument is ignored
        _ => args.serialize(Split { ignore }).map_err(|Unsplittable(why)| why),
    }
}

/// The bincode encoding of `value`.
fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).map_err(|e| e.to_string())
}

/// A `Serializer` that takes a tuple apart: the length-prefixed encodings of its elements,
/// less those at `ignore`. Anything but a tuple is an error (a function of two to eight
/// arguments is called with a tuple, [`CachedFn::Args`]).
struct Split<'a> {
    /// The positions to leave out.
    ignore: &'a [usize],
}

/// Why arguments could not be encoded.
#[derive(Debug)]
struct Unsplittable(String);

impl std::fmt::Display for Unsplittable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsplittable {}

impl serde::ser::Error for Unsplittable {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Unsplittable(msg.to_string())
    }
}

/// The error for arguments of two to eight that are not a tuple but `what`.
fn not_a_tuple(what: &str) -> Unsplittable {
    Unsplittable(format!("the arguments of a function of 2 to 8 are a tuple, not {what}"))
}

/// `Serializer` methods for what `Split` refuses: `fn name(self, _: T) -> Err(…)`.
macro_rules! refuse {
    ($($method:ident($($ty:ty),*) $what:literal;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<Vec<u8>, Unsplittable> {
            Err(not_a_tuple($what))
        }
    )*};
}

impl<'a> serde::Serializer for Split<'a> {
    type Ok = Vec<u8>;
    type Error = Unsplittable;
    type SerializeSeq = Impossible<Vec<u8>, Unsplittable>;
    type SerializeTuple = Elements<'a>;
    type SerializeTupleStruct = Impossible<Vec<u8>, Unsplittable>;
    type SerializeTupleVariant = Impossible<Vec<u8>, Unsplittable>;
    type SerializeMap = Impossible<Vec<u8>, Unsplittable>;
    type SerializeStruct = Impossible<Vec<u8>, Unsplittable>;
    type SerializeStructVariant = Impossible<Vec<u8>, Unsplittable>;

    refuse! {
        serialize_bool(bool) "a bool";
        serialize_i8(i8) "an integer";
        serialize_i16(i16) "an integer";
        serialize_i32(i32) "an integer";
        serialize_i64(i64) "an integer";
        serialize_i128(i128) "an integer";
        serialize_u8(u8) "an integer";
        serialize_u16(u16) "an integer";
        serialize_u32(u32) "an integer";
        serialize_u64(u64) "an integer";
        serialize_u128(u128) "an integer";
        serialize_f32(f32) "a float";
        serialize_f64(f64) "a float";
        serialize_char(char) "a char";
        serialize_str(&str) "a string";
        serialize_bytes(&[u8]) "bytes";
        serialize_none() "an `Option`";
        serialize_unit() "`()`";
        serialize_unit_struct(&'static str) "a struct";
        serialize_unit_variant(&'static str, u32, &'static str) "an enum";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Vec<u8>, Unsplittable> {
        Err(not_a_tuple("an `Option`"))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Vec<u8>, Unsplittable> {
        Err(not_a_tuple("a struct"))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Vec<u8>, Unsplittable> {
        Err(not_a_tuple("an enum"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsplittable> {
        Err(not_a_tuple("a sequence"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Elements<'a>, Unsplittable> {
        Ok(Elements { ignore: self.ignore, index: 0, out: Vec::with_capacity(len * 16) })
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsplittable> {
        Err(not_a_tuple("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsplittable> {
        Err(not_a_tuple("an enum"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsplittable> {
        Err(not_a_tuple("a map"))
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsplittable> {
        Err(not_a_tuple("a struct"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsplittable> {
        Err(not_a_tuple("an enum"))
    }
}

/// The elements of a tuple as [`Split`] encodes them: each kept one as its length (u64, little
/// endian) and its encoding, so that two arguments' bytes never run together.
struct Elements<'a> {
    /// The positions to leave out.
    ignore: &'a [usize],
    /// The position of the next element.
    index: usize,
    /// The encodings so far.
    out: Vec<u8>,
}

impl SerializeTuple for Elements<'_> {
    type Ok = Vec<u8>;
    type Error = Unsplittable;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsplittable> {
        if !self.ignore.contains(&self.index) {
            // The length goes first: write a placeholder, encode in place, then fill it in.
            let at = self.out.len();
            self.out.extend_from_slice(&[0; 8]);
            let len = bincode::serde::encode_into_std_write(
                value,
                &mut self.out,
                bincode::config::standard(),
            )
            .map_err(|err| Unsplittable(format!("argument {}: {err}", self.index)))?;
            self.out[at..at + 8].copy_from_slice(&(len as u64).to_le_bytes());
        }
        self.index += 1;
        Ok(())
    }

    fn end(self) -> Result<Vec<u8>, Unsplittable> {
        Ok(self.out)
    }
}

/// The entry file for `args` in the function's folder `folder` (`location/<folder(name)>`),
/// whose key hasher holds its [`prefix`], for a function of `arity` arguments of which those
/// at `ignore` are left out.
pub(crate) fn entry_path<A: Serialize>(
    folder: &Path,
    prefix: &blake3::Hasher,
    (arity, ignore): (usize, &[usize]),
    args: &A,
) -> Result<PathBuf, String> {
    let encoded = arguments(args, arity, ignore)?;
    let mut hasher = prefix.clone();
    hasher.update(&(encoded.len() as u64).to_le_bytes());
    hasher.update(&encoded);
    Ok(super::entry::file_in(folder, hasher.finalize().to_hex().as_str()))
}

/// A function's folder: its name, with characters outside `[A-Za-z0-9_-]` replaced by `_`,
/// at most 64 of them.
pub(crate) fn folder(name: &str) -> String {
    name.chars()
        .take(64)
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_pointers_and_trait_objects_are_opaque_closures_are_not() {
        fn item(x: u64) -> u64 {
            x
        }
        let closure = |x: u64| x;
        fn name_of<T>(_: &T) -> &'static str {
            type_name::<T>()
        }
        assert!(!opaque(name_of(&item)));
        assert!(!opaque(name_of(&closure)));
        assert!(opaque(name_of(&(item as fn(u64) -> u64))));
        let boxed: Box<dyn Fn(u64) -> u64> = Box::new(closure);
        assert!(opaque(name_of(&boxed)));
    }

    #[test]
    fn ignored_arguments_leave_the_key() {
        let prefix = |ignore| prefix(&KeyParts { identity: "f", name: "f", version: "", ignore });
        let dir = Path::new("c/f");
        let path =
            |ignore, args: &(u8, u8, u8)| entry_path(dir, &prefix(ignore), (3, ignore), args);
        let key = |ignore, args: (u8, u8, u8)| path(ignore, &args).unwrap();
        assert_eq!(key(&[1], (1, 2, 3)), key(&[1], (1, 9, 3)));
        assert_ne!(key(&[1], (1, 2, 3)), key(&[1], (1, 2, 4)));
        assert_ne!(key(&[], (1, 2, 3)), key(&[], (1, 9, 3)));
        // Ignoring another position is another key, even for the same remaining values.
        assert_ne!(key(&[0], (5, 5, 5)), key(&[1], (5, 5, 5)));
        let err = path(&[3], &(1, 2, 3)).unwrap_err();
        assert!(err.contains("argument 3, but the function takes 3"), "{err}");
        // Ignoring the only argument, or every one, leaves a key that does not depend on them.
        let prefix1 = prefix(&[0]);
        let one = |x: u8| entry_path(dir, &prefix1, (1, &[0]), &x).unwrap();
        assert_eq!(one(1), one(2));
        let all = prefix(&[0, 1, 2]);
        let three = |x: (u8, u8, u8)| entry_path(dir, &all, (3, &[0, 1, 2]), &x).unwrap();
        assert_eq!(three((1, 2, 3)), three((4, 5, 6)));
    }

    #[test]
    fn values_that_json_conflates_get_distinct_keys() {
        let prefix = prefix(&KeyParts { identity: "f", name: "f", version: "", ignore: &[] });
        let dir = Path::new("c/f");
        fn distinct(keys: &[PathBuf]) {
            for (i, a) in keys.iter().enumerate() {
                for b in &keys[i + 1..] {
                    assert_ne!(a, b);
                }
            }
        }
        let one = |x: f64| entry_path(dir, &prefix, (1, &[]), &x).unwrap();
        distinct(&[one(f64::NAN), one(f64::INFINITY), one(f64::NEG_INFINITY), one(0.0), one(-0.0)]);
        assert_eq!(one(f64::NAN), one(f64::NAN), "deterministic");
        let opt = |x: Option<Option<()>>| entry_path(dir, &prefix, (1, &[]), &x).unwrap();
        distinct(&[opt(None), opt(Some(None)), opt(Some(Some(())))]);
        // Two arguments: nesting moves bytes between positions, the length prefixes see it.
        let two = |x: &dyn erased::Pair| x.path(dir, &prefix);
        distinct(&[
            two(&((1u8, 2u8), 3u8)),
            two(&(1u8, (2u8, 3u8))),
            two(&((1u8, 2u8), ())),
            two(&((), (1u8, 2u8))),
            two(&(None::<u8>, Some(None::<u8>))),
            two(&(Some(None::<u8>), None::<u8>)),
            two(&(f64::INFINITY, f64::NAN)),
            two(&(f64::NAN, f64::INFINITY)),
        ]);
        // One argument that is a pair is not two arguments.
        let pair = entry_path(dir, &prefix, (1, &[]), &(1u8, 2u8)).unwrap();
        distinct(&[pair, entry_path(dir, &prefix, (2, &[]), &(1u8, 2u8)).unwrap()]);
        // Ignored positions still leave the key with these values.
        let ignoring =
            super::prefix(&KeyParts { identity: "f", name: "f", version: "", ignore: &[1] });
        let kept = |x: &(f64, f64)| entry_path(dir, &ignoring, (2, &[1]), x).unwrap();
        assert_eq!(kept(&(f64::NAN, 1.0)), kept(&(f64::NAN, f64::INFINITY)));
        assert_ne!(kept(&(f64::INFINITY, 1.0)), kept(&(f64::NEG_INFINITY, 1.0)));
        // Two to eight arguments must be a tuple.
        let err = entry_path(dir, &prefix, (2, &[]), &vec![1u8, 2]).unwrap_err();
        assert!(err.contains("are a tuple, not a sequence"), "{err}");
    }

    /// Pairs of different types behind one type, to list them together.
    mod erased {
        use super::*;

        pub(super) trait Pair {
            fn path(&self, dir: &Path, prefix: &blake3::Hasher) -> PathBuf;
        }

        impl<T: Serialize> Pair for T {
            fn path(&self, dir: &Path, prefix: &blake3::Hasher) -> PathBuf {
                entry_path(dir, prefix, (2, &[]), self).unwrap()
            }
        }
    }
}
