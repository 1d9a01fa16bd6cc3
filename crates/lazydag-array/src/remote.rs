//! Array tasks recorded as named functions with data parameters, so that a cluster can run
//! them (`lazydag-dask`): the seed's path, a seeded random source and any box of it, its
//! blocks, the sum and mean trees over it (`reduce::remote`), and for `f64` blocks the
//! selection inside a block (`getitem`), a new axis of length 1 (`keepdims`) and the assembly
//! of a result of one block or of several.
//!
//! Elsewhere an array task is a closure holding its parameters, which cannot cross a process
//! boundary. Here the parameters are a serde value (a [`Recipe`], a block's offset and
//! shape) passed to a plain function as a literal, and the function rebuilds the same region
//! and runs the same code as the closure would, so a graph computes the same bits locally
//! and on a cluster. With the crate's `remote` feature the functions are registered
//! (`#[lazydag_dask::remote]`); without it the graphs are the same, nothing is registered.
//!
//! Invariant: a [`Recipe`] is attached only to the region it describes
//! ([`source`]; a box of it is a [`Recipe::Window`] of it); every other operation that makes
//! a new region leaves it out, so a recipe never describes other values than its region's.

use std::any::Any;
use std::sync::Arc;

use lazydag_core::{Delayed, delayed};
use ndarray::{ArrayD, IxDyn, SliceInfoElem};

use crate::array::{Array, Block, Inner, Region};
use crate::chunks::{ChunkSpec, Chunks};
use crate::pushdown::{ranges, shifted};

/// What a source region's values are, as data: enough to rebuild the region anywhere.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub(crate) enum Recipe {
    /// A seeded random array (`crate::random`): its shape, seed, stream and distribution.
    Random { global: Vec<usize>, seed: u64, stream: u64, draw: Draw },
    /// The box of `base` of shape `shape` at `origin` (a slice of a source, pushed down).
    Window { base: Box<Recipe>, origin: Vec<usize>, shape: Vec<usize> },
}

/// The distribution of a random [`Recipe`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub(crate) enum Draw {
    /// Uniform on `[0, 1)` (`random`).
    Uniform,
    /// Normal with mean `loc` and standard deviation `scale` (`normal`).
    Normal { loc: f64, scale: f64 },
}

impl Recipe {
    /// The array's shape.
    pub(crate) fn shape(&self) -> &[usize] {
        match self {
            Recipe::Random { global, .. } => global,
            Recipe::Window { shape, .. } => shape,
        }
    }

    /// The box `r` of this recipe's values, as a recipe (a window of a window is one window
    /// of the base).
    pub(crate) fn window(&self, r: &[std::ops::Range<usize>]) -> Recipe {
        let shape = r.iter().map(|r| r.len()).collect();
        match self {
            Recipe::Window { base, origin, .. } => {
                let origin = origin.iter().zip(r).map(|(o, r)| o + r.start).collect();
                Recipe::Window { base: base.clone(), origin, shape }
            }
            _ => Recipe::Window {
                base: Box::new(self.clone()),
                origin: r.iter().map(|r| r.start).collect(),
                shape,
            },
        }
    }

    /// The region these values are, without the recipe.
    pub(crate) fn region(&self) -> Region<f64> {
        match self {
            Recipe::Random { global, seed, stream, draw } => {
                crate::random::region(global, *seed, *stream, *draw)
            }
            Recipe::Window { base, origin, .. } => shifted(&base.region(), origin.clone()),
        }
    }
}

/// One block of a source: the recipe and the block's place.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct BlockSpec {
    recipe: Recipe,
    offset: Vec<usize>,
    shape: Vec<usize>,
}

