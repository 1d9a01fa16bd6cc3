#!/usr/bin/env bash
# How fast is CPython's own loop depending on how a binary links libpython? (#16, the
# in-process route's open question in docs/distributed.md.) Builds two minimal Rust launchers
# (`Py_BytesMain`, nothing else) in a scratch directory: one on Debian's shared
# libpython3.11.so in a PIE (what the lazydag-dask binary is today) and one on the non-PIC
# libpython3.11.a in a non-PIE binary with --export-dynamic (what /usr/bin/python3.11 is),
# then counts the instructions of the same pure-Python loop under callgrind, against
# /usr/bin/python3.11 (start-up subtracted). Instruction counts do not depend on the load.
# Needs rustc, valgrind and Debian's python3.11-dev. Writes only under a mktemp directory.
set -euo pipefail
cfg=/usr/lib/python3.11/config-3.11-x86_64-linux-gnu
stock=/usr/bin/python3.11
[ -f "$cfg/libpython3.11.a" ] && [ -x "$stock" ] || { echo "needs Debian's python3.11-dev" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/main.rs" <<'RS'
use std::ffi::CString;
use std::os::raw::{c_char, c_int};
unsafe extern "C" {
    fn Py_BytesMain(argc: c_int, argv: *mut *mut c_char) -> c_int;
}
fn main() {
    let args: Vec<CString> = std::env::args().map(|a| CString::new(a).unwrap()).collect();
    let mut ptrs: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr() as *mut c_char).collect();
    ptrs.push(std::ptr::null_mut());
    // SAFETY: argv is a NULL-terminated array of C strings that outlive the call.
    std::process::exit(unsafe { Py_BytesMain((ptrs.len() - 1) as c_int, ptrs.as_mut_ptr()) })
}
RS
cat > "$dir/loop.py" <<'PY'
def f(d, i):
    d[i % 1000] = d.get(i % 1000, 0) + i
    return d
d = {}
for i in range(200_000):
    f(d, i)
PY
echo pass > "$dir/empty.py"
rustc --edition 2024 -O "$dir/main.rs" -o "$dir/shared-pie" -C link-arg=-lpython3.11
rustc --edition 2024 -O "$dir/main.rs" -o "$dir/static-nopie" -C relocation-model=static \
    -C link-arg=-no-pie -C link-arg=-Wl,--export-dynamic -L "$cfg" -l static=python3.11 \
    -l dylib=expat -l dylib=z -l dylib=m
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | sed -n 's/.*Collected : //p'; }
for bin in "$dir/shared-pie" "$dir/static-nopie" "$stock"; do
    total=$(count "$bin" "$dir/loop.py")
    start=$(count "$bin" "$dir/empty.py")
    echo "$(basename "$bin"): $(( (total - start) / 200000 )) instructions per loop iteration"
done
