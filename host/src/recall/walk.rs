//! `bootstrap` and `sync-claude`: every transcript under a root, newest first.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::ingest::{BucketCache, Outcome};
use super::store::Store;
use crate::client::Client;

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
    /// Sessions removed with `csep recall forget`, left out.
    pub forgotten_sessions: usize,
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

/// Which transcripts an import reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Only those modified in the last N days; `None` for all.
    pub since_days: Option<u64>,
    /// Only the newest N.
    pub limit_files: Option<usize>,
    /// Show progress on stderr (only when it is a terminal).
    pub progress: bool,
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
    let o = ImportOptions {
        since_days,
        limit_files: None,
        progress: true,
    };
    bootstrap_with(store, root, client, &o, now)
}

/// [`bootstrap`] with every option: newest first, at most `limit_files` of them.
pub fn bootstrap_with(
    store: &mut Store,
    root: &Path,
    client: Client,
    o: &ImportOptions,
    now: SystemTime,
) -> BootstrapReport {
    let since = o
        .since_days
        .map(|d| now - Duration::from_secs(d.saturating_mul(86_400)));
    let mut files = transcripts(root, since);
    if let Some(n) = o.limit_files {
        files.truncate(n);
    }
    let mut report = BootstrapReport {
        root: root.to_path_buf(),
        ..BootstrapReport::default()
    };
    let mut progress = (o.progress && std::io::stderr().is_terminal())
        .then(|| Progress::new(files.len(), files.iter().map(|f| f.2).sum()));
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
                    Outcome::Skipped if r.forgotten => report.forgotten_sessions += 1,
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
        if let Some(p) = progress.as_mut() {
            p.step(i + 1, *len);
        }
    }
    if let Some(p) = progress {
        p.finish();
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

/// One line on a terminal's stderr, redrawn at most five times a second: files done,
/// the rate in MB/s and the time left at that rate.
struct Progress {
    files: usize,
    bytes: u64,
    done_bytes: u64,
    started: Instant,
    drawn: Option<Instant>,
}

impl Progress {
    fn new(files: usize, bytes: u64) -> Progress {
        Progress {
            files,
            bytes,
            done_bytes: 0,
            started: Instant::now(),
            drawn: None,
        }
    }

    fn step(&mut self, done: usize, len: u64) {
        self.done_bytes += len;
        let now = Instant::now();
        if self
            .drawn
            .is_some_and(|d| now.duration_since(d) < Duration::from_millis(200))
            && done < self.files
        {
            return;
        }
        self.drawn = Some(now);
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-3);
        let rate = self.done_bytes as f64 / secs;
        let left = self.bytes.saturating_sub(self.done_bytes) as f64 / rate.max(1.0);
        let _ = write!(
            std::io::stderr(),
            "\r\x1b[2Kindexing {done}/{} transcripts  {:.1} MB/s  {} left",
            self.files,
            rate / 1e6,
            clock(left)
        );
    }

    fn finish(self) {
        if self.drawn.is_some() {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// `1h02m`, `3m05s`, `12s`.
fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
