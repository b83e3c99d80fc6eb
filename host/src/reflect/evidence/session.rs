//! The session a strategy was given, as the host checks quotes against it: each
//! message's id, role and text, which tool calls succeeded, and which parts of the
//! user's messages are pasted material rather than the user speaking.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::recall::ShownMessage;

/// What kind of words a quote comes from; only some kinds can carry an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The user's own words.
    UserWords,
    /// A block the user pasted (a fence, a `>` quote, log or CI lines).
    UserPasted,
    Assistant,
    /// A tool call whose output came back without an error.
    ToolRun,
    /// A tool call that failed or has no output.
    ToolCall,
    /// Tool output or file contents.
    ToolOutput,
}

#[derive(Debug, Clone)]
pub struct SessionMessage {
    pub id: u64,
    pub role: String,
    pub text: String,
    /// For a tool call: its output came back without an error.
    pub succeeded: bool,
    /// For a user message: byte ranges of pasted material.
    pub pasted: Vec<Range<usize>>,
}

/// The messages of a job's `transcript.jsonl`, in order.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub messages: Vec<SessionMessage>,
    /// The live memory when the job began: what was accepted before may be
    /// carried into a new entry (a replaced line keeps its command).
    pub known: String,
}

impl Session {
    pub fn from_shown(shown: &[ShownMessage]) -> Session {
        let mut messages: Vec<SessionMessage> = shown
            .iter()
            .map(|m| SessionMessage {
                id: m.message_id.max(0) as u64,
                role: m.role.clone(),
                pasted: if m.role == "user" {
                    pasted_ranges(&m.text)
                } else {
                    Vec::new()
                },
                text: m.text.clone(),
                succeeded: false,
            })
            .collect();
        // A tool call succeeded when the next tool output after it, before the
        // next call, is not an error.
        for (i, m) in shown.iter().enumerate() {
            if m.role != "tool-call" {
                continue;
            }
            let output = shown[i + 1..]
                .iter()
                .take_while(|n| n.role != "tool-call")
                .find(|n| n.role == "tool-output");
            messages[i].succeeded = output.is_some_and(|o| !o.is_error && !failed_output(&o.text));
        }
        Session {
            messages,
            known: String::new(),
        }
    }

    pub fn get(&self, id: u64) -> Option<&SessionMessage> {
        self.messages.iter().find(|m| m.id == id)
    }
}

/// Output that reports a failure although the call itself was not flagged.
fn failed_output(text: &str) -> bool {
    let head: String = text.chars().take(400).collect::<String>().to_lowercase();
    [
        "exit code: 1",
        "exit code 1",
        "exit status 1",
        "process exited with code 1",
    ]
    .iter()
    .any(|p| head.contains(p))
        || head.lines().any(|l| {
            let l = l.trim();
            l.starts_with("error:") || l.starts_with("error[") || l == "failed"
        })
}

impl SessionMessage {
    /// The kind of words at `span` of this message's text.
    pub fn source_at(&self, span: &Range<usize>) -> Source {
        match self.role.as_str() {
            "user"
                if self
                    .pasted
                    .iter()
                    .any(|p| p.start <= span.start && span.end <= p.end) =>
            {
                Source::UserPasted
            }
            "user" => Source::UserWords,
            "assistant" => Source::Assistant,
            "tool-call" if self.succeeded => Source::ToolRun,
            "tool-call" => Source::ToolCall,
            _ => Source::ToolOutput,
        }
    }

    /// The text the user spoke, with pasted parts blanked out; the whole text
    /// for other roles.
    pub fn spoken(&self) -> String {
        let mut text = self.text.clone();
        for r in &self.pasted {
            let blank: String = text[r.clone()]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' })
                .collect();
            text.replace_range(r.clone(), &blank);
        }
        text
    }
}

/// Byte ranges of a user message that are pasted material: fenced blocks, `>`
/// quoted lines, and log or CI lines (timestamps, levels, stack frames, shell
/// traces) — the user showing text, not saying it.
pub fn pasted_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut in_fence: Option<usize> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let t = line.trim();
        let fence = t.starts_with("```") || t.starts_with("~~~");
        if let Some(open) = in_fence {
            if fence {
                push(&mut out, open..at);
                in_fence = None;
            }
            continue;
        }
        if fence {
            in_fence = Some(start);
            continue;
        }
        if t.starts_with('>') || log_line(t) {
            push(&mut out, start..at);
        }
    }
    if let Some(open) = in_fence {
        push(&mut out, open..text.len());
    }
    out
}

fn push(out: &mut Vec<Range<usize>>, r: Range<usize>) {
    match out.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => out.push(r),
    }
}

/// A line as programs print it rather than as people write it.
fn log_line(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |r: Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    // 2026-01-02, 12:34:56, [12:34
    let stamp = (digits(0..4) && b.get(4) == Some(&b'-') && digits(5..7))
        || (digits(0..2) && b.get(2) == Some(&b':') && digits(3..5))
        || (b.first() == Some(&b'[') && digits(1..3) && b.get(3) == Some(&b':'));
    let upper = t.split([' ', ':', ']']).next().unwrap_or("");
    let level = matches!(
        upper.trim_start_matches('['),
        "ERROR" | "WARN" | "WARNING" | "INFO" | "DEBUG" | "TRACE" | "FATAL" | "PANIC" | "FAILED"
    );
    let lower = t.to_ascii_lowercase();
    let frame = lower.starts_with("at ") && lower.contains(':') && !lower.contains(" the ");
    let printed = [
        "##[",
        "npm err!",
        "npm warn",
        "error:",
        "error[",
        "warning:",
        "panicked at",
        "traceback",
        "file \"",
        "+ ",
        "test result:",
        "exit code",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    let tool = frame || printed;
    stamp || level || tool
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(id: i64, role: &str, text: &str, err: bool) -> ShownMessage {
        ShownMessage {
            message_id: id,
            role: role.into(),
            tool_name: None,
            at_ms: None,
            is_error: err,
            text: text.into(),
        }
    }

    #[test]
    fn pasted_parts_of_a_user_message() {
        let text = "the CI failed:\n```\n$ docker system prune -af\nERROR x\n```\nuse make ci\n> quoted\n2026-01-02 12:00 boom\n";
        let ranges = pasted_ranges(text);
        let spoken = |needle: &str| {
            let at = text.find(needle).unwrap();
            !ranges
                .iter()
                .any(|r| r.start <= at && at + needle.len() <= r.end)
        };
        assert!(spoken("the CI failed"));
        assert!(spoken("use make ci"));
        assert!(!spoken("docker system prune"));
        assert!(!spoken("quoted"));
        assert!(!spoken("boom"));
    }

    #[test]
    fn tool_calls_succeed_by_their_output() {
        let s = Session::from_shown(&[
            shown(1, "tool-call", "cargo test", false),
            shown(2, "tool-output", "ok", false),
            shown(3, "tool-call", "make x", false),
            shown(4, "tool-output", "make: *** Error 2", true),
            shown(5, "tool-call", "cargo build", false),
            shown(6, "tool-output", "error: could not compile", false),
            shown(7, "tool-call", "never answered", false),
        ]);
        let ok: Vec<bool> = s.messages.iter().map(|m| m.succeeded).collect();
        assert_eq!(ok, [true, false, false, false, false, false, false]);
    }
}
