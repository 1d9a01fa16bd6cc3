//! [`Chunks`]: how an array is cut into blocks, and [`ChunkSpec`]: how users ask for it.
//!
//! Invariants of a [`Chunks`]: per axis, the sizes sum to the axis length; every size is
//! positive, except that an axis of length 0 has the single chunk `[0]`. Blocks are numbered
//! in row-major (C) order over the block grid.

use crate::error::Error;

/// The chunk sizes of every axis, like dask's `chunks=((2, 2, 1), (3, 3))`.
///
/// ```
/// use lazydag_array::Chunks;
/// let c = Chunks::new(&[5, 6], [2, 3]).unwrap();
/// assert_eq!(c.sizes(), &[vec![2, 2, 1], vec![3, 3]]);
/// assert_eq!(c.grid(), vec![3, 2]);
/// assert_eq!(c.block_shape(&[2, 1]), vec![1, 3]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunks {
    sizes: Vec<Vec<usize>>,
    offsets: Vec<Vec<usize>>,
}

/// A chunking request: one size for every axis (`1000`), one size per axis (`[1000, 500]`),
/// or explicit sizes per axis (`vec![vec![2, 3], vec![5]]`), which may be irregular.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkSpec {
    /// The same chunk size on every axis; the last chunk of an axis may be smaller.
    Uniform(usize),
    /// One chunk size per axis; the last chunk of an axis may be smaller.
    PerAxis(Vec<usize>),
    /// Every chunk's size, per axis.
    Explicit(Vec<Vec<usize>>),
}

impl From<usize> for ChunkSpec {
    fn from(size: usize) -> Self {
        ChunkSpec::Uniform(size)
    }
}

impl<const N: usize> From<[usize; N]> for ChunkSpec {
    fn from(sizes: [usize; N]) -> Self {
        ChunkSpec::PerAxis(sizes.to_vec())
    }
}

impl From<&[usize]> for ChunkSpec {
    fn from(sizes: &[usize]) -> Self {
        ChunkSpec::PerAxis(sizes.to_vec())
    }
}

impl From<Vec<usize>> for ChunkSpec {
    fn from(sizes: Vec<usize>) -> Self {
        ChunkSpec::PerAxis(sizes)
    }
}

impl From<Vec<Vec<usize>>> for ChunkSpec {
    fn from(sizes: Vec<Vec<usize>>) -> Self {
        ChunkSpec::Explicit(sizes)
    }
}

impl From<&Chunks> for ChunkSpec {
    fn from(chunks: &Chunks) -> Self {
        ChunkSpec::Explicit(chunks.sizes.clone())
    }
}

impl From<Chunks> for ChunkSpec {
    fn from(chunks: Chunks) -> Self {
        ChunkSpec::Explicit(chunks.sizes)
    }
}

/// The most chunks one array may have (each is a task; 2^28 tasks is tens of GB of graph).
pub(crate) const MAX_BLOCKS: usize = 1 << 28;

fn regular(shape: &[usize], axis: usize, size: usize) -> Result<Vec<usize>, Error> {
    let len = shape[axis];
    if size == 0 {
        return Err(Error::Chunks {
            shape: shape.to_vec(),
            why: format!("chunk size 0 on axis {axis}: chunk sizes must be at least 1"),
        });
    }
    if len == 0 {
        return Ok(vec![0]);
    }
    let mut v = vec![size; len / size];
    if !len.is_multiple_of(size) {
        v.push(len % size);
    }
    Ok(v)
}

/// Why a grid is refused: one home for the message.
fn too_many() -> String {
    format!("more than {MAX_BLOCKS} chunks: use larger chunks (each chunk is a task)")
}

