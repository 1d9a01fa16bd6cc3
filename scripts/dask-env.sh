#!/usr/bin/env bash
# Makes the Python environment lazydag-dask builds and runs against: a venv with pinned
# `dask[distributed]` and `bokeh` (the dashboard) in target/dask-dist-venv, ignored by git.
# Prints `PYO3_PYTHON=<venv>/bin/python`, the variable that tells cargo (pyo3) which Python to
# build for. Does nothing but print it when the venv already imports the pinned versions.
#
#   eval "$(bash scripts/dask-env.sh)" && cargo test -p lazydag-dask --features python
#
# Exit status 3 (and a message on stderr) when pip cannot install the packages, e.g. no
# network: callers skip what needs Dask and say so (scripts/test.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."

# The pins: every machine of a cluster needs the same versions (Dask warns on a mismatch).
DASK_PIN="dask[distributed]==2026.8.0"
BOKEH_PIN="bokeh==3.8.0"
venv=${LAZYDAG_DASK_VENV:-$PWD/target/dask-dist-venv}
# Debian's python3 (with python3-dev) keeps libpython on the default library path, so the
# binary needs no rpath; PYTHON overrides it (a pyenv build then needs LD_LIBRARY_PATH).
python=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

want='import dask, distributed, bokeh; assert dask.__version__ == "2026.8.0", dask.__version__'
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$want" 2>/dev/null; then
    echo "PYO3_PYTHON=$venv/bin/python"
    exit 0
fi
mkdir -p "$(dirname "$venv")"
if ! "$python" -m venv "$venv" >&2; then
    echo "dask-env: '$python -m venv' failed (install python3-venv and python3-dev)" >&2
    exit 3
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --timeout 30 --retries 2 "$DASK_PIN" "$BOKEH_PIN" >&2; then
    echo "dask-env: pip could not install $DASK_PIN $BOKEH_PIN (no package index reachable?)" >&2
    exit 3
fi
"$venv/bin/python" -c "$want" >&2
echo "PYO3_PYTHON=$venv/bin/python"
