//! The chart of `docs/benchmarks.md`: per-task overhead by shape and runner, as a hand-written
//! SVG (horizontal bars on a log scale: rayon and Dask are four orders of magnitude apart).
//!
//! Invariant: the chart draws only figures of the report it is given, for the largest worker
//! count and one size per shape (the largest that Dask also ran, when it ran, so every bar of
//! a group shares a size); a missing figure leaves its bar out.

use std::fmt::Write as _;

use crate::report::{Report, us};
use crate::runner::{Row, Runner};
use crate::shape::Shape;

/// One bar series: its legend label and colour.
struct Series {
    label: &'static str,
    colour: &'static str,
}

const SERIES: [Series; 7] = [
    Series { label: "lazydag sync", colour: "#9e9e9e" },
    Series { label: "lazydag threads", colour: "#64b5f6" },
    Series { label: "lazydag work-stealing", colour: "#1565c0" },
    Series { label: "lazydag async", colour: "#b39ddb" },
    Series { label: "rayon (hand-written)", colour: "#2e7d32" },
    Series { label: "Dask sync", colour: "#ffb74d" },
    Series { label: "Dask threads", colour: "#e65100" },
];

const LEFT: f64 = 190.0;
const PLOT: f64 = 560.0;
const BAR: f64 = 11.0;
const GAP: f64 = 2.0;

/// The SVG for `report`'s largest worker count (empty when nothing was timed).
pub(crate) fn svg(report: &Report) -> String {
    let Some(&w) = report.workers.iter().max() else { return String::new() };
    let mut groups: Vec<(String, Vec<Option<f64>>)> = Vec::new();
    for shape in Shape::ALL.into_iter().filter(|s| *s != Shape::CpuBound) {
        let rows: Vec<&Row> = report.rows.iter().filter(|r| r.shape == shape).collect();
        let with_dask = rows
            .iter()
            .filter(|r| report.dask.is_some() && shape.dask_runs(r.size))
            .max_by_key(|r| r.size);
        let Some(row) = with_dask.or_else(|| rows.iter().max_by_key(|r| r.size)) else { continue };
        let per =
            |runner: Runner| row.run(runner, w).map(|r| r.time.median_s / row.tasks as f64 * 1e6);
        let dask = |scheduler: &str| {
            report
                .dask
                .as_ref()
                .and_then(|d| d.rows.iter().find(|r| r.shape == shape && r.size == row.size))
                .and_then(|r| r.run(scheduler, w))
                .map(|r| r.time.median_s / row.tasks as f64 * 1e6)
        };
        let values = vec![
            per(Runner::Sequential),
            per(Runner::Threads),
            per(Runner::WorkStealing),
            per(Runner::Async),
            per(Runner::Rayon),
            dask("sync"),
            dask("threads"),
        ];
        groups.push((format!("{} ({} tasks)", shape.name(), row.tasks), values));
    }
    let all: Vec<f64> =
        groups.iter().flat_map(|g| g.1.iter().flatten().copied()).filter(|v| *v > 0.0).collect();
    if all.is_empty() {
        return String::new();
    }
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min).log10().floor();
    let hi = all.iter().copied().fold(0.0, f64::max).log10().ceil().max(lo + 1.0);
    let x = |v: f64| LEFT + (v.log10() - lo) / (hi - lo) * PLOT;

    let legend_h = 20.0 * SERIES.len().div_ceil(4) as f64;
    let top = 40.0 + legend_h;
    let group_h = |n: usize| 18.0 + n as f64 * (BAR + GAP) + 10.0;
    let height =
        top + groups.iter().map(|g| group_h(g.1.iter().flatten().count())).sum::<f64>() + 45.0;
    let width = LEFT + PLOT + 70.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="18" font-size="14" font-weight="bold">Per-task overhead, µs per task (log scale), {w} workers, {} cores</text>"#,
        report.machine.cores
    );
    for (k, series) in SERIES.iter().enumerate() {
        let (lx, ly) = (10.0 + (k % 4) as f64 * 185.0, 30.0 + (k / 4) as f64 * 20.0);
        let _ = writeln!(
            s,
            r#"<rect x="{lx}" y="{ly}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            series.colour,
            lx + 16.0,
            ly + 10.0,
            series.label
        );
    }
    let bottom = height - 40.0;
    for decade in lo as i32..=hi as i32 {
        let v = 10f64.powi(decade);
        let gx = x(v);
        let _ = writeln!(
            s,
            r##"<line x1="{gx:.1}" y1="{top}" x2="{gx:.1}" y2="{bottom}" stroke="#ddd"/><text x="{gx:.1}" y="{}" text-anchor="middle">{}</text>"##,
            bottom + 14.0,
            if decade < 0 { format!("{v:.*}", (-decade) as usize) } else { format!("{v:.0}") }
        );
    }
    let mut y = top;
    for (label, values) in &groups {
        let _ = writeln!(s, r#"<text x="10" y="{}" font-weight="bold">{label}</text>"#, y + 12.0);
        y += 18.0;
        for (series, value) in SERIES.iter().zip(values) {
            let Some(v) = value else { continue };
            let end = x(*v).max(LEFT + 1.0);
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" text-anchor="end" fill="#555">{}</text><rect x="{LEFT}" y="{y:.1}" width="{:.1}" height="{BAR}" fill="{}"/><text x="{:.1}" y="{}">{}</text>"##,
                LEFT - 6.0,
                y + 9.0,
                series.label,
                end - LEFT,
                series.colour,
                end + 4.0,
                y + 9.0,
                us(*v)
            );
            y += BAR + GAP;
        }
        y += 10.0;
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">µs per task</text>"#,
        LEFT + PLOT / 2.0,
        bottom + 28.0
    );
    let _ = writeln!(s, "</svg>");
    s
}