impl Chunks {
    /// Resolves `spec` against `shape`.
    ///
    /// # Errors
    /// [`Error::Chunks`] when a size is 0, the number of axes differs from the shape's, or
    /// explicit sizes do not sum to the axis length.
    pub fn new(shape: &[usize], spec: impl Into<ChunkSpec>) -> Result<Chunks, Error> {
        let bad = |why: String| Error::Chunks { shape: shape.to_vec(), why };
        if shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).is_none() {
            return Err(bad("the shape has more elements than a usize can count".into()));
        }
        let spec = spec.into();
        // Refuse grids too large to record before allocating them.
        let blocks = match &spec {
            ChunkSpec::Uniform(c) => shape
                .iter()
                .map(|&d| if *c == 0 { 1 } else { d.div_ceil(*c).max(1) })
                .try_fold(1usize, |acc, n| acc.checked_mul(n)),
            ChunkSpec::PerAxis(cs) => shape
                .iter()
                .zip(cs)
                .map(|(&d, &c)| if c == 0 { 1 } else { d.div_ceil(c).max(1) })
                .try_fold(1usize, |acc, n| acc.checked_mul(n)),
            ChunkSpec::Explicit(v) => {
                v.iter().map(Vec::len).try_fold(1usize, |acc, n| acc.checked_mul(n))
            }
        };
        if blocks.is_none_or(|b| b > MAX_BLOCKS) {
            return Err(bad(too_many()));
        }
        let sizes = match spec {
            ChunkSpec::Uniform(c) => {
                (0..shape.len()).map(|a| regular(shape, a, c)).collect::<Result<_, _>>()?
            }
            ChunkSpec::PerAxis(cs) => {
                if cs.len() != shape.len() {
                    return Err(bad(format!(
                        "{} chunk sizes for {} axes: give one size per axis",
                        cs.len(),
                        shape.len()
                    )));
                }
                cs.iter()
                    .enumerate()
                    .map(|(a, &c)| regular(shape, a, c))
                    .collect::<Result<_, _>>()?
            }
            ChunkSpec::Explicit(sizes) => {
                if sizes.len() != shape.len() {
                    return Err(bad(format!(
                        "chunks for {} axes given for {} axes",
                        sizes.len(),
                        shape.len()
                    )));
                }
                for (a, s) in sizes.iter().enumerate() {
                    let Some(total) = s.iter().try_fold(0usize, |t, &c| t.checked_add(c)) else {
                        return Err(bad(format!("the chunks {s:?} of axis {a} overflow a usize")));
                    };
                    if total != shape[a] {
                        return Err(bad(format!(
                            "the chunks {s:?} of axis {a} sum to {total}, not to the axis \
                             length {}",
                            shape[a]
                        )));
                    }
                    if shape[a] == 0 {
                        if s.as_slice() != [0] {
                            return Err(bad(format!(
                                "axis {a} has length 0: its chunks must be [0], not {s:?}"
                            )));
                        }
                    } else if s.contains(&0) {
                        return Err(bad(format!(
                            "the chunks {s:?} of axis {a} contain a 0: chunk sizes must be at \
                             least 1"
                        )));
                    }
                }
                sizes
            }
        };
        Ok(Chunks::from_sizes(sizes))
    }

    /// Builds from sizes an operation derived (each axis summing to `shape`'s length), refusing
    /// a grid of more than [`MAX_BLOCKS`] chunks as [`Chunks::new`] does: a broadcast or a
    /// product of two grids can multiply the inputs' chunk counts.
    ///
    /// # Errors
    /// [`Error::Chunks`] for a grid that large.
    pub(crate) fn checked(shape: &[usize], sizes: Vec<Vec<usize>>) -> Result<Chunks, Error> {
        let blocks = sizes.iter().map(Vec::len).try_fold(1usize, |acc, n| acc.checked_mul(n));
        if blocks.is_none_or(|b| b > MAX_BLOCKS) {
            return Err(Error::Chunks { shape: shape.to_vec(), why: too_many() });
        }
        Ok(Chunks::from_sizes(sizes))
    }

    /// Builds from sizes already known to be valid.
    pub(crate) fn from_sizes(sizes: Vec<Vec<usize>>) -> Chunks {
        let offsets = sizes
            .iter()
            .map(|s| {
                let mut o = Vec::with_capacity(s.len() + 1);
                let mut acc = 0;
                o.push(0);
                for &c in s {
                    acc += c;
                    o.push(acc);
                }
                o
            })
            .collect();
        Chunks { sizes, offsets }
    }

    /// The chunk sizes of every axis.
    pub fn sizes(&self) -> &[Vec<usize>] {
        &self.sizes
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.sizes.len()
    }

    /// The array's shape: the sum of each axis's chunks.
    pub fn shape(&self) -> Vec<usize> {
        self.offsets.iter().map(|o| *o.last().unwrap_or(&0)).collect()
    }

    /// The number of blocks along each axis.
    pub fn grid(&self) -> Vec<usize> {
        self.sizes.iter().map(Vec::len).collect()
    }

    /// The total number of blocks (1 for a 0-d array).
    pub fn num_blocks(&self) -> usize {
        self.sizes.iter().map(Vec::len).product()
    }

    /// The shape of the block at grid position `index`.
    pub fn block_shape(&self, index: &[usize]) -> Vec<usize> {
        index.iter().enumerate().map(|(a, &i)| self.sizes[a][i]).collect()
    }

    /// The global position of the first element of the block at `index`.
    pub fn block_offset(&self, index: &[usize]) -> Vec<usize> {
        index.iter().enumerate().map(|(a, &i)| self.offsets[a][i]).collect()
    }

    /// The start of every chunk of `axis`, followed by the axis length.
    pub(crate) fn offsets(&self, axis: usize) -> &[usize] {
        &self.offsets[axis]
    }

    /// The row-major number of a grid position.
    pub(crate) fn linear(&self, index: &[usize]) -> usize {
        index.iter().zip(&self.sizes).fold(0, |acc, (&i, s)| acc * s.len() + i)
    }

    /// Every grid position, in row-major order.
    pub(crate) fn indices(&self) -> GridIter {
        GridIter::new(self.grid())
    }
}

