//! File access in the three preopened folders: reading inputs, listing existing
//! skills and refs, and writing only what changed (through a `.tmp` file renamed
//! into place). Paths are not vetted here: the host diffs the staging folders and
//! is the one that accepts or rejects each change.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

/// Where the folders are: `/session`, `/memory`, `/skills` in the sandbox; any
/// folders in tests.
#[derive(Debug, Clone)]
pub struct Paths {
    pub session: PathBuf,
    pub memory: PathBuf,
    pub skills: PathBuf,
}

impl Paths {
    pub fn sandbox() -> Paths {
        Paths {
            session: PathBuf::from("/session"),
            memory: PathBuf::from("/memory"),
            skills: PathBuf::from("/skills"),
        }
    }

    pub fn memory_md(&self) -> PathBuf {
        self.memory.join("MEMORY.md")
    }

    pub fn refs(&self) -> PathBuf {
        self.memory.join("refs")
    }
}

/// The file's text, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `content` unless the file already holds exactly it; returns whether it
/// wrote. Parent folders are created. The content goes to `<file>.tmp` first and
/// is renamed into place; if the rename fails, the `.tmp` is removed and the file
/// written directly.
pub fn write_if_changed(path: &Path, content: &str) -> io::Result<bool> {
    if let Ok(existing) = fs::read(path)
        && existing == content.as_bytes()
    {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let staged = fs::write(&tmp, content).and_then(|()| fs::rename(&tmp, path));
    if staged.is_err() {
        let _ = fs::remove_file(&tmp);
        fs::write(path, content)?;
    }
    Ok(true)
}

/// A generated skill already in the staging folder.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingSkill {
    pub name: String,
    pub description: String,
}

/// The skills in `/skills`, by folder name, with the description from each
/// `SKILL.md` frontmatter; sorted by name.
pub fn list_skills(dir: &Path) -> Vec<ExistingSkill> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<ExistingSkill> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let folder = e.file_name().to_string_lossy().into_owned();
            let text = read_optional(&e.path().join("SKILL.md"))
                .ok()
                .flatten()
                .unwrap_or_default();
            let (name, description) = frontmatter(&text);
            ExistingSkill {
                name: name.unwrap_or(folder),
                description: description.unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `name` and `description` from a `---` frontmatter block.
pub fn frontmatter(text: &str) -> (Option<String>, Option<String>) {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some("---") {
        return (None, None);
    }
    let (mut name, mut description) = (None, None);
    for line in lines {
        if line.trim() == "---" {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim().trim_matches(['"', '\'']).to_string();
            match key.trim() {
                "name" => name = Some(value),
                "description" => description = Some(value),
                _ => {}
            }
        }
    }
    (name, description)
}

/// `SKILL.md` for a skill: frontmatter, a blank line, the body.
pub fn skill_markdown(name: &str, description: &str, body: &str) -> String {
    // Double-quoted without escapes, so a YAML reader and a line reader see the
    // same text whatever the description holds (`: `, `#`, `yes`, a number).
    let description = description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('"', "'")
        .replace('\\', "/");
    let mut out = format!("---\nname: {name}\ndescription: \"{description}\"\n---\n\n{body}");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The `.md` files under `refs/`, relative to it, sorted.
pub fn list_refs(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>, depth: usize) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            match e.file_type() {
                Ok(t) if t.is_dir() && depth < 8 => {
                    walk(&e.path(), &format!("{rel}/"), out, depth + 1)
                }
                Ok(t) if t.is_file() && name.ends_with(".md") => out.push(rel),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out, 0);
    out.sort();
    out
}

#[cfg(test)]
pub mod testdir {
    //! A scratch folder per test, removed on drop.

    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(tag: &str) -> TempDir {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("strategy-default-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testdir::TempDir;
    use super::*;

    #[test]
    fn writes_only_changes_and_leaves_no_tmp() {
        let dir = TempDir::new("write");
        let file = dir.path().join("a/b/file.md");
        assert!(write_if_changed(&file, "one\n").unwrap());
        assert!(!write_if_changed(&file, "one\n").unwrap());
        assert!(write_if_changed(&file, "two\n").unwrap());
        assert_eq!(fs::read_to_string(&file).unwrap(), "two\n");
        let names: Vec<_> = fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["file.md"]);
        assert_eq!(read_optional(&dir.path().join("missing")).unwrap(), None);
    }

    #[test]
    fn lists_skills_and_refs() {
        let dir = TempDir::new("list");
        let skills = dir.path().join("skills");
        write_if_changed(
            &skills.join("csep-reflect-b/SKILL.md"),
            &skill_markdown("csep-reflect-b", "Does\n b", "body"),
        )
        .unwrap();
        write_if_changed(&skills.join("csep-reflect-a/SKILL.md"), "no frontmatter").unwrap();
        assert_eq!(
            list_skills(&skills),
            [
                ExistingSkill {
                    name: "csep-reflect-a".into(),
                    description: String::new()
                },
                ExistingSkill {
                    name: "csep-reflect-b".into(),
                    description: "Does b".into()
                },
            ]
        );
        let refs = dir.path().join("refs");
        write_if_changed(&refs.join("db.md"), "x").unwrap();
        write_if_changed(&refs.join("deep/api.md"), "x").unwrap();
        write_if_changed(&refs.join("skip.txt"), "x").unwrap();
        assert_eq!(list_refs(&refs), ["db.md", "deep/api.md"]);
        assert!(list_refs(&dir.path().join("none")).is_empty());
    }

    #[test]
    fn skill_markdown_has_frontmatter() {
        assert_eq!(
            skill_markdown("csep-reflect-x", "Does x", "# X\n\nSteps"),
            "---\nname: csep-reflect-x\ndescription: \"Does x\"\n---\n\n# X\n\nSteps\n"
        );
        assert_eq!(
            skill_markdown("csep-reflect-x", "Run \"it\": yes \\ now", "b"),
            "---\nname: csep-reflect-x\ndescription: \"Run 'it': yes / now\"\n---\n\nb\n"
        );
    }
}
