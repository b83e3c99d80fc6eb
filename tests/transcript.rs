//! Transcript readers on every known shape of both clients, and on damaged files.

#[path = "transcript/fixtures.rs"]
mod fixtures;
#[path = "transcript/robustness.rs"]
mod robustness;
