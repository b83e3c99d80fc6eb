//! Per-worktree buckets: folders under `projects/` that the original made for a
//! linked worktree (before it shared one bucket per repository). Each is found by
//! its `.canonical_cwd` marker (or, without one, its name turned back into a
//! path), merged into the repository's shared bucket, and renamed aside.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::MigrateError;
use super::memory_merge::{self, Backups};
use crate::bucket::Bucket;
use crate::home::Home;
use crate::path_error::{AtPath, PathError};

/// One worktree bucket and what moving it does (or did).
#[derive(Debug, Clone, Serialize)]
pub struct BucketMove {
    pub source_bucket: String,
    pub source_cwd: PathBuf,
    pub target_bucket: String,
    pub target_cwd: PathBuf,
    /// Entries of its MEMORY.md the shared bucket lacked.
    pub entries_added: usize,
    pub entries_already_there: usize,
    /// Added entries that say something else about a subject the shared bucket has.
    pub conflicts: usize,
    /// `refs/` files copied (under `refs/from-<bucket>/` when the name was taken).
    pub refs_copied: Vec<String>,
    /// The source folder's new name (set when applied).
    pub archived_as: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub bucket: String,
    pub reason: String,
}

/// Buckets renamed by a migration carry this in their name and are never read again.
pub const ARCHIVED_MARK: &str = ".archived.";

/// The folder a bucket was made for: its marker, or its name with `-` read as `/`
/// (lossy: the original's marker exists because `/a-b` and `/a/b` collide).
fn original_cwd(dir: &Path, name: &str) -> PathBuf {
    match std::fs::read_to_string(dir.join(".canonical_cwd")) {
        Ok(text) if !text.trim().is_empty() => PathBuf::from(text.trim_end_matches(['\n', '\r'])),
        _ => PathBuf::from(name.replace('-', "/")),
    }
}

/// Every bucket that belongs to another (shared) bucket, and why others stay.
pub fn plan(home: &Home) -> Result<(Vec<BucketMove>, Vec<Skipped>), MigrateError> {
    let root = home.projects();
    let mut moves = Vec::new();
    let mut skipped = Vec::new();
    let entries = match std::fs::read_dir(&root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((moves, skipped)),
        Err(e) => return Err(PathError::new("reading", &root, e).into()),
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let skip = |reason: &str| Skipped {
            bucket: name.clone(),
            reason: reason.to_string(),
        };
        if name.contains(ARCHIVED_MARK) {
            continue; // moved by an earlier run
        }
        let dir = root.join(&name);
        let cwd = original_cwd(&dir, &name);
        if !cwd.is_dir() {
            if has_memory(&dir) {
                skipped.push(skip(
                    "its folder no longer exists, so its repository cannot be told; left as it is",
                ));
            }
            continue;
        }
        let target = Bucket::resolve(&cwd);
        if target.id == name {
            continue; // already the shared bucket
        }
        if !dir.join(".canonical_cwd").exists() && crate::bucket::slug(&cwd) != name {
            skipped.push(skip(
                "its name does not match the folder it seems to be for",
            ));
            continue;
        }
        moves.push(BucketMove {
            source_bucket: name.clone(),
            source_cwd: cwd,
            target_bucket: target.id,
            target_cwd: target.key_path,
            entries_added: 0,
            entries_already_there: 0,
            conflicts: 0,
            refs_copied: Vec::new(),
            archived_as: None,
        });
    }
    Ok((moves, skipped))
}

fn has_memory(dir: &Path) -> bool {
    dir.join("memory").is_dir()
}

/// Merges one worktree bucket into its shared bucket; with `apply`, writes the
/// merge and renames the source to `<name>.archived.<stamp>`.
#[expect(
    clippy::disallowed_methods,
    reason = "archives the original tool's bucket by renaming it; each move is recorded for --undo"
)]
pub fn carry_out(
    home: &Home,
    mut m: BucketMove,
    apply: bool,
    stamp: &str,
    backups: &mut Backups,
) -> Result<BucketMove, MigrateError> {
    let root = home.projects();
    let source = root.join(&m.source_bucket);
    let target = root.join(&m.target_bucket);
    let source_text = memory_merge::read_memory(&source)?;
    let target_text = memory_merge::read_memory(&target)?;
    let lines: Vec<String> = source_text.lines().map(String::from).collect();
    let merged = memory_merge::merge(
        &target_text,
        &lines,
        &format!("From worktree {}", m.source_cwd.display()),
    );
    m.entries_added = merged.added;
    m.entries_already_there = merged.already_there;
    m.conflicts = merged.conflicts;
    let refs = list_refs(&source.join("memory/refs"));
    let mut copies = Vec::new();
    for rel in refs {
        let from = source.join("memory/refs").join(&rel);
        let mut to_rel = rel.clone();
        let existing = target.join("memory/refs").join(&to_rel);
        if existing.exists() {
            if std::fs::read(&existing).ok() == std::fs::read(&from).ok() {
                continue;
            }
            to_rel = PathBuf::from(format!("from-{}", m.source_bucket.trim_start_matches('-')))
                .join(&rel);
        }
        copies.push((from, to_rel));
    }
    m.refs_copied = copies
        .iter()
        .map(|(_, r)| format!("refs/{}", r.display()))
        .collect();
    if !apply {
        return Ok(m);
    }
    if merged.added > 0 {
        backups.keep(
            &target.join("memory/MEMORY.md"),
            &format!("{}/MEMORY.md", m.target_bucket),
        )?;
        memory_merge::write_memory(&target, &merged.text)?;
    }
    for (from, rel) in copies {
        let to = target.join("memory/refs").join(&rel);
        let rel_name = format!("{}/refs/{}", m.target_bucket, rel.display());
        backups.keep(&to, &rel_name)?;
        let parent = to.parent().expect("under refs").to_path_buf();
        crate::fs_authority::create_private_dir_all(&parent).at("creating", &parent)?;
        let dir = crate::fs_authority::open_dir(&parent).at("opening", &parent)?;
        let bytes = std::fs::read(&from).at("reading", &from)?;
        let name = to.file_name().and_then(|n| n.to_str()).unwrap_or("ref.md");
        crate::fs_authority::write_atomic(&dir, name, &bytes).at("writing", &to)?;
    }
    let archived = format!("{}{ARCHIVED_MARK}{stamp}", m.source_bucket);
    let to = root.join(&archived);
    std::fs::rename(&source, &to).at("renaming", &source)?;
    backups.renamed(&source, &to)?;
    m.archived_as = Some(archived);
    Ok(m)
}

/// `.md` files under `refs`, relative, sorted; symlinks are not followed.
fn list_refs(refs: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(refs.join(&rel)) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(kind) = e.file_type() else { continue };
            let path = rel.join(e.file_name());
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|x| x == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
