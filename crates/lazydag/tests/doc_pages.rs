//! Every ```rust block of the pages under `docs/`, compiled: each block has a verbatim copy
//! here between a `// docs: PAGE N` line (N: the block's 1-based position in its page) and a
//! `// docs: end` line, and [`every_rust_block_of_the_docs_is_compiled_here`] fails when a
//! block and its copy differ, or when either has no counterpart. What a fragment leaves out
//! (its variables, its imports) is written around the markers.
//!
//! The cheap, deterministic blocks run. The others (a cluster, the network, files that do not
//! exist, an 80 GB logical array) only compile: their functions are referenced by
//! [`blocks_that_need_a_cluster_files_or_80_gb_only_compile`], never called. The excerpts of a
//! trait's declaration (`Scheduler`, `TaskStore`) compile in modules of their own, and a type
//! implementing both the excerpt and the real trait with the same methods checks them
//! against each other.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use lazydag::prelude::*;
use lazydag::{ContentKey, Error, Plan, Value};

// ---------------------------------------------------------------------------------------------
// The comparison of the pages' blocks with the regions of this file.

/// The line that opens a region (followed by `PAGE N`), and, followed by `end`, closes it.
const MARK: &str = "// docs: ";

/// A ```rust block of a page, or the region of this file that copies it.
#[derive(Debug)]
struct Snippet {
    /// The page, relative to `docs/`, with `/` between folders.
    page: String,
    /// The block's 1-based position among the page's ```rust blocks.
    index: usize,
    /// Its lines, without their common indentation and trailing whitespace.
    text: String,
    /// Where it is: the page's or this file's line of its opening fence or marker.
    line: usize,
}

/// `lines` without their common indentation (blank lines aside) and trailing whitespace.
fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| if l.trim().is_empty() { "" } else { l[indent..].trim_end() })
        .collect();
    lines.join("\n")
}

/// The ```rust blocks of one page's markdown (a fence may be indented, in a list item; one
/// whose info string's first word is `rust`, as in ```rust,ignore, counts too).
fn rust_blocks(page: &str, markdown: &str) -> Result<Vec<Snippet>, String> {
    let mut blocks = Vec::new();
    // The open fence: its backticks, whether it is a rust block, its line, the lines so far.
    let mut open: Option<(usize, bool, usize, Vec<&str>)> = None;
    for (n, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
        match &mut open {
            None if ticks >= 3 => {
                let info = trimmed[ticks..].trim();
                let lang = info.split([',', ' ', '{']).next().unwrap_or("");
                open = Some((ticks, lang == "rust", n + 1, Vec::new()));
            }
            None => {}
            Some((fence, rust, at, lines)) => {
                if ticks >= *fence && trimmed.trim_end().len() == ticks {
                    if *rust {
                        let index = blocks.len() + 1;
                        let text = dedent(lines);
                        blocks.push(Snippet { page: page.to_owned(), index, text, line: *at });
                    }
                    open = None;
                } else {
                    lines.push(line);
                }
            }
        }
    }
    match open {
        Some((_, _, at, _)) => Err(format!("{page}:{at}: a code block is never closed")),
        None => Ok(blocks),
    }
}

/// The regions of `source` (this file) between a `// docs: PAGE N` line and `// docs: end`.
fn marked_regions(source: &str) -> Result<Vec<Snippet>, String> {
    let mut regions = Vec::new();
    let mut open: Option<(String, usize, usize, Vec<&str>)> = None;
    for (n, line) in source.lines().enumerate() {
        let Some(rest) = line.trim().strip_prefix(MARK) else {
            if let Some((_, _, _, lines)) = &mut open {
                lines.push(line);
            }
            continue;
        };
        match (open.take(), rest.trim()) {
            (Some((page, index, at, lines)), "end") => {
                regions.push(Snippet { page, index, text: dedent(&lines), line: at });
            }
            (None, "end") => return Err(format!("doc_pages.rs:{}: an end with no start", n + 1)),
            (Some((page, index, at, _)), _) => {
                return Err(format!("doc_pages.rs:{at}: the region of {page} {index} has no end"));
            }
            (None, name) => {
                let parsed = name
                    .rsplit_once(' ')
                    .and_then(|(page, index)| Some((page.trim(), index.parse::<usize>().ok()?)));
                let Some((page, index)) = parsed else {
                    return Err(format!(
                        "doc_pages.rs:{}: `{}` is not `{MARK}PAGE N` nor `{MARK}end`",
                        n + 1,
                        line.trim()
                    ));
                };
                open = Some((page.to_owned(), index, n + 1, Vec::new()));
            }
        }
    }
    match open {
        Some((page, index, at, _)) => {
            Err(format!("doc_pages.rs:{at}: the region of {page} {index} has no end"))
        }
        None => Ok(regions),
    }
}

