//! Recognising the reflection worker's own sessions, whichever way their transcript
//! reached the disk: they must never be indexed (a reflection would then read its
//! own prompt as a past session).

use std::path::Path;

use crate::transcript::{Message, Role, SessionMeta};

/// The `files.skipped` reason of such a session.
pub(crate) const REFLECTION: &str = "reflection-worker";

/// The prefix of the folder the `codex-exec` provider runs `codex exec` in; tempfile
/// adds six random letters and digits.
pub const REFLECTION_DIR_PREFIX: &str = "csep-reflect-run-";
const RANDOM_LEN: usize = 6;

/// How the default strategy's prompt starts, as the provider sends it to `codex
/// exec` (`[system]` then the instructions).
const PROMPT_HEAD: &str =
    "[system]\nYou maintain the long-term memory of a coding agent for one repository.";

/// True for a session the reflection worker ran: a marker line in the transcript,
/// a working folder made by the provider, or a first user message that is the
/// reflection prompt.
pub(crate) fn is_reflection_session(meta: &SessionMeta, messages: &[Message]) -> bool {
    meta.reflection_marker
        || meta.cwd.as_deref().is_some_and(is_reflection_dir)
        || messages
            .iter()
            .find(|m| m.role == Role::User && !m.injected)
            .is_some_and(|m| m.text.trim_start().starts_with(PROMPT_HEAD))
}

/// A folder the provider made: `…/csep-reflect-run-XXXXXX`.
pub fn is_reflection_dir(cwd: &str) -> bool {
    Path::new(cwd)
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(REFLECTION_DIR_PREFIX))
        .is_some_and(|rest| {
            rest.len() == RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Message {
        Message {
            role: Role::User,
            text: text.into(),
            tool_name: None,
            at_ms: None,
            injected: false,
            is_error: false,
            sidechain: false,
            offset: 0,
        }
    }

    #[test]
    fn the_providers_folder_and_prompt_mark_a_reflection_session() {
        assert!(is_reflection_dir("/tmp/csep-reflect-run-a1B2c3"));
        assert!(!is_reflection_dir("/tmp/csep-reflect-run-a1B2c3/sub"));
        assert!(!is_reflection_dir("/home/me/csep-reflect-run-notes"));
        assert!(!is_reflection_dir(
            "/home/me/.codex/skills/csep-reflect-release"
        ));
        let meta = SessionMeta {
            cwd: Some("/var/tmp/csep-reflect-run-Zz9Yy8".into()),
            ..SessionMeta::default()
        };
        assert!(is_reflection_session(&meta, &[]));
        let plain = SessionMeta::default();
        let prompt = user(
            "[system]\nYou maintain the long-term memory of a coding agent for one repository. …",
        );
        assert!(is_reflection_session(&plain, &[prompt]));
        assert!(!is_reflection_session(
            &plain,
            &[user("fix the worker timeout")]
        ));
    }
}
