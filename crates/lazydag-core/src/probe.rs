//! Support for the `delayed!` and `try_delayed!` macros. Not public API: names and signatures
//! here change without notice.
//!
//! The macros see concrete types at the call site, which generic code cannot. They use
//! *autoref specialization* (method resolution prefers a receiver that needs fewer `&`) to ask
//! two questions no trait bound can answer in stable Rust:
//! - is this argument a `Delayed<A>` (a dependency) or a plain value (a new literal node)?
//! - is this output type `Clone` (so its value may feed several consumers) or not?
//!
//! # How `delayed!(f(a, b))` decides, at compile time
//!
//! The macro (`macros.rs`) counts the arguments, picks the recorder `r0`…`r8`, and wraps each
//! argument in an [`ArgProbe`]. It then calls `(&ArgProbe::new(arg)).__lazydag_arg()`. Method
//! resolution prefers a candidate that needs fewer auto-references, so the first match below
//! wins:
//!
//! 1. `Delayed<A>` or `&Delayed<A>`: an inherent method matches. The argument becomes a
//!    **dependency**: the handle is moved in, or cloned if it was borrowed.
//! 2. Any other `T: Debug`: the `DebugArg` trait matches. The argument becomes a **literal
//!    node** that can render itself with `Debug` (cut to 40 characters), so DOT shows its
//!    value.
//! 3. Any other `T`: `PlainArg`, which is implemented for `&ArgProbe<T>` and so needs one more
//!    autoref, matches. The argument becomes a literal node that DOT labels `literal`.
//!
//! The macro probes for `Clone` and `Tokenize` the same way, in one call:
//! `(&&&CloneProbe(&handle)).__lazydag_clone()`. It does this for every argument's handle
//! (dependencies included) and for the new task's own output. `CloneTokenKnown` (both),
//! `CloneKnown`, `TokenKnown` and `CloneUnknown` (neither) each need one auto-deref more than
//! the one before, so the first whose bounds hold wins; it records the type's static
//! `ValueOps` (its cloner and/or tokenizer) in the node: one pointer, set without a lock (a
//! load, and a compare-exchange only when the pair is new to the node), and nothing is hashed
//! until a pure task needs a literal's key. No `Clone` bound is ever required. The probe sees
//! the types at the macro call site, so inside generic code a type parameter counts as
//! `Debug` or `Clone` only if the bounds in scope say so. `try_delayed!` works the same way for functions that
//! return `Result<T, E>`.
//!
//! # Compile errors that name the argument
//!
//! Each recorder `rN` also takes the arguments' own value types (`value_type`, read from the
//! converted handles before they meet the function's parameters) and bounds each with a
//! sealed trait `ArgK<P>` implemented only for `P` itself. A mismatch then fails that bound,
//! whose `#[diagnostic::on_unimplemented]` message names the argument's position, its type and
//! the parameter's type (rustc's own "mismatched types" follows it). The parameters stay
//! plain `Delayed<A>` handles, so inference works as before in both directions (a literal
//! fixes an unannotated closure parameter, a parameter fixes a `collect()` before it). Method
//! calls and more than 8 arguments are caught earlier, by `compile_error!` rules in
//! `macros.rs`. `tests/compile_errors/*.stderr` pins every message.

use std::cell::Cell;
use std::fmt::{Debug, Write as _};

use crate::delayed::Delayed;
use crate::identity::Tokenize;
use crate::node::{Literal, Node, OpsOf, deps};

/// Wraps one macro argument until the probe decides what it is.
pub struct ArgProbe<T>(Cell<Option<T>>);

impl<T> std::fmt::Debug for ArgProbe<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArgProbe(..)")
    }
}

impl<T> ArgProbe<T> {
    /// Wraps an argument.
    pub fn new(value: T) -> Self {
        ArgProbe(Cell::new(Some(value)))
    }

    fn take(&self) -> T {
        self.0.take().expect("a macro argument is converted once")
    }
}

impl<A: Send + 'static> ArgProbe<Delayed<A>> {
    /// A handle argument is a dependency.
    pub fn __lazydag_arg(&self) -> Delayed<A> {
        self.take()
    }
}

impl<A: Send + 'static> ArgProbe<&Delayed<A>> {
    /// A borrowed handle argument is a dependency; the handle stays usable.
    pub fn __lazydag_arg(&self) -> Delayed<A> {
        self.take().clone()
    }
}

