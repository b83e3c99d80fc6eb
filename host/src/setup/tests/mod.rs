//! Setup and uninstall against real files in temporary homes (no `codex` binary unless
//! a test brings a fake one, or `CSEP_E2E_CODEX` names the real one).

mod claude;
mod codex;
mod codex_e2e;
mod orchestration;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Entry, EntryStatus, SetupOptions};
use crate::client::Client;

pub(super) struct Env {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        Env { _tmp: tmp, root }
    }

    /// Options for `clients`; the homes are not created here.
    pub fn opts(&self, clients: &[Client]) -> SetupOptions {
        SetupOptions {
            clients: clients.to_vec(),
            dry_run: false,
            csep_exe: self.root.join("bin/csep"),
            state_dir: self.root.join("state"),
            codex_home: self.root.join("codex"),
            claude_home: self.root.join("claude"),
            codex_bin: None,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }
}

/// Every file and folder under `dir`: bytes (files), mode and modification time.
pub(super) fn snapshot(
    dir: &Path,
) -> BTreeMap<PathBuf, (Option<Vec<u8>>, u32, std::time::SystemTime)> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let bytes = if m.is_dir() {
                stack.push(p.clone());
                None
            } else {
                Some(std::fs::read(&p).unwrap_or_default())
            };
            out.insert(p, (bytes, m.permissions().mode(), m.modified().unwrap()));
        }
    }
    out
}

pub(super) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The entries whose `what` contains `needle`.
pub(super) fn find<'a>(entries: &'a [Entry], needle: &str) -> Vec<&'a Entry> {
    entries.iter().filter(|e| e.what.contains(needle)).collect()
}

pub(super) fn assert_all_already_set(entries: &[Entry]) {
    let not: Vec<String> = entries
        .iter()
        .filter(|e| e.status != EntryStatus::AlreadySet)
        .map(ToString::to_string)
        .collect();
    assert!(
        not.is_empty(),
        "expected only AlreadySet, got:\n{}",
        not.join("\n")
    );
}

/// Backups made in `dir` (`*.csep-backup-*`).
pub(super) fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.to_string_lossy().contains(".csep-backup-"));
    found.sort();
    found
}

/// An executable shell script at `path`.
pub(super) fn script(path: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_path_buf()
}
