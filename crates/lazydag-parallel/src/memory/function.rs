//! [`CachedFn`]: what [`Memory::cache`](super::Memory::cache) can memoize, a function of 0 to
//! 8 arguments, called with its arguments as one value ([`CachedFn::Args`]).
//!
//! Invariant: one argument is passed as itself (its key hashes the bincode of that value),
//! none as `()` (nothing to hash), and two to eight as a tuple (each argument's bincode,
//! length-prefixed, so that ignoring one leaves the others' positions apart; see `key`).
//! The `Marker` parameter (the function's `fn` pointer type) tells the impls apart, so that a
//! closure's arity picks its impl with nothing to annotate; it is also the type of a `fn`
//! pointer to such a function, which is how `Memory::cache` recognizes one (and takes its
//! address, [`CachedFn::address`]) without `unsafe`.

/// A function [`Memory::cache`](super::Memory::cache) can memoize: any `Fn` of 0 to 8
/// arguments. [`Cached::call`](super::Cached::call) takes the arguments as one value: `()`
/// for none, the value itself for one, a tuple `(a, b, …)` for two to eight.
///
/// ```
/// use lazydag_parallel::Memory;
/// # fn main() -> Result<(), lazydag_parallel::Error> {
/// let dir = tempfile::tempdir().unwrap();
/// let memory = Memory::new(dir.path());
/// fn volume(w: u32, h: u32, d: u32) -> u32 { w * h * d }
/// assert_eq!(memory.cache("volume", volume).call((2, 3, 4))?, 24);
/// assert_eq!(memory.cache("answer", || 42).call(())?, 42);
/// assert_eq!(memory.cache("double", |x: u32| 2 * x).call(21)?, 42);
/// # Ok(())
/// # }
/// ```
///
/// Nine arguments are one too many (the error says to take a struct or a tuple):
///
/// ```compile_fail,E0277
/// use lazydag_parallel::Memory;
/// let memory = Memory::new("unused");
/// let nine = |a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8, i: u8| a + b + c + d + e + f + g + h + i;
/// memory.cache("nine", nine).call((1, 2, 3, 4, 5, 6, 7, 8, 9));
/// ```
#[diagnostic::on_unimplemented(
    message = "`Memory::cache` memoizes functions of 0 to 8 arguments, and this is not one",
    label = "a function of 0 to 8 arguments was expected here",
    note = "call the cached function with its arguments as one value: `cached.call(x)` for one \
            argument, `cached.call((a, b))` for two to eight, `cached.call(())` for none",
    note = "with more than 8 arguments, take them as a struct or a tuple (one argument)"
)]
pub trait CachedFn<Marker> {
    /// The arguments as one value: `()`, the argument itself, or a tuple of 2 to 8.
    type Args;
    /// What the function returns.
    type Output;
    /// How many arguments the function takes (0 to 8): the positions
    /// [`Cached::ignore`](super::Cached::ignore) may name are `0..ARITY`.
    const ARITY: usize;
    /// Calls the function with `args` spread into its arguments.
    fn call_with(&self, args: Self::Args) -> Self::Output;
    /// The address of a function pointer of the marker's type: how
    /// [`Memory::cache`](super::Memory::cache) tells two `fn` pointers of one signature apart
    /// (they share a type). Not for calling directly.
    #[doc(hidden)]
    fn address(pointer: &Marker) -> usize;
}

impl<F: Fn() -> R, R> CachedFn<fn() -> R> for F {
    type Args = ();
    type Output = R;
    const ARITY: usize = 0;
    fn call_with(&self, (): ()) -> R {
        self()
    }
    fn address(pointer: &fn() -> R) -> usize {
        *pointer as usize
    }
}

impl<F: Fn(A) -> R, A, R> CachedFn<fn(A) -> R> for F {
    type Args = A;
    type Output = R;
    const ARITY: usize = 1;
    fn call_with(&self, a: A) -> R {
        self(a)
    }
    fn address(pointer: &fn(A) -> R) -> usize {
        *pointer as usize
    }
}

/// `CachedFn` for a function of two or more arguments, taken as a tuple.
macro_rules! cached_fn {
    ($($arg:ident),+) => {
        impl<F: Fn($($arg),+) -> R, $($arg,)+ R> CachedFn<fn($($arg),+) -> R> for F {
            type Args = ($($arg,)+);
            type Output = R;
            const ARITY: usize = [$(stringify!($arg)),+].len();
            #[allow(non_snake_case)]
            fn call_with(&self, ($($arg,)+): Self::Args) -> R {
                self($($arg),+)
            }
            fn address(pointer: &fn($($arg),+) -> R) -> usize {
                *pointer as usize
            }
        }
    };
}

cached_fn!(A, B);
cached_fn!(A, B, C);
cached_fn!(A, B, C, D);
cached_fn!(A, B, C, D, E);
cached_fn!(A, B, C, D, E, G);
cached_fn!(A, B, C, D, E, G, H);
cached_fn!(A, B, C, D, E, G, H, I);
