//! The Stop hook's archive step. It never stops the hook: a damaged index is moved
//! aside and the session archived into a fresh one (a rebuild restores the rest in
//! the background); any other failure is named in the record and the policy runs.

use std::path::Path;

use super::log::HookRecord;
use crate::client::Client;
use crate::home::Home;
use crate::recall::heal;
use crate::recall::{BucketCache, IngestError, Outcome, ReadSince, Since, Store};

/// What the archive did, and what it read of the transcript from the caller's offset.
pub struct Archived {
    pub outcome: Outcome,
    /// The user asked to forget this session (`csep recall forget`).
    pub forgotten: bool,
    pub read: Option<ReadSince>,
}

/// Archives `transcript`, handing back what it read from `since` on; `None` when
/// it could not be archived (the record says why).
pub fn archive(
    home: &Home,
    transcript: &Path,
    client: Client,
    since: Since,
    now_ms: u64,
    record: &mut HookRecord,
) -> Option<Archived> {
    let db = home.recall_db();
    let mut store = match heal::open_or_heal(home, now_ms) {
        Ok((store, moved)) => {
            if let Some((to, why)) = moved {
                moved_aside(home, &db, &to, &why, record);
            }
            store
        }
        Err(e) => {
            fail(record, heal_message(&e, &db));
            return None;
        }
    };
    // Speed only: a connection that keeps flushing still archives.
    let _ = store.unflushed();
    let mut buckets = BucketCache::default();
    let done = |(report, read): (crate::recall::FileReport, Option<ReadSince>)| Archived {
        outcome: report.outcome,
        forgotten: report.forgotten,
        read,
    };
    match store.ingest_file_since(transcript, Some(client), &mut buckets, Some(since)) {
        Ok(r) => return Some(done(r)),
        Err(IngestError::Store(e)) if e.is_damage() => {
            drop(store);
            match heal::move_aside(&db, &e.to_string(), now_ms) {
                Ok(Some(to)) => moved_aside(home, &db, &to, &e.to_string(), record),
                // Healed by another process meanwhile: the retry below uses its index.
                Ok(None) => {}
                Err(h) => {
                    fail(record, heal_message(&h, &db));
                    return None;
                }
            }
        }
        Err(e) => {
            fail(record, ingest_message(&e, &db));
            return None;
        }
    }
    match Store::open(&db)
        .map_err(IngestError::from)
        .and_then(|mut s| {
            let _ = s.unflushed();
            s.ingest_file_since(
                transcript,
                Some(client),
                &mut BucketCache::default(),
                Some(since),
            )
        }) {
        Ok(r) => Some(done(r)),
        Err(e) => {
            fail(record, ingest_message(&e, &db));
            None
        }
    }
}

fn fail(record: &mut HookRecord, message: String) {
    record.ok = false;
    record.error = Some(format!("recall: {message} (the policy ran all the same)"));
}

fn ingest_message(e: &IngestError, db: &Path) -> String {
    match e {
        IngestError::Store(s) => s.explain(db),
        IngestError::Read(p) => match p.fault_fix() {
            Some(fix) => format!("{fix} ({e})"),
            None => e.to_string(),
        },
        IngestError::UnknownClient { .. } => e.to_string(),
    }
}

fn heal_message(e: &heal::HealError, db: &Path) -> String {
    match e {
        heal::HealError::Store(s) => s.explain(db),
        heal::HealError::Io(p) => match p.fault_fix() {
            Some(fix) => format!("{fix} ({e})"),
            None => e.to_string(),
        },
    }
}

/// Logs the move and starts a background rebuild.
fn moved_aside(home: &Home, db: &Path, to: &Path, why: &str, record: &mut HookRecord) {
    let rebuild = match heal::spawn_rebuild(home) {
        Ok(pid) => {
            format!("a rebuild from the transcripts on disk runs in the background (pid {pid})")
        }
        Err(e) => format!("the background rebuild did not start ({e})"),
    };
    record.problems.push(format!(
        "recall: the index {} was damaged ({why}) and was moved to {}; this session went \
         into a fresh index, {rebuild}; `csep recall rebuild` runs it in the foreground",
        db.display(),
        to.display()
    ));
}
