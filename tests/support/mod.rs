//! Shared by the integration tests and the benchmarks.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

pub mod corpus;
