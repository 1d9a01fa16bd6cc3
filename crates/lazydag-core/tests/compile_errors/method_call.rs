use lazydag_core::delayed;

fn main() {
    let v = vec![1, 2, 3];
    let _ = delayed!(v.len());
}
