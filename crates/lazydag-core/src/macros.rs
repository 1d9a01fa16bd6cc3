//! The recording macros: `delayed!`, `delayed_pure!`, `try_delayed!` and the async ones.

/// Records a call as a task, like `dask.delayed(f)(a, b)`: nothing runs until it is computed.
///
/// `delayed!(f(a, b, ...))` takes a function path or a parenthesized closure and 0 to 8
/// arguments. Each argument is
/// - a `Delayed<A>`: a dependency (the handle moves into the task),
/// - a `&Delayed<A>`: a dependency (the handle stays usable), or
/// - a `Vec<Delayed<A>>`, `&Vec<Delayed<A>>` or `&[Delayed<A>]`: gathered into one
///   dependency of type `Vec<A>` (like a list of delayed values passed to a dask function),
/// - a plain value of type `A`: it becomes a literal node of the graph.
///
/// The task's name is the function's name (`add`); a closure is named `closure`. Set another
/// with [`Delayed::name`](crate::Delayed::name).
///
/// Mistakes are compile errors that say what to do: an argument of the wrong type names its
/// position and both types (``the 2nd argument of this `delayed!` call is a `&str`, but the
/// function takes a `i64` there``); a method call (`delayed!(v.len())`) says to wrap the
/// method in a closure or use [`Delayed::map`](crate::Delayed::map); a ninth argument says to
/// group arguments into a tuple or a struct.
///
/// A value used by several tasks is cloned for all but the last. The macro sees concrete types
/// and records whether each argument and result is `Clone`; a value whose type is not `Clone`
/// can feed one task only, and using it twice is an [`Error::NotClone`](crate::Error) at compute
/// time. Put large data in an `Arc`.
///
/// ```
/// use lazydag_core::{delayed, Delayed};
/// fn square(x: i64) -> i64 { x * x }
/// fn add(x: i64, y: i64) -> i64 { x + y }
/// let x = delayed!(square(5));
/// let y = delayed!(square(10));
/// let z = delayed!(add(&x, y));                 // `x` stays usable
/// let w = delayed!((|a: i64, b: i64| a - b)(x, 1));
/// assert_eq!(z.compute().unwrap(), 125);
/// assert_eq!(w.compute().unwrap(), 24);
/// assert_eq!(z.key().name(), "add");
///
/// fn total(xs: Vec<i64>) -> i64 { xs.iter().sum() }
/// let squares: Vec<_> = (1..=3).map(|i| delayed!(square(i))).collect();
/// assert_eq!(delayed!(total(&squares)).compute().unwrap(), 14);
/// ```
///
/// Tasks run on other threads, so functions, arguments and results must be `Send`:
///
/// ```compile_fail,E0277
/// use lazydag_core::delayed;
/// use std::rc::Rc;
/// fn len(x: Rc<String>) -> usize { x.len() }
/// let n = delayed!(len(Rc::new(String::from("not Send"))));
/// ```
#[macro_export]
macro_rules! delayed {
    ($($call:tt)+) => {
        $crate::__delayed_split!(plain [] $($call)+)
    };
}

/// Records a call as a **pure** task: `delayed_pure!(f(a, b))` is
/// `delayed!(f(a, b)).pure()` (see [`Delayed::pure`](crate::Delayed::pure)), and
/// `delayed_pure!(f(a, b); version = 2)` is `delayed!(f(a, b)).pure_v(2)`.
///
/// ```
/// use lazydag_core::{delayed_pure, compute};
/// fn add(x: i64, y: i64) -> i64 { x + y }
/// let a = delayed_pure!(add(1, 2));
/// let b = delayed_pure!(add(1, 2));
/// assert!(a.content_key().is_some());
/// assert_eq!(a.content_key(), b.content_key());
/// assert_ne!(delayed_pure!(add(1, 2); version = 2).content_key(), a.content_key());
/// assert_eq!(compute((a, b)).unwrap(), (3, 3));
/// ```
#[macro_export]
macro_rules! delayed_pure {
    ($($call:tt)+) => {
        $crate::__delayed_pure!([] $($call)+)
    };
}

/// Splits `f(args); version = n` at the `;`.
#[doc(hidden)]
#[macro_export]
macro_rules! __delayed_pure {
    ([$($call:tt)+] ; version = $version:expr) => {
        $crate::__delayed_split!(plain [] $($call)+).pure_v($version)
    };
    ([$($call:tt)+]) => {
        $crate::__delayed_split!(plain [] $($call)+).pure()
    };
    ([$($call:tt)*] $next:tt $($rest:tt)*) => {
        $crate::__delayed_pure!([$($call)* $next] $($rest)*)
    };
}

