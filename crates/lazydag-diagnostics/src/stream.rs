//! The SVG task stream: one row per worker, one rectangle per task, time left to right.
//!
//! Self-contained (no script, no external style): every rectangle carries a `<title>` with the
//! task's key, worker and duration, which browsers show on hover. Colours come from the task
//! name (a palette in sorted name order), so all `inc` tasks share one; a legend lists them. Text is XML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::colour;
use crate::profiler::TaskRecord;
use crate::trace::tracks;

const WIDTH: f64 = 1200.0;
const LABEL: f64 = 110.0;
const ROW: f64 = 26.0;
const TOP: f64 = 30.0;

/// The records as an SVG document.
pub(crate) fn svg(records: &[TaskRecord]) -> String {
    let tracks = tracks(records);
    let t0 = records.iter().map(|r| r.start).min().unwrap_or_default();
    let t1 = records.iter().map(|r| r.end).max().unwrap_or_default();
    let span = (t1 - t0).as_secs_f64().max(1e-9);
    let plot = WIDTH - LABEL - 10.0;
    let x = |t: Duration| LABEL + (t.saturating_sub(t0)).as_secs_f64() / span * plot;
    let mut names: BTreeMap<&str, String> =
        records.iter().map(|r| (r.key.name(), String::new())).collect();
    for (n, (name, fill)) in names.iter_mut().enumerate() {
        *fill = colour::nth_name(n, name);
    }
    let rows_h = TOP + ROW * tracks.len() as f64;
    let legend_h = 20.0 * names.len().div_ceil(6) as f64;
    let height = rows_h + 30.0 + legend_h + 10.0;

    let mut out = String::with_capacity(512 + records.len() * 160);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"Helvetica, Arial, sans-serif\" \
         font-size=\"12\">"
    );
    let _ = writeln!(
        out,
        "<title>lazydag task stream: {} tasks on {} workers in {}</title>",
        records.len(),
        tracks.len(),
        human(t1 - t0)
    );
    out.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    // Worker rows.
    for (worker, row) in &tracks {
        let y = TOP + ROW * *row as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{LABEL}\" y=\"{y}\" width=\"{plot}\" height=\"{ROW}\" fill=\"{}\"/>\
             <text x=\"4\" y=\"{:.1}\">{}</text>",
            if row % 2 == 0 { "#f4f4f4" } else { "#ffffff" },
            y + ROW * 0.65,
            escape(&worker.to_string())
        );
    }
    // Time axis: five ticks.
    for k in 0..=4_u32 {
        let t = t0 + (t1 - t0) * k / 4;
        let tx = x(t);
        let _ = writeln!(
            out,
            "<line x1=\"{tx:.1}\" y1=\"{}\" x2=\"{tx:.1}\" y2=\"{rows_h}\" stroke=\"#cccccc\"/>\
             <text x=\"{tx:.1}\" y=\"{}\" text-anchor=\"{}\">{}</text>",
            TOP - 4.0,
            TOP - 8.0,
            match k {
                0 => "start",
                4 => "end",
                _ => "middle",
            },
            human(t - t0)
        );
    }
    // Tasks.
    out.push_str("<g stroke=\"none\">\n");
    for r in records {
        let y = TOP + ROW * tracks[&r.worker] as f64 + 2.0;
        let (x0, x1) = (x(r.start), x(r.end));
        let _ = writeln!(
            out,
            "<rect x=\"{x0:.2}\" y=\"{y}\" width=\"{:.2}\" height=\"{}\" fill=\"{}\">\
             <title>{} on {}: {}</title></rect>",
            (x1 - x0).max(0.5),
            ROW - 4.0,
            names[r.key.name()],
            escape(&r.key.to_string()),
            r.worker,
            human(r.duration())
        );
    }
    out.push_str("</g>\n");
    // Legend.
    for (n, (name, fill)) in names.iter().enumerate() {
        let lx = LABEL + (n % 6) as f64 * 175.0;
        let ly = rows_h + 30.0 + 20.0 * (n / 6) as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{lx}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{ly}\">{}</text>",
            ly - 10.0,
            lx + 16.0,
            escape(name)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A duration for people: `850 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`.
pub(crate) fn human(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Escapes text for XML content and attributes. A character XML 1.0 does not allow at all
/// (a control character other than tab, newline and carriage return, U+FFFE, U+FFFF: an ANSI
/// colour code in a task name) becomes U+FFFD, so the file stays XML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push(char::REPLACEMENT_CHARACTER);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn escapes_and_humanizes() {
        assert_eq!(super::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(super::human(Duration::from_micros(1500)), "1.50 ms");
        assert_eq!(super::human(Duration::from_nanos(12)), "12 ns");
    }

    #[test]
    fn empty_stream_is_valid() {
        assert!(super::svg(&[]).contains("0 tasks on 0 workers"));
    }
}
