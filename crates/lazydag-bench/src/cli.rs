//! Command-line options. Hand-parsed: a handful of flags do not need a parser crate.
//!
//! Invariant: every flag the help text lists is parsed here, and an unknown flag is an error
//! that prints the help, never silently ignored.

use std::path::PathBuf;

/// How big and how often: the sizes and repeat counts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Profile {
    /// Three sizes per shape (about 1k, 16k and 262k tasks), 7 repeats: a few minutes.
    Full,
    /// Two small sizes, 3 repeats: well under a minute.
    Quick,
    /// Tiny sizes, one repeat, small memory blocks: for tests, in debug builds.
    Smoke,
}

/// Which parts of the run to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Per-task overhead and build cost of every shape on every scheduler and rayon.
    Overhead,
    /// Peak RSS of each case, each in its own child process.
    Rss,
    /// The streaming reduction over large blocks (peak RSS per scheduler).
    Stream,
    /// Column means of a wide table: sequential, parallel map, graph.
    Practical,
    /// lazydag-array against dask.array: the seed example, a bandwidth sum, a dot.
    Array,
    /// CSV group-bys with lazydag-frame and Polars (pandas and Dask with `--with-dask`).
    Frame,
}

impl Part {
    pub(crate) const ALL: [Part; 6] =
        [Part::Overhead, Part::Rss, Part::Stream, Part::Practical, Part::Array, Part::Frame];

    fn parse(name: &str) -> Option<Part> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Part::Overhead => "overhead",
            Part::Rss => "rss",
            Part::Stream => "stream",
            Part::Practical => "practical",
            Part::Array => "array",
            Part::Frame => "frame",
        }
    }
}

/// The parsed options of a benchmark run.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) profile: Profile,
    pub(crate) workers: Vec<usize>,
    pub(crate) repeats: usize,
    pub(crate) out: PathBuf,
    pub(crate) with_dask: bool,
    pub(crate) update_docs: Option<PathBuf>,
    pub(crate) parts: Vec<Part>,
    /// Re-render the report files from this `results.json` instead of measuring.
    pub(crate) render: Option<PathBuf>,
    /// The shapes to run (default: all).
    pub(crate) shapes: Vec<crate::shape::Shape>,
    /// `--taskflow DIR`: a Taskflow checkout to build the C++ side of the cost part against.
    pub(crate) taskflow: Option<PathBuf>,
    /// `--callgrind`: instructions per task of the cost part under callgrind.
    pub(crate) callgrind: bool,
}

pub(crate) const HELP: &str = "\
lazydag-bench: Taskflow's graph shapes on every lazydag scheduler, rayon and Dask side by side.

USAGE: cargo run --release -p lazydag-bench -- [OPTIONS]
       cargo run --release -p lazydag-bench --features frame -- [OPTIONS]

