//! Ingest of one transcript file: the same code for the Stop hook, `bootstrap` and
//! `sync-claude`. An unchanged file costs a `stat` and one lookup; a grown file is
//! read from where the last ingest stopped; a rewritten file is read again.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::own;
use super::store::{Store, StoreError, sql};
use super::tokens::{
    BACKGROUND_ROLE, BACKGROUND_TOKEN, cjk_pairs, has_cjk, message_scope, scope_tokens,
};
use crate::bucket::Bucket;
use crate::client::Client;
use crate::hash::sha256_hex;
use crate::path_error::{AtPath, PathError};
use crate::redact::{self, Redactions};
use crate::transcript::{self, Message, Role};

/// Bytes at the head of a file whose hash tells an append from a rewrite.
const HEAD_BYTES: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    New,
    Updated,
    Unchanged,
    /// Never indexed: the reflection worker's own session, or one removed with
    /// `csep recall forget` ([`FileReport::forgotten`]).
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub outcome: Outcome,
    pub session_id: Option<String>,
    pub new_messages: usize,
    pub redactions: usize,
    pub corrupt_lines: u64,
    pub unknown_lines: u64,
    pub oversized_lines: u64,
    /// The file was rewritten, not appended to, and was read again from the start.
    pub reread: bool,
    /// Skipped because its session was forgotten (`csep recall forget`).
    pub forgotten: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Read(#[from] PathError),
    #[error("{}: not a Codex or Claude Code transcript", path.display())]
    UnknownClient { path: PathBuf },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One file's writes: a savepoint inside the caller's batch, or a transaction of its
/// own taken with the write lock up front (`BEGIN IMMEDIATE`: a deferred one would fail
/// with "database is locked" when upgrading under a concurrent writer). Dropped
/// without `commit`, it undoes what the file wrote.
struct Writing<'a> {
    conn: &'a Connection,
    own: bool,
    done: bool,
}

impl<'a> Writing<'a> {
    fn begin(conn: &'a Connection, own: bool) -> Result<Writing<'a>, StoreError> {
        if own {
            conn.execute_batch("BEGIN IMMEDIATE")
                .map_err(sql("starting an ingest"))?;
        }
        if let Err(e) = conn.execute_batch("SAVEPOINT ingest_file") {
            if own {
                let _ = conn.execute_batch("ROLLBACK");
            }
            return Err(sql("starting an ingest")(e));
        }
        Ok(Writing {
            conn,
            own,
            done: false,
        })
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("RELEASE ingest_file")
            .map_err(sql("committing an ingest"))?;
        self.done = true;
        if self.own {
            self.conn
                .execute_batch("COMMIT")
                .map_err(sql("committing an ingest"))?;
        }
        Ok(())
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self
                .conn
                .execute_batch("ROLLBACK TO ingest_file; RELEASE ingest_file");
            if self.own {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
        }
    }
}

/// What the files table knows of a transcript.
struct Known {
    id: i64,
    client: String,
    session: Option<i64>,
    size: u64,
    mtime_ns: i64,
    inode: u64,
    offset: u64,
    head: String,
    skipped: Option<String>,
    response_items: bool,
}

/// Where a caller's own reading of a transcript stands (the trigger policy's), so
/// the ingest that archives the file hands back what it read from there on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Since {
    pub offset: u64,
    /// Codex: the file was seen to hold response items before `offset`.
    pub response_items: bool,
}

/// The messages of a transcript from a caller's offset on, from the same pass that
/// archived them: one read of the file serves both.
#[derive(Debug, Default)]
pub struct ReadSince {
    /// Where `messages` begin: the caller's offset, or 0 when the file was replaced.
    pub start: u64,
    /// Messages from `start` on, in file order.
    pub messages: Vec<Message>,
    /// Where the next read starts.
    pub end_offset: u64,
    /// What the lines read said of the session.
    pub meta: transcript::SessionMeta,
    /// The session's working directory as its transcript names it (from the index
    /// when the lines read did not say).
    pub cwd: Option<String>,
}

