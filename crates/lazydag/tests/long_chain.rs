//! A 1,000,000-long chain builds, computes and drops without recursion over its depth.
//!
//! Test threads have small stacks (2 MiB), so any recursion per link would overflow.

use lazydag::prelude::*;

fn inc(x: u64) -> u64 {
    x + 1
}

const LEN: u64 = 1_000_000;

#[test]
fn million_task_chain_computes_and_drops() {
    let mut tip = delayed(0_u64);
    for _ in 0..LEN {
        tip = delayed!(inc(tip));
    }
    assert_eq!(tip.compute().unwrap(), LEN);
    assert!(tip.to_dot().len() > LEN as usize);
    drop(tip);
}

#[test]
fn dropping_a_chain_that_is_partly_shared() {
    let mut tip = delayed(0_u64);
    let mut middle = None;
    for i in 0..LEN {
        tip = delayed!(inc(tip));
        if i == LEN / 2 {
            middle = Some(tip.clone());
        }
    }
    drop(tip); // the top half unlinks; the bottom half stays alive through `middle`
    let middle = middle.unwrap();
    assert_eq!(middle.compute().unwrap(), LEN / 2 + 1);
    drop(middle);
}
