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

cargo test --workspace
# Every criterion bench once, in test mode (no timing): they compile and their graphs compute.
cargo test -p lazydag-benches --benches
# Without the collections: the stress tests need only the engine, and a release Polars build
# would double the run.
cargo test --release -p lazydag --no-default-features --test million_tasks -- --ignored
# Arrays at full size, in release: a full seed compute stays in bounded memory, and the seed
# example computes z[:5] of the 100,000 x 100,000 array from the 200 chunks of x it needs.
cargo test --release -p lazydag-array --test memory -- --ignored
seed=$(cargo run --release -q -p lazydag --no-default-features --features array --example seed_array)
echo "$seed" | tail -n 3
echo "$seed" | tail -n 3 | head -n 1 | grep -Eq '^z\[:5\] = \[(-?[0-9.]+, ){4}-?[0-9.]+\]$'
# (x has 10,000 chunks; z[:5] needs 200 of them, their transposes, adds and the reduction)
echo "$seed" | tail -n 2 | head -n 1 | awk '/^chunk tasks run: [0-9]+$/ && $4 < 1000 { ok = 1 } END { exit !ok }'
echo "$seed" | tail -n 1 | grep -Eq '^peak RSS: [0-9]+ MB$'
# Frames: the memory goal (a group-by over a CSV twice the size of the cgroup memory limit its
# child process runs under), in the dev profile like the rest of the frame suite (CI never
# builds Polars in release). (The Parquet tests run in the workspace suite: lazydag-frame's
# dev-dependencies turn its `parquet` feature on.)
cargo test -p lazydag-frame --test memory -- --ignored --nocapture
LOOM_MAX_PREEMPTIONS=4 RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test --release -p lazydag-core --lib sleep
