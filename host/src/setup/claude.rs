//! Claude Code: csep's SessionStart and Stop hooks in `settings.json` (Claude Code has no
//! hook trust: listed hooks run), and the recall skill in `<claude_home>/skills/`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::EntryStatus::{Added, AlreadySet, Changed, Kept, Removed, Skipped};
use super::plugin_files::{PluginFiles, SKILL_NAME};
use super::record::{ClaudeRecord, FileOrigin, JsonEdit, SkillRecord, add_dirs};
use super::{Entry, EntryStatus, SetupError, SetupOptions, atomic, claude_settings};
use crate::client::Client;

/// What setup starts from when there is no settings.json, or an empty one.
const EMPTY: &str = "{}\n";
const EVENTS: [&str; 2] = ["SessionStart", "Stop"];

fn entry(what: impl Into<String>, status: EntryStatus) -> Entry {
    Entry::new(Client::Claude, what, status)
}

fn settings_path(claude_home: &Path) -> PathBuf {
    atomic::resolve(&claude_home.join("settings.json"))
}

fn skill_path(claude_home: &Path) -> PathBuf {
    claude_home.join("skills").join(SKILL_NAME).join("SKILL.md")
}

/// The settings text to edit and where it came from.
fn load(path: &Path) -> Result<(FileOrigin, String), SetupError> {
    let (origin, text) = match atomic::read_optional(path)? {
        None => (FileOrigin::Missing, EMPTY.to_string()),
        Some(t) if t.trim().is_empty() => (FileOrigin::Blank(t), EMPTY.to_string()),
        Some(t) => (FileOrigin::Existing, t),
    };
    claude_settings::check(path, &text)?;
    Ok((origin, text))
}

pub(super) fn preflight(claude_home: &Path) -> Result<(), SetupError> {
    load(&settings_path(claude_home)).map(|_| ())
}

pub(super) fn preflight_uninstall(rec: &ClaudeRecord) -> Result<(), SetupError> {
    load(&rec.settings).map(|_| ())
}

fn sha256(text: &str) -> String {
    crate::hash::sha256_hex(text.as_bytes())
}

pub(super) fn setup(
    opts: &SetupOptions,
    plugin: &PluginFiles,
    rec: &mut Option<ClaudeRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let path = settings_path(&opts.claude_home);
    let (origin, before) = load(&path)?;
    let mut text = before.clone();
    let mut edits = rec.as_ref().map(|r| r.edits.clone()).unwrap_or_default();
    let mut entries = Vec::new();
    for event in EVENTS {
        for group in plugin.groups(event) {
            let command = claude_settings::first_command(&group).unwrap_or_default();
            let status = claude_settings::add_hook(&mut text, event, &group, &mut edits);
            entries.push(entry(
                format!("{event} hook `{command}` in {}", path.display()),
                status,
            ));
        }
    }
    if claude_settings::all_hooks_disabled(&text) {
        entries.push(entry(
            format!("disableAllHooks in {}", path.display()),
            Skipped(
                "you turned all hooks off; csep's hooks cannot run until disableAllHooks is false"
                    .into(),
            ),
        ));
    }

    let skill = skill_path(&opts.claude_home);
    let recorded_skill = rec.as_ref().and_then(|r| r.skill.as_ref());
    let skill_status = skill_status(&skill, plugin.skill(), recorded_skill)?;
    entries.push(entry(
        format!("skill {SKILL_NAME} at {}", skill.display()),
        skill_status.clone(),
    ));
    entries.extend(super::mcp::claude_permissions(&mut text, &path, &mut edits));
    if opts.dry_run {
        entries.extend(super::mcp::claude_register(
            opts,
            &mut rec.as_ref().and_then(|r| r.mcp.clone()),
        )?);
        return Ok(entries);
    }

    let rec = rec.get_or_insert_with(|| ClaudeRecord {
        settings: path.clone(),
        origin: origin.clone(),
        edits: Vec::new(),
        skill: None,
        created_dirs: Vec::new(),
        backups: Vec::new(),
        mcp: None,
    });
    if text != before {
        json_check(&path, &text)?;
        if origin != FileOrigin::Missing {
            let b = atomic::backup(&path)?;
            entries.push(entry(
                format!("backup of settings.json at {}", b.display()),
                Added,
            ));
            rec.backups.push(b);
        }
        let dirs = atomic::write(&path, text.as_bytes(), atomic::NEW_CONFIG)?;
        add_dirs(&mut rec.created_dirs, dirs);
        rec.edits = edits;
    }
    if matches!(skill_status, Added | Changed { .. }) {
        let dirs = atomic::write(&skill, plugin.skill().as_bytes(), atomic::SHIPPED_FILE)?;
        add_dirs(&mut rec.created_dirs, dirs);
        rec.skill = Some(SkillRecord {
            path: skill,
            sha256: sha256(plugin.skill()),
        });
    }
    entries.extend(super::mcp::claude_register(opts, &mut rec.mcp)?);
    Ok(entries)
}

