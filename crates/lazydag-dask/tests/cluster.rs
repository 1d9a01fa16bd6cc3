//! The loopback cluster test (CI, `--features python`): this test binary is the scheduler
//! and both workers (`main_hook` first), on 127.0.0.1 with ports chosen by the OS.
//!
//! Checks, in order: a map + tree-reduce of 1,025 tasks is bit-identical to the Sequential
//! scheduler; both workers run tasks; the dashboard answers HTTP 200; a worker killed by SIGKILL mid-run is survived
//! (Dask recomputes) and the result is still identical; a task's `Err` and panic come back
//! naming the task; a closure is refused before submission; `lazydag::array` reductions on
//! the seed's path (`x.mean()`, `(x + x.T).sum()`, with `keepdims`, sliced, results of several
//! blocks) are bit-identical too; a timeout through `Control`
//! cancels the Dask futures; `lazydag.toml` picks the cluster; a second cluster over TLS (a
//! throwaway CA made with `openssl`, skipped saying so without it; started in the background
//! while the other checks run) computes the same bits and refuses clients without its
//! certificates; an unreachable scheduler is an error naming its address; dropping
//! the cluster stops every process it started, by PID. No timing is asserted: every wait has
//! a generous limit, and a watchdog kills what we started and fails the run after 15 minutes.
//!
//! Run: `export "$(bash scripts/dask-env.sh)" && cargo test -p lazydag-dask --features python
//! --test cluster` (what scripts/test.sh does; it skips, saying so, when pip is unreachable).

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lazydag_core::scheduler::Sequential;
use lazydag_core::{
    Control, Delayed, Error, compute_with, compute_with_control, delayed, try_delayed,
};
use lazydag_dask::{DaskCluster, DaskError, Security, main_hook, remote};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Stats {
    n: u64,
    sum: f64,
    sumsq: f64,
    min: f64,
    max: f64,
}

/// `len` pseudo-random numbers from `seed`; sleeps `sleep_ms` and, when `trace` is not
/// empty, appends this process's PID to that file (one write, atomic with O_APPEND).
#[remote]
fn chunk(seed: u64, len: u32, sleep_ms: u64, trace: String) -> Vec<f64> {
    if !trace.is_empty() {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&trace).unwrap();
        f.write_all(format!("{}\n", std::process::id()).as_bytes()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(sleep_ms));
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[remote]
fn stats(xs: Vec<f64>) -> Stats {
    Stats {
        n: xs.len() as u64,
        sum: xs.iter().sum(),
        sumsq: xs.iter().map(|x| x * x).sum(),
        min: xs.iter().copied().fold(f64::INFINITY, f64::min),
        max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

#[remote]
fn merge(a: Stats, b: Stats) -> Stats {
    Stats {
        n: a.n + b.n,
        sum: a.sum + b.sum,
        sumsq: a.sumsq + b.sumsq,
        min: a.min.min(b.min),
        max: a.max.max(b.max),
    }
}

#[derive(Debug)]
struct Unlucky(u64);

impl std::fmt::Display for Unlucky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is unlucky", self.0)
    }
}

impl std::error::Error for Unlucky {}

#[remote]
fn checked(n: u64) -> Result<u64, Unlucky> {
    if n == 13 { Err(Unlucky(n)) } else { Ok(n) }
}

#[remote]
fn explode(n: u64) -> u64 {
    assert!(n < 100, "n = {n} is too big");
    n
}

#[remote]
fn nap(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/// Sleeps `ms` and returns the PID of the process that ran it.
#[remote]
fn whoami(i: u64, ms: u64) -> u32 {
    std::thread::sleep(Duration::from_millis(ms + i % 2));
    std::process::id()
}

/// 342 chunks → stats, then a pairwise tree of merges: 3 × 342 − 1 = 1,025 tasks.
fn graph(sleep_ms: u64, trace: &str) -> Delayed<Stats> {
    tree(342, sleep_ms, trace)
}

/// `n` chunks → stats, then a pairwise tree of merges: 3n − 1 tasks.
fn tree(n: u64, sleep_ms: u64, trace: &str) -> Delayed<Stats> {
    let mut level: Vec<Delayed<Stats>> = (0..n)
        .map(|s| delayed!(stats(delayed!(chunk(s, 1000, sleep_ms, trace.to_string())))))
        .collect();
    while level.len() > 1 {
        let mut next = Vec::new();
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => delayed!(merge(a, b)),
                None => a,
            });
        }
        level = next;
    }
    level.pop().unwrap()
}

fn bits(s: &Stats) -> [u64; 5] {
    [s.n, s.sum.to_bits(), s.sumsq.to_bits(), s.min.to_bits(), s.max.to_bits()]
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for task in std::fs::read_dir(format!("/proc/{p}/task")).into_iter().flatten().flatten() {
            let list = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for c in list.split_whitespace().filter_map(|c| c.parse().ok()) {
                out.push(c);
                todo.push(c);
            }
        }
    }
    out
}

