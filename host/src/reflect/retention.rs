//! What the state folder keeps and for how long: run folders by what their job
//! did (a change stays revertible for `receipts_days`), finished job files, the
//! trigger state of sessions long gone. Pruning runs from the worker at most once
//! an hour (a stamp file) and from `csep session-reflect --prune`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::history;
use super::receipt::{self, Receipt, ReceiptError};
use crate::config::Config;
use crate::filelock::FileLock;
use crate::fs_authority;
use crate::home::Home;
use crate::jobs::{self, JobQueue};

/// How often the worker prunes on its own.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);
const STAMP: &str = "prune.stamp";
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

pub use crate::config::RetentionConfig;

/// Bytes and files under a folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Size {
    pub bytes: u64,
    pub files: u64,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.bytes += other.bytes;
        self.files += other.files;
    }
}

/// Measures `path` without following symlinks; stops counting once past either
/// maximum (the result is then just above it).
pub fn measure(path: &Path, max_bytes: u64, max_files: u64) -> Size {
    let mut size = Size::default();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                size.files += 1;
                size.bytes += meta.len();
            }
            if size.bytes > max_bytes || size.files > max_files {
                return size;
            }
        }
    }
    size
}

/// The state folder's size by part, as `csep status` shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StateSize {
    pub total: Size,
    /// `runs`, `jobs`, `recall`, `cache`, `logs`, `projects`, `triggers`, `other`.
    pub parts: BTreeMap<&'static str, Size>,
}

pub fn state_size(home: &Home) -> StateSize {
    let root = home.root();
    let parts: [(&'static str, PathBuf); 7] = [
        ("runs", history::runs_path(home)),
        ("jobs", JobQueue::jobs_path(home)),
        ("recall", home.recall_dir()),
        ("cache", home.cache_dir()),
        ("logs", home.logs_dir()),
        ("projects", home.projects()),
        ("triggers", home.triggers()),
    ];
    let mut out = StateSize::default();
    for (name, path) in &parts {
        let size = measure(path, u64::MAX, u64::MAX);
        out.total.add(size);
        out.parts.insert(name, size);
    }
    let all = measure(root, u64::MAX, u64::MAX);
    out.parts.insert(
        "other",
        Size {
            bytes: all.bytes.saturating_sub(out.total.bytes),
            files: all.files.saturating_sub(out.total.files),
        },
    );
    out.total = all;
    out
}

/// What one prune removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    /// Whole run folders removed.
    pub runs: usize,
    /// Run folders that lost their session copy or staging only.
    pub runs_cleared: usize,
    pub jobs: usize,
    pub triggers: usize,
    pub bytes: u64,
}

/// Prunes when the last prune is older than [`PRUNE_EVERY`]; best effort (a
/// worker must not fail for it). Returns what it removed, if it ran.
pub fn prune_if_due(home: &Home, config: &Config, now_ms: u64) -> Option<Pruned> {
    let dir_path = home.reflection_dir();
    let dir = fs_authority::open_dir(&dir_path).ok()?;
    let due = match dir.metadata(STAMP).and_then(|m| m.modified()) {
        Ok(at) => at
            .into_std()
            .elapsed()
            .map(|age| age >= PRUNE_EVERY)
            .unwrap_or(true),
        Err(_) => true,
    };
    if !due {
        return None;
    }
    let _lock = FileLock::try_acquire(&dir, "prune.lock").ok()??;
    fs_authority::write_atomic(&dir, STAMP, now_ms.to_string().as_bytes()).ok()?;
    prune(home, &config.retention, now_ms).ok()
}

/// Removes what the retention settings no longer keep.
pub fn prune(home: &Home, keep: &RetentionConfig, now_ms: u64) -> io::Result<Pruned> {
    let mut out = Pruned::default();
    let queue = JobQueue::open_existing(home).map_err(io::Error::other)?;
    prune_runs(home, queue.as_ref(), keep, now_ms, &mut out);
    if let Some(queue) = &queue {
        prune_jobs(queue, keep, now_ms, &mut out);
    }
    prune_triggers(home, keep, now_ms, &mut out);
    Ok(out)
}

fn age_ms(path: &Path, now_ms: u64) -> Option<u64> {
    let modified = std::fs::symlink_metadata(path).ok()?.modified().ok()?;
    let at = modified.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    Some(now_ms.saturating_sub(at.as_millis() as u64))
}

fn remove_tree(path: &Path, out: &mut Pruned) -> bool {
    let size = measure(path, u64::MAX, u64::MAX);
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    // Through the parent's handle: a symlink is removed, never followed.
    if fs_authority::open_dir(parent)
        .and_then(|d| d.remove_dir_all(name))
        .is_ok()
    {
        out.bytes += size.bytes;
        true
    } else {
        false
    }
}

