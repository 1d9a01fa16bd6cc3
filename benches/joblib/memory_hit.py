"""joblib's Memory hit for a 1 KB value: the peer figure for lazydag-parallel's criterion
bench `memory/hit_1kb` (docs/benchmarks.md, "Disk cache (Memory)").

    target/joblib-venv/bin/python benches/joblib/memory_hit.py

Prints the median and the min-max of 30 samples, each the mean of 2,000 hits of
`memory.cache(f)(7)` where `f` returns a 1,000-character string (joblib hashes the argument,
checks the function's code and loads the pickle). `bash benches/joblib/run.sh` runs this and
the Rust bench in one go.
"""

import statistics
import sys
import tempfile
import time

import joblib


def one_kb(x):
    return "a" * 1000


def main():
    samples, calls = 30, 2000
    with tempfile.TemporaryDirectory() as location:
        memory = joblib.Memory(location, verbose=0)
        cached = memory.cache(one_kb)
        assert cached(7) == "a" * 1000  # computed and stored
        assert cached.check_call_in_cache(7)
        for _ in range(200):  # warm up
            cached(7)
        per_call = []
        for _ in range(samples):
            start = time.perf_counter()
            for _ in range(calls):
                cached(7)
            per_call.append((time.perf_counter() - start) / calls * 1e6)
    print(
        f"joblib {joblib.__version__} (Python {sys.version.split()[0]}) Memory hit, 1 KB str: "
        f"median {statistics.median(per_call):.1f} us "
        f"(min {min(per_call):.1f}, max {max(per_call):.1f}; {samples} samples x {calls} calls)"
    )


if __name__ == "__main__":
    main()
