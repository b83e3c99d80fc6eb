//! `csep setup` and `csep uninstall`: connect csep's hooks, plugin and skill to Codex and
//! Claude Code, record in `<state>/setup.json` exactly what changed, and undo exactly that.
//!
//! Every user file is edited in place: untouched bytes stay as they were (toml_edit for
//! Codex's `config.toml`, byte splicing for Claude's `settings.json`), a backup is taken
//! before the first change, and a file that does not parse stops the run before anything
//! is written.

mod atomic;
mod claude;
mod claude_settings;
mod codex;
mod codex_cli;
mod codex_config;
mod codex_hooks_file;
mod codex_state;
mod json_spans;
mod mcp;
mod plugin_files;
mod record;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::client::Client;
use record::Record;

use crate::path_error::{AtPath, PathError};

pub use codex_state::{CodexHookState, HookTrust, PluginInstall, Reason, codex_hook_state};

#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Empty: every client whose home exists (Codex if none does).
    pub clients: Vec<Client>,
    /// Compute the entries, write nothing.
    pub dry_run: bool,
    /// Absolute path of the running csep; the hooks call it by this path.
    pub csep_exe: PathBuf,
    /// csep's state folder (`~/.codex-self-evolution`).
    pub state_dir: PathBuf,
    pub codex_home: PathBuf,
    pub claude_home: PathBuf,
    /// A `codex` binary, if one is on PATH.
    pub codex_bin: Option<PathBuf>,
}

/// One thing setup or uninstall looked at, and what it did about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub client: Client,
    pub what: String,
    pub status: EntryStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryStatus {
    Added,
    AlreadySet,
    Changed { from: String },
    Skipped(String),
    Removed,
    Kept(String),
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryStatus::Added => f.write_str("added"),
            EntryStatus::AlreadySet => f.write_str("already set"),
            EntryStatus::Changed { from } => write!(f, "changed (was {from})"),
            EntryStatus::Skipped(why) => write!(f, "skipped: {why}"),
            EntryStatus::Removed => f.write_str("removed"),
            EntryStatus::Kept(why) => write!(f, "kept: {why}"),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<6} {}: {}", self.client, self.what, self.status)
    }
}

impl Entry {
    fn new(client: Client, what: impl Into<String>, status: EntryStatus) -> Entry {
        Entry {
            client,
            what: what.into(),
            status,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Checked for every chosen client before anything is written, so nothing is.
    #[error("{}:{line}: {message}; csep changed nothing", path.display())]
    MalformedConfig {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("{}: {message}", path.display())]
    Record { path: PathBuf, message: String },
    #[error("{} is not valid UTF-8; config files can only name UTF-8 paths", .0.display())]
    NonUtf8Path(PathBuf),
    #[error("editing {} would not give valid {format} ({message}); nothing was written", path.display())]
    BadEdit {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
}

/// Connects csep to the chosen clients. Idempotent: a second run reports `AlreadySet`.
pub fn setup(opts: &SetupOptions) -> Result<Vec<Entry>, SetupError> {
    let opts = absolute(opts)?;
    let clients = clients_for_setup(&opts);
    let plugin = plugin_files::PluginFiles::for_exe(&opts.csep_exe)?
        .with_mcp_server(&opts.csep_exe, &opts.state_dir)?;
    // Every client's file must parse before anything is written for any of them.
    for client in &clients {
        match client {
            Client::Codex => codex::preflight(&opts.codex_home)?,
            Client::Claude => claude::preflight(&opts.claude_home)?,
        }
    }
    let mut record = Record::load(&opts.state_dir)?;
    if !opts.dry_run {
        // csep's state folder holds transcripts: private, as the rest of csep makes it.
        atomic::create_dirs(&opts.state_dir, atomic::PRIVATE_DIR)?;
    }
    let mut entries = Vec::new();
    for client in clients {
        let done = match client {
            Client::Codex => codex::setup(&opts, &plugin, &mut record.codex),
            Client::Claude => claude::setup(&opts, &plugin, &mut record.claude),
        };
        // Saved even when the client failed half-way, so uninstall can undo what was done.
        if !opts.dry_run {
            record.save(&opts.state_dir)?;
        }
        entries.extend(done?);
    }
    Ok(entries)
}

/// Undoes what setup recorded, for the chosen clients (empty: every recorded one).
/// `purge` also removes the state folder (memory, recall index).
pub fn uninstall(opts: &SetupOptions, purge: bool) -> Result<Vec<Entry>, SetupError> {
    let opts = absolute(opts)?;
    let mut record = Record::load(&opts.state_dir)?;
    let clients = if opts.clients.is_empty() {
        record.clients()
    } else {
        dedup(&opts.clients)
    };
    for client in &clients {
        match (client, &record.codex, &record.claude) {
            (Client::Codex, Some(r), _) => codex::preflight_uninstall(r)?,
            (Client::Claude, _, Some(r)) => claude::preflight_uninstall(r)?,
            _ => {}
        }
    }
    let mut entries = Vec::new();
    for client in clients {
        let done = match client {
            Client::Codex => codex::uninstall(&opts, &mut record.codex),
            Client::Claude => claude::uninstall(&opts, &mut record.claude),
        };
        if !opts.dry_run {
            record.save(&opts.state_dir)?;
        }
        entries.extend(done?);
    }
    entries.push(state_dir_entry(&opts, &record, purge)?);
    Ok(entries)
}

fn state_dir_entry(opts: &SetupOptions, record: &Record, purge: bool) -> Result<Entry, SetupError> {
    let what = format!("csep's state folder {}", opts.state_dir.display());
    // Reported under Codex, whose plugin lives there; the folder is shared by both clients.
    let entry = |status| Entry::new(Client::Codex, what.clone(), status);
    if !purge {
        return Ok(entry(EntryStatus::Kept(
            "memory and recall index; csep uninstall --purge removes them".into(),
        )));
    }
    let left = record.clients();
    if !left.is_empty() {
        let names: Vec<String> = left.iter().map(ToString::to_string).collect();
        return Ok(entry(EntryStatus::Kept(format!(
            "setup.json still records {}; uninstall those first",
            names.join(" and ")
        ))));
    }
    if !opts.state_dir.exists() {
        return Ok(entry(EntryStatus::AlreadySet));
    }
    if !opts.dry_run {
        atomic::remove_tree(&opts.state_dir)?;
    }
    Ok(entry(EntryStatus::Removed))
}

/// Paths written into config files must be absolute, and the hooks must not depend on
/// the directory the client starts in.
fn absolute(opts: &SetupOptions) -> Result<SetupOptions, SetupError> {
    let abs = |p: &Path| std::path::absolute(p).at("cannot resolve", p);
    Ok(SetupOptions {
        csep_exe: abs(&opts.csep_exe)?,
        state_dir: abs(&opts.state_dir)?,
        codex_home: abs(&opts.codex_home)?,
        claude_home: abs(&opts.claude_home)?,
        ..opts.clone()
    })
}

fn clients_for_setup(opts: &SetupOptions) -> Vec<Client> {
    if !opts.clients.is_empty() {
        return dedup(&opts.clients);
    }
    let mut found = Vec::new();
    if opts.codex_home.is_dir() {
        found.push(Client::Codex);
    }
    if opts.claude_home.is_dir() {
        found.push(Client::Claude);
    }
    if found.is_empty() {
        found.push(Client::Codex);
    }
    found
}

fn dedup(clients: &[Client]) -> Vec<Client> {
    let mut out = Vec::new();
    for c in clients {
        if !out.contains(c) {
            out.push(*c);
        }
    }
    out
}
