//! The one place the server touches the recall index: opening it read-only, searching,
//! listing recent sessions, resolving a session id prefix and reading a session's
//! messages. The tools see only the types below, so a change of the recall API is
//! absorbed here.

use std::path::{Path, PathBuf};

use crate::client::Client;
use crate::home::Home;
use crate::recall::{self, SearchQuery, Store, StoreError, heal};

pub use crate::recall::{SessionHits, ShownMessage};

/// Characters of a session id shown as its short id.
pub const SHORT_ID_LEN: usize = 8;

/// Why the index could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{message}")]
    Store {
        message: String,
        /// What to run to fix it.
        hint: &'static str,
        #[source]
        source: Box<StoreError>,
    },
    #[error("no indexed session has an id starting with {0:?}")]
    UnknownSession(String),
    #[error("{prefix:?} is the start of several session ids ({candidates}); give more of it")]
    Ambiguous { prefix: String, candidates: String },
}

/// What a search is narrowed to.
pub struct Filters<'a> {
    /// The bucket (repo) to search; `None` searches every repo.
    pub bucket: Option<&'a str>,
    pub client: Option<Client>,
    pub since_ms: Option<u64>,
    pub limit: usize,
}

/// The recall index of one state folder, opened afresh for every call so that
/// sessions archived while the server runs are found.
pub struct Source {
    db: PathBuf,
}

impl Source {
    pub fn new(home: &Home) -> Source {
        Source {
            db: home.recall_db(),
        }
    }

    pub fn db_path(&self) -> &Path {
        &self.db
    }

    /// A note when the index was damaged and moved aside, so results may be partial.
    pub fn damage_notice(&self) -> Option<String> {
        let d = heal::notice(&self.db)?;
        Some(format!(
            "the recall index was damaged at {} ({}) and moved to {}; sessions archived \
             before then are missing until `csep recall rebuild` runs",
            d.at,
            d.why,
            d.moved_to.display()
        ))
    }

    /// Opens the index without writing to it; `None` when there is none yet.
    fn open(&self) -> Result<Option<Store>, SourceError> {
        Store::open_readonly(&self.db).map_err(|e| self.store_error(e))
    }

    fn store_error(&self, source: StoreError) -> SourceError {
        let hint = if source.is_damage() {
            "run `csep recall rebuild` to rebuild it from the transcripts on disk"
        } else {
            "run `csep status` to see the state of the index"
        };
        SourceError::Store {
            message: source.explain(&self.db),
            hint,
            source: Box::new(source),
        }
    }

    /// Sessions matching any of `needles`, best first; `None` when no index exists.
    pub fn search(
        &self,
        needles: Vec<String>,
        f: &Filters,
    ) -> Result<Option<Vec<SessionHits>>, SourceError> {
        let Some(store) = self.open()? else {
            return Ok(None);
        };
        store
            .search(&SearchQuery {
                needles,
                bucket: f.bucket.map(str::to_string),
                limit: f.limit,
                since_ms: f.since_ms,
                client: f.client,
            })
            .map(Some)
            .map_err(|e| self.store_error(e))
    }

    /// The newest sessions, newest first; `None` when no index exists.
    pub fn recent(&self, f: &Filters) -> Result<Option<Vec<SessionHits>>, SourceError> {
        let Some(store) = self.open()? else {
            return Ok(None);
        };
        let mut sessions = store
            .recent(f.bucket, f.client, f.limit)
            .map_err(|e| self.store_error(e))?;
        if let Some(since) = f.since_ms {
            sessions.retain(|s| s.ended_ms.or(s.started_ms).unwrap_or(0) >= since);
        }
        Ok(Some(sessions))
    }

    /// The session whose id is `id` or starts with it, and all its messages in order.
    pub fn session(&self, id: &str) -> Result<(SessionHits, Vec<ShownMessage>), SourceError> {
        let unknown = || SourceError::UnknownSession(id.to_string());
        let Some(store) = self.open()? else {
            return Err(unknown());
        };
        let full = resolve_prefix(&store, id).map_err(|e| match e {
            Lookup::Store(e) => self.store_error(e),
            Lookup::Unknown => unknown(),
            Lookup::Ambiguous(c) => SourceError::Ambiguous {
                prefix: id.to_string(),
                candidates: c.join(", "),
            },
        })?;
        store
            .show(&full, None, 0)
            .map_err(|e| self.store_error(e))?
            .ok_or_else(unknown)
    }
}

enum Lookup {
    Store(StoreError),
    Unknown,
    Ambiguous(Vec<String>),
}

/// The full session id `prefix` names: itself when it is one, else the one id that
/// starts with it.
fn resolve_prefix(store: &Store, prefix: &str) -> Result<String, Lookup> {
    let sql = |source| {
        Lookup::Store(StoreError::Sql {
            what: "finding a session by id prefix",
            source,
        })
    };
    let mut st = store
        .conn
        .prepare_cached(
            "SELECT DISTINCT session_id FROM sessions
             WHERE session_id = ?1 OR substr(session_id, 1, length(?1)) = ?1
             ORDER BY session_id != ?1, session_id LIMIT 4",
        )
        .map_err(sql)?;
    let ids: Vec<String> = st
        .query_map([prefix], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(sql)?;
    match ids.as_slice() {
        [] => Err(Lookup::Unknown),
        [first, ..] if first == prefix => Ok(first.clone()),
        [only] => Ok(only.clone()),
        many => Err(Lookup::Ambiguous(many.to_vec())),
    }
}

/// The first characters of a session id, enough to name it in most indexes.
pub fn short_id(session_id: &str) -> &str {
    match session_id.char_indices().nth(SHORT_ID_LEN) {
        Some((i, _)) => &session_id[..i],
        None => session_id,
    }
}

/// Splits `a|b` into needles, as `csep recall` does.
pub fn needles(query: &str) -> Vec<String> {
    recall::parse_needles(query)
}
