//! [`s!`](crate::s!): ndarray's slice syntax without `unsafe`.

/// A slice argument for [`Array::slice`](crate::Array::slice), written like ndarray's `s![]`:
/// ranges (`..5`, `2..`, `1..7`), ranges with a step (`..;2`, `..;-1`), integer indices
/// (`3`, `-1`) and [`ndarray::NewAxis`]. It builds a plain array of
/// [`SliceInfoElem`](ndarray::SliceInfoElem)s, so it works in crates that
/// `forbid(unsafe_code)`, where ndarray's own `s!` does not compile (it expands to an
/// `unsafe` block). `Array::slice` accepts ndarray's `s![]` too.
///
/// ```
/// use lazydag_array::{self as da, s};
/// let x = da::arange(0i64, 10, 1, 3);
/// assert_eq!(x.slice(s![1..8;3]).compute().unwrap().as_slice().unwrap(), &[1, 4, 7]);
/// assert_eq!(x.slice(s![..;-4]).compute().unwrap().as_slice().unwrap(), &[9, 5, 1]);
/// assert_eq!(x.slice(s![-1]).compute_scalar().unwrap(), 9);
/// assert_eq!(x.slice(s![ndarray::NewAxis, ..2]).shape(), &[1, 2]);
/// ```
#[macro_export]
macro_rules! s {
    ($($e:expr $(; $step:expr)?),* $(,)?) => {
        [$($crate::__slice_elem!($e $(; $step)?)),*]
    };
}

/// One element of [`s!`](crate::s!).
#[doc(hidden)]
#[macro_export]
macro_rules! __slice_elem {
    ($e:expr) => {
        $crate::__private::SliceInfoElem::from($e)
    };
    ($e:expr; $step:expr) => {
        {
            // A struct literal, not `step_by`: a zero step becomes an error of `slice`, not
            // a panic here.
            let range = $crate::__private::Slice::from($e);
            $crate::__private::SliceInfoElem::from($crate::__private::Slice {
                start: range.start,
                end: range.end,
                step: range.step * (($step) as isize),
            })
        }
    };
}
