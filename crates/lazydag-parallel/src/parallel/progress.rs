//! Joblib's `verbose`: a map's progress in *items* (not lanes or batches), reported as the
//! batches finish.
//!
//! On a terminal, a bar (indicatif) counts the items. Elsewhere (a CI log, `| tee`, a file)
//! the map writes joblib's lines to stderr:
//! `[Parallel(n_jobs=2)]: Done  250 out of 1000 | elapsed:    0.3s remaining:    0.9s`.
//!
//! Invariants: the lines are rate-limited by *count*, never by the clock, so what is printed
//! for a given sequence of batches is fixed: with a known total, a line each time the count
//! crosses the next of about `10 × verbose` even steps (every batch from `verbose(10)` on);
//! with an unknown total (a stream), at powers of two. The last line says the map is over
//! ([`Progress::finish`], once). Counting costs one atomic add per batch, and a lock only
//! when a line is due.

use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::batch::{Apply, Filled, Outcome, Output, Stop};
use super::input::lock;

/// Where the lines go and what time it is: stderr and the real clock, or a test's.
pub(crate) struct Sink {
    pub(crate) out: Box<dyn Write + Send>,
    pub(crate) clock: Box<dyn Fn() -> Duration + Send>,
}

impl Sink {
    /// Stderr and the time since now.
    fn stderr() -> Sink {
        let start = Instant::now();
        Sink { out: Box::new(std::io::stderr()), clock: Box::new(move || start.elapsed()) }
    }
}

