//! What the trigger policy sees of a session: the messages since its last decision,
//! reduced to bounded counts and excerpts.

use crate::client::Client;
use crate::model::{Digest, ToolError, UserMessage};
use crate::recall::ReadSince;
use crate::transcript::{Message, Role};

/// User messages passed to the policy at most (the newest are kept).
const MAX_USER_MESSAGES: usize = 20;
/// Characters kept of one user message.
const MAX_USER_CHARS: usize = 2000;
/// Failed tool calls passed at most, and characters kept of each.
const MAX_TOOL_ERRORS: usize = 10;
const MAX_ERROR_CHARS: usize = 500;

fn cut(text: &str, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (text[..at].to_string(), true),
        None => (text.to_string(), false),
    }
}

/// Fills the counts and excerpts of `digest` from `messages`.
pub fn fill(digest: &mut Digest, messages: &[Message]) {
    let mut users = Vec::new();
    let mut last_tool = String::new();
    for m in messages {
        if m.at_ms.is_some() {
            digest.last_event_ms = m.at_ms;
        }
        match m.role {
            Role::User | Role::Assistant => {
                if m.role == Role::User {
                    users.push(m);
                }
                if !m.injected {
                    digest.message_count += 1;
                    digest.readable_chars += m.text.chars().count() as u64;
                }
            }
            Role::ToolCall => {
                digest.tool_calls += 1;
                last_tool = m.tool_name.clone().unwrap_or_default();
            }
            Role::ToolOutput if m.is_error => {
                if digest.tool_errors.len() < MAX_TOOL_ERRORS {
                    let tool = m.tool_name.clone().unwrap_or_else(|| last_tool.clone());
                    digest.tool_errors.push(ToolError {
                        tool,
                        message: cut(&m.text, MAX_ERROR_CHARS).0,
                    });
                } else {
                    digest.omitted_tool_errors += 1;
                }
            }
            Role::ToolOutput => {}
        }
    }
    let skip = users.len().saturating_sub(MAX_USER_MESSAGES);
    digest.omitted_user_messages = skip as u32;
    digest.user_messages = users[skip..]
        .iter()
        .map(|m| {
            let (text, truncated) = cut(&m.text, MAX_USER_CHARS);
            UserMessage {
                text,
                truncated,
                injected: m.injected,
                at_ms: m.at_ms,
            }
        })
        .collect();
}

/// The digest of what a Stop read: the session's facts and the new messages.
pub fn of_read(
    client: Client,
    session_id: &str,
    bucket_id: &str,
    cwd: &str,
    read: &ReadSince,
    now_ms: u64,
) -> Digest {
    let mut digest = Digest {
        client: client.as_str().into(),
        session_id: session_id.into(),
        bucket_id: bucket_id.into(),
        cwd: cwd.into(),
        session_started_ms: read.meta.started_ms,
        now_ms,
        ..Digest::default()
    };
    fill(&mut digest, &read.messages);
    digest
}
