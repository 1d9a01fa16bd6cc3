//! `cumsum` and `cumprod`: per-block cumulative results, then a chain along the axis that
//! combines each block with the previous block's last slice.

use lazydag_core::Delayed;
use ndarray::{Axis, Zip};

use crate::array::{Array, Block};
use crate::element::{Arith, Element};
use crate::task;

impl<T: Element> Array<T> {
    /// The cumulative products along `axis`, like `numpy.cumprod(x, axis)` (the same chain
    /// as [`cumsum`](Array::cumsum)), in the accumulator type [`Element::Acc`].
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(1i64, 6, 1, 2).cumprod(0);
    /// assert_eq!(x.compute().unwrap().as_slice().unwrap(), &[1, 2, 6, 24, 120]);
    /// ```
    pub fn cumprod(&self, axis: usize) -> Array<T::Acc> {
        super::widen(self).cumulative("cumprod", axis, Arith::mul_w)
    }

    /// The cumulative sums along `axis`, like `numpy.cumsum(x, axis)`: each block's own
    /// cumulative sums, plus the last slice of the previous block's result (a chain of one
    /// task per block along the axis). In the accumulator type [`Element::Acc`], as NumPy:
    /// the running sums of `u8` values are `u64`.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(1i64, 6, 1, 2).cumsum(0);
    /// assert_eq!(x.compute().unwrap().as_slice().unwrap(), &[1, 3, 6, 10, 15]);
    /// let bytes = da::full(&[3], 1, 200u8).cumsum(0);
    /// assert_eq!(bytes.compute().unwrap().as_slice().unwrap(), &[200u64, 400, 600]);
    /// ```
    pub fn cumsum(&self, axis: usize) -> Array<T::Acc> {
        super::widen(self).cumulative("cumsum", axis, Arith::add_w)
    }
}

impl<T: Element> Array<T> {
    /// The cumulative fold with `f` (associative) along `axis`.
    fn cumulative(
        &self,
        name: &'static str,
        axis: usize,
        f: impl Fn(T, T) -> T + Copy + Send + Sync + 'static,
    ) -> Array<T> {
        let p = match self.parts() {
            Ok(p) => p,
            Err(e) => return Array::failed(e),
        };
        if let Err(e) = crate::rechunk::check_axis(name, &p.shape, axis) {
            return Array::failed(e);
        }
        let ax = Axis(axis);
        let local: Vec<Delayed<Block<T>>> = p
            .blocks
            .iter()
            .map(|d| {
                task::map1(name, d, move |b: Block<T>| {
                    let mut o = b.to_owned();
                    o.accumulate_axis_inplace(ax, |&prev, cur| *cur = f(prev, *cur));
                    o.into_shared()
                })
            })
            .collect();
        let mut blocks = local.clone();
        for j in p.chunks.indices() {
            if j[axis] == 0 {
                continue;
            }
            let mut prev = j.clone();
            prev[axis] -= 1;
            let lin = p.chunks.linear(&j);
            let before = blocks[p.chunks.linear(&prev)].clone();
            blocks[lin] =
                task::map2("carry", &local[lin], &before, move |b: Block<T>, pb: Block<T>| {
                    let last = pb.index_axis(ax, pb.len_of(ax) - 1).insert_axis(ax);
                    let mut o = b.to_owned();
                    Zip::from(&mut o).and_broadcast(&last).for_each(|v, &c| *v = f(c, *v));
                    o.into_shared()
                });
        }
        Array::from_parts(p.chunks.clone(), blocks)
    }
}
