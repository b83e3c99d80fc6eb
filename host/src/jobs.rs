//! Reflection jobs: one JSON file per job under `session_reflection/jobs/`, its
//! status rewritten atomically at each step, and `latest.json` beside the folder
//! holding a copy of the job written last. A job is claimed by holding the flock
//! on `jobs/<id>.lock`; the kernel releases it when the worker dies, which is what
//! makes a dead worker's job claimable again.

use std::io;
use std::path::{Path, PathBuf};

use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::filelock::FileLock;
use crate::fs_authority;
use crate::home::Home;
use crate::model::Scope;
use crate::path_error::{AtPath, PathError};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Written by the Stop hook, waiting for a worker.
    #[default]
    Queued,
    /// A worker holds it (or held it and died: see the lock).
    Running,
    /// Every change the strategy proposed was accepted.
    Succeeded,
    /// Some changes were accepted and some rejected.
    Partial,
    /// The strategy changed nothing, or only what was rejected.
    Skipped,
    /// The job could not run to the end; `reason` says why.
    Failed,
    /// Not run for now (a budget is spent); a later worker takes it again.
    Deferred,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Partial => "partial",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Deferred => "deferred",
        }
    }

    /// A worker may pick the job up.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Queued | Status::Running | Status::Deferred)
    }
}

/// `Job::default()` is an empty queued job, for filling in with struct update syntax.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Job {
    pub schema_version: u32,
    pub job_id: String,
    pub status: Status,
    pub created_at: String,
    pub client: Client,
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
    /// Workers that started this job (a job whose workers keep dying is given up).
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_pid: Option<u32>,
    /// Until when the running worker's claim is expected to last (ms since epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until_ms: Option<u64>,
    /// Why the job failed, was deferred or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the job did, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("`{0}` is not a job id (letters, digits and `-` only)")]
    BadId(String),
    #[error("no job {id} in {}", dir.display())]
    NotFound { id: String, dir: PathBuf },
    #[error("job file {} is not valid: {source}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "job file {} was written by csep 1.x (the original tool) and is not run here; \
         `csep migrate --apply` moves it aside",
        path.display()
    )]
    Original { path: PathBuf },
    #[error(transparent)]
    Io(#[from] PathError),
}

/// A job file or receipt the original tool (csep 1.x) wrote in the same folders:
/// a JSON object naming its `parent_session_id`, where this project's name the
/// `session_id` and the `client`.
pub fn written_by_original(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Shape {
        parent_session_id: Option<serde::de::IgnoredAny>,
        session_id: Option<serde::de::IgnoredAny>,
        client: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Shape>(bytes).is_ok_and(|s| {
        s.parent_session_id.is_some() && s.session_id.is_none() && s.client.is_none()
    })
}

/// Job ids are file names: nothing that could leave the folder.
pub fn valid_id(id: &str) -> bool {
    (1..=96).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The jobs folder, opened once.
pub struct JobQueue {
    path: PathBuf,
    dir: Dir,
    parent: Dir,
}

impl JobQueue {
    pub fn jobs_path(home: &Home) -> PathBuf {
        home.jobs_dir()
    }

    /// Opens the folder, creating it when missing.
    pub fn open(home: &Home) -> Result<JobQueue, JobError> {
        let path = JobQueue::jobs_path(home);
        let what = "opening the jobs folder";
        let dir = fs_authority::create_private_dir_all(&path).at(what, &path)?;
        let parent =
            fs_authority::open_dir(path.parent().expect("has a parent")).at(what, &path)?;
        Ok(JobQueue { path, dir, parent })
    }

    /// Opens the folder if it exists, creating nothing (for read-only commands).
    pub fn open_existing(home: &Home) -> Result<Option<JobQueue>, JobError> {
        if !JobQueue::jobs_path(home).is_dir() {
            return Ok(None);
        }
        JobQueue::open(home).map(Some)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the job file and `latest.json`, each atomically.
    pub fn write(&self, job: &Job) -> Result<(), JobError> {
        if !valid_id(&job.job_id) {
            return Err(JobError::BadId(job.job_id.clone()));
        }
        let bytes = serde_json::to_vec_pretty(job).map_err(io::Error::other);
        let result = bytes.and_then(|bytes| {
            fs_authority::write_atomic(&self.dir, &format!("{}.json", job.job_id), &bytes)?;
            fs_authority::write_atomic(&self.parent, "latest.json", &bytes)
        });
        Ok(result.at("writing a job file in", &self.path)?)
    }

    pub fn read(&self, id: &str) -> Result<Job, JobError> {
        if !valid_id(id) {
            return Err(JobError::BadId(id.to_string()));
        }
        let name = format!("{id}.json");
        let bytes = match self.dir.read(&name) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(JobError::NotFound {
                    id: id.to_string(),
                    dir: self.path.clone(),
                });
            }
            Err(source) => {
                return Err(PathError::new("reading", &self.path.join(&name), source).into());
            }
        };
        serde_json::from_slice(&bytes).map_err(|source| {
            let path = self.path.join(&name);
            if written_by_original(&bytes) {
                JobError::Original { path }
            } else {
                JobError::Invalid { path, source }
            }
        })
    }

    /// Every job, oldest first (ids start with their creation time); files that do
    /// not parse come back as errors, not hidden. The original tool's job files are
    /// not this queue's and are left out.
    pub fn list(&self) -> Vec<Result<Job, JobError>> {
        let mut ids: Vec<String> = match self.dir.entries() {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
                .filter(|id| valid_id(id))
                .collect(),
            Err(_) => Vec::new(),
        };
        ids.sort();
        ids.iter()
            .map(|id| self.read(id))
            .filter(|r| !matches!(r, Err(JobError::Original { .. })))
            .collect()
    }

    /// Claims the job for this process; `None` when another worker holds it.
    pub fn claim(&self, id: &str) -> Result<Option<FileLock>, JobError> {
        if !valid_id(id) {
            return Err(JobError::BadId(id.to_string()));
        }
        Ok(FileLock::try_acquire(&self.dir, &format!("{id}.lock"))
            .at("locking a job in", &self.path)?)
    }

    /// True when a live worker holds the job.
    pub fn is_claimed(&self, id: &str) -> bool {
        valid_id(id) && FileLock::is_held(&self.dir, &format!("{id}.lock"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_leave_the_folder() {
        assert!(valid_id("20261125T131731Z-90b60d8c"));
        for bad in ["", "../x", "a/b", "a.json", "x y", &"a".repeat(97)] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
