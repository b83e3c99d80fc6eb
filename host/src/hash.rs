//! The one way csep names content: lowercase hex of its sha256.

use sha2::{Digest as _, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first 16 hex digits: enough to tell sessions, buckets and jobs apart in names.
pub fn short_hex(bytes: &[u8]) -> String {
    let mut h = sha256_hex(bytes);
    h.truncate(16);
    h
}
