#!/usr/bin/env bash
# Runs a benchmark command in the foreground of a shared machine: in a new session whose
# scheduler autogroup gets nice -19, so that CPU-bound work of other sessions (other builds,
# other agents' shells) yields to it. Linux groups each session's processes into one
# autogroup and shares the CPU fairly between autogroups first, so a plain `nice -n -19`
# inside one session does nothing against another session's `rustc`; the autogroup's own nice
# does. Every process the command starts (a Dask cluster's scheduler, nannies and workers)
# stays in that session and shares the priority. Needs root (or CAP_SYS_NICE) and
# CONFIG_SCHED_AUTOGROUP; otherwise the command runs as is, and this says so on stderr.
#
#   bash scripts/foreground.sh target/release/examples/dask_bench 7 cpu
#
# It lifts the command above other work, it does not remove that work: the other sessions
# still run whenever the command leaves a core idle, and share caches and memory bandwidth.
# So report the load average beside the figures, and compare against a peer in the same run
# (the benchmarks here measure the machine's ceiling in the same rounds).
set -u
if [ "$#" = 0 ]; then
    echo "usage: bash scripts/foreground.sh COMMAND [ARGS...]" >&2
    exit 2
fi
exec setsid --wait bash -c '
    if [ -w /proc/self/autogroup ] && echo -19 2>/dev/null > /proc/self/autogroup; then
        echo "foreground.sh: $(cat /proc/self/autogroup) (load $(cut -d" " -f1-3 /proc/loadavg))" >&2
    else
        echo "foreground.sh: cannot raise this session'"'"'s autogroup (not root, or no autogroups): running at normal priority" >&2
    fi
    exec "$@"' foreground "$@"
