//! The compile errors of `delayed!` say what to do: each case in `compile_errors/` is a
//! program that must not compile, with the exact message pinned in its `.stderr` file.
//! Regenerate the files after a deliberate change with `TRYBUILD=overwrite`.

#[test]
fn delayed_misuse_is_explained() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_errors/*.rs");
}
