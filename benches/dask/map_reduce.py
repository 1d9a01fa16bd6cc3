"""The map-reduce shape of benches/common in Dask, for side-by-side figures.

Usage: python benches/dask/map_reduce.py [LEAVES] [REPEATS]
Prints the median build and synchronous compute cost per task (microseconds).
"""
import statistics
import sys
import time

import dask
from dask import delayed


def inc(x):
    return x + 1


def add(x, y):
    return x + y


def build(leaves):
    level = [delayed(inc)(i) for i in range(leaves)]
    while len(level) > 1:
        nxt = [delayed(add)(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def main():
    leaves = int(sys.argv[1]) if len(sys.argv) > 1 else 131072
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tasks = 2 * leaves - 1
    builds, computes = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        graph = build(leaves)
        builds.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = graph.compute(scheduler="sync")
        computes.append(time.perf_counter() - t)
        assert result == sum(range(1, leaves + 1))
    print(f"dask {dask.__version__} leaves={leaves} tasks={tasks}")
    print(f"build   median {statistics.median(builds) / tasks * 1e6:.2f} us/task")
    print(f"compute median {statistics.median(computes) / tasks * 1e6:.2f} us/task (sync)")


if __name__ == "__main__":
    main()
