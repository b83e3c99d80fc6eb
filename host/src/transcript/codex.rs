//! Codex CLI rollouts (`$CODEX_HOME/sessions/**/rollout-*.jsonl`) in all three shapes: the
//! 0.169 envelope (`{timestamp, ordinal, type, payload}`), the 2025 envelope (no `ordinal`)
//! and the early flat files (a bare session header, then bare response items).
//!
//! What is indexed, and why:
//! * `response_item` messages (user, assistant) and tool calls/outputs are the conversation
//!   record. Developer and system messages are harness context (skills, permissions, our own
//!   SessionStart memory) and are dropped.
//! * `event_msg` `user_message`/`agent_message` and `item_completed` `UserMessage`/`AgentMessage`
//!   repeat text that a `response_item` also holds, sometimes before it. They are used only
//!   when no `response_item` message has been seen in the file (tracked across incremental
//!   reads by [`SessionMeta::response_items`]); every client version we know of writes both.
//! * `reasoning` items are skipped: the content is encrypted, and the summaries are short
//!   headings the model writes for itself, not text addressed to the user.
//! * `compacted` is skipped: its summary restates messages already indexed from earlier lines.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::lenient::{Obj, Parts, Str};
use super::text::{call_text, is_injected, runs, trimmed};
use super::time::parse_ms;
use super::{Message, Outcome, Role, SessionMeta, Sink, message};

/// One line, or one `payload`/`item` inside it: the union of the fields of every record
/// kind we read, since the kind is only known after parsing.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Rec<'a> {
    #[serde(rename = "type", borrow)]
    kind: Str<'a>,
    #[serde(borrow)]
    timestamp: Str<'a>,
    #[serde(borrow)]
    record_type: Str<'a>,
    #[serde(borrow)]
    payload: Obj<Box<Rec<'a>>>,
    #[serde(borrow)]
    item: Obj<Box<Rec<'a>>>,
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    session_id: Str<'a>,
    #[serde(borrow)]
    cwd: Str<'a>,
    #[serde(borrow)]
    originator: Str<'a>,
    #[serde(borrow)]
    cli_version: Str<'a>,
    #[serde(borrow)]
    git: Obj<Git<'a>>,
    #[serde(borrow)]
    role: Str<'a>,
    #[serde(borrow)]
    content: Parts<'a>,
    #[serde(borrow)]
    message: Parts<'a>,
    #[serde(borrow)]
    name: Str<'a>,
    arguments: Option<Value>,
    input: Option<Value>,
    action: Option<Value>,
    #[serde(borrow)]
    call_id: Str<'a>,
    #[serde(borrow)]
    output: Parts<'a>,
    #[serde(borrow)]
    internal_chat_message_metadata_passthrough: Obj<Passthrough<'a>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Git<'a> {
    #[serde(borrow)]
    branch: Str<'a>,
}

/// 0.169 tags each content part with its origin; `user.*` kinds are what the user typed.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Passthrough<'a> {
    #[serde(borrow)]
    content_item_kinds: Parts<'a>,
}

/// The kinds of line, told apart before the record is taken apart.
enum Line {
    Meta,
    Item,
    Event,
    TurnContext,
    /// Early flat files: `{"record_type":"state"}` bookkeeping.
    State,
    /// Early flat files: the bare session header.
    Header,
    /// Early flat files: a bare response item; other kinds end up unknown there.
    Bare,
    Unknown,
}

pub(crate) fn line(sink: &mut Sink, text: &str, offset: u64) -> serde_json::Result<Outcome> {
    let rec: Rec = serde_json::from_str(text)?;
    let at = rec.timestamp.get().and_then(parse_ms);
    let kind = match rec.kind.get() {
        Some("session_meta") => Line::Meta,
        Some("response_item") => Line::Item,
        Some("event_msg") => Line::Event,
        Some("turn_context") => Line::TurnContext,
        Some(_) => Line::Bare,
        None if rec.record_type.get().is_some() => Line::State,
        None if rec.id.get().is_some() => Line::Header,
        None => Line::Unknown,
    };
    Ok(match kind {
        Line::Meta => {
            if let Some(payload) = rec.payload.get() {
                session_meta(&mut sink.meta, payload, at);
            }
            Outcome::Read
        }
        Line::Item => match rec.payload.0 {
            Some(payload) => item(sink, *payload, at, offset),
            None => Outcome::Unknown,
        },
        Line::Event => match rec.payload.0 {
            Some(payload) => event(sink, *payload, at, offset),
            None => Outcome::Unknown,
        },
        Line::TurnContext => {
            let cwd = rec.payload.get().and_then(|p| p.cwd.get());
            Sink::fill(&mut sink.meta.cwd, cwd);
            Outcome::Read
        }
        Line::Header => {
            session_meta(&mut sink.meta, &rec, None);
            Outcome::Read
        }
        Line::Bare => item(sink, rec, at, offset),
        Line::State | Line::Unknown => Outcome::Unknown,
    })
}

