//! dask's ordering cases (`dask/tests/test_order.py`), ported: each test builds the same graph
//! shape with `delayed!`, names the dask test it ports, asserts the order properties dask's
//! test asserts, and that running the plan in index order keeps at most as many values alive
//! (`peak_live`) as dask's own order of the same shape does (measured by
//! `benches/dask/order_cases.py`: "dask's order: N" in each message). Where dask's test bounds
//! its pressure, `dask_pressure` (the same figure, computed on our order) is held to that
//! bound too. docs/order.md tabulates the figures.
//!
//! Two differences from dask are deliberate, and each case says where they matter:
//! - `peak_live` keeps requested outputs alive to the end and counts the running task's own
//!   value; dask's pressure releases sinks at once and counts what is in memory just before a
//!   task runs. So `peak_live` is the stricter figure: it is at least dask's pressure + 1.
//! - lazydag has a request order and dask has none: where a dask case has several sinks, the
//!   port requests them in the order the case's docstring wants them finished, and
//!   `outputs_requested_in_reverse_finish_in_that_order` checks that the request order wins.

use std::collections::HashMap;

use lazydag_core::{Delayed, TaskInfo, delayed, graph, peak_live};
use petgraph::graph::DiGraph;

fn f0() -> u64 {
    1
}
fn f1(a: u64) -> u64 {
    a
}
fn f2(a: u64, b: u64) -> u64 {
    a + b
}
fn f3(a: u64, b: u64, c: u64) -> u64 {
    a + b + c
}
fn f4(a: u64, b: u64, c: u64, d: u64) -> u64 {
    a + b + c + d
}
fn f5(a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
    a + b + c + d + e
}

/// A dask-like graph under construction: tasks by key, each a call of `f` on the named keys.
#[derive(Default)]
struct Dsk {
    tasks: HashMap<String, Delayed<u64>>,
}

impl Dsk {
    /// `key: (f, deps...)`.
    fn task(&mut self, key: &str, deps: &[&str]) -> Delayed<u64> {
        let d: Vec<&Delayed<u64>> = deps
            .iter()
            .map(|k| self.tasks.get(*k).unwrap_or_else(|| panic!("{k} is not defined yet")))
            .collect();
        let t = match d.as_slice() {
            [] => delayed!(f0()),
            [a] => delayed!(f1(*a)),
            [a, b] => delayed!(f2(*a, *b)),
            [a, b, c] => delayed!(f3(*a, *b, *c)),
            [a, b, c, e] => delayed!(f4(*a, *b, *c, *e)),
            [a, b, c, e, g] => delayed!(f5(*a, *b, *c, *e, *g)),
            _ => panic!("arity {} not ported", d.len()),
        };
        let t = t.name(key);
        self.tasks.insert(key.to_owned(), t.clone());
        t
    }

    /// `key: 1`, a data key: a literal.
    fn data(&mut self, key: &str) -> Delayed<u64> {
        let t = lazydag_core::delayed(1_u64).name(key);
        self.tasks.insert(key.to_owned(), t.clone());
        t
    }

    fn get(&self, key: &str) -> Delayed<u64> {
        self.tasks[key].clone()
    }

    /// The named keys, as a list of outputs in this order.
    fn outputs(&self, keys: &[&str]) -> Vec<Delayed<u64>> {
        keys.iter().map(|k| self.get(k)).collect()
    }
}

/// Each key's plan index (literals included, as dask's order numbers data keys too).
fn positions(g: &DiGraph<TaskInfo, ()>) -> HashMap<String, usize> {
    g.node_indices().map(|i| (g[i].key.name().to_owned(), i.index())).collect()
}

/// dask's memory pressure of the plan order: values in memory just before each task runs,
/// sinks released at once (`dask.order.diagnostics`' `num_data_when_run`); for the docs' table.
fn dask_pressure(g: &DiGraph<TaskInfo, ()>) -> usize {
    use petgraph::Direction::Outgoing;
    let n = g.node_count();
    let mut last = vec![None; n];
    for i in g.node_indices() {
        last[i.index()] = g.neighbors_directed(i, Outgoing).map(|d| d.index()).max();
    }
    let mut freed = vec![0; n];
    for (i, end) in last.iter().enumerate() {
        if let Some(end) = end
            && !g[petgraph::graph::NodeIndex::new(i)].literal
        {
            freed[*end] += 1;
        }
    }
    let (mut live, mut peak) = (0usize, 0usize);
    for i in g.node_indices() {
        if g[i].literal {
            continue;
        }
        peak = peak.max(live);
        live += usize::from(last[i.index()].is_some());
        live -= freed[i.index()];
    }
    peak
}

