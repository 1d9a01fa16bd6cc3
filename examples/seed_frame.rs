//! The seed's dataframe examples on `lazydag::frame`, and the group-by checkable from outside.
//!
//! ```sh
//! cargo run --release --example seed_frame -- --csv PATH --out OUT.csv
//! cargo run --release --example seed_frame            # generates a CSV first
//! ```
//!
//! Reads PATH (a header, an integer `user_id` column and float columns; generated when `--csv`
//! is absent), computes `groupby("user_id").agg(mean, min, max, count)` of every float column,
//! writes it sorted by `user_id` to OUT.csv (columns `<col>_mean`, `<col>_min`, `<col>_max`,
//! `<col>_count`), and prints the time and peak RSS on its last line. Options: `--blocksize`
//! (default 64MB), `--workers` (default: every core), `--rows`/`--users` for the generated
//! file, `--means ROWS` for the seed's column-means comparison (10M rows x 10 columns by default
//! when no `--csv` is given), `--compare-polars N` to time the same group-by (and
//! `groupby().mean()`) N times each with lazydag and with Polars' own lazy `scan_csv` in this
//! binary, printing medians.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use lazydag::frame as dd;
use lazydag::frame::PolarsFrameExt;
use lazydag::frame::polars::prelude::*;
use lazydag::scheduler::WorkStealing;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    csv: Option<PathBuf>,
    out: PathBuf,
    blocksize: String,
    workers: usize,
    rows: u64,
    users: u64,
    means: usize,
    compare: usize,
}

fn args() -> Res<Args> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut a = Args {
        csv: None,
        out: PathBuf::from("seed_frame_out.csv"),
        blocksize: "64MB".into(),
        workers: cores,
        rows: 2_000_000,
        users: 100_000,
        means: usize::MAX,
        compare: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--csv" => a.csv = Some(PathBuf::from(value()?)),
            "--out" => a.out = PathBuf::from(value()?),
            "--blocksize" => a.blocksize = value()?,
            "--workers" => a.workers = value()?.parse()?,
            "--rows" => a.rows = value()?.parse()?,
            "--users" => a.users = value()?.parse()?,
            "--means" => a.means = value()?.parse()?,
            "--compare-polars" => a.compare = value()?.parse()?,
            other => {
                return Err(format!("unknown option {other}; see the example's doc comment").into());
            }
        }
    }
    if a.means == usize::MAX {
        a.means = if a.csv.is_none() { 10_000_000 } else { 0 };
    }
    Ok(a)
}

