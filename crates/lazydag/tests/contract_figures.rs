//! The scheduling contract's figures, measured, not asserted, and opt-in (CI must not read
//! clocks to decide): cancel/timeout/first-error latency per scheduler
//! (`LAZYDAG_LATENCY=1`) and the nested-parallelism speedup (`LAZYDAG_NESTED=1`). One binary
//! for both, so CI links one more test, not two:
//!
//! `LAZYDAG_LATENCY=1 LAZYDAG_NESTED=1 cargo test --release -p lazydag --no-default-features --test contract_figures -- --nocapture --test-threads=1`

#[path = "figures/cancel_latency.rs"]
mod cancel_latency;

#[path = "figures/nested_speedup.rs"]
mod nested_speedup;
