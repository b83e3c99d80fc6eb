//! Per-session and per-bucket state kept for the trigger policy, and the lock that
//! stops two Stop hooks of one session from counting the same messages twice.

use std::path::PathBuf;
use std::time::Duration;

use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};

use crate::filelock::FileLock;
use crate::fs_authority;
use crate::hash::short_hex;
use crate::home::Home;

/// How long a Stop hook waits for another Stop hook of the same session.
const LOCK_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionState {
    pub schema_version: u32,
    pub session_id: String,
    /// Transcript bytes already shown to the policy.
    pub offset: u64,
    /// Codex: messages are response items (event copies are skipped).
    pub response_items: bool,
    /// The policy's own opaque state.
    pub policy_state: Option<String>,
    pub last_decision: Option<serde_json::Value>,
    /// The job queued for this session and when (ms): no second one while it is fresh.
    pub pending_job: Option<(String, u64)>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketState {
    pub schema_version: u32,
    pub policy_state: Option<String>,
}

/// The folder of one session's trigger state.
pub fn session_path(home: &Home, client: &str, session_id: &str) -> PathBuf {
    home.root()
        .join("triggers")
        .join(short_hex(format!("{client}:{session_id}").as_bytes()))
}

/// The folder of one repo bucket (its memory and the policy's bucket state).
pub fn bucket_path(home: &Home, bucket: &str) -> PathBuf {
    home.root().join("projects").join(bucket)
}

/// Reads a JSON state file; a missing or unreadable one starts afresh.
pub fn read<T: Default + for<'de> Deserialize<'de>>(dir: &Dir, name: &str) -> T {
    dir.read(name)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

pub fn write<T: Serialize>(dir: &Dir, name: &str, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    fs_authority::write_atomic(dir, name, &bytes)
}

/// The per-session lock: waits up to a few seconds for another Stop hook.
pub struct SessionLock {
    _lock: FileLock,
}

impl SessionLock {
    /// `None` when another hook keeps it longer than a few seconds.
    pub fn acquire(dir: &Dir) -> std::io::Result<Option<SessionLock>> {
        Ok(FileLock::acquire(dir, "lock", LOCK_WAIT)?.map(|l| SessionLock { _lock: l }))
    }
}
