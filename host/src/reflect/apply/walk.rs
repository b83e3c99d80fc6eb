//! Bounded listing of a tree without following symlinks. The bounds keep a
//! hostile staging tree (millions of files, a very deep chain) from costing
//! more than a fixed amount of work.

use std::io;

use cap_std::fs::Dir;

use super::nofollow::{self, Kind};

#[derive(Debug, Clone)]
pub struct Entry {
    /// Relative, '/'-separated.
    pub path: String,
    pub kind: Kind,
}

#[derive(Debug, Default)]
pub struct Walk {
    /// Sorted by path.
    pub entries: Vec<Entry>,
    /// Paths (lossily decoded) of names that are not UTF-8; never descended.
    pub bad_names: Vec<String>,
    /// Set when the bounds stopped the walk: says where and why. The listing
    /// is then incomplete and must not be used to infer deletions.
    pub truncated: Option<String>,
}

pub struct Limits {
    /// Most components in a path.
    pub max_depth: usize,
    /// Most entries counted (entries `keep` refuses are not counted).
    pub max_entries: usize,
}

/// Lists `root`. `keep(parent, name)` is asked before anything else is done
/// with a name, so names it refuses are neither counted nor looked at (used to
/// skip the user's own skill folders). `descend(path)` decides which
/// directories are entered.
pub fn walk(
    root: &Dir,
    limits: &Limits,
    keep: &dyn Fn(&str, &str) -> bool,
    descend: &dyn Fn(&str) -> bool,
) -> io::Result<Walk> {
    let mut out = Walk::default();
    let mut count = 0usize;
    // Paths, not open handles, wait on the stack, so a wide tree cannot use
    // up file descriptors; each is reopened without following symlinks.
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((prefix, depth)) = stack.pop() {
        let dir = if prefix.is_empty() {
            nofollow::reopen(root)
        } else {
            nofollow::open_dir_path(root, &prefix)
        }
        .map_err(|e| context(e, "opening", &prefix))?;
        // Filtered while listing, and stopped once over the bound, so a folder
        // holding millions of names costs no more than the bound.
        let mut names = Vec::new();
        for entry in dir.entries().map_err(|e| context(e, "listing", &prefix))? {
            let raw = entry
                .map_err(|e| context(e, "listing", &prefix))?
                .file_name();
            if !keep(&prefix, &raw.to_string_lossy()) {
                continue;
            }
            names.push(raw);
            if count + names.len() > limits.max_entries {
                out.truncated = Some(format!(
                    "more than {} entries (in {})",
                    limits.max_entries,
                    if prefix.is_empty() { "." } else { &prefix }
                ));
                return Ok(out);
            }
        }
        count += names.len();
        names.sort();
        for raw in names {
            let path = join(&prefix, &raw.to_string_lossy());
            let Some(name) = raw.to_str() else {
                out.bad_names.push(path);
                continue;
            };
            let Some(kind) =
                nofollow::lstat(&dir, name).map_err(|e| context(e, "inspecting", &path))?
            else {
                continue; // vanished while listing
            };
            if kind == Kind::Dir && descend(&path) {
                if depth + 1 < limits.max_depth {
                    stack.push((path.clone(), depth + 1));
                } else if !empty(&dir, name).map_err(|e| context(e, "listing", &path))? {
                    out.truncated = Some(format!(
                        "deeper than {} levels (at {path})",
                        limits.max_depth
                    ));
                    return Ok(out);
                }
            }
            out.entries.push(Entry { path, kind });
        }
    }
    out.entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn empty(dir: &Dir, name: &str) -> io::Result<bool> {
    Ok(nofollow::open_dir(dir, name)?.entries()?.next().is_none())
}

pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn context(e: io::Error, what: &str, path: &str) -> io::Error {
    let shown = if path.is_empty() { "." } else { path };
    io::Error::new(e.kind(), format!("{what} {shown}: {e}"))
}
