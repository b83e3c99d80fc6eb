//! Registering `csep mcp` with the clients. Codex: an inline `mcpServers` entry in the
//! plugin's manifest, pointed at the running csep (Codex 0.169 starts a plugin's server
//! with no trust step, and removing the plugin removes it). Claude Code: `mcpServers.csep`
//! in its `.claude.json`, as `claude mcp add --scope user` writes it, and a
//! `permissions.allow` rule in settings.json for each read-only tool so that it runs
//! without a prompt. Every change is recorded and undone like the rest of setup.

use std::path::Path;

use serde_json::{Value, json};

use super::EntryStatus::{Added, AlreadySet, Changed, Kept, Removed, Skipped};
use super::json_spans;
use super::record::{ClaudeMcpRecord, FileOrigin, JsonEdit, add_dirs};
use super::{Entry, EntryStatus, SetupError, SetupOptions, atomic, claude_settings};
use crate::client::Client;
use crate::mcp::registration::{claude_json_path, claude_rule};
use crate::mcp::{SERVER_NAME, TOOLS};

/// The arguments that start the server on csep's state folder. The folder is named
/// explicitly: Codex starts MCP servers with a reduced environment (no
/// `CODEX_SELF_EVOLUTION_HOME`), so the server must not depend on it.
pub(super) fn server_args(state_dir: &Path) -> Result<Vec<String>, SetupError> {
    let dir = state_dir
        .to_str()
        .ok_or_else(|| SetupError::NonUtf8Path(state_dir.to_path_buf()))?;
    Ok(vec!["mcp".into(), "--home".into(), dir.into()])
}

/// The plugin manifest with its `mcpServers.csep` command and arguments set (the
/// server is started directly, not through a shell: no quoting). Other bytes stay as
/// shipped.
pub(super) fn manifest_for(manifest: &str, exe: &str, args: &[String]) -> String {
    let mut text = manifest.to_string();
    // The later span first, so that the earlier one stays where it is.
    let mut splices = Vec::new();
    if let Some(doc) = json_spans::parse(manifest) {
        let at = ["mcpServers".to_string(), SERVER_NAME.to_string()];
        if let Some(server) = doc.at(&at) {
            if let Some((_, m)) = server.member("command") {
                splices.push((m.value.span(), serde_json::to_string(exe)));
            }
            if let Some((_, m)) = server.member("args") {
                splices.push((m.value.span(), serde_json::to_string(args)));
            }
        }
    }
    splices.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    for (span, new) in splices {
        text.replace_range(span, &new.expect("strings serialise"));
    }
    text
}

fn server_entry(exe: &str, args: &[String]) -> Value {
    json!({"type": "stdio", "command": exe, "args": args, "env": {}})
}

/// A `csep mcp` entry of some csep (another path, an earlier install): setup may
/// point it at this one.
fn is_csep_server(v: &Value) -> bool {
    let program = v["command"]
        .as_str()
        .and_then(|c| Path::new(c).file_name())
        .is_some_and(|n| n == "csep" || n == "csep.exe");
    program && v["args"][0] == "mcp"
}

fn entry(what: impl Into<String>, status: EntryStatus) -> Entry {
    Entry::new(Client::Claude, what, status)
}

/// Adds the allow rules for the read-only tools to settings.json's text; the splices
/// join the settings edits, so uninstall takes them out with the hooks.
pub(super) fn claude_permissions(
    text: &mut String,
    settings: &Path,
    edits: &mut Vec<JsonEdit>,
) -> Vec<Entry> {
    TOOLS
        .iter()
        .map(|tool| {
            let rule = claude_rule(tool);
            let status = claude_settings::add_element(
                text,
                &["permissions", "allow"],
                &Value::String(rule.clone()),
                edits,
            );
            entry(
                format!(
                    "permission rule {rule} (read-only) in {}",
                    settings.display()
                ),
                status,
            )
        })
        .collect()
}

fn what(path: &Path) -> String {
    format!(
        "MCP server `{SERVER_NAME}` (csep mcp) in {}",
        path.display()
    )
}

