//! Tolerant, incremental readers for coding-agent transcripts: Codex CLI rollouts and
//! Claude Code session files, reduced to the messages worth indexing for recall.
//!
//! Reading is line by line from a byte offset, so an archiver can resume where it stopped.
//! Bad input never fails a read: each bad line is skipped and counted in [`ReadStats`].

#![warn(missing_docs)]

mod claude;
mod codex;
mod lenient;
mod lines;
mod text;
mod time;

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::Path;

use crate::client::Client;

/// Who a [`Message`] is from, or what it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Text sent as the user: typed words, or client-injected context (see [`Message::injected`]).
    User,
    /// The model's reply text.
    Assistant,
    /// A tool invocation by the model.
    ToolCall,
    /// What a tool returned.
    ToolOutput,
}

impl Role {
    /// The name the recall index stores.
    pub fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::ToolCall => "tool-call",
            Role::ToolOutput => "tool-output",
        }
    }

    /// The role a stored name stands for.
    pub fn from_name(name: &str) -> Option<Role> {
        [
            Role::User,
            Role::Assistant,
            Role::ToolCall,
            Role::ToolOutput,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }
}

pub use text::is_shell as is_shell_tool;

/// Facts about the session learned from the lines read (each Option filled when a line says it).
/// The first value seen wins, so a value from the seed given to [`read_continue`] is kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionMeta {
    /// Session id: Codex `session_meta.id`, Claude `sessionId`.
    pub id: Option<String>,
    /// Working directory the session started in.
    pub cwd: Option<String>,
    /// Git branch: Codex `session_meta.git.branch`, Claude `gitBranch`.
    pub branch: Option<String>,
    /// Codex: the `session_meta` timestamp. Claude: the first line's, when reading from offset 0.
    pub started_ms: Option<u64>,
    /// The first real (non-injected, non-sidechain) user message, cut to ~120 chars on a char
    /// boundary; failing that, a Claude `summary` record.
    pub title: Option<String>,
    /// Codex `originator` (`codex_exec`, `codex_cli_rs`…), Claude `entrypoint` (`cli`, `sdk-cli`…).
    pub originator: Option<String>,
    /// Version of the client that wrote the transcript.
    pub cli_version: Option<String>,
    /// The transcript carries a reflection-worker marker (`CSEP_REFLECTION_JOB_ID=` or
    /// `CSEP_REFLECTION_CHILD=1` anywhere in a line): such sessions must never be indexed.
    pub reflection_marker: bool,
    /// Codex: the file stores its messages as `response_item` records, so the `event_msg`
    /// copies of them are not indexed. Pass the stored meta to [`read_continue`] so a later
    /// chunk that holds only events applies the same rule.
    pub response_items: bool,
}

/// One indexable piece of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Who it is from.
    pub role: Role,
    /// Readable text: for ToolCall "name: arguments" (the command line for shell calls),
    /// for ToolOutput the output text.
    pub text: String,
    /// The tool called, for tool calls and (when the call was read) their outputs.
    pub tool_name: Option<String>,
    /// From the line's timestamp, in ms since the Unix epoch.
    pub at_ms: Option<u64>,
    /// User-role text that is client-injected context, not the user's words.
    pub injected: bool,
    /// A tool output that reports failure.
    pub is_error: bool,
    /// Claude `isSidechain` records (sub-agent work).
    pub sidechain: bool,
    /// Absolute byte offset of the start of the line it came from.
    pub offset: u64,
}

/// Counts of what a read went through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadStats {
    /// Complete lines consumed.
    pub lines: u64,
    /// Lines that are not JSON or not valid UTF-8.
    pub corrupt: u64,
    /// JSON lines of a record type that is not indexed (bookkeeping, attachments, reasoning…).
    pub unknown: u64,
    /// Lines longer than [`MAX_LINE_BYTES`], skipped without being buffered whole.
    pub oversized: u64,
    /// The input ends with a line lacking `\n` (a live session); it is not consumed.
    pub partial_tail: bool,
}