impl<A: Send + 'static> ArgProbe<Vec<Delayed<A>>> {
    /// A `Vec` of handles is gathered into one dependency of type `Vec<A>`.
    pub fn __lazydag_arg(&self) -> Delayed<Vec<A>> {
        self.take().into_iter().collect()
    }
}

impl<A: Send + 'static> ArgProbe<&Vec<Delayed<A>>> {
    /// A borrowed `Vec` of handles is gathered into one dependency of type `Vec<A>`.
    pub fn __lazydag_arg(&self) -> Delayed<Vec<A>> {
        self.take().iter().collect()
    }
}

impl<A: Send + 'static> ArgProbe<&[Delayed<A>]> {
    /// A slice of handles is gathered into one dependency of type `Vec<A>`.
    pub fn __lazydag_arg(&self) -> Delayed<Vec<A>> {
        self.take().iter().collect()
    }
}

/// A plain argument whose type is `Debug` becomes a literal that DOT can show.
pub trait DebugArg {
    /// The literal's type.
    type Out;
    /// Converts the argument.
    fn __lazydag_arg(&self) -> Delayed<Self::Out>;
}

impl<T: Debug + Send + 'static> DebugArg for ArgProbe<T> {
    type Out = T;
    fn __lazydag_arg(&self) -> Delayed<T> {
        literal(self.take(), Some(render::<T>))
    }
}

/// Any other plain argument becomes a literal.
pub trait PlainArg {
    /// The literal's type.
    type Out;
    /// Converts the argument.
    fn __lazydag_arg(&self) -> Delayed<Self::Out>;
}

impl<T: Send + 'static> PlainArg for &ArgProbe<T> {
    type Out = T;
    fn __lazydag_arg(&self) -> Delayed<T> {
        literal(self.take(), None)
    }
}

fn literal<T: Send + 'static>(value: T, describe: Option<fn(&T) -> String>) -> Delayed<T> {
    Delayed::from_node(Node::new(&"literal", deps![], Literal::new(value, describe)))
}

/// Renders a literal for DOT labels, cut to a readable length.
fn render<T: Debug>(value: &T) -> String {
    const MAX: usize = 40;
    let mut text = String::new();
    let _ = write!(text, "{value:?}");
    if text.chars().count() > MAX {
        text = text.chars().take(MAX - 1).collect();
        text.push('…');
    }
    text
}

/// Looks at a recorded handle to learn whether its type is `Clone` and whether it is
/// `Tokenize`: the macro calls `(&&&CloneProbe(&handle)).__lazydag_clone()`, and the first
/// impl below whose bounds hold wins (each needs one `&` fewer than the one before).
#[derive(Debug)]
pub struct CloneProbe<'a, T>(pub &'a Delayed<T>);

impl<T> Clone for CloneProbe<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for CloneProbe<'_, T> {}

/// The type is `Clone` and `Tokenize`: record the cloner and the tokenizer (one lock).
pub trait CloneTokenKnown {
    /// Records the cloner and the tokenizer.
    fn __lazydag_clone(&self);
}

impl<T: Clone + Tokenize + Send + 'static> CloneTokenKnown for &&CloneProbe<'_, T> {
    fn __lazydag_clone(&self) {
        self.0.node.set_ops(&OpsOf::<T>::BOTH);
    }
}

/// The type is `Clone`: record how to clone it.
pub trait CloneKnown {
    /// Records the cloner.
    fn __lazydag_clone(&self);
}

impl<T: Clone + Send + 'static> CloneKnown for &CloneProbe<'_, T> {
    fn __lazydag_clone(&self) {
        self.0.node.set_ops(&OpsOf::<T>::CLONE);
    }
}

/// The type is `Tokenize` but not `Clone`: record the tokenizer.
pub trait TokenKnown {
    /// Records the tokenizer.
    fn __lazydag_clone(&self);
}

impl<T: Tokenize + Send + 'static> TokenKnown for CloneProbe<'_, T> {
    fn __lazydag_clone(&self) {
        self.0.node.set_ops(&OpsOf::<T>::TOKEN);
    }
}

/// Neither: nothing to record.
pub trait CloneUnknown {
    /// Does nothing.
    fn __lazydag_clone(self);
}

