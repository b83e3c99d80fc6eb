//! Commits what a sandboxed reflection strategy wrote into staging copies of the
//! memory folder and the generated skills, under fixed rules.
//!
//! The strategy is untrusted, so nothing it wrote is taken as it is: [`plan`]
//! compares staging with the live folders and sorts every difference into
//! accepted or rejected, [`commit`] writes only the accepted changes (backing up
//! the old bytes first, every write atomic), and [`revert`] puts those old bytes
//! back. Every path is resolved one component at a time without following
//! symlinks, so nothing in staging or live can redirect a read or a write.

mod atomic;
mod commit;
mod diff;
mod gate;
mod nofollow;
mod plan;
mod revert;
mod rules;
mod similarity;
mod walk;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

use crate::path_error::PathError;

pub use atomic::TEMP_PREFIX;
pub use commit::{JOURNAL_NAME, commit, read_journal};
pub use gate::{Evidenced, GateInput, Gated, gate};
pub use plan::{keep_notes, plan};
pub use revert::revert;
pub use rules::SKILL_PREFIX;

/// Limits a job's changes must keep to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Most characters (not bytes) MEMORY.md may hold, since it is loaded into
    /// every session's context.
    pub memory_budget_chars: usize,
    /// Most bytes of any one new or changed file.
    pub max_file_bytes: u64,
    /// Most bytes of new content accepted from one job, all files together.
    pub max_total_bytes: u64,
    /// Most entries looked at in one staging tree; past it the area is dropped.
    pub max_files: usize,
    /// Most generated skill folders live once the job is committed.
    pub max_active_skills: usize,
    /// Whether a skill may hold `*.md` files beside its SKILL.md.
    pub allow_skill_extra_markdown: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            memory_budget_chars: 6000,
            max_file_bytes: 64 * 1024,
            max_total_bytes: 1024 * 1024,
            max_files: 500,
            max_active_skills: 20,
            allow_skill_extra_markdown: true,
        }
    }
}

/// Content check supplied by the caller (secret scanner, prompt-injection
/// screen): `Some((code, reason))` rejects the text, with `code` such as
/// `"secret"` or `"prompt-injection"` carried into [`Rejected::code`].
pub type TextCheck<'a> = &'a dyn Fn(&str) -> Option<(&'static str, String)>;

/// Which live folder a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Memory,
    Skills,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Memory => "memory",
            Area::Skills => "skills",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One file the plan accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub area: Area,
    /// Relative to the area's root, '/'-separated: `MEMORY.md`, `refs/a.md`,
    /// `csep-reflect-x/SKILL.md`.
    pub path: String,
    pub kind: ChangeKind,
    /// Hash of the live file when planned; `None` when it did not exist.
    pub before_sha256: Option<String>,
    /// Hash of the staging file; `None` for a deletion.
    pub after_sha256: Option<String>,
    /// Size of the new content (0 for a deletion).
    pub bytes: u64,
}

/// Machine-readable reasons for a rejection.
pub mod codes {
    pub const OUTSIDE_ALLOWED_PATHS: &str = "outside-allowed-paths";
    pub const SYMLINK: &str = "symlink";
    pub const SPECIAL_FILE: &str = "special-file";
    pub const NOT_MARKDOWN: &str = "not-markdown";
    pub const EXECUTABLE: &str = "executable";
    pub const TOO_LARGE: &str = "too-large";
    pub const MEMORY_OVER_BUDGET: &str = "memory-over-budget";
    pub const MEMORY_DELETE: &str = "memory-delete";
    pub const SKILL_PREFIX: &str = "skill-prefix";
    pub const SKILL_FRONTMATTER: &str = "skill-frontmatter";
    pub const NOT_UTF8: &str = "not-utf8";
    pub const TOO_MANY_FILES: &str = "too-many-files";
    pub const SKILL_CAP: &str = "skill-cap";
    pub const UNREADABLE: &str = "unreadable";
    /// The live folder has something other than a file where one would go.
    pub const LIVE_CONFLICT: &str = "live-conflict";
    pub const CHANGED_DURING_JOB: &str = "changed-during-job";
    /// `MEMORY.md` would lose lines while a ref change of the same job is refused.
    pub const NOTES_WOULD_BE_LOST: &str = "notes-would-be-lost";
}

