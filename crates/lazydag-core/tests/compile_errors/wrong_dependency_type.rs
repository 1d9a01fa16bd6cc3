use lazydag_core::delayed;

fn len(s: String) -> usize {
    s.len()
}

fn main() {
    let n = delayed!(len(String::from("abc")));
    let _ = delayed!(len(n));
}
