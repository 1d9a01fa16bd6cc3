//! Content keys of recorded nodes, and the cached-task op.
//!
//! A **pure** task's key is the blake3 digest of: its function's path (`type_name` of the fn
//! item), the function's build fingerprint (its `TypeId`, which the compiler derives from the
//! function's path and its crate's identity: name, version, Cargo's `-C metadata`, the
//! toolchain), the user's `version`, how it settles (plain, fallible, async), and its inputs'
//! keys in argument order. A literal input's key is its type's name and build fingerprint
//! (`TypeId`) and its [`Tokenize`] encoding (none when the encoding fails); a gathering node (a `Vec` of handles) is keyed from its elements.
//!
//! Invariants:
//! - A node's key is computed once, when it is made pure (or, for a literal, when the first
//!   pure consumer asks), and kept in the node: an `Arc`'d input used by a thousand pure tasks
//!   is hashed once, and planning only reads keys.
//! - A pure task over an impure input gets no key (it stays impure, with its counter id
//!   only): a key must never stand for a value it does not determine. The same holds for a
//!   closure (its captures are not hashed, and two closures of one function share a type
//!   name) and for a function pointer or trait object (one type for many functions).
//! - [`Cached`] never stores an `Err` (a failing task never reaches it), and a value that does
//!   not decode is a miss, never a wrong value.
//!
//! [`Tokenize`]: crate::Tokenize

use std::sync::{Arc, Mutex};

use smallvec::SmallVec;

use crate::identity::{ContentKey, FeedKey, TaskStore};
use crate::node::{Failure, Node, Op, Probe, StoreId};
use crate::sync::lock_std;
use crate::value::{Cloner, Value};

/// Whether a function with this `type_name` can have a content key: a named fn item, not a
/// closure, a function pointer (`fn(i64) -> i64` names every such function) or a trait object.
fn nameable(path: &str) -> bool {
    // A closure's path ends in `{{closure}}`; a trait object hides in generics (`Box<dyn ..>`)
    // or behind `&`; a function pointer's "path" is its signature. Checked from the ends, so
    // a named function costs a few byte comparisons.
    let closure = path.ends_with("}}");
    let object = path.ends_with('>') && path.contains("dyn ");
    // `Box<F>` is `Fn` for any `F: Fn`: a boxed closure or function pointer hides inside.
    let boxed = path.starts_with("alloc::boxed::Box<");
    let pointer = matches!(path.as_bytes().first(), Some(b'f' | b'u' | b'e' | b'&'))
        && (path.starts_with("fn(")
            || path.starts_with("unsafe ")
            || path.starts_with("extern ")
            || path.starts_with('&'));
    !(closure || object || boxed || pointer)
}

/// The content key of function task `node` at `version`, if it can have one: computed from
/// its function's identity and its inputs' keys (see the module docs). `None` leaves the task
/// impure.
pub(crate) fn task_key(node: &Node, version: u32) -> Option<ContentKey> {
    let identity = node.op.identity()?;
    if !nameable(identity.path) {
        return None;
    }
    let mut inputs: SmallVec<[ContentKey; 4]> = SmallVec::with_capacity(node.deps.len());
    for dep in node.deps.iter() {
        inputs.push(input_key(dep)?);
    }
    // v2: cached values are bincode (v1 entries held MessagePack); a new tag means old entries
    // are simply not found, never decoded as the new encoding.
    Some(ContentKey::of("lazydag-task-v2", |h| {
        h.write_str(identity.path);
        std::hash::Hash::hash(&identity.type_id, &mut FeedKey(h));
        h.write_raw(&version.to_le_bytes());
        h.write_str(identity.mode);
        h.write_len(inputs.len());
        for key in &inputs {
            h.write_key(key);
        }
    }))
}

/// The key of an input: its own, or (computed now and kept) a `Tokenize` literal's or a
/// gathering node's over keyed elements. `None` for an impure input.
pub(crate) fn input_key(dep: &Node) -> Option<ContentKey> {
    if let Some(key) = dep.content_key() {
        return Some(key);
    }
    let key = if dep.kind.literal {
        dep.op.literal_key(dep.tokenizer()?)?
    } else if dep.op.identity().is_some_and(|id| id.mode == "gather") {
        task_key(dep, 0)?
    } else {
        return None;
    };
    Some(dep.set_content_key(key))
}

