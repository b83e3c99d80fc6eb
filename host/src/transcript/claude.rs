//! Claude Code transcripts (`$CLAUDE_CONFIG_DIR/projects/<slug>/<session-id>.jsonl`).
//!
//! Only `user` and `assistant` records carry the conversation; `summary` records give a
//! fallback title. Everything else (attachments, system, queue operations, cost state,
//! file-history snapshots…) is counted as unknown, though its envelope still fills the
//! session meta. `thinking` blocks are skipped like Codex reasoning.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::lenient::{Flag, Obj, Parts, Str};
use super::text::{call_text, is_injected, runs, trimmed};
use super::time::parse_ms;
use super::{Message, Outcome, Role, Sink, message};

#[derive(Default, Deserialize)]
#[serde(default)]
struct Rec<'a> {
    #[serde(rename = "type", borrow)]
    kind: Str<'a>,
    #[serde(borrow)]
    timestamp: Str<'a>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Str<'a>,
    #[serde(borrow)]
    cwd: Str<'a>,
    #[serde(rename = "gitBranch", borrow)]
    git_branch: Str<'a>,
    #[serde(borrow)]
    version: Str<'a>,
    #[serde(borrow)]
    entrypoint: Str<'a>,
    #[serde(rename = "isSidechain")]
    sidechain: Flag,
    /// Client-written user records (command caveats, expanded slash commands).
    #[serde(rename = "isMeta")]
    is_meta: Flag,
    /// The summary Claude Code writes as a user message after compacting.
    #[serde(rename = "isCompactSummary")]
    compact_summary: Flag,
    #[serde(borrow)]
    message: Obj<Msg<'a>>,
    #[serde(borrow)]
    summary: Str<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Msg<'a> {
    #[serde(borrow)]
    content: Blocks<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Block<'a> {
    #[serde(rename = "type", borrow)]
    kind: Str<'a>,
    #[serde(borrow)]
    text: Str<'a>,
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(borrow)]
    name: Str<'a>,
    input: Option<Value>,
    #[serde(borrow)]
    tool_use_id: Str<'a>,
    #[serde(borrow)]
    content: Parts<'a>,
    is_error: Flag,
}

/// `message.content`: a plain string (a typed prompt) or a list of content blocks.
#[derive(Default)]
struct Blocks<'a>(Vec<Block<'a>>);

struct BlocksVisitor;

impl<'de> Visitor<'de> for BlocksVisitor {
    type Value = Blocks<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a list of content blocks")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(text_block(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(text_block(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(text_block(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Blocks::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut blocks = Vec::new();
        while let Some(Obj(block)) = seq.next_element::<Obj<Block<'de>>>()? {
            blocks.extend(block);
        }
        Ok(Blocks(blocks))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Blocks::default())
    }
}

fn text_block(text: Cow<'_, str>) -> Blocks<'_> {
    Blocks(vec![Block {
        kind: Str(Some(Cow::Borrowed("text"))),
        text: Str(Some(text)),
        ..Block::default()
    }])
}

impl<'de: 'a, 'a> Deserialize<'de> for Blocks<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BlocksVisitor)
    }
}

pub(crate) fn line(sink: &mut Sink, text: &str, offset: u64) -> serde_json::Result<Outcome> {
    let rec: Rec = serde_json::from_str(text)?;
    let at = rec.timestamp.get().and_then(parse_ms);
    let meta = &mut sink.meta;
    Sink::fill(&mut meta.id, rec.session_id.get());
    Sink::fill(&mut meta.cwd, rec.cwd.get());
    Sink::fill(&mut meta.branch, rec.git_branch.get());
    Sink::fill(&mut meta.cli_version, rec.version.get());
    Sink::fill(&mut meta.originator, rec.entrypoint.get());
    // Later chunks start mid-session, so only a read from the top knows the start.
    if sink.start_offset == 0 && meta.started_ms.is_none() {
        meta.started_ms = at;
    }
    let role = match rec.kind.get().unwrap_or_default() {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "summary" => {
            if sink.summary.is_none() {
                sink.summary = rec.summary.non_empty().map(str::to_owned);
            }
            return Ok(Outcome::Read);
        }
        _ => return Ok(Outcome::Unknown),
    };
    let Some(msg) = rec.message.0 else {
        return Ok(Outcome::Read);
    };
    let turn = Turn {
        role,
        injected: rec.is_meta.0 || rec.compact_summary.0,
        sidechain: rec.sidechain.0,
        at,
        offset,
    };
    turn.blocks(sink, msg.content.0);
    Ok(Outcome::Read)
}

/// What the messages from one record share.
struct Turn {
    role: Role,
    injected: bool,
    sidechain: bool,
    at: Option<u64>,
    offset: u64,
}

impl Turn {
    fn blocks(&self, sink: &mut Sink, blocks: Vec<Block<'_>>) {
        let mut pieces = Vec::new();
        for block in blocks {
            match block.kind.get().unwrap_or_default() {
                "text" => {
                    if let Some(text) = block.text.0 {
                        let injected =
                            self.role == Role::User && (self.injected || is_injected(&text));
                        pieces.push((injected, text));
                    }
                }
                "tool_use" | "server_tool_use" => {
                    self.flush(sink, std::mem::take(&mut pieces));
                    self.tool_use(sink, block);
                }
                "tool_result" => {
                    self.flush(sink, std::mem::take(&mut pieces));
                    self.tool_result(sink, block);
                }
                _ => {}
            }
        }
        self.flush(sink, pieces);
    }

    fn flush(&self, sink: &mut Sink, pieces: Vec<(bool, Cow<'_, str>)>) {
        for (injected, text) in runs(pieces) {
            sink.push(Message {
                injected,
                ..self.message(self.role, text)
            });
        }
    }

    fn tool_use(&self, sink: &mut Sink, block: Block<'_>) {
        let name = block.name.non_empty().unwrap_or("tool");
        let text = call_text(name, block.input.as_ref());
        if let Some(id) = block.id.non_empty() {
            sink.calls.insert(id.to_owned(), name.to_owned());
        }
        sink.push(Message {
            tool_name: Some(name.to_owned()),
            ..self.message(Role::ToolCall, text)
        });
    }

    fn tool_result(&self, sink: &mut Sink, block: Block<'_>) {
        let tool_name = block
            .tool_use_id
            .get()
            .and_then(|id| sink.calls.get(id))
            .cloned();
        let Some(text) = block.content.joined() else {
            return;
        };
        sink.push(Message {
            tool_name,
            is_error: block.is_error.0,
            ..self.message(Role::ToolOutput, trimmed(text))
        });
    }

    fn message(&self, role: Role, text: String) -> Message {
        Message {
            sidechain: self.sidechain,
            ..message(role, text, self.at, self.offset)
        }
    }
}