/// Registers the server in `.claude.json`. A file that is not JSON is reported and left
/// alone (the hooks are set up all the same).
pub(super) fn claude_register(
    opts: &SetupOptions,
    rec: &mut Option<ClaudeMcpRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let exe = opts
        .csep_exe
        .to_str()
        .ok_or_else(|| SetupError::NonUtf8Path(opts.csep_exe.clone()))?;
    let path = atomic::resolve(&claude_json_path(&opts.claude_home));
    let before = atomic::read_optional(&path)?;
    let (origin, start) = match &before {
        None => (FileOrigin::Missing, "{}\n".to_string()),
        Some(t) if t.trim().is_empty() => (FileOrigin::Blank(t.clone()), "{}\n".to_string()),
        Some(t) => (FileOrigin::Existing, t.clone()),
    };
    if let Err(e) = claude_settings::check(&path, &start) {
        return Ok(vec![entry(
            what(&path),
            Skipped(format!(
                "{e}; Claude Code cannot read it either, fix it and run csep setup again"
            )),
        )]);
    }
    let server = server_entry(exe, &server_args(&opts.state_dir)?);
    let ours = rec.as_ref().map(|r| r.server.clone());
    let mut text = start.clone();
    let mut edits = rec.as_ref().map(|r| r.edits.clone()).unwrap_or_default();
    let mut found = None;
    let status = claude_settings::set_member(
        &mut text,
        &["mcpServers"],
        SERVER_NAME,
        &server,
        &mut edits,
        |existing| {
            found = Some(existing.clone());
            Some(existing) == ours.as_ref() || is_csep_server(existing)
        },
    );
    let entries = vec![entry(what(&path), status.clone())];
    if opts.dry_run || !matches!(status, Added | Changed { .. }) {
        return Ok(entries);
    }
    let r = rec.get_or_insert_with(|| ClaudeMcpRecord {
        path: path.clone(),
        origin: origin.clone(),
        server: server.clone(),
        previous: None,
        edits: Vec::new(),
        created_dirs: Vec::new(),
        backups: Vec::new(),
    });
    if matches!(status, Changed { .. }) && found != Some(r.server.clone()) && r.previous.is_none() {
        // Another csep's entry: put back at uninstall.
        r.previous = found;
    }
    if origin == FileOrigin::Existing {
        r.backups.push(atomic::backup(&path)?);
    }
    let dirs = atomic::write(&path, text.as_bytes(), atomic::NEW_CONFIG)?;
    add_dirs(&mut r.created_dirs, dirs);
    r.server = server;
    r.edits = edits;
    Ok(entries)
}

