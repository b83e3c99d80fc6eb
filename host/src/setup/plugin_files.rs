//! The plugin csep ships, embedded in the binary so that setup needs no checkout, with
//! its hook commands pointing at the running csep by absolute path: clients run hooks
//! through a login shell whose PATH may not include `~/.cargo/bin`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{EntryStatus, SetupError, atomic};

/// The repository's `plugin/` folder, seen from this file.
macro_rules! plugin_file {
    ($rel:literal) => {
        ($rel, include_str!(concat!("../../../plugin/", $rel)))
    };
}

const EMBEDDED: [(&str, &str); 4] = [
    plugin_file!(".codex-plugin/plugin.json"),
    plugin_file!(".claude-plugin/plugin.json"),
    plugin_file!("hooks/hooks.json"),
    plugin_file!("skills/csep-session-recall/SKILL.md"),
];

pub(super) const MARKETPLACE: &str = "csep-local";
pub(super) const PLUGIN: &str = "csep";
pub(super) const PLUGIN_ID: &str = "csep@csep-local";
pub(super) const HOOKS_PATH: &str = "hooks/hooks.json";
pub(super) const SKILL_NAME: &str = "csep-session-recall";
pub(super) const SKILL_PATH: &str = "skills/csep-session-recall/SKILL.md";
const MANIFEST_PATH: &str = ".codex-plugin/plugin.json";
const MARKETPLACE_PATH: &str = ".agents/plugins/marketplace.json";

/// The marketplace Codex is pointed at: one local plugin under `./plugins/csep`.
const MARKETPLACE_JSON: &str = r#"{
  "name": "csep-local",
  "interface": {
    "displayName": "csep"
  },
  "plugins": [
    {
      "name": "csep",
      "source": {
        "source": "local",
        "path": "./plugins/csep"
      },
      "policy": {
        "installation": "AVAILABLE",
        "authentication": "ON_INSTALL"
      },
      "category": "Productivity"
    }
  ]
}
"#;

/// A set of files under one folder: `(path relative to it, content)`.
pub(super) type Tree = Vec<(String, String)>;

/// The plugin's files as they are written for one csep executable.
pub(super) struct PluginFiles {
    files: Tree,
    version: String,
    hooks: Value,
}

impl PluginFiles {
    pub(super) fn for_exe(csep_exe: &Path) -> Result<PluginFiles, SetupError> {
        let exe = csep_exe
            .to_str()
            .ok_or_else(|| SetupError::NonUtf8Path(csep_exe.to_path_buf()))?;
        let mut files = Tree::new();
        for (rel, text) in EMBEDDED {
            let text = if rel == HOOKS_PATH {
                with_exe(text, exe)
            } else if rel == MANIFEST_PATH {
                // Completed by `with_mcp_server`, which knows the state folder.
                super::mcp::manifest_for(text, exe, &["mcp".to_string()])
            } else {
                text.to_string()
            };
            files.push((rel.to_string(), text));
        }
        let hooks = serde_json::from_str(files_get(&files, HOOKS_PATH))
            .expect("the embedded hooks.json is valid JSON");
        let manifest: Value = serde_json::from_str(files_get(&files, MANIFEST_PATH))
            .expect("the embedded plugin.json is valid JSON");
        let version = manifest["version"]
            .as_str()
            .expect("the embedded plugin.json has a version")
            .to_string();
        Ok(PluginFiles {
            files,
            version,
            hooks,
        })
    }

    /// Points the manifest's MCP server at csep's state folder.
    pub(super) fn with_mcp_server(
        mut self,
        csep_exe: &Path,
        state_dir: &Path,
    ) -> Result<PluginFiles, SetupError> {
        let exe = csep_exe
            .to_str()
            .ok_or_else(|| SetupError::NonUtf8Path(csep_exe.to_path_buf()))?;
        let args = super::mcp::server_args(state_dir)?;
        for (rel, text) in &mut self.files {
            if rel == MANIFEST_PATH {
                *text = super::mcp::manifest_for(text, exe, &args);
            }
        }
        Ok(self)
    }

    /// The plugin folder's files.
    pub(super) fn plugin_tree(&self) -> &Tree {
        &self.files
    }