fn session_meta(meta: &mut SessionMeta, p: &Rec, envelope_at: Option<u64>) {
    Sink::fill(&mut meta.id, p.id.get().or(p.session_id.get()));
    Sink::fill(&mut meta.cwd, p.cwd.get());
    Sink::fill(&mut meta.originator, p.originator.get());
    Sink::fill(&mut meta.cli_version, p.cli_version.get());
    Sink::fill(&mut meta.branch, p.git.get().and_then(|g| g.branch.get()));
    if meta.started_ms.is_none() {
        meta.started_ms = p.timestamp.get().and_then(parse_ms).or(envelope_at);
    }
}

fn item(sink: &mut Sink, it: Rec, at: Option<u64>, offset: u64) -> Outcome {
    match it.kind.get().unwrap_or_default() {
        "message" => {
            sink.saw_items = true;
            response_message(sink, it, at, offset);
        }
        "function_call" | "custom_tool_call" | "local_shell_call" | "web_search_call" => {
            tool_call(sink, it, at, offset);
        }
        "function_call_output" | "custom_tool_call_output" => tool_output(sink, it, at, offset),
        _ => return Outcome::Unknown,
    }
    Outcome::Read
}

fn response_message(sink: &mut Sink, it: Rec, at: Option<u64>, offset: u64) {
    let role = match it.role.get() {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        _ => return,
    };
    let kinds: Vec<Option<&str>> = it
        .internal_chat_message_metadata_passthrough
        .get()
        .map(|p| {
            p.content_item_kinds
                .0
                .iter()
                .map(|k| k.text.get())
                .collect()
        })
        .unwrap_or_default();
    let pieces = it
        .content
        .0
        .into_iter()
        .enumerate()
        .filter_map(|(i, part)| {
            let text = part.text.0?;
            let injected = role == Role::User
                && match kinds.get(i).copied().flatten() {
                    Some(kind) if kind.starts_with("user.") => false,
                    Some(kind) if !kind.is_empty() && kind != "unknown" => true,
                    _ => is_injected(&text),
                };
            Some((injected, text))
        })
        .collect();
    for (injected, text) in runs(pieces) {
        sink.push(Message {
            injected,
            ..message(role, text, at, offset)
        });
    }
}

fn tool_call(sink: &mut Sink, it: Rec, at: Option<u64>, offset: u64) {
    let (name, args) = match it.kind.get().unwrap_or_default() {
        "local_shell_call" => ("local_shell", it.action.as_ref()),
        "web_search_call" => {
            let query = it.action.as_ref().and_then(|a| a.get("query"));
            ("web_search", query.or(it.action.as_ref()))
        }
        "custom_tool_call" => (it.name.get().unwrap_or("tool"), it.input.as_ref()),
        _ => (it.name.get().unwrap_or("tool"), it.arguments.as_ref()),
    };
    let text = call_text(name, args);
    if let Some(id) = it.call_id.non_empty() {
        sink.calls.insert(id.to_owned(), name.to_owned());
    }
    sink.push(Message {
        tool_name: Some(name.to_owned()),
        ..message(Role::ToolCall, text, at, offset)
    });
}

fn tool_output(sink: &mut Sink, it: Rec, at: Option<u64>, offset: u64) {
    let tool_name = it.call_id.get().and_then(|id| sink.calls.get(id)).cloned();
    let Some(raw) = it.output.joined() else {
        return;
    };
    let (text, is_error) = decode_output(raw);
    sink.push(Message {
        tool_name,
        is_error,
        ..message(Role::ToolOutput, text, at, offset)
    });
}

/// Shell output as older builds wrote it: a JSON string inside the JSON line.
#[derive(Deserialize)]
struct ShellOutput<'a> {
    #[serde(borrow)]
    output: Option<Cow<'a, str>>,
    metadata: Option<ShellMetadata>,
}

