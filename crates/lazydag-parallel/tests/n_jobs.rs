//! `n_jobs` follows joblib's convention; invalid values are clear errors.

use lazydag_parallel::{BatchSize, Error, Parallel};

fn cores() -> isize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) as isize
}

#[test]
fn valid_values_work() {
    let mut values = vec![1, 2, 4, 16, -1];
    if cores() >= 2 {
        values.push(-2);
    }
    values.push(-cores());
    for n in values {
        let out = Parallel::new().n_jobs(n).map(0..100u32, |x| x * 2).unwrap();
        assert_eq!(out, (0..100).map(|x| x * 2).collect::<Vec<_>>(), "n_jobs = {n}");
    }
}

#[test]
fn zero_is_a_config_error_naming_valid_values() {
    let err = Parallel::new().n_jobs(0).map(0..3, |x: u8| x).unwrap_err();
    let Error::Config { message } = &err else { panic!("{err:?}") };
    assert!(message.contains("n_jobs must not be 0"), "{message}");
    assert!(message.contains("valid values: a positive count, or -1"), "{message}");
}

#[test]
fn too_negative_is_a_config_error() {
    let n = -cores() - 1;
    let err = Parallel::new().n_jobs(n).map(0..3, |x: u8| x).unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    assert!(err.to_string().contains(&format!("n_jobs = {n} leaves no worker")), "{err}");
    // Streams report it at once, too.
    assert!(matches!(
        Parallel::new().n_jobs(n).map_iter(0..3, |x: u8| x),
        Err(Error::Config { .. })
    ));
    assert!(Parallel::new().n_jobs(isize::MIN).collect_errors().map(0..3, |x: u8| x).is_err());
}

#[test]
fn zero_batch_size_is_a_config_error() {
    let err = Parallel::new().batch_size(BatchSize::Fixed(0)).map(0..3, |x: u8| x).unwrap_err();
    assert!(err.to_string().contains("batch_size must be"), "{err}");
}

#[test]
fn huge_counts_are_config_errors_naming_the_limit() {
    let scheduler: std::sync::Arc<dyn lazydag_core::Scheduler> =
        std::sync::Arc::new(lazydag_core::scheduler::Sequential);
    for n in [4097, 1 << 40, isize::MAX] {
        let err = Parallel::new().n_jobs(n).map(0..3, |x: u8| x).unwrap_err();
        let Error::Config { message } = &err else { panic!("{err:?}") };
        assert!(message.contains("is more than 4096 workers"), "{message}");
        // A given scheduler still starts one dispatcher per job in a stream: bounded too.
        let given = Parallel::new().n_jobs(n).scheduler(scheduler.clone());
        assert!(matches!(given.map_iter(0..3, |x: u8| x), Err(Error::Config { .. })));
    }
}
