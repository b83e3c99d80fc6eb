//! Session recall: every transcript in a local SQLite/FTS5 index.

mod forget;
pub mod heal;
mod ingest;
mod lookup;
mod matching;
mod own;
mod reredact;
mod schema;
mod search;
mod store;
mod tokens;
mod walk;
mod window;

pub use forget::{ForgetReport, Forgotten};
pub use ingest::{BucketCache, FileReport, IngestError, Outcome};
pub use ingest::{ReadSince, Since, read_since};
pub use lookup::{MIN_PREFIX, SessionLookup};
pub use matching::{MatchMode, SNIPPET_SIDE, Snippet, Span};
pub use own::{REFLECTION_DIR_PREFIX, is_reflection_dir};
pub use reredact::RedactReport;
pub use search::{Hit, SearchOptions, SearchQuery, SessionHits, parse_needles, snippet};
pub use store::{Integrity, Store, StoreError};
pub use walk::{BootstrapReport, FileError, ImportOptions, bootstrap, bootstrap_with};
pub use window::{Budget, BudgetUse, Window, WindowMessage, WindowSpec, apply_budget, cap_text};

use tokens::BACKGROUND_FLAG;

use rusqlite::{OptionalExtension, params};

use crate::client::Client;
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

/// Which messages of a session `show_with` returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShowOptions {
    /// Only the window around this message id.
    pub around: Option<i64>,
    pub before: usize,
    pub after: usize,
    /// Client-injected context (instructions, environment, skill lists) too.
    pub include_background: bool,
}

impl Store {
    /// The newest sessions, of one bucket or of all.
    pub fn recent(
        &self,
        bucket: Option<&str>,
        client: Option<Client>,
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
                st.query_map(
                    params![bucket, client.map(Client::as_str), limit.max(1) as i64],
                    |r| r.get(0),
                )?
                .collect()
            })
            .map_err(sql("listing recent sessions"))?;
        ids.into_iter().map(|id| self.session_row(id)).collect()
    }

    /// The newest sessions of the query's scope, client and time (its needles are not
    /// used), leaving out the options' excluded sessions.
    pub fn recent_with(
        &self,
        q: &SearchQuery,
        o: &SearchOptions,
    ) -> Result<Vec<SessionHits>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, session_id FROM sessions
                 WHERE (?1 IS NULL OR bucket = ?1) AND (?2 IS NULL OR client = ?2)
                   AND COALESCE(ended_ms, started_ms, 0) >= ?3
                 ORDER BY COALESCE(ended_ms, started_ms, 0) DESC, id DESC",
            )
            .map_err(sql("listing recent sessions"))?;
        let mut ids = Vec::new();
        let mut rows = st
            .query(params![
                q.bucket,
                q.client.map(Client::as_str),
                q.since_ms.unwrap_or(0) as i64
            ])
            .map_err(sql("listing recent sessions"))?;
        while let Some(r) = rows.next().map_err(sql("listing recent sessions"))? {
            let sid: String = r.get(1).map_err(sql("listing recent sessions"))?;
            if o.exclude_sessions.contains(&sid) {
                continue;
            }
            ids.push(r.get::<_, i64>(0).map_err(sql("listing recent sessions"))?);
            if ids.len() >= q.limit.max(1) {
                break;
            }
        }
        ids.into_iter().map(|id| self.session_row(id)).collect()
    }

    /// A session (by its whole id) and its messages, client-injected context left
    /// out; with `around`, only the `context` messages on each side of that message.
    pub fn show(
        &self,
        session_id: &str,
        around: Option<i64>,
        context: usize,
    ) -> Result<Option<(SessionHits, Vec<ShownMessage>)>, StoreError> {
        self.show_with(
            session_id,
            &ShowOptions {
                around,
                before: context,
                after: context,
                include_background: false,
            },
        )
    }

    /// A session (by its whole id; see [`Store::find_session`] for prefixes) and its
    /// messages, or the window of `before` and `after` messages around one.
    pub fn show_with(
        &self,
        session_id: &str,
        o: &ShowOptions,
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
                 WHERE session = ?1 AND (?2 OR flags & ?3 = 0) ORDER BY id",
            )
            .map_err(sql("reading messages"))?;
        let mut messages: Vec<ShownMessage> = st
            .query_map(params![row, o.include_background, BACKGROUND_FLAG], |r| {
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
        if let Some(id) = o.around
            && let Some(at) = messages.iter().position(|m| m.message_id == id)
        {
            let end = (at + o.after + 1).min(messages.len());
            messages = messages.drain(at.saturating_sub(o.before)..end).collect();
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
