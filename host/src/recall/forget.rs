//! `csep recall forget`: sessions removed from every table of the index (their
//! messages and full-text entries, transcript files, skill uses, import errors), with
//! the space they took overwritten, and kept out of later imports until allowed again.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::store::{Store, StoreError, sql};
use crate::hash::sha256_hex;

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

/// Whether a session id was forgotten.
pub(crate) fn forgotten_in(conn: &Connection, session_id: &str) -> Result<bool, StoreError> {
    conn.prepare_cached("SELECT 1 FROM forgotten WHERE id_hash = ?1")
        .and_then(|mut st| st.query_row([id_hash(session_id)], |_| Ok(())).optional())
        .map(|found| found.is_some())
        .map_err(sql("checking forgotten sessions"))
}

impl Store {
    /// Removes these sessions (full ids) and keeps them out of later imports, the Stop
    /// archive and rebuilds. Deleted rows are overwritten (`secure_delete`), the
    /// full-text index is merged so no term of theirs stays in an old segment, and the
    /// write-ahead log is emptied.
    pub fn forget(&mut self, session_ids: &[String], now_ms: u64) -> Result<ForgetReport, StoreError> {
        let mut report = ForgetReport::default();
        self.conn
            .pragma_update(None, "secure_delete", "ON")
            .map_err(sql("turning on secure delete"))?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting to forget"))?;
        for id in session_ids {
            let rows: Vec<(i64, String)> = tx
                .prepare("SELECT id, client FROM sessions WHERE session_id = ?1")
                .and_then(|mut st| st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
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
            tx.execute(
                "INSERT OR REPLACE INTO forgotten (id_hash, at_ms) VALUES (?1, ?2)",
                params![id_hash(id), now_ms as i64],
            )
            .map_err(sql("recording a forgotten session"))?;
        }
        tx.commit().map_err(sql("committing what was forgotten"))?;
        if !report.sessions.is_empty() {
            self.purge()?;
        }
        self.conn
            .pragma_update(None, "secure_delete", "OFF")
            .map_err(sql("turning off secure delete"))?;
        Ok(report)
    }

    /// Lets sessions forgotten earlier be imported again; returns how many were.
    pub fn allow_again(&mut self, session_ids: &[String]) -> Result<usize, StoreError> {
        let mut n = 0;
        for id in session_ids {
            n += self
                .conn
                .execute("DELETE FROM forgotten WHERE id_hash = ?1", [id_hash(id)])
                .map_err(sql("allowing a session again"))?;
        }
        Ok(n)
    }

    /// How many sessions are kept out.
    pub fn forgotten_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM forgotten", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(sql("counting forgotten sessions"))
    }

    /// Rewrites the full-text index without what was deleted from it, and empties the
    /// write-ahead log, so removed text survives nowhere in the files.
    pub(crate) fn purge(&mut self) -> Result<(), StoreError> {
        self.optimize()?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(sql("emptying the write-ahead log"))
    }
}
