"""The harness's practical comparison in Python: column means of a wide f64 table.

Usage: python benches/dask/practical.py ROWS COLS WORKERS REPEATS
Cell (r, c) holds (r mod 1000) + c, so column c's mean is exactly 499.5 + c; every run is
checked. Prints one JSON line: per implementation, its style, worker count and times (s).
"""
import json
import sys
import time

import dask
import joblib
import numpy as np
import pandas as pd


def main():
    rows, cols, workers, repeats = (int(a) for a in sys.argv[1:5])
    base = (np.arange(rows) % 1000).astype(np.float64)
    df = pd.DataFrame({f"c{c}": base + c for c in range(cols)})
    del base
    want = [499.5 + c for c in range(cols)]
    columns = [df[name].to_numpy() for name in df.columns]

    def pandas_mean():
        return list(df.mean())

    def joblib_loky():
        return joblib.Parallel(n_jobs=workers)(joblib.delayed(np.mean)(col) for col in columns)

    def joblib_threads():
        return joblib.Parallel(n_jobs=workers, prefer="threads")(
            joblib.delayed(np.mean)(col) for col in columns
        )

    def dask_graph():
        means = [dask.delayed(np.mean)(col) for col in columns]
        return list(dask.compute(*means, scheduler="threads", num_workers=workers))

    jobs = [
        ("pandas df.mean()", "sequential", 1, pandas_mean),
        ("joblib Parallel (loky processes)", "parallel map", workers, joblib_loky),
        ("joblib Parallel (threads)", "parallel map", workers, joblib_threads),
        ("dask.delayed graph (threads), built + computed", "graph", workers, dask_graph),
    ]
    times = [[] for _ in jobs]
    for round_ in range(repeats + 1):  # round 0 warms up (loky starts its workers)
        for k, (name, _, _, job) in enumerate(jobs):
            t = time.perf_counter()
            means = [float(m) for m in job()]
            elapsed = time.perf_counter() - t
            if means != want:
                raise SystemExit(f"{name}: means {means}, expected {want}")
            if round_ > 0:
                times[k].append(elapsed)
    print(json.dumps({
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
        "dask": dask.__version__,
        "rows": [
            {"implementation": n, "style": s, "workers": w, "times_s": t}
            for (n, s, w, _), t in zip(jobs, times)
        ],
    }))


if __name__ == "__main__":
    main()