/// What is wrong between the pages' `blocks` and this file's `regions`, one message each.
fn problems(blocks: &[Snippet], regions: &[Snippet]) -> Vec<String> {
    let mut problems = Vec::new();
    for block in blocks {
        let copies: Vec<&Snippet> =
            regions.iter().filter(|r| r.page == block.page && r.index == block.index).collect();
        match copies.as_slice() {
            [] => problems.push(format!(
                "docs/{}:{}: rust block {} has no copy in doc_pages.rs (add one between \
                 `{MARK}{} {}` and `{MARK}end`):\n{}",
                block.page, block.line, block.index, block.page, block.index, block.text
            )),
            [copy] if copy.text == block.text => {}
            [copy] => problems.push(format!(
                "docs/{}:{}: rust block {} differs from its copy at doc_pages.rs:{}\n\
                 --- the page's block:\n{}\n--- the copy in doc_pages.rs:\n{}",
                block.page, block.line, block.index, copy.line, block.text, copy.text
            )),
            [_, ..] => problems.push(format!(
                "docs/{}: rust block {} has {} copies in doc_pages.rs (lines {:?})",
                block.page,
                block.index,
                copies.len(),
                copies.iter().map(|c| c.line).collect::<Vec<_>>()
            )),
        }
    }
    for region in regions {
        if !blocks.iter().any(|b| b.page == region.page && b.index == region.index) {
            problems.push(format!(
                "doc_pages.rs:{}: the region `{MARK}{} {}` copies no block: docs/{} has no \
                 rust block {}",
                region.line, region.page, region.index, region.page, region.index
            ));
        }
    }
    problems
}

/// The `.md` files under `dir`, recursively, in name order.
fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            found.push(path);
        }
    }
}

#[test]
fn every_rust_block_of_the_docs_is_compiled_here() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let mut pages = Vec::new();
    markdown_files(&docs, &mut pages);
    let mut blocks = Vec::new();
    for path in &pages {
        let page = path.strip_prefix(&docs).expect("under docs/");
        let page: Vec<String> =
            page.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let markdown = std::fs::read_to_string(path).expect("a readable page");
        blocks.extend(rust_blocks(&page.join("/"), &markdown).unwrap_or_else(|e| panic!("{e}")));
    }
    let regions = marked_regions(include_str!("doc_pages.rs")).unwrap_or_else(|e| panic!("{e}"));
    let problems = problems(&blocks, &regions);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // The walk found the pages (a wrong path would compare nothing with nothing).
    assert!(blocks.len() >= 17, "only {} rust blocks found under {}", blocks.len(), docs.display());
    assert!(blocks.iter().any(|b| b.page == "schedulers/config.md"), "no block of a subfolder");
}

#[test]
fn the_comparison_names_the_page_and_block_of_a_difference() {
    let page = "# T\n\n```rust\nlet a = 1;\n```\n\n  ```rust,ignore\n  let b = 2;\n  ```\n";
    let blocks = rust_blocks("t.md", page).unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!((blocks[1].index, blocks[1].text.as_str()), (2, "let b = 2;"));
    let source = format!(
        "fn f() {{\n    {MARK}t.md 1\n    let a = 10;\n    {MARK}end\n}}\n{MARK}t.md 3\n{MARK}end\n"
    );
    let regions = marked_regions(&source).unwrap();
    let found = problems(&blocks, &regions);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("docs/t.md:3: rust block 1 differs"), "{}", found[0]);
    assert!(found[0].contains("let a = 1;") && found[0].contains("let a = 10;"), "{}", found[0]);
    assert!(found[1].starts_with("docs/t.md:7: rust block 2 has no copy"), "{}", found[1]);
    assert!(found[2].contains("copies no block: docs/t.md has no rust block 3"), "{}", found[2]);
    assert!(marked_regions(&format!("{MARK}t.md 1\n")).is_err());
    assert!(marked_regions(&format!("{MARK}end\n")).is_err());
}

