//! Tool results as compact text for a model: an index of hits first (ids, time,
//! title, snippet), and a session's messages only when asked, within a budget.

use std::fmt::Write as _;

use super::source::{SessionHits, ShownMessage, short_id};
use crate::timefmt::rfc3339;

/// Where a listing looked, for its first line.
pub struct Scope<'a> {
    /// The repo searched, or `None` for every repo.
    pub repo: Option<&'a str>,
}

impl Scope<'_> {
    fn describe(&self) -> String {
        match self.repo {
            Some(r) => format!("in repo {r}"),
            None => "in every repo".into(),
        }
    }
}

fn when(ms: Option<u64>) -> String {
    ms.map(rfc3339).unwrap_or_else(|| "unknown time".into())
}

fn role(role: &str, tool: Option<&str>) -> String {
    match tool {
        Some(t) => format!("{role}:{t}"),
        None => role.to_string(),
    }
}

/// One session's header line (and title line) in a listing.
fn header(out: &mut String, n: usize, s: &SessionHits, global: bool) {
    let branch = s
        .branch
        .as_deref()
        .map(|b| format!(" ({b})"))
        .unwrap_or_default();
    let _ = write!(
        out,
        "[{n}] {}  {}  {}{branch}  session {}",
        short_id(&s.session_id),
        when(s.ended_ms.or(s.started_ms)),
        s.client,
        s.session_id
    );
    if global {
        let _ = write!(out, "  repo {}", s.repo);
    }
    out.push('\n');
    if let Some(t) = s.title.as_deref().filter(|t| !t.trim().is_empty()) {
        let _ = writeln!(out, "    title: {}", one_line(t, 160));
    }
}

/// The index of sessions a search found, their best hits with message ids.
pub fn search(query: &str, scope: &Scope, results: &[SessionHits], notice: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(n) = notice {
        let _ = writeln!(out, "Note: {n}");
    }
    if results.is_empty() {
        let _ = write!(out, "No session matches {query:?} {}.", scope.describe());
        if scope.repo.is_some() {
            out.push_str(" Try global: true to search every repo, or other needles (a|b).");
        }
        return out;
    }
    let _ = writeln!(
        out,
        "{} {} {query:?} {} (best first; >>>text<<< marks a match):",
        results.len(),
        if results.len() == 1 {
            "session matches"
        } else {
            "sessions match"
        },
        scope.describe()
    );
    for (i, s) in results.iter().enumerate() {
        header(&mut out, i + 1, s, scope.repo.is_none());
        for h in &s.hits {
            let _ = writeln!(
                out,
                "    #{} {} {}: {}",
                h.message_id,
                role(&h.role, h.tool_name.as_deref()),
                h.at_ms.map(rfc3339).unwrap_or_default(),
                one_line(&h.snippet, 400)
            );
        }
        if s.hit_count > s.hits.len() {
            let _ = writeln!(out, "    (+{} more hits)", s.hit_count - s.hits.len());
        }
    }
    out.push_str(
        "To read a hit in context: open_session with the session's short id and the hit's \
         message number (e.g. {\"session\": \"",
    );
    let _ = write!(
        out,
        "{}\", \"message\": {}}}).",
        short_id(&results[0].session_id),
        results[0].hits.first().map_or(0, |h| h.message_id)
    );
    out
}

/// The newest sessions.
pub fn recent(scope: &Scope, results: &[SessionHits], notice: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(n) = notice {
        let _ = writeln!(out, "Note: {n}");
    }
    if results.is_empty() {
        let _ = write!(out, "No sessions archived {} yet.", scope.describe());
        return out;
    }
    let _ = writeln!(
        out,
        "{} most recent session{} {}:",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        scope.describe()
    );
    for (i, s) in results.iter().enumerate() {
        header(&mut out, i + 1, s, scope.repo.is_none());
    }
    out.push_str("Read one with open_session {\"session\": \"<short id>\"}.");
    out
}

/// Which messages of a session to show and how much of each.
pub struct Window {
    pub around: Option<i64>,
    pub before: usize,
    pub after: usize,
    pub max_chars: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("message #{message} is not in session {session} (its messages are #{first} to #{last})")]