/// What one read yields.
#[derive(Debug)]
pub struct Chunk {
    /// Session facts from the lines read, merged over the seed given to [`read_continue`].
    pub meta: SessionMeta,
    /// Messages in file order.
    pub messages: Vec<Message>,
    /// Offset just after the last complete line consumed: where the next read starts.
    pub end_offset: u64,
    /// Counts of what was read and skipped.
    pub stats: ReadStats,
}

/// Lines longer than this are skipped (and counted) instead of being buffered.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Reads complete lines from `reader`, which is positioned at absolute byte `start_offset` of the file.
/// `end_offset` is the offset just after the last complete line consumed, so the next incremental read starts there
/// and a half-written last line is re-read next time. Never fails on content: bad lines are skipped and counted.
/// Only I/O errors are returned.
pub fn read(client: Client, reader: impl BufRead, start_offset: u64) -> io::Result<Chunk> {
    read_continue(client, reader, start_offset, SessionMeta::default())
}

/// [`read`] for a later chunk of a file already partly read: `known` is the meta stored from
/// earlier chunks. Its values are kept (first value wins), and its `response_items` flag keeps
/// Codex event copies out.
pub fn read_continue(
    client: Client,
    reader: impl BufRead,
    start_offset: u64,
    known: SessionMeta,
) -> io::Result<Chunk> {
    let mut lines = lines::Lines::new(reader, start_offset);
    let mut sink = Sink::new(known, start_offset);
    loop {
        match lines.next()? {
            lines::Event::Eof => break,
            lines::Event::PartialTail => {
                sink.stats.partial_tail = true;
                break;
            }
            lines::Event::Oversized => {
                sink.stats.lines += 1;
                sink.stats.oversized += 1;
            }
            lines::Event::Line => {
                sink.stats.lines += 1;
                sink.line(client, &lines.buf, lines.start);
            }
        }
        sink.meta.reflection_marker |= lines.marker;
    }
    Ok(sink.finish(lines.next))
}

/// What one parsed line turned out to be.
pub(crate) enum Outcome {
    /// A record kind we read (it may still have held nothing to index).
    Read,
    Unknown,
}

/// Collects what the lines of one read yield.
pub(crate) struct Sink {
    pub meta: SessionMeta,
    pub messages: Vec<Message>,
    pub stats: ReadStats,
    pub start_offset: u64,
    /// Tool names by call id, so outputs can name their tool.
    pub calls: HashMap<String, String>,
    /// Codex: a `response_item` message was read in this chunk.
    pub saw_items: bool,
    /// Per message: it came from a Codex `event_msg` copy, kept only without response items.
    event_copy: Vec<bool>,
    /// Claude `summary` text, the title when no real user message is read.
    pub summary: Option<String>,
}

impl Sink {
    fn new(meta: SessionMeta, start_offset: u64) -> Self {
        Sink {
            meta,
            messages: Vec::new(),
            stats: ReadStats::default(),
            start_offset,
            calls: HashMap::new(),
            saw_items: false,
            event_copy: Vec::new(),
            summary: None,
        }
    }

