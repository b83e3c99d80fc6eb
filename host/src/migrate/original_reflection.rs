//! The original tool's reflection records in `session_reflection/`: its job files,
//! its run folders (prompts, receipts, validation), `latest.json`, child-thread
//! records, its global lock and its trigger state. This project neither runs nor
//! reads them; they are moved, as they are, to `session_reflection/csep1/`, out of
//! the way of this project's own records and never pruned.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::MigrateError;
use super::memory_merge::Backups;
use crate::home::Home;
use crate::jobs;
use crate::path_error::{AtPath, PathError};
use crate::reflect::history;

/// Where the records go, under `session_reflection/`.
pub const ASIDE: &str = "csep1";

/// Folders of `session_reflection/` only the original used.
const ORIGINAL_FOLDERS: [&str; 3] = ["child_threads", "locks", "triggers"];

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReflectionAside {
    /// What is (or would be) moved, relative to `session_reflection/`.
    pub moved: Vec<String>,
    /// The folder they go to.
    pub to: PathBuf,
}

/// The original's records in `session_reflection/`, relative to it.
pub fn find(home: &Home) -> Vec<PathBuf> {
    let root = home.reflection_dir();
    let mut found = Vec::new();
    let names = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        v.sort();
        v
    };
    for name in names(&home.jobs_dir()) {
        let path = home.jobs_dir().join(&name);
        if name.ends_with(".json")
            && std::fs::read(&path).is_ok_and(|b| jobs::written_by_original(&b))
        {
            found.push(PathBuf::from("jobs").join(name));
        }
    }
    for name in names(&home.runs_dir()) {
        let dir = home.runs_dir().join(&name);
        if dir.is_dir() && history::is_original_run(&dir) {
            found.push(PathBuf::from("runs").join(name));
        }
    }
    if std::fs::read(root.join("latest.json")).is_ok_and(|b| jobs::written_by_original(&b)) {
        found.push(PathBuf::from("latest.json"));
    }
    for folder in ORIGINAL_FOLDERS {
        if root.join(folder).is_dir() {
            found.push(PathBuf::from(folder));
        }
    }
    found
}

/// What `csep status` says while the original's records are still in the way.
pub fn notice(home: &Home) -> Option<String> {
    let found = find(home);
    (!found.is_empty()).then(|| {
        format!(
            "{} of the original tool's reflection records (job files, runs, trigger state) are in \
             {} and are neither run nor read; `csep migrate --apply` moves them to {}/",
            found.len(),
            home.reflection_dir().display(),
            ASIDE
        )
    })
}

/// Moves the original's records aside when applying; reports them either way.
#[expect(
    clippy::disallowed_methods,
    reason = "moves the original tool's records aside by renaming them; each move is recorded for --undo"
)]
pub fn act(
    home: &Home,
    apply: bool,
    backups: &mut Backups,
) -> Result<ReflectionAside, MigrateError> {
    let root = home.reflection_dir();
    let to_root = root.join(ASIDE);
    let found = find(home);
    if apply {
        for rel in &found {
            let from = root.join(rel);
            let to = to_root.join(rel);
            if to.exists() {
                // Moved by an earlier run whose copy is still there: keep both.
                continue;
            }
            let parent = to.parent().unwrap_or(&to_root).to_path_buf();
            crate::fs_authority::create_private_dir_all(&parent).at("creating", &parent)?;
            std::fs::rename(&from, &to).map_err(|e| PathError::new("moving", &from, e))?;
            backups.renamed(&from, &to)?;
        }
    }
    Ok(ReflectionAside {
        moved: found.iter().map(|p| p.display().to_string()).collect(),
        to: to_root,
    })
}
