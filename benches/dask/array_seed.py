"""The seed array example in dask.array, for the same-run comparison in docs/benchmarks.md.

python array_seed.py [full] [N]: x = random((N, N), chunks 1000), y = x + x.T,
z = y.mean(axis=0); computes z[:5] (or all of z with `full`) on the threads scheduler and
prints the time and the peak RSS.
"""
import resource
import sys
import time

import dask
import dask.array as da

args = sys.argv[1:]
full = "full" in args
n = next((int(a) for a in args if a.isdigit()), 100_000)

x = da.random.random((n, n), chunks=(1000, 1000))
y = x + x.T
z = y.mean(axis=0)
start = time.perf_counter()
with dask.config.set(scheduler="threads"):
    values = (z if full else z[:5]).compute()
elapsed = time.perf_counter() - start
print(f"time: {elapsed:.3f} s")
print("z[:5] =", list(values[:5]))
print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
