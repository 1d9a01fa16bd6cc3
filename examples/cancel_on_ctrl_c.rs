//! Ctrl-C cancels a long compute: SIGINT cancels a `CancelToken`, the compute returns
//! `Error::Cancelled` at once, the progress bar is cleared, and the long tasks, which poll
//! `lazydag::task::is_cancelled()`, stop early instead of running on in the background.
//!
//! `cargo run -p lazydag --no-default-features --example cancel_on_ctrl_c`, then press Ctrl-C.
//! With `--interrupt-after-ms N` the program sends itself SIGINT after N ms (how it is tested).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lazydag::diagnostics::ProgressBar;
use lazydag::scheduler::WorkStealing;
use lazydag::{CancelToken, Control, Delayed, Error, compute_with_control, delayed, task};

/// Tasks that stopped early because their compute was cancelled.
static STOPPED_EARLY: AtomicUsize = AtomicUsize::new(0);

/// About two seconds of "work" in 10 ms steps, giving up once the compute is cancelled.
fn slow_square(x: u64) -> u64 {
    for _ in 0..200 {
        if task::is_cancelled() {
            STOPPED_EARLY.fetch_add(1, Ordering::SeqCst);
            return 0; // dropped: the compute has already returned `Error::Cancelled`
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    x * x
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = CancelToken::new();
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT])?;
    let handle = signals.handle();
    {
        let token = token.clone();
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                token.cancel();
            }
        });
    }
    let interrupt_after = std::env::args()
        .skip_while(|arg| arg != "--interrupt-after-ms")
        .nth(1)
        .map(|ms| ms.parse::<u64>())
        .transpose()?;
    if let Some(ms) = interrupt_after {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            let _ = signal_hook::low_level::raise(signal_hook::consts::SIGINT);
        });
    }

    let squares: Vec<Delayed<u64>> = (0..16).map(|i| delayed(i).map(slow_square)).collect();
    let total = delayed!((|v: Vec<u64>| v.iter().sum::<u64>())(&squares));
    let bar = Arc::new(ProgressBar::new().minimum(Duration::from_millis(100)));
    let control = Control::new().cancel_token(token).callback(bar);
    println!("computing 16 slow tasks on 2 workers (about 16 s); press Ctrl-C to cancel");
    let started = Instant::now();
    let result = compute_with_control(&total, &WorkStealing::new(2), &control);
    handle.close();
    match result {
        Ok(sum) => println!("sum = {sum}"),
        Err(Error::Cancelled) => {
            // Give the running tasks a moment to see the cancel (they poll every 10 ms).
            std::thread::sleep(Duration::from_millis(50));
            println!(
                "cancelled after {:.2} s; {} running task(s) stopped early",
                started.elapsed().as_secs_f64(),
                STOPPED_EARLY.load(Ordering::SeqCst)
            );
            std::process::exit(130);
        }
        Err(err) => return Err(err.into()),
    }
    Ok(())
}
