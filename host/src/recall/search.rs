//! Needle search over the two indexes: words (unicode61: identifiers split on
//! punctuation, paths into parts) first, then substrings (trigram: CJK runs, the
//! inside of identifiers), then a bounded scan for needles too short for trigrams.
//! Ranked by bm25, tool text weighted below user and assistant text, newer first on ties.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use super::ingest::{bucket_token, client_token};
use super::store::{Store, StoreError, sql};

/// The newest messages matching an FTS expression, with their text.
const CANDIDATE_SQL: &str = "SELECT m.id, m.session, m.role, m.text,
            COALESCE(s.ended_ms, s.started_ms)
     FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1
           ORDER BY rowid DESC LIMIT ?3) f
     JOIN messages m ON m.id = f.rowid
     JOIN sessions s ON s.id = m.session
     WHERE (?2 IS NULL OR COALESCE(s.ended_ms, s.started_ms, 0) >= ?2)";

/// Narrows an FTS expression to the query's bucket and client.
fn scoped(mut expr: String, q: &SearchQuery) -> String {
    if let Some(b) = &q.bucket {
        expr.push_str(&format!(" AND scope : {}", bucket_token(b)));
    }
    if let Some(c) = &q.client {
        expr.push_str(&format!(" AND scope : {}", client_token(c)));
    }
    expr
}

/// Rows fetched per needle and index before grouping by session: the newest matches
/// (message ids follow session start times), ranked by bm25 among themselves. A
/// word found in half the corpus costs the same as a rare one.
const CANDIDATES: i64 = 200;
/// Candidates kept per session.
const HITS_PER_SESSION: usize = 8;
/// Hits shown per session.
const HITS_SHOWN: usize = 3;
/// Characters of context on each side of a match in a snippet.
const SNIPPET_SIDE: usize = 60;

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub needles: Vec<String>,
    /// Only sessions of this bucket; `None` searches every repo.
    pub bucket: Option<String>,
    pub limit: usize,
    /// Only sessions active at or after this time (ms since the epoch).
    pub since_ms: Option<u64>,
    pub client: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub message_id: i64,
    pub role: String,
    pub tool_name: Option<String>,
    pub at_ms: Option<u64>,
    /// The text around the match, the match marked `>>>like this<<<`.
    pub snippet: String,
    /// `words`, `substring` or `scan`: which index found it.
    pub matched_by: &'static str,
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
    pub score: f64,
    pub hit_count: usize,
    pub hits: Vec<Hit>,
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

