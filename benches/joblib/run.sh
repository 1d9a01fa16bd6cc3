#!/usr/bin/env bash
# The Memory-hit comparison of docs/benchmarks.md ("Disk cache (Memory)"), in one run:
# lazydag-parallel's criterion benches `memory/hit_1kb` and `memory/task_hit_1kb_upstream_skip`,
# then joblib's hit of the same 1 KB value (memory_hit.py), alternately, ROUNDS times (3 by
# default), so each pair of figures was measured minutes apart at most.
#
#   bash benches/joblib/run.sh            # makes target/joblib-venv (pip install joblib) once
#
# Exit status 3 when pip cannot install joblib (no package index reachable): the Rust
# figures are still printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/joblib-venv
rounds=${ROUNDS:-3}
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import joblib' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 30 \
        --retries 2 joblib || { echo "run.sh: pip could not install joblib" >&2; joblib=no; }
fi
for round in $(seq "$rounds"); do
    echo "== round $round"
    cargo bench -q -p lazydag-parallel --bench parallel -- 'memory/(hit_1kb|task_hit)' \
        --warm-up-time 1 --measurement-time 3 2>&1 | grep -E '^memory/|time:' || true
    python3 - <<'PY'
import json, glob
for p in sorted(glob.glob("target/criterion/memory/*1kb*/new/estimates.json")):
    e = json.load(open(p))
    print(p.split("/")[3], "median", round(e["median"]["point_estimate"] / 1e3, 2), "us",
          "(95% CI", round(e["median"]["confidence_interval"]["lower_bound"] / 1e3, 2), "-",
          round(e["median"]["confidence_interval"]["upper_bound"] / 1e3, 2), "us)")
PY
    if [ "${joblib:-yes}" = yes ]; then "$venv/bin/python" benches/joblib/memory_hit.py; fi
done
[ "${joblib:-yes}" = yes ] || exit 3
