//! [`ProgressBar`]: an `indicatif` bar as a [`Callback`].
//!
//! Invariants: the bar follows one compute at a time, the first one that starts while it is
//! idle (its number is kept in an atomic, so `posttask` of other computes costs one load and
//! does nothing). It is created hidden; a helper thread shows it once the compute has lasted
//! `minimum`, unless `finish` came first: both decide under one mutex, so a fast compute never
//! draws. indicatif's stderr target draws nothing when stderr is not a terminal, and this
//! crate checks that too, so a piped or redirected stderr gets no escape codes: there (or with
//! [`ProgressBar::lines_to`]) the bar writes plain lines instead, like Dask's bar in a log,
//! `[lazydag] 1024/2047 tasks (50%) | 12.3k tasks/s | ETA 0s`, one each time the count
//! passes another tenth of the compute's tasks (rate-limited by count, not by the clock), and
//! a last line with the summary. A line is decided and written under the writer's lock, so
//! lines come out in count order.
//!
//! A compute that declares units ([`PlanSummary::units`]: a `Parallel` map's items) is
//! counted in those, from [`Callback::progress`], not in tasks. A second slot follows one
//! compute started inside a task of the followed one ([`Callback::nested`] is `true`): its
//! bar draws below the outer one through a shared `MultiProgress` and is cleared when it
//! ends; its plain-text lines start `[lazydag] (nested) `.

use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressDrawTarget, ProgressState, ProgressStyle};
use lazydag_core::sync::std_locks::{lock, read, wait_timeout_while, write};
use lazydag_core::{Callback, Outcome, PlanSummary, TaskEvent, Worker};

const IDLE: u64 = u64::MAX;

/// A progress bar on stderr for computes: finished/total tasks, rate and ETA, like
/// `dask.diagnostics.ProgressBar`. Shown only once a compute has lasted
/// [`minimum`](ProgressBar::minimum) (1 s by default). When stderr is not a terminal (a CI
/// log, `| tee`), it writes plain-text lines instead (`[lazydag] 512/2047 tasks (25%) | …`,
/// at each tenth of the tasks, and the summary at the end). A `Parallel` map is counted in
/// items; a compute started inside a task gets a nested bar (`[lazydag] (nested) …` in
/// plain text) until it ends. After a compute, [`summary`](ProgressBar::summary) gives a
/// plain-text line.
///
/// Use it as a [`Callback`]: for one compute with
/// [`Control::callback`](lazydag_core::Control::callback), or for every compute on this thread:
///
/// ```
/// use std::sync::Arc;
/// use lazydag::{callback, delayed};
/// use lazydag_diagnostics::ProgressBar;
/// fn inc(x: u64) -> u64 { x + 1 }
/// let bar = Arc::new(ProgressBar::new());
/// let _guard = callback::register(bar.clone());
/// let tasks: Vec<_> = (0..100).map(|i| delayed!(inc(i))).collect();
/// assert_eq!(lazydag_core::compute_all(&tasks).unwrap().len(), 100);
/// assert!(bar.summary().unwrap().starts_with("100/100 tasks"));
/// ```
pub struct ProgressBar {
    minimum: Duration,
    /// The compute followed (`[0]`) and one compute started inside its tasks (`[1]`).
    slots: [Slot; 2],
    /// Draws both slots' bars on a terminal: a nested bar appears below the outer one.
    multi: indicatif::MultiProgress,
    /// Where plain-text lines go.
    out: Arc<Out>,
    /// The last finished outer compute, as plain text.
    summary: Mutex<Option<String>>,
}

/// One compute followed: its bar, its line schedule, and the thread that shows it.
struct Slot {
    /// `"[lazydag] "` or `"[lazydag] (nested) "`.
    prefix: &'static str,
    compute: AtomicU64,
    /// Whether the compute counts declared units (a `Parallel` map's items), not tasks.
    units: AtomicBool,
    /// The bar of the compute followed; read-locked by `posttask` on every worker at once.
    bar: RwLock<Option<indicatif::ProgressBar>>,
    shower: Mutex<Option<JoinHandle<()>>>,
    wake: Arc<(Mutex<bool>, Condvar)>,
    /// The plain-text lines of the compute followed, once they are on (not a terminal).
    lines: Arc<Lines>,
}

/// Plain-text progress of one slot: whether it is on, and when the next line is due.
struct Lines {
    on: AtomicBool,
    /// The count at which the next line is due.
    next: AtomicU64,
    step: AtomicU64,
}

/// Where plain-text lines go.
struct Out {
    /// The writer given by [`ProgressBar::lines_to`]; stderr if `None`.
    out: Mutex<Option<Box<dyn Write + Send>>>,
    /// Whether a writer was given (then lines are written whatever stderr is).
    given: bool,
}

impl Out {
    fn write(&self, text: &str) {
        Out::write_to(&mut lock(&self.out), text);
    }

    fn write_to(out: &mut Option<Box<dyn Write + Send>>, text: &str) {
        // Best effort: progress must never fail a compute.
        let _ = match out.as_mut() {
            Some(out) => writeln!(out, "{text}").and_then(|()| out.flush()),
            None => writeln!(std::io::stderr(), "{text}"),
        };
    }
}