/// The graph of `outputs`, its positions and figures, printed for docs/order.md.
fn planned(case: &str, outputs: &[Delayed<u64>]) -> (HashMap<String, usize>, usize) {
    let g = graph(outputs);
    let live = peak_live(&g);
    eprintln!("ORDER {case}: peak_live {live} dask_pressure {}", dask_pressure(&g));
    (positions(&g), live)
}

fn abcde() -> [[&'static str; 5]; 2] {
    [["a", "b", "c", "d", "e"], ["e", "d", "c", "b", "a"]]
}

fn k(x: &str, i: impl std::fmt::Display) -> String {
    format!("{x}{i}")
}

#[test]
fn ordering_keeps_groups_together() {
    // dask: test_ordering_keeps_groups_together
    for [a, b, ..] in abcde() {
        for pairs in [[(0, 1), (2, 3)], [(0, 2), (1, 3)]] {
            let mut dsk = Dsk::default();
            for i in 0..4 {
                dsk.task(&k(a, i), &[]);
            }
            for (j, (x, y)) in pairs.iter().enumerate() {
                dsk.task(&k(b, j), &[&k(a, x), &k(a, y)]);
            }
            let (o, live) = planned("keeps_groups_together", &dsk.outputs(&[&k(b, 0), &k(b, 1)]));
            for (x, y) in pairs {
                assert_eq!(o[&k(a, x)].abs_diff(o[&k(a, y)]), 1);
            }
            assert!(live <= 4, "peak {live}, dask's order: 4");
        }
    }
}

#[test]
fn avoid_broker_nodes() {
    // dask: test_avoid_broker_nodes. Either branch may go first; it is finished before the
    // other opens.
    for [a, b, ..] in abcde() {
        let mut dsk = Dsk::default();
        dsk.task(&k(a, 0), &[]);
        dsk.task(&k(a, 1), &[]);
        dsk.task(&k(b, 0), &[&k(a, 0)]);
        dsk.task(&k(b, 1), &[&k(a, 1)]);
        dsk.task(&k(b, 2), &[&k(a, 1)]);
        for request in [[0, 1, 2], [1, 2, 0]] {
            let outs: Vec<String> = request.iter().map(|i| k(b, i)).collect();
            let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
            let (o, live) = planned("avoid_broker_nodes", &dsk.outputs(&outs));
            let finished_a0 = o[&k(b, 0)] < o[&k(a, 1)];
            let finished_a1 = o[&k(b, 1)] < o[&k(a, 0)] && o[&k(b, 2)] < o[&k(a, 0)];
            assert!(finished_a0 || finished_a1, "{o:?}");
            assert!(live <= 4, "peak {live}, dask's order: 4");
        }
    }
}

#[test]
fn base_of_reduce_preferred() {
    // dask: test_base_of_reduce_preferred
    for [a, b, c, ..] in abcde() {
        let mut dsk = Dsk::default();
        dsk.data(c);
        for i in 0..4 {
            dsk.task(&k(b, i), &[c]);
        }
        dsk.task(&k(a, 0), &[&k(b, 0)]);
        for i in 1..4 {
            dsk.task(&k(a, i), &[&k(a, i - 1), &k(b, i)]);
        }
        let (o, live) = planned("base_of_reduce_preferred", &dsk.outputs(&[&k(a, 3)]));
        assert!(o[&k(b, 0)] <= 1, "{o:?}");
        assert!(o[&k(b, 1)] <= 3, "{o:?}");
        assert!(live <= 3, "peak {live}, dask's order: 3");
    }
}

#[test]
fn avoid_upwards_branching() {
    // dask: test_avoid_upwards_branching. dask runs d1 before b1; with d1 a requested output
    // that stays alive to the end, running it last holds fewer values, which lazydag prefers.
    for [a, b, c, d, _] in abcde() {
        let mut dsk = Dsk::default();
        dsk.data(&k(c, 3));
        dsk.data(&k(b, 2));
        dsk.task(&k(c, 2), &[&k(c, 3)]);
        dsk.task(&k(c, 1), &[&k(c, 2)]);
        dsk.task(&k(b, 1), &[&k(b, 2)]);
        dsk.task(&k(a, 3), &[&k(b, 1), &k(c, 1)]);
        dsk.task(&k(a, 2), &[&k(a, 3)]);
        dsk.task(&k(a, 1), &[&k(a, 2)]);
        dsk.task(&k(d, 1), &[&k(c, 1)]);
        let (_, live) = planned("avoid_upwards_branching", &dsk.outputs(&[&k(a, 1), &k(d, 1)]));
        assert!(live <= 4, "peak {live}, dask's order: 4");
    }
}

#[test]
fn avoid_upwards_branching_complex() {
    // dask: test_avoid_upwards_branching_complex
    for [a, b, c, d, e] in abcde() {
        let mut dsk = Dsk::default();
        dsk.task(&k(b, 2), &[]);
        dsk.task(&k(b, 1), &[&k(b, 2)]);
        dsk.task(&k(c, 3), &[]);
        dsk.task(&k(c, 2), &[&k(c, 3)]);
        dsk.task(&k(c, 1), &[&k(c, 2)]);
        dsk.task(&k(a, 3), &[&k(b, 1), &k(c, 1)]);
        dsk.task(&k(a, 2), &[&k(a, 3)]);
        dsk.task(&k(a, 1), &[&k(a, 2)]);
        dsk.task(&k(d, 1), &[&k(c, 1)]);
        dsk.task(&k(d, 2), &[&k(d, 1)]);
        dsk.task(&k(d, 3), &[&k(d, 1)]);
        dsk.task(&k(e, 1), &[&k(b, 1)]);
        dsk.task(&k(e, 2), &[&k(e, 1)]);
        let outs = [k(a, 1), k(d, 2), k(d, 3), k(e, 2)];
        let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
        let (o, live) = planned("avoid_upwards_branching_complex", &dsk.outputs(&outs));
        assert!(o[&k(c, 1)] < o[&k(b, 1)], "{o:?}");
        assert_eq!(o[&k(d, 2)].abs_diff(o[&k(d, 3)]), 1, "{o:?}");
        assert!(live <= 5, "peak {live}, dask's order: 5");
    }
}

#[test]
fn deep_bases_win_over_dependents() {
    // dask: test_deep_bases_win_over_dependents
    for [a, b, c, d, e] in abcde() {
        let mut dsk = Dsk::default();
        dsk.data(d);
        dsk.data(e);
        dsk.task(b, &[d, e]);
        dsk.task(c, &[d]);
        dsk.task(a, &[b, c, d]);
        let (o, live) = planned("deep_bases_win_over_dependents", &dsk.outputs(&[a]));
        assert!(o[b] < o[c], "{o:?}");
        assert!(live <= 3, "peak {live}, dask's order: 3");
    }
}

#[test]
fn prefer_deep() {
    // dask: test_prefer_deep. Two independent chains: dask starts with the longer one. In
    // lazydag the request order decides between independent outputs, so the port requests
    // the long chain first (the reversed request is `outputs_requested_in_reverse_…`).
    for [a, b, c, d, e] in abcde() {
        let mut dsk = Dsk::default();
        dsk.data(a);
        dsk.task(b, &[a]);
        dsk.task(c, &[b]);
        dsk.data(d);
        dsk.task(e, &[d]);
        let (o, live) = planned("prefer_deep", &dsk.outputs(&[c, e]));
        assert!(o[a] < o[d] && o[b] < o[d], "{o:?}");
        assert!(live <= 2, "peak {live}, dask's order: 2");
    }
}

#[test]
fn break_ties_by_argument_order() {
    // dask: test_break_ties_by_str. dask breaks ties by key name; lazydag by argument order:
    // the gathered values run in the order they are listed, then the gather.
    let xs: Vec<Delayed<u64>> = (0..10).map(|i| delayed!(f1(i)).name(format!("x{i}"))).collect();
    let y: Delayed<Vec<u64>> = xs.iter().collect();
    let g = graph(y.name("y"));
    let o = positions(&g);
    let order: Vec<usize> = (0..10).map(|i| o[&format!("x{i}")]).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert_eq!(o["y"], g.node_count() - 1);
    assert_eq!(peak_live(&g), 11);
}

#[test]
fn favor_longest_critical_path() {
    // dask: test_favor_longest_critical_path. After c, the longer path (b, a) runs before the
    // one-task branches d and e; the port requests a first (see the module docs).
    for [a, b, c, d, e] in abcde() {
        let mut dsk = Dsk::default();
        dsk.task(c, &[]);
        dsk.task(d, &[c]);
        dsk.task(e, &[c]);
        dsk.task(b, &[c]);
        dsk.task(a, &[b]);
        let (o, live) = planned("favor_longest_critical_path", &dsk.outputs(&[a, d, e]));
        assert!(o[d] > o[b] && o[e] > o[b], "{o:?}");
        assert!(live <= 4, "peak {live}, dask's order: 4");
    }
}

#[test]
fn run_smaller_sections() {
    // dask: test_run_smaller_sections (dask: pressure ≤ 4, optimum 3)
    for [a, b, c, d, e] in abcde() {
        let (aa, bb, cc, dd) = (k(a, a), k(b, b), k(c, c), k(d, d));
        let mut dsk = Dsk::default();
        for x in [a, c, e, &cc] {
            dsk.task(x, &[]);
        }
        dsk.task(b, &[a, c]);
        dsk.task(d, &[c, e]);
        dsk.task(&bb, &[&cc]);
        dsk.task(&aa, &[d, &bb]);
        dsk.task(&dd, &[&cc]);
        let outs = dsk.outputs(&[b, &aa, &dd]);
        assert!(dask_pressure(&graph(&outs)) <= 4);
        let (_, live) = planned("run_smaller_sections", &outs);
        assert!(live <= 6, "peak {live}, dask's order: 6");
    }
}

#[test]
fn local_parents_of_reduction() {
    // dask: test_local_parents_of_reduction: the exact order a3 a2 a1 b3 b2 b1 c3 c2 c1.
    let mut dsk = Dsk::default();
    dsk.task("a3", &[]);
    dsk.task("a2", &["a3"]);
    dsk.task("a1", &["a2"]);
    dsk.task("b3", &[]);
    dsk.task("b2", &["b3", "a2"]);
    dsk.task("b1", &["b2"]);
    dsk.task("c3", &[]);
    dsk.task("c2", &["c3", "b2"]);
    dsk.task("c1", &["c2"]);
    let (o, live) = planned("local_parents_of_reduction", &dsk.outputs(&["a1", "b1", "c1"]));
    let mut run: Vec<(&usize, &String)> = o.iter().map(|(k, v)| (v, k)).collect();
    run.sort();
    let run: Vec<&str> = run.into_iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(run, ["a3", "a2", "a1", "b3", "b2", "b1", "c3", "c2", "c1"]);
    assert!(live <= 5, "peak {live}, dask's order: 5");
}

#[test]
fn nearest_neighbor() {
    // dask: test_nearest_neighbor: finish local groups, though all groups are connected.
    let mut dsk = Dsk::default();
    for i in 1..=4 {
        dsk.task(&k("b", i), &[]);
    }
    let deps: [&[&str]; 9] = [
        &["b1"],
        &["b1"],
        &["b1", "b2"],
        &["b2"],
        &["b2", "b3"],
        &["b3"],
        &["b3", "b4"],
        &["b4"],
        &["b4"],
    ];
    for (i, d) in deps.iter().enumerate() {
        dsk.task(&k("a", i + 1), d);
    }
    let outs: Vec<String> = (1..=9).map(|i| k("a", i)).collect();
    let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
    let (o, live) = planned("nearest_neighbor", &dsk.outputs(&outs));
    let half = o.len() / 2;
    let early_a = (1..=9).filter(|i| o[&k("a", i)] < half).count();
    let early_b = (1..=4).filter(|i| o[&k("b", i)] < half).count();
    assert!(3 < early_a && early_a < 7, "{o:?}");
    assert!(1 < early_b && early_b < 4, "{o:?}");
    assert!(live <= 10, "peak {live}, dask's order: 10");
}

#[test]
fn prefer_short_ancestor() {
    // dask: test_prefer_short_ancestor (the "bad" case: a common ancestor `ab`)
    for [a, b, c, ..] in abcde() {
        let ab = format!("{a}{b}");
        let mut dsk = Dsk::default();
        dsk.data(&ab);
        dsk.task(&k(a, 0), &[&ab]);
        dsk.task(&k(b, 0), &[&ab]);
        dsk.data(&k(c, 0));
        dsk.task(&k(c, 1), &[&k(c, 0), &k(a, 0), &k(b, 0)]);
        dsk.task(&k(a, 1), &[&ab]);
        dsk.task(&k(b, 1), &[&ab]);
        dsk.task(&k(c, 2), &[&k(c, 1), &k(a, 1), &k(b, 1)]);
        let (o, live) = planned("prefer_short_ancestor", &dsk.outputs(&[&k(c, 2)]));
        let at = |x: &str, i| o[&k(x, i)];
        assert!(at(a, 0) < at(a, 1) && at(b, 0) < at(b, 1), "{o:?}");
        assert!(at(b, 0) < at(c, 2) && at(c, 1) < at(c, 2), "{o:?}");
        assert!(at(c, 1) < at(a, 1), "{o:?}");
        assert!(live <= 4, "peak {live}, dask's order: 4");
    }
}

#[test]
fn map_overlap() {
    // dask: test_map_overlap: finish b1 before starting e5 (or the mirror image).
    let mut dsk = Dsk::default();
    dsk.task("e1", &[]);
    dsk.task("d1", &["e1"]);
    dsk.task("c1", &["d1"]);
    dsk.task("d2", &[]);
    dsk.task("e3", &[]);
    dsk.task("d3", &["e3"]);
    dsk.task("c2", &["d1", "d2", "d3"]);
    dsk.task("b1", &["c1", "c2"]);
    dsk.task("c3", &["d3"]);
    dsk.task("d4", &[]);
    dsk.task("e5", &[]);
    dsk.task("d5", &["e5"]);
    dsk.task("c4", &["d3", "d4", "d5"]);
    dsk.task("b3", &["c2", "c3", "c4"]);
    dsk.task("c5", &["d5"]);
    dsk.task("b5", &["c4", "c5"]);
    let (o, live) = planned("map_overlap", &dsk.outputs(&["b1", "b3", "b5"]));
    let mut run: Vec<(&usize, &String)> = o.iter().map(|(k, v)| (v, k)).collect();
    run.sort();
    eprintln!("RUN map_overlap {run:?}"); // for docs/order.md's picture
    assert!(o["b1"] < o["e5"] || o["b5"] < o["e1"], "{o:?}");
    assert!(live <= 6, "peak {live}, dask's order: 6");
}

#[test]
fn use_structure_not_keys() {
    // dask: test_use_structure_not_keys (dask: pressure exactly 3)
    let mut dsk = Dsk::default();
    for i in 0..10 {
        dsk.task(&k("a", i), &[]);
    }
    let bs: [(usize, &[usize]); 10] = [
        (5, &[2]),
        (7, &[0, 2]),
        (9, &[7, 0, 2]),
        (1, &[4, 7, 0]),
        (2, &[9, 4, 7]),
        (4, &[6, 9, 4]),
        (3, &[5, 6, 9]),
        (8, &[1, 5, 6]),
        (6, &[8, 1, 5]),
        (0, &[3, 8, 1]),
    ];
    let mut outs = Vec::new();
    for (b, deps) in bs {
        let deps: Vec<String> = deps.iter().map(|i| k("a", i)).collect();
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        outs.push(dsk.task(&k("b", b), &deps));
    }
    let g = graph(&outs);
    eprintln!(
        "ORDER use_structure_not_keys: peak_live {} dask_pressure {}",
        peak_live(&g),
        dask_pressure(&g)
    );
    assert!(dask_pressure(&g) <= 3);
    assert!(peak_live(&g) <= 13, "peak {}, dask's order: 13", peak_live(&g));
}

#[test]
fn dont_run_all_dependents_too_early() {
    // dask: test_dont_run_all_dependents_too_early: the d's at every third position.
    let mut dsk = Dsk::default();
    dsk.task("a0", &[]);
    dsk.task("b0", &[]);
    dsk.task("c0", &[]);
    dsk.task("d0", &["a0", "b0", "c0"]);
    for i in 1..10 {
        dsk.task(&k("b", i), &["b0"]);
        dsk.task(&k("c", i), &["c0"]);
        dsk.task(&k("d", i), &[&k("d", i - 1), &k("b", i), &k("c", i)]);
    }
    let (o, live) = planned("dont_run_all_dependents_too_early", &dsk.outputs(&["d9"]));
    // dask places them at exactly 3, 6, …, 30; lazydag runs b9 early to release b0 (rule 3),
    // so d8 comes one later: each d_i is at most one off dask's place.
    let mut ds: Vec<usize> = (0..10).map(|i| o[&k("d", i)]).collect();
    ds.sort_unstable();
    for (i, d) in ds.iter().enumerate() {
        assert!(d.abs_diff(3 * (i + 1)) <= 1, "{ds:?}");
    }
    assert!(live <= 6, "peak {live}, dask's order: 6");
}

#[test]
fn many_branches_use_ndependencies() {
    // dask: test_many_branches_use_ndependencies: the d and e branches (with more work) run
    // first, and c1, the shortest, last before a3.
    for [a, b, c, d, e] in abcde() {
        let (dd, ee) = (format!("{d}{d}"), format!("{e}{e}"));
        let mut dsk = Dsk::default();
        dsk.data(&k(a, 0));
        dsk.task(&k(a, 1), &[&k(a, 0)]);
        dsk.task(&k(a, 2), &[&k(a, 1)]);
        dsk.task(&k(b, 1), &[&k(a, 0)]);
        dsk.task(&k(b, 2), &[&k(b, 1)]);
        dsk.task(&k(c, 1), &[&k(a, 0)]);
        for (x, xx) in [(d, &dd), (e, &ee)] {
            dsk.task(&k(x, 1), &[&k(a, 0)]);
            dsk.task(&k(x, 2), &[&k(x, 1)]);
            dsk.task(&k(xx, 1), &[&k(a, 0)]);
            dsk.task(&k(xx, 2), &[&k(xx, 1)]);
            dsk.task(&k(xx, 3), &[&k(x, 2), &k(xx, 2)]);
        }
        let deps = [k(a, 2), k(b, 2), k(c, 1), k(&dd, 3), k(&ee, 3)];
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        dsk.task(&k(a, 3), &deps);
        let (o, live) = planned("many_branches_use_ndependencies", &dsk.outputs(&[&k(a, 3)]));
        assert_eq!(o[&k(c, 1)] + 1, o[&k(a, 3)], "{o:?}");
        assert!(live <= 6, "peak {live}, dask's order: 6");
    }
}

#[test]
fn order_empty_and_single() {
    // dask: test_order_empty (no outputs: an empty graph) and a single task.
    let none: Vec<Delayed<u64>> = Vec::new();
    assert_eq!(peak_live(&graph(&none)), 0);
    assert_eq!(peak_live(&graph(delayed!(f0()))), 1);
    // A requested literal in a plan that is renumbered (a value with two consumers).
    let one = lazydag_core::delayed(1_u64);
    let x = delayed!(f0());
    let y = delayed!(f2(&x, &one));
    let z = delayed!(f2(&x, &y));
    let g = graph((&one, &z, &y));
    assert_eq!(g.node_count(), 4);
    assert_eq!(lazydag_core::compute((one, z, y)).unwrap(), (1, 3, 2));
}

#[test]
fn order_with_equal_dependents() {
    // dask: test_order_with_equal_dependents (dask: pressure ≤ 10), the first graph.
    let xs = ["a", "b", "c", "d"];
    let mut dsk = Dsk::default();
    for x in xs {
        dsk.task(&format!("{x}0"), &[]);
        dsk.task(&format!("{x}1"), &[&format!("{x}0")]);
        dsk.task(&format!("{x}20"), &[&format!("{x}0")]);
        dsk.task(&format!("{x}21"), &[&format!("{x}1")]);
    }
    let mut outs = Vec::new();
    for x in xs {
        for (i, y) in xs.iter().enumerate() {
            dsk.task(&format!("{x}3{i}"), &[&format!("{x}20"), &format!("{y}21")]);
            dsk.task(&format!("{x}4{i}"), &[&format!("{x}3{i}")]);
            for j in 0..2 {
                dsk.task(&format!("{x}5{i}{j}"), &[&format!("{x}4{i}")]);
                outs.push(dsk.task(&format!("{x}6{i}{j}"), &[&format!("{x}5{i}{j}")]));
            }
        }
    }
    let (o, live) = planned("order_with_equal_dependents", &outs);
    let mut total = 0;
    for x in xs {
        for i in 0..4 {
            total += o[&format!("{x}6{i}1")].abs_diff(o[&format!("{x}6{i}0")]);
        }
    }
    assert!(total <= 32, "total {total}");
    let g = graph(&outs);
    assert!(dask_pressure(&g) <= 10);
    assert!(live <= 33, "peak {live}, dask's order: 33");
}

#[test]
fn terminal_node_backtrack() {
    // dask: test_terminal_node_backtrack: finish the left half (a0..a2) before the right.
    let mut dsk = Dsk::default();
    for i in 0..6 {
        dsk.data(&k("a", i));
    }
    dsk.task("b0", &["a0", "a1"]);
    dsk.task("b1", &["a1", "a2"]);
    dsk.task("s00", &["b0"]);
    dsk.task("s10", &["b1"]);
    dsk.task("b2", &["a3", "a4"]);
    dsk.task("b3", &["a4", "a5"]);
    dsk.task("s01", &["b2"]);
    dsk.task("s11", &["b3"]);
    dsk.task("s", &["s00", "s10", "s01", "s11"]);
    let (o, live) = planned("terminal_node_backtrack", &dsk.outputs(&["s"]));
    assert!(o["a2"] < o["a3"], "{o:?}");
    assert!(live <= 5, "peak {live}, dask's order: 5");
}

#[test]
fn eager_to_compute_dependent_to_free_parent() {
    // dask: test_eager_to_compute_dependent_to_free_parent (dask: pressure ≤ 8)
    #[rustfmt::skip]
    let dsk_spec: &[(&str, &[&str])] = &[
        ("a62", &[]), ("a63", &[]), ("a64", &[]), ("a65", &[]), ("a66", &[]),
        ("a67", &[]), ("a68", &[]), ("a69", &[]), ("a70", &[]), ("a71", &[]),
        ("a52", &["a62"]), ("a53", &["a68"]), ("a54", &["a70"]), ("a55", &["a67"]),
        ("a56", &["a71"]), ("a57", &["a64"]), ("a58", &["a65"]), ("a59", &["a63"]),
        ("a60", &["a69"]), ("a61", &["a66"]),
        ("a20", &["a55"]), ("a21", &["a53"]), ("a22", &["a60"]), ("a23", &["a54"]),
        ("a24", &["a59"]), ("a25", &["a56"]), ("a26", &["a61"]), ("a27", &["a52"]),
        ("a28", &["a57"]), ("a29", &["a58"]),
        ("a33", &["a58"]), ("a35", &["a60"]), ("a36", &["a52"]), ("a37", &["a61"]),
        ("a42", &["a54"]), ("a43", &["a55"]), ("a44", &["a53"]), ("a47", &["a59"]),
        ("a48", &["a57"]), ("a49", &["a56"]),
        ("a02", &["a24", "a21"]), ("a03", &["a22", "a25"]), ("a04", &["a29", "a20"]),
        ("a05", &["a23", "a27"]), ("a01", &["a28", "a26"]),
        ("a06", &["a04", "a02"]), ("a08", &["a05", "a03"]), ("a00", &["a06", "a08"]),
        ("a07", &["a00", "a01"]), ("a31", &["a07"]),
        ("a09", &["a43"]), ("a10", &["a36"]), ("a11", &["a33"]), ("a12", &["a47"]),
        ("a13", &["a44"]), ("a14", &["a42"]), ("a15", &["a37"]), ("a16", &["a48"]),
        ("a17", &["a49"]), ("a18", &["a35"]),
        ("a34", &["a11", "a09"]), ("a38", &["a14", "a10"]), ("a40", &["a18", "a17"]),
        ("a39", &["a38", "a40"]), ("a45", &["a16", "a15"]), ("a50", &["a12", "a13"]),
        ("a41", &["a34", "a50"]), ("a51", &["a41", "a39"]), ("a46", &["a51", "a45"]),
        ("a19", &["a46"]), ("a30", &["a19"]), ("a32", &["a30", "a31"]),
    ];
    let mut dsk = Dsk::default();
    for (key, deps) in dsk_spec {
        dsk.task(key, deps);
    }
    let outs = dsk.outputs(&["a32"]);
    assert!(dask_pressure(&graph(&outs)) <= 8);
    let (o, live) = planned("eager_to_compute_dependent_to_free_parent", &outs);
    let shallow = ["a64", "a66"].map(|r| o[r]).into_iter().min().unwrap();
    for deep in [["a68", "a63", "a65", "a67"], ["a69", "a70", "a71", "a62"]] {
        assert!(deep.map(|r| o[r]).into_iter().max().unwrap() < shallow, "{o:?}");
    }
    assert!(live <= 9, "peak {live}, dask's order: 9");
}

#[test]
fn diagnostics_shape() {
    // dask: test_diagnostics: its graph, whose pressure dask reports as at most 3.
    let mut dsk = Dsk::default();
    for x in ["a", "b", "c", "d", "e"] {
        dsk.task(&k(x, 0), &[]);
    }
    dsk.task("a1", &["a0", "b0", "c0"]);
    dsk.task("b1", &["b0", "c0", "d0"]);
    dsk.task("c1", &["c0", "d0", "e0"]);
    dsk.task("d1", &["d0", "e0"]);
    dsk.task("e1", &["e0"]);
    let outs = dsk.outputs(&["a1", "b1", "c1", "d1", "e1"]);
    let g = graph(&outs);
    eprintln!("ORDER diagnostics: peak_live {} dask_pressure {}", peak_live(&g), dask_pressure(&g));
    assert!(dask_pressure(&g) <= 3);
    assert!(peak_live(&g) <= 8, "dask's order: 8");
}

#[test]
fn xarray_like_reduction() {
    // dask: test_xarray_like_reduction (dask: pressure ≤ 9)
    let mut dsk = Dsk::default();
    for ix in 0..3 {
        let n = |x: &str, i: usize| format!("{x}{i}_{ix}");
        dsk.task(&n("a", 0), &[]);
        dsk.task(&n("a", 1), &[]);
        dsk.task(&n("b", 0), &[&n("a", 0)]);
        dsk.task(&n("b", 1), &[&n("a", 0), &n("a", 1)]);
        dsk.task(&n("b", 2), &[&n("a", 1)]);
        for i in 0..3 {
            dsk.task(&n("c", i), &[&n("b", i)]);
        }
    }
    let mut outs = Vec::new();
    for ix in 0..3 {
        let deps: Vec<String> = (0..3).map(|i| format!("c{ix}_{i}")).collect();
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        outs.push(dsk.task(&k("d", ix), &deps));
    }
    assert!(dask_pressure(&graph(&outs)) <= 9);
    let (_, live) = planned("xarray_like_reduction", &outs);
    assert!(live <= 10, "peak {live}, dask's order: 10");
}

#[test]
fn outputs_requested_in_reverse_finish_in_that_order() {
    // lazydag's own rule (dask has no request order): independent outputs finish in the order
    // they were requested, here the short chain of test_prefer_deep first.
    let mut dsk = Dsk::default();
    dsk.task("a", &[]);
    dsk.task("b", &["a"]);
    dsk.task("c", &["b"]);
    dsk.task("d", &[]);
    dsk.task("e", &["d"]);
    let (o, _) = planned("outputs_in_reverse", &dsk.outputs(&["e", "c"]));
    assert!(o["e"] < o["a"], "{o:?}");
    let (o, _) = planned("outputs_in_order", &dsk.outputs(&["c", "e"]));
    assert!(o["c"] < o["d"], "{o:?}");
}

#[test]
fn trees_keep_their_post_order() {
    // Not a dask case: the streaming reduction of the benchmark harness
    // (`acc_i = merge(acc_{i-1}, summarize(produce(i)))`) and a map-reduce are trees whose
    // inputs come deepest first, so the ordering pass leaves them in post-order: the harness's
    // "blocks held" cannot change. Each block is produced, summarized and merged in turn.
    let block = |i: u64| delayed!(f1(delayed!(f1(i)).name(format!("p{i}")))).name(format!("s{i}"));
    let mut total = block(0);
    for i in 1..6 {
        total = delayed!(f2(total, block(i))).name(format!("m{i}"));
    }
    let g = graph(&total);
    let o = positions(&g);
    for i in 1..6 {
        // Literal i, then produce, summarize, merge.
        assert_eq!(o[&format!("s{i}")], o[&format!("p{i}")] + 1);
        assert_eq!(o[&format!("m{i}")], o[&format!("s{i}")] + 1);
    }
    assert_eq!(peak_live(&g), 3);
    let leaves: Vec<Delayed<u64>> = (0..8).map(|i| delayed!(f1(i))).collect();
    let mut level = leaves;
    while level.len() > 1 {
        level = level.chunks(2).map(|p| delayed!(f2(&p[0], &p[1]))).collect();
    }
    assert_eq!(peak_live(&graph(&level[0])), 5); // a value per open level, plus the new one
}
