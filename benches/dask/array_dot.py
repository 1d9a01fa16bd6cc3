"""dask.array's dot of two k x k arrays in chunks of k/4 (NumPy's BLAS per chunk), for the
comparison in docs/benchmarks.md and the harness's array part: python array_dot.py [k]
(default 4,096)."""
import resource
import sys
import time

import dask
import dask.array as da
import numpy as np

k = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
p = np.fromfunction(lambda i, j: (i * 7 + j * 3) % 11, (k, k))
q = np.fromfunction(lambda i, j: (i * 5 + j) % 13, (k, k))
c = da.from_array(p, chunks=k // 4).dot(da.from_array(q, chunks=k // 4))
start = time.perf_counter()
with dask.config.set(scheduler="threads"):
    got = c.compute()
print(f"time: {time.perf_counter() - start:.3f} s")
start = time.perf_counter()
want = p.dot(q)
print(f"numpy dot: {time.perf_counter() - start:.3f} s")
assert np.array_equal(got, want)
print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