/// A cached task (`Delayed::cache`): one input, the task whose value it stores under that
/// task's key.
///
/// Planned, it looks the key up ([`Op::probe`]): a value that decodes is kept here and the
/// collector plans this node as a literal, without its input; otherwise the input runs and
/// [`call`](Op::call) stores its value on the way through. A value once loaded is kept: the
/// key fixes the value, so later computes need not read the store again.
pub(crate) struct Cached<T> {
    store: Arc<dyn TaskStore>,
    /// The store's [`TaskStore::identity`], asked once.
    identity: Option<Arc<str>>,
    /// The value loaded from the store by a planning hit.
    loaded: Mutex<Option<T>>,
    /// The key and readable name of the input, as the last planning saw them.
    entry: Mutex<Option<(ContentKey, String)>>,
}

impl<T> Cached<T> {
    pub(crate) fn new(store: Arc<dyn TaskStore>) -> Self {
        let identity = store.identity().map(Arc::from);
        Cached { store, identity, loaded: Mutex::new(None), entry: Mutex::new(None) }
    }
}

impl<T> Op for Cached<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + 'static,
{
    fn is_literal(&self) -> bool {
        false
    }

    fn is_cached(&self) -> bool {
        true
    }

    fn store_id(&self) -> StoreId {
        match &self.identity {
            Some(name) => StoreId::Named(Arc::clone(name)),
            None => StoreId::Own(Arc::as_ptr(&self.store).cast::<()>() as usize),
        }
    }

    fn call(
        &self,
        inputs: &mut Vec<Value>,
        from: usize,
        _: Option<Cloner>,
    ) -> Result<Value, Failure> {
        if inputs.len() <= from {
            // Planned as a hit: the loaded value, for every use.
            return lock_std(&self.loaded)
                .clone()
                .map(Value::new)
                .ok_or(Failure::LiteralMoved { type_name: std::any::type_name::<T>() });
        }
        let value: T = inputs.drain(from..).next().expect("a cached task has one input").take();
        let entry = lock_std(&self.entry).clone();
        if let Some((key, task)) = entry {
            let stored = crate::codec::encode(&value)
                .and_then(|bytes| self.store.store(&key, &task, &bytes));
            if let Err(err) = stored {
                tracing::warn!(task = %task, key = %key, error = %err, "lazydag: could not store a cached task's value");
            }
        }
        Ok(Value::new(value))
    }

    fn output_type(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn probe(&self, deps: &[Arc<Node>]) -> Option<Probe> {
        let source = deps.first()?;
        let Some(key) = input_key(source) else {
            return Some(Probe::NoKey);
        };
        let task = source.key().name().to_owned();
        if lock_std(&self.loaded).is_some() {
            return Some(Probe::Hit);
        }
        let probe = match self
            .store
            .load(&key, &task)
            .map(|bytes| crate::codec::decode::<T>(&bytes))
        {
            Some(Ok(value)) => {
                *lock_std(&self.loaded) = Some(value);
                Probe::Hit
            }
            Some(Err(err)) => {
                tracing::warn!(task = %task, key = %key, error = %err, "lazydag: a cached value does not decode: running the task again");
                Probe::Miss
            }
            None => Probe::Miss,
        };
        *lock_std(&self.entry) = Some((key, task));
        Some(probe)
    }
}

#[cfg(test)]
mod tests {
    use super::nameable;

    #[test]
    fn only_named_functions_have_keys() {
        assert!(nameable("my_app::tasks::load"));
        assert!(nameable("my_app::parse<i64>"));
        assert!(nameable("<my_app::T as my_app::Step>::run"));
        assert!(!nameable("my_app::main::{{closure}}"));
        assert!(!nameable("fn(i64) -> i64"));
        assert!(!nameable("alloc::boxed::Box<dyn core::ops::function::Fn(i64) -> i64>"));
        assert!(!nameable("&dyn core::ops::function::Fn(i64) -> i64"));
        assert!(!nameable("unsafe fn(i64) -> i64"));
        assert!(!nameable("my_app::f<T>::{{closure}}"));
        assert!(nameable("extent::fit"));
        assert!(nameable("full::fit<alloc::vec::Vec<u8>>"));
    }
}