fn http_status(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http dashboard link");
    let (host, path) = rest.split_once('/').map_or((rest, "/"), |(h, p)| (h, p));
    let mut stream = std::net::TcpStream::connect(host).expect("the dashboard accepts");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    String::from_utf8_lossy(&head).into_owned()
}

/// A throwaway CA and one certificate signed by it for 127.0.0.1 (EC P-256, valid 2 days),
/// made with the `openssl` command in `dir`; `None` when there is no `openssl`.
fn throwaway_tls(dir: &std::path::Path) -> Option<Security> {
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).current_dir(dir).output();
        match out {
            Ok(out) if out.status.success() => Some(()),
            Ok(out) => panic!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr)),
            Err(_) => None, // no openssl command
        }
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let ca = [&ec[..], &["-x509", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2"]].concat();
    openssl(&[&["req"], &ca[..], &["-subj", "/CN=lazydag-test-ca"]].concat())?;
    let node = [&ec[..], &["-keyout", "node.key", "-out", "node.csr"]].concat();
    openssl(&[&["req"], &node[..], &["-subj", "/CN=127.0.0.1"]].concat())?;
    std::fs::write(
        dir.join("node.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "node.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "node.pem",
        "-days",
        "2",
        "-extfile",
        "node.ext",
    ])?;
    Some(Security::new(dir.join("ca.pem"), dir.join("node.pem"), dir.join("node.key")))
}

fn check(name: &str, f: impl FnOnce()) {
    eprintln!("check {name} ...");
    let t = std::time::Instant::now();
    f();
    eprintln!("check {name} ... ok ({:.1} s)", t.elapsed().as_secs_f64());
}

fn main() {
    main_hook(); // the scheduler and workers are this binary: they never get past this line
    let pids: Arc<Mutex<Vec<u32>>> = Arc::default();
    let watched = Arc::clone(&pids);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(900));
        eprintln!("cluster test: still running after 15 minutes; stopping what it started");
        for pid in watched.lock().unwrap().iter() {
            for p in children(*pid).into_iter().chain([*pid]) {
                let _ = std::process::Command::new("kill").args(["-KILL", &p.to_string()]).status();
            }
        }
        std::process::exit(1);
    });

    let trace_dir = std::env::temp_dir().join(format!("lazydag-dask-test-{}", std::process::id()));
    std::fs::create_dir_all(&trace_dir).unwrap();
    // The TLS cluster of the TLS check starts while the other checks run (they mostly wait on
    // the workers), in a scoped thread: it is joined, and its cluster dropped (its processes
    // stopped), even when a check panics.
    std::thread::scope(|s| {
        let tls_dir = trace_dir.join("tls");
        let tls_pids = Arc::clone(&pids);
        let secure_start = s.spawn(move || {
            std::fs::create_dir_all(&tls_dir).unwrap();
            let tls = throwaway_tls(&tls_dir)?;
            let secure = DaskCluster::local_secure(1, &tls).expect("a loopback TLS cluster");
            tls_pids.lock().unwrap().extend(secure.pids());
            Some((tls, secure))
        });
        let cluster = DaskCluster::local(2).expect("a loopback cluster of 2 workers");
        pids.lock().unwrap().extend(cluster.pids());
        let started: Vec<u32> =
            cluster.pids().into_iter().flat_map(|p| children(p).into_iter().chain([p])).collect();
        eprintln!(
            "cluster at {} (pids {started:?}, logs {:?})",
            cluster.address(),
            cluster.log_dir()
        );

        check("map_tree_reduce_is_bit_identical_to_local", || {
            let total = graph(0, "");
            let here = compute_with(&total, &Sequential).unwrap();
            let there = compute_with(&total, &cluster).unwrap();
            assert_eq!(bits(&there), bits(&here));
            assert_eq!(there.n, 342_000);
        });

        check("both_workers_run_tasks", || {
            let pids: Vec<Delayed<u32>> = (0..40).map(|i| delayed!(whoami(i, 100))).collect();
            let mut ran: Vec<u32> = compute_with(&pids, &cluster).unwrap();
            ran.sort_unstable();
            ran.dedup();
            assert_eq!(ran.len(), 2, "40 tasks of 100 ms ran in processes {ran:?}");
            assert!(!ran.contains(&std::process::id()));
        });

        check("warm_up_runs_a_task_on_every_worker_of_this_build", || {
            // `local` already warmed both workers; doing it again answers for each.
            assert_eq!(cluster.warm_up().unwrap(), 2);
        });

        check("dashboard_answers_http_200", || {
            let link = cluster.dashboard_link().expect("a dashboard link");
            assert!(link.starts_with("http://127.0.0.1:"), "{link}");
            let status = http_status(link);
            assert!(status.ends_with(" 200"), "{link}: {status}");
        });

        check("a_killed_worker_is_survived", || {
            let trace = trace_dir.join("runs.txt");
            let total = graph(10, &trace.display().to_string());
            let here = compute_with(&total, &Sequential).unwrap();
            std::fs::write(&trace, "").unwrap();
            let remote = {
                let total = total.clone();
                let cluster = &cluster;
                std::thread::scope(|s| {
                    let run = s.spawn(move || compute_with(&total, cluster));
                    let runs = |t: &std::path::Path| std::fs::read_to_string(t).unwrap_or_default();
                    let victim = loop {
                        let lines = runs(&trace);
                        if lines.lines().count() >= 100 {
                            break lines.lines().next().unwrap().parse::<u32>().unwrap();
                        }
                        assert!(!run.is_finished(), "the compute finished before 100 chunk runs");
                        std::thread::sleep(Duration::from_millis(20));
                    };
                    assert_ne!(victim, std::process::id());
                    let status = std::process::Command::new("kill")
                        .args(["-KILL", &victim.to_string()])
                        .status()
                        .unwrap();
                    assert!(status.success());
                    eprintln!(
                        "killed worker pid {victim} after {} chunk runs",
                        runs(&trace).lines().count()
                    );
                    let out = run.join().unwrap();
                    eprintln!(
                        "chunk runs in the killed run: {} for 342 chunks",
                        runs(&trace).lines().count()
                    );
                    out
                })
            };
            assert_eq!(bits(&remote.unwrap()), bits(&here));
        });

        check(
            "array_reductions_keepdims_slices_and_several_block_results_are_bit_identical",
            || {
                // The seed's `x.mean()` and `(x + x.T).sum()`, small: 64 chunks of 50 × 50.
                let x = lazydag_array::random::RandomState::new(16).random([400, 400], [50, 50]);
                let bits = |a: &lazydag_array::ndarray::ArrayD<f64>| {
                    a.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                };
                for y in [x.mean(), (&x + &x.t()).sum(), (&x + &x.t()).mean()] {
                    let here = y.compute_with(&Sequential).unwrap();
                    let there = y.compute_with(&cluster).unwrap();
                    assert_eq!(bits(&there), bits(&here));
                }
                // keepdims, results of several blocks, slices of results and of the source:
                // one graph of four outputs, 16 chunks of 50 × 50.
                let y = lazydag_array::random::RandomState::new(17).random([200, 200], [50, 50]);
                let more: Vec<Delayed<lazydag_array::ndarray::ArrayD<f64>>> = [
                    y.keepdims().mean_axis(1),
                    y.mean_axis(0),
                    y.sum_axis(1).slice(lazydag_array::s![30..170;3]),
                    y.slice(lazydag_array::s![15..190, 7..133]).mean(),
                ]
                .iter()
                .map(|a| a.to_delayed_array().unwrap())
                .collect();
                let here = compute_with(&more, &Sequential).unwrap();
                let there = compute_with(&more, &cluster).unwrap();
                assert_eq!(
                    there.iter().map(bits).collect::<Vec<_>>(),
                    here.iter().map(bits).collect::<Vec<_>>()
                );
                // An operation that is a closure is refused before submission, naming its task.
                let err = x.map(|v| v * 2.0).sum().compute_with(&cluster).unwrap_err();
                assert!(err.to_string().contains("is a closure"), "{err}");
            },
        );

        check("an_err_comes_back_naming_the_task", || {
            let bad = try_delayed!(checked(13));
            let err = compute_with(&bad, &cluster).unwrap_err();
            let Error::Failed { task, source } = &err else { panic!("{err}") };
            assert_eq!(task, &bad.key());
            assert!(matches!(source.downcast_ref::<DaskError>(), Some(DaskError::Remote { .. })));
            assert!(err.to_string().contains("13 is unlucky"), "{err}");
            assert_eq!(compute_with(&try_delayed!(checked(12)), &cluster).unwrap(), 12);
        });

        check("a_panic_comes_back_naming_the_task", || {
            let out = delayed!(explode(500));
            let err = compute_with(&out, &cluster).unwrap_err();
            let Error::Panicked { task, message, .. } = &err else { panic!("{err}") };
            assert_eq!(task, &out.key());
            assert!(message.contains("n = 500 is too big"), "{message}");
        });

        check("a_closure_is_refused_before_submission", || {
            let y = delayed!(nap(0)).map(|v| v + 1).name("plus_one");
            let err = compute_with(&y, &cluster).unwrap_err();
            assert_eq!(err.task().unwrap().name(), "plus_one");
            assert!(err.to_string().contains("is a closure"), "{err}");
        });

        check("a_timeout_cancels_the_dask_futures", || {
            let naps: Vec<Delayed<u64>> = (0..40).map(|i| delayed!(nap(500 + i))).collect();
            let control = Control::new().timeout(Duration::from_millis(300));
            let err = compute_with_control(&naps, &cluster, &control).unwrap_err();
            assert!(matches!(err, Error::TimedOut { .. }), "{err}");
            // The cluster is still usable afterwards.
            assert_eq!(compute_with(&delayed!(nap(1)), &cluster).unwrap(), 1);
        });

        check("a_tls_cluster_runs_the_graph_and_refuses_plain_clients", || {
            let Some((tls, secure)) = secure_start.join().expect("the TLS cluster started") else {
                eprintln!("SKIPPED: the TLS check: no `openssl` command to make a throwaway CA");
                return;
            };
            let mine: Vec<u32> = secure
                .pids()
                .into_iter()
                .flat_map(|p| children(p).into_iter().chain([p]))
                .collect();
            let address = secure.address().to_owned();
            assert!(address.starts_with("tls://127.0.0.1:"), "{address}");
            let small = delayed!(merge(
                delayed!(stats(delayed!(chunk(1, 1000, 0, String::new())))),
                delayed!(stats(delayed!(chunk(2, 1000, 0, String::new())))),
            ));
            let here = compute_with(&small, &Sequential).unwrap();
            assert_eq!(bits(&compute_with(&small, &secure).unwrap()), bits(&here));
            // A second client with the certificate gets in; one without it, or one asked to
            // talk in the clear, does not (both refused at once by Dask, no timeout to wait).
            let again = DaskCluster::connect_secure(&address, &tls).expect("a TLS client");
            assert_eq!(bits(&compute_with(&small, &again).unwrap()), bits(&here));
            drop(again);
            let err = DaskCluster::connect_timeout(&address, Duration::from_secs(5)).unwrap_err();
            assert!(err.to_string().contains(&address), "{err}");
            let plain = address.replacen("tls://", "tcp://", 1);
            let err = DaskCluster::connect_secure(&plain, &tls).unwrap_err();
            assert!(err.to_string().contains(&plain), "{err}");
            drop(secure);
            let survivors = || -> Vec<u32> { mine.iter().copied().filter(|&p| alive(p)).collect() };
            for _ in 0..600 {
                if survivors().is_empty() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(survivors().is_empty(), "still running: {:?}", survivors());
        });

        check("lazydag_toml_scheduler_dask_runs_compute_on_the_cluster", || {
            // The config file route (the environment route is the same precedence, covered by the
            // config unit tests): `compute()`, no scheduler in code. A scratch working directory
            // holds the file, so nothing is written into the repository. It runs after the TLS
            // check has joined the thread that started the TLS cluster: no other thread of this
            // binary starts a process (which would inherit the directory) while it is changed.
            let dir = trace_dir.join("config");
            std::fs::create_dir_all(&dir).unwrap();
            let toml = format!("scheduler = \"dask\"\ndask-address = \"{}\"\n", cluster.address());
            std::fs::write(dir.join("lazydag.toml"), toml).unwrap();
            let home = std::env::current_dir().unwrap();
            std::env::set_current_dir(&dir).unwrap();
            let ran = delayed!(whoami(0, 0)).compute();
            let total = tree(16, 0, "").compute();
            std::env::set_current_dir(home).unwrap();
            let ran = ran.expect("compute() on the configured cluster");
            assert_ne!(ran, std::process::id(), "the task ran in this process, not on a worker");
            let here = compute_with(&tree(16, 0, ""), &Sequential).unwrap();
            assert_eq!(bits(&total.unwrap()), bits(&here));
        });

        check("an_unreachable_scheduler_is_an_error_naming_it", || {
            // A port this process just held and let go of: nothing listens there.
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            let address = format!("tcp://127.0.0.1:{}", port.port());
            let err = DaskCluster::connect_timeout(&address, Duration::from_secs(1)).unwrap_err();
            assert!(matches!(err, DaskError::Unreachable { .. }), "{err}");
            assert!(err.to_string().contains(&address), "{err}");
        });

        check("dropping_the_cluster_stops_every_process_by_pid", || {
            let now: Vec<u32> = cluster
                .pids()
                .into_iter()
                .flat_map(|p| children(p).into_iter().chain([p]))
                .collect();
            drop(cluster);
            // A process sent SIGKILL by the drop may take a moment to go: wait (bounded), but
            // assert only that it went.
            let survivors = || -> Vec<u32> {
                started.iter().chain(&now).copied().filter(|&p| alive(p)).collect()
            };
            for _ in 0..600 {
                if survivors().is_empty() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(survivors().is_empty(), "still running: {:?}", survivors());
        });
    });
    let _ = std::fs::remove_dir_all(&trace_dir);
    eprintln!("cluster test: all checks passed");
}
