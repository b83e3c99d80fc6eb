//! `<state>/setup.json`: what setup changed and what was there before, so that uninstall
//! undoes exactly that. Later runs merge into it and keep the first "before" values.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{SetupError, atomic};
use crate::client::Client;

const FILE: &str = "setup.json";
const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Record {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codex: Option<CodexRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claude: Option<ClaudeRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CodexRecord {
    pub config: PathBuf,
    /// config.toml did not exist: uninstall deletes it if nothing else is left in it.
    pub config_created: bool,
    pub keys: Vec<TomlChange>,
    /// Tables setup created; uninstall removes them if they are empty by then.
    pub created_tables: Vec<Vec<String>>,
    pub plugin_root: PathBuf,
    /// The installed copy, if setup created it.
    pub cache_dir: Option<PathBuf>,
    /// Folders setup created under Codex's home; removed at uninstall if empty.
    pub created_dirs: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
    /// Entries setup took out of Codex's own `hooks.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks_file: Option<super::codex_hooks_file::HooksFileRecord>,
}

/// One key setup set in config.toml. Values are TOML source text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct TomlChange {
    pub table: Vec<String>,
    pub key: String,
    /// What it was before the first setup (absent: setup added the key).
    pub previous: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ClaudeRecord {
    pub settings: PathBuf,
    pub origin: FileOrigin,
    /// Splices into settings.json, in the order they were made.
    pub edits: Vec<JsonEdit>,
    pub skill: Option<SkillRecord>,
    pub created_dirs: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
    /// The MCP server registered in `.claude.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<ClaudeMcpRecord>,
}

/// `mcpServers.csep` as setup wrote it into Claude Code's `.claude.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ClaudeMcpRecord {
    pub path: PathBuf,
    pub origin: FileOrigin,
    /// The entry setup wrote.
    pub server: Value,
    /// An earlier csep's entry it replaced, put back at uninstall.
    pub previous: Option<Value>,
    /// Containers setup created (`mcpServers`), removed at uninstall once empty.
    pub edits: Vec<JsonEdit>,
    pub created_dirs: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
}

/// What the file was before setup first wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum FileOrigin {
    Missing,
    /// Empty or whitespace only: written back as it was.
    Blank(String),
    Existing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum JsonEdit {
    /// A member `key` setup added to the object at `path`.
    Member {
        path: Vec<String>,
        key: String,
        /// The object's inside before, when it was empty (`{}` or `{ }`).
        was_empty: Option<String>,
    },
    /// An element setup appended to the array at `path`.
    Element {
        path: Vec<String>,
        value: Value,
        was_empty: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SkillRecord {
    pub path: PathBuf,
    /// Hex sha256 of what setup wrote: a file that no longer matches is the user's.
    pub sha256: String,
}

impl Record {
    pub(super) fn load(state_dir: &Path) -> Result<Record, SetupError> {
        let path = state_dir.join(FILE);
        let Some(text) = atomic::read_optional(&path)? else {
            return Ok(Record {
                version: VERSION,
                ..Record::default()
            });
        };
        let record: Record = serde_json::from_str(&text).map_err(|e| SetupError::Record {
            path: path.clone(),
            message: format!("not a csep setup record ({e}); move it away to continue"),
        })?;
        if record.version != VERSION {
            return Err(SetupError::Record {
                path,
                message: format!(
                    "written by a csep with record version {}; this csep reads version {VERSION}",
                    record.version
                ),
            });
        }
        Ok(record)
    }

    /// Writes the record, or deletes it once nothing is recorded.
    pub(super) fn save(&self, state_dir: &Path) -> Result<(), SetupError> {
        let path = state_dir.join(FILE);
        if self.codex.is_none() && self.claude.is_none() {
            atomic::remove_file(&path)?;
            return Ok(());
        }
        let mut text = serde_json::to_string_pretty(self).expect("the record serialises");
        text.push('\n');
        atomic::write(&path, text.as_bytes(), atomic::NEW_CONFIG)?;
        Ok(())
    }

    pub(super) fn clients(&self) -> Vec<Client> {
        let mut out = Vec::new();
        if self.codex.is_some() {
            out.push(Client::Codex);
        }
        if self.claude.is_some() {
            out.push(Client::Claude);
        }
        out
    }
}

/// Adds `dirs` to `list`, once each.
pub(super) fn add_dirs(list: &mut Vec<PathBuf>, dirs: impl IntoIterator<Item = PathBuf>) {
    for d in dirs {
        if !list.contains(&d) {
            list.push(d);
        }
    }
}