    fn line(&mut self, client: Client, bytes: &[u8], offset: u64) {
        // A byte-order mark would make an otherwise good first line unreadable.
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let Ok(text) = std::str::from_utf8(bytes) else {
            self.stats.corrupt += 1;
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        let parsed = match client {
            Client::Codex => codex::line(self, text, offset),
            Client::Claude => claude::line(self, text, offset),
        };
        match parsed {
            Ok(Outcome::Read) => {}
            Ok(Outcome::Unknown) => self.stats.unknown += 1,
            // A valid JSON line of a shape we cannot type is foreign, not damaged.
            Err(_) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => {
                self.stats.unknown += 1;
            }
            Err(_) => self.stats.corrupt += 1,
        }
    }

    pub fn push(&mut self, message: Message) {
        self.push_as(message, false);
    }

    pub fn push_event_copy(&mut self, message: Message) {
        self.push_as(message, true);
    }

    fn push_as(&mut self, message: Message, event_copy: bool) {
        if message.text.is_empty() {
            return;
        }
        self.messages.push(message);
        self.event_copy.push(event_copy);
    }

    /// Sets a meta field that is still unknown; blank values say nothing.
    pub fn fill(slot: &mut Option<String>, value: Option<&str>) {
        if slot.is_none()
            && let Some(v) = value.filter(|v| !v.trim().is_empty())
        {
            *slot = Some(v.to_owned());
        }
    }

    fn finish(mut self, end_offset: u64) -> Chunk {
        self.meta.response_items |= self.saw_items;
        if self.meta.response_items && self.event_copy.contains(&true) {
            let mut copies = self.event_copy.iter();
            self.messages.retain(|_| copies.next() == Some(&false));
        }
        if self.meta.title.is_none() {
            // Redacted whole before it is cut, so a cut cannot hide a secret's shape.
            let titled = |t: &str| text::title(&crate::redact::redact(t).0);
            self.meta.title = self
                .messages
                .iter()
                .find(|m| m.role == Role::User && !m.injected && !m.sidechain)
                .and_then(|m| titled(&m.text))
                .or_else(|| self.summary.as_deref().and_then(titled));
        }
        Chunk {
            meta: self.meta,
            messages: self.messages,
            end_offset,
            stats: self.stats,
        }
    }
}

/// A message with the fields most records share.
pub(crate) fn message(role: Role, text: String, at_ms: Option<u64>, offset: u64) -> Message {
    Message {
        role,
        text,
        tool_name: None,
        at_ms,
        injected: false,
        is_error: false,
        sidechain: false,
        offset,
    }
}

/// Guesses the client from a path (`.../.codex/sessions/...rollout-*.jsonl` vs `.../.claude/projects/<slug>/<id>.jsonl`) or, failing that, from the first line's shape.
pub fn detect_client(path: &Path, first_line: &[u8]) -> Option<Client> {
    by_path(path).or_else(|| by_shape(first_line))
}

fn by_path(path: &Path) -> Option<Client> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with("rollout-") && name.ends_with(".jsonl") {
        return Some(Client::Codex);
    }
    let dirs: Vec<&str> = path
        .parent()?
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    // `$CLAUDE_CONFIG_DIR/projects/<slug>/<id>.jsonl`, whatever the config dir is called.
    if name.ends_with(".jsonl") && dirs.len() >= 2 && dirs[dirs.len() - 2] == "projects" {
        return Some(Client::Claude);
    }
    if dirs.contains(&".claude") {
        return Some(Client::Claude);
    }
    if dirs.contains(&".codex") {
        return Some(Client::Codex);
    }
    None
}

fn by_shape(first_line: &[u8]) -> Option<Client> {
    let value: serde_json::Value = serde_json::from_slice(first_line).ok()?;
    let obj = value.as_object()?;
    let has = |k: &str| obj.contains_key(k);
    let kind = obj.get("type").and_then(|t| t.as_str()).unwrap_or_default();
    if has("sessionId") || has("parentUuid") || has("leafUuid") {
        return Some(Client::Claude);
    }
    if has("payload") || has("record_type") {
        return Some(Client::Codex);
    }
    match kind {
        "user"
        | "assistant"
        | "summary"
        | "system"
        | "attachment"
        | "queue-operation"
        | "file-history-snapshot" => Some(Client::Claude),
        "message" | "function_call" | "function_call_output" | "reasoning" => Some(Client::Codex),
        // Early Codex files open with a bare session header.
        "" if has("id") && (has("instructions") || has("git")) => Some(Client::Codex),
        _ => None,
    }
}
