//! A task returning `Err` fails the compute with an error naming the task.

use std::error::Error as _;

use lazydag::Error;
use lazydag::prelude::*;

#[derive(Debug, PartialEq)]
struct Invalid(String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid record {:?}", self.0)
    }
}
impl std::error::Error for Invalid {}

fn parse(s: String) -> Result<i64, Invalid> {
    s.trim().parse().map_err(|_| Invalid(s))
}
fn sum(a: i64, b: i64) -> i64 {
    a + b
}

#[test]
fn err_names_the_task_and_keeps_the_source() {
    let good = try_delayed!(parse(String::from("40")));
    let bad = try_delayed!(parse(String::from("forty"))).name("parse-row-2");
    let total = delayed!(sum(good, &bad));

    let err = total.compute().unwrap_err();
    match &err {
        Error::Failed { task, source } => {
            assert_eq!(task, &bad.key());
            assert_eq!(task.name(), "parse-row-2");
            assert_eq!(source.downcast_ref::<Invalid>(), Some(&Invalid("forty".into())));
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
    assert!(err.to_string().starts_with(&format!("task `{}` failed", bad.key())));
    assert!(err.source().unwrap().to_string().contains("forty"));
}

#[test]
fn ok_values_flow_on() {
    let a = try_delayed!(parse(String::from(" 2 ")));
    let b = try_delayed!((|x: i64| -> Result<i64, Invalid> { Ok(x * 21) })(a));
    assert_eq!(b.compute().unwrap(), 42);
}

#[test]
fn try_map_fails_with_its_own_name() {
    let n = delayed(String::from("x")).try_map(parse).name("parse");
    let err = n.compute().unwrap_err();
    assert_eq!(err.task().map(|t| t.name()), Some("parse"));
}
