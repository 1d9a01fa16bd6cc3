//! [`Deps`]: a node's dependencies, and how a graph is freed without recursing over its depth.
//!
//! Invariants:
//! - A node's dependencies never change once recorded, except that dropping the node empties
//!   them ([`release`]): nothing reads a node that is being dropped.
//! - [`release`] never recurses: a dependency that is uniquely owned and has dependencies of
//!   its own is emptied here, with the next one in hand and any others on an explicit stack,
//!   so a 1,000,000-long chain drops in constant stack; every other dependency (shared, or a
//!   leaf) drops in place, at most one level down.
//!
//! # Cost
//!
//! An enum rather than a `SmallVec`: whether a node has dependencies is one compare of the
//! tag, and an emptied node's drop glue is inlined into the `Arc`'s, so freeing a node that
//! [`release`] already emptied runs no call of its own but the allocator's. Up to two
//! dependencies are inline (40 bytes, like the `SmallVec<[_; 2]>` it replaces); more are one
//! boxed slice.

use std::ops::Deref;
use std::sync::Arc;

use super::Node;

/// Dependencies of one node, in argument order: inline for up to two.
#[derive(Default)]
pub(crate) enum Deps {
    /// A literal, or a task without inputs.
    #[default]
    Zero,
    /// One input: a chain's link.
    One(Arc<Node>),
    /// Two inputs: a reduction's step.
    Two([Arc<Node>; 2]),
    /// Three or more.
    Many(Box<[Arc<Node>]>),
}

/// Builds [`Deps`] from a list of `Arc<Node>` expressions, like `vec!`.
macro_rules! deps {
    () => {
        $crate::node::Deps::Zero
    };
    ($a:expr $(,)?) => {
        $crate::node::Deps::One($a)
    };
    ($a:expr, $b:expr $(,)?) => {
        $crate::node::Deps::Two([$a, $b])
    };
    ($($x:expr),+ $(,)?) => {
        $crate::node::Deps::Many(Box::new([$($x),+]))
    };
}
pub(crate) use deps;

impl Deps {
    /// The dependencies as a slice.
    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &[Arc<Node>] {
        match self {
            Deps::Zero => &[],
            Deps::One(dep) => std::slice::from_ref(dep),
            Deps::Two(deps) => deps,
            Deps::Many(deps) => deps,
        }
    }

    /// Whether there are none: one compare of the tag (the slice's `is_empty` would first
    /// build the slice).
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Deps::Zero)
    }

    /// How many there are.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        match self {
            Deps::Zero => 0,
            Deps::One(_) => 1,
            Deps::Two(_) => 2,
            Deps::Many(deps) => deps.len(),
        }
    }

    /// Whether dropping the node that holds these could go deeper than one level: some
    /// dependency needs unlinking.
    #[inline(always)]
    pub(super) fn any_need_unlinking(&self) -> bool {
        match self {
            Deps::Zero => false,
            Deps::One(dep) => needs_unlinking(dep),
            Deps::Two([a, b]) => needs_unlinking(a) || needs_unlinking(b),
            Deps::Many(deps) => deps.iter().any(needs_unlinking),
        }
    }

    /// Empties these: returns the first dependency that needs unlinking, pushes any others
    /// that do onto `stack`, and drops the rest here.
    #[inline(always)]
    fn take_unlinking(&mut self, stack: &mut Vec<Arc<Node>>) -> Option<Arc<Node>> {
        match std::mem::take(self) {
            Deps::Zero => None,
            Deps::One(dep) => needs_unlinking(&dep).then_some(dep),
            Deps::Two([a, b]) => match (needs_unlinking(&a), needs_unlinking(&b)) {
                (true, true) => {
                    stack.push(b);
                    Some(a)
                }
                (true, false) => Some(a),
                (false, true) => Some(b),
                (false, false) => None,
            },
            Deps::Many(deps) => {
                let mut first = None;
                for dep in deps {
                    if needs_unlinking(&dep) {
                        match first {
                            None => first = Some(dep),
                            Some(_) => stack.push(dep),
                        }
                    }
                }
                first
            }
        }
    }
}

impl Deref for Deps {
    type Target = [Arc<Node>];

    #[inline(always)]
    fn deref(&self) -> &[Arc<Node>] {
        self.as_slice()
    }
}

impl FromIterator<Arc<Node>> for Deps {
    fn from_iter<I: IntoIterator<Item = Arc<Node>>>(deps: I) -> Self {
        let mut deps: Vec<Arc<Node>> = deps.into_iter().collect();
        match deps.len() {
            0 => Deps::Zero,
            1 => Deps::One(deps.pop().expect("one")),
            2 => {
                let b = deps.pop().expect("two");
                Deps::Two([deps.pop().expect("two"), b])
            }
            _ => Deps::Many(deps.into_boxed_slice()),
        }
    }
}

/// Whether dropping `dep` here could recurse further than one level: it is uniquely owned
/// (one load, no atomic read-modify-write) and has dependencies of its own.
#[inline(always)]
fn needs_unlinking(dep: &Arc<Node>) -> bool {
    Arc::strong_count(dep) == 1 && !dep.deps.is_empty()
}

/// Drops `deps`, the dependencies of a node being dropped, and empties every uniquely owned
/// node below it first, one at a time (see the module docs); out of line, so that dropping a
/// node without dependencies is a check, inline.
#[inline(never)]
pub(super) fn release(mut deps: Deps) {
    if !deps.any_need_unlinking() {
        return; // They drop here, at most one level deep.
    }
    let mut stack = Vec::new();
    let mut next = deps.take_unlinking(&mut stack);
    while let Some(mut dep) = next.take().or_else(|| stack.pop()) {
        if let Some(unique) = Arc::get_mut(&mut dep) {
            next = unique.deps.take_unlinking(&mut stack);
        }
        // `dep` drops here with no dependencies left, or as one of several owners (when
        // another thread dropped a handle to it meanwhile: then that handle's drop, or
        // this one, unlinks it with a stack of its own).
    }
}
