//! [`Array<T>`]: a shape, a [`Chunks`] grid and one `Delayed` block per grid position.
//!
//! Invariants: `blocks.len() == chunks.num_blocks()`, in row-major grid order, and block `i`
//! computes to an array of exactly `chunks.block_shape(unravel(i))`. An array whose
//! recording failed holds only its [`Error`]; every operation on it returns that error, and
//! `compute` returns it before anything runs.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use lazydag_core::scheduler::{Scheduler, default_scheduler};
use lazydag_core::sync::std_locks::lock;
use lazydag_core::{Control, Delayed, compute_with_control, delayed};
use ndarray::{ArcArray, ArrayD, Dimension, IxDyn, SliceInfoElem};

use crate::chunks::{ChunkSpec, Chunks};
use crate::element::Element;
use crate::error::Error;

/// One chunk: an `Arc`-shared ndarray, so handing it to several consumers is a refcount.
pub type Block<T> = ArcArray<T, IxDyn>;

/// A lazy, chunked n-dimensional array, like `dask.array.Array`.
///
/// Each chunk is computed by one task of the lazydag graph; operations record new tasks, one
/// per output chunk (O(chunks)), and nothing runs until [`compute`](Array::compute). Cloning
/// an `Array` is one refcount.
///
/// ```
/// use lazydag_array as da;
/// let x = da::arange(0i64, 10, 1, 4);
/// assert_eq!(x.shape(), &[10]);
/// assert_eq!(x.chunks().sizes(), &[vec![4, 4, 2]]);
/// let y = &x * 2 + 1;
/// assert_eq!(y.sum().compute_scalar().unwrap(), 100);
/// ```
pub struct Array<T> {
    pub(crate) inner: Result<Arc<Inner<T>>, Error>,
}

pub(crate) struct Inner<T> {
    pub(crate) chunks: Chunks,
    pub(crate) shape: Vec<usize>,
    pub(crate) blocks: Vec<Delayed<Block<T>>>,
    /// Set when every element is a cheap pure function of its position: any box can be
    /// computed directly (`crate::pushdown`).
    pub(crate) region: Option<Region<T>>,
    /// Set when a box of this array can be rebuilt from boxes of its inputs.
    pub(crate) boxer: Option<Boxer<T>>,
}

/// Computes any box (per-axis ranges) of an array directly, with the name its tasks get.
pub(crate) struct Region<T> {
    pub(crate) name: &'static str,
    pub(crate) f: RegionFn<T>,
    /// Set when the region is a sum of axis permutations of one source region
    /// (`x + x.T`): a sum or mean over it generates each source block once
    /// (`reduce::linear`).
    pub(crate) linear: Option<Arc<Linear<T>>>,
    /// Set when the region's values are described as data (a seeded random source): then
    /// reductions over it record named tasks that a cluster can run (`crate::remote`).
    /// Only an `f64` region has one, and only the region built from it: a new region
    /// (a transpose, a sum, a shifted box) starts without.
    pub(crate) recipe: Option<Arc<crate::remote::Recipe>>,
}

/// A region written as `Σ_t base.transpose(perms[t])`: element `o` is the sum over the terms
/// of `base` at `o` permuted (axis `i` of term `t` is axis `perms[t][i]` of `base`).
pub(crate) struct Linear<T> {
    /// The source region every term reads (compared by identity: `Arc::ptr_eq`).
    pub(crate) base: Region<T>,
    /// The source's shape.
    pub(crate) base_shape: Vec<usize>,
    /// One axis permutation per term.
    pub(crate) perms: Vec<Vec<usize>>,
}

/// The function of a [`Region`]: the values of a box.
pub(crate) type RegionFn<T> = Arc<dyn Fn(&[Range<usize>]) -> Block<T> + Send + Sync>;

impl<T> Clone for Region<T> {
    fn clone(&self) -> Self {
        Region {
            name: self.name,
            f: self.f.clone(),
            linear: self.linear.clone(),
            recipe: self.recipe.clone(),
        }
    }
}

