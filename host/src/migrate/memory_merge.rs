//! Merging one memory text into another: every entry the target lacks is added,
//! none is dropped; an entry that says something else about the same subject is
//! kept under its own heading for the user to settle. Writes are atomic, and the
//! target's previous content is copied to the run's backup folder first.

use std::collections::HashSet;
use std::path::Path;

use super::MigrateError;
use crate::fs_authority;
use crate::path_error::{AtPath, PathError};

/// An entry as compared, the same way reflection compares them: no list marker,
/// spacing folded, case kept.
fn entry_key(line: &str) -> String {
    let t = line.trim();
    let t = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
        .unwrap_or(t);
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The outcome of merging one source into a target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub added: usize,
    pub already_there: usize,
    /// Added entries whose subject (the words before `:`) the target already has
    /// with another value.
    pub conflicts: usize,
}

fn is_heading(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// The words before a `:` or `=`, when short: what an entry is about.
fn subject(key: &str) -> Option<String> {
    let cut = key.find([':', '='])?;
    let s = key[..cut].trim().to_lowercase();
    (!s.is_empty() && s.chars().count() <= 60).then_some(s)
}

/// Entries of a memory text: non-empty lines that are not headings or fences.
pub fn entries(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !is_heading(l) && !l.trim().starts_with("```"))
        .map(entry_key)
        .filter(|k| !k.is_empty())
        .collect()
}

/// Adds to `target` each of `lines` it lacks, under `heading`.
pub fn merge(target: &str, lines: &[String], heading: &str) -> Merged {
    let have: HashSet<String> = entries(target).into_iter().collect();
    let subjects: HashSet<String> = have.iter().filter_map(|k| subject(k)).collect();
    let mut fresh = Vec::new();
    let mut differing = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Merged::default();
    for line in lines {
        let key = entry_key(line);
        if key.is_empty() || is_heading(line) {
            continue;
        }
        if have.contains(&key) || !seen.insert(key.clone()) {
            out.already_there += 1;
            continue;
        }
        let as_entry = if line.trim_start().starts_with(['-', '*', '+']) {
            line.trim().to_string()
        } else {
            format!("- {}", line.trim())
        };
        if subject(&key).is_some_and(|s| subjects.contains(&s)) {
            differing.push(as_entry);
        } else {
            fresh.push(as_entry);
        }
    }
    out.added = fresh.len() + differing.len();
    out.conflicts = differing.len();
    let mut text = target.trim_end().to_string();
    if text.is_empty() && out.added > 0 {
        text.push_str("# Project Memory");
    }
    if !fresh.is_empty() {
        text.push_str(&format!("\n\n## {heading}\n\n{}", fresh.join("\n")));
    }
    if !differing.is_empty() {
        text.push_str(&format!(
            "\n\n## {heading}: differs from the entries above (keep the one that holds)\n\n{}",
            differing.join("\n")
        ));
    }
    text.push('\n');
    out.text = if out.added > 0 {
        text
    } else {
        target.to_string()
    };
    out
}

pub use super::undo::Backups;

/// Writes `memory/MEMORY.md` of `bucket_dir` atomically.
pub fn write_memory(bucket_dir: &Path, text: &str) -> Result<(), MigrateError> {
    let memory = bucket_dir.join("memory");
    let dir = fs_authority::create_private_dir_all(&memory).at("creating", &memory)?;
    Ok(
        fs_authority::write_atomic(&dir, "MEMORY.md", text.as_bytes())
            .at("writing", &memory.join("MEMORY.md"))?,
    )
}

pub fn read_memory(bucket_dir: &Path) -> Result<String, MigrateError> {
    let path = bucket_dir.join("memory/MEMORY.md");
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(PathError::new("reading", &path, e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    #[test]
    fn merging_adds_what_is_missing_keeps_conflicts_and_is_idempotent() {
        let target = "# Project Memory\n\n- Run tests with `cargo test`\n- Port: 8080\n";
        let source = lines(
            "# Project Memory\n-  Run tests   with `cargo test`\n- Port: 9090\n- Use rustfmt\n",
        );
        let m = merge(target, &source, "From worktree /w");
        assert_eq!((m.added, m.already_there, m.conflicts), (2, 1, 1));
        assert!(m.text.contains("- Use rustfmt") && m.text.contains("- Port: 9090"));
        assert!(m.text.contains("- Port: 8080"), "nothing dropped");
        let again = merge(&m.text, &source, "From worktree /w");
        assert_eq!(again.added, 0);
        assert_eq!(again.text, m.text);
    }
}
