#!/usr/bin/env bash
# The seed array example, lazydag and dask.array in the same session, 3 runs each (medians
# go in docs/benchmarks.md). Needs a venv with dask[array]: DASK_PY=/path/to/python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${DASK_PY:-python3}
cargo build --release -q -p lazydag --no-default-features --features array --example seed_array
for args in "" "full 20000"; do
  for i in 1 2 3; do
    echo "lazydag $args #$i: $("${CARGO_TARGET_DIR:-target}"/release/examples/seed_array $args | grep -E '^(time|peak)' | tr '\n' ' ')"
    echo "dask    $args #$i: $($PY benches/dask/array_seed.py $args | grep -E '^(time|peak)' | tr '\n' ' ')"
  done
done
