//! Needle search over the two indexes: words (unicode61: identifiers split on
//! punctuation, paths into parts) and CJK character pairs. Matches are walked newest
//! first from one full-text cursor, a few per session: once a session has given
//! enough, the rest of its matches are stepped over by rowid alone (message ids are
//! ordered by session start, so a session is one id range), and a session spanning
//! many ids re-opens the cursor below it instead. A word found in every session thus
//! costs a few message reads per session, and `limit` sessions
//! come back whenever that many match. Ranked by how many alternatives matched,
//! whether the best match is in what people wrote or in tool text, then newest first.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::client::Client;

use super::matching::{Compiled, MatchMode, Part, Span, snippet as make_snippet};
use super::store::{Store, StoreError, sql};
use super::tokens::{BACKGROUND_TOKEN, bucket_token, cjk_pairs, client_token, is_cjk};

/// Matching message ids newest first, below a message id and at or above another.
const WALK_SQL: &str = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1
     AND rowid < ?2 AND rowid >= ?3 ORDER BY rowid DESC";

/// A matching message, with its session's activity time.
const MESSAGE_SQL: &str = "SELECT m.session, m.role, m.text, COALESCE(s.ended_ms, s.started_ms)
     FROM messages m JOIN sessions s ON s.id = m.session WHERE m.id = ?1";

/// Past a session the walk is done with, matches are stepped over by rowid while the
/// rest of the session spans at most this many ids; a longer one re-opens the
/// cursor below it (one more full-text query), which costs more than stepping over
/// a few hundred postings.
const JUMP_SPAN: i64 = 1024;

/// Messages a needle's walk may read: a phrase of common words that rarely stand
/// side by side is checked message by message, and this bounds what that costs.
const ROW_BUDGET: i64 = 10_000;
/// Matching messages kept per session and needle: enough to rank it and to anchor
/// windows; then the walk moves on to older sessions.
const HITS_PER_SESSION: usize = 8;
/// Hits shown per session.
const HITS_SHOWN: usize = 3;
/// Sessions a needle's walk gathers beyond `limit`, so a better older session can
/// rank above a newer one that matched less well.
const POOL_FACTOR: usize = 3;
const POOL_MIN: usize = 15;

/// Narrows an FTS expression to the query's bucket and client, and leaves out
/// background messages unless asked.
fn scoped(expr: String, q: &SearchQuery, o: &SearchOptions) -> String {
    let mut expr = format!("({expr})");
    if let Some(b) = &q.bucket {
        expr.push_str(&format!(" AND scope : {}", bucket_token(b)));
    }
    if let Some(c) = &q.client {
        expr.push_str(&format!(" AND scope : {}", client_token(c.as_str())));
    }
    if !o.include_background {
        expr = format!("({expr}) NOT scope : {BACKGROUND_TOKEN}");
    }
    expr
}

/// What to search: typed, for the CLI, the MCP server and the reflection host alike.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Alternatives: a session matches when any needle does (`a|b` on the command line).
    pub needles: Vec<String>,
    /// Only sessions of this bucket; `None` searches every repo.
    pub bucket: Option<String>,
    /// Sessions to return: this many whenever this many match.
    pub limit: usize,
    /// Only sessions active at or after this time (ms since the epoch).
    pub since_ms: Option<u64>,
    pub client: Option<Client>,
}

/// How needles match, and what is left out.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    pub mode: MatchMode,
    /// Session ids never returned (the running session, which is already in context).
    pub exclude_sessions: Vec<String>,
    /// Client-injected context (instructions, environment, skill lists) may match.
    pub include_background: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub message_id: i64,
    pub role: String,
    pub tool_name: Option<String>,
    pub at_ms: Option<u64>,
    /// The text around the first match, each match marked `>>>like this<<<`.
    pub snippet: String,
    /// The same text unmarked, and where the needle matched in it (characters).
    pub text: String,
    pub spans: Vec<Span>,
    /// `words` or `cjk`: which index found it.
    pub matched_by: &'static str,
    /// Which needle of the query matched (its index in `needles`).
    pub needle: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionHits {
    pub session_id: String,
    pub client: String,
    pub title: Option<String>,
    pub cwd: String,
    pub repo: String,
    pub branch: Option<String>,
    pub started_ms: Option<u64>,
    pub ended_ms: Option<u64>,
    pub transcript_paths: Vec<String>,
    /// Higher is better.
    pub score: f64,
    pub hit_count: usize,
    pub hits: Vec<Hit>,
    /// Every matching message found, best first: anchors for windows.
    #[serde(skip)]
    pub matched_messages: Vec<i64>,
    #[serde(skip)]
    pub(crate) row: i64,
}

