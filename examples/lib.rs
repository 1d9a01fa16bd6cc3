//! The README's demos (`cargo run --release -p lazydag-examples --example quickstart`), in a
//! package with no dev-dependencies so that the first build compiles only what they need.
//! The library is empty: the demos are its examples.
