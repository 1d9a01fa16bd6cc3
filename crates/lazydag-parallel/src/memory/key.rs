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
//! version, the ignored positions, the arguments' JSON), so no two different sets of parts
//! hash alike by concatenation. A function's folder is its name, sanitized: entries of two
//! functions under one name share a folder but not a file.

use std::any::{Any, TypeId, type_name};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lazydag_core::sync::std_locks::lock;
use serde::Serialize;

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
    hasher.update(b"lazydag-parallel memory key v2\0");
    for part in
        [parts.identity.as_bytes(), parts.name.as_bytes(), parts.version.as_bytes(), &ignored]
    {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher
}

/// The JSON of `args` less the arguments at the `ignore` positions: `args` itself when
/// nothing is ignored; otherwise the remaining arguments as a JSON array.
fn arguments_json<A: Serialize>(
    args: &A,
    arity: usize,
    ignore: &[usize],
) -> Result<Vec<u8>, String> {
    if let Some(&bad) = ignore.iter().find(|&&i| i >= arity) {
        return Err(format!(
            "`ignore` names argument {bad}, but the function takes {arity} (positions 0 to {})",
            arity.saturating_sub(1)
        ));
    }
    if ignore.is_empty() {
        return serde_json::to_vec(args).map_err(|err| err.to_string());
    }
    let kept: Vec<serde_json::Value> = if arity == 1 {
        Vec::new() // the only argument is ignored
    } else {
        // Two to eight arguments serialize as a tuple: a JSON array of `arity` values.
        match serde_json::to_value(args).map_err(|err| err.to_string())? {
            serde_json::Value::Array(values) => values
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !ignore.contains(i))
                .map(|(_, v)| v)
                .collect(),
            other => vec![other],
        }
    };
    serde_json::to_vec(&kept).map_err(|err| err.to_string())
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
    let json = arguments_json(args, arity, ignore)?;
    let mut hasher = prefix.clone();
    hasher.update(&(json.len() as u64).to_le_bytes());
    hasher.update(&json);
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
    }
}