// ---------------------------------------------------------------------------------------------
// The `Scheduler` excerpts (architecture.md, schedulers.md), and a scheduler that implements
// them and the real trait with the same two methods.

#[allow(dead_code, unreachable_pub)] // the excerpt's `execute`: `Documented` calls the real one
#[rustfmt::skip]
mod architecture_md_1 {
    use lazydag::{Error, Plan, Value};

    // docs: architecture.md 1
    pub trait Scheduler: Send + Sync {
        fn name(&self) -> &str;
        fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error>;
    }
    // docs: end
}

#[allow(dead_code, unreachable_pub)] // the excerpt's `execute`: `Documented` calls the real one
#[rustfmt::skip]
mod schedulers_md_1 {
    use lazydag::{Error, Plan, Value};

    // docs: schedulers.md 1
    pub trait Scheduler: Send + Sync {
        fn name(&self) -> &str;
        fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error>;
    }
    // docs: end
}

/// Runs a plan on the calling thread, through the documented methods only.
struct Documented;

/// Implements each trait for [`Documented`] with the same methods: the excerpts' signatures
/// are the real trait's, and the real trait needs no other method.
macro_rules! documented_scheduler {
    ($($scheduler:path),*) => {$(
        impl $scheduler for Documented {
            fn name(&self) -> &str {
                "documented"
            }
            fn execute(&self, plan: &Plan) -> Result<Vec<Value>, Error> {
                lazydag::Scheduler::execute(&lazydag::scheduler::Sequential, plan)
            }
        }
    )*};
}
documented_scheduler!(lazydag::Scheduler, architecture_md_1::Scheduler, schedulers_md_1::Scheduler);

fn add(x: u64, y: u64) -> u64 {
    x + y
}

#[test]
fn a_scheduler_with_the_documented_methods_computes() -> Result<(), Error> {
    let z = delayed!(add(delayed!(add(1, 2)), 4));
    assert_eq!(z.compute_with(&Documented)?, 7);
    assert_eq!(lazydag::Scheduler::name(&Documented), "documented");
    assert_eq!(architecture_md_1::Scheduler::name(&Documented), "documented");
    assert_eq!(schedulers_md_1::Scheduler::name(&Documented), "documented");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// identity.md

#[test]
#[rustfmt::skip]
fn identity_md_1() {
    // docs: identity.md 1
    use lazydag::prelude::*;

    fn load(n: u64) -> Vec<u64> { (1..=n).collect() }
    fn fit(v: Vec<u64>, rate: u64) -> u64 { v.iter().sum::<u64>() * rate }

    let a = delayed_pure!(fit(delayed_pure!(load(10)), 3));  // delayed!(..).pure()
    let b = delayed!(fit(delayed!(load(10)).pure(), 3)).pure();
    assert_eq!(a.content_key(), b.content_key());
    println!("{}", a.content_key().unwrap());               // 64 hex digits
    // docs: end
    assert_eq!(a.content_key().unwrap().to_string().len(), 64);
    assert_eq!(a.compute().unwrap(), 165);
}

/// The `TaskStore` excerpt, and `cache`'s signature, with a `Delayed` of its own to hang it on
/// (an inherent `impl` needs a local type).
#[allow(dead_code, unreachable_pub)]
#[rustfmt::skip]
mod identity_md_2 {
    use lazydag::ContentKey;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub struct Delayed<T>(std::marker::PhantomData<T>);

    // docs: identity.md 2
    pub trait TaskStore: Send + Sync + 'static {
        fn load(&self, key: &ContentKey, task: &str) -> Option<Vec<u8>>;
        fn store(&self, key: &ContentKey, task: &str, bytes: &[u8]) -> Result<(), String>;
        // Where the entries are kept (a folder, a bucket): caches of one task into stores of one
        // identity are planned as one task. `None`: each `.cache(&store)` call's store is its own.
        fn identity(&self) -> Option<String> {
            None
        }
    }
    impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Delayed<T> {
        // pub fn cache<S: TaskStore + Clone>(&self, store: &S) -> Delayed<T>
    }
    // docs: end
}