/// Never write a settings.json that Claude Code could not read.
fn json_check(path: &Path, text: &str) -> Result<(), SetupError> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| ())
        .map_err(|e| SetupError::BadEdit {
            path: path.to_path_buf(),
            format: "JSON",
            message: e.to_string(),
        })
}

/// Never overwrites a skill file csep did not write (or that was edited since).
fn skill_status(
    path: &Path,
    ours: &str,
    recorded: Option<&SkillRecord>,
) -> Result<EntryStatus, SetupError> {
    Ok(match atomic::read_optional(path)? {
        None => Added,
        Some(t) if t == ours => AlreadySet,
        Some(t) if recorded.is_some_and(|r| r.sha256 == sha256(&t)) => Changed {
            from: "an earlier csep's copy".into(),
        },
        Some(_) => Skipped(format!(
            "a different {SKILL_NAME} skill is already there and csep did not write it; \
             left as it is"
        )),
    })
}

pub(super) fn uninstall(
    opts: &SetupOptions,
    rec: &mut Option<ClaudeRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let Some(r) = rec.clone() else {
        return Ok(vec![entry(
            "csep's changes to Claude Code",
            Skipped("none recorded in setup.json".into()),
        )]);
    };
    let path = r.settings.clone();
    let mut entries = Vec::new();
    let on_disk = atomic::read_optional(&path)?;
    let (_, loaded) = load(&path)?;
    let mut text = loaded.clone();
    for edit in r.edits.iter().rev() {
        let status = claude_settings::undo(&mut text, edit);
        if let (
            Some(status),
            JsonEdit::Element {
                value: Value::String(rule),
                ..
            },
        ) = (&status, edit)
        {
            entries.push(entry(
                format!("permission rule {rule} in {}", path.display()),
                status.clone(),
            ));
            continue;
        }
        if let (Some(status), JsonEdit::Element { path: p, value, .. }) = (status, edit) {
            let event = p.last().map(String::as_str).unwrap_or("");
            let command = claude_settings::first_command(value).unwrap_or_default();
            entries.push(entry(
                format!("{event} hook `{command}` in {}", path.display()),
                status,
            ));
        }
    }
    // None: delete the file setup created.
    let new = match (&r.origin, claude_settings::is_empty(&text)) {
        (FileOrigin::Missing, true) => None,
        (FileOrigin::Blank(was), true) => Some(was.clone()),
        _ => Some(text.clone()),
    };
    let write = on_disk.is_some()
        && match &new {
            None => true,
            Some(new) => text != loaded && on_disk.as_deref() != Some(new.as_str()),
        };
    if write && new.is_none() {
        entries.push(entry(
            format!("{} (csep setup created it)", path.display()),
            Removed,
        ));
    }
    // A blank file put back as it was is not JSON, and need not be.
    if let Some(new) = new.as_ref().filter(|n| write && !n.trim().is_empty()) {
        json_check(&path, new)?;
    }

    let skill = r.skill.as_ref().map(|s| {
        let status = match atomic::read_optional(&s.path) {
            Ok(Some(t)) if sha256(&t) == s.sha256 => Removed,
            Ok(None) => Removed,
            _ => Kept("changed since csep setup; left as it is".into()),
        };
        (s.path.clone(), status)
    });
    if let Some((skill_path, status)) = &skill {
        entries.push(entry(
            format!("skill {SKILL_NAME} at {}", skill_path.display()),
            status.clone(),
        ));
    }

    if !opts.dry_run {
        match new.as_ref().filter(|_| write) {
            Some(new) => {
                atomic::write(&path, new.as_bytes(), atomic::NEW_CONFIG)?;
            }
            None if write => {
                atomic::remove_file(&path)?;
            }
            None => {}
        }
        if let Some((skill_path, Removed)) = &skill {
            atomic::remove_file(skill_path)?;
        }
        atomic::remove_empty_dirs(&r.created_dirs);
    }
    entries.extend(super::mcp::claude_unregister(opts, r.mcp.as_ref())?);
    *rec = None;
    for b in r.backups.iter().filter(|b| b.exists()) {
        entries.push(entry(
            format!("backup of settings.json at {}", b.display()),
            Kept("your settings from before csep setup; delete it when you like".into()),
        ));
    }
    Ok(entries)
}
