//! Which client wrote a Stop's transcript, decided once per Stop: the trigger
//! state's folder, the index and the policy all take this answer.

use std::io::Read as _;
use std::path::Path;

use super::payload::HookPayload;
use crate::client::Client;
use crate::transcript;

/// How much of the transcript's head is read when its first line must decide.
const HEAD: u64 = 64 * 1024;

/// The transcript's path (`rollout-*.jsonl`, `…/projects/<slug>/<id>.jsonl`), else
/// the payload's fields, else the transcript's first line; Codex when nothing says.
pub fn decide(transcript: &Path, payload: &HookPayload) -> Client {
    if let Some(c) = transcript::detect_client(transcript, b"") {
        return c;
    }
    if let Some(c) = payload.client {
        return c;
    }
    first_line(transcript)
        .and_then(|line| transcript::detect_client(transcript, &line))
        .unwrap_or(Client::Codex)
}

fn first_line(path: &Path) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(HEAD)
        .read_to_end(&mut head)
        .ok()?;
    let end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
    head.truncate(end);
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(json: &str) -> HookPayload {
        HookPayload::parse(json.as_bytes(), false).unwrap()
    }

    #[test]
    fn the_path_then_the_payload_then_the_first_line_decide() {
        let tmp = tempfile::tempdir().unwrap();
        // A Codex rollout kept under a folder named `projects` is still Codex.
        let rollout = tmp
            .path()
            .join("projects/x/rollout-2026-01-01T00-00-00-a.jsonl");
        assert_eq!(decide(&rollout, &payload("{}")), Client::Codex);
        let claude = tmp.path().join("cfg/projects/-home-p/6cbe.jsonl");
        assert_eq!(
            decide(&claude, &payload(r#"{"turn_id":"t"}"#)),
            Client::Claude
        );

        let plain = tmp.path().join("t.jsonl");
        std::fs::write(&plain, "{\"type\":\"user\",\"sessionId\":\"s\"}\n").unwrap();
        assert_eq!(
            decide(&plain, &payload(r#"{"turn_id":"t"}"#)),
            Client::Codex
        );
        assert_eq!(decide(&plain, &payload("{}")), Client::Claude);
        assert_eq!(
            decide(&tmp.path().join("missing.jsonl"), &payload("{}")),
            Client::Codex
        );
    }
}