#[derive(Deserialize)]
struct ShellMetadata {
    exit_code: Option<i64>,
}

/// The readable output and whether it reports failure. Handles the JSON-in-a-string form
/// (`{"output":…,"metadata":{"exit_code":N}}`) and the text header form
/// (`Exit code: N` / `Process exited with code N` … `Output:`).
fn decode_output(raw: Cow<'_, str>) -> (String, bool) {
    let t = raw.trim_start();
    if t.starts_with('{')
        && let Ok(ShellOutput {
            output: Some(output),
            metadata,
        }) = serde_json::from_str(t)
    {
        let code = metadata.and_then(|m| m.exit_code).unwrap_or(0);
        return (trimmed(output), code != 0);
    }
    if let Some((body, code)) = split_exec_header(t) {
        return (body.trim().to_owned(), code.is_some_and(|c| c != 0));
    }
    (trimmed(raw), false)
}

const HEADER_OPENINGS: [&str; 5] = [
    "Chunk ID: ",
    "Exit code: ",
    "Wall time: ",
    "Process exited with code ",
    "Process running with session ID ",
];

/// Splits Codex's exec-output header off the body; the header (chunk ids, timings) is noise
/// for search, but its exit code says whether the command failed.
fn split_exec_header(text: &str) -> Option<(&str, Option<i64>)> {
    if !HEADER_OPENINGS.iter().any(|h| text.starts_with(h)) {
        return None;
    }
    let mut code = None;
    let mut rest = text;
    for _ in 0..8 {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        let line = line.trim_end();
        if line == "Output:" {
            return Some((after, code));
        }
        if let Some(n) = line
            .strip_prefix("Exit code: ")
            .or_else(|| line.strip_prefix("Process exited with code "))
        {
            code = n.trim().parse().ok();
        }
        if after.is_empty() {
            break;
        }
        rest = after;
    }
    None
}

fn event(sink: &mut Sink, p: Rec, at: Option<u64>, offset: u64) -> Outcome {
    let (role, text) = match p.kind.get().unwrap_or_default() {
        "user_message" => (Role::User, p.message),
        "agent_message" => (Role::Assistant, p.message),
        "item_completed" => match p.item.0 {
            Some(item) if item.kind.is("UserMessage") => (Role::User, item.content),
            Some(item) if item.kind.is("AgentMessage") => (Role::Assistant, item.content),
            _ => return Outcome::Unknown,
        },
        _ => return Outcome::Unknown,
    };
    if sink.meta.response_items || sink.saw_items {
        return Outcome::Read;
    }
    if let Some(text) = text.joined() {
        let text = trimmed(text);
        let injected = role == Role::User && is_injected(&text);
        sink.push_event_copy(Message {
            injected,
            ..message(role, text, at, offset)
        });
    }
    Outcome::Read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shell_output_is_decoded_with_its_exit_code() {
        let raw = r#"{"output":"boom\n","metadata":{"exit_code":2,"duration_seconds":0.1}}"#;
        assert_eq!(decode_output(Cow::Borrowed(raw)), ("boom".to_owned(), true));
        let raw = r#"{"output":"ok","metadata":{"exit_code":0}}"#;
        assert_eq!(decode_output(Cow::Borrowed(raw)), ("ok".to_owned(), false));
    }

    #[test]
    fn exec_headers_are_stripped_and_exit_codes_read() {
        let raw = "Chunk ID: 98ef41\nWall time: 0.0000 seconds\nProcess exited with code 0\n\
                   Original token count: 5\nOutput:\nhook-e2e-tool-ran\n";
        assert_eq!(
            decode_output(Cow::Borrowed(raw)),
            ("hook-e2e-tool-ran".into(), false)
        );
        let raw = "Exit code: 101\nWall time: 3 seconds\nOutput:\nerror[E0308]: mismatched types";
        assert_eq!(
            decode_output(Cow::Borrowed(raw)),
            ("error[E0308]: mismatched types".into(), true)
        );
        let raw = "Exit code: one\nno output line";
        assert_eq!(decode_output(Cow::Borrowed(raw)).0, raw);
    }

    #[test]
    fn json_that_is_not_shell_output_is_kept_verbatim() {
        let raw = r#"{"content":[{"type":"text","text":"x"}]}"#;
        assert_eq!(decode_output(Cow::Borrowed(raw)), (raw.to_owned(), false));
    }
}
