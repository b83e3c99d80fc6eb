//! Per-session and per-bucket state kept for the trigger policy, and the lock that
//! stops two Stop hooks of one session (or a Stop and a settling worker) from
//! counting the same messages twice. [`Triggers`] is the one way in: lock, read,
//! change, save.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cap_std::fs::Dir;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::filelock::FileLock;
use crate::fs_authority;
use crate::hash::short_hex;
use crate::home::Home;
use crate::path_error::{AtPath, PathError};

/// How long a Stop hook waits for another Stop hook of the same session.
const LOCK_WAIT: Duration = Duration::from_secs(3);
const SESSION_FILE: &str = "state.json";
const BUCKET_FILE: &str = "policy-state.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionState {
    pub schema_version: u32,
    pub session_id: String,
    /// Transcript bytes already shown to the policy.
    pub offset: u64,
    /// Codex: messages are response items (event copies are skipped).
    pub response_items: bool,
    /// The policy's own opaque state.
    pub policy_state: Option<String>,
    pub last_decision: Option<serde_json::Value>,
    /// The job queued for this session and when (ms): no second one while it is fresh.
    pub pending_job: Option<(String, u64)>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketState {
    pub schema_version: u32,
    pub policy_state: Option<String>,
}

/// A trigger-state folder that could not be created, locked or written.
pub type StateError = PathError;

/// The folder of one session's trigger state.
pub fn session_path(home: &Home, client: Client, session_id: &str) -> PathBuf {
    home.triggers()
        .join(short_hex(format!("{client}:{session_id}").as_bytes()))
}

/// Reads a JSON state file; a missing or unreadable one starts afresh.
fn read<T: Default + for<'de> Deserialize<'de>>(dir: &Dir, name: &str) -> T {
    dir.read(name)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Atomic but not flushed: four fsyncs a Stop were most of the hook's time. After
/// a power cut a file may hold the previous Stop's state (the policy then counts
/// the last turn again) or be unreadable (it starts afresh, as on a first Stop).
fn write<T: Serialize>(dir: &Dir, name: &str, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    crate::atomic_file::write_unsynced(dir, name, &bytes, 0o600)
}

/// A bucket's state, opened by [`Triggers::open_bucket`].
struct BucketFolder {
    dir: Dir,
    path: PathBuf,
    /// The policy state as read, so an unchanged one is not written again.
    read: Option<String>,
}

/// One session's trigger state (and, once opened, its bucket's), held under the
/// session's lock until dropped.
pub struct Triggers {
    dir: Dir,
    path: PathBuf,
    _lock: FileLock,
    pub session: SessionState,
    bucket_folder: Option<BucketFolder>,
    pub bucket: BucketState,
}

impl Triggers {
    /// The session's state as it is now, without the lock and without creating
    /// anything: what a Stop hands the archive to read from. Missing means fresh.
    pub fn peek(home: &Home, client: Client, session_id: &str) -> SessionState {
        fs_authority::open_dir(&session_path(home, client, session_id))
            .map(|dir| read(&dir, SESSION_FILE))
            .unwrap_or_default()
    }

    /// Locks and reads the session's state; `None` when another process keeps the
    /// lock longer than a few seconds.
    pub fn lock(
        home: &Home,
        client: Client,
        session_id: &str,
    ) -> Result<Option<Triggers>, StateError> {
        let path = session_path(home, client, session_id);
        let dir = fs_authority::create_private_dir_all(&path).at("creating", &path)?;
        let Some(lock) = FileLock::acquire(&dir, "lock", LOCK_WAIT).at("locking", &path)? else {
            return Ok(None);
        };
        let session = read(&dir, SESSION_FILE);
        Ok(Some(Triggers {
            dir,
            path,
            _lock: lock,
            session,
            bucket_folder: None,
            bucket: BucketState::default(),
        }))
    }

    /// Reads the policy's state of `bucket` (created on first use), saved with the
    /// session's by [`Triggers::save`].
    pub fn open_bucket(&mut self, home: &Home, bucket: &str) -> Result<(), StateError> {
        let path = home.bucket_dir(bucket);
        let dir = fs_authority::create_private_dir_all(&path).at("creating", &path)?;
        self.bucket = read(&dir, BUCKET_FILE);
        let read = self.bucket.policy_state.clone();
        self.bucket_folder = Some(BucketFolder { dir, path, read });
        Ok(())
    }

    /// Writes the session's state, then the bucket's when it changed (each
    /// atomically).
    pub fn save(&mut self) -> Result<(), StateError> {
        self.session.schema_version = 1;
        write(&self.dir, SESSION_FILE, &self.session).at("writing", &self.path)?;
        if let Some(b) = &self.bucket_folder
            && (b.read != self.bucket.policy_state || self.bucket.schema_version != 1)
        {
            self.bucket.schema_version = 1;
            write(&b.dir, BUCKET_FILE, &self.bucket).at("writing", &b.path)?;
        }
        Ok(())
    }

    /// The session's folder, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_locked_saved_and_read_back_and_a_peek_creates_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path());
        let fresh = Triggers::peek(&home, Client::Codex, "s1");
        assert_eq!(fresh.offset, 0);
        assert!(!home.triggers().exists(), "a peek creates nothing");
        // The folder's name keeps the stored client name, so state written before survives.
        assert_eq!(
            session_path(&home, Client::Claude, "s1"),
            home.triggers().join(short_hex(b"claude:s1"))
        );

        let mut t = Triggers::lock(&home, Client::Codex, "s1").unwrap().unwrap();
        t.session.offset = 42;
        t.open_bucket(&home, "b1").unwrap();
        t.bucket.policy_state = Some("counted".into());
        t.save().unwrap();
        assert_eq!(Triggers::peek(&home, Client::Codex, "s1").offset, 42);
        assert_eq!(Triggers::peek(&home, Client::Claude, "s1").offset, 0);
        drop(t);

        let mut again = Triggers::lock(&home, Client::Codex, "s1").unwrap().unwrap();
        assert_eq!(again.session.offset, 42);
        again.open_bucket(&home, "b1").unwrap();
        assert_eq!(again.bucket.policy_state.as_deref(), Some("counted"));
    }

    #[test]
    fn an_unchanged_bucket_state_is_not_written_again() {
        use std::os::unix::fs::MetadataExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path());
        let file = home.bucket_dir("b1").join(BUCKET_FILE);
        let save = |state: &str| {
            let mut t = Triggers::lock(&home, Client::Codex, "s1").unwrap().unwrap();
            t.open_bucket(&home, "b1").unwrap();
            t.bucket.policy_state = Some(state.into());
            t.save().unwrap();
        };
        save("one");
        let first = std::fs::metadata(&file).unwrap().ino();
        save("one");
        assert_eq!(
            std::fs::metadata(&file).unwrap().ino(),
            first,
            "kept as it was"
        );
        save("two");
        assert_ne!(std::fs::metadata(&file).unwrap().ino(), first, "replaced");
        let mut t = Triggers::lock(&home, Client::Codex, "s1").unwrap().unwrap();
        t.open_bucket(&home, "b1").unwrap();
        assert_eq!(t.bucket.policy_state.as_deref(), Some("two"));
    }
}
