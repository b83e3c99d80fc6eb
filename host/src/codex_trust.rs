//! Whether Codex will run our hooks. Codex skips a hook silently unless
//! `config.toml` holds `[hooks.state."<key>"] trusted_hash` equal to the hash of the
//! hook's definition: sha256 over the compact, key-sorted JSON of
//! `{event_name, [matcher], hooks: [{type, command, timeout, async, [statusMessage]}]}`.

use crate::hash::sha256_hex;
use serde_json::{Value, json};

/// The hooks declaration the plugin ships.
pub const PLUGIN_HOOKS_JSON: &str = include_str!("../../plugin/hooks/hooks.json");

/// Codex's label for an event, as used in keys and hashes.
pub fn label(event: &str) -> Option<&'static str> {
    Some(match event {
        "SessionStart" => "session_start",
        "Stop" => "stop",
        "SessionEnd" => "session_end",
        "UserPromptSubmit" => "user_prompt_submit",
        "PreToolUse" => "pre_tool_use",
        "PostToolUse" => "post_tool_use",
        "PermissionRequest" => "permission_request",
        "PreCompact" => "pre_compact",
        "PostCompact" => "post_compact",
        "SubagentStart" => "subagent_start",
        "SubagentStop" => "subagent_stop",
        _ => return None,
    })
}

/// Events whose matcher is part of the hash.
const MATCHER_EVENTS: &[&str] = &[
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "SessionStart",
    "SubagentStart",
    "SubagentStop",
];

/// The trusted hash Codex expects for one command handler.
pub fn handler_hash(event: &str, matcher: Option<&str>, handler: &Value) -> Option<String> {
    let mut norm = json!({
        "type": "command",
        "command": handler.get("command")?.as_str()?,
        "timeout": handler.get("timeout").and_then(Value::as_u64).unwrap_or(600).max(1),
        "async": handler.get("async").and_then(Value::as_bool).unwrap_or(false),
    });
    if let Some(s) = handler.get("statusMessage").and_then(Value::as_str) {
        norm["statusMessage"] = json!(s);
    }
    let mut ident = json!({"event_name": label(event)?, "hooks": [norm]});
    if let Some(m) = matcher
        && MATCHER_EVENTS.contains(&event)
    {
        ident["matcher"] = json!(m);
    }
    // serde_json's map is ordered by key, so this is the key-sorted compact form.
    let blob = serde_json::to_string(&ident).ok()?;
    Some(format!("sha256:{}", sha256_hex(blob.as_bytes())))
}

/// `(key, event, hash)` of every command handler in a hooks declaration, keyed from
/// `key_source` (`csep@<marketplace>:hooks/hooks.json` for a plugin).
pub fn declared_hashes(hooks_json: &Value, key_source: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let Some(events) = hooks_json.get("hooks").and_then(Value::as_object) else {
        return out;
    };
    for (event, groups) in events {
        let Some(label) = label(event) else { continue };
        for (gi, group) in groups.as_array().into_iter().flatten().enumerate() {
            let matcher = group.get("matcher").and_then(Value::as_str);
            for (hi, h) in group
                .get("hooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if h.get("type").and_then(Value::as_str) != Some("command") {
                    continue;
                }
                if let Some(hash) = handler_hash(event, matcher, h) {
                    out.push((
                        format!("{key_source}:{label}:{gi}:{hi}"),
                        event.clone(),
                        hash,
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers from the reference implementation that Codex 0.169.0 accepted
    /// (`codex_hook_trust_hash.py` over plugin/hooks/hooks.json, key source
    /// `csep@csep-local:hooks/hooks.json`).
    #[test]
    fn hashes_match_what_codex_accepts() {
        let v: Value = serde_json::from_str(PLUGIN_HOOKS_JSON).unwrap();
        let mut got = declared_hashes(&v, "csep@csep-local:hooks/hooks.json");
        got.sort();
        assert_eq!(
            got,
            vec![
                (
                    "csep@csep-local:hooks/hooks.json:session_start:0:0".to_string(),
                    "SessionStart".to_string(),
                    "sha256:3f83a1e26182677b6080b138b441e89d12ef441ede7f52e792848ffaa2740507"
                        .to_string()
                ),
                (
                    "csep@csep-local:hooks/hooks.json:stop:0:0".to_string(),
                    "Stop".to_string(),
                    "sha256:b1da7f97dbdea6fa27a59034add919e10e66eda4d1111da9ebac3a8320ec872e"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_changed_command_changes_the_hash() {
        let a = handler_hash(
            "Stop",
            None,
            &json!({"type": "command", "command": "csep session-stop"}),
        );
        let b = handler_hash(
            "Stop",
            None,
            &json!({"type": "command", "command": "csep session-stop "}),
        );
        assert_ne!(a, b);
        let m1 = handler_hash(
            "SessionStart",
            Some("startup"),
            &json!({"type": "command", "command": "x"}),
        );
        let m2 = handler_hash(
            "SessionStart",
            None,
            &json!({"type": "command", "command": "x"}),
        );
        assert_ne!(m1, m2, "the matcher counts for SessionStart");
        let s1 = handler_hash(
            "Stop",
            Some("startup"),
            &json!({"type": "command", "command": "x"}),
        );
        let s2 = handler_hash("Stop", None, &json!({"type": "command", "command": "x"}));
        assert_eq!(s1, s2, "and not for Stop");
    }
}