/// Records a fallible call as a task: the function returns `Result<T, E>` with
/// `E: std::error::Error + Send + Sync + 'static`, the task's value is the `T`, and an `Err`
/// fails the compute with [`Error::Failed`](crate::Error::Failed) naming the task and keeping
/// `E` as its source.
///
/// Arguments work as in [`delayed!`].
///
/// ```
/// use lazydag_core::{try_delayed, Error};
/// fn parse(s: &'static str) -> Result<i32, std::num::ParseIntError> { s.parse() }
/// assert_eq!(try_delayed!(parse("42")).compute().unwrap(), 42);
///
/// let err = try_delayed!(parse("forty-two")).compute().unwrap_err();
/// assert!(matches!(&err, Error::Failed { task, .. } if task.name() == "parse"));
/// assert!(err.to_string().contains("invalid digit"));
/// ```
#[macro_export]
macro_rules! try_delayed {
    ($($call:tt)+) => {
        $crate::__delayed_split!(fallible [] $($call)+)
    };
}

/// Records an async call as a task: the function returns a future (an `async fn`, or a
/// closure returning an `async` block), and the task's value is the future's output.
///
/// Arguments work as in [`delayed!`]. The async scheduler awaits such tasks on tokio, so many
/// I/O-bound tasks overlap; the other schedulers run each one to completion on their worker
/// thread (inside lazydag's shared tokio runtime context, so tokio timers and I/O work).
///
/// ```
/// use std::time::Duration;
/// use lazydag_core::{delayed, delayed_async};
/// async fn fetch(id: u32) -> String {
///     tokio::time::sleep(Duration::from_millis(1)).await;
///     format!("record {id}")
/// }
/// fn shout(s: String) -> String { s.to_uppercase() }
/// let page = delayed!(shout(delayed_async!(fetch(7))));
/// assert_eq!(page.compute().unwrap(), "RECORD 7");
/// ```
#[macro_export]
macro_rules! delayed_async {
    ($($call:tt)+) => {
        $crate::__delayed_split!(asynchronous [] $($call)+)
    };
}

/// Records a fallible async call: the function returns a future of `Result<T, E>`; the task's
/// value is the `T`, and an `Err` fails the compute with
/// [`Error::Failed`](crate::Error::Failed) naming the task. Otherwise as [`delayed_async!`].
///
/// ```
/// use lazydag_core::{try_delayed_async, Error};
/// async fn fetch(id: u32) -> Result<String, std::io::Error> {
///     if id == 0 { Err(std::io::Error::other("no record 0")) } else { Ok(format!("record {id}")) }
/// }
/// assert_eq!(try_delayed_async!(fetch(3)).compute().unwrap(), "record 3");
/// let err = try_delayed_async!(fetch(0)).compute().unwrap_err();
/// assert!(matches!(&err, Error::Failed { task, .. } if task.name() == "fetch"));
/// ```
#[macro_export]
macro_rules! try_delayed_async {
    ($($call:tt)+) => {
        $crate::__delayed_split!(fallible_async [] $($call)+)
    };
}

/// Splits `f(args)` into the function tokens and the final argument group.
#[doc(hidden)]
#[macro_export]
macro_rules! __delayed_split {
    ($mode:ident [$($f:tt)+] ($($args:tt)*)) => {
        $crate::__delayed_call!($mode [$($f)+] $($args)*)
    };
    ($mode:ident [$($f:tt)+] . $($rest:tt)+) => {
        ::core::compile_error!(
            "`delayed!` records a call of a function or a closure, not a method call: \
             wrap the method in a closure that takes the receiver, \
             `delayed!((|v: Vec<i64>| v.len())(v))`, or chain it on a `Delayed`: \
             `d.map(|v| v.len())`"
        )
    };
    ($mode:ident [$($f:tt)*] $next:tt $($rest:tt)+) => {
        $crate::__delayed_split!($mode [$($f)* $next] $($rest)+)
    };
}

