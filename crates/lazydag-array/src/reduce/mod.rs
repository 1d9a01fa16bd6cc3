//! Reductions as trees: one partial task per input block, then combine tasks of at most
//! `split_every` inputs each, level by level, then one task that combines and finishes.
//!
//! For each output block (a position on the kept axes) the group is every input block with
//! that position, in row-major order over the reduced axes; groups are combined in order, so
//! `argmin`/`argmax` keep the first of equal values. Variance combines per-block
//! (count, mean, M2) with Chan et al.'s pairwise formula, which is numerically stable.

mod cumsum;
mod linear;
mod remote;
mod tree;

use ndarray::{ArrayD, Zip};
use num_traits::Zero;

use crate::array::{Array, Block};
use crate::element::{Arith, Element};
use tree::{Fan, fold_pairs, fold_rows, shaped, tree, view_rows, zip_in_place};

/// A reduction recorded as a plain tree (`tree::tree`).
type PlainFn<T, A> = fn(&Array<T>, Option<&[usize]>, Fan) -> Array<A>;

/// `array` in its accumulator type ([`Element::Acc`]): the array itself when it is that type
/// (floats, `i64`, `u64`), else an exact `astype`, which the optimizer fuses into the
/// reduction's partial tasks.
pub(crate) fn widen<T: Element>(array: &Array<T>) -> Array<T::Acc> {
    match crate::remote::cast::<Array<T>, Array<T::Acc>>(array.clone()) {
        Some(same) => same,
        None => array.astype::<T::Acc>(),
    }
}

/// The default `split_every`, as in dask (`array.split-every`... 16 inputs per task).
pub(crate) const SPLIT_EVERY: usize = 16;

/// Reductions with an explicit `split_every` (the most inputs a combine task takes), from
/// [`Array::split_every`].
///
/// ```
/// use lazydag_array as da;
/// let x = da::ones::<i64>(&[100], 1);                 // 100 blocks
/// assert_eq!(x.split_every(2).sum().compute_scalar().unwrap(), 100);
/// ```
#[derive(Debug)]
pub struct Reducer<'a, T> {
    array: &'a Array<T>,
    split_every: usize,
    keepdims: bool,
}

impl<T> Reducer<'_, T> {
    /// Keep each reduced axis as an axis of length 1, like NumPy's `keepdims=True`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::ones::<f64>(&[4, 3], 2);
    /// assert_eq!(x.split_every(4).keepdims().sum_axis(0).shape(), &[1, 3]);
    /// assert_eq!(x.keepdims().mean().shape(), &[1, 1]);
    /// ```
    pub fn keepdims(self) -> Self {
        Reducer { keepdims: true, ..self }
    }

    fn fan(&self) -> Fan {
        Fan { k: self.split_every, keepdims: self.keepdims }
    }
}

impl<T: Element> Array<T> {
    /// Reductions with at most `k` inputs per task (dask's `split_every`; the default is 16).
    pub fn split_every(&self, k: usize) -> Reducer<'_, T> {
        Reducer { array: self, split_every: k, keepdims: false }
    }

    /// Reductions that keep the reduced axes with length 1 (NumPy's `keepdims=True`):
    /// `x.keepdims().sum_axis(0)`.
    pub fn keepdims(&self) -> Reducer<'_, T> {
        self.reducer().keepdims()
    }

    fn reducer(&self) -> Reducer<'_, T> {
        self.split_every(SPLIT_EVERY)
    }
}

