//! Transcript readers on every known shape of both clients, and on damaged files.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

#[path = "transcript/fixtures.rs"]
mod fixtures;
#[path = "transcript/robustness.rs"]
mod robustness;