pub struct NotInSession {
    message: i64,
    session: String,
    first: i64,
    last: i64,
}

/// The messages of `window` around one message (or from the start), each cut so
/// that the texts together fit `max_chars`; the message asked for is served first.
pub fn session(
    s: &SessionHits,
    messages: &[ShownMessage],
    window: &Window,
) -> Result<String, NotInSession> {
    let center = match window.around {
        None => None,
        Some(id) => Some(
            messages
                .iter()
                .position(|m| m.message_id == id)
                .ok_or_else(|| NotInSession {
                    message: id,
                    session: s.session_id.clone(),
                    first: messages.first().map_or(0, |m| m.message_id),
                    last: messages.last().map_or(0, |m| m.message_id),
                })?,
        ),
    };
    let (start, end) = match center {
        Some(c) => (
            c.saturating_sub(window.before),
            (c + window.after + 1).min(messages.len()),
        ),
        None => (0, (window.before + window.after + 1).min(messages.len())),
    };
    let shown = &messages[start..end];
    let lengths: Vec<usize> = shown.iter().map(|m| m.text.chars().count()).collect();
    let caps = budget(&lengths, center.map(|c| c - start), window.max_chars);

    let mut out = String::new();
    header(&mut out, 1, s, true);
    let _ = writeln!(
        out,
        "    messages #{} to #{} of {} (#{}..#{} in this session)",
        shown.first().map_or(0, |m| m.message_id),
        shown.last().map_or(0, |m| m.message_id),
        messages.len(),
        messages.first().map_or(0, |m| m.message_id),
        messages.last().map_or(0, |m| m.message_id),
    );
    for (k, m) in shown.iter().enumerate() {
        let mark = if Some(start + k) == center {
            " <<<"
        } else {
            ""
        };
        let error = if m.is_error { " (error)" } else { "" };
        let _ = writeln!(
            out,
            "\n#{} {} {}{error}{mark}",
            m.message_id,
            role(&m.role, m.tool_name.as_deref()),
            m.at_ms.map(rfc3339).unwrap_or_default()
        );
        out.push_str(&cut(&m.text, caps[k]));
        out.push('\n');
    }
    if start > 0 || end < messages.len() {
        let _ = write!(
            out,
            "\n({} earlier and {} later messages not shown: open_session with another \
             message, or larger before/after.)",
            start,
            messages.len() - end
        );
    }
    Ok(out)
}

/// Characters each text may keep so that together they fit `total`: the text at
/// `first` gets up to half, the rest share what is left fairly (a short text takes
/// only what it needs, and leaves the remainder to the others).
fn budget(lengths: &[usize], first: Option<usize>, total: usize) -> Vec<usize> {
    let mut caps = vec![0; lengths.len()];
    let mut left = total;
    if let Some(f) = first {
        caps[f] = lengths[f].min(total / 2);
        left -= caps[f];
    }
    let mut open: Vec<usize> = (0..lengths.len()).filter(|&i| Some(i) != first).collect();
    open.sort_by_key(|&i| lengths[i]);
    let mut remaining = open.len();
    for i in open {
        let share = left / remaining.max(1);
        caps[i] = lengths[i].min(share);
        left -= caps[i];
        remaining -= 1;
    }
    // What the others did not need goes back to the first text.
    if let Some(f) = first {
        caps[f] = lengths[f].min(caps[f] + left);
    }
    caps
}

/// `text` cut to `max` characters, saying how much was left out.
fn cut(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… [{} more characters]", total - max)
}

/// `text` on one line, cut to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let kept: String = flat.chars().take(max).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_never_exceeded() {
        let caps = budget(&[10, 5000, 5000, 20], Some(1), 1000);
        assert_eq!(caps[0], 10);
        assert_eq!(caps[3], 20);
        assert!(
            caps[1] >= 500,
            "the asked-for message gets at least half: {caps:?}"
        );
        assert_eq!(caps.iter().sum::<usize>(), 1000);
    }

    #[test]
    fn short_texts_are_kept_whole() {
        assert_eq!(budget(&[3, 4], None, 100), vec![3, 4]);
        assert_eq!(cut("héllo wörld", 5), "héllo… [6 more characters]");
    }
}
