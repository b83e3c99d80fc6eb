//! `csep memory history|diff|revert`: every job that changed memory or skills,
//! what it changed, and undoing it from the backup its run folder keeps.

use std::path::{Path, PathBuf};

use super::apply::{self, Area, Committed};
use super::material;
use super::receipt::{Receipt, ReceiptError};
use crate::fs_authority;
use crate::home::Home;
use crate::jobs;
use crate::path_error::{AtPath, PathError};
use crate::timefmt::{now_ms, rfc3339};

pub fn runs_path(home: &Home) -> PathBuf {
    home.runs_dir()
}

/// Receipts newest first, of one bucket or of all; unreadable ones are skipped.
pub fn list(home: &Home, bucket: Option<&str>) -> Vec<(PathBuf, Receipt)> {
    let runs = runs_path(home);
    let mut ids: Vec<String> = std::fs::read_dir(&runs)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|id| jobs::valid_id(id))
        .collect();
    ids.sort();
    ids.reverse();
    ids.into_iter()
        .filter_map(|id| {
            let dir = runs.join(&id);
            let receipt = Receipt::read(&dir).ok()?;
            Some((dir, receipt))
        })
        .filter(|(_, r)| bucket.is_none_or(|b| r.bucket == b))
        .collect()
}

/// Files only the original tool (csep 1.x) kept in a run folder.
const ORIGINAL_RUN_FILES: [&str; 5] = [
    "prompt.txt",
    "validation.json",
    "receipt.draft.json",
    "receipt.writer-error.json",
    "receipt.invalid.txt",
];

/// A run folder the original tool left: its receipt is the original's, or it has
/// none and holds the files only the original wrote.
pub fn is_original_run(dir: &Path) -> bool {
    match std::fs::read(dir.join(super::receipt::FILE)) {
        Ok(bytes) => jobs::written_by_original(&bytes),
        Err(_) => has_original_files(dir),
    }
}

/// Whether a run folder holds files only the original tool wrote.
pub fn has_original_files(dir: &Path) -> bool {
    ORIGINAL_RUN_FILES.iter().any(|f| dir.join(f).exists())
}

/// Run folders whose `receipt.json` exists but cannot be read as a receipt
/// (truncated, garbled, unreadable), with why; a run without one is not listed.
pub fn unreadable(home: &Home) -> Vec<(PathBuf, String)> {
    let runs = runs_path(home);
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&runs)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(jobs::valid_id))
        .map(|e| e.path())
        .filter(|dir| dir.join(super::receipt::FILE).exists())
        .filter_map(|dir| match Receipt::read(&dir) {
            // Not this project's run: reported by status, moved aside by migrate.
            Err(ReceiptError::Original { .. }) | Ok(_) => None,
            Err(e) => Some((dir, e.to_string())),
        })
        .collect();
    out.sort();
    out.reverse();
    out
}

/// Finds a receipt by job id or by the path of its `receipt.json` or run folder.
pub fn find(home: &Home, which: &str) -> Result<(PathBuf, Receipt), FindError> {
    let given = Path::new(which);
    let dir = if jobs::valid_id(which) {
        runs_path(home).join(which)
    } else if given.file_name().is_some_and(|n| n == super::receipt::FILE) {
        given.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        given.to_path_buf()
    };
    let receipt = Receipt::read(&dir).map_err(FindError)?;
    Ok((dir, receipt))
}

/// The text of one accepted file before and after the job.
pub struct FileDiff {
    pub area: Area,
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub fn diff(run_dir: &Path, receipt: &Receipt) -> Vec<FileDiff> {
    let read = |sub: &str, area: Area, path: &str| {
        std::fs::read(run_dir.join(sub).join(area.as_str()).join(path))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    receipt
        .accepted
        .iter()
        .map(|f| FileDiff {
            area: f.area,
            path: f.path.clone(),
            before: f
                .before_sha256
                .as_ref()
                .and_then(|_| read("backup", f.area, &f.path)),
            after: f
                .after_sha256
                .as_ref()
                .and_then(|_| read("after", f.area, &f.path)),
        })
        .collect()
}

/// Restores every file the job changed, or changes nothing and says which file
/// was edited since.
pub fn revert(run_dir: &Path, receipt: &mut Receipt) -> Result<apply::Reverted, RevertError> {
    if let Some(at) = &receipt.reverted_at {
        return Err(RevertError::AlreadyReverted {
            job: receipt.job_id.clone(),
            at: at.clone(),
        });
    }
    let open = |p: &Path| fs_authority::open_dir(p).at("opening", p);
    let memory = open(&receipt.memory_dir)?;
    let skills =
        material::open_live_skills(receipt.skills_dir.as_deref()).map_err(RevertError::Skills)?;
    let backup = open(&run_dir.join("backup"))?;
    let committed = Committed {
        files: receipt.accepted.clone(),
        rejected_at_commit: Vec::new(),
        created_dirs: receipt.created_dirs.clone(),
        removed_dirs: receipt.removed_dirs.clone(),
    };
    let reverted = apply::revert(&committed, &memory, &skills.dir, &backup)?;
    receipt.reverted_at = Some(rfc3339(now_ms()));
    receipt.write(run_dir).map_err(RevertError::Unmarked)?;
    Ok(reverted)
}

/// A receipt named on the command line that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0} (name a job id from `csep memory history`, or a receipt.json path)")]
pub struct FindError(#[source] pub ReceiptError);

#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    #[error("job {job} was already reverted at {at}")]
    AlreadyReverted { job: String, at: String },
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("opening the skills folder: {0}")]
    Skills(#[source] std::io::Error),
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
    #[error("the files were restored, but the receipt was not marked: {0}")]
    Unmarked(#[source] std::io::Error),
}

/// A committed entry whose text matched a `csep memory why` search, with the
/// job that wrote it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Why {
    pub job_id: String,
    pub session_id: String,
    pub finished_at: String,
    pub reverted: bool,
    pub entry: super::apply::Evidenced,
}

/// The evidence of every committed entry of a bucket whose text holds `needle`
/// (case and spacing aside), newest job first.
pub fn why(home: &Home, bucket: Option<&str>, needle: &str) -> Vec<Why> {
    let want = super::evidence::fold(needle).0;
    let mut out = Vec::new();
    for (_, r) in list(home, bucket) {
        for e in &r.evidence {
            if super::evidence::fold(&e.entry).0.contains(&want) {
                out.push(Why {
                    job_id: r.job_id.clone(),
                    session_id: r.session_id.clone(),
                    finished_at: r.finished_at.clone(),
                    reverted: r.reverted_at.is_some(),
                    entry: e.clone(),
                });
            }
        }
    }
    out
}
