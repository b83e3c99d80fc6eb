//! The original's legacy `memory/memory.json` (`{"user": [...], "global": [...]}`),
//! which its runtime no longer read: its entries are merged into the MEMORY.md of
//! the repository's shared bucket, so nothing the user once saved is lost.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::MigrateError;
use super::buckets::{self, ARCHIVED_MARK};
use super::memory_merge::{self, Backups};
use crate::bucket::Bucket;
use crate::home::Home;

#[derive(Debug, Clone, Serialize)]
pub struct LegacyMerge {
    pub file: PathBuf,
    pub target_bucket: String,
    pub entries: usize,
    pub added: usize,
    pub conflicts: usize,
}

/// One entry as a line: `summary: content`, or whichever of them there is.
fn entry_line(v: &Value) -> Option<String> {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match v {
        Value::String(s) => Some(fold(s)),
        Value::Object(o) => {
            let field = |k: &str| {
                o.get(k)
                    .and_then(Value::as_str)
                    .map(fold)
                    .filter(|s| !s.is_empty())
            };
            let summary = field("summary").or_else(|| field("title"));
            let content = field("content")
                .or_else(|| field("text"))
                .or_else(|| field("value"));
            match (summary, content) {
                (Some(s), Some(c)) if s != c => Some(format!("{s}: {c}")),
                (Some(s), _) => Some(s),
                (None, Some(c)) => Some(c),
                (None, None) => None,
            }
        }
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// The entries of a memory.json text, in file order (scopes `user`, `global`,
/// then any other list).
pub fn entries(text: &str, path: &std::path::Path) -> Result<Vec<String>, MigrateError> {
    let v: Value = serde_json::from_str(text).map_err(|source| MigrateError::LegacyJson {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    let mut push_list = |list: &Value| {
        if let Some(items) = list.as_array() {
            out.extend(items.iter().filter_map(entry_line));
        }
    };
    match &v {
        Value::Object(o) => {
            for k in ["user", "global"] {
                if let Some(list) = o.get(k) {
                    push_list(list);
                }
            }
            for (k, list) in o {
                if k != "user" && k != "global" {
                    push_list(list);
                }
            }
        }
        Value::Array(_) => push_list(&v),
        _ => {}
    }
    Ok(out)
}

pub fn merge_all(
    home: &Home,
    apply: bool,
    backups: &mut Backups,
) -> Result<Vec<LegacyMerge>, MigrateError> {
    let root = home.projects();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = dirs
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.contains(ARCHIVED_MARK))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let file = root.join(&name).join("memory/memory.json");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let lines = entries(&text, &file)?;
        // Into the shared bucket of the folder the bucket was made for, when it
        // still exists; otherwise into the bucket itself.
        let target = match buckets::existing_folder(&name, &root.join(&name)) {
            Some(cwd) => Bucket::resolve(&cwd).id,
            None => name.clone(),
        };
        let target_dir = root.join(&target);
        let current = memory_merge::read_memory(&target_dir)?;
        let source: Vec<String> = lines.iter().map(|l| format!("- {l}")).collect();
        let merged = memory_merge::merge(
            &current,
            &source.join("\n"),
            "From the original's memory.json",
        );
        if apply && merged.added > 0 {
            backups.keep(
                &target_dir.join("memory/MEMORY.md"),
                &format!("{target}/MEMORY.md"),
            )?;
            memory_merge::write_memory(&target_dir, &merged.text)?;
        }
        out.push(LegacyMerge {
            file,
            target_bucket: target,
            entries: lines.len(),
            added: merged.added,
            conflicts: merged.conflicts,
        });
    }
    Ok(out)
}