/// A run is kept while its job may still use it; then by what it did: a change
/// (revertible) for `receipts_days`, nothing changed for `unchanged_days`, a
/// failure for `failed_days`. Session copies and staging of finished jobs go.
fn prune_runs(
    home: &Home,
    queue: Option<&JobQueue>,
    keep: &RetentionConfig,
    now_ms: u64,
    out: &mut Pruned,
) {
    let runs = history::runs_path(home);
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(id) = entry.file_name().into_string() else {
            continue;
        };
        let run = runs.join(&id);
        if !jobs::valid_id(&id) || !run.is_dir() {
            continue;
        }
        // A job a worker may still take keeps its run as it is.
        let job = queue.and_then(|q| q.read(&id).ok());
        if job.as_ref().is_some_and(|j| j.status.is_open())
            || queue.is_some_and(|q| q.is_claimed(&id))
        {
            continue;
        }
        let receipt_path = run.join(receipt::FILE);
        // The original tool's runs are not this project's to prune.
        let (days, age) = if receipt_path.exists() {
            let changed = match Receipt::read(&run) {
                Err(ReceiptError::Original { .. }) => continue,
                Ok(r) => !r.accepted.is_empty(),
                Err(_) => true,
            };
            let days = if changed {
                keep.receipts_days
            } else {
                keep.unchanged_days
            };
            (days, age_ms(&receipt_path, now_ms))
        } else if run.join("backup").join(super::apply::JOURNAL_NAME).exists() {
            // A commit without its receipt (cut short, or undone): its backup may
            // be the only copy of the old files, kept as long as a change would be.
            (keep.receipts_days, age_ms(&run, now_ms))
        } else if history::has_original_files(&run) {
            continue;
        } else {
            (keep.failed_days, age_ms(&run, now_ms))
        };
        if age.is_some_and(|a| a >= days.saturating_mul(DAY_MS)) {
            if remove_tree(&run, out) {
                out.runs += 1;
            }
            continue;
        }
        let failed = !receipt_path.exists();
        let mut cleared = false;
        for sub in ["staging", "session"] {
            if sub == "session" && failed {
                continue;
            }
            let p = run.join(sub);
            if p.exists() {
                cleared |= remove_tree(&p, out);
            }
        }
        if cleared {
            out.runs_cleared += 1;
        }
    }
}

/// Finished job files (and their lock files) older than `jobs_days`.
fn prune_jobs(queue: &JobQueue, keep: &RetentionConfig, now_ms: u64, out: &mut Pruned) {
    let Ok(dir) = fs_authority::open_dir(queue.path()) else {
        return;
    };
    for job in queue.list().into_iter().flatten() {
        let path = queue.path().join(format!("{}.json", job.job_id));
        let old = age_ms(&path, now_ms).is_some_and(|a| a >= keep.jobs_days.saturating_mul(DAY_MS));
        if job.status.is_open() || !old {
            continue;
        }
        // Held while removed: a worker cannot be holding it meanwhile.
        let lock_name = format!("{}.lock", job.job_id);
        let Ok(Some(_lock)) = FileLock::try_acquire(&dir, &lock_name) else {
            continue;
        };
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if dir.remove_file(format!("{}.json", job.job_id)).is_ok() {
            out.jobs += 1;
            out.bytes += bytes;
        }
        let _ = dir.remove_file(&lock_name);
    }
}

/// Trigger state of sessions whose last Stop is older than `triggers_days`.
fn prune_triggers(home: &Home, keep: &RetentionConfig, now_ms: u64, out: &mut Pruned) {
    let root = home.triggers();
    let Ok(entries) = std::fs::read_dir(&root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let state = path.join("state.json");
        let newest = [age_ms(&state, now_ms), age_ms(&path, now_ms)]
            .into_iter()
            .flatten()
            .min();
        if newest.is_none_or(|a| a < keep.triggers_days.saturating_mul(DAY_MS)) {
            continue;
        }
        let Ok(dir) = fs_authority::open_dir(&path) else {
            continue;
        };
        // A Stop hook of this session holding its lock keeps it.
        let Ok(Some(_lock)) = FileLock::try_acquire(&dir, "lock") else {
            continue;
        };
        if remove_tree(&path, out) {
            out.triggers += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path, days: u64) {
        let t = SystemTime::now() - Duration::from_secs(days * 86_400);
        let f = std::fs::File::open(path).unwrap();
        f.set_modified(t).unwrap();
    }

    #[test]
    fn measuring_stops_past_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        for i in 0..10 {
            std::fs::write(tmp.path().join(format!("a/b/{i}")), "0123456789").unwrap();
        }
        assert_eq!(
            measure(tmp.path(), u64::MAX, u64::MAX),
            Size {
                bytes: 100,
                files: 10
            }
        );
        assert!(measure(tmp.path(), 25, u64::MAX).bytes <= 30);
        assert_eq!(measure(tmp.path(), u64::MAX, 3).files, 4);
    }

    #[test]
    fn old_trigger_state_goes_and_recent_state_stays() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path());
        for (name, days) in [("old", 40), ("new", 2)] {
            let d = tmp.path().join("triggers").join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("state.json"), "{}").unwrap();
            age(&d.join("state.json"), days);
            age(&d, days);
        }
        let p = prune(&home, &RetentionConfig::default(), crate::timefmt::now_ms()).unwrap();
        assert_eq!(p.triggers, 1);
        assert!(!tmp.path().join("triggers/old").exists());
        assert!(tmp.path().join("triggers/new").exists());
    }
}
