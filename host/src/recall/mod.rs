//! Session recall: every transcript in a local SQLite/FTS5 index.

pub mod heal;
mod ingest;
mod schema;
mod search;
mod store;
mod walk;

pub use ingest::{BucketCache, FileReport, IngestError, Outcome};
pub use ingest::{ReadSince, Since, read_since};
pub use search::{Hit, SearchQuery, SessionHits, parse_needles, snippet};
pub use store::{Integrity, Store, StoreError};
pub use walk::{BootstrapReport, FileError, bootstrap};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use store::sql;

/// One message of a session, for `csep recall show`.
#[derive(Debug, Clone, Serialize)]
pub struct ShownMessage {
    pub message_id: i64,
    pub role: String,
    pub tool_name: Option<String>,
    pub at_ms: Option<u64>,
    pub is_error: bool,
    pub text: String,
}

impl Store {
    /// The newest sessions, of one bucket or of all.
    pub fn recent(
        &self,
        bucket: Option<&str>,
        client: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SessionHits>, StoreError> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM sessions
                 WHERE (?1 IS NULL OR bucket = ?1) AND (?2 IS NULL OR client = ?2)
                 ORDER BY COALESCE(ended_ms, started_ms, 0) DESC, id DESC LIMIT ?3",
            )
            .and_then(|mut st| {
                st.query_map(params![bucket, client, limit.max(1) as i64], |r| r.get(0))?
                    .collect()
            })
            .map_err(sql("listing recent sessions"))?;
        ids.into_iter().map(|id| self.session_row(id)).collect()
    }

    /// A session and its messages; with `around`, only the `context` messages on
    /// each side of that message.
    pub fn show(
        &self,
        session_id: &str,
        around: Option<i64>,
        context: usize,
    ) -> Result<Option<(SessionHits, Vec<ShownMessage>)>, StoreError> {
        let row: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM sessions WHERE session_id = ?1 ORDER BY id LIMIT 1",
                [session_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql("finding a session"))?;
        let Some(row) = row else { return Ok(None) };
        let session = self.session_row(row)?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, role, tool_name, at_ms, flags, text FROM messages
                 WHERE session = ?1 ORDER BY id",
            )
            .map_err(sql("reading messages"))?;
        let mut messages: Vec<ShownMessage> = st
            .query_map([row], |r| {
                Ok(ShownMessage {
                    message_id: r.get(0)?,
                    role: r.get(1)?,
                    tool_name: r.get(2)?,
                    at_ms: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                    is_error: r.get::<_, i64>(4)? & 1 != 0,
                    text: r.get(5)?,
                })
            })
            .and_then(|r| r.collect())
            .map_err(sql("reading messages"))?;
        if let Some(id) = around
            && let Some(at) = messages.iter().position(|m| m.message_id == id)
        {
            let end = (at + context + 1).min(messages.len());
            messages = messages.drain(at.saturating_sub(context)..end).collect();
        }
        Ok(Some((session, messages)))
    }

    /// Generated skills seen in use: name, sessions that used it, last use (ms).
    pub fn skill_uses(&self) -> Result<Vec<(String, i64, Option<u64>)>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT skill, COUNT(*), MAX(at_ms) FROM skill_uses GROUP BY skill ORDER BY skill",
            )
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get::<_, Option<i64>>(2)?.map(|v| v as u64),
                    ))
                })?
                .collect()
            })
            .map_err(sql("reading skill uses"))
    }

    /// Counts for `csep status`.
    pub fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM messages),
                        (SELECT COUNT(*) FROM ingest_errors)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(sql("counting"))
    }
}