FEATURES:
  frame               the frame part (CSV group-bys with lazydag-frame and Polars' scan_csv)
                      and the column means' lazydag-frame row; off by default, since it builds
                      Polars (about 30 min of CPU in release on 2 cores). Without it the frame
                      part prints that it was skipped.

OPTIONS:
  --workers LIST      worker counts for the parallel schedulers and rayon, e.g. 2 or 2,4,8,16
                      (default: the machine's core count)
  --quick             small sizes, 3 repeats: well under a minute
  --smoke             tiny sizes, one repeat (what the tests run)
  --repeats N         runs per case; figures are medians (default 7, quick 3, smoke 1)
  --out DIR           where results.json, results.md and overhead.svg go (default target/bench)
  --with-dask         also run the shapes in Dask (sync and threads) and the column-means
                      comparison in pandas / joblib / dask and the frame group-bys in pandas
                      and dask.dataframe, in a venv that
                      benches/dask/setup.sh creates under target/
  --update-docs FILE  replace the generated section of FILE (docs/benchmarks.md) with the tables
  --skip LIST         leave out parts: overhead, rss, stream, practical, array, frame (the
                      array part runs dask.array too whenever target/dask-venv exists; the
                      frame part needs the `frame` feature and writes a 2.1 GB CSV under
                      target/ at full size, which it keeps for the next run)
  --shapes LIST       only these shapes: chain, binary-tree, wavefront, independent,
                      random-dag, map-reduce, cpu-bound (default: all)
  --taskflow DIR      per-task cost part: also build the C++ driver (taskflow/driver.cpp) with
                      g++ against the Taskflow checkout DIR and run it in the same run (skipped
                      with a message when g++ or DIR is missing)
  --callgrind         per-task cost part: instructions per task (1 worker, each phase: build,
                      run, drop, plan, plan re-run) under valgrind's callgrind
                      (the cost part runs when either flag is given; results in cost.md)
  --render FILE       measure nothing: rewrite the tables, chart and docs from a saved
                      results.json (after a change to the report's format)
  -h, --help          this text
";

/// Parses `args` (without the program name).
///
/// # Errors
/// A message naming the bad flag or value.
pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let cores = crate::machine::cores();
    let mut profile = Profile::Full;
    let mut workers = vec![cores];
    let mut repeats = None;
    let mut out = crate::paths::workspace_root().join("target/bench");
    let mut with_dask = false;
    let mut update_docs = None;
    let mut render = None;
    let mut skip: Vec<Part> = Vec::new();
    let mut shapes = crate::shape::Shape::ALL.to_vec();
    let mut taskflow = None;
    let mut callgrind = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value =
            |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--quick" => profile = Profile::Quick,
            "--smoke" => profile = Profile::Smoke,
            "--with-dask" => with_dask = true,
            "--callgrind" => callgrind = true,
            "--taskflow" => taskflow = Some(PathBuf::from(value("--taskflow")?)),
            "--workers" => workers = parse_list(&value("--workers")?)?,
            "--repeats" => {
                let v = value("--repeats")?;
                let n: usize = v.parse().map_err(|_| format!("--repeats {v}: not a count"))?;
                if n == 0 {
                    return Err("--repeats must be at least 1".into());
                }
                repeats = Some(n);
            }
            "--out" => out = PathBuf::from(value("--out")?),
            "--render" => render = Some(PathBuf::from(value("--render")?)),
            "--update-docs" => update_docs = Some(PathBuf::from(value("--update-docs")?)),
            "--skip" => {
                for name in value("--skip")?.split(',') {
                    let part = Part::parse(name.trim()).ok_or_else(|| {
                        format!(
                            "--skip {name}: valid parts are overhead, rss, stream, practical, \
                             array, frame"
                        )
                    })?;
                    skip.push(part);
                }
            }
            "--shapes" => {
                shapes = Vec::new();
                for name in value("--shapes")?.split(',') {
                    shapes.push(crate::shape::Shape::parse(name.trim()).ok_or_else(|| {
                        format!(
                            "--shapes {name}: valid shapes are chain, binary-tree, wavefront, \
                             independent, random-dag, map-reduce, cpu-bound"
                        )
                    })?);
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    let repeats = repeats.unwrap_or(match profile {
        Profile::Full => 7,
        Profile::Quick => 3,
        Profile::Smoke => 1,
    });
    let parts = Part::ALL.into_iter().filter(|p| !skip.contains(p)).collect();
    Ok(Options {
        profile,
        workers,
        repeats,
        out,
        with_dask,
        update_docs,
        parts,
        render,
        shapes,
        taskflow,
        callgrind,
    })
}

/// `2,4,8` → `[2, 4, 8]`; each a positive count.
fn parse_list(list: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for item in list.split(',') {
        match item.trim().parse::<usize>() {
            Ok(n) if n > 0 => out.push(n),
            _ => return Err(format!("--workers {list}: expected positive counts like 2,4,8,16")),
        }
    }
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn worker_lists_and_defaults() {
        let o = parse(&args(&["--workers", "2,4,8,16", "--quick"])).unwrap();
        assert_eq!((o.workers, o.profile, o.repeats), (vec![2, 4, 8, 16], Profile::Quick, 3));
        let o = parse(&args(&["--skip", "rss,practical", "--repeats", "5"])).unwrap();
        assert_eq!(o.parts, vec![Part::Overhead, Part::Stream, Part::Array, Part::Frame]);
        assert_eq!(o.repeats, 5);
        let o = parse(&args(&["--shapes", "map-reduce,cpu-bound"])).unwrap();
        assert_eq!(o.shapes, vec![crate::shape::Shape::MapReduce, crate::shape::Shape::CpuBound]);
        assert!(parse(&args(&["--shapes", "ring"])).unwrap_err().contains("valid shapes"));
        let o = parse(&args(&["--taskflow", "/tf", "--callgrind"])).unwrap();
        assert_eq!((o.taskflow, o.callgrind), (Some(PathBuf::from("/tf")), true));
    }

    #[test]
    fn bad_flags_are_errors() {
        assert!(parse(&args(&["--workers", "0"])).unwrap_err().contains("positive"));
        assert!(parse(&args(&["--frobnicate"])).unwrap_err().contains("frobnicate"));
        assert!(parse(&args(&["--skip", "nope"])).unwrap_err().contains("valid parts"));
        assert!(parse(&args(&["--out"])).unwrap_err().contains("needs a value"));
    }
}