impl<T> CloneUnknown for CloneProbe<'_, T> {
    fn __lazydag_clone(self) {}
}

/// The value type of a converted argument, for the argument checks: taken from the handle
/// *before* it meets the function's parameter, so a mismatch fails the check (naming the
/// argument) and not only the call.
pub fn value_type<T>(_: &Delayed<T>) -> std::marker::PhantomData<T> {
    std::marker::PhantomData
}

/// Seals the argument checks: only the blanket impls exist, so an argument's value type is
/// exactly the parameter type the task downcasts to.
mod sealed {
    pub trait Same<P> {}
    impl<T> Same<T> for T {}
}

/// Checks the 1st argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 1st argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 1 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg1<P>: sealed::Same<P> {}
impl<T> Arg1<T> for T {}

/// Checks the 2nd argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 2nd argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 2 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg2<P>: sealed::Same<P> {}
impl<T> Arg2<T> for T {}

/// Checks the 3rd argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 3rd argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 3 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg3<P>: sealed::Same<P> {}
impl<T> Arg3<T> for T {}

/// Checks the 4th argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 4th argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 4 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg4<P>: sealed::Same<P> {}
impl<T> Arg4<T> for T {}

/// Checks the 5th argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 5th argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 5 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg5<P>: sealed::Same<P> {}
impl<T> Arg5<T> for T {}

/// Checks the 6th argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 6th argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 6 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg6<P>: sealed::Same<P> {}
impl<T> Arg6<T> for T {}

/// Checks the 7th argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 7th argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 7 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg7<P>: sealed::Same<P> {}
impl<T> Arg7<T> for T {}

/// Checks the 8th argument of a `delayed!` call against the function's parameter type, so
/// that a mismatch names the argument.
#[diagnostic::on_unimplemented(
    message = "the 8th argument of this `delayed!` call is a `{Self}`, but the function takes a `{P}` there",
    label = "argument 8 has the wrong type",
    note = "a `Delayed<T>` or `&Delayed<T>` argument stands for its value (a `T`); any other argument is a literal of its own type"
)]
pub trait Arg8<P>: sealed::Same<P> {}
impl<T> Arg8<T> for T {}