/// Reads `path` from `since` on without touching the index: for a file the index
/// already holds, or a Stop whose index could not be opened.
pub fn read_since(path: &Path, client: Client, since: Since) -> Result<ReadSince, IngestError> {
    let mut file = File::open(path).at("cannot read", path)?;
    let size = file.metadata().at("cannot read", path)?.len();
    let since = if since.offset > size {
        Since::default() // the file was replaced by a shorter one
    } else {
        since
    };
    file.seek(SeekFrom::Start(since.offset))
        .at("cannot read", path)?;
    let seed = transcript::SessionMeta {
        response_items: since.response_items,
        ..transcript::SessionMeta::default()
    };
    let reader = BufReader::with_capacity(256 * 1024, file);
    let chunk =
        transcript::read_continue(client, reader, since.offset, seed).at("cannot read", path)?;
    Ok(ReadSince {
        start: since.offset,
        messages: chunk.messages,
        end_offset: chunk.end_offset,
        cwd: chunk.meta.cwd.clone(),
        meta: chunk.meta,
    })
}

/// Resolving a bucket reads `.git` files; a bootstrap sees the same cwd many times.
#[derive(Default)]
pub struct BucketCache(HashMap<String, Bucket>);

impl BucketCache {
    fn get(&mut self, cwd: &str) -> Bucket {
        self.0
            .entry(cwd.to_string())
            .or_insert_with(|| Bucket::resolve(Path::new(cwd)))
            .clone()
    }
}

fn head_hash(file: &mut File, upto: u64) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(upto.min(HEAD_BYTES) as usize);
    file.seek(SeekFrom::Start(0))?;
    file.by_ref()
        .take(upto.min(HEAD_BYTES))
        .read_to_end(&mut buf)?;
    Ok(sha256_hex(&buf))
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(meta.mtime_nsec())
}

/// The session id a file names, for transcripts whose first lines were not read
/// this time: Codex `rollout-<date>-<uuid>.jsonl`, Claude `<uuid>.jsonl`.
fn id_from_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let parts: Vec<&str> = stem.split('-').collect();
    if stem.starts_with("rollout-") && parts.len() >= 8 {
        Some(parts[parts.len() - 5..].join("-"))
    } else {
        Some(stem.to_string())
    }
}

