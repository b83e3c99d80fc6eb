//! OpenAI's two API shapes: Responses (`/responses`) and Chat Completions
//! (`/chat/completions`), the latter also spoken by most local servers.

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;
use serde_json::{Value, json};

use super::env_file::ApiKey;
use super::{Message, ProviderError, bad_response, sensitive_header};
use crate::model::LlmResponse;

pub(crate) fn headers(key: Option<&ApiKey>) -> Result<HeaderMap, ProviderError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        let value = format!("Bearer {}", key.expose());
        headers.insert(AUTHORIZATION, sensitive_header(&value)?);
    }
    Ok(headers)
}

fn input(messages: &[Message]) -> Vec<Value> {
    messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect()
}

/// System messages stay in `input` with role `system`, in their place.
/// `store: false`: the prompt holds the user's transcripts, and the API keeps
/// responses for later retrieval unless told not to.
pub(crate) fn responses_body(model: &str, messages: &[Message], max_output_tokens: u32) -> Value {
    json!({
        "model": model,
        "input": input(messages),
        "max_output_tokens": max_output_tokens,
        "store": false,
    })
}

/// `max_completion_tokens`, not the older `max_tokens`: OpenAI rejects
/// `max_tokens` for its reasoning models, and the local servers that don't
/// know the newer name ignore it (the cap then goes unenforced there).
pub(crate) fn chat_body(model: &str, messages: &[Message], max_output_tokens: u32) -> Value {
    json!({
        "model": model,
        "messages": input(messages),
        "max_completion_tokens": max_output_tokens,
    })
}

#[derive(Deserialize)]
struct ResponsesReply {
    model: Option<String>,
    status: Option<String>,
    output: Option<Vec<OutputItem>>,
    usage: Option<ResponsesUsage>,
    incomplete_details: Option<Incomplete>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct OutputItem {
    content: Option<Vec<ContentPart>>,
}

#[derive(Deserialize)]
struct ContentPart {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct ResponsesUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Incomplete {
    reason: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
}

pub(crate) fn parse_responses(body: &[u8], model: &str) -> Result<LlmResponse, ProviderError> {
    let reply: ResponsesReply = serde_json::from_slice(body).map_err(bad_response)?;
    if reply.status.as_deref() == Some("failed") || reply.error.is_some() {
        let message = reply.error.and_then(|e| e.message).unwrap_or_default();
        return Err(ProviderError::BadResponse(format!(
            "the response failed: {message}"
        )));
    }
    // Reasoning items and refusals carry no `output_text`; only the answer is kept.
    let text: String = reply
        .output
        .unwrap_or_default()
        .into_iter()
        .flat_map(|item| item.content.unwrap_or_default())
        .filter(|part| part.kind.as_deref() == Some("output_text"))
        .filter_map(|part| part.text)
        .collect();
    let truncated = reply.status.as_deref() == Some("incomplete")
        && reply.incomplete_details.and_then(|d| d.reason).as_deref() == Some("max_output_tokens");
    let usage = reply.usage;
    Ok(LlmResponse {
        text,
        model: reply.model.unwrap_or_else(|| model.to_string()),
        input_tokens: usage.as_ref().and_then(|u| u.input_tokens).unwrap_or(0),
        output_tokens: usage.as_ref().and_then(|u| u.output_tokens).unwrap_or(0),
        truncated,
    })
}

#[derive(Deserialize)]
struct ChatReply {
    model: Option<String>,
    choices: Option<Vec<Choice>>,
    usage: Option<ChatUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<ChatMessage>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct ChatUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

pub(crate) fn parse_chat(body: &[u8], model: &str) -> Result<LlmResponse, ProviderError> {
    let reply: ChatReply = serde_json::from_slice(body).map_err(bad_response)?;
    let Some(choice) = reply.choices.and_then(|c| c.into_iter().next()) else {
        return Err(ProviderError::BadResponse(
            "the reply has no choices".into(),
        ));
    };
    let usage = reply.usage;
    Ok(LlmResponse {
        text: choice.message.and_then(|m| m.content).unwrap_or_default(),
        model: reply.model.unwrap_or_else(|| model.to_string()),
        input_tokens: usage.as_ref().and_then(|u| u.prompt_tokens).unwrap_or(0),
        output_tokens: usage
            .as_ref()
            .and_then(|u| u.completion_tokens)
            .unwrap_or(0),
        truncated: choice.finish_reason.as_deref() == Some("length"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_joins_output_text_and_skips_reasoning() {
        let body = br#"{"model":"gpt-x-2025","status":"incomplete",
            "incomplete_details":{"reason":"max_output_tokens"},
            "output":[{"type":"reasoning","summary":[],"content":null},
                {"type":"message","content":[{"type":"output_text","text":"Hel"},
                {"type":"output_text","text":"lo"}]}],
            "usage":{"input_tokens":12,"output_tokens":3}}"#;
        let r = parse_responses(body, "gpt-x").unwrap();
        assert_eq!(r.text, "Hello");
        assert_eq!(r.model, "gpt-x-2025");
        assert_eq!((r.input_tokens, r.output_tokens), (12, 3));
        assert!(r.truncated);
    }

    #[test]
    fn responses_failure_is_an_error() {
        let body = br#"{"status":"failed","error":{"code":"x","message":"boom"}}"#;
        let err = parse_responses(body, "m").unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
    }

    #[test]
    fn chat_reads_the_first_choice() {
        let body = br#"{"choices":[{"message":{"role":"assistant","content":"hi"},
            "finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#;
        let r = parse_chat(body, "local").unwrap();
        assert_eq!(r.text, "hi");
        assert_eq!(r.model, "local");
        assert_eq!((r.input_tokens, r.output_tokens), (5, 1));
        assert!(r.truncated);
        assert!(parse_chat(br#"{"choices":[]}"#, "m").is_err());
        assert!(parse_chat(b"not json", "m").is_err());
    }
}
