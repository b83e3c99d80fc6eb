//! `bootstrap` and `sync-claude`: every transcript under a root, newest first.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::ingest::{BucketCache, Outcome};
use super::store::Store;
use crate::transcript::Client;

#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    pub path: PathBuf,
    pub error: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BootstrapReport {
    pub root: PathBuf,
    pub processed_files: usize,
    pub new_sessions: usize,
    pub updated_sessions: usize,
    pub unchanged_sessions: usize,
    pub skipped_sessions: usize,
    pub new_messages: usize,
    pub redactions: usize,
    pub bytes: u64,
    pub error_count: usize,
    pub errors: Vec<FileError>,
}

/// Every `*.jsonl` under `root` (symlinks not followed), newest first.
fn transcripts(root: &Path, since: Option<SystemTime>) -> Vec<(PathBuf, SystemTime, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
                let Ok(meta) = entry.metadata() else { continue };
                let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                if since.is_none_or(|s| mtime >= s) {
                    out.push((path, mtime, meta.len()));
                }
            }
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    out
}

/// Ingests every transcript under `root` modified in the last `since_days` days
/// (all of them when `None`). One bad file is recorded and skipped.
pub fn bootstrap(
    store: &mut Store,
    root: &Path,
    client: Client,
    since_days: Option<u64>,
    now: SystemTime,
) -> BootstrapReport {
    let since = since_days.map(|d| now - Duration::from_secs(d.saturating_mul(86_400)));
    let files = transcripts(root, since);
    let mut report = BootstrapReport {
        root: root.to_path_buf(),
        ..BootstrapReport::default()
    };
    let progress = std::io::stderr().is_terminal();
    let mut buckets = BucketCache::default();
    let now_ms = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    // Batches of about this many transcript bytes commit together.
    const BATCH_BYTES: u64 = 8 << 20;
    let mut batched = 0u64;
    for (i, (path, _, len)) in files.iter().enumerate() {
        if !store.in_batch && store.begin_batch().is_err() {
            batched = 0;
        }
        report.processed_files += 1;
        match store.ingest_file(path, Some(client), &mut buckets) {
            Ok(r) => {
                match r.outcome {
                    Outcome::New => report.new_sessions += 1,
                    Outcome::Updated => report.updated_sessions += 1,
                    Outcome::Unchanged => report.unchanged_sessions += 1,
                    Outcome::Skipped => report.skipped_sessions += 1,
                }
                if r.outcome != Outcome::Unchanged {
                    report.bytes += len;
                }
                report.new_messages += r.new_messages;
                report.redactions += r.redactions;
            }
            Err(e) => {
                let error = e.to_string();
                let _ = store.record_error(path, &error, now_ms);
                report.errors.push(FileError {
                    path: path.clone(),
                    error,
                });
            }
        }
        batched += len;
        if store.in_batch && (batched >= BATCH_BYTES || i + 1 == files.len()) {
            if let Err(e) = store.end_batch() {
                report.errors.push(FileError {
                    path: path.clone(),
                    error: e.to_string(),
                });
            }
            batched = 0;
        }
        if progress && (i % 50 == 0 || i + 1 == files.len()) {
            let _ = write!(
                std::io::stderr(),
                "\rindexing {}/{} transcripts",
                i + 1,
                files.len()
            );
        }
    }
    if progress && !files.is_empty() {
        let _ = writeln!(std::io::stderr());
    }
    if report.new_messages > 0
        && let Err(e) = store.optimize()
    {
        report.errors.push(FileError {
            path: root.to_path_buf(),
            error: e.to_string(),
        });
    }
    report.error_count = report.errors.len();
    report
}
