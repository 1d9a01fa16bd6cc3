//! Function pointers' identity: which function of which build a `fn` pointer points to.
//!
//! Every `fn(i64) -> i64` pointer has one Rust type, so its type cannot tell two pointers
//! apart (see `key`). Its address can, but not across runs: address-space layout
//! randomization moves the executable at every start. So a pointer is named by
//! - the **build**: blake3 of the running executable's bytes (read once per process, through
//!   `/proc/self/exe`, which still opens the running file if it was replaced on disk since), and
//! - its **offset** from the start of the executable's image (which randomization shifts as a
//!   whole, so the offset is the same in every run of that file).
//!
//! Invariant: the pair names exactly one function in every run of one executable, so two
//! different pointers never share entries; a rebuild is another build, whose pointers get new
//! entries (they are not reused, even when the function did not change). A pointer outside the
//! executable's own code (into a shared library, which is placed apart from the executable)
//! or a platform without `/proc/self/maps` (anything but Linux) has no such name:
//! [`locate`] refuses it with a message that says what to cache instead.

use std::sync::OnceLock;

/// Where the executable's code lies in this process, and which build it is.
struct Image {
    /// blake3 of the executable file, in hex.
    build: String,
    /// The start of the executable's first mapping (file offset 0).
    base: u64,
    /// The executable's mappings that hold code (`x` in their permissions): start, end.
    code: Vec<(u64, u64)>,
}

/// The stable name of the function at `address` (a `fn` pointer's value): `<build>+<offset>`.
///
/// # Errors
/// A message for people when the address is not in the executable's code or the executable
/// cannot be read (so that a pointer cannot be named across runs).
pub(crate) fn locate(address: usize) -> Result<String, String> {
    static IMAGE: OnceLock<Result<Image, String>> = OnceLock::new();
    let image = IMAGE.get_or_init(image).as_ref().map_err(Clone::clone)?;
    let address = address as u64;
    if !image.code.iter().any(|&(start, end)| (start..end).contains(&address)) {
        return Err(format!(
            "the pointer {address:#x} is not in this executable's code (a shared library's \
             function?), so it has no name that holds across runs"
        ));
    }
    Ok(format!("{}+{:x}", image.build, address - image.base))
}

/// Reads this process's executable image: its hash and where its code is mapped.
#[cfg(target_os = "linux")]
fn image() -> Result<Image, String> {
    use std::os::unix::fs::MetadataExt;
    let why = |what: &str, err: std::io::Error| format!("cannot {what}: {err}");
    let exe = std::fs::read_link("/proc/self/exe").map_err(|e| why("find the executable", e))?;
    let file = std::fs::File::open("/proc/self/exe").map_err(|e| why("open the executable", e))?;
    let inode = file.metadata().map_err(|e| why("stat the executable", e))?.ino();
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(&file).map_err(|e| why("read the executable", e))?;
    let build = hasher.finalize().to_hex().to_string();
    let maps = std::fs::read_to_string("/proc/self/maps").map_err(|e| why("read the maps", e))?;
    let exe = exe.to_string_lossy();
    let mut base = u64::MAX;
    let mut code = Vec::new();
    for mapping in maps.lines().filter_map(Mapping::parse) {
        if mapping.inode != inode || mapping.path != exe {
            continue;
        }
        if mapping.offset == 0 {
            base = base.min(mapping.start);
        }
        if mapping.executable {
            code.push((mapping.start, mapping.end));
        }
    }
    if base == u64::MAX || code.is_empty() {
        return Err(format!("cannot find the executable `{exe}` in /proc/self/maps"));
    }
    Ok(Image { build, base, code })
}

/// Elsewhere there is no portable way to find the executable's mappings.
#[cfg(not(target_os = "linux"))]
fn image() -> Result<Image, String> {
    Err("function pointers are named by their place in the executable, which is read from \
         /proc/self/maps, on Linux only"
        .into())
}

/// One line of `/proc/self/maps`: `start-end perms offset dev inode path`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
#[derive(Debug, PartialEq, Eq)]
struct Mapping<'a> {
    start: u64,
    end: u64,
    executable: bool,
    offset: u64,
    inode: u64,
    path: &'a str,
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
impl<'a> Mapping<'a> {
    /// Parses one line; `None` for a line of another shape.
    fn parse(line: &'a str) -> Option<Self> {
        let mut rest = line;
        let mut field = || {
            rest = rest.trim_start();
            let end = rest.find(' ').unwrap_or(rest.len());
            let (field, tail) = rest.split_at(end);
            rest = tail;
            field
        };
        let (range, perms, offset, _dev, inode) = (field(), field(), field(), field(), field());
        let (start, end) = range.split_once('-')?;
        let hex = |s: &str| u64::from_str_radix(s, 16).ok();
        Some(Mapping {
            start: hex(start)?,
            end: hex(end)?,
            executable: perms.as_bytes().get(2) == Some(&b'x'),
            offset: hex(offset)?,
            inode: inode.parse().ok()?,
            path: rest.trim_start(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_maps_line_parses_with_spaces_in_its_path() {
        let line =
            "55d0c0a00000-55d0c0a2c000 r-xp 0001f000 fd:01 1234567    /opt/my app/bin (deleted)";
        let mapping = Mapping::parse(line).unwrap();
        assert_eq!(
            mapping,
            Mapping {
                start: 0x55d0_c0a0_0000,
                end: 0x55d0_c0a2_c000,
                executable: true,
                offset: 0x1f000,
                inode: 1_234_567,
                path: "/opt/my app/bin (deleted)",
            }
        );
        let anonymous = Mapping::parse("7ffd1000-7ffd2000 rw-p 00000000 00:00 0").unwrap();
        assert_eq!((anonymous.path, anonymous.executable), ("", false));
        assert_eq!(Mapping::parse("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pointers_into_the_executable_are_named_and_others_are_refused() {
        fn one(x: u64) -> u64 {
            x + 1
        }
        fn two(x: u64) -> u64 {
            x + 2
        }
        let name = |f: fn(u64) -> u64| locate(f as usize).unwrap();
        assert_eq!(name(one), name(one));
        assert_ne!(name(one), name(two));
        let named = name(one);
        let (build, _) = named.split_once('+').unwrap();
        assert_eq!(build.len(), 64);
        // A heap address is not code.
        let heap = Box::new(0u8);
        let err = locate(&*heap as *const u8 as usize).unwrap_err();
        assert!(err.contains("not in this executable's code"), "{err}");
    }
}
