//! The recall index: its size, whether SQLite finds it sound, and any damage healed or
//! waiting to be.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::home::Home;
use crate::recall::heal::{self, Damage};
use crate::recall::{Integrity, Store};

/// Time given to `PRAGMA quick_check` before calling it unfinished.
const QUICK_CHECK_BUDGET: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
pub struct RecallHealth {
    pub path: PathBuf,
    pub exists: bool,
    /// What `doctor` judges: sound, damaged, or not known.
    pub health: IndexHealth,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest_errors: Option<i64>,
    /// The quick check's verdict in words (`ok`, `damaged: …`, `unfinished …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The index cannot be opened or read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A damaged index moved aside, with no completed rebuild since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damaged: Option<Damage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuild: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub damaged_files: Vec<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rebuild: Option<LastRebuild>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexHealth {
    /// No index yet: nothing archived.
    Missing,
    Sound,
    /// The quick check ran out of time on a large index, or could not run (a lock).
    Unchecked,
    /// Being rebuilt in the background after damage; search is partial until it ends.
    Rebuilding,
    Damaged,
}

/// From `rebuild.json`, what the last `csep recall rebuild` did.
#[derive(Debug, Serialize, Deserialize)]
pub struct LastRebuild {
    pub finished_at: Option<String>,
    pub transcripts: Option<u64>,
    pub new_sessions: Option<u64>,
    pub error_count: Option<u64>,
}

pub(super) fn collect(home: &Home) -> RecallHealth {
    let path = home.recall_db();
    let mut r = RecallHealth {
        path: path.clone(),
        exists: true,
        health: IndexHealth::Sound,
        sessions: None,
        messages: None,
        ingest_errors: None,
        integrity: None,
        bytes: None,
        error: None,
        damaged: None,
        rebuild: None,
        damaged_files: heal::damaged_files(&path),
        last_rebuild: std::fs::read(path.with_file_name(heal::REPORT))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok()),
    };
    match Store::open_readonly(&path) {
        Ok(None) => {
            r.exists = false;
            r.health = IndexHealth::Missing;
        }
        Ok(Some(store)) => {
            let (health, words) = match store.quick_check(QUICK_CHECK_BUDGET) {
                Ok(Integrity::Ok) => (IndexHealth::Sound, "ok".to_string()),
                Ok(Integrity::Unfinished) => (
                    IndexHealth::Unchecked,
                    "unfinished (a large index: checked for 2 s)".to_string(),
                ),
                Ok(Integrity::Damaged(why)) => (
                    IndexHealth::Damaged,
                    format!(
                        "damaged: {why}; run `csep recall rebuild` to move it aside and \
                         rebuild it from the transcripts on disk"
                    ),
                ),
                Err(e) => (
                    IndexHealth::Unchecked,
                    format!("not checked: {}", e.explain(&path)),
                ),
            };
            r.health = health;
            r.integrity = Some(words);
            match store.counts() {
                Ok((sessions, messages, errors)) => {
                    r.sessions = Some(sessions);
                    r.messages = Some(messages);
                    r.ingest_errors = Some(errors);
                    r.bytes = std::fs::metadata(&path).map(|m| m.len()).ok();
                }
                Err(e) => {
                    r.health = IndexHealth::Damaged;
                    r.error = Some(e.explain(&path));
                }
            }
        }
        Err(e) => {
            r.health = IndexHealth::Damaged;
            r.error = Some(e.explain(&path));
        }
    }
    let rebuilding = heal::rebuilding(&path);
    if let Some(damage) = heal::notice(&path) {
        r.damaged = Some(damage);
        if rebuilding {
            r.rebuild = Some(
                "running in the background: search covers only sessions archived since the \
                 damage until it ends",
            );
            if r.health != IndexHealth::Damaged {
                r.health = IndexHealth::Rebuilding;
            }
        } else {
            r.rebuild = Some("needed: run `csep recall rebuild`");
            r.health = IndexHealth::Damaged;
        }
    } else if rebuilding {
        r.rebuild = Some("running");
    }
    r
}
