//! [`Element`]: the types an array can hold.
//!
//! Conversions between integer types (and `bool`) go through `i128`
//! ([`Element::to_i128`], [`Element::from_i128`]), exactly, wrapping where the target is
//! narrower as NumPy's `astype` does; conversions from floats go through `f64`
//! ([`Element::to_f64`], [`Element::from_f64`]).
//!
//! Sums, products and cumulative sums accumulate in [`Element::Acc`], NumPy's accumulator
//! type: `i64` for `i32` and `bool`, `u64` for `u8`, the type itself for `i64`, `u64` and
//! floats, so that the sum of many small integers does not overflow their type.

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

use num_traits::{One, Zero};

/// An element type of an [`Array`](crate::Array): `f64`, `f32`, `i64`, `i32`, `u64`, `u8`
/// or `bool`. Arithmetic additionally asks for [`Arith`] (and [`ArithNeg`] for `-x`, `abs`).
pub trait Element:
    Copy + Clone + Debug + Default + PartialEq + PartialOrd + Send + Sync + 'static
{
    /// The type sums, products and cumulative sums of this type accumulate in and return,
    /// as in NumPy: `i64` for `i32` and `bool`, `u64` for `u8`, the type itself otherwise.
    type Acc: Element<Acc = Self::Acc> + Arith + Zero + One;
    /// The value in the accumulator type (exact).
    fn to_acc(self) -> Self::Acc;
    /// The value as an `i128` for integer types and `bool` (exact); `None` for floats.
    fn to_i128(self) -> Option<i128>;
    /// The value `v` wrapped into the type (its low bits, as a C cast and NumPy's `astype`
    /// do) for integers, the nearest value for floats, `v != 0` for `bool`.
    fn from_i128(v: i128) -> Self;

    /// The NumPy type string of `.npy` files (`<f8`, `<i4`, `|b1`, ...).
    const NPY_DESCR: &'static str;
    /// The size of one element in bytes.
    const SIZE: usize;

    /// The value as an `f64` (`true` is 1).
    fn to_f64(self) -> f64;
    /// The value nearest to `v` (truncating towards zero for integers, saturating at the
    /// type's bounds; `v != 0` for `bool`).
    fn from_f64(v: f64) -> Self;
    /// The smallest value of the type, as an `f64`.
    fn min_f64() -> f64;
    /// The largest value of the type, as an `f64`.
    fn max_f64() -> f64;
    /// Appends the little-endian bytes of the value.
    fn write_le(self, out: &mut Vec<u8>);
    /// Reads a value from `SIZE` little-endian bytes.
    fn read_le(bytes: &[u8]) -> Self;
}

/// Arithmetic as NumPy does it, the same in every build profile: integers wrap on overflow
/// (Rust's own operators panic in a debug build and wrap in a release one), floats follow
/// IEEE. Integer division truncates towards zero, and a zero divisor panics, which fails the
/// task with an error naming it. The array operators (`+ - * /`) and the sums, products and
/// cumulative ops use it.
pub trait Arith:
    Element + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// `self + o`, wrapping for integers.
    fn add_w(self, o: Self) -> Self;
    /// `self - o`, wrapping for integers.
    fn sub_w(self, o: Self) -> Self;
    /// `self * o`, wrapping for integers.
    fn mul_w(self, o: Self) -> Self;
    /// `self / o`, wrapping for integers (`MIN / -1` is `MIN`).
    fn div_w(self, o: Self) -> Self;
}

macro_rules! arith_float {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn add_w(self, o: Self) -> Self {
                self + o
            }
            fn sub_w(self, o: Self) -> Self {
                self - o
            }
            fn mul_w(self, o: Self) -> Self {
                self * o
            }
            fn div_w(self, o: Self) -> Self {
                self / o
            }
        }
    )*};
}

macro_rules! arith_int {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn add_w(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn sub_w(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            fn mul_w(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            fn div_w(self, o: Self) -> Self {
                self.wrapping_div(o)
            }
        }
    )*};
}

arith_float!(f64, f32);
arith_int!(i64, i32, u64, u8);

/// Negation as NumPy does it: wrapping for signed integers (`-MIN` is `MIN`).
pub trait ArithNeg: Arith + Neg<Output = Self> {
    /// `-self`, wrapping for integers.
    fn neg_w(self) -> Self;
    /// `|self|`, wrapping for integers (`abs(MIN)` is `MIN`, as NumPy's).
    fn abs_w(self) -> Self;
}

macro_rules! arith_neg {
    ($neg:ident, $abs:ident: $($t:ty),*) => {$(
        impl ArithNeg for $t {
            fn neg_w(self) -> Self {
                self.$neg()
            }
            fn abs_w(self) -> Self {
                self.$abs()
            }
        }
    )*};
}

arith_neg!(neg, abs: f64, f32);
arith_neg!(wrapping_neg, wrapping_abs: i64, i32);

macro_rules! numeric {
    ($($t:ty => $descr:literal, $acc:ty, $int:literal);*) => {$(
        impl Element for $t {
            type Acc = $acc;
            fn to_acc(self) -> $acc {
                <$acc>::from(self)
            }
            fn to_i128(self) -> Option<i128> {
                // `as` is exact from every integer type; floats are not integers.
                $int.then_some(self as i128)
            }
            fn from_i128(v: i128) -> Self {
                v as $t
            }
            const NPY_DESCR: &'static str = $descr;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn min_f64() -> f64 {
                <$t>::MIN as f64
            }
            fn max_f64() -> f64 {
                <$t>::MAX as f64
            }
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(&bytes[..std::mem::size_of::<$t>()]);
                <$t>::from_le_bytes(b)
            }
        }
    )*};
}

numeric!(
    f64 => "<f8", f64, false;
    f32 => "<f4", f32, false;
    i64 => "<i8", i64, true;
    i32 => "<i4", i64, true;
    u64 => "<u8", u64, true;
    u8 => "|u1", u64, true
);

impl Element for bool {
    type Acc = i64;
    fn to_acc(self) -> i64 {
        i64::from(self)
    }
    fn to_i128(self) -> Option<i128> {
        Some(i128::from(self))
    }
    fn from_i128(v: i128) -> Self {
        v != 0
    }
    const NPY_DESCR: &'static str = "|b1";
    const SIZE: usize = 1;
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn min_f64() -> f64 {
        0.0
    }
    fn max_f64() -> f64 {
        1.0
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    fn read_le(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}
