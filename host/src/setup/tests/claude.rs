use serde_json::Value;

use super::super::EntryStatus::{Added, AlreadySet, Changed, Kept, Removed, Skipped};
use super::super::{SetupError, setup, uninstall};
use super::*;
use crate::client::Client::Claude;

const SETTINGS: &str = "claude/settings.json";
const SKILL: &str = "claude/skills/csep-session-recall/SKILL.md";

/// Four-space indent, other keys before and after `hooks`, the user's own hooks, and no
/// final newline.
const USER_SETTINGS: &str = r#"{
    "model": "opus",
    "permissions": {
        "allow": ["Bash(git status)"],
        "deny": []
    },
    "hooks": {
        "SessionStart": [
            {
                "matcher": "startup",
                "hooks": [ { "type": "command", "command": "echo hi" } ]
            }
        ],
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [ { "type": "command", "command": "audit.sh" } ]
            }
        ]
    },
    "env": { "FOO": "1" }
}"#;

fn hooks(text: &str, event: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(text).unwrap();
    v["hooks"][event].as_array().cloned().unwrap_or_default()
}

#[test]
fn hooks_are_spliced_in_once_and_out_exactly() {
    for original in [
        USER_SETTINGS.to_string(),
        format!("{USER_SETTINGS}\n"),
        USER_SETTINGS.replace("    ", "  "),
        "{\"model\":\"opus\",\"hooks\":{\"Stop\":[]}}".to_string(),
        "{}\n".to_string(),
        "{\n  \"hooks\": {}\n}\n".to_string(),
    ] {
        let env = Env::new();
        env.write(SETTINGS, &original);
        let entries = setup(&env.opts(&[Claude])).unwrap();
        let after = env.read(SETTINGS);
        assert_eq!(
            find(&entries, "SessionStart hook")[0].status,
            Added,
            "{original}"
        );
        assert_eq!(find(&entries, "Stop hook")[0].status, Added);
        let exe = env.path("bin/csep").display().to_string();
        let start = hooks(&after, "SessionStart");
        assert_eq!(
            start.last().unwrap(),
            &serde_json::json!({"hooks": [{"type": "command",
                "command": format!("{exe} session-start --from-stdin"), "timeout": 15}]})
        );
        let stop = hooks(&after, "Stop");
        assert_eq!(
            stop.last().unwrap()["hooks"][0],
            serde_json::json!({"type": "command", "command": format!("{exe} session-stop"), "timeout": 30})
        );
        assert_eq!(after.ends_with('\n'), original.ends_with('\n'));
        if original.starts_with(USER_SETTINGS) {
            // The user's text is untouched up to where csep's group goes.
            let cut = USER_SETTINGS
                .find("\n        ],\n        \"PreToolUse\"")
                .unwrap();
            // The MCP allow rules join the user's one-line `allow` list.
            let rules: String = crate::mcp::TOOLS
                .iter()
                .map(|t| format!(",\"mcp__csep__{t}\""))
                .collect();
            assert!(
                after.contains(&format!("[\"Bash(git status)\"{rules}]")),
                "{after}"
            );
            let without_rules = after.replacen(&rules, "", 1);
            assert!(without_rules.starts_with(&USER_SETTINGS[..cut]), "{after}");
            assert!(after.contains("\n            {\n                \"hooks\": [\n                    {\n                        \"type\": \"command\",\n"), "four spaces: {after}");
            let order: Vec<usize> = ["\"model\"", "\"permissions\"", "\"hooks\"", "\"env\""]
                .iter()
                .map(|k| after.find(k).unwrap())
                .collect();
            assert!(order.windows(2).all(|w| w[0] < w[1]), "key order kept");
        }

        assert_all_already_set(&setup(&env.opts(&[Claude])).unwrap());
        assert_eq!(env.read(SETTINGS), after, "second run changed nothing");

        let out = uninstall(&env.opts(&[]), false).unwrap();
        assert_eq!(find(&out, "Stop hook")[0].status, Removed);
        assert_eq!(env.read(SETTINGS), original);
        assert!(!env.exists(SKILL));
        assert!(!env.exists("claude/skills"), "setup made it");
    }
}

#[test]
fn a_missing_settings_file_is_created_and_removed_again() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("claude")).unwrap();
    setup(&env.opts(&[])).unwrap();
    assert_eq!(mode(&env.path(SETTINGS)), 0o600);
    assert!(env.read(SETTINGS).starts_with("{\n  \"hooks\": {\n    \"SessionStart\": [\n      {\n        \"hooks\": [\n          {\n            \"type\": \"command\","));
    assert!(!env.exists("codex"), "only the client that is there");
    uninstall(&env.opts(&[]), false).unwrap();
    assert!(!env.exists(SETTINGS));
    assert!(env.exists("claude"));

    env.write(SETTINGS, "\n");
    setup(&env.opts(&[Claude])).unwrap();
    uninstall(&env.opts(&[]), false).unwrap();
    assert_eq!(env.read(SETTINGS), "\n", "an empty file is left empty");
}