/// The overlapping character pairs of every CJK run, space-separated (a run of one
/// character is itself): what the `cjk` column indexes, so any CJK substring of two
/// or more characters is a set of pairs, and one character a prefix of a pair.
pub(crate) fn cjk_pairs(text: &str) -> String {
    let mut out = String::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut String| {
        match run.len() {
            0 => {}
            1 => {
                out.push(run[0]);
                out.push(' ');
            }
            _ => {
                for pair in run.windows(2) {
                    out.push(pair[0]);
                    out.push(pair[1]);
                    out.push(' ');
                }
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

pub(crate) fn has_cjk(text: &str) -> bool {
    text.chars().any(is_cjk)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0x1100..=0x11FF | 0x3130..=0x318F | 0x20000..=0x2FFFF)
}

/// Tool text is found, but ranks below what the user and the agent said.
fn role_weight(role: &str) -> f64 {
    match role {
        "user" => 1.0,
        "assistant" => 0.9,
        "tool-call" => 0.7,
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

fn quoted(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

/// Words as the index splits them: runs of letters and digits, lowercased.
fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// True when `text` holds `words` one after the other (the last one as a prefix
/// when `prefix`).
fn holds_phrase(text: &str, words: &[String], prefix: bool) -> bool {
    let all = tokens(text);
    all.windows(words.len()).any(|w| {
        w.iter().zip(words).enumerate().all(|(i, (have, want))| {
            if prefix && i + 1 == words.len() {
                have.starts_with(want.as_str())
            } else {
                have == want
            }
        })
    })
}

/// Lower is better, as bm25. FTS5's own bm25 reads every posting of every term to
/// weigh it, which costs hundreds of milliseconds for a word in most messages; among
/// the newest matches of one needle, how often it occurs and how short the message is
/// rank as well, and tool text stays below what people wrote.
fn score(role: &str, text: &str, needle: &str) -> f64 {
    let tf = count_folded(text, needle).max(1) as f64;
    let len = text.len() as f64;
    -role_weight(role) * (1.0 + tf.ln()) / (1.0 + (1.0 + len / 2000.0).ln())
}

fn count_folded(hay: &str, needle: &str) -> usize {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return 0;
    }
    (0..=h.len() - n.len())
        .filter(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
        .count()
}

impl Store {
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SessionHits>, StoreError> {
        let mut candidates = Vec::new();
        for (i, needle) in q.needles.iter().enumerate() {
            let found = if has_cjk(needle) {
                self.cjk(q, needle, i)?
            } else {
                let exact = self.words(q, needle, false, i)?;
                if exact.is_empty() {
                    // The last word may be the start of a longer one: `zanzi` finds `zanzibar`.
                    self.words(q, needle, true, i)?
                } else {
                    exact
                }
            };
            candidates.extend(found);
        }
        self.group(q, candidates)
    }

    /// The words index, narrowed to the bucket and client inside FTS. It keeps no
    /// positions (`detail=column`, a smaller index), so a needle of several words is
    /// looked up as all of them, then checked here to hold them side by side.
    fn words(
        &self,
        q: &SearchQuery,
        needle: &str,
        prefix: bool,
        index: usize,
    ) -> Result<Vec<Candidate>, StoreError> {
        let tokens = tokens(needle);
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let terms: Vec<String> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let star = if prefix && i + 1 == tokens.len() {
                    "*"
                } else {
                    ""
                };
                format!("{}{star}", quoted(t))
            })
            .collect();
        let expr = scoped(format!("text : ({})", terms.join(" AND ")), q);
        let limit = if tokens.len() > 1 {
            5 * CANDIDATES
        } else {
            CANDIDATES
        };
        self.fetch(
            CANDIDATE_SQL,
            params![expr, q.since_ms.map(|v| v as i64), limit],
            needle,
            index,
            "words",
            |text| {
                tokens.len() == 1
                    || find_folded(text, needle).is_some()
                    || holds_phrase(text, &tokens, prefix)
            },
        )
    }

    /// Runs a candidate query (newest first) and keeps, up to `CANDIDATES`, the rows
    /// `accept` takes, reading no further rows than that needs.
    fn fetch(
        &self,
        query: &str,
        params: &[&dyn rusqlite::ToSql],
        needle: &str,
        index: usize,
        matched_by: &'static str,
        accept: impl Fn(&str) -> bool,
    ) -> Result<Vec<Candidate>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(query)
            .map_err(sql("preparing a search"))?;
        let mut kept = Vec::new();
        let mut per_session: HashMap<i64, usize> = HashMap::new();
        let result = (|| -> rusqlite::Result<()> {
            let mut rows = st.query(params)?;
            while let Some(r) = rows.next()? {
                // A few hits per session are enough to rank it; more room for other sessions.
                let session: i64 = r.get(1)?;
                if per_session.get(&session).copied().unwrap_or(0) >= HITS_PER_SESSION {
                    continue;
                }
                let text = r.get_ref(3)?.as_str()?;
                if !accept(text) {
                    continue;
                }
                *per_session.entry(session).or_default() += 1;
                let role: String = r.get(2)?;
                kept.push(Candidate {
                    message: r.get(0)?,
                    session,
                    ended: r.get(4)?,
                    score: score(&role, text, needle),
                    role,
                    matched_by,
                    needle: index,
                });
                if kept.len() as i64 >= CANDIDATES {
                    break;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(kept),
            // A needle FTS cannot parse (only punctuation) finds nothing; that is no error.
            Err(rusqlite::Error::SqliteFailure(_, Some(msg)))
                if msg.contains("fts5") || msg.contains("syntax") =>
            {
                Ok(Vec::new())
            }
            Err(e) => Err(StoreError::Sql {
                what: "searching",
                source: e,
            }),
        }
    }

    /// A needle with CJK text: its character pairs in the `cjk` column (a single
    /// character as a prefix), its other words in `text`, then the needle itself is
    /// checked on the message.
    fn cjk(
        &self,
        q: &SearchQuery,
        needle: &str,
        index: usize,
    ) -> Result<Vec<Candidate>, StoreError> {
        let mut terms: Vec<String> = Vec::new();
        for pair in cjk_pairs(needle).split_whitespace() {
            let star = if pair.chars().count() == 1 { "*" } else { "" };
            terms.push(format!("cjk : {}{star}", quoted(pair)));
        }
        let plain: String = needle
            .chars()
            .map(|c| if is_cjk(c) { ' ' } else { c })
            .collect();
        for t in tokens(&plain) {
            terms.push(format!("text : {}", quoted(&t)));
        }
        let expr = scoped(terms.join(" AND "), q);
        self.fetch(
            CANDIDATE_SQL,
            params![expr, q.since_ms.map(|v| v as i64), 5 * CANDIDATES],
            needle,
            index,
            "cjk",
            |text| find_folded(text, needle).is_some(),
        )
    }

    fn group(
        &self,
        q: &SearchQuery,
        candidates: Vec<Candidate>,
    ) -> Result<Vec<SessionHits>, StoreError> {
        let mut by_session: HashMap<i64, Vec<Candidate>> = HashMap::new();
        for c in candidates {
            by_session.entry(c.session).or_default().push(c);
        }
        let mut ranked: Vec<(i64, f64, Vec<Candidate>, Option<i64>)> = Vec::new();
        for (session, mut hits) in by_session {
            hits.sort_by(|a, b| a.score.total_cmp(&b.score));
            hits.dedup_by_key(|h| h.message);
            let (best, ended) = (hits[0].score, hits[0].ended);
            ranked.push((session, best, hits, ended));
        }
        // Best hit first; more hits, then the newer session, break ties.
        ranked.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(b.2.len().cmp(&a.2.len()))
                .then(b.3.cmp(&a.3))
        });
        ranked.truncate(q.limit.max(1));
        ranked
            .into_iter()
            .map(|(session, score, hits, _)| self.session_hits(q, session, score, hits))
            .collect()
    }

    fn session_hits(
        &self,
        q: &SearchQuery,
        session: i64,
        score: f64,
        hits: Vec<Candidate>,
    ) -> Result<SessionHits, StoreError> {
        let mut out = self.session_row(session)?;
        out.score = (score * 1000.0).round() / 1000.0;
        out.hit_count = hits.len();
        for c in hits.into_iter().take(HITS_SHOWN) {
            let (tool_name, at_ms, text): (Option<String>, Option<i64>, String) = self
                .conn
                .prepare_cached("SELECT tool_name, at_ms, text FROM messages WHERE id = ?1")
                .and_then(|mut st| {
                    st.query_row([c.message], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                })
                .map_err(sql("reading a hit"))?;
            out.hits.push(Hit {
                message_id: c.message,
                role: c.role,
                tool_name,
                at_ms: at_ms.map(|v| v as u64),
                snippet: snippet(&text, &q.needles[c.needle]),
                matched_by: c.matched_by,
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

/// The text around the first match of `needle` (ASCII case folded), on one line.
pub fn snippet(text: &str, needle: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let found = find_folded(&flat, needle).or_else(|| {
        needle
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .find_map(|w| find_folded(&flat, w))
    });
    let Some((start, end)) = found else {
        return flat.chars().take(2 * SNIPPET_SIDE).collect();
    };
    let before: String = {
        let mut v: Vec<char> = flat[..start].chars().rev().take(SNIPPET_SIDE).collect();
        v.reverse();
        v.into_iter().collect()
    };
    let after: String = flat[end..].chars().take(SNIPPET_SIDE).collect();
    let lead = if before.len() < start { "…" } else { "" };
    let tail = if end + after.len() < flat.len() {
        "…"
    } else {
        ""
    };
    format!("{lead}{before}>>>{}<<<{after}{tail}", &flat[start..end])
}

fn find_folded(hay: &str, needle: &str) -> Option<(usize, usize)> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len())
        .filter(|&i| hay.is_char_boundary(i) && hay.is_char_boundary(i + n.len()))
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
        .map(|i| (i, i + n.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_split_on_bars_and_drop_empties_and_repeats() {
        assert_eq!(parse_needles(" a | b||A|  c  d "), vec!["a", "b", "c d"]);
        assert!(parse_needles(" | ").is_empty());
    }

    #[test]
    fn phrases_hold_their_words_side_by_side() {
        let w = tokens("src/main.rs");
        assert_eq!(w, vec!["src", "main", "rs"]);
        assert!(holds_phrase("edit SRC/Main.rs now", &w, false));
        assert!(!holds_phrase("src and main and rs", &w, false));
        assert!(holds_phrase(
            "the parse_config_loader",
            &tokens("parse config"),
            false
        ));
        assert!(holds_phrase(
            "cargo nextest run",
            &tokens("cargo next"),
            true
        ));
        assert!(!holds_phrase(
            "cargo nextest run",
            &tokens("cargo next"),
            false
        ));
    }

    #[test]
    fn cjk_runs_become_overlapping_pairs() {
        assert_eq!(cjk_pairs("用 cargo 跑测试"), "用 跑测 测试 ");
        assert_eq!(cjk_pairs("設定ファイル"), "設定 定フ ファ ァイ イル ");
        assert_eq!(cjk_pairs("plain text"), "");
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
