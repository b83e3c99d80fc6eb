//! Merging one memory text into another: every entry the target lacks is added,
//! none is dropped; an entry that says something else about the same subject is
//! kept under its own heading for the user to settle. Writes are atomic, and the
//! target's previous content is copied to the run's backup folder first.

use std::collections::HashSet;
use std::path::Path;

use super::MigrateError;
use crate::fs_authority;
use crate::path_error::{AtPath, PathError};

/// Text as compared: list markers dropped, spacing folded, case kept.
fn fold(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim();
            t.strip_prefix("- ")
                .or_else(|| t.strip_prefix("* "))
                .or_else(|| t.strip_prefix("+ "))
                .unwrap_or(t)
        })
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
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

fn heading_title(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let rest = t.trim_start_matches('#');
    (t.starts_with('#') && (rest.is_empty() || rest.starts_with(' '))).then(|| rest.trim())
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

fn starts_item(line: &str) -> bool {
    let t = line.trim_start();
    ["- ", "* ", "+ "].iter().any(|m| t.starts_with(m))
        || t.split_once(". ").is_some_and(|(n, _)| {
            !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// One entry of a memory text: a list item with its continuation lines, a
/// paragraph, or a fenced block, with the heading it sits under.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    heading: Option<String>,
    lines: Vec<String>,
}

impl Block {
    fn key(&self) -> String {
        fold(&self.lines.join("\n"))
    }

    fn is_item(&self) -> bool {
        self.lines.first().is_some_and(|l| starts_item(l))
    }
}

/// Adds `line` to the entry being read, starting one under `heading` if none is.
fn append(current: &mut Option<Block>, heading: &Option<String>, line: &str) {
    current
        .get_or_insert_with(|| Block {
            heading: heading.clone(),
            lines: Vec::new(),
        })
        .lines
        .push(line.to_string());
}

/// Splits a memory text into its entries; headings are context, not entries.
fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut heading: Option<String> = None;
    let mut current: Option<Block> = None;
    let mut in_fence = false;
    let flush = |current: &mut Option<Block>, out: &mut Vec<Block>| {
        if let Some(b) = current.take().filter(|b| !b.key().is_empty()) {
            out.push(b);
        }
    };
    for line in text.lines() {
        if in_fence {
            if let Some(b) = current.as_mut() {
                b.lines.push(line.to_string());
            }
            in_fence = !is_fence(line);
            continue;
        }
        if is_fence(line) {
            // A fence indented under an item belongs to it; otherwise it is its own block.
            let under_item =
                line.starts_with([' ', '\t']) && current.as_ref().is_some_and(Block::is_item);
            if !under_item {
                flush(&mut current, &mut out);
            }
            append(&mut current, &heading, line);
            in_fence = true;
            continue;
        }
        if let Some(title) = heading_title(line) {
            flush(&mut current, &mut out);
            heading = Some(title.to_string()).filter(|t| !t.is_empty());
            continue;
        }
        if line.trim().is_empty() {
            flush(&mut current, &mut out);
            continue;
        }
        if starts_item(line) && !line.starts_with([' ', '\t']) {
            flush(&mut current, &mut out);
        }
        append(&mut current, &heading, line);
    }
    flush(&mut current, &mut out);
    out
}

/// The words before a `:` or `=` on an entry's first line, when short: what it is about.
fn subject(block: &Block) -> Option<String> {
    let key = fold(block.lines.first()?);
    let cut = key.find([':', '='])?;
    let s = key[..cut].trim().to_lowercase();
    (!s.is_empty() && s.chars().count() <= 60).then_some(s)
}

/// Writes `blocks` grouped by the heading they had, list items together and
/// other entries set apart by blank lines.
fn render(blocks: &[Block], source_heading: &Option<String>) -> String {
    let mut out = String::new();
    let mut last_heading: Option<&Option<String>> = None;
    let mut last_item = false;
    for b in blocks {
        if last_heading != Some(&b.heading) {
            if let Some(h) = b
                .heading
                .as_ref()
                .filter(|h| Some(*h) != source_heading.as_ref())
            {
                out.push_str(&format!("\n### {h}\n"));
            }
            last_heading = Some(&b.heading);
            last_item = false;
        }
        let item = b.is_item();
        if !(item && last_item) {
            out.push('\n');
        }
        out.push_str(&b.lines.join("\n"));
        out.push('\n');
        last_item = item;
    }
    out
}

/// Adds to `target` each entry of `source` it lacks, under `heading`; the source's
/// own headings are kept (one level down), so an entry keeps its context.
pub fn merge(target: &str, source: &str, heading: &str) -> Merged {
    let target_blocks = blocks(target);
    let have: HashSet<String> = target_blocks.iter().map(Block::key).collect();
    let subjects: HashSet<String> = target_blocks.iter().filter_map(subject).collect();
    let mut fresh = Vec::new();
    let mut differing = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Merged::default();
    let source_blocks = blocks(source);
    // The source's top heading (`# Project Memory`) says nothing the target's does not.
    let top = source_blocks
        .first()
        .and_then(|b| b.heading.clone())
        .filter(|h| h.eq_ignore_ascii_case("project memory"));
    for block in source_blocks {
        let key = block.key();
        if have.contains(&key) || !seen.insert(key.clone()) {
            out.already_there += 1;
            continue;
        }
        if subject(&block).is_some_and(|s| subjects.contains(&s)) {
            differing.push(block);
        } else {
            fresh.push(block);
        }
    }
    out.added = fresh.len() + differing.len();
    out.conflicts = differing.len();
    if out.added == 0 {
        out.text = target.to_string();
        return out;
    }
    let mut text = target.trim_end().to_string();
    if text.is_empty() {
        text.push_str("# Project Memory");
    }
    if !fresh.is_empty() {
        text.push_str(&format!("\n\n## {heading}\n{}", render(&fresh, &top)));
        text.truncate(text.trim_end().len());
    }
    if !differing.is_empty() {
        text.push_str(&format!(
            "\n\n## {heading}: differs from the entries above (keep the one that holds)\n{}",
            render(&differing, &top)
        ));
        text.truncate(text.trim_end().len());
    }
    text.push('\n');
    out.text = text;
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

    #[test]
    fn merging_adds_what_is_missing_keeps_conflicts_and_is_idempotent() {
        let target = "# Project Memory\n\n- Run tests with `cargo test`\n- Port: 8080\n";
        let source =
            "# Project Memory\n-  Run tests   with `cargo test`\n- Port: 9090\n- Use rustfmt\n";
        let m = merge(target, source, "From worktree /w");
        assert_eq!((m.added, m.already_there, m.conflicts), (2, 1, 1));
        assert!(m.text.contains("- Use rustfmt") && m.text.contains("- Port: 9090"));
        assert!(m.text.contains("- Port: 8080"), "nothing dropped");
        let again = merge(&m.text, source, "From worktree /w");
        assert_eq!(again.added, 0);
        assert_eq!(again.text, m.text);
    }

    #[test]
    fn entries_keep_their_lines_fences_and_headings() {
        let target = "# Project Memory\n\n- Use pnpm, not npm.\n";
        let source = "# Project Memory\n\n- Use pnpm, not npm.\n\n## Deploy\n\n- Release steps:\n  1. tag the commit\n  2. push the tag\n\nThe staging host is\nstaging.internal.\n\n```sh\nmake release\n```\n";
        let m = merge(target, source, "From worktree /w");
        assert_eq!((m.added, m.already_there), (3, 1), "{}", m.text);
        assert!(m.text.contains("### Deploy\n"), "{}", m.text);
        assert!(
            m.text
                .contains("- Release steps:\n  1. tag the commit\n  2. push the tag\n"),
            "an item keeps its continuation lines: {}",
            m.text
        );
        assert!(
            m.text.contains("The staging host is\nstaging.internal.\n"),
            "{}",
            m.text
        );
        assert!(m.text.contains("```sh\nmake release\n```"), "{}", m.text);
        assert!(!m.text.contains("- make release"), "{}", m.text);
        let again = merge(&m.text, source, "From worktree /w");
        assert_eq!((again.added, again.text.as_str()), (0, m.text.as_str()));
    }
}