/// Takes the server out of `.claude.json` again (or puts back the entry it replaced),
/// unless it was changed since.
pub(super) fn claude_unregister(
    opts: &SetupOptions,
    rec: Option<&ClaudeMcpRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let Some(r) = rec else {
        return Ok(Vec::new());
    };
    let Some(on_disk) = atomic::read_optional(&r.path)? else {
        return Ok(vec![entry(
            format!("{}, already gone", what(&r.path)),
            Removed,
        )]);
    };
    if claude_settings::check(&r.path, &on_disk).is_err() {
        return Ok(vec![entry(
            what(&r.path),
            Kept("the file is not valid JSON now; left as it is".into()),
        )]);
    }
    let mut text = on_disk.clone();
    let status = match &r.previous {
        Some(prev) => match claude_settings::set_member(
            &mut text,
            &["mcpServers"],
            SERVER_NAME,
            prev,
            &mut Vec::new(),
            |v| *v == r.server,
        ) {
            Changed { .. } => Changed {
                from: "this csep".into(),
            },
            AlreadySet => AlreadySet,
            _ => Kept("changed since csep setup; left as it is".into()),
        },
        None => {
            claude_settings::remove_member_if(&mut text, &["mcpServers"], SERVER_NAME, &r.server)
        }
    };
    for edit in r.edits.iter().rev() {
        claude_settings::undo(&mut text, edit);
    }
    let empty = claude_settings::is_empty(&text);
    let new = match (&r.origin, empty) {
        (FileOrigin::Missing, true) => None,
        (FileOrigin::Blank(was), true) => Some(was.clone()),
        _ => Some(text.clone()),
    };
    if !opts.dry_run {
        match &new {
            None => {
                atomic::remove_file(&r.path)?;
            }
            Some(new) if *new != on_disk => {
                atomic::write(&r.path, new.as_bytes(), atomic::NEW_CONFIG)?;
            }
            Some(_) => {}
        }
        atomic::remove_empty_dirs(&r.created_dirs);
    }
    let mut entries = vec![entry(what(&r.path), status)];
    for b in r.backups.iter().filter(|b| b.exists()) {
        entries.push(entry(
            format!("backup of {} at {}", file_name(&r.path), b.display()),
            Kept("the file as it was before csep setup; delete it when you like".into()),
        ));
    }
    Ok(entries)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Env, find};
    use super::super::{setup, uninstall};
    use super::*;
    use crate::client::Client;
    use crate::mcp::registration_status;

    /// A `.claude.json` as Claude Code writes it, with a server of the user's.
    const CLAUDE_JSON: &str = "{\n  \"numStartups\": 3,\n  \"mcpServers\": {\n    \"other\": {\n      \"type\": \"stdio\",\n      \"command\": \"node\",\n      \"args\": []\n    }\n  },\n  \"projects\": {}\n}\n";

    /// An executable standing in for csep, so that status sees a command that runs.
    fn fake_csep(env: &Env) {
        use std::os::unix::fs::PermissionsExt as _;
        env.write("bin/csep", "#!/bin/sh\n");
        std::fs::set_permissions(env.path("bin/csep"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }

    fn claude_json(env: &Env) -> String {
        claude_json_path(&env.path("claude"))
            .strip_prefix(&env.root)
            .unwrap()
            .display()
            .to_string()
    }

    #[test]
    fn claude_gets_the_server_and_allow_rules_and_loses_them_again() {
        let env = Env::new();
        fake_csep(&env);
        let rel = claude_json(&env);
        env.write(&rel, CLAUDE_JSON);
        std::fs::create_dir_all(env.path("claude")).unwrap();
        let entries = setup(&env.opts(&[Client::Claude])).unwrap();
        assert_eq!(find(&entries, "MCP server")[0].status, Added);
        let v: Value = serde_json::from_str(&env.read(&rel)).unwrap();
        assert_eq!(
            v["mcpServers"]["csep"],
            json!({"type": "stdio", "command": env.path("bin/csep"), "args": ["mcp", "--home", env.path("state")], "env": {}})
        );
        assert_eq!(v["mcpServers"]["other"]["command"], "node");
        let settings: Value = serde_json::from_str(&env.read("claude/settings.json")).unwrap();
        for tool in TOOLS {
            assert!(
                settings["permissions"]["allow"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(claude_rule(tool))),
                "{settings}"
            );
        }
        let status = registration_status(None, Some(&env.path("claude")));
        assert!(status.claude.will_start, "{status:?}");
        assert_eq!(status.claude.tools_allowed.len(), TOOLS.len(), "{status:?}");

        let again = setup(&env.opts(&[Client::Claude])).unwrap();
        assert!(again.iter().all(|e| e.status == AlreadySet), "{again:?}");

        let out = uninstall(&env.opts(&[]), false).unwrap();
        assert_eq!(find(&out, "MCP server")[0].status, Removed);
        assert_eq!(env.read(&rel), CLAUDE_JSON, "byte for byte as before");
        assert!(!env.exists("claude/settings.json"));
        let status = registration_status(None, Some(&env.path("claude")));
        assert!(!status.claude.will_start, "{status:?}");
    }

    #[test]
    fn a_foreign_server_named_csep_is_left_alone() {
        let env = Env::new();
        let rel = claude_json(&env);
        let theirs = CLAUDE_JSON.replace("\"other\"", "\"csep\"");
        env.write(&rel, &theirs);
        std::fs::create_dir_all(env.path("claude")).unwrap();
        let entries = setup(&env.opts(&[Client::Claude])).unwrap();
        assert!(
            matches!(&find(&entries, "MCP server")[0].status, Skipped(_)),
            "{entries:?}"
        );
        assert_eq!(env.read(&rel), theirs);
        uninstall(&env.opts(&[]), false).unwrap();
        assert_eq!(env.read(&rel), theirs);
    }

    #[test]
    fn codex_gets_the_server_from_the_installed_plugin() {
        let env = Env::new();
        fake_csep(&env);
        std::fs::create_dir_all(env.path("codex")).unwrap();
        setup(&env.opts(&[Client::Codex])).unwrap();
        let status = registration_status(Some(&env.path("codex")), None);
        assert!(status.codex.will_start, "{status:?}");
        assert_eq!(
            status.codex.command.as_deref(),
            env.path("bin/csep").to_str()
        );
        assert_eq!(status.codex.args[..2], ["mcp", "--home"]);
        uninstall(&env.opts(&[]), false).unwrap();
        let status = registration_status(Some(&env.path("codex")), None);
        assert!(!status.codex.will_start, "{status:?}");
    }

    #[test]
    fn the_manifest_points_at_the_running_csep_and_nothing_else_changes() {
        let shipped = "{\n  \"name\": \"csep\",\n  \"mcpServers\": {\n    \"csep\": {\n      \"command\": \"csep\",\n      \"args\": [\"mcp\"]\n    }\n  }\n}\n";
        let args = server_args(Path::new("/st ate")).unwrap();
        let out = manifest_for(shipped, "/opt/my tools/csep", &args);
        assert_eq!(
            out,
            shipped
                .replace(
                    "\"command\": \"csep\"",
                    "\"command\": \"/opt/my tools/csep\""
                )
                .replace("[\"mcp\"]", "[\"mcp\",\"--home\",\"/st ate\"]")
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["name"], "csep");
    }

    #[test]
    fn another_csep_is_recognised_and_a_foreign_server_is_not() {
        assert!(is_csep_server(
            &json!({"command": "/old/bin/csep", "args": ["mcp"]})
        ));
        assert!(!is_csep_server(
            &json!({"command": "/usr/bin/node", "args": ["server.js"]})
        ));
    }
}