impl Slot {
    fn new(prefix: &'static str) -> Slot {
        Slot {
            prefix,
            compute: AtomicU64::new(IDLE),
            units: AtomicBool::new(false),
            bar: RwLock::new(None),
            shower: Mutex::new(None),
            wake: Arc::new((Mutex::new(false), Condvar::new())),
            lines: Arc::new(Lines {
                on: AtomicBool::new(false),
                next: AtomicU64::new(u64::MAX),
                step: AtomicU64::new(1),
            }),
        }
    }

    fn unit(&self) -> &'static str {
        if self.units.load(Ordering::Relaxed) { "items" } else { "tasks" }
    }

    /// Counts `n` more tasks or units, and writes a line if one is due. The line is decided
    /// and written under the writer's lock, so lines come out in count order even when
    /// workers cross steps at once.
    fn advance(&self, n: u64, out: &Out) {
        if let Some(bar) = read(&self.bar).as_ref() {
            bar.inc(n);
            let lines = &*self.lines;
            if lines.on.load(Ordering::Acquire)
                && bar.position() >= lines.next.load(Ordering::Relaxed)
            {
                let mut writer = lock(&out.out);
                let done = bar.position();
                let total = bar.length().unwrap_or(0);
                let step = lines.step.load(Ordering::Relaxed);
                if done >= lines.next.load(Ordering::Relaxed) && done < total {
                    lines.next.store((done / step + 1) * step, Ordering::Relaxed);
                    let unit = self.unit();
                    let line = format!(
                        "{}{done}/{total} {unit} ({}%) | {} | ETA {:.0?}",
                        self.prefix,
                        done * 100 / total.max(1),
                        rate_text(bar.per_sec(), unit),
                        bar.eta()
                    );
                    Out::write_to(&mut writer, &line);
                }
            }
        }
    }
}

impl Default for ProgressBar {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ProgressBar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressBar").field("minimum", &self.minimum).finish()
    }
}

impl ProgressBar {
    /// A bar shown after 1 s.
    pub fn new() -> Self {
        ProgressBar {
            minimum: Duration::from_secs(1),
            slots: [Slot::new("[lazydag] "), Slot::new("[lazydag] (nested) ")],
            multi: indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            out: Arc::new(Out { out: Mutex::new(None), given: false }),
            summary: Mutex::new(None),
        }
    }

    /// Writes plain-text progress lines to `out` (a log file, a test's buffer) instead of
    /// drawing a bar, whether or not stderr is a terminal.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use lazydag::{Control, compute_with_control, delayed, scheduler::Sequential};
    /// use lazydag_diagnostics::ProgressBar;
    ///
    /// #[derive(Clone, Default)]
    /// struct Log(Arc<Mutex<Vec<u8>>>);
    /// impl std::io::Write for Log {
    ///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
    ///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
    /// }
    /// let log = Log::default();
    /// let bar = Arc::new(ProgressBar::new().minimum(Duration::ZERO).lines_to(log.clone()));
    /// fn inc(x: u64) -> u64 { x + 1 }
    /// let tasks: Vec<_> = (0..100).map(|i| delayed!(inc(i))).collect();
    /// compute_with_control(&tasks, &Sequential, &Control::new().callback(bar)).unwrap();
    /// let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    /// assert_eq!(text.lines().count(), 10); // at 10, 20, …, 90 tasks, then the summary
    /// assert!(text.starts_with("[lazydag] 10/100 tasks (10%)"));
    /// assert!(text.lines().last().unwrap().starts_with("[lazydag] 100/100 tasks in"));
    /// ```
    #[must_use]
    pub fn lines_to(mut self, out: impl Write + Send + 'static) -> Self {
        self.out = Arc::new(Out { out: Mutex::new(Some(Box::new(out))), given: true });
        self
    }

    /// Shows the bar only for computes that last longer than `minimum` (Dask's `minimum`).
    #[must_use]
    pub fn minimum(mut self, minimum: Duration) -> Self {
        self.minimum = minimum;
        self
    }

    /// Whether the bar is drawn right now (false when stderr is not a terminal, before
    /// `minimum` has passed, and between computes).
    pub fn is_visible(&self) -> bool {
        self.slots.iter().any(|slot| read(&slot.bar).as_ref().is_some_and(|bar| !bar.is_hidden()))
    }

    /// The last finished compute (not a nested one) as plain text:
    /// `"3071/3071 tasks in 0.52 s (5.9k tasks/s)"`, or `"… items …"` for a `Parallel` map.
    pub fn summary(&self) -> Option<String> {
        lock(&self.summary).clone()
    }

    /// The slot following `compute`, if any.
    fn slot(&self, compute: u64) -> Option<&Slot> {
        self.slots.iter().find(|slot| slot.compute.load(Ordering::Acquire) == compute)
    }
}

