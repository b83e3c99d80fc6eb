//! Repo buckets: where a repository's memory lives in the state folder, and which
//! sessions recall counts as "this repo". Every worktree of a repository resolves to
//! the main worktree's path, read from `.git` files and `commondir` without spawning
//! git; a folder outside any repository is a bucket of its own.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The slug: the key path with every `/` turned into `-` (`-home-you-code-repo`).
    pub id: String,
    /// The main worktree of the repository, or the folder itself outside a repository.
    pub key_path: PathBuf,
}

impl Bucket {
    pub fn resolve(cwd: &Path) -> Bucket {
        let cwd = absolute(cwd);
        let key_path = repo_key(&cwd).unwrap_or(cwd);
        Bucket {
            id: slug(&key_path),
            key_path,
        }
    }

    /// A bucket chosen by its folder's name (the original tool's `session-start
    /// --state-dir BUCKET`); the key path still comes from `cwd`.
    pub fn named(id: &str, cwd: &Path) -> Bucket {
        Bucket {
            id: id.to_string(),
            key_path: Bucket::resolve(cwd).key_path,
        }
    }
}

/// The original's rule: only `/` is replaced, so `/a/b` becomes `-a-b`.
pub fn slug(path: &Path) -> String {
    path.to_string_lossy().replace('/', "-")
}

/// An absolute path with symlinks resolved when it exists, `.`/`..` removed when not.
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    if let Ok(real) = std::fs::canonicalize(&joined) {
        return real;
    }
    let mut out = PathBuf::from("/");
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
            _ => {}
        }
    }
    out
}

/// Walks up from `dir` to the first `.git` and returns the main worktree's path.
fn repo_key(dir: &Path) -> Option<PathBuf> {
    for candidate in dir.ancestors() {
        let dot_git = candidate.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&dot_git) else {
            continue;
        };
        let common = if meta.is_dir() {
            common_dir(&dot_git)
        } else {
            // A linked worktree or a submodule: `.git` is a file `gitdir: <path>`.
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let gitdir = text.lines().next()?.strip_prefix("gitdir:")?.trim();
            common_dir(&absolute(&candidate.join(gitdir)))
        };
        return Some(match common.file_name() {
            Some(name) if name == ".git" => common.parent()?.to_path_buf(),
            _ => common,
        });
    }
    None
}

/// A git dir's `commondir` file names the shared repository (relative to the git dir).
fn common_dir(gitdir: &Path) -> PathBuf {
    match std::fs::read_to_string(gitdir.join("commondir")) {
        Ok(text) if !text.trim().is_empty() => absolute(&gitdir.join(text.trim())),
        _ => gitdir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A main worktree at `repo/` and a linked worktree at `wt/feature`, laid out as
    /// `git worktree add` does.
    fn layout() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(root.path()).unwrap();
        let repo = base.join("repo");
        fs::create_dir_all(repo.join(".git/worktrees/feature")).unwrap();
        fs::create_dir_all(repo.join("src/deep")).unwrap();
        let wt = base.join("wt/feature");
        fs::create_dir_all(wt.join("sub")).unwrap();
        fs::write(
            wt.join(".git"),
            format!(
                "gitdir: {}\n",
                repo.join(".git/worktrees/feature").display()
            ),
        )
        .unwrap();
        fs::write(repo.join(".git/worktrees/feature/commondir"), "../..\n").unwrap();
        (root, repo, wt)
    }

    #[test]
    fn worktrees_and_subfolders_share_the_main_worktree_bucket() {
        let (_root, repo, wt) = layout();
        let main = Bucket::resolve(&repo);
        assert_eq!(main.key_path, repo);
        assert_eq!(main.id, repo.display().to_string().replace('/', "-"));
        assert_eq!(Bucket::resolve(&repo.join("src/deep")), main);
        assert_eq!(Bucket::resolve(&wt), main);
        assert_eq!(Bucket::resolve(&wt.join("sub")), main);
    }

    #[test]
    fn a_relative_gitdir_is_read_from_the_worktree() {
        let (root, repo, wt) = layout();
        let rel = pathdiff(&repo.join(".git/worktrees/feature"), &wt);
        fs::write(wt.join(".git"), format!("gitdir: {rel}\n")).unwrap();
        assert_eq!(Bucket::resolve(&wt).key_path, repo);
        drop(root);
    }

    fn pathdiff(target: &Path, from: &Path) -> String {
        let up = from.components().count();
        let mut s = "../".repeat(up);
        s.push_str(target.strip_prefix("/").unwrap().to_str().unwrap());
        s
    }

    #[test]
    fn a_folder_outside_a_repository_is_its_own_bucket() {
        let root = tempfile::tempdir().unwrap();
        let dir = fs::canonicalize(root.path()).unwrap().join("notes");
        fs::create_dir(&dir).unwrap();
        let b = Bucket::resolve(&dir);
        assert_eq!(b.key_path, dir);
    }

    #[test]
    fn a_missing_folder_still_gets_a_normalised_bucket() {
        let b = Bucket::resolve(Path::new("/nonexistent-csep/a/../b"));
        assert_eq!(b.key_path, PathBuf::from("/nonexistent-csep/b"));
        assert_eq!(b.id, "-nonexistent-csep-b");
    }
}
