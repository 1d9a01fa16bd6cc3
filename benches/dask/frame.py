"""The frame comparison in Python: read a CSV and group by its int key, with pandas and Dask.

Usage: python benches/dask/frame.py CSV WORKERS REPEATS [BLOCKSIZE]
       python benches/dask/frame.py --case {pandas,dask}_{mean,agg} CSV WORKERS BLOCKSIZE
(the second runs one case and prints its JSON line: what the harness does, round by round)
CSV is the file `cargo run --release --example seed_frame` (or the harness's frame section)
generates (user_id, timestamp, value, f1..f7). Each case runs REPEATS times in a fresh
process (so peak RSS is its own); prints one line per case on stderr (name, median seconds,
peak RSS in MiB, number of groups), then one JSON line on stdout for the harness. Dask reads
blocks of BLOCKSIZE bytes (default 64 MB).
"""
import json
import resource
import statistics
import subprocess
import sys
import time

FLOATS = ["value", "f1", "f2", "f3", "f4", "f5", "f6", "f7"]


def run_case(case, csv, workers, blocksize):
    import dask
    import dask.dataframe as dd
    import pandas as pd

    aggs = {c: ["mean", "min", "max", "count"] for c in FLOATS}
    t = time.perf_counter()
    if case == "pandas_mean":
        n = len(pd.read_csv(csv).groupby("user_id")[FLOATS].mean())
    elif case == "pandas_agg":
        n = len(pd.read_csv(csv).groupby("user_id").agg(aggs))
    else:
        df = dd.read_csv(csv, blocksize=blocksize)
        with dask.config.set(scheduler="threads", num_workers=workers):
            if case == "dask_mean":
                n = len(df.groupby("user_id")[FLOATS].mean().compute())
            else:
                n = len(df.groupby("user_id").agg(aggs).compute())
    secs = time.perf_counter() - t
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"secs": secs, "cpu_s": cpu, "rss_mib": rss, "groups": n}))


TOOLS = {"pandas": "pandas", "dask": "Dask (threads)"}


def main():
    if sys.argv[1] == "--case":
        run_case(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    csv, workers, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    blocksize = int(sys.argv[4]) if len(sys.argv) > 4 else 64_000_000
    cases = []
    for case in ["pandas_mean", "dask_mean", "pandas_agg", "dask_agg"]:
        runs = []
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, __file__, "--case", case, csv, str(workers), str(blocksize)],
                check=True, capture_output=True, text=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        secs = statistics.median(r["secs"] for r in runs)
        rss = max(r["rss_mib"] for r in runs)
        print(f"{case}: median {secs:.3f} s of {repeats}, peak RSS {rss:.0f} MiB, "
              f"{runs[0]['groups']} groups", file=sys.stderr)
        tool, what = case.split("_")
        cases.append({"tool": TOOLS[tool], "case": what, "times_s": [r["secs"] for r in runs],
                      "peak_kib": int(rss * 1024), "groups": runs[0]["groups"]})
    import dask
    import pandas as pd
    print(json.dumps({"dask": dask.__version__, "pandas": pd.__version__, "cases": cases}))


if __name__ == "__main__":
    main()