macro_rules! delegate {
    ($(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $out:ty where $($bound:tt)*) => {
        impl<T: Element + $($bound)*> Array<T> {
            $(#[$doc])*
            pub fn $name(&self, $($arg: $ty),*) -> $out {
                self.reducer().$name($($arg),*)
            }
        }
    };
}

delegate!(
    /// The sum of all elements, as a 0-d array ([`compute_scalar`](Array::compute_scalar)),
    /// in the accumulator type [`Element::Acc`] as NumPy sums (`i64` for `i32` and `bool`,
    /// `u64` for `u8`): the sum of 300 `u8` ones is 300.
    ///
    /// ```
    /// use lazydag_array as da;
    /// assert_eq!(da::ones::<u8>(&[300], 100).sum().compute_scalar().unwrap(), 300u64);
    /// let mask = da::arange(0i64, 10, 1, 4).gt(6);          // 3 trues
    /// assert_eq!(mask.sum().compute_scalar().unwrap(), 3i64);
    /// ```
    sum() -> Array<T::Acc> where Copy
);
delegate!(
    /// The sums along `axis`, like `x.sum(axis=axis)`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::from_ndarray(ndarray::arr2(&[[1, 2], [3, 4], [5, 6]]), 2);
    /// // `i32` elements sum in `i64`, as in NumPy.
    /// assert_eq!(x.sum_axis(0).compute().unwrap().as_slice().unwrap(), &[9i64, 12]);
    /// ```
    sum_axis(axis: usize) -> Array<T::Acc> where Copy
);
delegate!(
    /// The sums over several axes.
    sum_axes(axes: &[usize]) -> Array<T::Acc> where Copy
);
delegate!(
    /// The mean of all elements, in `f64`.
    mean() -> Array<f64> where Copy
);
delegate!(
    /// The means along `axis`, in `f64`, like `x.mean(axis=axis)`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::from_ndarray(ndarray::arr2(&[[1.0, 2.0], [3.0, 6.0]]), 1);
    /// assert_eq!(x.mean_axis(0).compute().unwrap().as_slice().unwrap(), &[2.0, 4.0]);
    /// ```
    mean_axis(axis: usize) -> Array<f64> where Copy
);
delegate!(
    /// The variance of all elements with `ddof` delta degrees of freedom (0: population).
    var(ddof: f64) -> Array<f64> where Copy
);
delegate!(
    /// The variances along `axis`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::from_ndarray(ndarray::arr1(&[1.0, 2.0, 3.0, 4.0]), 1);
    /// assert_eq!(x.var_axis(0, 0.0).compute_scalar().unwrap(), 1.25);
    /// ```
    var_axis(axis: usize, ddof: f64) -> Array<f64> where Copy
);
delegate!(
    /// The standard deviation of all elements.
    std(ddof: f64) -> Array<f64> where Copy
);
delegate!(
    /// The standard deviations along `axis`.
    std_axis(axis: usize, ddof: f64) -> Array<f64> where Copy
);
delegate!(
    /// The smallest element (an error for an empty array).
    min() -> Array<T> where Copy
);
delegate!(
    /// The smallest elements along `axis`.
    min_axis(axis: usize) -> Array<T> where Copy
);
delegate!(
    /// The largest element (an error for an empty array).
    max() -> Array<T> where Copy
);
delegate!(
    /// The largest elements along `axis`.
    max_axis(axis: usize) -> Array<T> where Copy
);
delegate!(
    /// The flat (row-major) index of the first smallest element.
    argmin() -> Array<i64> where Copy
);
delegate!(
    /// The index along `axis` of the first smallest element.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::from_ndarray(ndarray::arr2(&[[3, 1], [1, 5], [0, 1]]), 1);
    /// assert_eq!(x.argmin_axis(0).compute().unwrap().as_slice().unwrap(), &[2, 0]);
    /// assert_eq!(x.argmin().compute_scalar().unwrap(), 4);
    /// ```
    argmin_axis(axis: usize) -> Array<i64> where Copy
);
delegate!(
    /// The flat (row-major) index of the first largest element.
    argmax() -> Array<i64> where Copy
);
delegate!(
    /// The index along `axis` of the first largest element.
    argmax_axis(axis: usize) -> Array<i64> where Copy
);

delegate!(
    /// The product of all elements, like `x.prod()`, in the accumulator type
    /// [`Element::Acc`] (`u64` for `u8`, as NumPy).
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(1i64, 6, 1, 2);
    /// assert_eq!(x.prod().compute_scalar().unwrap(), 120);
    /// assert_eq!(da::arange(1u8, 10, 1, 3).prod().compute_scalar().unwrap(), 362_880u64);
    /// ```
    prod() -> Array<T::Acc> where Copy
);
delegate!(
    /// The products along `axis`.
    prod_axis(axis: usize) -> Array<T::Acc> where Copy
);
delegate!(
    /// The sum of all elements, NaN counted as zero, like `numpy.nansum`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::from_ndarray(ndarray::arr1(&[1.0, f64::NAN, 2.0]), 2);
    /// assert_eq!(x.nansum().compute_scalar().unwrap(), 3.0);
    /// assert_eq!(x.nanmean().compute_scalar().unwrap(), 1.5);
    /// assert_eq!(x.nanmax().compute_scalar().unwrap(), 2.0);
    /// ```
    nansum() -> Array<T::Acc> where Copy
);
delegate!(
    /// The sums along `axis`, NaN counted as zero.
    nansum_axis(axis: usize) -> Array<T::Acc> where Copy
);
delegate!(
    /// The mean of the elements that are not NaN.
    nanmean() -> Array<f64> where Copy
);
delegate!(
    /// The means along `axis` of the elements that are not NaN.
    nanmean_axis(axis: usize) -> Array<f64> where Copy
);
delegate!(
    /// The smallest element ignoring NaN.
    nanmin() -> Array<T> where Copy
);
delegate!(
    /// The smallest elements along `axis` ignoring NaN.
    nanmin_axis(axis: usize) -> Array<T> where Copy
);
delegate!(
    /// The largest element ignoring NaN.
    nanmax() -> Array<T> where Copy
);
delegate!(
    /// The largest elements along `axis` ignoring NaN.
    nanmax_axis(axis: usize) -> Array<T> where Copy
);

impl Array<bool> {
    /// Whether any element is true.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0i32, 10, 1, 3);
    /// assert!(x.gt(8).any().compute_scalar().unwrap());
    /// assert!(!x.gt(8).all().compute_scalar().unwrap());
    /// ```
    pub fn any(&self) -> Array<bool> {
        self.reducer().any_axes(None)
    }

    /// Whether all elements are true.
    pub fn all(&self) -> Array<bool> {
        self.reducer().all_axes(None)
    }

    /// Whether any element along `axis` is true.
    pub fn any_axis(&self, axis: usize) -> Array<bool> {
        self.reducer().any_axes(Some(&[axis]))
    }

    /// Whether all elements along `axis` are true.
    pub fn all_axis(&self, axis: usize) -> Array<bool> {
        self.reducer().all_axes(Some(&[axis]))
    }
}

impl Reducer<'_, bool> {
    /// Whether any element (along `axes`, or of all) is true.
    pub fn any_axes(&self, axes: Option<&[usize]>) -> Array<bool> {
        self.logical("any", axes, false)
    }

    /// Whether all elements (along `axes`, or of all) are true.
    pub fn all_axes(&self, axes: Option<&[usize]>) -> Array<bool> {
        self.logical("all", axes, true)
    }

    fn logical(&self, op: &'static str, axes: Option<&[usize]>, all: bool) -> Array<bool> {
        let f = move |a: bool, b: bool| if all { a && b } else { a || b };
        tree(
            self.array,
            op,
            axes,
            self.fan(),
            false,
            move |b, c| {
                view_rows(&b, &c.axes, |r, kept| shaped(fold_rows(r, all, |&a, &v| f(a, v)), kept))
            },
            move |v| {
                fold_pairs(v, |mut a, b| {
                    zip_in_place(&mut a, &b, |x, &y| *x = f(*x, y));
                    a
                })
            },
            |a| a,
        )
    }
}

/// Per-block statistics for the mean and variance: count, mean and sum of squared
/// deviations (M2) per output element.
#[derive(Clone)]
struct Moments {
    n: f64,
    mean: ArrayD<f64>,
    m2: ArrayD<f64>,
}

fn moments<T: Element>(b: &Block<T>, axes: &[usize]) -> Moments {
    view_rows(b, axes, |r, kept| {
        let n = r.nrows() as f64;
        let sum = fold_rows(r, 0.0, |&a, &v| a + v.to_f64());
        let mean = sum.mapv(|s| if n > 0.0 { s / n } else { 0.0 });
        let mut m2 = ndarray::Array1::<f64>::zeros(mean.len());
        if r.ncols() == 1 {
            let mu = mean[0];
            m2[0] = r.iter().fold(0.0, |m, &v| {
                let d = v.to_f64() - mu;
                m + d * d
            });
            return Moments { n, mean: shaped(mean, kept), m2: shaped(m2, kept) };
        }
        for row in r.rows() {
            Zip::from(&mut m2).and(&row).and(&mean).for_each(|m, &v, &mu| {
                let d = v.to_f64() - mu;
                *m += d * d;
            });
        }
        Moments { n, mean: shaped(mean, kept), m2: shaped(m2, kept) }
    })
}

/// Chan, Golub and LeVeque's pairwise combination of two sets of moments.
fn chan(mut a: Moments, b: Moments) -> Moments {
    if b.n == 0.0 {
        return a;
    }
    if a.n == 0.0 {
        return b;
    }
    let n = a.n + b.n;
    let (wa, wb) = (a.n, b.n);
    Zip::from(&mut a.mean).and(&mut a.m2).and(&b.mean).and(&b.m2).for_each(|ma, qa, &mb, &qb| {
        let delta = mb - *ma;
        *ma += delta * wb / n;
        *qa += qb + delta * delta * wa * wb / n;
    });
    a.n = n;
    a
}

impl<T: Element> Reducer<'_, T> {
    /// The sums over `axes` (all axes for `None`), in [`Element::Acc`].
    pub fn sum_over(&self, axes: Option<&[usize]>) -> Array<T::Acc> {
        self.on(&widen(self.array)).sum_same(axes)
    }

    /// The sums over `axes` in the element type itself (an accumulator type's sums).
    fn sum_same(&self, axes: Option<&[usize]>) -> Array<T>
    where
        T: Arith + Zero,
    {
        if let Some(named) = self.named(remote::Op::Sum, axes).and_then(crate::remote::cast) {
            return named;
        }
        let plain = |x: &Array<T>, axes: Option<&[usize]>, fan: Fan| {
            tree(
                x,
                "sum",
                axes,
                fan,
                false,
                |b, c| {
                    view_rows(&b, &c.axes, |r, kept| {
                        shaped(fold_rows(r, T::zero(), |&a, &v| a.add_w(v)), kept)
                    })
                },
                |v| {
                    fold_pairs(v, |mut a, b| {
                        zip_in_place(&mut a, &b, |x, &y| *x = x.add_w(y));
                        a
                    })
                },
                |a| a,
            )
        };
        self.linear_or("sum", axes, |b| b.into_owned(), |s, _| s, plain)
    }

    /// The product of all elements, in [`Element::Acc`].
    pub fn prod(&self) -> Array<T::Acc> {
        self.prod_over(None)
    }

    /// The products along `axis`, in [`Element::Acc`].
    pub fn prod_axis(&self, axis: usize) -> Array<T::Acc> {
        self.prod_over(Some(&[axis]))
    }

    /// The sum of all elements, NaN as zero, in [`Element::Acc`].
    pub fn nansum(&self) -> Array<T::Acc> {
        self.nansum_over(None)
    }

    /// The sums along `axis`, NaN as zero, in [`Element::Acc`].
    pub fn nansum_axis(&self, axis: usize) -> Array<T::Acc> {
        self.nansum_over(Some(&[axis]))
    }

    /// The mean of the elements that are not NaN.
    pub fn nanmean(&self) -> Array<f64> {
        self.nanmean_over(None)
    }

    /// The means along `axis` of the elements that are not NaN.
    pub fn nanmean_axis(&self, axis: usize) -> Array<f64> {
        self.nanmean_over(Some(&[axis]))
    }

    /// The smallest element ignoring NaN.
    pub fn nanmin(&self) -> Array<T> {
        self.nanmin_over(None)
    }

    /// The smallest elements along `axis` ignoring NaN.
    pub fn nanmin_axis(&self, axis: usize) -> Array<T> {
        self.nanmin_over(Some(&[axis]))
    }

    /// The largest element ignoring NaN.
    pub fn nanmax(&self) -> Array<T> {
        self.nanmax_over(None)
    }

    /// The largest elements along `axis` ignoring NaN.
    pub fn nanmax_axis(&self, axis: usize) -> Array<T> {
        self.nanmax_over(Some(&[axis]))
    }

    /// The sum of all elements, in [`Element::Acc`].
    pub fn sum(&self) -> Array<T::Acc> {
        self.sum_over(None)
    }

    /// The sums along `axis`, in [`Element::Acc`].
    pub fn sum_axis(&self, axis: usize) -> Array<T::Acc> {
        self.sum_over(Some(&[axis]))
    }

    /// The sums over `axes`, in [`Element::Acc`].
    pub fn sum_axes(&self, axes: &[usize]) -> Array<T::Acc> {
        self.sum_over(Some(axes))
    }

    /// The products over `axes` (all axes for `None`), like `x.prod(axis=...)`, in
    /// [`Element::Acc`].
    pub fn prod_over(&self, axes: Option<&[usize]>) -> Array<T::Acc> {
        self.on(&widen(self.array)).prod_same(axes)
    }

    /// The products over `axes` in the element type itself.
    fn prod_same(&self, axes: Option<&[usize]>) -> Array<T>
    where
        T: Arith + num_traits::One,
    {
        tree(
            self.array,
            "prod",
            axes,
            self.fan(),
            false,
            |b, c| {
                view_rows(&b, &c.axes, |r, kept| {
                    shaped(fold_rows(r, T::one(), |&a, &v| a.mul_w(v)), kept)
                })
            },
            |v| {
                fold_pairs(v, |mut a, b| {
                    zip_in_place(&mut a, &b, |x, &y| *x = x.mul_w(y));
                    a
                })
            },
            |a| a,
        )
    }

    /// The same reductions on another array (the NaN-skipping ones reduce a cleaned copy).
    fn on<'b, U>(&self, array: &'b Array<U>) -> Reducer<'b, U> {
        Reducer { array, split_every: self.split_every, keepdims: self.keepdims }
    }

    /// The sums over `axes` treating NaN as zero, like `numpy.nansum`, in [`Element::Acc`].
    #[allow(clippy::eq_op)]
    pub fn nansum_over(&self, axes: Option<&[usize]>) -> Array<T::Acc> {
        let clean = self
            .array
            .map_named("nan-to-zero", |v: T| if v != v { T::Acc::zero() } else { v.to_acc() });
        self.on(&clean).sum_same(axes)
    }

    /// The means over `axes` of the values that are not NaN, in `f64`, like
    /// `numpy.nanmean` (NaN where every value is NaN).
    #[allow(clippy::eq_op)]
    pub fn nanmean_over(&self, axes: Option<&[usize]>) -> Array<f64> {
        let clean =
            self.array.map_named("nan-to-zero", |v: T| if v != v { 0.0 } else { v.to_f64() });
        let count = self.array.map_named("not-nan", |v: T| if v != v { 0.0 } else { 1.0 });
        &self.on(&clean).sum_same(axes) / &self.on(&count).sum_same(axes)
    }

    /// The smallest values over `axes` ignoring NaN, like `numpy.nanmin` (NaN where every
    /// value is NaN).
    pub fn nanmin_over(&self, axes: Option<&[usize]>) -> Array<T> {
        self.extreme_of("nanmin", axes, false, true)
    }

    /// The largest values over `axes` ignoring NaN, like `numpy.nanmax`.
    pub fn nanmax_over(&self, axes: Option<&[usize]>) -> Array<T> {
        self.extreme_of("nanmax", axes, true, true)
    }

    fn stat(
        &self,
        op: &'static str,
        axes: Option<&[usize]>,
        finish: impl Fn(Moments) -> ArrayD<f64> + Send + Sync + 'static,
    ) -> Array<f64> {
        tree(
            self.array,
            op,
            axes,
            self.fan(),
            false,
            |b, c| moments(&b, &c.axes),
            |v| fold_pairs(v, chan),
            finish,
        )
    }

    /// The means over `axes` (all for `None`), in `f64`; an empty reduction gives NaN.
    ///
    /// Partials are (count, sums), so a mean costs one pass, like NumPy's (the variance keeps
    /// Chan's moments).
    pub fn mean_over(&self, axes: Option<&[usize]>) -> Array<f64> {
        if let Some(named) = self.named(remote::Op::Mean, axes) {
            return named;
        }
        let plain = |x: &Array<T>, axes: Option<&[usize]>, fan: Fan| {
            tree(
                x,
                "mean",
                axes,
                fan,
                false,
                |b, c| {
                    view_rows(&b, &c.axes, |r, kept| {
                        let sums = fold_rows(r, 0.0, |&a, &v| a + v.to_f64());
                        (r.nrows() as f64, shaped(sums, kept))
                    })
                },
                |v| {
                    fold_pairs(v, |(n, mut a), (m, b)| {
                        zip_in_place(&mut a, &b, |x, &y| *x += y);
                        (n + m, a)
                    })
                },
                |(n, s)| if n == 0.0 { s.mapv(|_| f64::NAN) } else { s.mapv(|v| v / n) },
            )
        };
        self.linear_or("mean", axes, |b| b.mapv(|v| v.to_f64()), |s, n| s.mapv(|v| v / n), plain)
    }

    /// The reduction through named tasks (`remote`), when the array is an `f64` array whose
    /// region has a recipe: a cluster can run those.
    fn named(&self, op: remote::Op, axes: Option<&[usize]>) -> Option<Array<f64>> {
        let x = (self.array as &dyn std::any::Any).downcast_ref::<Array<f64>>()?;
        let fan = self.fan();
        let name = if op == remote::Op::Sum { "sum" } else { "mean" };
        let reduced = tree::resolve(name, x.shape(), axes).ok()?;
        let out = remote::reduce(x, op, &reduced, fan.k)?;
        Some(if fan.keepdims { reduced.iter().fold(out, |o, &a| o.insert_axis(a)) } else { out })
    }

    /// `plain(x, axes, fan)` (a reduction that is a sum of its elements, then `finish`), or,
    /// when `x` is a sum of permuted views of one source (`x + x.T`), the same through
    /// `linear::reduce`, which generates each source block once; its boxer (slices of the
    /// result) is the plain tree's.
    fn linear_or<A>(
        &self,
        op: &'static str,
        axes: Option<&[usize]>,
        conv: fn(Block<T>) -> ArrayD<A>,
        finish: fn(ArrayD<A>, f64) -> ArrayD<A>,
        plain: PlainFn<T, A>,
    ) -> Array<A>
    where
        A: Element + std::ops::Add<Output = A> + Zero,
    {
        let fan = self.fan();
        let Ok(reduced) = tree::resolve(op, self.array.shape(), axes) else {
            return plain(self.array, axes, fan);
        };
        let named = (self.array as &dyn std::any::Any)
            .downcast_ref::<Array<f64>>()
            .and_then(|x| {
                let named = if op == "sum" { remote::Op::Sum } else { remote::Op::Mean };
                remote::reduce_linear(x, named, &reduced, fan.k)
            })
            .and_then(crate::remote::cast::<Array<f64>, Array<A>>);
        let fast = named.or_else(|| linear::reduce(self.array, op, &reduced, fan.k, conv, finish));
        let Some(fast) = fast else {
            return plain(self.array, axes, fan);
        };
        let (x, red) = (self.array.clone(), reduced.clone());
        let flat = Fan { keepdims: false, ..fan };
        let out = fast.with_boxer(std::sync::Arc::new(move |r: &[std::ops::Range<usize>]| {
            plain(&x, Some(&red), flat).sub_box(r)
        }));
        if fan.keepdims { reduced.iter().fold(out, |o, &a| o.insert_axis(a)) } else { out }
    }

    /// The mean of all elements.
    pub fn mean(&self) -> Array<f64> {
        self.mean_over(None)
    }

    /// The means along `axis`.
    pub fn mean_axis(&self, axis: usize) -> Array<f64> {
        self.mean_over(Some(&[axis]))
    }

    /// The variances over `axes` (all for `None`) with `ddof` delta degrees of freedom.
    ///
    /// As NumPy's `var`: the sum of squared deviations divided by `max(n - ddof, 0)`, so with
    /// `ddof >= n` a spread-out block gives `inf` and a constant (or empty) one `NaN`.
    pub fn var_over(&self, axes: Option<&[usize]>, ddof: f64) -> Array<f64> {
        self.stat("var", axes, move |m| {
            let d = (m.n - ddof).max(0.0);
            m.m2.mapv(|q| q / d)
        })
    }

    /// The variance of all elements.
    pub fn var(&self, ddof: f64) -> Array<f64> {
        self.var_over(None, ddof)
    }

    /// The variances along `axis`.
    pub fn var_axis(&self, axis: usize, ddof: f64) -> Array<f64> {
        self.var_over(Some(&[axis]), ddof)
    }

    /// The standard deviation of all elements.
    pub fn std(&self, ddof: f64) -> Array<f64> {
        self.var_over(None, ddof).map_named("sqrt", f64::sqrt)
    }

    /// The standard deviations along `axis`.
    pub fn std_axis(&self, axis: usize, ddof: f64) -> Array<f64> {
        self.var_over(Some(&[axis]), ddof).map_named("sqrt", f64::sqrt)
    }

    fn extreme(&self, op: &'static str, axes: Option<&[usize]>, max: bool) -> Array<T> {
        self.extreme_of(op, axes, max, false)
    }

    /// `skip_nan`: a NaN never wins, and anything beats a NaN (so only an all-NaN group
    /// gives NaN), like `numpy.nanmin`; otherwise a NaN wins and stays, like `numpy.min`
    /// (see [`beats`]). Either way the result does not depend on the chunks.
    fn extreme_of(
        &self,
        op: &'static str,
        axes: Option<&[usize]>,
        max: bool,
        skip_nan: bool,
    ) -> Array<T> {
        let better = move |a: T, b: T| beats(a, b, max, skip_nan);
        tree(
            self.array,
            op,
            axes,
            self.fan(),
            true,
            move |b, c| {
                view_rows(&b, &c.axes, |r, kept| {
                    let mut acc = r.row(0).to_owned();
                    if r.ncols() == 1 {
                        acc[0] = r.iter().fold(acc[0], |a, &v| if better(a, v) { v } else { a });
                        return shaped(acc, kept);
                    }
                    for row in r.rows().into_iter().skip(1) {
                        Zip::from(&mut acc).and(&row).for_each(|a, &v| {
                            if better(*a, v) {
                                *a = v;
                            }
                        });
                    }
                    shaped(acc, kept)
                })
            },
            move |v| {
                fold_pairs(v, |mut a, b| {
                    zip_in_place(&mut a, &b, |x, &y| {
                        if better(*x, y) {
                            *x = y;
                        }
                    });
                    a
                })
            },
            |a| a,
        )
    }

    /// The smallest element.
    pub fn min(&self) -> Array<T> {
        self.extreme("min", None, false)
    }

    /// The smallest elements along `axis`.
    pub fn min_axis(&self, axis: usize) -> Array<T> {
        self.extreme("min", Some(&[axis]), false)
    }

    /// The largest element.
    pub fn max(&self) -> Array<T> {
        self.extreme("max", None, true)
    }

    /// The largest elements along `axis`.
    pub fn max_axis(&self, axis: usize) -> Array<T> {
        self.extreme("max", Some(&[axis]), true)
    }

    /// The index of the first extreme (the first NaN, if there is one, like `numpy.argmin`):
    /// each partial keeps the first of equal values in its block, and a combine, whose
    /// partials come in block order rather than element order, keeps the smaller index of
    /// two equal ones.
    fn arg(&self, op: &'static str, axis: Option<usize>, max: bool) -> Array<i64> {
        let better = move |a: T, b: T| beats(a, b, max, false);
        let axes: Option<Vec<usize>> = axis.map(|a| vec![a]);
        tree(
            self.array,
            op,
            axes.as_deref(),
            self.fan(),
            true,
            move |b, c| {
                let shape = b.shape().to_vec();
                view_rows(&b, &c.axes, |r, kept| {
                    let mut best = r.row(0).to_owned();
                    let mut at = ndarray::Array1::<usize>::zeros(best.len());
                    let rows = if r.ncols() == 1 { 0 } else { r.nrows() };
                    if r.ncols() == 1 {
                        for (i, &v) in r.iter().enumerate().skip(1) {
                            if better(best[0], v) {
                                best[0] = v;
                                at[0] = i;
                            }
                        }
                    }
                    for (i, row) in r.rows().into_iter().enumerate().skip(1).take(rows) {
                        Zip::from(&mut best).and(&mut at).and(&row).for_each(|a, k, &v| {
                            if better(*a, v) {
                                *a = v;
                                *k = i;
                            }
                        });
                    }
                    // Local row number -> global index (along the axis, or flat).
                    let global = at.mapv(|i| {
                        if axis.is_some() {
                            (c.offset[c.axes[0]] + i) as i64
                        } else {
                            let mut rem = i;
                            let mut local = vec![0; shape.len()];
                            for a in (0..shape.len()).rev() {
                                local[a] = rem % shape[a];
                                rem /= shape[a];
                            }
                            let flat = (0..shape.len()).fold(0usize, |flat, a| {
                                flat * c.global[a] + c.offset[a] + local[a]
                            });
                            flat as i64
                        }
                    });
                    (shaped(best, kept), shaped(global, kept))
                })
            },
            move |v| {
                fold_pairs(v, |(mut a, mut ia), (b, ib)| {
                    Zip::from(&mut a).and(&mut ia).and(&b).and(&ib).for_each(|x, ix, &y, &iy| {
                        let tie = !better(y, *x);
                        if better(*x, y) || (tie && iy < *ix) {
                            *x = y;
                            *ix = iy;
                        }
                    });
                    (a, ia)
                })
            },
            |(_, i)| i,
        )
    }

    /// The flat index of the first smallest element.
    pub fn argmin(&self) -> Array<i64> {
        self.arg("argmin", None, false)
    }

    /// The index along `axis` of the first smallest element.
    pub fn argmin_axis(&self, axis: usize) -> Array<i64> {
        self.arg("argmin", Some(axis), false)
    }

    /// The flat index of the first largest element.
    pub fn argmax(&self) -> Array<i64> {
        self.arg("argmax", None, true)
    }

    /// The index along `axis` of the first largest element.
    pub fn argmax_axis(&self, axis: usize) -> Array<i64> {
        self.arg("argmax", Some(axis), true)
    }
}

/// Whether `b` replaces `a` as the running extreme (the largest if `max`). With `skip_nan` a
/// NaN never wins and anything beats a NaN (`numpy.nanmax`); without, a NaN wins and nothing
/// beats it (`numpy.max`: NaN propagates), so the result is the same however the elements are
/// cut into chunks.
#[allow(clippy::eq_op)] // `v != v` is the NaN test for every element type
fn beats<T: PartialOrd>(a: T, b: T, max: bool, skip_nan: bool) -> bool {
    let wins = if max { b > a } else { b < a };
    if skip_nan { b == b && (a != a || wins) } else { a == a && (b != b || wins) }
}