/// A store in memory that counts its loads and stores.
#[derive(Clone, Default)]
struct Shelf(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<ContentKey, Vec<u8>>>>);

/// Implements each trait for [`Shelf`] with the same three methods (see
/// [`documented_scheduler`]).
macro_rules! documented_store {
    ($($store:path),*) => {$(
        impl $store for Shelf {
            fn load(&self, key: &ContentKey, _task: &str) -> Option<Vec<u8>> {
                self.0.lock().unwrap().get(key).cloned()
            }
            fn store(&self, key: &ContentKey, _task: &str, bytes: &[u8]) -> Result<(), String> {
                self.0.lock().unwrap().insert(*key, bytes.to_vec());
                Ok(())
            }
            fn identity(&self) -> Option<String> {
                Some(format!("shelf:{:p}", std::sync::Arc::as_ptr(&self.0)))
            }
        }
    )*};
}
documented_store!(lazydag::TaskStore, identity_md_2::TaskStore);

static SQUARES: AtomicUsize = AtomicUsize::new(0);

fn counted_square(x: u64) -> u64 {
    SQUARES.fetch_add(1, Ordering::Relaxed);
    x * x
}

#[test]
fn a_store_with_the_documented_methods_caches() -> Result<(), Error> {
    // `cache` has the documented signature.
    let cache: fn(&lazydag::Delayed<u64>, &Shelf) -> lazydag::Delayed<u64> =
        lazydag::Delayed::<u64>::cache::<Shelf>;
    let shelf = Shelf::default();
    assert_eq!(cache(&delayed!(counted_square(12)).pure(), &shelf).compute()?, 144);
    assert_eq!(cache(&delayed!(counted_square(12)).pure(), &shelf).compute()?, 144); // loaded
    assert_eq!(SQUARES.load(Ordering::Relaxed), 1);
    assert_eq!(shelf.0.lock().unwrap().len(), 1);
    assert!(lazydag::TaskStore::identity(&shelf).is_some_and(|id| id.starts_with("shelf:")));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// persist.md, schedulers/config.md, diagnostics.md

#[test]
#[rustfmt::skip]
fn persist_md_1() -> Result<(), Error> {
    // docs: persist.md 1
    use lazydag::prelude::*;

    fn load(n: u64) -> Vec<u64> { (0..n).collect() }       // expensive
    fn total(v: Vec<u64>) -> u64 { v.iter().sum() }
    fn count(v: Vec<u64>) -> usize { v.len() }

    let data = delayed!(load(1_000_000)).persist()?;       // `load` runs here, once
    let (t, n) = compute((delayed!(total(&data)), delayed!(count(&data))))?; // no `load`
    let again = delayed!(total(&data)).compute()?;         // still no `load`
    // docs: end
    assert_eq!((t, n, again), (499_999_500_000, 1_000_000, 499_999_500_000));
    Ok(())
}

#[test]
#[rustfmt::skip]
fn schedulers_config_md_1() -> Result<(), Error> {
    // The override is thread-local: no other test sees it.
    let before = config::current()?;
    let z = delayed!(add(delayed!(add(20, 5)), 100));
    // docs: schedulers/config.md 1
    use lazydag::config::{self, SchedulerKind};
    {
        let _guard = config::set(SchedulerKind::Threads, Some(2)); // like `with dask.config.set(...)`
        assert_eq!(config::current()?, (SchedulerKind::Threads, 2));
        z.compute()?; // on the threads pool
    } // the guard is dropped: the previous setting is back
    // docs: end
    assert_eq!(config::current()?, before);
    assert_eq!(z.compute()?, 125);
    Ok(())
}

fn diagnostics_load(part: u64) -> Vec<u64> {
    (0..10 + part % 7).map(|i| i * part % 1_013).collect()
}
fn diagnostics_clean(rows: Vec<u64>) -> Vec<u64> {
    rows.into_iter().filter(|x| x % 3 != 0).collect()
}
fn diagnostics_total(rows: Vec<u64>) -> u64 {
    rows.iter().sum()
}

/// examples/diagnostics.rs's `pipeline(1_024)`, cheap: `4 * parts - 1` tasks, 2,047 run once
/// the load-clean-total chains are fused.
fn diagnostics_pipeline(parts: u64) -> Delayed<u64> {
    let mut level: Vec<Delayed<u64>> = (0..parts)
        .map(|p| {
            delayed!(diagnostics_total(delayed!(diagnostics_clean(delayed!(diagnostics_load(p))))))
        })
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => delayed!(add(a, b)),
                [a] => a.clone(),
                _ => unreachable!("chunks of two"),
            })
            .collect();
    }
    level.pop().expect("at least one partition")
}

