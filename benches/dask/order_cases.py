"""dask.order's own figures on the graph shapes that crates/lazydag-core/tests/order.rs ports
from dask/tests/test_order.py, for the table in docs/order.md.

Run with the harness's venv (benches/dask/setup.sh):
    target/dask-venv/bin/python benches/dask/order_cases.py

For each case it prints dask's pressure (max of `dask.order.diagnostics`' memory over time),
lazydag's `peak_live` figure measured on dask's order (values alive at once, the running
task's own value included, sinks kept to the end, data keys not counted), and the same figure
for lazydag's plain post-order (what the collector gave before the ordering pass: a
depth-first walk from the outputs in request order, inputs in argument order), with the
outputs requested in the order the Rust port requests them.
"""

from dask.core import get_deps, istask
from dask.order import diagnostics, order


def f(*args):
    return None


def peak_live(dsk, o):
    deps, dependents = get_deps(dsk)
    last = {k: max((o[d] for d in dependents[k]), default=None) for k in dsk}
    live = peak = 0
    freed = {}
    for k in dsk:
        if istask(dsk[k]) and last[k] is not None:
            freed[last[k]] = freed.get(last[k], 0) + 1
    for k in sorted(dsk, key=lambda k: o[k]):
        if not istask(dsk[k]):
            continue
        live += 1
        peak = max(peak, live)
        live -= freed.get(o[k], 0)
    return peak


def post_order(dsk, outputs):
    deps, _ = get_deps(dsk)
    o = {}
    for out in outputs:
        stack = [(out, iter(args(dsk[out])))]
        if out in o:
            continue
        seen = {out}
        while stack:
            key, it = stack[-1]
            dep = next(it, None)
            if dep is None:
                stack.pop()
                o[key] = len(o)
            elif dep not in o and dep not in seen:
                seen.add(dep)
                stack.append((dep, iter(args(dsk[dep]))))
    return o


def args(task):
    """A task's dependency keys in argument order (data keys have none)."""
    if not istask(task):
        return []
    return [a for a in task[1:] if isinstance(a, (str, tuple)) and a in KEYS]


KEYS = set()


def sinks(dsk):
    _, dependents = get_deps(dsk)
    return [k for k in dsk if not dependents[k]]


def report(name, dsk, outputs=None):
    KEYS.clear()
    KEYS.update(dsk)
    o = order(dsk)
    pressure = max(diagnostics(dsk, o=o)[1])
    post = peak_live(dsk, post_order(dsk, outputs or sinks(dsk)))
    print(f"{name}: dask_pressure {pressure} peak_live_on_dask_order {peak_live(dsk, o)} "
          f"peak_live_post_order {post}")