macro_rules! recorders {
    (plain: $($fname:ident ($($arg:ident $handle:ident $t:ident $check:ident),*);)*) => {$(
        /// Records a task of this arity.
        #[allow(clippy::too_many_arguments)]
        pub fn $fname<Fun, Out, $($arg,)* $($t),*>(
            name: &'static &'static str,
            f: Fun,
            _types: ($(std::marker::PhantomData<$t>,)*),
            $($handle: Delayed<$arg>,)*
        ) -> Delayed<Out>
        where
            Fun: Fn($($arg),*) -> Out + Send + Sync + 'static,
            Out: Send + 'static,
            $($arg: Send + 'static,)*
            $($t: super::$check<$arg>,)*
        {
            let deps = deps![$($handle.node),*];
            let task = Task::<Fun, ($($arg,)*), Plain>::new(f);
            Delayed::from_node(Node::new(name, deps, task))
        }
    )*};
    (asynchronous: $($rest:tt)*) => {
        async_recorders! { $($rest)* }
    };
    (fallible_async: $($rest:tt)*) => {
        fallible_async_recorders! { $($rest)* }
    };
    (fallible: $($fname:ident ($($arg:ident $handle:ident $t:ident $check:ident),*);)*) => {$(
        /// Records a fallible task of this arity.
        #[allow(clippy::too_many_arguments)]
        pub fn $fname<Fun, Out, Err, $($arg,)* $($t),*>(
            name: &'static &'static str,
            f: Fun,
            _types: ($(std::marker::PhantomData<$t>,)*),
            $($handle: Delayed<$arg>,)*
        ) -> Delayed<Out>
        where
            Fun: Fn($($arg),*) -> Result<Out, Err> + Send + Sync + 'static,
            Out: Send + 'static,
            Err: std::error::Error + Send + Sync + 'static,
            $($arg: Send + 'static,)*
            $($t: super::$check<$arg>,)*
        {
            let deps = deps![$($handle.node),*];
            let task = Task::<Fun, ($($arg,)*), Fallible>::new(f);
            Delayed::from_node(Node::new(name, deps, task))
        }
    )*};
}

macro_rules! async_recorders {
    ($($fname:ident ($($arg:ident $handle:ident $t:ident $check:ident),*);)*) => {$(
        /// Records an async task of this arity.
        #[allow(clippy::too_many_arguments)]
        pub fn $fname<Fun, Fut, $($arg,)* $($t),*>(
            name: &'static &'static str,
            f: Fun,
            _types: ($(std::marker::PhantomData<$t>,)*),
            $($handle: Delayed<$arg>,)*
        ) -> Delayed<Fut::Output>
        where
            Fun: Fn($($arg),*) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future + Send + 'static,
            Fut::Output: Send + 'static,
            $($arg: Send + 'static,)*
            $($t: super::$check<$arg>,)*
        {
            let deps = deps![$($handle.node),*];
            let task = AsyncTask::<Fun, ($($arg,)*), Plain>::new(f);
            Delayed::from_node(Node::new(name, deps, task))
        }
    )*};
}

macro_rules! fallible_async_recorders {
    ($($fname:ident ($($arg:ident $handle:ident $t:ident $check:ident),*);)*) => {$(
        /// Records a fallible async task of this arity.
        #[allow(clippy::too_many_arguments)]
        pub fn $fname<Fun, Fut, Out, Err, $($arg,)* $($t),*>(
            name: &'static &'static str,
            f: Fun,
            _types: ($(std::marker::PhantomData<$t>,)*),
            $($handle: Delayed<$arg>,)*
        ) -> Delayed<Out>
        where
            Fun: Fn($($arg),*) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = Result<Out, Err>> + Send + 'static,
            Out: Send + 'static,
            Err: std::error::Error + Send + Sync + 'static,
            $($arg: Send + 'static,)*
            $($t: super::$check<$arg>,)*
        {
            let deps = deps![$($handle.node),*];
            let task = AsyncTask::<Fun, ($($arg,)*), Fallible>::new(f);
            Delayed::from_node(Node::new(name, deps, task))
        }
    )*};
}

macro_rules! arities {
    ($mode:ident) => {
        recorders! { $mode:
            r0();
            r1(A1 a1 T1 Arg1);
            r2(A1 a1 T1 Arg1, A2 a2 T2 Arg2);
            r3(A1 a1 T1 Arg1, A2 a2 T2 Arg2, A3 a3 T3 Arg3);
            r4(A1 a1 T1 Arg1, A2 a2 T2 Arg2, A3 a3 T3 Arg3, A4 a4 T4 Arg4);
            r5(A1 a1 T1 Arg1, A2 a2 T2 Arg2, A3 a3 T3 Arg3, A4 a4 T4 Arg4, A5 a5 T5 Arg5);
            r6(A1 a1 T1 Arg1, A2 a2 T2 Arg2, A3 a3 T3 Arg3, A4 a4 T4 Arg4, A5 a5 T5 Arg5, A6 a6 T6 Arg6);
            r7(A1 a1 T1 Arg1, A2 a2 T2 Arg2, A3 a3 T3 Arg3, A4 a4 T4 Arg4, A5 a5 T5 Arg5, A6 a6 T6 Arg6, A7 a7 T7 Arg7);
            r8(A1 a1 T1 Arg1, A2 a2 T2 Arg2, A3 a3 T3 Arg3, A4 a4 T4 Arg4, A5 a5 T5 Arg5, A6 a6 T6 Arg6, A7 a7 T7 Arg7, A8 a8 T8 Arg8);
        }
    };
}

/// Recorders for tasks that return a plain value.
pub mod plain {
    use super::{Delayed, Node, deps};
    use crate::node::{Plain, Task};

    arities!(plain);
}

/// Recorders for tasks that return `Result<T, E>`.
pub mod fallible {
    use super::{Delayed, Node, deps};
    use crate::node::{Fallible, Task};

    arities!(fallible);
}

/// Recorders for async tasks: the function returns a future.
pub mod asynchronous {
    use super::{Delayed, Node, deps};
    use crate::node::{AsyncTask, Plain};

    arities!(asynchronous);
}

/// Recorders for async tasks whose future returns `Result<T, E>`.
pub mod fallible_async {
    use super::{Delayed, Node, deps};
    use crate::node::{AsyncTask, Fallible};

    arities!(fallible_async);
}