/// Splits `a|b|c` into needles: trimmed, non-empty, without duplicates.
pub fn parse_needles(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in query.split('|') {
        let n = n.split_whitespace().collect::<Vec<_>>().join(" ");
        if !n.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&n)) {
            out.push(n);
        }
    }
    out
}

/// Tool text is found, but ranks below what the user and the agent said.
fn role_weight(role: &str) -> f64 {
    match role {
        "user" => 1.0,
        "assistant" => 0.9,
        "tool-call" => 0.7,
        "background" => 0.3,
        _ => 0.5,
    }
}

struct Candidate {
    message: i64,
    session: i64,
    ended: Option<i64>,
    role: String,
    score: f64,
    matched_by: &'static str,
    needle: usize,
}

fn quoted(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// A session in the ranking.
struct Ranked {
    session: i64,
    /// How many of the query's needles it matched.
    needles: usize,
    tier: u8,
    ended: Option<i64>,
    score: f64,
    hits: Vec<Candidate>,
}

/// Where a match is, coarsely: what people and the agent wrote, a tool call, tool
/// output, client-injected context.
fn tier(role: &str) -> u8 {
    match role {
        "user" | "assistant" => 3,
        "tool-call" => 2,
        "background" => 0,
        _ => 1,
    }
}

/// Higher is better. FTS5's own bm25 reads every posting of every term to weigh it,
/// which costs hundreds of milliseconds for a word in most messages; how often the
/// needle occurs and how short the message is rank as well, and tool text stays
/// below what people wrote.
fn score(role: &str, text: &str, matches: usize) -> f64 {
    let tf = matches.max(1) as f64;
    let len = text.len() as f64;
    role_weight(role) * (1.0 + tf.ln()) / (1.0 + (1.0 + len / 2000.0).ln())
}

/// The FTS expression that finds candidates for a compiled needle: all its words
/// (the index keeps no positions, so order is checked on the text) and the character
/// pairs of its CJK parts.
fn fts_expr(c: &Compiled) -> (String, &'static str) {
    let mut terms: Vec<String> = Vec::new();
    let mut by = "words";
    for part in &c.parts {
        match part {
            Part::Words(words) => {
                for (i, w) in words.iter().enumerate() {
                    let star = if c.prefix && i + 1 == words.len() {
                        "*"
                    } else {
                        ""
                    };
                    terms.push(format!("text : {}{star}", quoted(w)));
                }
            }
            Part::Substring(s) => {
                by = "cjk";
                for pair in cjk_pairs(s).split_whitespace() {
                    let star = if pair.chars().count() == 1 { "*" } else { "" };
                    terms.push(format!("cjk : {}{star}", quoted(pair)));
                }
                let plain: String = s
                    .chars()
                    .map(|ch| if is_cjk(ch) { ' ' } else { ch })
                    .collect();
                for t in super::matching::tokens(&plain) {
                    terms.push(format!("text : {}", quoted(&t)));
                }
            }
        }
    }
    (terms.join(" AND "), by)
}

/// State of one needle's walk through the index.
struct Walk<'a> {
    compiled: &'a Compiled,
    needle: usize,
    since_ms: Option<i64>,
    excluded: &'a HashSet<i64>,
    pool: usize,
    per_session: HashMap<i64, usize>,
    kept: Vec<Candidate>,
}

/// What the walk does after a session it is done with.
enum Step {
    /// The cursor reached its end, the pool or the budget.
    Done,
    /// Re-open the cursor below this id.
    Below(i64),
}

/// What reading one matching message told the walk.
enum Seen {
    /// Go on with the next id.
    Next,
    /// The walk is done with this session: enough hits, or left out.
    DoneWith(i64),
    /// The pool is full and this message is of a session beyond it.
    PoolFull,
}