#[test]
fn an_equivalent_csep_hook_is_not_added_twice() {
    let env = Env::new();
    let original = r#"{"hooks":{"SessionStart":[{"hooks":[{"type":"command","command":"csep session-start --from-stdin"}]}]}}"#;
    env.write(SETTINGS, original);
    let entries = setup(&env.opts(&[Claude])).unwrap();
    assert_eq!(find(&entries, "SessionStart hook")[0].status, AlreadySet);
    assert_eq!(find(&entries, "Stop hook")[0].status, Added);
    assert_eq!(hooks(&env.read(SETTINGS), "SessionStart").len(), 1);
    uninstall(&env.opts(&[]), false).unwrap();
    assert_eq!(
        env.read(SETTINGS),
        original,
        "the user's own csep hook stays"
    );
}

#[test]
fn a_moved_csep_updates_the_hook_it_added() {
    let env = Env::new();
    env.write(SETTINGS, USER_SETTINGS);
    setup(&env.opts(&[Claude])).unwrap();
    let mut moved = env.opts(&[Claude]);
    moved.csep_exe = env.path("elsewhere/csep");
    let entries = setup(&moved).unwrap();
    let stop = find(&entries, "Stop hook");
    assert!(
        matches!(&stop[0].status, Changed { from } if from.ends_with("bin/csep session-stop")),
        "{stop:?}"
    );
    let after = env.read(SETTINGS);
    assert_eq!(hooks(&after, "Stop").len(), 1);
    assert!(after.contains("elsewhere/csep session-stop"));
    uninstall(&moved, false).unwrap();
    assert_eq!(env.read(SETTINGS), USER_SETTINGS);
}

#[test]
fn a_hook_the_user_edited_is_kept_at_uninstall() {
    let env = Env::new();
    env.write(SETTINGS, "{}\n");
    setup(&env.opts(&[Claude])).unwrap();
    let edited = env
        .read(SETTINGS)
        .replace("\"timeout\": 30", "\"timeout\": 99");
    std::fs::write(env.path(SETTINGS), &edited).unwrap();
    let out = uninstall(&env.opts(&[]), false).unwrap();
    assert!(
        matches!(find(&out, "Stop hook")[0].status, Kept(_)),
        "{out:?}"
    );
    let left = env.read(SETTINGS);
    assert!(hooks(&left, "SessionStart").is_empty());
    assert_eq!(hooks(&left, "Stop")[0]["hooks"][0]["timeout"], 99);
}

#[test]
fn a_users_skill_file_is_never_overwritten() {
    let env = Env::new();
    env.write(
        SKILL,
        "---\nname: csep-session-recall\ndescription: mine\n---\n",
    );
    let entries = setup(&env.opts(&[Claude])).unwrap();
    let skill = find(&entries, "skill csep-session-recall");
    assert!(matches!(&skill[0].status, Skipped(why) if why.contains("did not write")));
    assert!(env.read(SKILL).contains("description: mine"));
    uninstall(&env.opts(&[]), false).unwrap();
    assert!(env.read(SKILL).contains("description: mine"));
}

#[test]
fn the_skill_csep_installed_is_updated_but_not_once_edited() {
    let env = Env::new();
    setup(&env.opts(&[Claude])).unwrap();
    assert_eq!(mode(&env.path(SKILL)), 0o644);
    assert!(
        env.read(SKILL)
            .starts_with("---\nname: csep-session-recall\n")
    );
    // An edit by the user makes it theirs.
    std::fs::write(env.path(SKILL), "edited\n").unwrap();
    let entries = setup(&env.opts(&[Claude])).unwrap();
    assert!(matches!(find(&entries, "skill")[0].status, Skipped(_)));
    let out = uninstall(&env.opts(&[]), false).unwrap();
    assert!(matches!(find(&out, "skill")[0].status, Kept(_)));
    assert_eq!(env.read(SKILL), "edited\n");
}

#[test]
fn malformed_settings_are_reported_and_nothing_is_written() {
    let env = Env::new();
    env.write(SETTINGS, "{\n  \"model\": \"opus\",\n}\n");
    let before = snapshot(&env.root);
    let err = setup(&env.opts(&[Claude])).unwrap_err();
    assert!(
        matches!(&err, SetupError::MalformedConfig { path, line: 3, .. } if *path == env.path(SETTINGS)),
        "{err:?}"
    );
    assert_eq!(snapshot(&env.root), before);

    env.write(SETTINGS, "[1, 2]");
    assert!(matches!(
        setup(&env.opts(&[Claude])),
        Err(SetupError::MalformedConfig { line: 1, .. })
    ));
}

#[test]
fn disable_all_hooks_is_reported() {
    let env = Env::new();
    env.write(SETTINGS, "{\"disableAllHooks\": true}");
    let entries = setup(&env.opts(&[Claude])).unwrap();
    assert!(matches!(
        &find(&entries, "disableAllHooks")[0].status,
        Skipped(_)
    ));
    assert!(
        env.read(SETTINGS)
            .starts_with("{\"disableAllHooks\": true,")
    );
}