impl Store {
    fn known(&self, path: &str) -> Result<Option<Known>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id, session, size, mtime_ns, inode, offset, head, skipped, client,
                        response_items
                 FROM files WHERE path = ?1",
            )
            .and_then(|mut st| {
                st.query_row([path], |r| {
                    Ok(Known {
                        id: r.get(0)?,
                        session: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                        mtime_ns: r.get(3)?,
                        inode: r.get::<_, i64>(4)? as u64,
                        offset: r.get::<_, i64>(5)? as u64,
                        head: r.get(6)?,
                        skipped: r.get(7)?,
                        client: r.get(8)?,
                        response_items: r.get(9)?,
                    })
                })
                .optional()
            })
            .map_err(sql("looking up a transcript file"))
    }

    /// Ingests what is new in one transcript. `client` is detected when `None`.
    pub fn ingest_file(
        &mut self,
        path: &Path,
        client: Option<Client>,
        buckets: &mut BucketCache,
    ) -> Result<FileReport, IngestError> {
        self.ingest_file_since(path, client, buckets, None)
            .map(|(report, _)| report)
    }

    /// [`Store::ingest_file`], handing back the messages from `since` on (read in the
    /// same pass; `None` for a reflection worker's own session, never indexed).
    pub fn ingest_file_since(
        &mut self,
        path: &Path,
        client: Option<Client>,
        buckets: &mut BucketCache,
        since: Option<Since>,
    ) -> Result<(FileReport, Option<ReadSince>), IngestError> {
        // Another process may ingest the same file at once: the plan is re-checked
        // under the write lock, and made again if the other one got there first.
        for _ in 0..3 {
            if let Some(done) = self.try_ingest(path, client, buckets, since)? {
                return Ok(done);
            }
        }
        Err(IngestError::Store(StoreError::Sql {
            what: "ingesting a file that keeps changing under concurrent writers",
            source: rusqlite::Error::InvalidQuery,
        }))
    }

    fn try_ingest(
        &mut self,
        path: &Path,
        client: Option<Client>,
        buckets: &mut BucketCache,
        since: Option<Since>,
    ) -> Result<Option<(FileReport, Option<ReadSince>)>, IngestError> {
        let key = path.to_string_lossy().into_owned();
        // A forgotten session is not read again (its file is not recorded either).
        if let Some(id) = id_from_name(path)
            && self.is_forgotten(&id)
        {
            let report = FileReport {
                path: path.to_path_buf(),
                outcome: Outcome::Skipped,
                session_id: None,
                new_messages: 0,
                redactions: 0,
                corrupt_lines: 0,
                unknown_lines: 0,
                oversized_lines: 0,
                reread: false,
                forgotten: true,
            };
            return Ok(Some((report, None)));
        }
        let meta = std::fs::metadata(path).at("cannot read", path)?;
        let (size, mtime, inode) = (meta.len(), mtime_ns(&meta), meta.ino());
        // A caller ahead of the file's end read a file since replaced by a shorter one.
        let since = since.map(|s| if s.offset > size { Since::default() } else { s });
        let known = self.known(&key)?;
        let mut report = FileReport {
            path: path.to_path_buf(),
            outcome: Outcome::Unchanged,
            session_id: None,
            new_messages: 0,
            redactions: 0,
            corrupt_lines: 0,
            unknown_lines: 0,
            oversized_lines: 0,
            reread: false,
            forgotten: false,
        };
        if let Some(k) = &known
            && k.size == size
            && k.mtime_ns == mtime
            && k.inode == inode
        {
            report.outcome = if k.skipped.is_some() {
                Outcome::Skipped
            } else {
                Outcome::Unchanged
            };
            report.session_id = self.session_id_of(k.session)?;
            let read = match (since, &k.skipped) {
                (Some(s), None) => Some(self.read_unchanged(path, client, k, s)?),
                _ => None,
            };
            return Ok(Some((report, read)));
        }

        let mut file = File::open(path).at("cannot read", path)?;
        let start = match &known {
            Some(k)
                if k.inode == inode
                    && size >= k.offset
                    && head_hash(&mut file, k.offset).at("cannot read", path)? == k.head =>
            {
                k.offset
            }
            Some(_) => {
                report.reread = true;
                0
            }
            None => 0,
        };
        let client = match client.or_else(|| known.as_ref().and_then(|k| k.client.parse().ok())) {
            Some(c) => c,
            None => {
                let mut first = Vec::new();
                file.seek(SeekFrom::Start(0)).at("cannot read", path)?;
                (&mut file)
                    .take(64 * 1024)
                    .read_to_end(&mut first)
                    .at("cannot read", path)?;
                let line = first.split(|b| *b == b'\n').next().unwrap_or(&[]);
                transcript::detect_client(path, line).ok_or_else(|| IngestError::UnknownClient {
                    path: path.to_path_buf(),
                })?
            }
        };
        // One pass serves the index (from `start`) and the caller (from its offset):
        // it begins at the earlier of the two.
        let from = since.map_or(start, |s| s.offset.min(start));
        file.seek(SeekFrom::Start(from)).at("cannot read", path)?;
        // What earlier chunks established carries over to a later one.
        let seed = match &known {
            Some(k) if from > 0 => transcript::SessionMeta {
                id: self.session_id_of(k.session)?,
                response_items: k.response_items || since.is_some_and(|s| s.response_items),
                ..transcript::SessionMeta::default()
            },
            _ => transcript::SessionMeta {
                response_items: from > 0 && since.is_some_and(|s| s.response_items),
                ..transcript::SessionMeta::default()
            },
        };
        let reader = BufReader::with_capacity(256 * 1024, &mut file);
        let mut chunk =
            transcript::read_continue(client, reader, from, seed).at("cannot read", path)?;
        // Messages are in file order; the index takes those from `start` on. (Lines
        // before `start` read for the caller are counted in the stats again.)
        let first_new = chunk.messages.partition_point(|m| m.offset < start);
        let fresh = &chunk.messages[first_new..];
        let head = head_hash(&mut file, chunk.end_offset).at("cannot read", path)?;
        report.corrupt_lines = chunk.stats.corrupt;
        report.unknown_lines = chunk.stats.unknown;
        report.oversized_lines = chunk.stats.oversized;

        let mut guard = Writing::begin(&self.conn, !self.in_batch)?;
        let tx = guard.conn;
        let now = known_now(tx, &key)?;
        let same_plan = match (&known, &now) {
            (None, None) => true,
            (Some(a), Some((offset, head_now))) => a.offset == *offset && a.head == *head_now,
            _ => false,
        };
        if !same_plan {
            return Ok(None); // the guard rolls back
        }

        let skipped = known.as_ref().and_then(|k| k.skipped.clone()).or_else(|| {
            (start == 0 && own::is_reflection_session(&chunk.meta, &chunk.messages))
                .then(|| own::REFLECTION.to_string())
        });
        let named = chunk.meta.id.clone().or_else(|| id_from_name(path));
        if skipped.is_none()
            && let Some(id) = &named
            && self.is_forgotten(id)
        {
            // Forgotten: nothing of it is written, not even the file's row.
            drop(guard);
            report.outcome = Outcome::Skipped;
            report.forgotten = true;
            return Ok(Some((report, None)));
        }
        let file_session = known.as_ref().and_then(|k| k.session);
        let mut session_row = if report.reread { None } else { file_session };
        let mut new_session = false;

        if skipped.is_none() {
            let session_id = chunk
                .meta
                .id
                .clone()
                .or_else(|| session_id_in(tx, file_session))
                .or_else(|| id_from_name(path));
            if let Some(sid) = &session_id
                && (!fresh.is_empty() || chunk.meta.id.is_some())
            {
                let (row, created) = upsert_session(tx, client, sid, &chunk.meta, buckets)?;
                new_session = created;
                if report.reread
                    && let Some(old) = file_session
                {
                    tx.execute(
                        "DELETE FROM messages WHERE session = ?1 AND file = ?2",
                        params![old, known.as_ref().map(|k| k.id)],
                    )
                    .map_err(sql("removing the messages of a rewritten file"))?;
                    refresh_count(tx, old)?;
                }
                session_row = Some(row);
            }
            report.session_id = session_id;
        }

        let file_id = upsert_file(
            tx,
            &key,
            client,
            session_row,
            (size, mtime, inode),
            chunk.end_offset,
            &head,
            &chunk.stats,
            chunk.meta.response_items,
            skipped.as_deref(),
        )?;

        if let (None, Some(session)) = (&skipped, session_row) {
            let mut total = Redactions::default();
            let n = insert_messages(tx, session, file_id, fresh, &mut total)?;
            let ended = fresh.iter().filter_map(|m| m.at_ms).max();
            tx.execute(
                "UPDATE sessions SET message_count = message_count + ?2,
                     redactions = redactions + ?3,
                     ended_ms = MAX(COALESCE(ended_ms, 0), COALESCE(?4, 0))
                 WHERE id = ?1",
                params![
                    session,
                    n as i64,
                    total.total as i64,
                    ended.map(|v| v as i64)
                ],
            )
            .map_err(sql("updating a session"))?;
            report.new_messages = n;
            report.redactions = total.total;
        }
        guard.commit()?;

        report.outcome = if skipped.is_some() {
            Outcome::Skipped
        } else if new_session {
            Outcome::New
        } else if report.new_messages > 0 || report.reread {
            Outcome::Updated
        } else {
            Outcome::Unchanged
        };
        let read = match (since, skipped) {
            (Some(s), None) => {
                let s = if report.reread { Since::default() } else { s };
                let messages = chunk
                    .messages
                    .split_off(chunk.messages.partition_point(|m| m.offset < s.offset));
                let cwd = match chunk.meta.cwd.clone() {
                    Some(cwd) => Some(cwd),
                    None => self.session_cwd(session_row)?,
                };
                Some(ReadSince {
                    start: s.offset,
                    messages,
                    end_offset: chunk.end_offset,
                    meta: chunk.meta,
                    cwd,
                })
            }
            _ => None,
        };
        Ok(Some((report, read)))
    }

    /// The caller's part of a file the index holds whole: read from its offset, or
    /// nothing when it is at the end already.
    fn read_unchanged(
        &self,
        path: &Path,
        client: Option<Client>,
        known: &Known,
        since: Since,
    ) -> Result<ReadSince, IngestError> {
        let cwd = self.session_cwd(known.session)?;
        if since.offset >= known.offset {
            return Ok(ReadSince {
                start: since.offset,
                end_offset: since.offset,
                meta: transcript::SessionMeta {
                    response_items: since.response_items || known.response_items,
                    ..transcript::SessionMeta::default()
                },
                cwd,
                ..ReadSince::default()
            });
        }
        let client = client
            .or_else(|| known.client.parse().ok())
            .ok_or_else(|| IngestError::UnknownClient {
                path: path.to_path_buf(),
            })?;
        let since = Since {
            response_items: since.response_items || (since.offset > 0 && known.response_items),
            ..since
        };
        let mut read = read_since(path, client, since)?;
        read.cwd = read.cwd.or(cwd);
        Ok(read)
    }

    /// The working directory the index keeps for a session row.
    fn session_cwd(&self, session: Option<i64>) -> Result<Option<String>, StoreError> {
        let Some(session) = session else {
            return Ok(None);
        };
        self.conn
            .prepare_cached("SELECT cwd FROM sessions WHERE id = ?1")
            .and_then(|mut st| {
                st.query_row([session], |r| r.get::<_, String>(0))
                    .optional()
            })
            .map(|cwd| cwd.filter(|c| !c.is_empty()))
            .map_err(sql("reading a session's folder"))
    }

    fn session_id_of(&self, session: Option<i64>) -> Result<Option<String>, StoreError> {
        Ok(session_id_in(&self.conn, session))
    }

    /// Records a file that could not be ingested, for `csep status`.
    pub fn record_error(&self, path: &Path, error: &str, now_ms: u64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO ingest_errors (at_ms, path, error) VALUES (?1, ?2, ?3)",
                params![now_ms as i64, path.to_string_lossy(), error],
            )
            .map(|_| ())
            .map_err(sql("recording an ingest error"))
    }
}

