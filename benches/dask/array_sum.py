"""(a + b).sum() of two in-memory arrays in dask.array (chunks 1,024²), for the array part
of the benchmark harness: python array_sum.py N (N elements per array, 4,096 columns)."""
import resource
import sys
import time

import dask
import dask.array as da
import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 27
rows = n // 4096
i, j = np.indices((rows, 4096))
a = (i + j).astype(np.float64)
b = (i * j % 7).astype(np.float64)
del i, j
x, y = da.from_array(a, chunks=1024), da.from_array(b, chunks=1024)
start = time.perf_counter()
with dask.config.set(scheduler="threads"):
    got = (x + y).sum().compute()
print(f"time: {time.perf_counter() - start:.3f} s")
assert abs(got - (a.sum() + b.sum())) <= 1e-9 * abs(got)
print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