impl<T> Region<T> {
    /// A region named `name` computing boxes with `f`.
    pub(crate) fn new(
        name: &'static str,
        f: impl Fn(&[Range<usize>]) -> Block<T> + Send + Sync + 'static,
    ) -> Region<T> {
        Region { name, f: Arc::new(f), linear: None, recipe: None }
    }

    /// This region as the single term of a [`Linear`] sum over itself, a source of `shape`.
    pub(crate) fn into_source(self, shape: &[usize]) -> Region<T> {
        let base = Region { linear: None, ..self.clone() };
        let perms = vec![(0..shape.len()).collect()];
        Region {
            linear: Some(Arc::new(Linear { base, base_shape: shape.to_vec(), perms })),
            ..self
        }
    }

    /// The values of the box `r`.
    pub(crate) fn eval(&self, r: &[Range<usize>]) -> Block<T> {
        (self.f)(r)
    }
}

/// Rebuilds a box of an array from boxes of its inputs (projection pushdown).
pub(crate) type Boxer<T> = Arc<dyn Fn(&[Range<usize>]) -> Array<T> + Send + Sync>;

impl<T> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array { inner: self.inner.clone() }
    }
}

impl<T> fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Ok(i) => f
                .debug_struct("Array")
                .field("dtype", &std::any::type_name::<T>())
                .field("shape", &i.shape)
                .field("chunks", &i.chunks.sizes())
                .finish(),
            Err(e) => f.debug_tuple("Array").field(e).finish(),
        }
    }
}

impl<T: Element> Array<T> {
    pub(crate) fn from_parts(chunks: Chunks, blocks: Vec<Delayed<Block<T>>>) -> Array<T> {
        debug_assert_eq!(blocks.len(), chunks.num_blocks());
        let shape = chunks.shape();
        Array { inner: Ok(Arc::new(Inner { chunks, shape, blocks, region: None, boxer: None })) }
    }

    /// This array, knowing that its boxes can be computed by `region` (see `crate::pushdown`).
    pub(crate) fn with_region(self, region: Option<Region<T>>) -> Array<T> {
        self.with(|i| i.region = region)
    }

    /// This array, knowing that its boxes can be rebuilt by `boxer`.
    pub(crate) fn with_boxer(self, boxer: Boxer<T>) -> Array<T> {
        self.with(|i| i.boxer = Some(boxer))
    }

    fn with(self, f: impl FnOnce(&mut Inner<T>)) -> Array<T> {
        match self.inner {
            Ok(i) => {
                let mut i = Arc::try_unwrap(i).unwrap_or_else(|a| Inner {
                    chunks: a.chunks.clone(),
                    shape: a.shape.clone(),
                    blocks: a.blocks.clone(),
                    region: a.region.clone(),
                    boxer: a.boxer.clone(),
                });
                f(&mut i);
                Array { inner: Ok(Arc::new(i)) }
            }
            Err(e) => Array::failed(e),
        }
    }

    /// An array of no elements on the grid `chunks` (some axis has length 0): one empty
    /// literal block per chunk, no task reading anything.
    pub(crate) fn empty(chunks: Chunks) -> Array<T> {
        debug_assert!(chunks.shape().contains(&0));
        let blocks = chunks
            .indices()
            .map(|j| {
                let shape = chunks.block_shape(&j);
                let block = Block::<T>::from_shape_vec(IxDyn(&shape), Vec::new())
                    .expect("a shape with a 0 holds no elements");
                lazydag_core::delayed(block).name("empty").shared()
            })
            .collect();
        Array::from_parts(chunks, blocks)
    }

    pub(crate) fn failed(error: Error) -> Array<T> {
        Array { inner: Err(error) }
    }

    pub(crate) fn parts(&self) -> Result<&Inner<T>, Error> {
        self.inner.as_deref().map_err(Clone::clone)
    }