fn known_now(tx: &rusqlite::Connection, key: &str) -> Result<Option<(u64, String)>, StoreError> {
    tx.query_row(
        "SELECT offset, head FROM files WHERE path = ?1",
        [key],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
    )
    .optional()
    .map_err(sql("re-checking a transcript file"))
}

fn session_id_in(conn: &rusqlite::Connection, session: Option<i64>) -> Option<String> {
    conn.query_row(
        "SELECT session_id FROM sessions WHERE id = ?1",
        [session?],
        |r| r.get(0),
    )
    .ok()
}

fn upsert_session(
    tx: &rusqlite::Connection,
    client: Client,
    session_id: &str,
    meta: &transcript::SessionMeta,
    buckets: &mut BucketCache,
) -> Result<(i64, bool), StoreError> {
    let existing: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT id, bucket, scope FROM sessions WHERE client = ?1 AND session_id = ?2",
            params![client.as_str(), session_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(sql("looking up a session"))?;
    let bucket = meta.cwd.as_deref().map(|cwd| buckets.get(cwd));
    let (bucket_id, repo) = bucket
        .map(|b| (Some(b.id), Some(b.key_path.to_string_lossy().into_owned())))
        .unwrap_or((None, None));
    let started = meta.started_ms.map(|v| v as i64);
    // The title is the first user message: redacted as the messages are.
    let title = meta
        .title
        .as_deref()
        .map(|t| redact::redact(t).0.into_owned());
    match existing {
        Some((id, old_bucket, old_scope)) => {
            let bucket_now = bucket_id.clone().unwrap_or(old_bucket);
            let scope = scope_tokens(&bucket_now, client.as_str());
            tx.execute(
                "UPDATE sessions SET
                     cwd = COALESCE(?2, cwd), bucket = ?3, repo = COALESCE(?4, repo),
                     branch = COALESCE(?5, branch), title = COALESCE(title, ?6),
                     started_ms = COALESCE(MIN(started_ms, ?7), started_ms, ?7), scope = ?8
                 WHERE id = ?1",
                params![
                    id,
                    meta.cwd,
                    bucket_now,
                    repo,
                    meta.branch,
                    title,
                    started,
                    scope
                ],
            )
            .map_err(sql("updating a session"))?;
            if scope != old_scope {
                reindex_scope(tx, id, &scope)?;
            }
            Ok((id, false))
        }
        None => {
            let bucket_now = bucket_id.unwrap_or_default();
            let scope = scope_tokens(&bucket_now, client.as_str());
            tx.execute(
                "INSERT INTO sessions (client, session_id, cwd, bucket, repo, branch, title,
                                       started_ms, scope)
                 VALUES (?1, ?2, COALESCE(?3, ''), ?4, COALESCE(?5, ''), ?6, ?7, ?8, ?9)",
                params![
                    client.as_str(),
                    session_id,
                    meta.cwd,
                    bucket_now,
                    repo,
                    meta.branch,
                    title,
                    started,
                    scope
                ],
            )
            .map_err(sql("adding a session"))?;
            Ok((tx.last_insert_rowid(), true))
        }
    }
}

