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
cargo test --release -p lazydag --test million_tasks -- --ignored
LOOM_MAX_PREEMPTIONS=4 RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test --release -p lazydag-core --lib sleep
