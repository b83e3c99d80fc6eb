//! The hook log: one JSON line per hook run under `<home>/logs/`, rotated by size so
//! it never grows without bound. `csep status` reads it.

use std::io::Write;
use std::path::Path;

use cap_std::fs::{OpenOptions, OpenOptionsExt};
use serde::Serialize;

use crate::fs_authority;

/// Past this size the log is moved to `hooks.jsonl.1` (replacing the older one).
const ROTATE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Default, Serialize)]
pub struct HookRecord {
    pub at: String,
    pub hook: &'static str,
    pub ms: f64,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What went wrong while the hook carried on (a broken config run on defaults,
    /// a damaged index moved aside, a policy's settings rejected), each naming its fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// MEMORY.md lines withheld (secrets, prompt injection), with their line numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<(usize, &'static str)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected_chars: Option<usize>,
    /// Why a Stop hook did nothing (a reflection worker's own session, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Which policy decided (and whether it fell back to the bundled one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The detached reflection worker started for `job`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_pid: Option<u32>,
}

/// Appends one record; failures are returned for the caller to ignore (a hook must
/// not fail because its log cannot be written).
pub fn append(logs_dir: &Path, record: &HookRecord) -> std::io::Result<()> {
    let dir = fs_authority::create_private_dir_all(logs_dir)?;
    if let Ok(meta) = dir.metadata("hooks.jsonl")
        && meta.len() > ROTATE_BYTES
    {
        dir.rename("hooks.jsonl", &dir, "hooks.jsonl.1")?;
    }
    let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut opts = OpenOptions::new();
    opts.append(true).create(true).mode(0o600);
    // One write of one line: concurrent hooks append whole lines.
    dir.open_with("hooks.jsonl", &opts)?
        .write_all(line.as_bytes())
}
