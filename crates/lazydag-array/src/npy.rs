//! `.npy` files: read one chunk's byte ranges at a time, write chunk by chunk.
//!
//! Only C-order (`fortran_order: False`) little-endian files of the supported element types
//! (format versions 1.0, 2.0 and 3.0) are read. Each block task opens nothing: it reads its
//! rows with positioned reads (`pread`) on a shared file handle, so no task ever reads more
//! than its own chunk, and writing never holds more than the chunks in flight.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::{ArcArray, IxDyn};

use crate::array::{Array, Block};
use crate::chunks::{ChunkSpec, Chunks};
use crate::creation::BlockInfo;
use crate::element::Element;
use crate::error::Error;
use crate::task;

const MAGIC: &[u8] = b"\x93NUMPY";

struct Header {
    descr: String,
    fortran: bool,
    shape: Vec<usize>,
    data_start: u64,
}

fn bad(path: &Path, why: impl Into<String>) -> Error {
    Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidData, why.into()))
}

fn read_header(path: &Path, file: &File) -> Result<Header, Error> {
    let mut pre = [0u8; 12];
    file.read_exact_at(&mut pre, 0).map_err(|e| Error::io(path, e))?;
    if &pre[..6] != MAGIC {
        return Err(bad(path, "not a .npy file (bad magic)"));
    }
    let (len, start) = match pre[6] {
        1 => (u64::from(u16::from_le_bytes([pre[8], pre[9]])), 10u64),
        2 | 3 => (u64::from(u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]])), 12u64),
        v => return Err(bad(path, format!("unsupported .npy version {v}"))),
    };
    if len > 1 << 20 {
        return Err(bad(path, format!("a header of {len} bytes is not a .npy header")));
    }
    let mut text = vec![0u8; len as usize];
    file.read_exact_at(&mut text, start).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8_lossy(&text).into_owned();
    let field = |key: &str| -> Result<String, Error> {
        let k = format!("'{key}':");
        let at = text.find(&k).ok_or_else(|| bad(path, format!("header has no {key}")))?;
        Ok(text[at + k.len()..].trim_start().to_string())
    };
    let descr = field("descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or_else(|| bad(path, "bad descr"))?
        .to_string();
    let fortran = field("fortran_order")?.starts_with("True");
    let shape_text = field("shape")?;
    let inner = shape_text
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad(path, "bad shape"))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| bad(path, format!("bad shape entry {s:?}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Header { descr, fortran, shape, data_start: start + len })
}

fn descr_matches<T: Element>(descr: &str) -> bool {
    let want = T::NPY_DESCR;
    descr == want
        || (want.len() == 3
            && descr.len() == 3
            && descr.get(1..) == want.get(1..)
            && (descr.starts_with('|') || descr.starts_with('<')))
}

/// The byte runs of a block: (global flat index of the run's first element, run length),
/// one per row along the last axis.
fn runs(global: &[usize], b: &BlockInfo) -> Vec<(u64, usize)> {
    let nd = b.shape.len();
    if nd == 0 {
        return vec![(0, 1)];
    }
    let run = b.shape[nd - 1];
    let n: usize = b.shape.iter().product();
    if n == 0 {
        return vec![];
    }
    let mut out = Vec::with_capacity(n / run);
    let mut idx = vec![0usize; nd - 1];
    for _ in 0..n / run {
        let mut flat: u64 = 0;
        for a in 0..nd {
            let i = if a + 1 == nd { 0 } else { idx[a] };
            flat = flat * global[a] as u64 + (b.offset[a] + i) as u64;
        }
        out.push((flat, run));
        for a in (0..nd - 1).rev() {
            idx[a] += 1;
            if idx[a] < b.shape[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    out
}

/// An array backed by a `.npy` file, read lazily: each chunk task reads only its own byte
/// ranges. The header is read (and checked against `T`) now; the data when computed.
///
/// ```
/// use lazydag_array as da;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.npy");
/// let x = da::arange(0i32, 12, 1, 5);
/// x.store_npy(&path).unwrap();
/// let y = da::from_npy::<i32>(&path, 4);
/// assert_eq!(y.compute().unwrap(), x.compute().unwrap());
/// ```
pub fn from_npy<T: Element>(path: impl AsRef<Path>, chunks: impl Into<ChunkSpec>) -> Array<T> {
    let path = path.as_ref().to_path_buf();
    match open_npy::<T>(&path, chunks.into()) {
        Ok(a) => a,
        Err(e) => Array::failed(e),
    }
}

fn open_npy<T: Element>(path: &Path, chunks: ChunkSpec) -> Result<Array<T>, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let h = read_header(path, &file)?;
    if h.fortran {
        return Err(bad(path, "Fortran-order .npy files are not supported"));
    }
    if !descr_matches::<T>(&h.descr) {
        return Err(bad(
            path,
            format!(
                "the file holds {:?}, not {} ({})",
                h.descr,
                std::any::type_name::<T>(),
                T::NPY_DESCR
            ),
        ));
    }
    let chunks = Chunks::new(&h.shape, chunks)?;
    let file = Arc::new(file);
    let global = Arc::new(h.shape.clone());
    let path: Arc<PathBuf> = Arc::new(path.to_path_buf());
    let start = h.data_start;
    let blocks = chunks
        .indices()
        .map(|index| {
            let info = BlockInfo {
                offset: chunks.block_offset(&index),
                shape: chunks.block_shape(&index),
                index,
            };
            let (file, global, path) = (file.clone(), global.clone(), path.clone());
            lazydag_core::delayed(())
                .try_map(move |()| -> Result<Block<T>, Error> {
                    let n: usize = info.shape.iter().product();
                    let mut data = Vec::with_capacity(n);
                    let mut buf = Vec::new();
                    for (flat, len) in runs(&global, &info) {
                        buf.resize(len * T::SIZE, 0);
                        file.read_exact_at(&mut buf, start + flat * T::SIZE as u64)
                            .map_err(|e| Error::io(&path, e))?;
                        data.extend(buf.chunks_exact(T::SIZE).map(T::read_le));
                    }
                    ArcArray::from_shape_vec(IxDyn(&info.shape), data)
                        .map_err(|e| bad(&path, e.to_string()))
                })
                .name("from-npy")
                .shared()
        })
        .collect();
    Ok(Array::from_parts(chunks, blocks))
}

fn header_bytes<T: Element>(shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict =
        format!("{{'descr': '{}', 'fortran_order': False, 'shape': {shape_text}, }}", T::NPY_DESCR);
    // Version 1.0 if the header fits a u16, else 2.0; total length a multiple of 64.
    let (version, pre) = if dict.len() + 11 < 65_535 { (1u8, 10usize) } else { (2u8, 12usize) };
    let total = (pre + dict.len() + 1).div_ceil(64) * 64;
    while pre + dict.len() + 1 < total {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out
}

impl<T: Element> Array<T> {
    /// Writes the array to a `.npy` file chunk by chunk with the default scheduler: each
    /// chunk task writes its own byte ranges (positioned writes), so the whole array is
    /// never in memory, like `dask.array.to_npy_stack`'s single-file cousin.
    ///
    /// # Errors
    /// The array's recording error (before the file is created), an I/O error naming the
    /// file, or a task's failure.
    pub fn store_npy(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.store_npy_with(path, &*lazydag_core::scheduler::default_scheduler()?)
    }

    /// [`store_npy`](Array::store_npy) with a given scheduler.
    ///
    /// # Errors
    /// As [`store_npy`](Array::store_npy).
    pub fn store_npy_with(
        &self,
        path: impl AsRef<Path>,
        scheduler: &dyn lazydag_core::Scheduler,
    ) -> Result<(), Error> {
        let p = self.parts()?;
        let path = path.as_ref();
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let header = header_bytes::<T>(&p.shape);
        file.write_all_at(&header, 0).map_err(|e| Error::io(path, e))?;
        let n: u64 = p.shape.iter().map(|&d| d as u64).product();
        file.set_len(header.len() as u64 + n * T::SIZE as u64).map_err(|e| Error::io(path, e))?;
        let file = Arc::new(file);
        let start = header.len() as u64;
        let global = Arc::new(p.shape.clone());
        let path_buf = Arc::new(path.to_path_buf());
        let writes: Vec<_> = p
            .chunks
            .indices()
            .zip(&p.blocks)
            .map(|(index, d)| {
                let info = BlockInfo {
                    offset: p.chunks.block_offset(&index),
                    shape: p.chunks.block_shape(&index),
                    index,
                };
                let (file, global, path) = (file.clone(), global.clone(), path_buf.clone());
                d.try_map(move |b: Block<T>| -> Result<u64, Error> {
                    let b = b.as_standard_layout();
                    let flat = b.as_slice().expect("standard layout");
                    let mut pos = 0;
                    let mut bytes = Vec::new();
                    for (g, len) in runs(&global, &info) {
                        bytes.clear();
                        for &v in &flat[pos..pos + len] {
                            v.write_le(&mut bytes);
                        }
                        pos += len;
                        file.write_all_at(&bytes, start + g * T::SIZE as u64)
                            .map_err(|e| Error::io(&path, e))?;
                    }
                    Ok(pos as u64)
                })
                .name("store-npy")
            })
            .collect();
        let total = task::map_n("store-done", writes, |v: Vec<u64>| v.iter().sum::<u64>());
        let written = lazydag_core::compute_with(&total, scheduler)?;
        debug_assert_eq!(written, n.max(u64::from(p.shape.is_empty())));
        file.sync_all().map_err(|e| Error::io(path, e))?;
        Ok(())
    }
}