    /// The error recorded while building this array, if any; `Ok(self)` otherwise, so
    /// `x.check()?` reports bad input early.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let bad = da::zeros::<f64>(&[4], 0);
    /// assert!(bad.check().unwrap_err().to_string().contains("chunk size 0"));
    /// ```
    ///
    /// # Errors
    /// The first error of the operations that built this array.
    pub fn check(&self) -> Result<&Self, Error> {
        self.parts().map(|_| self)
    }

    /// The shape (empty for a 0-d array, and for an array whose recording failed).
    pub fn shape(&self) -> &[usize] {
        self.inner.as_ref().map(|i| i.shape.as_slice()).unwrap_or(&[])
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The length of the first axis (like `len()` of a NumPy array; 1 for a 0-d array).
    pub fn len(&self) -> usize {
        self.shape().first().copied().unwrap_or(1)
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// The number of elements.
    pub fn size(&self) -> usize {
        self.shape().iter().product()
    }

    /// The chunking; for a failed array, the chunks of a 0-d array.
    pub fn chunks(&self) -> Chunks {
        self.inner.as_ref().map(|i| i.chunks.clone()).unwrap_or_else(|_| Chunks::from_sizes(vec![]))
    }

    /// The number of blocks (chunks), which is the number of tasks the last operation
    /// recorded at most.
    pub fn num_blocks(&self) -> usize {
        self.inner.as_ref().map(|i| i.blocks.len()).unwrap_or(0)
    }

    /// Computes the whole array with the default scheduler.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::ones::<i32>(&[2, 3], 2);
    /// assert_eq!(x.compute().unwrap(), ndarray::ArrayD::from_elem(vec![2, 3], 1));
    /// ```
    ///
    /// # Errors
    /// The array's recording error, or the first task that failed ([`Error::Compute`]).
    pub fn compute(&self) -> Result<ArrayD<T>, Error> {
        self.compute_with(&*default_scheduler()?)
    }

    /// Computes the whole array with `scheduler`.
    ///
    /// # Errors
    /// As [`compute`](Array::compute).
    pub fn compute_with(&self, scheduler: &dyn Scheduler) -> Result<ArrayD<T>, Error> {
        self.compute_with_control(scheduler, &Control::new())
    }

    /// Computes the whole array with `scheduler` under `control` (callbacks, cancellation,
    /// timeout, optimizer).
    ///
    /// # Errors
    /// As [`compute`](Array::compute).
    pub fn compute_with_control(
        &self,
        scheduler: &dyn Scheduler,
        control: &Control,
    ) -> Result<ArrayD<T>, Error> {
        let whole = self.to_delayed_array()?;
        Ok(compute_with_control(&whole, scheduler, control)?)
    }

    /// Computes the array into a fixed-rank ndarray (`Array2<f64>` with `D = Ix2`).
    ///
    /// ```
    /// use lazydag_array as da;
    /// let e: ndarray::Array2<f64> = da::eye(3, 2).compute_dim().unwrap();
    /// assert_eq!(e[[1, 1]], 1.0);
    /// ```
    ///
    /// # Errors
    /// As [`compute`](Array::compute), and [`Error::Invalid`] when `D` is not the array's rank.
    pub fn compute_dim<D: Dimension>(&self) -> Result<ndarray::Array<T, D>, Error> {
        let ndim = self.ndim();
        self.compute()?
            .into_dimensionality::<D>()
            .map_err(|e| Error::invalid("compute_dim", format!("the array has {ndim} axes: {e}")))
    }

    /// Computes a 0-d array (the result of [`sum`](Array::sum) and other full reductions)
    /// into its single value.
    ///
    /// # Errors
    /// As [`compute`](Array::compute), and [`Error::Invalid`] when the array is not 0-d.
    pub fn compute_scalar(&self) -> Result<T, Error> {
        let a = self.compute()?;
        if a.ndim() != 0 {
            return Err(Error::invalid(
                "compute_scalar",
                format!("the array has shape {:?}: only a 0-d array is a scalar", a.shape()),
            ));
        }
        a.into_iter().next().ok_or_else(|| Error::invalid("compute_scalar", "empty array"))
    }

    /// One task that assembles the whole array from its blocks.
    ///
    /// # Errors
    /// The array's recording error.
    ///
    /// Each chunk is copied into the output by its own task as soon as it is ready (under a
    /// lock), so chunks run in parallel and are freed one by one: the compute holds the output
    /// and the chunks in flight, not the output and every chunk. Except for an `f64` array of
    /// at most 2^22 elements whose blocks are all named functions' tasks (a reduction's
    /// result, a slice of a random source): one named task assembles it from a gather of the
    /// blocks, so that a cluster can run it too (`crate::remote`).
    pub fn to_delayed_array(&self) -> Result<Delayed<ArrayD<T>>, Error> {
        let p = self.parts()?;
        if p.blocks.len() == 1 {
            if let Some(named) = crate::remote::assemble_one(&p.blocks[0]) {
                return Ok(named);
            }
            return Ok(p.blocks[0].map(|b: Block<T>| b.into_owned()).name("assemble").shared());
        }
        if let Some(named) = crate::remote::assemble_many(p) {
            return Ok(named);
        }
        type Out<T> = Arc<Mutex<Option<ArrayD<T>>>>;
        let shape = p.shape.clone();
        let out: Delayed<Out<T>> = lazydag_core::delayed(())
            .map(move |()| {
                Arc::new(Mutex::new(Some(ArrayD::from_elem(IxDyn(&shape), T::default()))))
            })
            .name("allocate")
            .shared();
        let writes: Vec<Delayed<()>> = p
            .chunks
            .indices()
            .zip(&p.blocks)
            .map(|(idx, d)| {
                let region = region(&p.chunks, &idx);
                let write = move |buf: Out<T>, b: Block<T>| {
                    let mut guard = lock(&buf);
                    if let Some(o) = guard.as_mut() {
                        o.slice_mut(region.as_slice()).assign(&b);
                    }
                };
                delayed!((write)(&out, d)).name("store")
            })
            .collect();
        let take = |buf: Out<T>, _: Vec<()>| lock(&buf).take().unwrap_or_default();
        Ok(delayed!((take)(&out, writes)).name("assemble").shared())
    }

    /// The grid of per-chunk `Delayed` handles, like `dask.array.Array.to_delayed()`: mix
    /// them with your own tasks, and come back with [`from_delayed`](Array::from_delayed).
    ///
    /// ```
    /// use lazydag_array as da;
    /// let x = da::arange(0.0, 6.0, 1.0, 2);
    /// let grid = x.to_delayed().unwrap();
    /// assert_eq!(grid.shape(), &[3]);
    /// let last = grid[[2]].compute().unwrap();
    /// assert_eq!(last.as_slice().unwrap(), &[4.0, 5.0]);
    /// ```
    ///
    /// # Errors
    /// The array's recording error.
    pub fn to_delayed(&self) -> Result<ArrayD<Delayed<Block<T>>>, Error> {
        let p = self.parts()?;
        ArrayD::from_shape_vec(IxDyn(&p.chunks.grid()), p.blocks.clone())
            .map_err(|e| Error::invalid("to_delayed", e.to_string()))
    }

    /// An array from a grid of per-chunk `Delayed` handles and the chunk sizes they have,
    /// like `dask.array.from_delayed` (for a grid of them). A block whose computed shape is
    /// not the declared one fails the compute with an error naming its task.
    ///
    /// ```
    /// use lazydag_array::{Array, Block};
    /// use lazydag_core::delayed;
    /// let parts: Vec<_> = (0..3)
    ///     .map(|i| delayed(ndarray::ArrayD::from_elem(vec![2], i as f64).into_shared()))
    ///     .collect();
    /// let grid = ndarray::ArrayD::from_shape_vec(vec![3], parts).unwrap();
    /// let x = Array::from_delayed(grid, vec![vec![2, 2, 2]]);
    /// assert_eq!(x.sum().compute_scalar().unwrap(), 6.0);
    /// ```
    pub fn from_delayed(grid: ArrayD<Delayed<Block<T>>>, chunks: impl Into<ChunkSpec>) -> Array<T> {
        let chunks = match chunks.into() {
            ChunkSpec::Explicit(s) => {
                let sum = |a: &Vec<usize>| a.iter().try_fold(0usize, |t, &c| t.checked_add(c));
                let Some(shape) = s.iter().map(sum).collect::<Option<Vec<usize>>>() else {
                    return Array::failed(Error::invalid(
                        "from_delayed",
                        format!("the chunks {s:?} overflow a usize"),
                    ));
                };
                match Chunks::new(&shape, s) {
                    Ok(c) => c,
                    Err(e) => return Array::failed(e),
                }
            }
            _ => {
                return Array::failed(Error::invalid(
                    "from_delayed",
                    "give the explicit chunk sizes of every axis (vec![vec![..], ..])",
                ));
            }
        };
        if grid.shape() != chunks.grid().as_slice() {
            return Array::failed(Error::ShapeMismatch {
                op: "from_delayed",
                left: grid.shape().to_vec(),
                right: chunks.grid(),
                why: "the grid of handles must have one handle per chunk".into(),
            });
        }
        let blocks = chunks
            .indices()
            .zip(grid.iter())
            .map(|(idx, d)| {
                let want = chunks.block_shape(&idx);
                d.try_map(move |b: Block<T>| {
                    if b.shape() == want.as_slice() {
                        Ok(b)
                    } else {
                        Err(Error::ShapeMismatch {
                            op: "from_delayed",
                            left: b.shape().to_vec(),
                            right: want.clone(),
                            why: "a block's shape must be the declared chunk shape".into(),
                        })
                    }
                })
                .name("from-delayed")
                .shared()
            })
            .collect();
        Array::from_parts(chunks, blocks)
    }

    /// The graph of this array's chunks in Graphviz DOT (`dot -Tsvg`), one node per task.
    ///
    /// ```
    /// use lazydag_array as da;
    /// let dot = (&da::ones::<f64>(&[4], 2) + 1.0).to_dot();
    /// assert!(dot.starts_with("digraph lazydag {"));
    /// assert!(dot.contains("label=\"add\""));
    /// ```
    pub fn to_dot(&self) -> String {
        match &self.inner {
            Ok(i) => lazydag_core::to_dot(&i.blocks),
            Err(e) => format!("digraph lazydag {{\n  error [label={:?}];\n}}\n", e.to_string()),
        }
    }

    /// The handle of the block at grid position `index`.
    pub(crate) fn block(&self, p: &Inner<T>, index: &[usize]) -> Delayed<Block<T>> {
        p.blocks[p.chunks.linear(index)].clone()
    }
}

/// Where the block at grid position `idx` lies in the whole array.
pub(crate) fn region(chunks: &Chunks, idx: &[usize]) -> Vec<SliceInfoElem> {
    let offsets = chunks.block_offset(idx);
    let ranges: Vec<Range<usize>> =
        offsets.iter().zip(chunks.block_shape(idx)).map(|(&o, n)| o..o + n).collect();
    slice_info(&ranges)
}

/// The ndarray slice of the box `ranges` (one range per axis, step 1).
pub(crate) fn slice_info(ranges: &[Range<usize>]) -> Vec<SliceInfoElem> {
    ranges
        .iter()
        .map(|r| SliceInfoElem::Slice {
            start: r.start as isize,
            end: Some(r.end as isize),
            step: 1,
        })
        .collect()
}