/// The source array of `recipe` cut into `chunks`: its region carries the recipe, and each
/// block is a recomputable (`.inline()`) [`source_block`] task.
pub(crate) fn source(recipe: Recipe, chunks: impl Into<ChunkSpec>) -> Array<f64> {
    let chunks = match Chunks::new(recipe.shape(), chunks) {
        Ok(c) => c,
        Err(e) => return Array::failed(e),
    };
    let region = recipe.region();
    let name = region.name;
    let region = Region { recipe: Some(Arc::new(recipe.clone())), ..region };
    let region = region.into_source(recipe.shape());
    let blocks = chunks
        .indices()
        .map(|idx| {
            let spec = BlockSpec {
                recipe: recipe.clone(),
                offset: chunks.block_offset(&idx),
                shape: chunks.block_shape(&idx),
            };
            delayed!(source_block(spec)).name(name).shared().inline()
        })
        .collect();
    Array::from_parts(chunks, blocks).with_region(Some(region))
}

/// Generates one block of a source.
#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn source_block(spec: BlockSpec) -> Block<f64> {
    spec.recipe.region().eval(&ranges(&spec.offset, &spec.shape))
}

/// A one-block result as the computed array (the task `compute` ends with).
#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn assemble(block: Block<f64>) -> ArrayD<f64> {
    block.into_owned()
}

/// Where the blocks of a result of several blocks go: the array's shape and each block's
/// offset, in block order.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
struct Layout {
    shape: Vec<usize>,
    offsets: Vec<Vec<usize>>,
}

/// A result of several blocks as the computed array: each block copied into its place.
#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn assemble_blocks(layout: Layout, blocks: Vec<Block<f64>>) -> ArrayD<f64> {
    let mut out = ArrayD::from_elem(IxDyn(&layout.shape), 0.0);
    for (offset, b) in layout.offsets.iter().zip(&blocks) {
        let r = ranges(offset, b.shape());
        out.slice_each_axis_mut(|ax| ndarray::Slice::from(r[ax.axis.index()].clone())).assign(b);
    }
    out
}

/// The most elements a result of several blocks may have to be assembled by one named
/// [`assemble_blocks`] task (32 MB of `f64`): that task holds every block and the output at
/// once, where the chunk-by-chunk assembly holds the output and the blocks in flight.
const ASSEMBLE_ONE_TASK: usize = 1 << 22;

/// The `assemble` task of an `f64` array of several blocks that are all named functions'
/// (none a closure or a literal), when it has at most [`ASSEMBLE_ONE_TASK`] elements: one
/// [`assemble_blocks`] task over a gather of the blocks. Else `None` (the caller records
/// the chunk-by-chunk assembly).
pub(crate) fn assemble_many<T: 'static>(p: &Inner<T>) -> Option<Delayed<ArrayD<T>>> {
    let blocks = (&p.blocks as &dyn Any).downcast_ref::<Vec<Delayed<Block<f64>>>>()?;
    let named = |d: &Delayed<Block<f64>>| {
        d.task().function_path().is_some_and(|path| !path.ends_with("{{closure}}"))
    };
    if p.shape.iter().product::<usize>() > ASSEMBLE_ONE_TASK || !blocks.iter().all(named) {
        return None;
    }
    let layout = Layout {
        shape: p.shape.clone(),
        offsets: p.chunks.indices().map(|idx| p.chunks.block_offset(&idx)).collect(),
    };
    let all: Delayed<Vec<Block<f64>>> = blocks.iter().collect();
    cast(delayed!(assemble_blocks(layout, all)).name("assemble").shared())
}

/// One axis's selection, as data (`ndarray::SliceInfoElem`).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
enum Sel {
    Slice { start: isize, end: Option<isize>, step: isize },
    Index(isize),
    NewAxis,
}

/// The selection `sel` inside one block (a slice's `getitem`).
#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn getitem(sel: Vec<Sel>, block: Block<f64>) -> Block<f64> {
    let info: Vec<SliceInfoElem> = sel
        .iter()
        .map(|s| match *s {
            Sel::Slice { start, end, step } => SliceInfoElem::Slice { start, end, step },
            Sel::Index(i) => SliceInfoElem::Index(i),
            Sel::NewAxis => SliceInfoElem::NewAxis,
        })
        .collect();
    block.slice_move(info.as_slice())
}

