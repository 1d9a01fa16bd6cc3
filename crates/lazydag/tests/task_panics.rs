//! A panicking task becomes an error naming the task; the process and later computes are fine.

use lazydag::Error;
use lazydag::prelude::*;

fn explode(x: i32) -> i32 {
    if x == 3 {
        panic!("cannot handle {x}");
    }
    x
}
fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[test]
fn panic_is_an_error_naming_the_task() {
    let ok = delayed!(explode(1));
    let boom = delayed!(explode(3));
    let total = delayed!(add(ok, &boom));

    match total.compute() {
        Err(Error::Panicked { task, message, location }) => {
            assert_eq!(task, boom.key());
            assert_eq!(task.name(), "explode");
            assert_eq!(message, "cannot handle 3");
            // Where `explode` panicked: this file, the `panic!` line.
            assert_eq!(location.as_deref(), Some(concat!(file!(), ":8:9")));
        }
        other => panic!("expected Error::Panicked, got {other:?}"),
    }
}

#[test]
fn next_compute_works_after_a_panic() {
    let boom = delayed!(explode(3)).name("boom");
    assert!(boom.compute().is_err());
    assert!(boom.compute().unwrap_err().to_string().contains("task `boom-"));

    let fine = delayed!(add(delayed!(explode(1)), 2));
    assert_eq!(fine.compute().unwrap(), 3);
}

#[test]
fn non_string_panic_payload() {
    let t = delayed(0).map(|_: i32| -> i32 { std::panic::panic_any(42_u8) });
    let err = t.compute().unwrap_err();
    assert!(matches!(err, Error::Panicked { ref message, .. } if message.contains("not a string")));
}

#[test]
fn panicking_clone_is_reported() {
    #[derive(Debug)]
    struct Fragile;
    impl Clone for Fragile {
        fn clone(&self) -> Self {
            panic!("no copies")
        }
    }
    fn make() -> Fragile {
        Fragile
    }
    fn eat(_: Fragile) -> u8 {
        1
    }
    let f = delayed!(make());
    let (a, b) = (delayed!(eat(&f)), delayed!(eat(&f)));
    let err = lazydag::compute((a, b)).unwrap_err();
    assert_eq!(err.task(), Some(&f.key()));
    assert!(err.to_string().contains("no copies"));
}

#[test]
fn a_panic_on_the_work_stealing_plain_path_names_the_task() {
    // With the optimizer off and no Control, the work-stealing worker calls a task without a
    // catch of its own (its chain's catch reports the panic): the error is the same.
    let pool = lazydag::scheduler::WorkStealing::new(2);
    let control = lazydag::Control::new().optimize(lazydag::Optimizer::off());
    for _ in 0..3 {
        let ok = delayed!(explode(1));
        let boom = delayed!(explode(3));
        let total = delayed!(add(ok, &boom));
        match lazydag::compute_with_control(&total, &pool, &control) {
            Err(Error::Panicked { task, message, location }) => {
                assert_eq!(task, boom.key());
                assert_eq!(message, "cannot handle 3");
                assert_eq!(location.as_deref(), Some(concat!(file!(), ":8:9")));
            }
            other => panic!("expected Error::Panicked, got {other:?}"),
        }
        // The pool and its workers are fine afterwards.
        let fine = delayed!(add(delayed!(explode(1)), 2));
        assert_eq!(lazydag::compute_with_control(&fine, &pool, &control).unwrap(), 3);
    }
}