/// A CSV like the issue's: an int64 key, a timestamp and float columns.
fn generate(path: &Path, rows: u64, users: u64) -> Res<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "user_id,timestamp,value,f1,f2,f3,f4,f5,f6,f7")?;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..rows {
        let user = next() % users.max(1);
        let (h, m, s) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
        write!(w, "{user},2024-01-{:02} {h:02}:{m:02}:{s:02}", 1 + (i / 86_400) % 28)?;
        for _ in 0..8 {
            write!(w, ",{:.4}", (next() % 1_000_000) as f64 / 1000.0)?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    Ok(())
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn column_means(rows: usize, workers: usize) -> Res<()> {
    // The seed's practical comparison: the mean of each column of a rows x 10 f64 table.
    let cols: Arc<Vec<Vec<f64>>> = Arc::new(
        (0..10).map(|c| (0..rows).map(|i| ((i * 31 + c * 17) % 1000) as f64).collect()).collect(),
    );
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let t = Instant::now();
    let seq: Vec<f64> = cols.iter().map(|c| mean(c)).collect();
    let t_seq = t.elapsed();
    let shared = cols.clone();
    let t = Instant::now();
    let par = lazydag_parallel::Parallel::new()
        .n_jobs(workers as isize)
        .map(0..10usize, move |c| mean(&shared[c]))?;
    let t_par = t.elapsed();
    let df = DataFrame::new(
        rows,
        cols.iter().enumerate().map(|(c, v)| Column::new(format!("c{c}").into(), v)).collect(),
    )?;
    let t = Instant::now();
    let lazy = dd::from_polars(df, 4)?.mean().compute()?;
    let t_frame = t.elapsed();
    for (c, want) in seq.iter().enumerate() {
        let got = lazy.column(&format!("c{c}"))?.f64()?.get(0).unwrap_or(f64::NAN);
        assert!((got - want).abs() < 1e-6 && (par[c] - want).abs() < 1e-9);
    }
    println!(
        "column means ({rows} x 10): sequential {t_seq:.2?}, Parallel {t_par:.2?}, \
         dd::from_polars(df, 4).mean() {t_frame:.2?}"
    );
    Ok(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The same group-bys with lazydag and with Polars' `scan_csv`, medians of `runs` runs each.
fn compare_polars(
    df: &dd::DataFrame,
    csv: &Path,
    floats: &[String],
    runs: usize,
    s: &WorkStealing,
) -> Res<()> {
    let aggs = || -> Vec<Expr> {
        floats
            .iter()
            .flat_map(|c| {
                [
                    col(c.as_str()).mean(),
                    col(c.as_str()).min(),
                    col(c.as_str()).max(),
                    col(c.as_str()).count(),
                ]
            })
            .collect()
    };
    let scan = || {
        LazyCsvReader::new(PlRefPath::new(csv.to_string_lossy().as_ref()))
            .with_has_header(true)
            .finish()
    };
    let time = |f: &dyn Fn() -> Res<usize>| -> Res<(f64, usize)> {
        let mut ts = Vec::new();
        let mut n = 0;
        for _ in 0..runs {
            let t = Instant::now();
            n = f()?;
            ts.push(t.elapsed().as_secs_f64());
        }
        Ok((median(ts), n))
    };
    let (ld_mean, g1) = time(&|| Ok(df.groupby(["user_id"]).mean().compute_with(s)?.height()))?;
    let (pl_mean, g2) = time(&|| {
        Ok(scan()?
            .group_by([col("user_id")])
            .agg(floats.iter().map(|c| col(c.as_str()).mean()).collect::<Vec<_>>())
            .collect()?
            .height())
    })?;
    let (ld_agg, g3) = time(&|| Ok(df.groupby(["user_id"]).agg(aggs()).compute_with(s)?.height()))?;
    // Polars names every aggregation of `v` "v": alias them as lazydag names them.
    let named = || -> Vec<Expr> {
        floats
            .iter()
            .flat_map(|c| {
                let c = c.as_str();
                [
                    col(c).mean().alias(format!("{c}_mean")),
                    col(c).min().alias(format!("{c}_min")),
                    col(c).max().alias(format!("{c}_max")),
                    col(c).count().alias(format!("{c}_count")),
                ]
            })
            .collect()
    };
    let (pl_agg, g4) =
        time(&|| Ok(scan()?.group_by([col("user_id")]).agg(named()).collect()?.height()))?;
    assert!(g1 == g2 && g3 == g4, "group counts differ: {g1} {g2} {g3} {g4}");
    println!(
        "median of {runs}: groupby.mean lazydag {ld_mean:.3} s, polars scan_csv {pl_mean:.3} s (ratio {:.2})",
        ld_mean / pl_mean
    );
    println!(
        "median of {runs}: groupby.agg(mean,min,max,count) lazydag {ld_agg:.3} s, polars scan_csv {pl_agg:.3} s (ratio {:.2})",
        ld_agg / pl_agg
    );
    Ok(())
}

fn main() -> Res<()> {
    let a = args()?;
    let start = Instant::now();
    let csv = match &a.csv {
        Some(p) => p.clone(),
        None => {
            let p = std::env::temp_dir().join("lazydag_seed_frame.csv");
            if !p.exists() {
                let t = Instant::now();
                generate(&p, a.rows, a.users)?;
                println!("generated {} ({} rows) in {:.2?}", p.display(), a.rows, t.elapsed());
            }
            p
        }
    };
    let scheduler = WorkStealing::new(a.workers);

    // The seed, as written: open lazily, look at the partitions.
    let df = dd::read_csv(&csv)
        .blocksize(a.blocksize.as_str())
        .dtypes([("user_id", DataType::Int64)])
        .open()?;
    println!("{}: {} partitions, columns {:?}", csv.display(), df.npartitions(), df.columns()?);
    for (i, batch) in df.partitions().iter().take(2).enumerate() {
        let processed = batch.compute_with(&scheduler)?;
        println!("Processed {} rows (partition {i})", processed.height());
    }

    // groupby("user_id").agg(mean, min, max, count) of every float column.
    let floats: Vec<String> =
        df.dtypes()?.into_iter().filter(|(_, d)| d.is_float()).map(|(n, _)| n).collect();
    let aggs: Vec<Expr> = floats
        .iter()
        .flat_map(|c| {
            [
                col(c.as_str()).mean(),
                col(c.as_str()).min(),
                col(c.as_str()).max(),
                col(c.as_str()).count(),
            ]
        })
        .collect();
    let t = Instant::now();
    let mut user_stats = df.groupby(["user_id"]).agg(aggs).compute_with(&scheduler)?;
    let t_groupby = t.elapsed();
    println!(
        "groupby(user_id).agg(mean, min, max, count) of {floats:?}: {} groups in {t_groupby:.2?}",
        user_stats.height()
    );
    if floats.iter().any(|c| c == "value") {
        let top = user_stats.nlargest(10, "value_count")?;
        println!(
            "top users by value_count:\n{}",
            top.select(["user_id", "value_mean", "value_count"])?
        );
    }
    let mut file = std::fs::File::create(&a.out)?;
    CsvWriter::new(&mut file).include_header(true).finish(&mut user_stats)?;
    println!("wrote {}", a.out.display());

    if a.compare > 0 {
        compare_polars(&df, &csv, &floats, a.compare, &scheduler)?;
    }
    if a.means > 0 {
        column_means(a.means, a.workers)?;
    }
    println!(
        "time {:.3} s, peak RSS {:.1} MiB (groupby {:.3} s)",
        start.elapsed().as_secs_f64(),
        peak_rss_mib(),
        t_groupby.as_secs_f64()
    );
    Ok(())
}