#[test]
#[rustfmt::skip]
fn diagnostics_md_1() -> Result<(), Error> {
    // The registration is the calling thread's: no other test sees it.
    use lazydag::diagnostics::ProgressBar;
    use std::sync::Arc;
    use std::time::Duration;
    let big = diagnostics_pipeline(1_024);
    // docs: diagnostics.md 1
    let bar = Arc::new(ProgressBar::new().minimum(Duration::from_millis(500)));
    let _guard = lazydag::callback::register(bar.clone());
    big.compute()?;
    println!("{}", bar.summary().unwrap()); // "2047/2047 tasks in 0.41 s (5.0k tasks/s)": the 2,047 tasks that ran
    // docs: end
    let summary = bar.summary().unwrap();
    assert!(summary.starts_with("2047/2047 tasks in "), "{summary}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// parallel.md, memory.md

static PROCESSED: AtomicUsize = AtomicUsize::new(0);

#[test]
#[allow(unused_variables)] // the block's `r`: a loop that only streams
#[rustfmt::skip]
fn parallel_md_1() -> Result<(), lazydag::parallel::Error> {
    use lazydag::parallel::Parallel;
    let lines: Vec<String> = ["1", "-2", "30"].map(String::from).to_vec();
    let huge_iterator = 0..10_000_u64;
    fn process(x: u64) -> u64 {
        PROCESSED.fetch_add(1, Ordering::Relaxed);
        x + 1
    }
    // docs: parallel.md 1
    let squares = Parallel::new().n_jobs(4).map(0..1000u64, |x| x * x)?;   // input order
    let parsed = Parallel::new().try_map(lines, |s: String| s.parse::<i64>())?;
    for r in Parallel::new().map_iter(huge_iterator, process)? { /* streamed, in order */ }
    // docs: end
    assert_eq!(squares.len(), 1000);
    assert!(squares.iter().enumerate().all(|(i, &s)| s == (i as u64) * (i as u64)));
    assert_eq!(parsed, [1, -2, 30]);
    assert_eq!(PROCESSED.load(Ordering::Relaxed), 10_000);
    Ok(())
}

static EXTRACTS: AtomicUsize = AtomicUsize::new(0);

/// The blocks that write `./cachedir`: each runs as this binary's ignored test of that name,
/// in a child process whose working directory is a fresh temporary folder (the working
/// directory is the process's: changing it here would change it under the other tests).
#[test]
fn the_cachedir_blocks_run_in_a_temp_dir() {
    for test in ["memory_md_1_in_a_temp_dir", "parallel_md_2_in_a_temp_dir"] {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join(TEMP_DIR_MARK), "").expect("the marker file");
        let out = Command::new(std::env::current_exe().expect("this test binary"))
            .args([test, "--exact", "--ignored", "--test-threads=1"])
            .current_dir(dir.path())
            .output()
            .expect("this test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{test} failed:\n{stdout}\n{stderr}");
        assert!(stdout.contains(&format!("test {test} ... ok")), "{test} did not run:\n{stdout}");
        assert!(dir.path().join("cachedir/features").is_dir(), "{test} wrote no ./cachedir");
    }
}

/// The file that tells a child of [`the_cachedir_blocks_run_in_a_temp_dir`] that its working
/// directory is a temporary folder (run any other way, the child tests do nothing).
const TEMP_DIR_MARK: &str = ".doc-pages-temp-dir";

/// Whether this process's working directory is one that
/// [`the_cachedir_blocks_run_in_a_temp_dir`] made.
fn in_a_temp_dir() -> bool {
    let here = Path::new(TEMP_DIR_MARK).exists();
    if !here {
        eprintln!("skipped: run by the_cachedir_blocks_run_in_a_temp_dir, in a temporary folder");
    }
    here
}

#[test]
#[ignore = "run by the_cachedir_blocks_run_in_a_temp_dir, in a temporary folder"]
fn memory_md_1_in_a_temp_dir() {
    if in_a_temp_dir() {
        memory_md_1().unwrap();
    }
}

#[rustfmt::skip]
fn memory_md_1() -> Result<(), lazydag_parallel::Error> {
    use std::time::Duration;
    fn extract(path: String, scale: f64, verbose: bool) -> Vec<f64> {
        EXTRACTS.fetch_add(1, Ordering::Relaxed);
        if verbose {
            println!("extracting {path}");
        }
        vec![path.len() as f64 * scale]
    }
    let path = String::from("data/a.csv");
    // docs: memory.md 1
    use lazydag_parallel::{Limits, Memory};
    let memory = Memory::new("./cachedir").size_limit(1 << 30);
    let features = memory
        .cache("features", extract)          // fn extract(path: String, scale: f64, verbose: bool)
        .version("2")                         // bump when extract's code changes
        .ignore([2])                          // `verbose` is not part of the key
        .expires_after(Duration::from_secs(7 * 86_400));
    let v = features.call((path.clone(), 0.5, false))?; // computes once, then loads from disk
    assert!(features.check_call_in_cache(&(path, 0.5, true))?);
    memory.reduce_size(Limits::default().items(10_000).age(Duration::from_secs(30 * 86_400)))?;
    // docs: end
    assert_eq!(v, [5.0]);
    assert_eq!(features.call(("data/a.csv".to_owned(), 0.5, true))?, [5.0]); // from disk
    assert_eq!(EXTRACTS.load(Ordering::Relaxed), 1);
    Ok(())
}

#[test]
#[ignore = "run by the_cachedir_blocks_run_in_a_temp_dir, in a temporary folder"]
fn parallel_md_2_in_a_temp_dir() {
    if in_a_temp_dir() {
        parallel_md_2().unwrap();
    }
}

#[rustfmt::skip]
fn parallel_md_2() -> Result<(), lazydag::parallel::Error> {
    use lazydag::parallel::Memory;
    fn extract(path: String, scale: f64) -> Vec<f64> {
        EXTRACTS.fetch_add(1, Ordering::Relaxed);
        vec![path.len() as f64 * scale]
    }
    let path = String::from("data/b.csv");
    let input_task = lazydag::delayed((String::from("data/c.csv"), 0.25));
    // docs: parallel.md 2
    let memory = Memory::new("./cachedir").size_limit(1 << 30);
    let features = memory.cache("features", extract).version("2"); // fn extract(path: String, scale: f64)
    let v = features.call((path, 0.5))?;          // computes once, then loads from disk
    let task = features.delayed(&input_task);      // a cached step of a lazydag graph
    // docs: end
    assert_eq!(v, [5.0]);
    assert_eq!(task.compute()?, [2.5]);
    assert_eq!(features.call(("data/b.csv".to_owned(), 0.5))?, [5.0]); // from disk
    assert_eq!(EXTRACTS.load(Ordering::Relaxed), 2);
    Ok(())
}

static LOADS: AtomicUsize = AtomicUsize::new(0);
static CLEANS: AtomicUsize = AtomicUsize::new(0);
static SUMMARIES: AtomicUsize = AtomicUsize::new(0);

const ROWS: u64 = 1_000;

fn load(rows: u64) -> Vec<u64> {
    LOADS.fetch_add(1, Ordering::Relaxed);
    (0..rows).collect()
}
fn clean(rows: Vec<u64>) -> Vec<u64> {
    CLEANS.fetch_add(1, Ordering::Relaxed);
    rows.into_iter().filter(|x| x % 2 == 1).collect()
}
fn summarise(rows: Vec<u64>, top: usize) -> Vec<u64> {
    SUMMARIES.fetch_add(1, Ordering::Relaxed);
    rows.into_iter().rev().take(top).collect()
}

/// memory.md's pipeline: `summarise` of the `top` rows, every step cached in `memory`.
#[rustfmt::skip]
fn memory_md_2(memory: lazydag::parallel::Memory, top: usize) -> Result<Vec<u64>, Error> {
    // docs: memory.md 2
    let raw = delayed!(load(ROWS)).pure().cache(&memory);           // slow
    let cleaned = delayed!(clean(raw)).pure().cache(&memory);        // slow
    let summary = delayed!(summarise(cleaned, top)).pure().cache(&memory);
    // docs: end
    summary.compute()
}

#[test]
fn memory_md_2_runs_only_what_changed() -> Result<(), Error> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let memory = lazydag::parallel::Memory::new(dir.path().join("cachedir"));
    let runs = || [&LOADS, &CLEANS, &SUMMARIES].map(|n| n.load(Ordering::Relaxed));
    assert_eq!(memory_md_2(memory.clone(), 10)?, (981..=999).rev().step_by(2).collect::<Vec<_>>());
    assert_eq!(runs(), [1, 1, 1]);
    assert_eq!(memory_md_2(memory.clone(), 3)?, [999, 997, 995]); // a new parameter
    assert_eq!(runs(), [1, 1, 2]); // only summarise ran: clean's result came from disk
    assert_eq!(memory_md_2(memory, 3)?, [999, 997, 995]);
    assert_eq!(runs(), [1, 1, 2]); // all from disk
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Blocks that only compile: they need a cluster (distributed.md, cli.md), files that do not
// exist (frame.md) or compute from an 80 GB logical array (array.md).

#[test]
fn blocks_that_need_a_cluster_files_or_80_gb_only_compile() {
    // A 100,000 x 100,000 array of random numbers: not a test's work.
    #[cfg(feature = "array")]
    let _ = array_md_1 as fn() -> _;
    // Reads large_file.csv and very_large_dataset.csv, which do not exist.
    #[cfg(feature = "frame")]
    let _ = frame_md_1 as fn() -> _;
    // Connect to a Dask scheduler at tcp://head:8786 or tls://head:8786 (and main_hook reads
    // the command line).
    #[cfg(feature = "dask")]
    {
        let _ = distributed_md_1::MAIN;
        let _ = distributed_md_2 as fn(_) -> _;
        let _ = cli_md_1::MAIN;
    }
    #[cfg(all(feature = "dask", feature = "array"))]
    let _ = distributed_md_3 as fn(_) -> _;
}

#[cfg(feature = "array")]
#[rustfmt::skip]
fn array_md_1() -> Result<(), lazydag::array::Error> {
    // docs: array.md 1
    use lazydag::array::{self as da, s};

    let x = da::random::random([100_000, 100_000], [1_000, 1_000]); // 80 GB logical, nothing allocated
    let y = &x + &x.t();
    let z = y.mean_axis(0);
    let first = z.slice(s![..5]).compute()?;                          // only the chunks this needs
    // docs: end
    assert_eq!(first.len(), 5);
    Ok(())
}

#[cfg(feature = "frame")]
#[rustfmt::skip]
fn frame_md_1() -> Result<(), Box<dyn std::error::Error>> {
    // docs: frame.md 1
    use lazydag::frame as dd;
    use lazydag::frame::polars::prelude::*;     // col, lit, DataType, ...
    use lazydag::frame::PolarsFrameExt;         // nlargest/nsmallest on polars frames

    let df = dd::read_csv("large_file.csv").blocksize("64MB").open()?;
    let result = df.groupby(["column_name"]).mean().compute()?;        // a polars DataFrame
    for batch in df.partitions() {                                      // each a lazy partition
        let processed = batch.compute()?;
        println!("Processed {} rows", processed.height());
    }
    let df = dd::read_csv("very_large_dataset.csv").blocksize("64MB")
        .dtypes([("user_id", DataType::Int64),
                 ("timestamp", DataType::Datetime(TimeUnit::Microseconds, None)),
                 ("value", DataType::Float64)])
        .open()?;
    let user_stats = df.groupby(["user_id"])
        .agg([col("value").mean(), col("value").min(), col("value").max(), col("value").count()])
        .compute()?;                                   // columns value_mean, value_min, ...
    let top = user_stats.nlargest(10, "value_count")?;
    // docs: end
    println!("{result}\n{top}");
    Ok(())
}

#[cfg(feature = "dask")]
#[allow(unreachable_pub)]
#[rustfmt::skip]
mod distributed_md_1 {
    pub(crate) const MAIN: fn() -> Result<(), Box<dyn std::error::Error>> = main;

    // docs: distributed.md 1
    use lazydag::prelude::*;
    use lazydag::dask::{DaskCluster, main_hook};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Serialize, Deserialize)]
    pub struct Stats { n: u64, sum: f64 }

    #[lazydag::remote]                 // registered as `my_app::stats`; the fn itself is unchanged
    pub fn stats(xs: Vec<f64>) -> Stats { Stats { n: xs.len() as u64, sum: xs.iter().sum() } }
    #[lazydag::remote]
    pub fn merge(a: Stats, b: Stats) -> Stats { Stats { n: a.n + b.n, sum: a.sum + b.sum } }

    fn main() -> Result<(), Box<dyn std::error::Error>> {
        main_hook();                   // first line: `my-app lazydag worker …` becomes a Dask worker
        let a = delayed!(stats(vec![1.0, 2.0]));
        let b = delayed!(stats(vec![3.0]));
        let total = delayed!(merge(a, b));
        let here = total.compute()?;                                  // locally, as always
        let cluster = DaskCluster::connect("tcp://head:8786")?;       // or DaskCluster::local(2)
        let there = total.compute_with(&cluster)?;                    // the same graph, on Dask
        assert_eq!(here.sum.to_bits(), there.sum.to_bits());
        Ok(())
    }
    // docs: end
}