/// An error inside one cursor's walk: a statement's, or one of the store's lookups.
enum WalkError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for WalkError {
    fn from(e: rusqlite::Error) -> Self {
        WalkError::Sql(e)
    }
}

impl Walk<'_> {
    /// Reads a matching message and keeps it when it is a hit.
    fn consider(
        &mut self,
        message: &mut rusqlite::CachedStatement<'_>,
        id: i64,
        matched_by: &'static str,
    ) -> Result<Seen, WalkError> {
        let mut rows = message.query([id])?;
        // A message deleted since the index was read.
        let Some(r) = rows.next()? else {
            return Ok(Seen::Next);
        };
        let session: i64 = r.get(0)?;
        let ended: Option<i64> = r.get(3)?;
        let too_old = self
            .since_ms
            .is_some_and(|since| ended.unwrap_or(0) < since);
        if self.excluded.contains(&session) || too_old {
            return Ok(Seen::DoneWith(session));
        }
        let seen = self.per_session.get(&session).copied();
        if seen.is_none() && self.per_session.len() >= self.pool {
            return Ok(Seen::PoolFull);
        }
        let text = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        // The index decides single words: a byte scan counts them for the score;
        // phrases are checked word by word.
        let matches = if self.compiled.index_decides() {
            self.compiled.find_loose(text).len()
        } else {
            match self.compiled.find(text) {
                Some(found) => found.len(),
                None => return Ok(Seen::Next),
            }
        };
        let role: String = r.get(1)?;
        self.kept.push(Candidate {
            message: id,
            session,
            ended,
            score: score(&role, text, matches),
            role,
            matched_by,
            needle: self.needle,
        });
        let n = self.per_session.entry(session).or_default();
        *n += 1;
        Ok(if *n >= HITS_PER_SESSION {
            Seen::DoneWith(session)
        } else {
            Seen::Next
        })
    }
}