/// One map's progress.
pub(crate) struct Progress {
    jobs: usize,
    total: Option<u64>,
    /// Items finished (run or failed).
    done: AtomicU64,
    /// The count at which the next line is due.
    next: AtomicU64,
    step: u64,
    finished: AtomicBool,
    /// `None` when a bar draws instead.
    sink: Mutex<Option<Sink>>,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Progress for a map of `total` items (if known) on `jobs` jobs at level `verbose`
    /// (at least 1): a bar on a terminal, lines on stderr otherwise.
    pub(crate) fn new(verbose: u32, jobs: usize, total: Option<u64>) -> Arc<Progress> {
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::with_draw_target(
                total,
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "[Parallel(n_jobs={msg})] [{bar:40.cyan/blue}] {pos}/{len} items  {per_sec}  ETA {eta}",
            ) {
                bar.set_style(style.progress_chars("#>-"));
            }
            bar.set_message(jobs.to_string());
            let mut progress = Progress::with_sink(verbose, jobs, total, None);
            progress.bar = Some(bar);
            return Arc::new(progress);
        }
        Arc::new(Progress::with_sink(verbose, jobs, total, Some(Sink::stderr())))
    }

    /// Lines to `sink` (tests give their own writer and clock).
    pub(crate) fn with_sink(
        verbose: u32,
        jobs: usize,
        total: Option<u64>,
        sink: Option<Sink>,
    ) -> Progress {
        let lines = 10 * u64::from(verbose.max(1));
        let step = match total {
            _ if verbose >= 10 => 1,
            Some(total) => total.div_ceil(lines).max(1),
            None => 0, // powers of two
        };
        Progress {
            jobs,
            total,
            done: AtomicU64::new(0),
            next: AtomicU64::new(step.max(1)),
            step,
            finished: AtomicBool::new(false),
            sink: Mutex::new(sink),
            bar: None,
        }
    }

    /// Counts `n` more items finished, and writes a line if one is due.
    pub(crate) fn advance(&self, n: u64) {
        if n == 0 {
            return;
        }
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            return;
        }
        if done < self.next.load(Ordering::Relaxed) {
            return;
        }
        let mut sink = lock(&self.sink);
        let next = self.next.load(Ordering::Relaxed);
        if done < next || self.total == Some(done) {
            return; // another batch printed it, or the final line will
        }
        let mut due = next;
        while due <= done {
            due = if self.step == 0 { due * 2 } else { due + self.step };
        }
        self.next.store(due, Ordering::Relaxed);
        if let Some(sink) = sink.as_mut() {
            self.line(sink, done, false);
        }
    }

    /// Writes the last line (once): the map is over, with however many items it finished.
    pub(crate) fn finish(&self) {
        if self.finished.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(bar) = &self.bar {
            bar.finish();
            return;
        }
        let done = self.done.load(Ordering::Relaxed);
        if let Some(sink) = lock(&self.sink).as_mut() {
            self.line(sink, done, true);
        }
    }

    fn line(&self, sink: &mut Sink, done: u64, last: bool) {
        let elapsed = (sink.clock)().as_secs_f64();
        let head = format!("[Parallel(n_jobs={})]: Done {done:>4}", self.jobs);
        let text = match self.total {
            Some(total) if last && done < total => {
                format!("{head} out of {total:>4} | elapsed: {elapsed:>6.1}s stopped")
            }
            Some(total) if last || done >= total => {
                format!("{head} out of {total:>4} | elapsed: {elapsed:>6.1}s finished")
            }
            Some(total) => {
                let left = elapsed / done as f64 * (total - done) as f64;
                format!(
                    "{head} out of {total:>4} | elapsed: {elapsed:>6.1}s remaining: {left:>6.1}s"
                )
            }
            None if last => format!("{head} items | elapsed: {elapsed:>6.1}s finished"),
            None => format!("{head} items | elapsed: {elapsed:>6.1}s"),
        };
        // Progress is best effort: a closed stderr must not fail the map.
        let _ = writeln!(sink.out, "{text}");
        let _ = sink.out.flush();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A map's function, counting the items of each batch it runs into `progress` (`verbose`)
/// and, when `report`, into the lanes' compute's callbacks
/// ([`lazydag_core::callback::advance`]: a progress bar counts items).
pub(crate) struct Counted<G> {
    pub(crate) g: G,
    pub(crate) progress: Option<Arc<Progress>>,
    /// Whether the map runs as a compute of lanes, which declared its items as units.
    pub(crate) report: bool,
}

impl<G> Counted<G> {
    fn count(&self, items: u64) {
        if let Some(progress) = &self.progress {
            progress.advance(items);
        }
        if self.report {
            lazydag_core::callback::advance(items);
        }
    }
}

impl<T, R, G: Apply<T, R>> Apply<T, R> for Counted<G> {
    fn batch(
        &self,
        items: Vec<T>,
        base: usize,
        stop: &Stop,
        stop_on_error: bool,
        chunk: usize,
    ) -> Outcome<R> {
        let outcome = self.g.batch(items, base, stop, stop_on_error, chunk);
        self.count((outcome.values.len() + outcome.errors.len()) as u64);
        outcome
    }

    fn fill<M: Output<R>>(
        &self,
        items: &mut impl Iterator<Item = T>,
        n: usize,
        base: usize,
        stop: &Stop,
        chunk: usize,
        out: &mut Vec<M::Slot>,
    ) -> Filled {
        let filled = self.g.fill::<M>(items, n, base, stop, chunk, out);
        self.count(filled.ran as u64);
        filled
    }
}

/// How long a test's fake clock says each line took.
#[cfg(test)]
const TICK: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Lines for `batches` at `verbose`, with a clock that advances one tick per line.
    fn lines(verbose: u32, total: Option<u64>, batches: &[u64]) -> Vec<String> {
        let out = Shared::default();
        let ticks = AtomicU64::new(0);
        let clock = move || TICK * (ticks.fetch_add(1, Ordering::Relaxed) as u32 + 1);
        let sink = Sink { out: Box::new(out.clone()), clock: Box::new(clock) };
        let progress = Progress::with_sink(verbose, 2, total, Some(sink));
        for &n in batches {
            progress.advance(n);
        }
        drop(progress);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn known_totals_print_at_even_steps_and_once_at_the_end() {
        // verbose(1): steps of 10 items of 100; batches of 25 cross a step each time.
        assert_eq!(
            lines(1, Some(100), &[25, 25, 25, 25]),
            [
                "[Parallel(n_jobs=2)]: Done   25 out of  100 | elapsed:    0.1s remaining:    0.3s",
                "[Parallel(n_jobs=2)]: Done   50 out of  100 | elapsed:    0.2s remaining:    0.2s",
                "[Parallel(n_jobs=2)]: Done   75 out of  100 | elapsed:    0.3s remaining:    0.1s",
                "[Parallel(n_jobs=2)]: Done  100 out of  100 | elapsed:    0.4s finished",
            ]
        );
        // Small batches are rate-limited: 1000 batches of one item, about 10 lines.
        let many = lines(1, Some(1000), &[1; 1000]);
        assert_eq!(many.len(), 10, "{many:#?}");
        assert!(many[0].contains("Done  100 out of 1000"), "{}", many[0]);
        assert!(many[9].ends_with("finished"));
        // verbose(10): every batch.
        assert_eq!(lines(10, Some(1000), &[1; 50]).len(), 51);
    }

    #[test]
    fn unknown_totals_print_at_powers_of_two() {
        let streamed = lines(1, None, &[1; 9]);
        let counts: Vec<_> = streamed
            .iter()
            .map(|line| line.split_whitespace().nth(2).unwrap().to_owned())
            .collect();
        assert_eq!(counts, ["1", "2", "4", "8", "9"]);
        assert!(streamed[4].ends_with("| elapsed:    0.5s finished"), "{}", streamed[4]);
    }
}