/// A session whose bucket became known later: its indexed rows get the new scope.
fn reindex_scope(tx: &rusqlite::Connection, session: i64, scope: &str) -> Result<(), StoreError> {
    let rows: Vec<(i64, String, i64)> = tx
        .prepare("SELECT id, text, flags FROM messages WHERE session = ?1")
        .and_then(|mut st| {
            st.query_map([session], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(sql("re-scoping a session"))?;
    for (id, text, flags) in rows {
        tx.execute("DELETE FROM messages_fts WHERE rowid = ?1", [id])
            .map_err(sql("re-scoping a session"))?;
        index_message(tx, id, &text, &message_scope(scope, flags))?;
    }
    Ok(())
}

/// Adds one message to the full-text index.
pub(crate) fn index_message(
    tx: &rusqlite::Connection,
    id: i64,
    text: &str,
    scope: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO messages_fts (rowid, text, cjk, scope) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut st| st.execute(params![id, text, cjk_pairs(text), scope]))
        .map(|_| ())
        .map_err(sql("indexing a message"))
}

#[allow(clippy::too_many_arguments)]
fn upsert_file(
    tx: &rusqlite::Connection,
    key: &str,
    client: Client,
    session: Option<i64>,
    (size, mtime, inode): (u64, i64, u64),
    offset: u64,
    head: &str,
    stats: &transcript::ReadStats,
    response_items: bool,
    skipped: Option<&str>,
) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO files (path, client, session, size, mtime_ns, inode, offset, head,
                            corrupt, unknown, oversized, skipped, response_items)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (path) DO UPDATE SET
             session = COALESCE(excluded.session, session), size = excluded.size,
             mtime_ns = excluded.mtime_ns, inode = excluded.inode, offset = excluded.offset,
             head = excluded.head, corrupt = corrupt + excluded.corrupt,
             unknown = unknown + excluded.unknown, oversized = oversized + excluded.oversized,
             skipped = excluded.skipped,
             response_items = MAX(response_items, excluded.response_items)",
        params![
            key,
            client.as_str(),
            session,
            size as i64,
            mtime,
            inode as i64,
            offset as i64,
            head,
            stats.corrupt as i64,
            stats.unknown as i64,
            stats.oversized as i64,
            skipped,
            response_items
        ],
    )
    .map_err(sql("recording a transcript file"))?;
    tx.query_row("SELECT id FROM files WHERE path = ?1", [key], |r| r.get(0))
        .map_err(sql("reading a transcript file id"))
}

