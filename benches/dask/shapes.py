"""The benchmark harness's graph shapes in Dask (crates/lazydag-bench, shape.rs).

Usage: python benches/dask/shapes.py SPEC.json
SPEC is {"cases": [{"shape", "size", "expected", "repeats", "runs": [[scheduler, workers], ...]}]}
as the harness writes it. Prints one JSON line: per case, the build times and, per
(scheduler, workers), the compute times in seconds. Every compute's digest (the output's value,
or the wrapping sum of all outputs) is checked against "expected"; a mismatch exits non-zero.
"""
import json
import platform
import sys
import time

import dask
from dask import delayed

MASK = (1 << 64) - 1


def inc(x):
    return (x + 1) & MASK


def add(x, y):
    return (x + y) & MASK


def one():
    return 1


def left_child(x):
    return (2 * x) & MASK


def right_child(x):
    return (2 * x + 1) & MASK


def wave(up, left):
    return max(up, left) + 1


def join(*xs):
    return (sum(xs) + 1) & MASK


class SplitMix64:
    """The generator of benches/common/random_dag.rs, bit for bit."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def random_dag_deps(nodes, seed=7):
    import math

    width = max(2, math.isqrt(nodes))
    rng = SplitMix64(seed)
    deps = []
    for i in range(nodes):
        if i < width:
            deps.append([])
            continue
        start = (i // width - 1) * width
        count = 1 + rng.next() % 3
        deps.append([start + rng.next() % width for _ in range(count)])
    return deps


def build(shape, size):
    """Returns the list of output Delayed objects."""
    if shape == "chain":
        tip = 0
        for _ in range(size):
            tip = delayed(inc)(tip)
        return [tip]
    if shape == "binary-tree":
        level = [delayed(one)()]
        for _ in range(1, size):
            level = [c for p in level for c in (delayed(left_child)(p), delayed(right_child)(p))]
        return level
    if shape == "wavefront":
        row = []
        for i in range(size):
            nxt = []
            for j in range(size):
                if i == 0 and j == 0:
                    cell = delayed(one)()
                elif i == 0:
                    cell = delayed(inc)(nxt[j - 1])
                elif j == 0:
                    cell = delayed(inc)(row[0])
                else:
                    cell = delayed(wave)(row[j], nxt[j - 1])
                nxt.append(cell)
            row = nxt
        return [row[-1]]
    if shape == "independent":
        return [delayed(inc)(i) for i in range(size)]
    if shape == "random-dag":
        deps = random_dag_deps(size)
        handles = []
        used = [False] * size
        for d in deps:
            for k in d:
                used[k] = True
            handles.append(delayed(join)(*[handles[k] for k in d]) if d else delayed(one)())
        return [h for h, u in zip(handles, used) if not u]
    if shape == "map-reduce":
        level = [delayed(inc)(i) for i in range(size)]
        while len(level) > 1:
            nxt = [delayed(add)(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        return level
    raise SystemExit(f"unknown shape {shape}")


def digest(values):
    total = 0
    for v in values:
        total = (total + v) & MASK
    return total


def run_case(case):
    shape, size, expected = case["shape"], case["size"], case["expected"]
    builds = []
    computes = {tuple(r): [] for r in case["runs"]}
    for _ in range(case["repeats"]):
        t = time.perf_counter()
        outputs = build(shape, size)
        builds.append(time.perf_counter() - t)
        for scheduler, workers in case["runs"]:
            kwargs = {"scheduler": scheduler}
            if scheduler == "threads":
                kwargs["num_workers"] = workers
            t = time.perf_counter()
            values = dask.compute(*outputs, **kwargs)
            computes[(scheduler, workers)].append(time.perf_counter() - t)
            got = digest(values)
            if got != expected:
                raise SystemExit(f"dask {scheduler} {shape} {size}: got {got}, expected {expected}")
        del outputs
    return {
        "shape": shape,
        "size": size,
        "build_s": builds,
        "computes": [
            {"scheduler": s, "workers": w, "times_s": t} for (s, w), t in computes.items()
        ],
    }


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    cases = []
    for case in spec["cases"]:
        print(f"dask: {case['shape']} {case['size']}", file=sys.stderr, flush=True)
        cases.append(run_case(case))
    print(json.dumps({
        "dask": dask.__version__,
        "python": platform.python_version(),
        "cases": cases,
    }))


if __name__ == "__main__":
    main()