/// Row-major iteration over the positions of a grid.
#[derive(Debug)]
pub(crate) struct GridIter {
    grid: Vec<usize>,
    next: Option<Vec<usize>>,
}

impl GridIter {
    pub(crate) fn new(grid: Vec<usize>) -> GridIter {
        let next = if grid.contains(&0) { None } else { Some(vec![0; grid.len()]) };
        GridIter { grid, next }
    }
}

impl Iterator for GridIter {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        let current = self.next.take()?;
        let mut n = current.clone();
        let mut axis = n.len();
        loop {
            if axis == 0 {
                break;
            }
            axis -= 1;
            n[axis] += 1;
            if n[axis] < self.grid[axis] {
                self.next = Some(n);
                break;
            }
            n[axis] = 0;
        }
        Some(current)
    }
}

/// The chunks of one axis cut at every boundary of `a` and of `b` (both sum to the same
/// length): the common refinement used to align operands.
pub(crate) fn refine(a: &[usize], b: &[usize]) -> Vec<usize> {
    if a == b {
        return a.to_vec();
    }
    let mut cuts: Vec<usize> = Vec::with_capacity(a.len() + b.len());
    for s in [a, b] {
        let mut acc = 0;
        for &c in s {
            acc += c;
            cuts.push(acc);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len());
    let mut prev = 0;
    for c in cuts {
        if c > prev {
            out.push(c - prev);
        }
        prev = c;
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_iter_is_row_major() {
        let all: Vec<_> = GridIter::new(vec![2, 3]).collect();
        assert_eq!(all.len(), 6);
        assert_eq!(all[1], vec![0, 1]);
        assert_eq!(all[3], vec![1, 0]);
        assert_eq!(GridIter::new(vec![]).count(), 1);
    }

    #[test]
    fn refine_cuts_at_both() {
        assert_eq!(refine(&[2, 2, 2], &[3, 3]), vec![2, 1, 1, 2]);
        assert_eq!(refine(&[0], &[0]), vec![0]);
    }

    #[test]
    fn chunks_errors() {
        assert!(Chunks::new(&[4], 0).is_err());
        assert!(Chunks::new(&[4], vec![vec![2, 1]]).is_err());
        assert!(Chunks::new(&[4], vec![vec![4, 0]]).is_err());
        assert!(Chunks::new(&[4, 4], [2]).is_err());
        assert_eq!(Chunks::new(&[0], 3).unwrap().sizes(), &[vec![0]]);
        assert!(Chunks::new(&[usize::MAX, 2], 1).is_err());
        assert!(
            Chunks::new(&[1 << 20, 1 << 20], 1).unwrap_err().to_string().contains("larger chunks")
        );
    }
}