/// Message ids follow the sessions' start times (`start_ms << 12` plus the message's
/// place in its session), whatever order files are imported in, so "the newest
/// matches" is a rowid range the full-text index can walk without ranking every match.
/// A taken id (two sessions started in the same millisecond) falls back to the next
/// free one.
fn first_id(tx: &rusqlite::Connection, session: i64) -> Result<i64, StoreError> {
    let (start, count): (Option<i64>, i64) = tx
        .query_row(
            "SELECT COALESCE(started_ms, ended_ms), message_count FROM sessions WHERE id = ?1",
            [session],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(sql("reading a session's start"))?;
    Ok(start.unwrap_or(0).max(0).saturating_mul(1 << 12) + count)
}

fn insert_messages(
    tx: &rusqlite::Connection,
    session: i64,
    file: i64,
    messages: &[Message],
    total: &mut Redactions,
) -> Result<usize, StoreError> {
    let mut st = tx
        .prepare_cached(
            "INSERT INTO messages (id, session, file, role, tool_name, at_ms, flags, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(sql("preparing message inserts"))?;
    let mut next_id = Some(first_id(tx, session)?).filter(|id| *id > 0);
    let scope: String = tx
        .query_row("SELECT scope FROM sessions WHERE id = ?1", [session], |r| {
            r.get(0)
        })
        .map_err(sql("reading a session's scope"))?;
    let background_scope = format!("{scope} {BACKGROUND_TOKEN}");
    let mut n = 0;
    for m in messages {
        if m.text.trim().is_empty() {
            continue;
        }
        let (text, found) = redact::redact(&m.text);
        total.merge(&found);
        // Injected context is not the user's words: kept as background, which
        // searches and `show` leave out unless asked, as it would drown real hits.
        let role = if m.injected {
            BACKGROUND_ROLE
        } else {
            m.role.name()
        };
        let flags = i64::from(m.is_error)
            | (i64::from(m.sidechain) << 1)
            | (i64::from(has_cjk(&text)) << 2)
            | (i64::from(m.injected) << 3);
        let mut insert = |id: Option<i64>| {
            st.execute(params![
                id,
                session,
                file,
                role,
                m.tool_name,
                m.at_ms.map(|v| v as i64),
                flags,
                text.as_ref()
            ])
        };
        match insert(next_id) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                insert(None).map_err(sql("adding a message"))?;
            }
            Err(e) => return Err(sql("adding a message")(e)),
        }
        let scope = if m.injected {
            &background_scope
        } else {
            &scope
        };
        index_message(tx, tx.last_insert_rowid(), &text, scope)?;
        if m.role == Role::ToolCall && !m.injected {
            for skill in generated_skills_named(&text) {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO skill_uses (skill, session, at_ms) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut st| st.execute(params![skill, session, m.at_ms.map(|v| v as i64)]))
                .map_err(sql("recording a skill use"))?;
            }
        }
        next_id = next_id.map(|id| id + 1);
        n += 1;
    }
    Ok(n)
}

