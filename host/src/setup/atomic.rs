//! File writes that a crash cannot leave half-done, backups, and the folders setup creates.
#![allow(
    clippy::disallowed_methods,
    reason = "the sanctioned writer of the clients' config files (docs/architecture.md, Filesystem rule)"
)]

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::SetupError;
use crate::path_error::{AtPath, PathError};

/// Files csep ships (plugin, skill): world-readable.
pub(super) const SHIPPED_FILE: u32 = 0o644;
/// A user config csep has to create: it may later hold secrets.
pub(super) const NEW_CONFIG: u32 = 0o600;
/// Folders made for shipped files, and for everything else (private, like csep's own).
const SHIPPED_DIR: u32 = 0o755;
pub(super) const PRIVATE_DIR: u32 = 0o700;

/// Reads a file that may not exist.
pub(super) fn read_optional(path: &Path) -> Result<Option<String>, SetupError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PathError::new("cannot read", path, e).into()),
    }
}

/// The file a path names after following symlinks, so that a config kept in a dotfiles
/// repository and linked into place is edited there rather than replaced by a copy.
pub(super) fn resolve(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Replaces `path` with `bytes` through a temporary file in the same folder, keeping the
/// mode of the file it replaces (`new_mode` for a new file). Returns the folders it made.
pub(super) fn write(path: &Path, bytes: &[u8], new_mode: u32) -> Result<Vec<PathBuf>, SetupError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir_mode = if new_mode == SHIPPED_FILE {
        SHIPPED_DIR
    } else {
        PRIVATE_DIR
    };
    let created = create_dirs(dir, dir_mode)?;
    let mode = existing_mode(path).unwrap_or(new_mode);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let result = crate::fs_authority::open_dir(dir)
        .and_then(|d| crate::atomic_file::write(&d, &name, bytes, mode));
    result.at("cannot write", path)?;
    Ok(created)
}

/// Copies `path` to `<path>.csep-backup-<UTC timestamp>` (mode kept) and returns its name.
pub(super) fn backup(path: &Path) -> Result<PathBuf, SetupError> {
    let stamp = crate::timefmt::rfc3339(crate::timefmt::now_ms()).replace(['-', ':'], "");
    let base = format!("{}.csep-backup-{stamp}", path.display());
    let mut target = PathBuf::from(&base);
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = PathBuf::from(format!("{base}-{n}"));
    }
    fs::copy(path, &target).at("cannot back up", path)?;
    Ok(target)
}

/// Creates `dir` and its missing parents with `mode`; returns the ones it created,
/// outermost first.
pub(super) fn create_dirs(dir: &Path, mode: u32) -> Result<Vec<PathBuf>, SetupError> {
    let missing = missing_dirs(dir);
    for d in &missing {
        match fs::create_dir(d) {
            Ok(()) => set_dir_mode(d, mode).at("cannot create folder", d)?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(PathError::new("cannot create folder", d, e).into()),
        }
    }
    Ok(missing)
}

/// The folders from `dir` upwards that do not exist yet, outermost first.
pub(super) fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// Removes the folders that are empty, deepest first; others stay.
pub(super) fn remove_empty_dirs(dirs: &[PathBuf]) {
    let mut dirs = dirs.to_vec();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        // Fails on a non-empty or missing folder, which is what we want.
        let _ = fs::remove_dir(&d);
    }
}

/// Removes a folder setup made, with everything in it; a missing one is no error.
pub(super) fn remove_tree(dir: &Path) -> Result<(), SetupError> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(PathError::new("cannot remove", dir, e).into())
        }
        _ => Ok(()),
    }
}

pub(super) fn remove_file(path: &Path) -> Result<bool, SetupError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(PathError::new("cannot remove", path, e).into()),
    }
}

#[cfg(unix)]
fn existing_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(unix)]
fn set_dir_mode(dir: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn existing_mode(_: &Path) -> Option<u32> {
    None
}

#[cfg(not(unix))]
fn set_dir_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}
