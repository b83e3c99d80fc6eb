//! Codex's own `hooks.json` (`$CODEX_HOME/hooks.json`): entries the original tool's
//! older releases wrote there (marked `codex-self-evolution-plugin managed`), and
//! entries that run csep's hooks by hand. Beside csep's plugin they would run a
//! second time (memory injected twice, every Stop counted twice) or run the old
//! tool's removed commands. Setup takes them out and keeps a copy of the file;
//! uninstall puts the copy back while the file is as setup left it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::EntryStatus::{Kept, Removed, Skipped};
use super::{Entry, SetupError, atomic};
use crate::client::Client;

/// The marker the original's install script put in each command it added.
const MARKER: &str = "codex-self-evolution-plugin managed";

/// What setup changed in `hooks.json`, so uninstall can put it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct HooksFileRecord {
    pub path: PathBuf,
    /// The file as it was, byte for byte.
    pub backup: PathBuf,
    /// The file as setup left it: uninstall restores only over this.
    pub written: String,
    pub removed: Vec<String>,
}

fn entry(what: impl Into<String>, status: super::EntryStatus) -> Entry {
    Entry::new(Client::Codex, what, status)
}

/// A command the original's hooks ran: marked by its installer, or `csep
/// session-start|session-stop` (the original plugin's lines, copied by hand).
fn runs_the_original(command: &str) -> bool {
    if command.contains(MARKER) {
        return true;
    }
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or("");
    let base = Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    base == "csep" && matches!(words.next(), Some("session-start" | "session-stop"))
}

/// Takes the original's handlers out of a parsed `hooks.json`; returns their commands.
fn take_out(doc: &mut Value) -> Vec<String> {
    let mut removed = Vec::new();
    let Some(events) = doc.get_mut("hooks").and_then(Value::as_object_mut) else {
        return removed;
    };
    for groups in events.values_mut() {
        let Some(list) = groups.as_array_mut() else {
            continue;
        };
        for group in list.iter_mut() {
            let Some(handlers) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                continue;
            };
            handlers.retain(|h| {
                let command = h.get("command").and_then(Value::as_str).unwrap_or("");
                let theirs = runs_the_original(command);
                if theirs {
                    removed.push(command.to_string());
                }
                !theirs
            });
        }
        // A group left with no handler would be a matcher that runs nothing.
        list.retain(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|h| !h.is_empty())
        });
    }
    events.retain(|_, groups| groups.as_array().is_none_or(|l| !l.is_empty()));
    removed
}

pub(super) fn setup(
    codex_home: &Path,
    dry_run: bool,
    rec: &mut Option<HooksFileRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let path = atomic::resolve(&codex_home.join("hooks.json"));
    let Some(text) = atomic::read_optional(&path)? else {
        return Ok(Vec::new());
    };
    let mut doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Ok(vec![entry(
                format!("{}", path.display()),
                Skipped(format!("not valid JSON ({e}); left as it is")),
            )]);
        }
    };
    let removed = take_out(&mut doc);
    if removed.is_empty() {
        return Ok(Vec::new());
    }
    let what = format!(
        "{} hook entr{} in {} that run the original tool or csep's hooks a second time \
         beside csep's plugin: {}",
        removed.len(),
        if removed.len() == 1 { "y" } else { "ies" },
        path.display(),
        removed.join("; ")
    );
    if dry_run {
        return Ok(vec![entry(what, Removed)]);
    }
    let backup = atomic::backup(&path)?;
    let mut written = serde_json::to_string_pretty(&doc).expect("a parsed document prints");
    written.push('\n');
    atomic::write(&path, written.as_bytes(), atomic::NEW_CONFIG)?;
    let backup = rec.as_ref().map_or(backup.clone(), |r| r.backup.clone());
    *rec = Some(HooksFileRecord {
        path: path.clone(),
        backup: backup.clone(),
        written,
        removed,
    });
    Ok(vec![entry(
        format!("{what} (the file as it was: {})", backup.display()),
        Removed,
    )])
}

pub(super) fn uninstall(
    dry_run: bool,
    rec: &mut Option<HooksFileRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let Some(r) = rec.clone() else {
        return Ok(Vec::new());
    };
    let what = format!("{} as it was before csep setup", r.path.display());
    let now = atomic::read_optional(&r.path)?;
    let before = atomic::read_optional(&r.backup)?;
    let status = match (now, before) {
        (Some(now), Some(before)) if now == r.written => {
            if !dry_run {
                atomic::write(&r.path, before.as_bytes(), atomic::NEW_CONFIG)?;
                atomic::remove_file(&r.backup)?;
            }
            super::EntryStatus::Changed {
                from: "without the original's entries".into(),
            }
        }
        (_, None) => Skipped(format!("its copy {} is gone", r.backup.display())),
        _ => Kept(format!(
            "changed since csep setup; the file as it was is at {}",
            r.backup.display()
        )),
    };
    if !dry_run {
        *rec = None;
    }
    Ok(vec![entry(what, status)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_originals_handlers_go() {
        let mut doc: Value = serde_json::json!({"hooks": {
            "Stop": [
                {"hooks": [{"type": "command", "command": "third-party stop"}]},
                {"hooks": [{"type": "command",
                    "command": "bash -c ': codex-self-evolution-plugin managed; exec old-stop'"}]}
            ],
            "SessionStart": [{"hooks": [
                {"type": "command", "command": "/usr/local/bin/csep session-start --from-stdin"}]}],
            "PreToolUse": [{"matcher": "Bash", "hooks": [
                {"type": "command", "command": "csep recall --recent"}]}]
        }});
        let removed = take_out(&mut doc);
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert_eq!(
            doc,
            serde_json::json!({"hooks": {
                "Stop": [{"hooks": [{"type": "command", "command": "third-party stop"}]}],
                "PreToolUse": [{"matcher": "Bash", "hooks": [
                    {"type": "command", "command": "csep recall --recent"}]}]
            }})
        );
    }
}