impl Store {
    /// The best `limit` sessions matching any needle, phrases as needles.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SessionHits>, StoreError> {
        self.search_with(q, &SearchOptions::default())
    }

    pub fn search_with(
        &self,
        q: &SearchQuery,
        o: &SearchOptions,
    ) -> Result<Vec<SessionHits>, StoreError> {
        let excluded = self.session_rows(&o.exclude_sessions)?;
        let pool = (q.limit.max(1) * POOL_FACTOR).max(POOL_MIN);
        let lower = self.lowest_id_since(q.since_ms)?;
        let mut candidates = Vec::new();
        for (i, needle) in q.needles.iter().enumerate() {
            let mut compiled = Compiled::new(needle, o.mode, false);
            if compiled.parts.is_empty() {
                continue;
            }
            let mut walk = Walk {
                compiled: &compiled,
                needle: i,
                since_ms: q.since_ms.map(|v| v as i64),
                excluded: &excluded,
                pool,
                per_session: HashMap::new(),
                kept: Vec::new(),
            };
            self.walk(q, o, &mut walk, lower)?;
            let mut found = walk.kept;
            if found.is_empty() && matches!(compiled.parts.last(), Some(Part::Words(_))) {
                // The last word may be the start of a longer one: `zanzi` finds `zanzibar`.
                compiled.prefix = true;
                let mut walk = Walk {
                    compiled: &compiled,
                    needle: i,
                    since_ms: q.since_ms.map(|v| v as i64),
                    excluded: &excluded,
                    pool,
                    per_session: HashMap::new(),
                    kept: Vec::new(),
                };
                self.walk(q, o, &mut walk, lower)?;
                found = walk.kept;
            }
            candidates.extend(found);
        }
        self.group(q, o, candidates)
    }

    /// Internal rows of the sessions with these ids (any client).
    fn session_rows(&self, ids: &[String]) -> Result<HashSet<i64>, StoreError> {
        let mut out = HashSet::new();
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM sessions WHERE session_id = ?1")
            .map_err(sql("finding sessions to leave out"))?;
        for id in ids.iter().filter(|i| !i.is_empty()) {
            let rows: Vec<i64> = st
                .query_map([id], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(sql("finding sessions to leave out"))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// The lowest message id a session active since `since_ms` can have: message ids
    /// start at the session's start time, so older ones are never walked.
    fn lowest_id_since(&self, since_ms: Option<u64>) -> Result<i64, StoreError> {
        let Some(since) = since_ms else { return Ok(0) };
        let start: Option<i64> = self
            .conn
            .query_row(
                "SELECT MIN(COALESCE(started_ms, ended_ms)) FROM sessions
                 WHERE ended_ms >= ?1 OR (ended_ms IS NULL AND started_ms >= ?1)",
                [since as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql("finding the sessions since a time"))?
            .flatten();
        // No session is recent enough: nothing to walk.
        Ok(start.map_or(i64::MAX, |s| s.max(0).saturating_mul(1 << 12)))
    }

    /// The smallest message id of a session: where the walk resumes once it is done
    /// with that session.
    fn first_message(&self, session: i64) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("SELECT MIN(id) FROM messages WHERE session = ?1")
            .and_then(|mut st| st.query_row([session], |r| r.get::<_, Option<i64>>(0)))
            .map(|v| v.unwrap_or(0))
            .map_err(sql("walking past a session"))
    }

    /// Walks the needle's matches newest first, keeping up to `HITS_PER_SESSION` a
    /// session and passing over a session once it has given that many (or is left
    /// out), until `pool` sessions are found or the row budget is spent.
    fn walk(
        &self,
        q: &SearchQuery,
        o: &SearchOptions,
        w: &mut Walk<'_>,
        lower: i64,
    ) -> Result<(), StoreError> {
        let (expr, matched_by) = fts_expr(w.compiled);
        let expr = scoped(expr, q, o);
        let mut upper = i64::MAX;
        let mut budget = ROW_BUDGET;
        let mut ids = self
            .conn
            .prepare_cached(WALK_SQL)
            .map_err(sql("preparing a search"))?;
        let mut message = self
            .conn
            .prepare_cached(MESSAGE_SQL)
            .map_err(sql("preparing a search"))?;
        while budget > 0 && upper > lower {
            let mut step = Step::Done;
            let result = (|| -> Result<(), WalkError> {
                let mut rows = ids.query(params![expr, upper, lower])?;
                // Ids at or above this belong to the session the walk just passed.
                let mut skip_from = i64::MAX;
                while let Some(r) = rows.next()? {
                    let id: i64 = r.get(0)?;
                    if id >= skip_from {
                        continue;
                    }
                    if budget <= 0 {
                        return Ok(());
                    }
                    budget -= 1;
                    let session = match w.consider(&mut message, id, matched_by)? {
                        Seen::Next => continue,
                        Seen::PoolFull => return Ok(()),
                        Seen::DoneWith(session) => session,
                    };
                    let from = self.first_message(session).map_err(WalkError::Store)?;
                    if id - from > JUMP_SPAN {
                        step = Step::Below(from);
                        return Ok(());
                    }
                    skip_from = from;
                }
                Ok(())
            })();
            match result {
                Ok(()) => {}
                // A needle FTS cannot parse (only punctuation) finds nothing; no error.
                Err(WalkError::Sql(rusqlite::Error::SqliteFailure(_, Some(msg))))
                    if msg.contains("fts5") || msg.contains("syntax") =>
                {
                    return Ok(());
                }
                Err(WalkError::Sql(e)) => {
                    return Err(StoreError::Sql {
                        what: "searching",
                        source: e,
                    });
                }
                Err(WalkError::Store(e)) => return Err(e),
            }
            match step {
                Step::Below(from) => upper = upper.min(from),
                Step::Done => break,
            }
        }
        Ok(())
    }

    fn group(
        &self,
        q: &SearchQuery,
        o: &SearchOptions,
        candidates: Vec<Candidate>,
    ) -> Result<Vec<SessionHits>, StoreError> {
        let mut by_session: HashMap<i64, Vec<Candidate>> = HashMap::new();
        for c in candidates {
            by_session.entry(c.session).or_default().push(c);
        }
        let mut ranked: Vec<Ranked> = Vec::new();
        for (session, mut hits) in by_session {
            hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.message.cmp(&a.message)));
            let mut seen = HashSet::new();
            hits.retain(|h| seen.insert(h.message));
            let needles: HashSet<usize> = hits.iter().map(|h| h.needle).collect();
            ranked.push(Ranked {
                session,
                needles: needles.len(),
                tier: hits.iter().map(|h| tier(&h.role)).max().unwrap_or(0),
                ended: hits[0].ended,
                score: hits[0].score,
                hits,
            });
        }
        // More of the alternatives first; then where the best match is (what people and
        // the agent wrote above tool text); then the newest; then the better match.
        ranked.sort_by(|a, b| {
            b.needles
                .cmp(&a.needles)
                .then(b.tier.cmp(&a.tier))
                .then(b.ended.cmp(&a.ended))
                .then(b.score.total_cmp(&a.score))
                .then(b.session.cmp(&a.session))
        });
        ranked.truncate(q.limit.max(1));
        ranked
            .into_iter()
            .map(|r| self.session_hits(q, o, r.session, r.score, r.hits))
            .collect()
    }

    fn session_hits(
        &self,
        q: &SearchQuery,
        o: &SearchOptions,
        session: i64,
        score: f64,
        hits: Vec<Candidate>,
    ) -> Result<SessionHits, StoreError> {
        let mut out = self.session_row(session)?;
        out.score = (score * 1000.0).round() / 1000.0;
        out.hit_count = hits.len();
        out.matched_messages = hits.iter().map(|c| c.message).collect();
        for c in hits.into_iter().take(HITS_SHOWN) {
            let (tool_name, at_ms, text): (Option<String>, Option<i64>, String) = self
                .conn
                .prepare_cached("SELECT tool_name, at_ms, text FROM messages WHERE id = ?1")
                .and_then(|mut st| {
                    st.query_row([c.message], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                })
                .map_err(sql("reading a hit"))?;
            let mut compiled = Compiled::new(&q.needles[c.needle], o.mode, false);
            let mut ranges = compiled.find(&text);
            if ranges.is_none() {
                compiled.prefix = true;
                ranges = compiled.find(&text);
            }
            let ranges = ranges.unwrap_or_else(|| compiled.find_loose(&text));
            let snip = make_snippet(&text, &ranges);
            out.hits.push(Hit {
                message_id: c.message,
                role: c.role,
                tool_name,
                at_ms: at_ms.map(|v| v as u64),
                snippet: snip.marked(">>>", "<<<"),
                text: snip.text,
                spans: snip.spans,
                matched_by: c.matched_by,
                needle: c.needle,
            });
        }
        Ok(out)
    }

    pub(crate) fn session_row(&self, session: i64) -> Result<SessionHits, StoreError> {
        let mut out = self
            .conn
            .prepare_cached(
                "SELECT session_id, client, title, cwd, repo, branch, started_ms, ended_ms
                 FROM sessions WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.query_row([session], |r| {
                    Ok(SessionHits {
                        session_id: r.get(0)?,
                        client: r.get(1)?,
                        title: r.get(2)?,
                        cwd: r.get(3)?,
                        repo: r.get(4)?,
                        branch: r.get(5)?,
                        started_ms: r.get::<_, Option<i64>>(6)?.map(|v| v as u64),
                        ended_ms: r.get::<_, Option<i64>>(7)?.map(|v| v as u64),
                        transcript_paths: Vec::new(),
                        score: 0.0,
                        hit_count: 0,
                        hits: Vec::new(),
                        matched_messages: Vec::new(),
                        row: session,
                    })
                })
            })
            .map_err(sql("reading a session"))?;
        let mut st = self
            .conn
            .prepare_cached("SELECT path FROM files WHERE session = ?1 ORDER BY path")
            .map_err(sql("reading transcript paths"))?;
        out.transcript_paths = st
            .query_map([session], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(sql("reading transcript paths"))?;
        Ok(out)
    }
}

/// The text around the first match of `needle` (a phrase), each match marked
/// `>>>like this<<<`, on one line.
pub fn snippet(text: &str, needle: &str) -> String {
    let c = Compiled::new(needle, MatchMode::Phrase, false);
    let ranges = c.find(text).unwrap_or_else(|| c.find_loose(text));
    make_snippet(text, &ranges).marked(">>>", "<<<")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store holding one session per `(start_ms, texts)`, every message a user's,
    /// with ids as ingest gives them (the session's start shifted, plus its place).
    fn store_of(sessions: &[(i64, Vec<String>)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("index.db")).unwrap();
        let scope = super::super::tokens::scope_tokens("bucket", "codex");
        for (n, (start, texts)) in sessions.iter().enumerate() {
            store
                .conn
                .execute(
                    "INSERT INTO sessions (id, client, session_id, started_ms, ended_ms, scope)
                     VALUES (?1, 'codex', ?2, ?3, ?3, ?4)",
                    params![n as i64 + 1, format!("s{n}"), start, scope],
                )
                .unwrap();
            for (i, text) in texts.iter().enumerate() {
                let id = (start << 12) + i as i64;
                store
                    .conn
                    .execute(
                        "INSERT INTO messages (id, session, file, role, text)
                         VALUES (?1, ?2, 0, 'user', ?3)",
                        params![id, n as i64 + 1, text],
                    )
                    .unwrap();
                super::super::ingest::index_message(&store.conn, id, text, &scope).unwrap();
            }
        }
        (dir, store)
    }

    fn found(store: &Store, needle: &str, limit: usize) -> Vec<(String, usize)> {
        let q = SearchQuery {
            needles: parse_needles(needle),
            bucket: Some("bucket".into()),
            limit,
            ..SearchQuery::default()
        };
        store
            .search(&q)
            .unwrap()
            .into_iter()
            .map(|s| (s.session_id, s.hit_count))
            .collect()
    }

    #[test]
    fn long_and_short_sessions_are_passed_over_without_losing_older_ones() {
        let said = |n: usize, from: usize| -> Vec<String> {
            (from..from + n)
                .map(|i| format!("zephyrine step {i}"))
                .collect()
        };
        // The newest session has more matching ids than are stepped over one by one,
        // the others fewer; a session without the word sits between them.
        let mut sessions = vec![
            (1_000, said(30, 0)),
            (2_000, said(30, 0)),
            (3_000, vec!["nothing here".to_string(); 40]),
            (4_000, said(40, 0)),
            (5_000, said(3 * JUMP_SPAN as usize, 0)),
        ];
        sessions[1].1[7] = "zephyrine and step apart".into();
        let (_dir, store) = store_of(&sessions);
        let want = |ids: &[&str]| -> Vec<(String, usize)> {
            ids.iter().map(|s| (s.to_string(), 8)).collect()
        };
        assert_eq!(
            found(&store, "zephyrine", 10),
            want(&["s4", "s3", "s1", "s0"])
        );
        assert_eq!(
            found(&store, "zephyrine step", 10),
            want(&["s4", "s3", "s1", "s0"]),
            "a phrase checked on the text passes over sessions the same way"
        );
        assert_eq!(found(&store, "zephyrine", 2), want(&["s4", "s3"]));
        // The oldest message of the long session, below the jump, is found too.
        assert_eq!(
            found(&store, "step 0|zephyrine", 1),
            vec![("s4".to_string(), 9)]
        );
    }

    #[test]
    fn needles_split_on_bars_and_drop_empties_and_repeats() {
        assert_eq!(parse_needles(" a | b||A|  c  d "), vec!["a", "b", "c d"]);
        assert!(parse_needles(" | ").is_empty());
    }

    #[test]
    fn snippets_mark_the_match_case_insensitively() {
        let s = snippet("line one\nthen ERROR: disk full", "error");
        assert_eq!(s, "line one then >>>ERROR<<<: disk full");
        let s = snippet("记住这个仓库用 nextest", "仓库");
        assert_eq!(s, "记住这个>>>仓库<<<用 nextest");
    }

    #[test]
    fn long_snippets_are_cut_on_character_boundaries() {
        let text = format!("{}needle{}", "汉".repeat(200), "字".repeat(200));
        let s = snippet(&text, "needle");
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert_eq!(s.chars().count(), 2 + 60 + 60 + 6 + 6);
    }
}