def cases():
    a, b, c, d, e = "abcde"
    dsk = {(a, i): (f,) for i in range(4)}
    dsk.update({(b, 0): (f, (a, 0), (a, 1)), (b, 1): (f, (a, 2), (a, 3))})
    yield "keeps_groups_together", dsk
    yield "avoid_broker_nodes", {
        (a, 0): (f,), (a, 1): (f,), (b, 0): (f, (a, 0)), (b, 1): (f, (a, 1)), (b, 2): (f, (a, 1)),
    }
    dsk = {(a, i): (f, (a, i - 1), (b, i)) for i in [1, 2, 3]}
    dsk[(a, 0)] = (f, (b, 0))
    dsk.update({(b, i): (f, c) for i in [0, 1, 2, 3]})
    dsk[c] = 1
    yield "base_of_reduce_preferred", dsk
    yield "avoid_upwards_branching", {
        (a, 1): (f, (a, 2)), (a, 2): (f, (a, 3)), (a, 3): (f, (b, 1), (c, 1)),
        (b, 1): (f, (b, 2)), (c, 1): (f, (c, 2)), (c, 2): (f, (c, 3)), (d, 1): (f, (c, 1)),
        (c, 3): 1, (b, 2): 1,
    }
    yield "avoid_upwards_branching_complex", {
        (a, 1): (f, (a, 2)), (a, 2): (f, (a, 3)), (a, 3): (f, (b, 1), (c, 1)),
        (b, 1): (f, (b, 2)), (b, 2): (f,), (c, 1): (f, (c, 2)), (c, 2): (f, (c, 3)),
        (c, 3): (f,), (d, 1): (f, (c, 1)), (d, 2): (f, (d, 1)), (d, 3): (f, (d, 1)),
        (e, 1): (f, (b, 1)), (e, 2): (f, (e, 1)),
    }
    yield "deep_bases_win_over_dependents", {a: (f, b, c, d), b: (f, d, e), c: (f, d), d: 1, e: 2}
    yield "prefer_deep", {a: 1, b: (f, a), c: (f, b), d: 1, e: (f, d)}
    dsk = {("x", i): (f, i) for i in range(10)}
    dsk["y"] = (f, *sorted(dsk))
    yield "break_ties", dsk
    yield "favor_longest_critical_path", {c: (f,), d: (f, c), e: (f, c), b: (f, c), a: (f, b)}
    yield "run_smaller_sections", {
        a: (f,), c: (f,), e: (f,), "cc": (f,), b: (f, a, c), d: (f, c, e), "bb": (f, "cc"),
        "aa": (f, d, "bb"), "dd": (f, "cc"),
    }
    yield "local_parents_of_reduction", {
        "a3": (f,), "a2": (f, "a3"), "a1": (f, "a2"), "b3": (f,), "b2": (f, "b3", "a2"),
        "b1": (f, "b2"), "c3": (f,), "c2": (f, "c3", "b2"), "c1": (f, "c2"),
    }
    dsk = {f"b{i}": (f,) for i in range(1, 5)}
    for i, ds in enumerate([["b1"], ["b1"], ["b1", "b2"], ["b2"], ["b2", "b3"], ["b3"],
                            ["b3", "b4"], ["b4"], ["b4"]]):
        dsk[f"a{i + 1}"] = (f, *ds)
    yield "nearest_neighbor", dsk
    yield "prefer_short_ancestor", {
        "ab": 0, (a, 0): (f, "ab"), (b, 0): (f, "ab"), (c, 0): 0,
        (c, 1): (f, (c, 0), (a, 0), (b, 0)), (a, 1): (f, "ab"), (b, 1): (f, "ab"),
        (c, 2): (f, (c, 1), (a, 1), (b, 1)),
    }
    yield "map_overlap", {
        "e1": (f,), "d1": (f, "e1"), "c1": (f, "d1"), "b1": (f, "c1", "c2"), "d2": (f,),
        "c2": (f, "d1", "d2", "d3"), "e3": (f,), "d3": (f, "e3"), "c3": (f, "d3"),
        "b3": (f, "c2", "c3", "c4"), "d4": (f,), "c4": (f, "d3", "d4", "d5"), "e5": (f,),
        "d5": (f, "e5"), "c5": (f, "d5"), "b5": (f, "c4", "c5"),
    }
    dsk = {(a, i): (f,) for i in range(10)}
    for bb, ds in [(5, [2]), (7, [0, 2]), (9, [7, 0, 2]), (1, [4, 7, 0]), (2, [9, 4, 7]),
                   (4, [6, 9, 4]), (3, [5, 6, 9]), (8, [1, 5, 6]), (6, [8, 1, 5]),
                   (0, [3, 8, 1])]:
        dsk[(b, bb)] = (f, *[(a, i) for i in ds])
    yield "use_structure_not_keys", dsk
    dsk = {(a, 0): (f,), (b, 0): (f,), (c, 0): (f,), (d, 0): (f, (a, 0), (b, 0), (c, 0))}
    for i in range(1, 10):
        dsk[(b, i)] = (f, (b, 0))
        dsk[(c, i)] = (f, (c, 0))
        dsk[(d, i)] = (f, (d, i - 1), (b, i), (c, i))
    yield "dont_run_all_dependents_too_early", dsk
    dsk = {(a, 0): 0, (a, 1): (f, (a, 0)), (a, 2): (f, (a, 1)), (b, 1): (f, (a, 0)),
           (b, 2): (f, (b, 1)), (c, 1): (f, (a, 0))}
    for x, xx in [(d, "dd"), (e, "ee")]:
        dsk.update({(x, 1): (f, (a, 0)), (x, 2): (f, (x, 1)), (xx, 1): (f, (a, 0)),
                    (xx, 2): (f, (xx, 1)), (xx, 3): (f, (x, 2), (xx, 2))})
    dsk[(a, 3)] = (f, (a, 2), (b, 2), (c, 1), ("dd", 3), ("ee", 3))
    yield "many_branches_use_ndependencies", dsk
    dsk = {}
    abc = [a, b, c, d]
    for x in abc:
        dsk.update({(x, 0): (f,), (x, 1): (f, (x, 0)), (x, 2, 0): (f, (x, 0)),
                    (x, 2, 1): (f, (x, 1))})
        for i, y in enumerate(abc):
            dsk.update({(x, 3, i): (f, (x, 2, 0), (y, 2, 1)), (x, 4, i): (f, (x, 3, i)),
                        (x, 5, i, 0): (f, (x, 4, i)), (x, 5, i, 1): (f, (x, 4, i)),
                        (x, 6, i, 0): (f, (x, 5, i, 0)), (x, 6, i, 1): (f, (x, 5, i, 1))})
    yield "order_with_equal_dependents", dsk
    dsk = {("a", i): i for i in range(6)}
    dsk.update({("b", 0): (f, ("a", 0), ("a", 1)), ("b", 1): (f, ("a", 1), ("a", 2)),
                ("b", 2): (f, ("a", 3), ("a", 4)), ("b", 3): (f, ("a", 4), ("a", 5))})
    dsk.update({"s00": (f, ("b", 0)), "s10": (f, ("b", 1)), "s01": (f, ("b", 2)),
                "s11": (f, ("b", 3)), "s": (f, "s00", "s10", "s01", "s11")})
    yield "terminal_node_backtrack", dsk
    spec = """a62 a63 a64 a65 a66 a67 a68 a69 a70 a71 | a52:a62 a53:a68 a54:a70 a55:a67 a56:a71
    a57:a64 a58:a65 a59:a63 a60:a69 a61:a66 a20:a55 a21:a53 a22:a60 a23:a54 a24:a59 a25:a56
    a26:a61 a27:a52 a28:a57 a29:a58 a33:a58 a35:a60 a36:a52 a37:a61 a42:a54 a43:a55 a44:a53
    a47:a59 a48:a57 a49:a56 a02:a24,a21 a03:a22,a25 a04:a29,a20 a05:a23,a27 a01:a28,a26
    a06:a04,a02 a08:a05,a03 a00:a06,a08 a07:a00,a01 a31:a07 a09:a43 a10:a36 a11:a33 a12:a47
    a13:a44 a14:a42 a15:a37 a16:a48 a17:a49 a18:a35 a34:a11,a09 a38:a14,a10 a40:a18,a17
    a39:a38,a40 a45:a16,a15 a50:a12,a13 a41:a34,a50 a51:a41,a39 a46:a51,a45 a19:a46 a30:a19
    a32:a30,a31"""
    dsk = {}
    for item in spec.replace("|", " ").split():
        key, _, ds = item.partition(":")
        dsk[key] = (f, *ds.split(",")) if ds else (f,)
    yield "eager_to_compute_dependent_to_free_parent", dsk
    dsk = {(x, 0): (f,) for x in "abcde"}
    dsk.update({("a", 1): (f, ("a", 0), ("b", 0), ("c", 0)),
                ("b", 1): (f, ("b", 0), ("c", 0), ("d", 0)),
                ("c", 1): (f, ("c", 0), ("d", 0), ("e", 0)),
                ("d", 1): (f, ("d", 0), ("e", 0)), ("e", 1): (f, ("e", 0))})
    yield "diagnostics", dsk
    dsk = {}
    for ix in range(3):
        dsk.update({(a, 0, ix): (f,), (a, 1, ix): (f,), (b, 0, ix): (f, (a, 0, ix)),
                    (b, 1, ix): (f, (a, 0, ix), (a, 1, ix)), (b, 2, ix): (f, (a, 1, ix)),
                    (c, 0, ix): (f, (b, 0, ix)), (c, 1, ix): (f, (b, 1, ix)),
                    (c, 2, ix): (f, (b, 2, ix))})
    for ix in range(3):
        dsk[(d, ix)] = (f, (c, ix, 0), (c, ix, 1), (c, ix, 2))
    yield "xarray_like_reduction", dsk


# The Rust ports' request orders, where they differ from the sinks in dict order.
REQUESTS = {
    "avoid_upwards_branching": [("a", 1), ("d", 1)],
    "avoid_upwards_branching_complex": [("a", 1), ("d", 2), ("d", 3), ("e", 2)],
    "favor_longest_critical_path": ["a", "d", "e"],
    "run_smaller_sections": ["b", "aa", "dd"],
    "prefer_deep": ["c", "e"],
}


if __name__ == "__main__":
    for name, dsk in cases():
        report(name, dsk, REQUESTS.get(name))
