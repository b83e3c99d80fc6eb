//! What a migration run changed, kept so it can be undone: each memory file's
//! previous content (or that it did not exist), each bucket it renamed and each
//! ref it wrote, in `migrate/backups/<stamp>/manifest.json` next to the copies.
//! `csep migrate --undo <stamp>` puts everything back.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MigrateError;
use crate::fs_authority;
use crate::home::Home;
use crate::path_error::{AtPath, PathError};

const MANIFEST: &str = "manifest.json";

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Files the run changed, with their copy from before (`None`: it created them).
    pub files: Vec<(PathBuf, Option<PathBuf>)>,
    /// Buckets renamed aside: (old path, new path).
    pub renamed: Vec<(PathBuf, PathBuf)>,
}

/// The run's backup folder and manifest; written only when applying.
pub struct Backups {
    root: PathBuf,
    apply: bool,
    manifest: Manifest,
}

impl Backups {
    pub fn new(root: PathBuf, apply: bool) -> Self {
        Backups {
            root,
            apply,
            manifest: Manifest::default(),
        }
    }

    pub fn used(&self) -> bool {
        !self.manifest.files.is_empty() || !self.manifest.renamed.is_empty()
    }

    /// Records `file` before it is changed, copying it to `<backups>/<name>` when
    /// it exists. Only the first call for a file counts: that is the state before the run.
    #[expect(
        clippy::disallowed_methods,
        reason = "backs up a file before migration changes it, for --undo"
    )]
    pub fn keep(&mut self, file: &Path, name: &str) -> Result<(), MigrateError> {
        if !self.apply || self.manifest.files.iter().any(|(f, _)| f == file) {
            return Ok(());
        }
        let copy = if file.exists() {
            let to = self.root.join(name);
            let parent = to.parent().unwrap_or(&self.root).to_path_buf();
            fs_authority::create_private_dir_all(&parent).at("creating", &parent)?;
            std::fs::copy(file, &to).at("backing up", file)?;
            Some(to)
        } else {
            None
        };
        self.manifest.files.push((file.to_path_buf(), copy));
        self.save()
    }

    pub fn renamed(&mut self, from: &Path, to: &Path) -> Result<(), MigrateError> {
        self.manifest
            .renamed
            .push((from.to_path_buf(), to.to_path_buf()));
        self.save()
    }

    fn save(&self) -> Result<(), MigrateError> {
        let dir = fs_authority::create_private_dir_all(&self.root).at("creating", &self.root)?;
        let bytes = serde_json::to_vec_pretty(&self.manifest).expect("paths serialize");
        Ok(fs_authority::write_atomic(&dir, MANIFEST, &bytes)
            .at("writing", &self.root.join(MANIFEST))?)
    }
}

/// What an undo put back.
#[derive(Debug, Clone, Serialize)]
pub struct Undone {
    pub stamp: String,
    pub restored: Vec<PathBuf>,
    pub removed: Vec<PathBuf>,
    pub renamed_back: Vec<PathBuf>,
    /// Left alone: a folder of that name exists again.
    pub kept: Vec<PathBuf>,
}

/// The backup folders of earlier runs, oldest first.
pub fn runs(home: &Home) -> Vec<String> {
    let dir = home.migrate_backups_dir();
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join(MANIFEST).is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    out.sort();
    out
}

/// Undoes the run `stamp`; `None` when there is no such run.
#[expect(
    clippy::disallowed_methods,
    reason = "puts back what a migration renamed or created, from its own record"
)]
pub fn undo(home: &Home, stamp: &str) -> Result<Option<Undone>, MigrateError> {
    if stamp.contains('/') || stamp.starts_with('.') {
        return Ok(None);
    }
    let root = home.migrate_backups_dir().join(stamp);
    let manifest_path = root.join(MANIFEST);
    let Ok(bytes) = std::fs::read(&manifest_path) else {
        return Ok(None);
    };
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|source| MigrateError::LegacyJson {
            path: manifest_path.clone(),
            source,
        })?;
    let mut out = Undone {
        stamp: stamp.to_string(),
        restored: Vec::new(),
        removed: Vec::new(),
        renamed_back: Vec::new(),
        kept: Vec::new(),
    };
    for (from, to) in manifest.renamed.iter().rev() {
        if from.exists() {
            out.kept.push(to.clone());
        } else if to.exists() {
            std::fs::rename(to, from).at("renaming", to)?;
            out.renamed_back.push(from.clone());
        }
    }
    for (file, copy) in manifest.files.iter().rev() {
        match copy {
            Some(copy) => {
                let bytes = std::fs::read(copy).at("reading", copy)?;
                let parent = file.parent().expect("a file in a folder");
                let dir = fs_authority::create_private_dir_all(parent).at("creating", parent)?;
                let name = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("MEMORY.md");
                fs_authority::write_atomic(&dir, name, &bytes).at("writing", file)?;
                out.restored.push(file.clone());
            }
            None => match std::fs::remove_file(file) {
                Ok(()) => out.removed.push(file.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(PathError::new("removing", file, e).into()),
            },
        }
    }
    let done = root.with_file_name(format!("{stamp}.undone"));
    std::fs::rename(&root, &done).at("renaming", &root)?;
    Ok(Some(out))
}
