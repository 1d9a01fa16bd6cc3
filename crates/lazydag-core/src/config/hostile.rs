//! Hostile settings: worker counts past the limit, huge values, config paths that are not
//! regular files, and a property test that no config text or environment value panics (each
//! is a value or an `Error::Config`).

use proptest::prelude::*;

use super::tests::{Scratch, env, message};
use super::*;

#[test]
fn worker_counts_above_the_limit_are_config_errors_naming_it() {
    let dir = Scratch::new();
    for huge in ["4097", "100000", "100000000000", "18446744073709551615"] {
        let message = message(resolve_from(env(&[(ENV_NUM_WORKERS, huge)]), dir.path()));
        assert!(message.starts_with("LAZYDAG_NUM_WORKERS must be at most 4096"), "{message}");
        assert!(message.contains("operating-system thread"), "{message}");
    }
    let at_limit = resolve_from(env(&[(ENV_NUM_WORKERS, "4096")]), dir.path()).unwrap();
    assert_eq!(at_limit.1, MAX_WORKERS);
    for huge in ["num-workers = 4097", "num-workers = 9223372036854775807"] {
        let err = Config::from_toml_str(huge).unwrap_err().to_string();
        assert!(err.contains("num-workers must be at most 4096"), "{err}");
    }
}

#[test]
fn a_huge_bad_scheduler_value_is_cut_in_the_error() {
    let dir = Scratch::new();
    let huge = "x".repeat(100_000);
    let message = message(resolve_from(env(&[(ENV_SCHEDULER, &huge)]), dir.path()));
    assert!(message.len() < 300, "{} bytes", message.len());
    assert!(message.contains("(100000 bytes in all)"), "{message}");
    assert!(message.contains("valid values: sync, threads, work-stealing, async"), "{message}");
    let wide = "é".repeat(1_000); // cut on a character boundary
    let err = optimizer_from(env(&[(ENV_OPTIMIZE, &wide)]), dir.path()).unwrap_err().to_string();
    assert!(err.contains("(2000 bytes in all)"), "{err}");
}

#[test]
fn a_fifo_named_lazydag_toml_is_an_error_not_a_hang() {
    let dir = Scratch::new();
    let fifo = dir.path().join(FILE_NAME);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("skipped: mkfifo is not available here");
        return;
    }
    let message = message(resolve_from(env(&[]), dir.path()));
    assert!(message.contains("it is not a regular file (it is a FIFO)"), "{message}");
    assert!(message.contains("only from a regular file of at most 1048576 bytes"), "{message}");
    let err = Config::from_file(&fifo).unwrap_err().to_string();
    assert!(err.contains("it is a FIFO"), "{err}");
}

#[test]
fn a_device_or_directory_as_config_is_an_error_not_a_read_forever() {
    let dir = Scratch::new();
    if std::path::Path::new("/dev/zero").exists() {
        let message = message(resolve_from(env(&[(ENV_CONFIG, "/dev/zero")]), dir.path()));
        assert!(message.contains("(named by LAZYDAG_CONFIG)"), "{message}");
        assert!(message.contains("it is a character device"), "{message}");
        let err = Config::from_file("/dev/zero").unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
    let path = dir.path().to_str().unwrap().to_owned();
    let message = message(resolve_from(env(&[(ENV_CONFIG, &path)]), dir.path()));
    assert!(message.contains("it is a directory"), "{message}");
}

#[test]
fn a_config_file_over_the_size_cap_is_an_error() {
    let dir = Scratch::new();
    let mut text = "# padding\n".repeat((MAX_FILE_BYTES as usize) / 10 + 1);
    text.push_str("scheduler = \"sync\"\n");
    let path = dir.write(FILE_NAME, &text);
    let message = message(resolve_from(env(&[]), dir.path()));
    assert!(message.contains("larger than 1048576 bytes"), "{message}");
    assert!(Config::from_file(&path).unwrap_err().to_string().contains("larger than"));
}

/// Any outcome of resolving a setting is fine except a panic or a non-config error.
fn config_only<T: std::fmt::Debug>(result: Result<T, Error>) -> Result<(), TestCaseError> {
    match result {
        Ok(_) | Err(Error::Config { .. }) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!("not a config error: {other:?}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_config_text_is_a_config_or_an_error_never_a_panic(
        text in prop_oneof![
            any::<String>(),
            "(scheduler|num-workers|optimize|max-fused-chain|fuse-reductions) = [-0-9a-z\"]{0,24}",
            "num-workers = -?[0-9]{1,30}",
        ]
    ) {
        config_only(Config::from_toml_str(&text))?;
        let dir = Scratch::new();
        dir.write(FILE_NAME, &text);
        config_only(resolve_from(env(&[]), dir.path()))?;
        config_only(optimizer_from(env(&[]), dir.path()))?;
    }

    #[test]
    fn any_environment_value_is_a_setting_or_a_config_error_never_a_panic(
        scheduler in any::<String>(),
        workers in prop_oneof![any::<String>(), "-?[0-9]{1,30}", Just("0".to_owned())],
        optimize in any::<String>(),
    ) {
        let dir = Scratch::new();
        let vars = [
            (ENV_SCHEDULER, scheduler.as_str()),
            (ENV_NUM_WORKERS, workers.as_str()),
            (ENV_OPTIMIZE, optimize.as_str()),
        ];
        config_only(resolve_from(env(&vars), dir.path()))?;
        config_only(optimizer_from(env(&vars), dir.path()))?;
        if let Ok((_, n)) = resolve_from(env(&vars), dir.path()) {
            prop_assert!((1..=MAX_WORKERS).contains(&n));
        }
    }
}

#[test]
fn a_scoped_worker_count_above_the_limit_fails_the_compute_with_a_config_error() {
    let _guard = set(SchedulerKind::WorkStealing, Some(MAX_WORKERS + 1));
    let err = default_scheduler().map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("at most 4096"), "{err}");
}