    /// The marketplace root: its manifest plus the plugin under `plugins/csep/`.
    pub(super) fn marketplace_tree(&self) -> Tree {
        let mut tree = vec![(MARKETPLACE_PATH.to_string(), MARKETPLACE_JSON.to_string())];
        for (rel, text) in &self.files {
            tree.push((format!("plugins/{PLUGIN}/{rel}"), text.clone()));
        }
        tree
    }

    pub(super) fn version(&self) -> &str {
        &self.version
    }

    pub(super) fn skill(&self) -> &str {
        files_get(&self.files, SKILL_PATH)
    }

    /// The hook groups of one event, as written in hooks.json.
    pub(super) fn groups(&self, event: &str) -> Vec<Value> {
        self.hooks["hooks"][event]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// `(hooks.state key, trusted hash)` for every hook, as Codex computes them from the
    /// hooks.json written here.
    pub(super) fn trust(&self) -> Vec<(String, String)> {
        let source = format!("{PLUGIN_ID}:{HOOKS_PATH}");
        crate::codex_trust::declared_hashes(&self.hooks, &source)
            .into_iter()
            .map(|(key, _, hash)| (key, hash))
            .collect()
    }
}

fn files_get<'a>(files: &'a Tree, rel: &str) -> &'a str {
    files
        .iter()
        .find(|(r, _)| r == rel)
        .map(|(_, t)| t.as_str())
        .expect("embedded plugin file")
}

/// Rewrites every `csep …` command in hooks.json to call `exe`, leaving the rest of the
/// text (and so its layout) as shipped.
fn with_exe(hooks_json: &str, exe: &str) -> String {
    let parsed: Value = serde_json::from_str(hooks_json).expect("embedded hooks.json");
    let mut text = hooks_json.to_string();
    for groups in parsed["hooks"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for handler in groups
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["hooks"].as_array().into_iter().flatten())
        {
            let Some(cmd) = handler["command"].as_str() else {
                continue;
            };
            if let Some(args) = cmd.strip_prefix("csep ") {
                let new = format!("{} {args}", shell_quote(exe));
                text = text.replace(&json_string(cmd), &json_string(&new));
            }
        }
    }
    text
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// Quotes `s` for a POSIX shell unless it needs none.
pub(super) fn shell_quote(s: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"/._-+,:@%=".contains(&b);
    if !s.is_empty() && s.bytes().all(plain) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("'{}'", s.replace('\'', r"'\''")))
    }
}

/// How the files on disk under `root` compare with `tree`.
pub(super) fn tree_status(root: &Path, tree: &Tree) -> EntryStatus {
    let mut same = 0;
    let mut present = 0;
    for (rel, text) in tree {
        if let Ok(on_disk) = std::fs::read(root.join(rel)) {
            present += 1;
            if on_disk == text.as_bytes() {
                same += 1;
            }
        }
    }
    if same == tree.len() {
        EntryStatus::AlreadySet
    } else if present == 0 {
        EntryStatus::Added
    } else {
        EntryStatus::Changed {
            from: "other content (another csep version or path)".into(),
        }
    }
}

/// Writes the files of `tree` that differ; returns the folders it created.
pub(super) fn write_tree(root: &Path, tree: &Tree) -> Result<Vec<PathBuf>, SetupError> {
    let mut created = Vec::new();
    for (rel, text) in tree {
        let path = root.join(rel);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            created.extend(atomic::write(&path, text.as_bytes(), atomic::SHIPPED_FILE)?);
        }
    }
    Ok(created)
}

/// The paths of the marketplace root's files.
pub(super) fn marketplace_paths() -> Vec<String> {
    let mut paths = vec![MARKETPLACE_PATH.to_string()];
    paths.extend(
        EMBEDDED
            .iter()
            .map(|(rel, _)| format!("plugins/{PLUGIN}/{rel}")),
    );
    paths
}

/// Removes the files at `paths` under `root`, then the folders they leave empty up to
/// `root`. Returns whether anything was there.
pub(super) fn remove_tree(root: &Path, paths: &[String]) -> Result<bool, SetupError> {
    let mut any = false;
    let mut dirs = Vec::new();
    for rel in paths {
        let path = root.join(rel);
        any |= atomic::remove_file(&path)?;
        for dir in path.ancestors().skip(1) {
            dirs.push(dir.to_path_buf());
            if dir == root {
                break;
            }
        }
    }
    dirs.sort();
    dirs.dedup();
    atomic::remove_empty_dirs(&dirs);
    Ok(any)
}