/// Generated skill names (`csep-reflect-...`) a tool call mentions: reading its
/// SKILL.md, or Claude Code's Skill tool naming it.
pub(crate) fn generated_skills_named(text: &str) -> Vec<&str> {
    const PREFIX: &str = "csep-reflect-";
    let mut out: Vec<&str> = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(at) = rest.find(PREFIX) {
        let start = base + at;
        let tail = &text[start + PREFIX.len()..];
        let len = tail
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            .count();
        let name = text[start..start + PREFIX.len() + len].trim_end_matches('-');
        if name.len() > PREFIX.len() && !out.contains(&name) {
            out.push(name);
        }
        base = start + PREFIX.len();
        rest = &text[base..];
    }
    out
}

fn refresh_count(tx: &rusqlite::Connection, session: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE sessions SET message_count = (SELECT COUNT(*) FROM messages WHERE session = ?1)
         WHERE id = ?1",
        [session],
    )
    .map(|_| ())
    .map_err(sql("recounting a session"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_skill_names_are_found_in_tool_calls() {
        assert_eq!(
            generated_skills_named(
                "sed -n 1,200p ~/.codex/skills/csep-reflect-release-flow/SKILL.md"
            ),
            vec!["csep-reflect-release-flow"]
        );
        assert_eq!(
            generated_skills_named(r#"{"skill":"csep-reflect-db-migrations"} csep-reflect-"#),
            vec!["csep-reflect-db-migrations"]
        );
        assert!(generated_skills_named("my-own-skill/SKILL.md").is_empty());
    }
}
