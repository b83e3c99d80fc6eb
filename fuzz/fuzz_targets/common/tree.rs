//! Live and staging folders built from a fuzz input, for the host's checks of
//! what a strategy wrote, and snapshots to compare them by.
//!
//! Input format, one entry per header line, the entry's bytes up to the next one:
//!
//! ```text
//! @@ memory MEMORY.md           a file in staging memory (area: memory or skills)
//! @@ live-skills csep-reflect-a/SKILL.md   a file in the live skills
//! @@ exec memory refs/a.md      an executable file
//! @@ dir skills csep-reflect-b  a folder
//! @@ link memory refs/b.md OUT  a symlink; OUT and OUTDIR name a file and a
//!                               folder outside both trees, anything else is
//!                               used as a relative target
//! ```

// Each target uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use cap_std::fs::Dir;

pub const OUTSIDE_TEXT: &[u8] = b"outside both trees\n";
const MAX_ENTRIES: usize = 40;

/// A temporary root holding live/, staging/, backup/ and outside/.
pub struct Tree {
    pub root: tempfile::TempDir,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File { bytes: Vec<u8>, mode: u32 },
    Link(PathBuf),
    Dir { mode: u32 },
}

pub struct Dirs {
    pub live_memory: Dir,
    pub live_skills: Dir,
    pub staging_memory: Dir,
    pub staging_skills: Dir,
    pub backup: Dir,
}

impl Tree {
    pub fn new() -> Tree {
        // Memory-backed when there is one: each run writes a few dozen files.
        let shm = Path::new("/dev/shm");
        let root = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("a temporary folder");
        for d in [
            "live/memory",
            "live/skills",
            "staging/memory",
            "staging/skills",
            "backup",
            "outside/dir",
        ] {
            std::fs::create_dir_all(root.path().join(d)).expect("making the tree");
        }
        std::fs::write(root.path().join("outside/secret.md"), OUTSIDE_TEXT).expect("outside");
        Tree { root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Writes the entries the input describes; malformed ones are skipped.
    pub fn fill(&self, data: &[u8]) {
        for (header, body) in entries(data).into_iter().take(MAX_ENTRIES) {
            let words: Vec<&str> = header.split(' ').filter(|w| !w.is_empty()).collect();
            let (op, rest) = match words.first() {
                Some(&w @ ("exec" | "dir" | "link")) => (w, &words[1..]),
                _ => ("file", &words[..]),
            };
            let (Some(area), Some(rel)) = (rest.first(), rest.get(1)) else {
                continue;
            };
            let base = match *area {
                "memory" => "staging/memory",
                "skills" => "staging/skills",
                "live-memory" => "live/memory",
                "live-skills" => "live/skills",
                _ => continue,
            };
            let Some(rel) = safe_relative(rel) else {
                continue;
            };
            let path = self.path(base).join(&rel);
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = match op {
                "dir" => std::fs::create_dir_all(&path),
                "link" => {
                    let target = match rest.get(2).copied() {
                        Some("OUT") => self.path("outside/secret.md"),
                        Some("OUTDIR") => self.path("outside/dir"),
                        Some(t) => match safe_relative(t) {
                            Some(t) => t,
                            None => continue,
                        },
                        None => continue,
                    };
                    symlink(target, &path)
                }
                _ => std::fs::write(&path, body).and_then(|()| {
                    let mode = if op == "exec" { 0o755 } else { 0o644 };
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                }),
            };
        }
    }

    pub fn dirs(&self) -> Dirs {
        let open = |rel: &str| csep::fs_authority::open_dir(&self.path(rel)).expect("opening");
        Dirs {
            live_memory: open("live/memory"),
            live_skills: open("live/skills"),
            staging_memory: open("staging/memory"),
            staging_skills: open("staging/skills"),
            backup: open("backup"),
        }
    }

    /// Everything under `rel`, by relative path, without following links.
    pub fn snapshot(&self, rel: &str) -> BTreeMap<String, Node> {
        let mut out = BTreeMap::new();
        walk(&self.path(rel), "", &mut out);
        out
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Node>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in read.flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path()).unwrap_or_default();
            out.insert(name, Node::Link(target));
        } else if meta.is_dir() {
            out.insert(name.clone(), Node::Dir { mode });
            walk(&entry.path(), &format!("{name}/"), out);
        } else {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            out.insert(name, Node::File { bytes, mode });
        }
    }
}

/// `(header, body)` pairs: a header is the rest of a line starting `@@ `.
fn entries(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut out: Vec<(String, &[u8])> = Vec::new();
    let mut at = 0;
    let mut current: Option<(String, usize)> = None;
    while at <= data.len() {
        let end = data[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| at + i);
        if let Some(header) = data[at..end].strip_prefix(b"@@ ") {
            if let Some((h, start)) = current.take() {
                out.push((h, &data[start..at]));
            }
            current = Some((
                String::from_utf8_lossy(header).into_owned(),
                (end + 1).min(data.len()),
            ));
        }
        at = end + 1;
    }
    if let Some((h, start)) = current {
        out.push((h, &data[start.min(data.len())..]));
    }
    out
}

/// A relative path of ordinary components, short enough to create.
fn safe_relative(p: &str) -> Option<PathBuf> {
    let parts: Vec<&str> = p.split('/').collect();
    let ok = parts.len() <= 6
        && parts.iter().all(|c| {
            !c.is_empty() && *c != "." && *c != ".." && c.len() <= 100 && !c.contains('\0')
        });
    ok.then(|| PathBuf::from(p))
}
