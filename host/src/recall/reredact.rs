//! `csep recall redact`: the current redaction rules applied again to what is
//! already indexed (text stored before a rule existed), messages and titles alike.

use rusqlite::params;
use serde::Serialize;

use super::ingest::index_message;
use super::store::{Store, StoreError, sql};
use super::tokens::message_scope;
use crate::redact;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RedactReport {
    pub messages_checked: u64,
    /// Messages whose text changed.
    pub messages_changed: u64,
    pub titles_changed: u64,
    /// Secrets replaced in all.
    pub secrets: u64,
}

impl Store {
    /// Redacts every stored message and title again; the full-text entries of the
    /// messages that changed are replaced, then purged as `forget` does.
    pub fn redact_again(&mut self) -> Result<RedactReport, StoreError> {
        let mut report = RedactReport::default();
        self.secure_delete(true)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting to redact"))?;
        // What changes is collected first: rows are not rewritten under a running scan.
        let mut changed: Vec<(i64, i64, i64, String, String, u64)> = Vec::new();
        {
            let mut st = tx
                .prepare(
                    "SELECT m.id, m.session, m.flags, m.text, s.scope
                     FROM messages m JOIN sessions s ON s.id = m.session",
                )
                .map_err(sql("reading messages to redact"))?;
            let mut rows = st.query([]).map_err(sql("reading messages to redact"))?;
            while let Some(r) = rows.next().map_err(sql("reading messages to redact"))? {
                report.messages_checked += 1;
                let text = r
                    .get_ref(3)
                    .and_then(|v| v.as_str().map_err(Into::into))
                    .map_err(sql("reading messages to redact"))?;
                let (clean, found) = redact::redact(text);
                if found.is_empty() {
                    continue;
                }
                let get = |i| {
                    r.get::<_, i64>(i)
                        .map_err(sql("reading messages to redact"))
                };
                changed.push((
                    get(0)?,
                    get(1)?,
                    get(2)?,
                    clean.into_owned(),
                    r.get(4).map_err(sql("reading messages to redact"))?,
                    found.total as u64,
                ));
            }
        }
        for (id, session, flags, text, scope, secrets) in &changed {
            tx.execute(
                "UPDATE messages SET text = ?2 WHERE id = ?1",
                params![id, text],
            )
            .map_err(sql("redacting a message"))?;
            tx.execute("DELETE FROM messages_fts WHERE rowid = ?1", [id])
                .map_err(sql("redacting a message"))?;
            index_message(&tx, *id, text, &message_scope(scope, *flags))?;
            tx.execute(
                "UPDATE sessions SET redactions = redactions + ?2 WHERE id = ?1",
                params![session, *secrets as i64],
            )
            .map_err(sql("counting redactions"))?;
            report.messages_changed += 1;
            report.secrets += secrets;
        }
        let titles: Vec<(i64, String, u64)> = tx
            .prepare("SELECT id, title FROM sessions WHERE title IS NOT NULL")
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql("reading titles to redact"))?
            .into_iter()
            .filter_map(|(id, title)| {
                let (clean, found) = redact::redact(&title);
                (!found.is_empty()).then(|| (id, clean.into_owned(), found.total as u64))
            })
            .collect();
        for (id, title, secrets) in &titles {
            tx.execute(
                "UPDATE sessions SET title = ?2 WHERE id = ?1",
                params![id, title],
            )
            .map_err(sql("redacting a title"))?;
            report.titles_changed += 1;
            report.secrets += secrets;
        }
        tx.commit().map_err(sql("committing the redaction"))?;
        // Still with secure delete on: merging frees the old segments' pages too.
        if report.messages_changed + report.titles_changed > 0 {
            self.purge()?;
        }
        self.secure_delete(false)?;
        Ok(report)
    }

    /// Replaces a message's stored text as given, without redaction, and re-indexes it:
    /// for repairs and for tests that need text stored before a rule existed.
    pub fn put_message_text(&mut self, message_id: i64, text: &str) -> Result<bool, StoreError> {
        let found: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT m.flags, s.scope FROM messages m JOIN sessions s ON s.id = m.session
                 WHERE m.id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(sql("finding a message"))?;
        let Some((flags, scope)) = found else {
            return Ok(false);
        };
        self.conn
            .execute(
                "UPDATE messages SET text = ?2 WHERE id = ?1",
                params![message_id, text],
            )
            .map_err(sql("replacing a message's text"))?;
        self.conn
            .execute("DELETE FROM messages_fts WHERE rowid = ?1", [message_id])
            .map_err(sql("replacing a message's text"))?;
        index_message(&self.conn, message_id, text, &message_scope(&scope, flags))?;
        Ok(true)
    }
}
