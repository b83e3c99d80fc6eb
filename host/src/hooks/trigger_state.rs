//! Per-session and per-bucket state kept for the trigger policy, and the lock that
//! stops two Stop hooks of one session from counting the same messages twice.

use std::time::{Duration, Instant};

use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};

use crate::fs_authority;

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

/// An exclusive lock on `lock` in `dir`, held until dropped.
pub struct SessionLock {
    _file: cap_std::fs::File,
}

impl SessionLock {
    /// Waits up to a few seconds; `None` when another hook keeps it longer.
    pub fn acquire(dir: &Dir) -> std::io::Result<Option<SessionLock>> {
        use cap_std::fs::{OpenOptions, OpenOptionsExt};
        use rustix::fs::{FlockOperation, flock};
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).mode(0o600);
        let file = dir.open_with("lock", &opts)?;
        let started = Instant::now();
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Some(SessionLock { _file: file })),
                Err(rustix::io::Errno::WOULDBLOCK) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }
}
