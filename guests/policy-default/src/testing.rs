//! Digests for unit tests.

use crate::csep::engine::types::{Digest, UserMessage};

/// A digest of one Stop whose new user messages are `texts`.
pub fn digest(texts: &[&str]) -> Digest {
    let user_messages: Vec<UserMessage> = texts.iter().map(|t| typed(t)).collect();
    Digest {
        client: "codex".into(),
        session_id: "s1".into(),
        bucket_id: "-repo".into(),
        cwd: "/repo".into(),
        session_started_ms: None,
        last_event_ms: None,
        now_ms: 0,
        message_count: user_messages.len() as u32 * 2,
        readable_chars: texts.iter().map(|t| t.chars().count() as u64).sum(),
        user_messages,
        omitted_user_messages: 0,
        tool_calls: 0,
        tool_errors: Vec::new(),
        omitted_tool_errors: 0,
    }
}

pub fn typed(text: &str) -> UserMessage {
    UserMessage {
        text: text.into(),
        truncated: false,
        injected: false,
        at_ms: None,
    }
}
