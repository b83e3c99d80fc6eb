//! The sha256 of a large file, remembered by what `stat` says of it, so a guest of
//! many megabytes (a JavaScript policy carries its engine) is not hashed at every
//! Stop to check its pin and find its compiled artifact.
//!
//! A record holds the file's device, inode, size, mtime and ctime. Any write to the
//! file, a rename over it or a `touch` back to the old mtime changes the ctime (which
//! no user can set), and a replacement has another inode: such a file is hashed
//! again. Records live in a folder of the host's own cache: it must belong to this
//! user with no access for others, and a record owned by anyone else, or writable
//! by others, is ignored.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use cap_std::fs::{Dir, MetadataExt as _, PermissionsExt as _};
use serde::{Deserialize, Serialize};

use crate::fs_authority;
use crate::hash::sha256_hex;

/// The folder name of the records inside a cache folder.
pub const FOLDER: &str = "hashes";

/// What `stat` says of a file's identity and last change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
}

impl Stamp {
    pub fn of(meta: &Metadata) -> Stamp {
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    stamp: Stamp,
    sha256: String,
}

/// Remembered hashes in one private folder; without one, every file is hashed.
pub struct FileHashes {
    dir: Option<Dir>,
}

impl FileHashes {
    /// No records: every lookup misses.
    pub fn disabled() -> FileHashes {
        FileHashes { dir: None }
    }

    /// Opens (creating, mode 0700) `path`. It and its parent must be this user's
    /// and closed to others (a looser mode is tightened); otherwise nothing is
    /// remembered.
    pub fn open(path: &Path) -> FileHashes {
        let dir = fs_authority::create_private_dir_all(path).ok();
        let trusted = [Some(path), path.parent()]
            .into_iter()
            .flatten()
            .all(make_private);
        FileHashes {
            dir: dir.filter(|_| trusted),
        }
    }

    fn name(key: &str) -> String {
        format!("{}.json", &sha256_hex(key.as_bytes())[..32])
    }

    /// The hash remembered for `key` while the file still has `stamp`.
    pub fn lookup(&self, key: &str, stamp: &Stamp) -> Option<String> {
        let dir = self.dir.as_ref()?;
        let name = Self::name(key);
        let meta = dir.symlink_metadata(&name).ok()?;
        let ours = meta.is_file()
            && meta.uid() == rustix::process::geteuid().as_raw()
            && meta.permissions().mode() & 0o022 == 0;
        if !ours {
            return None;
        }
        let record: Record = serde_json::from_slice(&dir.read(&name).ok()?).ok()?;
        (record.key == key && record.stamp == *stamp && record.sha256.len() == 64)
            .then_some(record.sha256)
    }

    /// Remembers `sha256` for `key` as long as the file keeps `stamp`. Best effort:
    /// a record that cannot be written only costs a hash next time.
    pub fn remember(&self, key: &str, stamp: &Stamp, sha256: &str) {
        if let Some(dir) = &self.dir {
            let record = Record {
                key: key.to_string(),
                stamp: *stamp,
                sha256: sha256.to_string(),
            };
            if let Ok(bytes) = serde_json::to_vec(&record) {
                let _ = fs_authority::write_atomic(dir, &Self::name(key), &bytes);
            }
        }
    }

    /// Drops the records of `key`s that `keep` says no longer matter.
    pub fn prune(&self, keep: impl Fn(&str) -> bool) -> io::Result<usize> {
        let Some(dir) = &self.dir else {
            return Ok(0);
        };
        let mut removed = 0;
        for entry in dir.entries()? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") {
                continue;
            }
            let record: Option<Record> = dir
                .read(&name)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            if record.is_none_or(|r| !keep(&r.key)) && dir.remove_file(&name).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The sha256 remembered for the file at `path` as it is now, without reading
    /// it; `None` when no record matches its stat.
    pub fn known(&self, path: &Path) -> Option<String> {
        self.dir.as_ref()?;
        let stamp = Stamp::of(&File::open(path).ok()?.metadata().ok()?);
        self.lookup(&path.to_string_lossy(), &stamp)
    }

