#!/usr/bin/env bash
# Runs every test: the workspace suite (unit, behaviour, property and doc tests; it includes
# the benchmark harness's smoke run), each criterion bench once in test mode, the
# 1,000,000-task stress tests in release mode, and the loom model check of the work-stealing
# sleep protocol. The README's test command; `.ci/run` runs it after fmt and clippy.
set -euo pipefail
cd "$(dirname "$0")/.."

# The DOT tests render with Graphviz: install it when missing (needs root, as in CI).
if ! command -v dot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq graphviz >/dev/null
    else
        echo "Graphviz's dot is missing: install the graphviz package (apt-get install graphviz)" >&2
        exit 1
    fi
fi

# Every cargo invocation below resolves features over the same set of packages as one of the
# others (the workspace with the harness's `frame` part, or the release set), so no crate is
# compiled twice: on a fresh machine, a second feature set costs minutes (Polars, the core).
WS=(--workspace --features lazydag-bench/frame)
# `lazydag-bench/frame`: the harness's frame part (off by default, it builds Polars) is in its
# smoke run; the dev-profile Polars is built for lazydag-frame's tests anyway.
cargo test "${WS[@]}"
# Every criterion bench once, in test mode (no timing): they compile and their graphs compute.
cargo test "${WS[@]}" --benches
# Frames: the memory goal (a group-by over a CSV twice the size of the cgroup memory limit its
# child process runs under), in the dev profile like the rest of the frame suite (CI never
# builds Polars in release). (The Parquet tests run in the workspace suite: lazydag-frame's
# dev-dependencies turn its `parquet` feature on.) `--test memory` also builds the array
# crate's memory test, which the name filter leaves out (it runs in release below).
cargo test "${WS[@]}" --test memory -- --ignored --nocapture --exact \
    groupby_over_a_csv_larger_than_its_memory_limit
# The release-mode runs, in the `test-release` profile (release without debuginfo: a third
# less to compile and link), all built by one invocation so the core is compiled once:
# without the frames (a release Polars build would double the run).
REL=(--profile test-release -p lazydag -p lazydag-array --no-default-features --features lazydag/array)
cargo build "${REL[@]}" --test million_tasks --test memory --example seed_array
# The 1,000,000-task stress tests, and arrays at full size: a full seed compute stays in
# bounded memory.
cargo test "${REL[@]}" --test million_tasks --test memory -- --ignored
# The seed example computes z[:5] of the 100,000 x 100,000 array with the slice pushed down
# to x (the binary the build above made: `cargo run` would resolve features anew).
seed=$("${CARGO_TARGET_DIR:-target}/test-release/examples/seed_array")
echo "$seed" | tail -n 3
echo "$seed" | tail -n 3 | head -n 1 | grep -Eq '^z\[:5\] = \[(-?[0-9.]+, ){4}-?[0-9.]+\]$'
# (x has 10,000 chunks; z[:5] runs 100 fused partials, each generating only its 1,000 x 5
# box of y, and their tree: 117 tasks; without the culling it would be over 10,000)
echo "$seed" | tail -n 2 | head -n 1 | awk '/^chunk tasks run: [0-9]+$/ && $4 < 1000 { ok = 1 } END { exit !ok }'
echo "$seed" | tail -n 1 | grep -Eq '^peak RSS: [0-9]+ MB$'
# The loom model checks of the work-stealing sleep protocol and of its initial ranges, in a target of its own (`--cfg
# loom` changes every crate): optimised, without debuginfo.
LOOM_MAX_PREEMPTIONS=4 RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/loom" \
    cargo test --profile test-release -p lazydag-core --lib -- sleep ranges
# A venv with the pinned dask[distributed], bokeh and pandas (pip), for two tests: the frames
# against pandas (#14: every group-by and reduction of a CSV with nulls, computed by pandas in
# that venv's python), and Dask distributed (#16): the loopback cluster test, this test binary
# as a scheduler and 2 workers on 127.0.0.1. When pip cannot reach a package index,
# dask-env.sh exits 3 and both tests are skipped, saying so.
set +e
dask_env=$(bash scripts/dask-env.sh)
dask_rc=$?
set -e
if [ "$dask_rc" = 0 ]; then
    LAZYDAG_PYTHON="${dask_env#PYO3_PYTHON=}" cargo test "${WS[@]}" --test pandas -- --ignored
    env "$dask_env" cargo test "${WS[@]}" --features lazydag-dask/python --test cluster
elif [ "$dask_rc" = 3 ]; then
    echo "SKIPPED: lazydag-frame's pandas test: pip could not install pandas, see above" >&2
    echo "SKIPPED: the Dask cluster test (lazydag-dask --features python): pip could not install Dask, see above" >&2
else
    exit "$dask_rc"
fi
