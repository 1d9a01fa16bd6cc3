//! [`Outputs`]: what can be computed at once.

use crate::error::Error;
use crate::plan::TaskRef;
use crate::value::Value;

/// Something [`compute`](crate::compute()) can compute: a [`Delayed<T>`](crate::Delayed) (its
/// `impl` is beside the type), a reference to one, a tuple of up to 8 outputs, a `Vec` or an
/// array of outputs. Shared sub-results are computed once for all of them.
///
/// ```
/// use lazydag_core::{compute, delayed};
/// fn inc(x: i32) -> i32 { x + 1 }
/// let a = delayed!(inc(1));
/// let b = delayed!(inc(&a));
/// let (a, b, all) = compute((&a, &b, vec![b.clone(), a.clone()])).unwrap();
/// assert_eq!((a, b, all), (2, 3, vec![3, 2]));
/// ```
pub trait Outputs {
    /// The computed values, shaped like `Self`.
    type Values;

    /// Appends the requested tasks, in order.
    #[doc(hidden)]
    fn roots<'a>(&'a self, roots: &mut Vec<TaskRef<'a>>);

    /// Takes this output's values, in the order of [`roots`](Outputs::roots).
    #[doc(hidden)]
    fn unpack(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Values, Error>;
}

impl<O: Outputs + ?Sized> Outputs for &O {
    type Values = O::Values;

    fn roots<'a>(&'a self, roots: &mut Vec<TaskRef<'a>>) {
        (**self).roots(roots);
    }

    fn unpack(&self, values: &mut std::vec::IntoIter<Value>) -> Result<O::Values, Error> {
        (**self).unpack(values)
    }
}

impl<O: Outputs> Outputs for [O] {
    type Values = Vec<O::Values>;

    fn roots<'a>(&'a self, roots: &mut Vec<TaskRef<'a>>) {
        self.iter().for_each(|o| o.roots(roots));
    }

    fn unpack(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Values, Error> {
        self.iter().map(|o| o.unpack(values)).collect()
    }
}

impl<O: Outputs> Outputs for Vec<O> {
    type Values = Vec<O::Values>;

    fn roots<'a>(&'a self, roots: &mut Vec<TaskRef<'a>>) {
        self.as_slice().roots(roots);
    }

    fn unpack(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Values, Error> {
        self.as_slice().unpack(values)
    }
}

impl<O: Outputs, const N: usize> Outputs for [O; N] {
    type Values = Vec<O::Values>;

    fn roots<'a>(&'a self, roots: &mut Vec<TaskRef<'a>>) {
        self.as_slice().roots(roots);
    }

    fn unpack(&self, values: &mut std::vec::IntoIter<Value>) -> Result<Self::Values, Error> {
        self.as_slice().unpack(values)
    }
}

macro_rules! tuple_outputs {
    ($($name:ident),+) => {
        impl<$($name: Outputs),+> Outputs for ($($name,)+) {
            type Values = ($($name::Values,)+);

            #[allow(non_snake_case)]
            fn roots<'a>(&'a self, roots: &mut Vec<TaskRef<'a>>) {
                let ($($name,)+) = self;
                $($name.roots(roots);)+
            }

            #[allow(non_snake_case)]
            fn unpack(
                &self,
                values: &mut std::vec::IntoIter<Value>,
            ) -> Result<Self::Values, Error> {
                let ($($name,)+) = self;
                Ok(($($name.unpack(values)?,)+))
            }
        }
    };
}

tuple_outputs!(A);
tuple_outputs!(A, B);
tuple_outputs!(A, B, C);
tuple_outputs!(A, B, C, D);
tuple_outputs!(A, B, C, D, E);
tuple_outputs!(A, B, C, D, E, F);
tuple_outputs!(A, B, C, D, E, F, G);
tuple_outputs!(A, B, C, D, E, F, G, H);
