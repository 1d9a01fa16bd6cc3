"""dask.array's dot of two 4,096 x 4,096 arrays in chunks of 1,024 (NumPy's BLAS per chunk),
for the comparison in docs/benchmarks.md: python array_dot.py."""
import time

import dask
import dask.array as da
import numpy as np

k = 4096
p = np.fromfunction(lambda i, j: (i * 7 + j * 3) % 11, (k, k))
q = np.fromfunction(lambda i, j: (i * 5 + j) % 13, (k, k))
c = da.from_array(p, chunks=1024).dot(da.from_array(q, chunks=1024))
start = time.perf_counter()
with dask.config.set(scheduler="threads"):
    got = c.compute()
print(f"dask dot: {time.perf_counter() - start:.2f} s")
start = time.perf_counter()
want = p.dot(q)
print(f"numpy dot: {time.perf_counter() - start:.2f} s")
assert np.array_equal(got, want)
