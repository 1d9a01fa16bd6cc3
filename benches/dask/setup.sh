#!/usr/bin/env bash
# Creates the Python venv the benchmark harness runs Dask, pandas and joblib in (and pyarrow,
# which dask.dataframe needs):
# target/dask-venv (ignored by git). Does nothing when the venv already imports all three.
# Usage: bash benches/dask/setup.sh   (the harness runs it for --with-dask)
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/dask-venv
python=${PYTHON:-python3}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import dask, dask.dataframe, pandas, joblib" 2>/dev/null; then
    exit 0
fi
mkdir -p target
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check dask pandas joblib pyarrow
"$venv/bin/python" -c "import dask, dask.dataframe, pandas, joblib; print('dask', dask.__version__)"
