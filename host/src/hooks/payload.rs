//! The JSON a client writes to a hook's stdin, read tolerantly: every field is
//! optional, unknown fields are ignored, and the client is told apart from its shape.

use serde_json::Value;

/// Hooks read at most this much of stdin; a larger payload is not a real one.
pub const MAX_PAYLOAD_BYTES: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookClient {
    Codex,
    Claude,
}

#[derive(Debug, Clone, Default)]
pub struct HookPayload {
    pub session_id: Option<String>,
    pub transcript_path: Option<String>,
    pub cwd: Option<String>,
    pub source: Option<String>,
    pub client: Option<HookClient>,
}

/// Why a payload could not be used (the hook still succeeds).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("the hook payload is not valid JSON: {0}")]
    Json(String),
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
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| PayloadError::Json(e.to_string()))?;
        if !v.is_object() {
            return Err(PayloadError::NotObject);
        }
        let transcript_path = text(&v, "transcript_path");
        // Codex sends `model` and `permission_mode` with every event and keeps its
        // transcripts under `sessions/`; Claude Code's live under `projects/`.
        let client = match transcript_path.as_deref() {
            Some(p) if p.contains("/.claude/") || p.contains("/projects/") => {
                Some(HookClient::Claude)
            }
            Some(p) if p.contains("/sessions/") => Some(HookClient::Codex),
            _ if v.get("model").is_some() && v.get("permission_mode").is_some() => {
                Some(HookClient::Codex)
            }
            _ => None,
        };
        Ok(HookPayload {
            session_id: text(&v, "session_id"),
            cwd: text(&v, "cwd"),
            source: text(&v, "source"),
            transcript_path,
            client,
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
        assert_eq!(p.client, Some(HookClient::Codex));
        assert_eq!(p.cwd.as_deref(), Some("/p"));
        let claude = br#"{"session_id":"6cbe","transcript_path":"/h/.claude/projects/-p/6cbe.jsonl","cwd":"/p","hook_event_name":"SessionStart","source":"resume"}"#;
        assert_eq!(
            HookPayload::parse(claude, false).unwrap().client,
            Some(HookClient::Claude)
        );
        assert!(HookPayload::parse(b"  \n", false).unwrap().cwd.is_none());
        assert_eq!(
            HookPayload::parse(b"[1]", false).unwrap_err(),
            PayloadError::NotObject
        );
        assert!(matches!(
            HookPayload::parse(b"{oops", false),
            Err(PayloadError::Json(_))
        ));
        assert_eq!(
            HookPayload::parse(b"{}", true).unwrap_err(),
            PayloadError::TooLarge
        );
    }
}
