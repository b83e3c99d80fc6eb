//! What the integration tests share: one temporary machine (`World`), the session
//! generator, the mock model servers, and the one way a test skips.
//!
//! `corpus.rs` and `mock_server.rs` are also compiled on their own (the recall
//! benchmark and the setup unit tests include them by path), so they use nothing
//! from this module.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

pub mod corpus;
pub mod mock_llm;
pub mod mock_server;
pub mod skip;
pub mod world;

use std::path::{Path, PathBuf};

/// The repository's root folder (the workspace, one above `host/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// A file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

/// The bucket folder name csep gives `dir` (the library's own rule).
pub fn bucket_of(dir: &Path) -> String {
    csep::bucket::slug(dir)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