/// Picks the recorder for the number of arguments.
#[doc(hidden)]
#[macro_export]
macro_rules! __delayed_call {
    ($mode:ident [$($f:tt)+]) => {
        $crate::__delayed_emit!($mode r0 [$($f)+])
    };
    ($mode:ident [$($f:tt)+] $a1:expr $(,)?) => {
        $crate::__delayed_emit!($mode r1 [$($f)+] $a1 => __lazydag_a1)
    };
    ($mode:ident [$($f:tt)+] $a1:expr, $a2:expr $(,)?) => {
        $crate::__delayed_emit!($mode r2 [$($f)+] $a1 => __lazydag_a1, $a2 => __lazydag_a2)
    };
    ($mode:ident [$($f:tt)+] $a1:expr, $a2:expr, $a3:expr $(,)?) => {
        $crate::__delayed_emit!($mode r3 [$($f)+] $a1 => __lazydag_a1, $a2 => __lazydag_a2, $a3 => __lazydag_a3)
    };
    ($mode:ident [$($f:tt)+] $a1:expr, $a2:expr, $a3:expr, $a4:expr $(,)?) => {
        $crate::__delayed_emit!($mode r4 [$($f)+] $a1 => __lazydag_a1, $a2 => __lazydag_a2, $a3 => __lazydag_a3, $a4 => __lazydag_a4)
    };
    ($mode:ident [$($f:tt)+] $a1:expr, $a2:expr, $a3:expr, $a4:expr, $a5:expr $(,)?) => {
        $crate::__delayed_emit!($mode r5 [$($f)+] $a1 => __lazydag_a1, $a2 => __lazydag_a2, $a3 => __lazydag_a3, $a4 => __lazydag_a4, $a5 => __lazydag_a5)
    };
    ($mode:ident [$($f:tt)+] $a1:expr, $a2:expr, $a3:expr, $a4:expr, $a5:expr, $a6:expr $(,)?) => {
        $crate::__delayed_emit!($mode r6 [$($f)+] $a1 => __lazydag_a1, $a2 => __lazydag_a2, $a3 => __lazydag_a3, $a4 => __lazydag_a4, $a5 => __lazydag_a5, $a6 => __lazydag_a6)
    };
    ($mode:ident [$($f:tt)+] $a1:expr, $a2:expr, $a3:expr, $a4:expr, $a5:expr, $a6:expr,
        $a7:expr $(,)?) => {
        $crate::__delayed_emit!($mode r7 [$($f)+] $a1 => __lazydag_a1, $a2 => __lazydag_a2, $a3 => __lazydag_a3, $a4 => __lazydag_a4, $a5 => __lazydag_a5, $a6 => __lazydag_a6, $a7 => __lazydag_a7)
    };
    ($mode:ident [$($f:tt)+] $a1:expr, $a2:expr, $a3:expr, $a4:expr, $a5:expr, $a6:expr,
        $a7:expr, $a8:expr $(,)?) => {
        $crate::__delayed_emit!($mode r8 [$($f)+] $a1 => __lazydag_a1, $a2 => __lazydag_a2, $a3 => __lazydag_a3, $a4 => __lazydag_a4, $a5 => __lazydag_a5, $a6 => __lazydag_a6, $a7 => __lazydag_a7, $a8 => __lazydag_a8)
    };
    ($mode:ident [$($f:tt)+] $($args:expr),+ $(,)?) => {
        ::core::compile_error!(
            "`delayed!` takes at most 8 arguments, and this call has more: group some into a \
             tuple or a struct (`fn f(a: A, rest: (B, C))` recorded as `delayed!(f(a, (b, c)))`, \
             or make the tuple a task of its own and pass its `Delayed`)"
        )
    };
}

/// Converts each argument, records the task, and probes its output for `Clone`.
#[doc(hidden)]
#[macro_export]
macro_rules! __delayed_emit {
    ($mode:ident $arity:ident [$($f:tt)+] $($arg:expr => $name:ident),*) => {{
        #[allow(unused_imports)]
        use $crate::__private::{
            CloneKnown as _, CloneTokenKnown as _, CloneUnknown as _, DebugArg as _,
            PlainArg as _, TokenKnown as _,
        };
        $(
            let $name = {
                let __lazydag_arg = (&$crate::__private::ArgProbe::new($arg)).__lazydag_arg();
                (&&&$crate::__private::CloneProbe(&__lazydag_arg)).__lazydag_clone();
                __lazydag_arg
            };
        )*
        let __lazydag_task = $crate::__private::$mode::$arity(
            &::core::stringify!($($f)+),
            $($f)+,
            ($($crate::__private::value_type(&$name),)*),
            $($name),*
        );
        (&&&$crate::__private::CloneProbe(&__lazydag_task)).__lazydag_clone();
        __lazydag_task
    }};
}
