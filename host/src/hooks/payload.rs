//! The JSON a client writes to a hook's stdin, read tolerantly: every field is
//! optional, unknown fields are ignored, and the payload's shape hints at its client.

use serde_json::Value;

use crate::client::Client;

/// Hooks read at most this much of stdin; a larger payload is not a real one.
pub const MAX_PAYLOAD_BYTES: usize = 4 << 20;

#[derive(Debug, Clone, Default)]
pub struct HookPayload {
    pub session_id: Option<String>,
    pub transcript_path: Option<String>,
    pub cwd: Option<String>,
    pub source: Option<String>,
    /// The client the payload's fields point to, if they point anywhere; the Stop
    /// hook asks the transcript's path first (`hooks::client`).
    pub client: Option<Client>,
}

/// Why a payload could not be used (the hook still succeeds).
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the hook payload is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("the hook payload is not a JSON object")]
    NotObject,
    #[error("the hook payload is larger than {MAX_PAYLOAD_BYTES} bytes")]
    TooLarge,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Codex sends `model` with every event and `turn_id` with each turn's; Claude Code
/// sends `prompt_id` and `effort` with a turn's events and never `model`.
fn shape(v: &Value) -> Option<Client> {
    let has = |k: &str| v.get(k).is_some();
    if has("turn_id") || (has("model") && has("permission_mode")) {
        Some(Client::Codex)
    } else if has("prompt_id") || has("effort") || has("background_tasks") {
        Some(Client::Claude)
    } else {
        None
    }
}

impl HookPayload {
    /// An empty stdin is no payload at all, which is fine: the hook then works from
    /// the current folder.
    pub fn parse(bytes: &[u8], truncated: bool) -> Result<HookPayload, PayloadError> {
        if truncated {
            return Err(PayloadError::TooLarge);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(HookPayload::default());
        }
        let v: Value = serde_json::from_slice(bytes).map_err(PayloadError::Json)?;
        if !v.is_object() {
            return Err(PayloadError::NotObject);
        }
        Ok(HookPayload {
            session_id: text(&v, "session_id"),
            cwd: text(&v, "cwd"),
            source: text(&v, "source"),
            transcript_path: text(&v, "transcript_path"),
            client: shape(&v),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_clients_and_tolerates_what_it_does_not_know() {
        let codex = br#"{"session_id":"01a2","transcript_path":"/h/.codex/sessions/2026/11/25/rollout-x.jsonl","cwd":"/p","hook_event_name":"SessionStart","model":"m","permission_mode":"default","source":"startup","future":1}"#;
        let p = HookPayload::parse(codex, false).unwrap();
        assert_eq!(p.client, Some(Client::Codex));
        assert_eq!(p.cwd.as_deref(), Some("/p"));
        let claude = br#"{"session_id":"6cbe","transcript_path":"/h/.claude/projects/-p/6cbe.jsonl","cwd":"/p","prompt_id":"62d3","permission_mode":"default","effort":{"level":"medium"},"hook_event_name":"Stop","stop_hook_active":false}"#;
        assert_eq!(
            HookPayload::parse(claude, false).unwrap().client,
            Some(Client::Claude)
        );
        // A SessionStart of Claude Code says nothing of its client: the path decides.
        let bare = br#"{"session_id":"6cbe","transcript_path":"/h/projects/x/rollout-1.jsonl","cwd":"/p","hook_event_name":"SessionStart","source":"resume"}"#;
        assert_eq!(HookPayload::parse(bare, false).unwrap().client, None);
        assert!(HookPayload::parse(b"  \n", false).unwrap().cwd.is_none());
        assert!(matches!(
            HookPayload::parse(b"[1]", false).unwrap_err(),
            PayloadError::NotObject
        ));
        assert!(matches!(
            HookPayload::parse(b"{oops", false),
            Err(PayloadError::Json(_))
        ));
        assert!(matches!(
            HookPayload::parse(b"{}", true).unwrap_err(),
            PayloadError::TooLarge
        ));
    }
}