impl Callback for ProgressBar {
    fn start(&self, plan: &PlanSummary<'_>) {
        // Nested only inside a task of the compute this bar follows; any other compute is one
        // to follow at the top, if the bar is free.
        let nested = plan
            .parent()
            .is_some_and(|parent| self.slots[0].compute.load(Ordering::Acquire) == parent);
        let slot = &self.slots[usize::from(nested)];
        if slot
            .compute
            .compare_exchange(IDLE, plan.compute(), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return; // following another compute
        }
        let total = plan.units().unwrap_or(plan.tasks() as u64);
        slot.units.store(plan.units().is_some(), Ordering::Relaxed);
        let bar =
            indicatif::ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        let unit = slot.unit();
        let template = format!(
            "{}{{elapsed_precise}} [{{bar:40.cyan/blue}}] {{pos}}/{{len}} {unit}  {{rate}}  ETA {{eta}}",
            if nested { "  (nested) " } else { "" }
        );
        let style = ProgressStyle::with_template(&template)
            .expect("a valid template")
            .with_key("rate", move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = out.write_str(&rate_text(state.per_sec(), unit));
            })
            .progress_chars("#>-");
        bar.set_style(style);
        *lock(&slot.wake.0) = false;
        let step = total.div_ceil(10).max(1);
        slot.lines.on.store(false, Ordering::Relaxed);
        slot.lines.step.store(step, Ordering::Relaxed);
        slot.lines.next.store(step, Ordering::Relaxed);
        let (wake, shown, minimum) = (Arc::clone(&slot.wake), bar.clone(), self.minimum);
        let (lines, out, multi) =
            (Arc::clone(&slot.lines), Arc::clone(&self.out), self.multi.clone());
        let show = move |shown: &indicatif::ProgressBar| {
            if !out.given && std::io::stderr().is_terminal() {
                // On a terminal both slots draw through one MultiProgress: a nested bar
                // appears below the outer one.
                let shown = multi.add(shown.clone());
                shown.enable_steady_tick(Duration::from_millis(100));
            } else {
                lines.on.store(true, Ordering::Release);
            }
        };
        // With no minimum, decide now: every task's progress is then reported.
        let shower = if minimum.is_zero() {
            show(&shown);
            None
        } else {
            std::thread::Builder::new()
                .name("lazydag-progress".into())
                .spawn(move || {
                    let (done, cv) = &*wake;
                    let guard = lock(done);
                    let guard = wait_timeout_while(cv, guard, minimum, |done| !*done);
                    if !*guard {
                        show(&shown);
                    }
                })
                .ok()
        };
        *write(&slot.bar) = Some(bar);
        *lock(&slot.shower) = shower;
    }

    fn posttask(&self, task: &TaskEvent<'_>, _: Duration, _: Worker) {
        if let Some(slot) = self.slot(task.compute())
            && !slot.units.load(Ordering::Relaxed)
        {
            slot.advance(1, &self.out);
        }
    }

    fn progress(&self, compute: u64, units: u64) {
        if let Some(slot) = self.slot(compute)
            && slot.units.load(Ordering::Relaxed)
        {
            slot.advance(units, &self.out);
        }
    }

    /// Computes started inside a followed compute's tasks get a nested bar.
    fn nested(&self) -> bool {
        true
    }

    fn finish(&self, outcome: &Outcome<'_>) {
        let Some(slot) = self.slot(outcome.plan().compute()) else {
            return;
        };
        let nested = std::ptr::eq(slot, &self.slots[1]);
        {
            let (done, cv) = &*slot.wake;
            *lock(done) = true;
            cv.notify_all();
        }
        let shower = lock(&slot.shower).take();
        let bar = write(&slot.bar).take();
        if let Some(shower) = shower {
            let _ = shower.join();
        }
        if let Some(bar) = bar {
            let secs = outcome.elapsed().as_secs_f64();
            let rate = bar.position() as f64 / secs.max(1e-9);
            let unit = slot.unit();
            let summary = format!(
                "{}/{} {unit} in {:.2} s ({}){}",
                bar.position(),
                bar.length().unwrap_or(0),
                secs,
                rate_text(rate, unit),
                if outcome.error().is_some() { ", failed" } else { "" }
            );
            if nested || matches!(outcome.error(), Some(lazydag_core::Error::Cancelled)) {
                // A nested compute's bar goes when it ends; a cancelled one (Ctrl-C) leaves
                // no half-drawn bar behind.
                bar.finish_and_clear();
                self.multi.remove(&bar);
            } else if outcome.error().is_some() {
                bar.abandon();
            } else {
                bar.finish();
            }
            if slot.lines.on.swap(false, Ordering::AcqRel) {
                self.out.write(&format!("{}{summary}", slot.prefix));
            }
            if !nested {
                *lock(&self.summary) = Some(summary);
            }
        }
        slot.compute.store(IDLE, Ordering::Release);
    }
}

/// `5.9k tasks/s` (or `items/s`).
fn rate_text(rate: f64, unit: &str) -> String {
    if rate >= 1e6 {
        format!("{:.1}M {unit}/s", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1}k {unit}/s", rate / 1e3)
    } else {
        format!("{rate:.0} {unit}/s")
    }
}
