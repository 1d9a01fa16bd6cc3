//! Records `n` times `delayed!(inc(1))` (a task and a literal) and `delayed!(inc(&base))`, and
//! keeps them; with `pure` as the second argument, each is made pure. Run under callgrind at
//! two `n`: the difference in instructions over the difference in `n` is the cost of one pair
//! (`docs/benchmarks.md`, "Identity").
use lazydag::prelude::*;
use lazydag_benches::inc;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let pure = args.next().as_deref() == Some("pure");
    let base = delayed(1_u64);
    let mut kept = Vec::with_capacity(2 * n);
    for _ in 0..n {
        if pure {
            kept.push(delayed!(inc(1_u64)).pure());
            kept.push(delayed!(inc(&base)).pure());
        } else {
            kept.push(delayed!(inc(1_u64)));
            kept.push(delayed!(inc(&base)));
        }
    }
    std::hint::black_box(&kept);
    std::mem::forget(kept);
}
