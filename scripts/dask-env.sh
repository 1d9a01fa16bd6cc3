#!/usr/bin/env bash
# Makes the Python environment lazydag-dask builds and runs against: a venv with pinned
# `dask[distributed]` and `bokeh` (the dashboard) in target/dask-dist-venv, ignored by git; and
# pinned `pandas`, which lazydag-frame's pandas test (tests/pandas.rs) reads the same CSVs with.
# Prints `PYO3_PYTHON=<venv>/bin/python`, the variable that tells cargo (pyo3) which Python to
# build for. Does nothing but print it when the venv already imports the pinned versions.
#
#   export "$(bash scripts/dask-env.sh)" && cargo test -p lazydag-dask --features python
#
# Exit status 3 (and a message on stderr) when pip cannot install the packages, e.g. no
# network: callers skip what needs Dask and say so (scripts/test.sh does).
#
# Opt-in, LAZYDAG_DASK_LINK=static: link CPython into the binary the way /usr/bin/python3.11
# is linked (Debian's non-PIC libpython3.11.a, a non-PIE executable, --export-dynamic so that
# C extension modules find the interpreter's symbols), instead of the shared libpython in a
# PIE, whose position-independent code costs the scheduler and workers interpreter time
# (docs/distributed.md, "A likely cause"). Prints three `export` lines instead of one:
#
#   eval "$(LAZYDAG_DASK_LINK=static bash scripts/dask-env.sh)"
#   cargo build --release --target x86_64-unknown-linux-gnu -p lazydag-dask --features python ...
#
# `--target` is needed: it keeps the static relocation model off build scripts and proc
# macros (which are shared objects), and puts these binaries in their own directory
# (target/x86_64-unknown-linux-gnu/), so they never replace the default ones.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pins: every machine of a cluster needs the same versions (Dask warns on a mismatch).
DASK_PIN="dask[distributed]==2026.8.0"
BOKEH_PIN="bokeh==3.8.0"
PANDAS_PIN="pandas==3.1.1"
venv=${LAZYDAG_DASK_VENV:-$PWD/target/dask-dist-venv}
# Debian's python3 (with python3-dev) keeps libpython on the default library path, so the
# binary needs no rpath; PYTHON overrides it (a pyenv build then needs LD_LIBRARY_PATH).
python=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

want='import dask, distributed, bokeh, pandas
assert dask.__version__ == "2026.8.0", dask.__version__
assert pandas.__version__ == "3.1.1", pandas.__version__'
# What to print once the venv is there: one line, or the static link's three.
emit() {
    if [ "${LAZYDAG_DASK_LINK:-}" != static ]; then
        echo "PYO3_PYTHON=$venv/bin/python"
        return
    fi
    local ver cfg
    ver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    cfg=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("LIBPL"))')
    if [ ! -f "$cfg/libpython$ver.a" ]; then
        echo "dask-env: no $cfg/libpython$ver.a for LAZYDAG_DASK_LINK=static (install python$ver-dev)" >&2
        exit 2
    fi
    cat > "$venv/pyo3-static.cfg" <<CFG
implementation=CPython
version=$ver
shared=false
lib_name=python$ver
lib_dir=$cfg
executable=$venv/bin/python
pointer_width=64
build_flags=
suppress_build_script_link_lines=false
extra_build_script_line=cargo:rustc-link-lib=dylib=expat
extra_build_script_line=cargo:rustc-link-lib=dylib=z
extra_build_script_line=cargo:rustc-link-lib=dylib=m
CFG
    echo "export PYO3_PYTHON=$venv/bin/python"
    echo "export PYO3_CONFIG_FILE=$venv/pyo3-static.cfg"
    echo "export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS='-C relocation-model=static -C link-arg=-Wl,--export-dynamic'"
}

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$want" 2>/dev/null; then
    emit
    exit 0
fi
mkdir -p "$(dirname "$venv")"
if ! "$python" -m venv "$venv" >&2; then
    echo "dask-env: '$python -m venv' failed (install python3-venv and python3-dev)" >&2
    exit 3
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --timeout 30 --retries 2 "$DASK_PIN" "$BOKEH_PIN" "$PANDAS_PIN" >&2; then
    echo "dask-env: pip could not install $DASK_PIN $BOKEH_PIN $PANDAS_PIN (no package index reachable?)" >&2
    exit 3
fi
"$venv/bin/python" -c "$want" >&2
emit
