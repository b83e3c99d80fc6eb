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

/// How many folder entries turning one bucket name back into a path may look at.
const UNSLUG_BUDGET: usize = 20_000;

/// The folder a bucket was made for, from its `.canonical_cwd` marker.
fn marked_cwd(dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dir.join(".canonical_cwd")).ok()?;
    let line = text.trim_end_matches(['\n', '\r']);
    (!line.trim().is_empty()).then(|| PathBuf::from(line))
}

/// The existing folders whose bucket name is `name`. The original turned every `/`
/// into `-`, so `-a-b-c` may be `/a/b-c`, `/a-b/c`, …: the folders on disk tell.
fn folders_named(name: &str) -> Vec<PathBuf> {
    let Some(rest) = name.strip_prefix('-') else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut budget = UNSLUG_BUDGET;
    let mut stack = vec![(PathBuf::from("/"), rest)];
    while let Some((dir, rest)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if budget == 0 {
                return found;
            }
            budget -= 1;
            let Ok(part) = e.file_name().into_string() else {
                continue;
            };
            let path = dir.join(&part);
            if !path.is_dir() {
                continue;
            }
            if rest == part {
                found.push(path);
            } else if let Some(after) = rest
                .strip_prefix(part.as_str())
                .and_then(|r| r.strip_prefix('-'))
            {
                stack.push((path, after));
            }
        }
    }
    found.sort();
    found
}

/// The existing folders a bucket may have been made for: the one its marker
/// names, or those its name fits, each with the bucket of its repository.
fn existing_folders(name: &str, marked: Option<&PathBuf>) -> Vec<(PathBuf, Bucket)> {
    let candidates = match marked {
        Some(cwd) => vec![cwd.clone()],
        None => folders_named(name),
    };
    candidates
        .into_iter()
        .filter(|c| c.is_dir())
        .map(|c| {
            let bucket = Bucket::resolve(&c);
            (c, bucket)
        })
        .collect()
}

/// The folder a bucket was made for, when it still exists: the one its marker
/// names, or the only one its name fits.
pub(super) fn existing_folder(name: &str, dir: &Path) -> Option<PathBuf> {
    match existing_folders(name, marked_cwd(dir).as_ref()).as_slice() {
        [(one, _)] => Some(one.clone()),
        _ => None,
    }
}

/// Linked worktrees the repository at `repo` still lists (`.git/worktrees/*/gitdir`),
/// whether or not their folders remain: the way to a removed worktree's repository.
fn listed_worktrees(repo: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(repo.join(".git/worktrees")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("gitdir")).ok())
        .filter_map(|gitdir| {
            let gitdir = PathBuf::from(gitdir.trim_end_matches(['\n', '\r']));
            (gitdir.file_name()? == ".git").then(|| gitdir.parent().map(Path::to_path_buf))?
        })
        .collect()
}

/// Where a bucket belongs, or why it is left where it is.
enum Found {
    /// The bucket's folder (or a removed worktree its repository still lists),
    /// and the bucket of its repository.
    Move(PathBuf, Bucket),
    Skip(String),
    /// Already a shared bucket, or no memory to move.
    Nothing,
}

/// One bucket folder under `projects/`, with what is known of where it came from.
struct Seen {
    name: String,
    marked: Option<PathBuf>,
    existing: Vec<(PathBuf, Bucket)>,
}

/// What `csep status` says while worktree buckets wait to be merged.
pub fn notice(home: &Home) -> Option<String> {
    let (moves, _) = plan(home).ok()?;
    (!moves.is_empty()).then(|| {
        format!(
            "{} bucket(s) the original tool made for a linked worktree hold memory that \
             SessionStart does not read; `csep migrate` shows the merge, `--apply` does it",
            moves.len()
        )
    })
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
        .filter(|name| !name.contains(ARCHIVED_MARK)) // moved by an earlier run
        .collect();
    names.sort();
    let buckets: Vec<Seen> = names
        .into_iter()
        .map(|name| {
            let marked = marked_cwd(&root.join(&name));
            let existing = existing_folders(&name, marked.as_ref());
            Seen {
                name,
                marked,
                existing,
            }
        })
        .collect();
    // The repositories of the buckets whose folders exist, with the worktrees they list.
    let mut worktrees: Vec<(PathBuf, Bucket)> = Vec::new();
    let mut seen_repos = Vec::new();
    for (_, repo) in buckets.iter().flat_map(|b| &b.existing) {
        if !seen_repos.contains(&repo.key_path) {
            seen_repos.push(repo.key_path.clone());
            for wt in listed_worktrees(&repo.key_path) {
                worktrees.push((wt, repo.clone()));
            }
        }
    }
    for b in buckets {
        match locate(&b, &root.join(&b.name), &worktrees) {
            Found::Move(cwd, target) => moves.push(BucketMove {
                source_bucket: b.name,
                source_cwd: cwd,
                target_bucket: target.id,
                target_cwd: target.key_path,
                entries_added: 0,
                entries_already_there: 0,
                conflicts: 0,
                refs_copied: Vec::new(),
                archived_as: None,
            }),
            Found::Skip(reason) => skipped.push(Skipped {
                bucket: b.name,
                reason,
            }),
            Found::Nothing => {}
        }
    }
    Ok((moves, skipped))
}

/// Finds the repository a bucket was made for: from its folder when that exists,
/// else from the worktrees its repository lists.
fn locate(b: &Seen, dir: &Path, worktrees: &[(PathBuf, Bucket)]) -> Found {
    if let Some((first, target)) = b.existing.first() {
        if b.existing.iter().any(|(_, t)| t.id != target.id) {
            let all: Vec<String> = b
                .existing
                .iter()
                .map(|(c, _)| c.display().to_string())
                .collect();
            return Found::Skip(format!(
                "its name fits more than one folder ({}) and it has no .canonical_cwd to tell which",
                all.join(", ")
            ));
        }
        if target.id == b.name || !has_memory(dir) {
            return Found::Nothing;
        }
        return Found::Move(first.clone(), target.clone());
    }
    if !has_memory(dir) {
        return Found::Nothing;
    }
    let removed = worktrees.iter().find(|(wt, _)| match &b.marked {
        Some(cwd) => wt == cwd,
        None => crate::bucket::slug(wt) == b.name,
    });
    match removed {
        Some((wt, repo)) if repo.id != b.name => Found::Move(wt.clone(), repo.clone()),
        _ => Found::Skip(
            "its folder no longer exists and no repository lists it as a worktree, so where its \
             memory belongs cannot be told"
                .to_string(),
        ),
    }
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
    let merged = memory_merge::merge(
        &target_text,
        &source_text,
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