#[cfg(feature = "dask")]
#[rustfmt::skip]
fn distributed_md_2(total: Delayed<u64>) -> Result<u64, Box<dyn std::error::Error>> {
    // docs: distributed.md 2
    use lazydag::dask::{DaskCluster, Security};
    let tls = Security::new("ca.pem", "client.pem", "client.key");
    let cluster = DaskCluster::connect_secure("tls://head:8786", &tls)?;
    let there = total.compute_with(&cluster)?;
    // docs: end
    Ok(there)
}

#[cfg(all(feature = "dask", feature = "array"))]
#[rustfmt::skip]
fn distributed_md_3(cluster: lazydag::dask::DaskCluster) -> Result<(), lazydag::array::Error> {
    // docs: distributed.md 3
    let x = lazydag::array::random::random([10_000, 10_000], [1_000, 1_000]);
    let here = x.mean().compute()?;                    // locally
    let there = x.mean().compute_with(&cluster)?;      // on Dask: the same bits
    let y = (&x + &x.t()).sum().compute_with(&cluster)?;
    // docs: end
    assert_eq!(here, there);
    drop(y);
    Ok(())
}

#[cfg(feature = "dask")]
#[rustfmt::skip]
mod cli_md_1 {
    pub(crate) const MAIN: fn() -> Result<(), Box<dyn std::error::Error>> = main;

    /// The graph of `#[lazydag::remote]` functions the page leaves to the reader.
    fn build() -> lazydag::Delayed<u64> {
        lazydag::delayed(1_u64)
    }

    // docs: cli.md 1
    fn main() -> Result<(), Box<dyn std::error::Error>> {
        lazydag_cli::main_hook();       // `my-app lazydag graph dump|report|run FILE` ends here
        lazydag::dask::main_hook();     // (if you use it) `my-app lazydag scheduler|worker`
        let total = build();            // ... build a graph of #[lazydag::remote] functions
        std::fs::write("g.json", lazydag_cli::dump(&total)?)?;
        Ok(())
    }
    // docs: end
}
