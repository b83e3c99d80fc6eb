//! Anthropic's Messages API (`/v1/messages`).

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use super::env_file::ApiKey;
use super::{Message, ProviderError, Role, bad_response, sensitive_header};
use crate::model::LlmResponse;

const API_VERSION: &str = "2023-06-01";

pub(crate) fn headers(key: Option<&ApiKey>) -> Result<HeaderMap, ProviderError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("anthropic-version"),
        HeaderValue::from_static(API_VERSION),
    );
    if let Some(key) = key {
        headers.insert(
            HeaderName::from_static("x-api-key"),
            sensitive_header(key.expose())?,
        );
    }
    Ok(headers)
}

/// The API takes system text only at the top level, so system messages are
/// joined there, wherever they stood.
pub(crate) fn body(
    model: &str,
    messages: &[Message],
    max_output_tokens: u32,
) -> Result<Value, ProviderError> {
    let system: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let turns: Vec<Value> = messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    if turns.is_empty() {
        return Err(ProviderError::InvalidRequest(
            "at least one user or assistant message is needed".into(),
        ));
    }
    let mut body = json!({
        "model": model,
        "max_tokens": max_output_tokens,
        "messages": turns,
    });
    if !system.is_empty() {
        body["system"] = Value::String(system.join("\n\n"));
    }
    Ok(body)
}

#[derive(Deserialize)]
struct Reply {
    model: Option<String>,
    content: Option<Vec<Block>>,
    stop_reason: Option<String>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

pub(crate) fn parse(body: &[u8], model: &str) -> Result<LlmResponse, ProviderError> {
    let reply: Reply = serde_json::from_slice(body).map_err(bad_response)?;
    let Some(content) = reply.content else {
        return Err(ProviderError::BadResponse(
            "the reply has no content".into(),
        ));
    };
    // Thinking and tool blocks are not part of the answer.
    let text: String = content
        .into_iter()
        .filter(|b| b.kind.as_deref() == Some("text"))
        .filter_map(|b| b.text)
        .collect();
    let usage = reply.usage;
    let get = |f: fn(&Usage) -> Option<u64>| usage.as_ref().and_then(f).unwrap_or(0);
    Ok(LlmResponse {
        text,
        model: reply.model.unwrap_or_else(|| model.to_string()),
        // Cached prompt tokens are reported apart from `input_tokens`; all count.
        input_tokens: get(|u| u.input_tokens)
            + get(|u| u.cache_creation_input_tokens)
            + get(|u| u.cache_read_input_tokens),
        output_tokens: get(|u| u.output_tokens),
        truncated: reply.stop_reason.as_deref() == Some("max_tokens"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: Role, content: &str) -> Message {
        Message {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn system_messages_move_to_the_top_level() {
        let body = body(
            "claude-x",
            &[
                msg(Role::System, "a"),
                msg(Role::User, "q"),
                msg(Role::System, "b"),
            ],
            100,
        )
        .unwrap();
        assert_eq!(body["system"], "a\n\nb");
        assert_eq!(body["messages"].as_array().unwrap().len(), 1);
        assert_eq!(body["max_tokens"], 100);
        assert!(super::body("m", &[msg(Role::System, "a")], 1).is_err());
    }

    #[test]
    fn parses_text_blocks_usage_and_stop_reason() {
        let body = br#"{"model":"claude-x-1","content":[{"type":"thinking","thinking":"..."},
            {"type":"text","text":"A"},{"type":"text","text":"B"}],"stop_reason":"max_tokens",
            "usage":{"input_tokens":7,"cache_read_input_tokens":3,"output_tokens":2}}"#;
        let r = parse(body, "claude-x").unwrap();
        assert_eq!(r.text, "AB");
        assert_eq!(r.model, "claude-x-1");
        assert_eq!((r.input_tokens, r.output_tokens), (10, 2));
        assert!(r.truncated);
    }
}
