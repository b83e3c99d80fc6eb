//! `receipt.json`: written by the host from its own diff, never by the strategy.
//! It is the record `csep memory history|diff|revert` work from.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::apply::{AreaPath, CommittedFile, Evidenced, Note, Rejected, RemovedDir};
use crate::client::Client;
use crate::fs_authority;
use crate::jobs::Status;
use crate::path_error::{AtPath, PathError};

pub const FILE: &str = "receipt.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StrategyInfo {
    /// `bundled:<name>` or the path of a drop-in.
    pub origin: String,
    pub sha256: String,
    pub world_version: String,
    /// Why the bundled strategy ran instead of the configured one, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// What the strategy says it did (informational: the lists below are the facts).
    pub claimed_summary: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelUsage {
    /// The provider as configured (no secrets), or none.
    pub provider: Option<String>,
    pub models: Vec<String>,
    pub calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Requests the host refused or that failed, with why.
    pub denials: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    pub schema_version: u32,
    pub job_id: String,
    pub session_id: String,
    pub client: Client,
    pub bucket: String,
    pub status: Status,
    pub strategy: StrategyInfo,
    pub model: ModelUsage,
    /// Where accepted changes went.
    pub memory_dir: PathBuf,
    pub skills_dir: Option<PathBuf>,
    pub accepted: Vec<CommittedFile>,
    /// Folders the commit created and removed, for an exact revert.
    #[serde(default)]
    pub created_dirs: Vec<AreaPath>,
    #[serde(default)]
    pub removed_dirs: Vec<RemovedDir>,
    pub rejected: Vec<Rejected>,
    pub notes: Vec<Note>,
    /// What each accepted entry rests on: the quoted messages of the session.
    #[serde(default)]
    pub evidence: Vec<Evidenced>,
    pub started_at: String,
    pub finished_at: String,
    /// Set when `csep memory revert` restored what this job changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverted_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("{} is not a receipt: {source}", path.display())]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{} was written by csep 1.x (the original tool); `csep migrate --apply` moves its runs aside",
        path.display()
    )]
    Original { path: PathBuf },
}

impl Receipt {
    pub fn write(&self, run_dir: &Path) -> std::io::Result<()> {
        let dir = fs_authority::open_dir(run_dir)?;
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        fs_authority::write_atomic(&dir, FILE, &bytes)
    }

    pub fn read(run_dir: &Path) -> Result<Receipt, ReceiptError> {
        let path = run_dir.join(FILE);
        let bytes = std::fs::read(&path).at("reading", &path)?;
        serde_json::from_slice(&bytes).map_err(|source| {
            if crate::jobs::written_by_original(&bytes) {
                ReceiptError::Original { path }
            } else {
                ReceiptError::Malformed { path, source }
            }
        })
    }
}
