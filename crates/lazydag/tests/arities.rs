//! `delayed!` records functions and closures of 0 to 8 arguments, of any mix of kinds.

use lazydag::prelude::*;

fn zero() -> u32 {
    1
}
#[allow(clippy::too_many_arguments)]
fn eight(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32, g: u32, h: u32) -> u32 {
    a + b + c + d + e + f + g + h
}
mod math {
    pub(crate) fn scale<T: std::ops::Mul<Output = T>>(x: T, by: T) -> T {
        x * by
    }
}

#[test]
fn zero_to_eight_arguments() {
    let one = delayed!(zero());
    let h = delayed!(eight(&one, &one, 1, 1, one.clone(), 1, 1, one));
    assert_eq!(h.compute().unwrap(), 8);
    let c0 = delayed!((|| 5_u8)());
    let c3 = delayed!((|a: u8, b: u8, c: u8| a * b * c)(&c0, 2, c0.clone()));
    assert_eq!(c3.compute().unwrap(), 50);
}

#[test]
fn paths_generics_and_trailing_commas() {
    let a = delayed!(math::scale(3_i64, 4,));
    let b = delayed!(math::scale::<f64>(1.5, 2.0));
    assert_eq!(lazydag::compute((&a, &b)).unwrap(), (12, 3.0));
    assert_eq!(a.key().name(), "scale");
    assert_eq!(b.key().name(), "scale");
}

#[test]
fn closures_infer_argument_types_from_handles() {
    let x = delayed!(zero());
    let y = delayed!((|a, b| a + b)(&x, x.clone()));
    assert_eq!(y.compute().unwrap(), 2);
    assert_eq!(y.key().name(), "closure");
}

#[test]
fn closures_capture_environment() {
    let offset = 10;
    let words = vec!["a", "bb", "ccc"];
    let lens = delayed!((move |w: Vec<&'static str>| w
        .iter()
        .map(|s| s.len() + offset)
        .sum::<usize>())(words));
    assert_eq!(lens.compute().unwrap(), 36);
}
