//! Session ids as people type them: the whole id, or a unique prefix of it.

use serde::Serialize;

use super::store::{Store, StoreError, sql};

/// The shortest prefix taken for a session id.
pub const MIN_PREFIX: usize = 4;
/// Candidates listed when a prefix is ambiguous.
const MAX_CANDIDATES: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SessionLookup {
    Found {
        session_id: String,
    },
    /// More than one session starts with it (up to ten of them).
    Ambiguous {
        candidates: Vec<String>,
    },
    /// Shorter than [`MIN_PREFIX`] and not a whole id.
    TooShort,
    NotFound,
}

impl Store {
    /// The session a whole id or a unique prefix (at least [`MIN_PREFIX`] characters)
    /// names. A whole id wins over longer ids it is a prefix of.
    pub fn find_session(&self, given: &str) -> Result<SessionLookup, StoreError> {
        let given = given.trim();
        let exact: Option<String> = self
            .conn
            .prepare_cached("SELECT session_id FROM sessions WHERE session_id = ?1 LIMIT 1")
            .and_then(|mut st| {
                let mut rows = st.query([given])?;
                rows.next()?.map(|r| r.get(0)).transpose()
            })
            .map_err(sql("looking up a session id"))?;
        if let Some(session_id) = exact {
            return Ok(SessionLookup::Found { session_id });
        }
        if given.chars().count() < MIN_PREFIX {
            return Ok(SessionLookup::TooShort);
        }
        // A range on the index: every id that starts with `given` sorts between it
        // and it followed by the highest character.
        let upper = format!("{given}{}", char::MAX);
        let mut candidates: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT session_id FROM sessions
                 WHERE session_id >= ?1 AND session_id < ?2 ORDER BY session_id LIMIT ?3",
            )
            .and_then(|mut st| {
                st.query_map(
                    rusqlite::params![given, upper, MAX_CANDIDATES as i64 + 1],
                    |r| r.get(0),
                )?
                .collect()
            })
            .map_err(sql("looking up a session id"))?;
        Ok(match candidates.len() {
            0 => SessionLookup::NotFound,
            1 => SessionLookup::Found {
                session_id: candidates.remove(0),
            },
            _ => {
                candidates.truncate(MAX_CANDIDATES);
                SessionLookup::Ambiguous { candidates }
            }
        })
    }
}