/// The named [`getitem`] task of an `f64` block, else `None` (the caller records its closure).
pub(crate) fn getitem_one<T: 'static>(
    block: &Delayed<Block<T>>,
    info: &[SliceInfoElem],
) -> Option<Delayed<Block<T>>> {
    let block = (block as &dyn Any).downcast_ref::<Delayed<Block<f64>>>()?;
    let sel: Vec<Sel> = info
        .iter()
        .map(|e| match *e {
            SliceInfoElem::Slice { start, end, step } => Sel::Slice { start, end, step },
            SliceInfoElem::Index(i) => Sel::Index(i),
            SliceInfoElem::NewAxis => Sel::NewAxis,
        })
        .collect();
    cast(delayed!(getitem(sel, block)).name("getitem").shared())
}

/// A block with a new axis of length 1 at `axis` (`insert_axis`, `keepdims`).
#[cfg_attr(feature = "remote", lazydag_dask::remote)]
fn insert_axis(axis: usize, block: Block<f64>) -> Block<f64> {
    block.insert_axis(ndarray::Axis(axis))
}

/// The named [`insert_axis`] task of an `f64` block, else `None` (the caller records its
/// closure).
pub(crate) fn insert_axis_one<T: 'static>(
    block: &Delayed<Block<T>>,
    axis: usize,
) -> Option<Delayed<Block<T>>> {
    let block = (block as &dyn Any).downcast_ref::<Delayed<Block<f64>>>()?;
    cast(delayed!(insert_axis(axis, block)).name("insert-axis").shared())
}

/// The `assemble` task of a one-block array: the named [`assemble`] for `f64`, else `None`
/// (the caller records its closure).
pub(crate) fn assemble_one<T: 'static>(block: &Delayed<Block<T>>) -> Option<Delayed<ArrayD<T>>> {
    let block = (block as &dyn Any).downcast_ref::<Delayed<Block<f64>>>()?;
    cast(delayed!(assemble(block)).name("assemble").shared())
}

/// `value` as a `B`, when `A` is `B` (a generic site that found out its type is `f64`).
pub(crate) fn cast<A: 'static, B: 'static>(value: A) -> Option<B> {
    (Box::new(value) as Box<dyn Any>).downcast::<B>().ok().map(|b| *b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tasks_are_named_functions_of_this_module() {
        let x = crate::random::RandomState::new(1).random([4, 4], 2);
        let p = x.parts().unwrap();
        let path = p.blocks[0].task().function_path().unwrap();
        assert_eq!(path, "lazydag_array::remote::source_block");
        let whole = x.mean().to_delayed_array().unwrap();
        assert_eq!(whole.task().function_path().unwrap(), "lazydag_array::remote::assemble");
        assert!(p.region.as_ref().unwrap().recipe.is_some());
        assert!(x.t().parts().unwrap().region.as_ref().unwrap().recipe.is_none());
    }

    #[test]
    fn the_named_trees_give_the_closure_trees_bits() {
        let x = crate::random::RandomState::new(9).random([300, 200], [70, 50]);
        let same = x.map(|v| v); // the same values in a region without a recipe: closures
        let bits = |a: &crate::Array<f64>| {
            a.compute().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        let pairs = [
            (x.mean(), same.mean()),
            (x.sum(), same.sum()),
            (x.sum_axis(0), same.sum_axis(0)),
            (x.split_every(3).mean_axis(1), same.split_every(3).mean_axis(1)),
            (x.mean_axis(0).slice(crate::s![3..9]), same.mean_axis(0).slice(crate::s![3..9])),
        ];
        for (i, (named, closures)) in pairs.iter().enumerate() {
            assert_eq!(bits(named), bits(closures), "pair {i}");
        }
    }
}
