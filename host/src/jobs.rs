//! Reflection jobs: one JSON file per job under `session_reflection/jobs/`, written
//! atomically when the trigger policy asks for a reflection.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::fs_authority;
use crate::model::Scope;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub schema_version: u32,
    pub job_id: String,
    /// `queued` when written by the Stop hook.
    pub status: String,
    pub created_at: String,
    pub client: String,
    pub session_id: String,
    pub transcript_path: Option<String>,
    pub cwd: String,
    pub bucket: String,
    pub scopes: Vec<Scope>,
    pub reasons: Vec<String>,
    pub summary: String,
    /// The policy's session state when the job was queued, handed back to its
    /// `settle` when the job ends.
    pub queued_policy_state: Option<String>,
}

/// Writes the job file; the id is unique per session and time.
pub fn queue(jobs_dir: &Path, job: &Job) -> std::io::Result<()> {
    let dir = fs_authority::create_private_dir_all(jobs_dir)?;
    let bytes = serde_json::to_vec_pretty(job).map_err(std::io::Error::other)?;
    fs_authority::write_atomic(&dir, &format!("{}.json", job.job_id), &bytes)
}
