//! Reads `/session/transcript.jsonl` and finds the shell commands that succeeded.
//!
//! Each line is `{"id", "role", "tool", "at_ms", "error", "text"}`. A shell tool's
//! `tool-call` text is `{"command": "..."}`; the `tool-output` that answers it
//! has `error: true` when the command failed. Calls and outputs are paired in
//! order (several calls may be answered together); a user message closes any
//! call still unanswered. Unreadable lines are skipped.

use serde_json::Value;

use crate::commands;

/// The tools whose calls are command lines (as the host names them).
const SHELL_TOOLS: [&str; 6] = [
    "shell",
    "shell_command",
    "exec_command",
    "container.exec",
    "local_shell",
    "bash",
];

/// A recognized command that ran successfully, with the evidence the host asks
/// for: the id of the tool call that ran it and that call's script, verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub command: String,
    pub message_id: Option<u64>,
    pub script: String,
}

/// The recognized commands that ran successfully, oldest first, each once; and
/// how many lines could not be read.
pub fn successful_commands(transcript: &str, prefixes: &[String]) -> (Vec<Ran>, usize) {
    let mut found: Vec<Ran> = Vec::new();
    let mut pending: std::collections::VecDeque<Option<(String, Option<u64>)>> = Default::default();
    let mut skipped = 0;
    for line in transcript.lines().filter(|l| !l.trim().is_empty()) {
        let Some(line) = parse(line) else {
            skipped += 1;
            continue;
        };
        match line.role.as_str() {
            "user" => pending.clear(),
            "tool-call" => pending
                .push_back(shell_command(line.tool.as_deref(), &line.text).map(|s| (s, line.id))),
            "tool-output" => {
                if let Some(Some((script, message_id))) = pending.pop_front()
                    && !line.error
                {
                    for command in commands::recognize(&script, prefixes) {
                        if !found.iter().any(|r| r.command == command) {
                            found.push(Ran {
                                command,
                                message_id,
                                script: script.clone(),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    (found, skipped)
}

struct Line {
    id: Option<u64>,
    role: String,
    tool: Option<String>,
    error: bool,
    text: String,
}

fn parse(line: &str) -> Option<Line> {
    let Value::Object(map) = serde_json::from_str::<Value>(line).ok()? else {
        return None;
    };
    Some(Line {
        id: map.get("id").and_then(Value::as_u64),
        role: map.get("role")?.as_str()?.replace('_', "-"),
        tool: map.get("tool").and_then(Value::as_str).map(str::to_string),
        error: map.get("error").and_then(Value::as_bool).unwrap_or(false),
        text: map.get("text").and_then(Value::as_str)?.to_string(),
    })
}

/// The script of a shell tool call, from its `{"command": "..."}` text.
fn shell_command(tool: Option<&str>, text: &str) -> Option<String> {
    let tool = tool?;
    if !SHELL_TOOLS.iter().any(|t| t.eq_ignore_ascii_case(tool)) {
        return None;
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let script = map.get("command")?.as_str()?.trim();
    (!script.is_empty()).then(|| script.to_string())
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A transcript line, as the host writes them.
    pub fn line(role: &str, tool: Option<&str>, error: bool, text: &str) -> String {
        let mut map = serde_json::Map::new();
        map.insert("role".into(), role.into());
        map.insert("tool".into(), tool.map_or(Value::Null, Value::from));
        map.insert("at_ms".into(), Value::Null);
        map.insert("error".into(), error.into());
        map.insert("text".into(), text.into());
        Value::Object(map).to_string() + "\n"
    }

    /// A shell call and its output.
    pub fn ran(tool: &str, command: &str, ok: bool) -> String {
        let mut args = serde_json::Map::new();
        args.insert("command".into(), command.into());
        line(
            "tool-call",
            Some(tool),
            false,
            &Value::Object(args).to_string(),
        ) + &line("tool-output", Some(tool), !ok, "output")
    }

    fn defaults() -> Vec<String> {
        commands::DEFAULT_PREFIXES
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn only_successful_shell_commands_count_once_each() {
        let transcript = [
            line("user", None, false, "run the tests"),
            ran("exec_command", "cargo test", false),
            ran("exec_command", "cargo test", true),
            ran("Bash", "npm run lint && git status", true),
            "not json\n".to_string(),
            line(
                "tool-call",
                Some("apply_patch"),
                false,
                r#"{"command":"make"}"#,
            ),
            line("tool-output", Some("apply_patch"), false, "ok"),
            ran("shell", "cargo test", true),
            ran("shell", "make check", false),
        ]
        .concat();
        let (found, skipped) = successful_commands(&transcript, &defaults());
        assert_eq!(commands_of(&found), ["cargo test", "npm run lint"]);
        assert_eq!(skipped, 1);
    }

    #[test]
    fn parallel_calls_pair_in_order_and_users_close_open_calls() {
        let call = |c: &str| {
            line(
                "tool-call",
                Some("exec_command"),
                false,
                &format!(r#"{{"command":"{c}"}}"#),
            )
        };
        let output = |error: bool| line("tool-output", Some("exec_command"), error, "");
        let transcript = [
            call("cargo build"),
            call("cargo clippy"),
            output(false),
            output(true),
            call("go vet ./..."),
            line("user", None, false, "stop"),
            call("make"),
            output(false),
        ]
        .concat();
        let (found, _) = successful_commands(&transcript, &defaults());
        assert_eq!(commands_of(&found), ["cargo build", "make"]);
    }

    fn commands_of(found: &[Ran]) -> Vec<&str> {
        found.iter().map(|r| r.command.as_str()).collect()
    }

    #[test]
    fn each_command_keeps_the_id_and_script_of_the_call_that_ran_it() {
        let call = r#"{"id":7,"role":"tool-call","tool":"shell","error":false,"text":"{\"command\":\"cargo test 2>&1 | tail -5\"}"}"#;
        let out = r#"{"id":8,"role":"tool-output","tool":"shell","error":false,"text":"ok"}"#;
        let (found, _) = successful_commands(&format!("{call}\n{out}\n"), &defaults());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].message_id, Some(7));
        assert_eq!(found[0].script, "cargo test 2>&1 | tail -5");
    }
}
