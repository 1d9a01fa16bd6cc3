use lazydag_core::delayed;

#[allow(clippy::too_many_arguments)]
fn nine(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8, i: u8) -> u8 {
    a + b + c + d + e + f + g + h + i
}

fn main() {
    let _ = delayed!(nine(1, 2, 3, 4, 5, 6, 7, 8, 9));
}