/// A change (or a staging entry) that will not be committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub area: Area,
    pub path: String,
    /// A sentence for the user.
    pub reason: String,
    /// One of [`codes`], or the code a [`TextCheck`] returned.
    pub code: Cow<'static, str>,
}

impl Rejected {
    pub(crate) fn new(
        area: Area,
        path: impl Into<String>,
        code: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        Rejected {
            area,
            path: path.into(),
            reason: reason.into(),
            code: Cow::Borrowed(code),
        }
    }
}

/// Something worth telling the user about an accepted change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// `"near-duplicate"`.
    pub kind: Cow<'static, str>,
    pub area: Area,
    /// The new skill folder.
    pub path: String,
    /// The live skill folder it resembles.
    pub other: String,
    /// Highest of the similarity measures, 0.0..=1.0.
    pub score: f64,
    /// Which measures were high, for the user.
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Sorted by area then path.
    pub accepted: Vec<Change>,
    pub rejected: Vec<Rejected>,
    pub notes: Vec<Note>,
}

/// A file as the commit left it, with what is needed to undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedFile {
    pub area: Area,
    pub path: String,
    pub kind: ChangeKind,
    pub before_sha256: Option<String>,
    pub after_sha256: Option<String>,
    /// Permission bits of the replaced file, restored on revert.
    #[serde(default)]
    pub before_mode: Option<u32>,
}

/// A directory, named by area and relative path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AreaPath {
    pub area: Area,
    pub path: String,
}

/// A directory a commit removed, with its permission bits so a revert can
/// recreate it as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedDir {
    pub area: Area,
    pub path: String,
    pub mode: u32,
}

/// What a commit did; goes into the job's receipt.json and is what
/// [`revert`] takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committed {
    /// In the order they were written.
    pub files: Vec<CommittedFile>,
    pub rejected_at_commit: Vec<Rejected>,
    /// Directories the commit created (so revert can remove them when empty).
    #[serde(default)]
    pub created_dirs: Vec<AreaPath>,
    /// Directories the commit removed because a deletion left them empty.
    #[serde(default)]
    pub removed_dirs: Vec<RemovedDir>,
}

/// What a revert did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reverted {
    /// Put back from the backup.
    pub restored: Vec<AreaPath>,
    /// Files the job had added, now removed.
    pub removed: Vec<AreaPath>,
    /// Already holding the old content (a commit cut short, or a second revert).
    pub already_reverted: Vec<AreaPath>,
    /// Directories the job had created, removed because they were empty again.
    pub removed_dirs: Vec<AreaPath>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The path is `<area>/<path inside the area>`.
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("{what} the journal {file} in the backup folder: {source}", file = JOURNAL_NAME)]
    Journal {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error(
        "{area}/{path} was edited after the job committed (expected {expected}, found {found}); nothing was reverted"
    )]
    EditedSince {
        area: Area,
        path: String,
        expected: String,
        found: String,
    },
    #[error(
        "the backup of {area}/{path} does not hold the old content (expected {expected}, found {found})"
    )]
    BackupMismatch {
        area: Area,
        path: String,
        expected: String,
        found: String,
    },
    #[error("{area}/{path} is not a path a job may touch: {reason}")]
    NotAllowed {
        area: Area,
        path: String,
        reason: String,
    },
    #[error("{area}/{path} changed while the commit was writing it: {found}")]
    ChangedDuringCommit {
        area: Area,
        path: String,
        found: String,
    },
    #[error("the commit failed and the files it had written were restored: {source}")]
    RolledBack {
        #[source]
        source: Box<ApplyError>,
    },
    #[error(
        "the commit failed ({source}) and restoring the files it had written failed too ({rollback}); the backup folder and its journal hold the old files"
    )]
    RollbackFailed {
        #[source]
        source: Box<ApplyError>,
        rollback: Box<ApplyError>,
    },
}

impl ApplyError {
    pub(crate) fn io(what: &'static str, area: Area, path: &str, source: io::Error) -> Self {
        let shown = std::path::PathBuf::from(format!("{area}/{path}"));
        ApplyError::Io(PathError::new(what, &shown, source))
    }
}