    /// Reads the file at `path` whole and returns its bytes and sha256, hashing them
    /// only when no record matches. The file is stat'ed through the handle that
    /// read it, before and after: a file that changed while being read is hashed.
    pub fn read(&self, path: &Path) -> io::Result<(Vec<u8>, String)> {
        let mut file = File::open(path)?;
        let before = Stamp::of(&file.metadata()?);
        let key = path.to_string_lossy();
        let known = self.lookup(&key, &before);
        let mut bytes = Vec::with_capacity(before.size as usize);
        file.read_to_end(&mut bytes)?;
        let after = Stamp::of(&file.metadata()?);
        if after == before
            && let Some(sha) = known
        {
            return Ok((bytes, sha));
        }
        let sha = sha256_hex(&bytes);
        if after == before {
            self.remember(&key, &after, &sha);
        }
        Ok((bytes, sha))
    }
}

/// A folder of this user, closed to others (tightened to 0700 when it is ours).
#[expect(
    clippy::disallowed_methods,
    reason = "tightens a folder of this user to 0700 after an lstat showed it is one"
)]
fn make_private(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_dir() || meta.uid() != rustix::process::geteuid().as_raw() {
        return false;
    }
    meta.mode() & 0o077 == 0
        || std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;
    use std::time::{Duration, SystemTime};

    fn setup() -> (tempfile::TempDir, FileHashes, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let hashes = FileHashes::open(&tmp.path().join("cache/hashes"));
        let file = tmp.path().join("guest.wasm");
        std::fs::write(&file, b"first content").unwrap();
        (tmp, hashes, file)
    }

    /// Plants a record claiming `sha` for the file as it is now: a lookup that
    /// returns it shows the record was used instead of hashing.
    fn plant(hashes: &FileHashes, file: &Path, sha: &str) {
        let stamp = Stamp::of(&std::fs::metadata(file).unwrap());
        hashes.remember(&file.to_string_lossy(), &stamp, sha);
    }

    #[test]
    fn a_known_file_is_named_by_its_stat_and_a_changed_one_is_not() {
        let (_tmp, hashes, file) = setup();
        assert_eq!(hashes.known(&file), None, "nothing remembered yet");
        plant(&hashes, &file, &"f".repeat(64));
        assert_eq!(hashes.known(&file), Some("f".repeat(64)));
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&file, b"first CONTENT").unwrap();
        assert_eq!(hashes.known(&file), None);
        assert_eq!(FileHashes::disabled().known(&file), None);
    }

    #[test]
    fn an_unchanged_file_is_not_hashed_again() {
        let (_tmp, hashes, file) = setup();
        let (bytes, sha) = hashes.read(&file).unwrap();
        assert_eq!(bytes, b"first content");
        assert_eq!(sha, sha256_hex(b"first content"));
        plant(&hashes, &file, &"f".repeat(64));
        assert_eq!(hashes.read(&file).unwrap().1, "f".repeat(64));
    }

    #[test]
    fn a_same_size_rewrite_with_the_old_mtime_is_hashed_again() {
        let (_tmp, hashes, file) = setup();
        plant(&hashes, &file, &"f".repeat(64));
        let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&file, b"other content").unwrap();
        File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().len(), 13);
        assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), mtime);
        assert_eq!(hashes.read(&file).unwrap().1, sha256_hex(b"other content"));
    }

    #[test]
    fn a_file_replaced_by_rename_is_hashed_again() {
        let (tmp, hashes, file) = setup();
        plant(&hashes, &file, &"f".repeat(64));
        let other = tmp.path().join("other.wasm");
        std::fs::write(&other, b"first CONTENT").unwrap();
        File::options()
            .write(true)
            .open(&other)
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH)
            .unwrap();
        std::fs::rename(&other, &file).unwrap();
        assert_eq!(hashes.read(&file).unwrap().1, sha256_hex(b"first CONTENT"));
    }

    #[test]
    fn a_record_others_may_write_is_ignored_and_a_loose_folder_is_tightened() {
        let (tmp, hashes, file) = setup();
        plant(&hashes, &file, &"f".repeat(64));
        let folder = tmp.path().join("cache/hashes");
        let record = std::fs::read_dir(&folder).unwrap().next().unwrap().unwrap();
        std::fs::set_permissions(record.path(), std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(hashes.read(&file).unwrap().1, sha256_hex(b"first content"));

        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
        let _ = FileHashes::open(&folder);
        let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn pruning_keeps_the_records_asked_for() {
        let (tmp, hashes, file) = setup();
        hashes.read(&file).unwrap();
        let gone = tmp.path().join("gone.wasm");
        std::fs::write(&gone, b"x").unwrap();
        hashes.read(&gone).unwrap();
        std::fs::remove_file(&gone).unwrap();
        assert_eq!(hashes.prune(|key| Path::new(key).exists()).unwrap(), 1);
        assert_eq!(hashes.prune(|key| Path::new(key).exists()).unwrap(), 0);
    }
}
