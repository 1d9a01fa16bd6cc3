//! A graph of literals alone computes to its values, as often as asked.

use lazydag::Error;
use lazydag::prelude::*;

#[test]
fn a_literal_computes_to_itself() {
    let x = delayed(String::from("hello"));
    assert_eq!(x.compute().unwrap(), "hello");
    assert_eq!(x.compute().unwrap(), "hello");
    assert_eq!(
        lazydag::compute((&x, delayed(7_u8), &x)).unwrap(),
        ("hello".into(), 7, "hello".into())
    );
}

#[test]
fn literal_used_by_many_tasks_is_cloned_each_time() {
    let base = delayed(vec![1, 2, 3]);
    let total = base.map(|v: Vec<i32>| v.iter().sum::<i32>());
    let len = base.map(|v: Vec<i32>| v.len());
    assert_eq!(lazydag::compute((total, len, base)).unwrap(), (6, 3, vec![1, 2, 3]));
}

#[test]
fn non_clone_literal_moves_into_one_compute() {
    #[derive(Debug)]
    struct Handle(u32);
    let h = delayed_once(Handle(9));
    assert_eq!(h.compute().unwrap().0, 9);
    let err = h.compute().unwrap_err();
    assert!(matches!(err, Error::LiteralMoved { ref task, .. } if *task == h.key()));
    assert!(err.to_string().contains("not Clone"));
}
