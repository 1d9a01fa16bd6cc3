//! Operator overloads (`&a + &b`, `&a * 2.0`, `2.0 - &a`, `-&a`) and the unary math
//! functions (`abs`, `sqrt`, `exp`, `ln`, `sin`, `cos`, `powi`).
//!
//! Every operator records one task per output block and broadcasts like NumPy; see
//! [`elementwise`](crate::elementwise). A shape mismatch gives an array holding the error
//! ([`Array::check`]), not a panic.

use std::ops::{Add, Div, Mul, Neg, Sub};

use num_traits::Float;

use crate::array::Array;
use crate::element::{Arith, ArithNeg, Element};

macro_rules! binary_op {
    ($Trait:ident, $method:ident, $name:literal, $w:ident) => {
        impl<T: Arith> $Trait<&Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                binary($name, &self, &rhs, |a, b| a.$w(b))
            }
        }
        impl<T: Arith> $Trait<Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                binary($name, &self, &rhs, |a, b| a.$w(b))
            }
        }
        impl<T: Arith> $Trait<&Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                binary($name, &self, &rhs, |a, b| a.$w(b))
            }
        }
        impl<T: Arith> $Trait<Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                binary($name, &self, &rhs, |a, b| a.$w(b))
            }
        }
        impl<T: Arith> $Trait<T> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.map_same($name, move |a| a.$w(rhs))
            }
        }
        impl<T: Arith> $Trait<T> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.map_same($name, move |a| a.$w(rhs))
            }
        }
    };
}

/// `a op b` blockwise; a sum of permuted views of one source is also known as such
/// (`crate::pushdown::linear_add`), so reductions over it generate the source once.
fn binary<T, F>(name: &'static str, a: &Array<T>, b: &Array<T>, f: F) -> Array<T>
where
    T: Element,
    F: Fn(T, T) -> T + Copy + Send + Sync + 'static,
{
    let out = crate::elementwise::zip_same(name, a, b, f);
    if name == "add" { crate::pushdown::linear_add(out, a, b) } else { out }
}

binary_op!(Add, add, "add", add_w);
binary_op!(Sub, sub, "sub", sub_w);
binary_op!(Mul, mul, "mul", mul_w);
binary_op!(Div, div, "div", div_w);

macro_rules! scalar_left {
    ($($t:ty),*) => {$(
        impl Add<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn add(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.map_same("add", move |v| self.add_w(v))
            }
        }
        impl Sub<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn sub(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.map_same("sub", move |v| self.sub_w(v))
            }
        }
        impl Mul<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn mul(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.map_same("mul", move |v| self.mul_w(v))
            }
        }
        impl Div<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn div(self, rhs: &Array<$t>) -> Array<$t> {
                rhs.map_same("div", move |v| self.div_w(v))
            }
        }
    )*};
}

scalar_left!(f64, f32, i64, i32, u64, u8);

impl<T: ArithNeg> Neg for &Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        self.map_same("neg", ArithNeg::neg_w)
    }
}

impl<T: ArithNeg> Neg for Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        self.map_same("neg", ArithNeg::neg_w)
    }
}

impl<T: ArithNeg> Array<T> {
    /// The absolute values (wrapping, as NumPy's: `abs(i64::MIN)` is `i64::MIN`).
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(-2i64, 2, 1, 3).abs();
    /// assert_eq!(x.compute().unwrap().as_slice().unwrap(), &[2, 1, 0, 1]);
    /// ```
    pub fn abs(&self) -> Array<T> {
        self.map_same("abs", ArithNeg::abs_w)
    }
}

impl<T: Element + Float> Array<T> {
    /// The square roots.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::full(&[3], 2, 9.0f64).sqrt();
    /// assert_eq!(x.compute().unwrap().as_slice().unwrap(), &[3.0, 3.0, 3.0]);
    /// ```
    pub fn sqrt(&self) -> Array<T> {
        self.map_same("sqrt", Float::sqrt)
    }

    /// `e` to the power of each value.
    pub fn exp(&self) -> Array<T> {
        self.map_same("exp", Float::exp)
    }

    /// The natural logarithms.
    pub fn ln(&self) -> Array<T> {
        self.map_same("ln", Float::ln)
    }

    /// The sines.
    pub fn sin(&self) -> Array<T> {
        self.map_same("sin", Float::sin)
    }

    /// The cosines.
    pub fn cos(&self) -> Array<T> {
        self.map_same("cos", Float::cos)
    }

    /// Each value to the integer power `n`.
    pub fn powi(&self, n: i32) -> Array<T> {
        self.map_same("powi", move |v| v.powi(n))
    }
}
