//! `csep recall forget`: sessions removed from every table of the index (their
//! messages and full-text entries, transcript files, skill uses, import errors), with
//! the space they took overwritten, and kept out of later imports until allowed again.
//! The list of forgotten sessions is a file next to the index (`forgotten.txt`), so a
//! rebuild into a fresh index keeps them out too; it holds a hash of each id, never
//! the id.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::store::{Store, StoreError, sql};
use crate::hash::sha256_hex;

const LIST: &str = "forgotten.txt";
const HEADER: &str =
    "# Sessions removed with `csep recall forget`: a hash of each id, one a line.\n";

/// What `forget` removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ForgetReport {
    /// Sessions removed: their ids, and the messages each held.
    pub sessions: Vec<Forgotten>,
    /// Ids named that were not indexed; they are kept out of later imports all the same.
    pub not_indexed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Forgotten {
    pub session_id: String,
    pub client: String,
    pub messages: u64,
}

fn id_hash(session_id: &str) -> String {
    sha256_hex(format!("csep-forgotten:{session_id}").as_bytes())
}

/// The forgotten list of the index at `db`.
fn list_path(db: &Path) -> PathBuf {
    db.with_file_name(LIST)
}

/// The hashes in the list; none when there is no list.
pub(crate) fn read_list(db: &Path) -> HashSet<String> {
    std::fs::read_to_string(list_path(db))
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the list whole (`atomic_file`: a temp file renamed over it), sorted, mode 0600.
fn write_list(db: &Path, hashes: &HashSet<String>) -> Result<(), StoreError> {
    let path = list_path(db);
    let io = |source| StoreError::Dir {
        path: path.clone(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut sorted: Vec<&String> = hashes.iter().collect();
    sorted.sort();
    let mut text = String::from(HEADER);
    for h in sorted {
        text.push_str(h);
        text.push('\n');
    }
    crate::fs_authority::open_dir(dir)
        .and_then(|d| crate::fs_authority::write_atomic(&d, LIST, text.as_bytes()))
        .map_err(io)
}

impl Store {
    /// Whether a session id was forgotten.
    pub(crate) fn is_forgotten(&self, session_id: &str) -> bool {
        self.forgotten
            .get_or_init(|| read_list(self.path()))
            .contains(&id_hash(session_id))
    }
}

impl Store {
    /// Removes these sessions (full ids) and keeps them out of later imports, the Stop
    /// archive and rebuilds. Deleted rows are overwritten (`secure_delete`), the
    /// full-text index is merged so no term of theirs stays in an old segment, and the
    /// write-ahead log is emptied.
    pub fn forget(&mut self, session_ids: &[String]) -> Result<ForgetReport, StoreError> {
        let mut report = ForgetReport::default();
        let db = self.path().to_path_buf();
        self.secure_delete(true)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting to forget"))?;
        for id in session_ids {
            let rows: Vec<(i64, String)> = tx
                .prepare("SELECT id, client FROM sessions WHERE session_id = ?1")
                .and_then(|mut st| {
                    st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect()
                })
                .map_err(sql("finding a session to forget"))?;
            if rows.is_empty() {
                report.not_indexed.push(id.clone());
            }
            for (row, client) in rows {
                let messages = tx
                    .execute("DELETE FROM messages WHERE session = ?1", [row])
                    .map_err(sql("forgetting messages"))?;
                tx.execute("DELETE FROM skill_uses WHERE session = ?1", [row])
                    .map_err(sql("forgetting skill uses"))?;
                tx.execute(
                    "DELETE FROM ingest_errors WHERE path IN
                         (SELECT path FROM files WHERE session = ?1)",
                    [row],
                )
                .map_err(sql("forgetting import errors"))?;
                tx.execute("DELETE FROM files WHERE session = ?1", [row])
                    .map_err(sql("forgetting transcript files"))?;
                tx.execute("DELETE FROM sessions WHERE id = ?1", [row])
                    .map_err(sql("forgetting a session"))?;
                report.sessions.push(Forgotten {
                    session_id: id.clone(),
                    client,
                    messages: messages as u64,
                });
            }
            // Files recorded without a session (skipped ones) that name it.
            let like = format!("%{}.jsonl", id.replace(['%', '_'], ""));
            tx.execute(
                "DELETE FROM files WHERE session IS NULL AND path LIKE ?1",
                [like],
            )
            .map_err(sql("forgetting transcript files"))?;
        }
        // The list first: a session forgotten from the index but not listed would come
        // back with the next import.
        let mut list = read_list(&db);
        list.extend(session_ids.iter().map(|id| id_hash(id)));
        write_list(&db, &list)?;
        tx.commit().map_err(sql("committing what was forgotten"))?;
        self.forgotten = std::sync::OnceLock::from(list);
        // Still with secure delete on: merging frees the old segments' pages too.
        if !report.sessions.is_empty() {
            self.purge()?;
        }
        self.secure_delete(false)?;
        Ok(report)
    }

    /// Lets sessions forgotten earlier be imported again; returns how many were.
    /// Lets sessions forgotten earlier be imported again; returns the ids that were
    /// not forgotten.
    pub fn allow_again(&mut self, session_ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut list = read_list(self.path());
        let unknown: Vec<String> = session_ids
            .iter()
            .filter(|id| !list.remove(&id_hash(id)))
            .cloned()
            .collect();
        write_list(self.path(), &list)?;
        self.forgotten = std::sync::OnceLock::from(list);
        Ok(unknown)
    }

    /// How many sessions are kept out.
    pub fn forgotten_count(&self) -> usize {
        read_list(self.path()).len()
    }

    /// Deletes that leave nothing behind: SQLite zeroes freed space, and the full-text
    /// index removes a row's terms from its segments rather than marking the row
    /// deleted (slower, so only while forgetting or redacting).
    pub(crate) fn secure_delete(&self, on: bool) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "secure_delete", if on { "ON" } else { "OFF" })
            .map_err(sql("setting secure delete"))?;
        self.conn
            .execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', ?1)",
                [i64::from(on)],
            )
            .map(|_| ())
            .map_err(sql("setting secure delete in the full-text index"))
    }

    /// Rewrites the full-text index without what was deleted from it, and empties the
    /// write-ahead log, so removed text survives nowhere in the files.
    pub(crate) fn purge(&mut self) -> Result<(), StoreError> {
        self.optimize()?;
        // Pages freed before (an import's merges) may hold older copies of anything;
        // they are only gone once the file is rewritten.
        let free: i64 = self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .map_err(sql("reading the free page count"))?;
        if free > 0 {
            self.conn
                .execute_batch("VACUUM")
                .map_err(sql("rewriting the index without its free pages"))?;
        }
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(sql("emptying the write-ahead log"))
    }
}
