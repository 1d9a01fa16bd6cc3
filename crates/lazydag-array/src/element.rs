//! [`Element`]: the types an array can hold.
//!
//! Conversions go through `f64` ([`Element::to_f64`], [`Element::from_f64`]), which is exact
//! for every supported type except `i64` beyond ±2^53 (as in NumPy's `astype(float)`).

use std::fmt::Debug;

/// An element type of an [`Array`](crate::Array): `f64`, `f32`, `i64`, `i32`, `u8` or
/// `bool`. Numeric operations additionally ask for the matching `std::ops` trait.
pub trait Element:
    Copy + Clone + Debug + Default + PartialEq + PartialOrd + Send + Sync + 'static
{
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

macro_rules! numeric {
    ($($t:ty => $descr:literal),*) => {$(
        impl Element for $t {
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

numeric!(f64 => "<f8", f32 => "<f4", i64 => "<i8", i32 => "<i4", u8 => "|u1");

impl Element for bool {
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
