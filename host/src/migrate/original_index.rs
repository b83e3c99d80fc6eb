//! The original's recall index, `session_recall/state.db`. This project keeps its
//! own index (`recall/index.db`, filled by `csep recall bootstrap`) and never reads
//! the original's; it is removed only on request, and only once this project's
//! index holds sessions, so the user is never left with no searchable history.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::MigrateError;
use crate::home::Home;
use crate::path_error::PathError;
use crate::recall::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum IndexAction {
    /// There is no original index.
    Absent,
    /// It is there and stays (not asked to remove it).
    Kept {
        path: PathBuf,
        bytes: u64,
    },
    /// Asked to remove it, but this project's index holds no sessions yet.
    KeptUntilBootstrap {
        path: PathBuf,
        bytes: u64,
    },
    /// A dry run: it would be removed.
    Remove {
        path: PathBuf,
        bytes: u64,
    },
    Removed {
        path: PathBuf,
        bytes: u64,
    },
}

pub(super) fn original_path(home: &Home) -> PathBuf {
    home.original_recall_db()
}

fn size(path: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

/// The line `csep status` shows while the original's index is on disk.
pub fn original_index_notice(home: &Home) -> Option<String> {
    let path = original_path(home);
    path.is_file().then(|| {
        format!(
            "{} belongs to the original tool and is not read; `csep recall bootstrap` fills \
             this project's index, then `csep migrate --apply --remove-original-index` removes it",
            path.display()
        )
    })
}

/// Sessions in this project's index (0 when it does not exist).
fn sessions_indexed(home: &Home) -> Result<i64, MigrateError> {
    match Store::open_readonly(&home.recall_db()) {
        Ok(Some(store)) => store
            .counts()
            .map(|(sessions, _, _)| sessions)
            .map_err(MigrateError::Recall),
        Ok(None) => Ok(0),
        Err(e) => Err(MigrateError::Recall(e)),
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "removes the original tool's index once the user asks and csep's own index holds the sessions"
)]
pub fn act(home: &Home, remove: bool, apply: bool) -> Result<IndexAction, MigrateError> {
    let path = original_path(home);
    if !path.is_file() {
        return Ok(IndexAction::Absent);
    }
    let bytes = size(&path);
    if !remove {
        return Ok(IndexAction::Kept { path, bytes });
    }
    if sessions_indexed(home)? == 0 {
        return Ok(IndexAction::KeptUntilBootstrap { path, bytes });
    }
    if !apply {
        return Ok(IndexAction::Remove { path, bytes });
    }
    for suffix in ["-wal", "-shm", ""] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(PathError::new("removing", &p, e).into()),
        }
    }
    Ok(IndexAction::Removed { path, bytes })
}
