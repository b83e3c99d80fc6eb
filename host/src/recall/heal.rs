//! A damaged index heals: the file is moved aside (never deleted), a fresh index
//! takes its place at once, and a rebuild from the transcripts on disk (the source
//! of truth) restores search. `recall/damaged.json` says what happened until a
//! rebuild completes; `recall/rebuild.json` keeps the last rebuild's report.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use super::ingest::{BucketCache, Outcome};
use super::store::{self, Integrity, Store, StoreError};
use super::walk::{self, FileError};
use crate::client::Client;
use crate::filelock::FileLock;
use crate::fs_authority;
use crate::home::{self, Home};
use crate::path_error::{AtPath, PathError};
use crate::timefmt::rfc3339;

/// The notice left while a moved-aside index waits for its rebuild.
pub const NOTICE: &str = "damaged.json";
/// The last rebuild's report.
pub const REPORT: &str = "rebuild.json";
/// Held by the rebuild that runs.
const REBUILD_LOCK: &str = "rebuild.lock";
/// Held while an index is moved aside, so two hooks that both found it damaged
/// move it once, and never move the fresh one the other made.
const HEAL_LOCK: &str = "heal.lock";
/// Names of moved-aside files: `index.db.damaged-<when>`.
const DAMAGED_INFIX: &str = ".damaged-";

#[derive(Debug, thiserror::Error)]
pub enum HealError {
    #[error(transparent)]
    Io(#[from] PathError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `damaged.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Damage {
    pub at: String,
    /// Where the damaged file went.
    pub moved_to: PathBuf,
    /// The error that showed it.
    pub why: String,
}

/// The notice, if an index was moved aside and no rebuild has completed since.
pub fn notice(db: &Path) -> Option<Damage> {
    let dir = db.parent()?;
    let bytes = std::fs::read(dir.join(NOTICE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether a rebuild runs now.
pub fn rebuilding(db: &Path) -> bool {
    db.parent()
        .and_then(|d| fs_authority::open_dir(d).ok())
        .is_some_and(|dir| FileLock::is_held(&dir, REBUILD_LOCK))
}

/// The moved-aside databases beside `db`, oldest first.
pub fn damaged_files(db: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (db.parent(), db.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let prefix = format!("{name}{DAMAGED_INFIX}");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix) && !n.ends_with("-wal") && !n.ends_with("-shm"))
        .map(|n| dir.join(n))
        .collect();
    out.sort();
    out
}

/// Whether the state folder shows csep ran before (trigger state or jobs): then an
/// empty index is a lost one, not a first one.
pub fn had_history(home: &Home) -> bool {
    let non_empty = |p: PathBuf| {
        std::fs::read_dir(p)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    };
    non_empty(home.triggers()) || non_empty(home.jobs_dir())
}

/// Whether the file at `db` is damaged now: it may have been moved aside and
/// replaced by a healthy one since the caller's error.
fn still_damaged(db: &Path) -> bool {
    match Store::open_readonly(db) {
        Ok(None) => false,
        Ok(Some(store)) => match store.quick_check(Duration::from_secs(10)) {
            Ok(Integrity::Ok) => false,
            // The caller saw a damage error; a check too slow to finish does not
            // overrule it.
            Ok(Integrity::Damaged(_)) | Ok(Integrity::Unfinished) => true,
            Err(e) => e.is_damage(),
        },
        Err(e) => e.is_damage(),
    }
}

/// Moves `db` (with its `-wal` and `-shm`) to `<db>.damaged-<when>` and leaves the
/// notice. `None` when it is no longer damaged (another process healed it first).
pub fn move_aside(db: &Path, why: &str, now_ms: u64) -> Result<Option<PathBuf>, HealError> {
    let dir_path = db.parent().unwrap_or(Path::new("."));
    let dir = fs_authority::create_private_dir_all(dir_path).at("creating", dir_path)?;
    let _lock =
        FileLock::acquire(&dir, HEAL_LOCK, Duration::from_secs(30)).at("locking", dir_path)?;
    // No index is created while the file is checked, moved and replaced: a
    // half-created one would look emptied, and be moved in turn.
    let _creating = store::creation_lock(&dir, dir_path)?;
    if !still_damaged(db) {
        return Ok(None);
    }
    let stamp = rfc3339(now_ms).replace([':', '-'], "");
    let mut target = PathBuf::from(format!("{}{DAMAGED_INFIX}{stamp}", db.display()));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = PathBuf::from(format!("{}{DAMAGED_INFIX}{stamp}-{n}", db.display()));
    }
    // The journal files first: a fresh index must never pick up the damaged one's WAL.
    // Renamed inside the folder's handle: all of them sit beside `db`.
    let name = |p: &Path| p.file_name().map(PathBuf::from).unwrap_or_default();
    for suffix in ["-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        let to = PathBuf::from(format!("{}{suffix}", target.display()));
        match dir.rename(name(&from), &dir, name(&to)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(PathError::new("moving aside", &from, e).into()),
        }
    }
    dir.rename(name(db), &dir, name(&target))
        .at("moving aside", db)?;
    let damage = Damage {
        at: rfc3339(now_ms),
        moved_to: target.clone(),
        why: why.to_string(),
    };
    let bytes = serde_json::to_vec_pretty(&damage).map_err(std::io::Error::other);
    bytes
        .and_then(|b| fs_authority::write_atomic(&dir, NOTICE, &b))
        .at("writing", &dir_path.join(NOTICE))?;
    // The fresh index, made before the locks are let go.
    drop(Store::open_unlocked(db)?);
    Ok(Some(target))
}

/// Opens the index for writing; a damaged or emptied one is moved aside and a
/// fresh one opened in its place. Returns the store and where the damaged file
/// went, if one was moved. An emptied index in a state folder with no history is
/// a first run that was cut short, and is quietly replaced.
pub fn open_or_heal(
    home: &Home,
    now_ms: u64,
) -> Result<(Store, Option<(PathBuf, String)>), HealError> {
    let db = home.recall_db();
    match Store::open(&db) {
        Ok(store) => Ok((store, None)),
        Err(e) if e.is_damage() => {
            let why = e.to_string();
            let quiet = matches!(e, StoreError::Emptied { .. }) && !had_history(home);
            let moved = move_aside(&db, &why, now_ms)?;
            if quiet && let Some(m) = &moved {
                if let Ok(dir) = fs_authority::open_dir(db.parent().unwrap_or(Path::new("."))) {
                    let _ = dir.remove_file(NOTICE);
                    let _ = dir.remove_file(m.file_name().unwrap_or_default());
                }
                return Ok((Store::open(&db)?, None));
            }
            Ok((Store::open(&db)?, moved.map(|m| (m, why))))
        }
        Err(e) => Err(e.into()),
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RebuildReport {
    pub finished_at: String,
    /// A damaged live index the rebuild moved aside first.
    pub moved_aside: Option<PathBuf>,
    /// Where the list of transcripts came from.
    pub sources: Vec<String>,
    pub transcripts: usize,
    pub missing: usize,
    pub new_sessions: usize,
    pub updated_sessions: usize,
    pub unchanged_sessions: usize,
    pub new_messages: usize,
    pub error_count: usize,
    pub errors: Vec<FileError>,
}

/// The transcripts a moved-aside index had read: its `files` table, as far as it
/// can be read.
#[expect(
    clippy::disallowed_methods,
    reason = "reads a moved-aside copy, never the live index, and opens it read-only"
)]
fn recorded_paths(damaged: &Path) -> Vec<(PathBuf, Option<Client>)> {
    let Ok(conn) = Connection::open_with_flags(
        damaged,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Ok(mut st) = conn.prepare("SELECT path, client FROM files WHERE skipped IS NULL") else {
        return out;
    };
    let Ok(rows) = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
    else {
        return out;
    };
    // Rows up to the first damaged page are kept.
    for (path, client) in rows.map_while(Result::ok) {
        out.push((PathBuf::from(path), client.parse().ok()));
    }
    out
}

/// Rebuilds the index from the transcripts on disk: the paths the moved-aside
/// indexes recorded, or, when none can be read, every transcript under Codex's
/// `sessions/` and Claude Code's `projects/`. A damaged live index is moved aside
/// first. `wait`: how long to wait for a rebuild already running (`None` when it
/// holds the lock past that).
pub fn rebuild(
    home: &Home,
    now: SystemTime,
    wait: Duration,
) -> Result<Option<RebuildReport>, HealError> {
    let db = home.recall_db();
    let dir_path = db.parent().unwrap_or(Path::new(".")).to_path_buf();
    let dir = fs_authority::create_private_dir_all(&dir_path).at("creating", &dir_path)?;
    let Some(_lock) = FileLock::acquire(&dir, REBUILD_LOCK, wait).at("locking", &dir_path)? else {
        return Ok(None);
    };
    let now_ms = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut report = RebuildReport::default();
    let (mut store, moved) = open_or_heal(home, now_ms)?;
    if let Ok(Integrity::Damaged(why)) = store.quick_check(Duration::from_secs(300)) {
        drop(store);
        report.moved_aside = move_aside(&db, &why, now_ms)?;
        store = Store::open(&db)?;
    }
    if let Some((m, _)) = moved {
        report.moved_aside = Some(m);
    }

    let mut paths: Vec<(PathBuf, Option<Client>)> = Vec::new();
    for damaged in damaged_files(&db) {
        let found = recorded_paths(&damaged);
        report.sources.push(format!(
            "{} transcripts recorded in {}",
            found.len(),
            damaged.display()
        ));
        paths.extend(found);
    }
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    paths.dedup_by(|a, b| a.0 == b.0);
    let (present, missing): (Vec<_>, Vec<_>) = paths.into_iter().partition(|(p, _)| p.is_file());
    report.missing = missing.len();

    if present.is_empty() {
        let roots = [
            (
                home::codex_home().map(|h| h.join("sessions")),
                Client::Codex,
            ),
            (
                home::claude_home().map(|h| h.join("projects")),
                Client::Claude,
            ),
        ];
        for (root, client) in roots {
            let Some(root) = root else { continue };
            let walked = walk::bootstrap(&mut store, &root, client, None, now);
            report
                .sources
                .push(format!("every transcript under {}", root.display()));
            report.transcripts += walked.processed_files;
            report.new_sessions += walked.new_sessions;
            report.updated_sessions += walked.updated_sessions;
            report.unchanged_sessions += walked.unchanged_sessions;
            report.new_messages += walked.new_messages;
            report.errors.extend(walked.errors);
        }
    } else {
        ingest_all(&mut store, &present, now_ms, &mut report);
    }
    report.error_count = report.errors.len();
    report.finished_at = rfc3339(now_ms);
    let bytes = serde_json::to_vec_pretty(&report).map_err(std::io::Error::other);
    bytes
        .and_then(|b| fs_authority::write_atomic(&dir, REPORT, &b))
        .at("writing", &dir_path.join(REPORT))?;
    match dir.remove_file(NOTICE) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(PathError::new("removing", &dir_path.join(NOTICE), e).into()),
    }
    Ok(Some(report))
}

/// Ingests `paths` in batches, as a bootstrap does.
fn ingest_all(
    store: &mut Store,
    paths: &[(PathBuf, Option<Client>)],
    now_ms: u64,
    report: &mut RebuildReport,
) {
    const BATCH_FILES: usize = 200;
    let mut buckets = BucketCache::default();
    for chunk in paths.chunks(BATCH_FILES) {
        let batched = store.begin_batch().is_ok();
        for (path, client) in chunk {
            report.transcripts += 1;
            match store.ingest_file(path, *client, &mut buckets) {
                Ok(r) => {
                    match r.outcome {
                        Outcome::New => report.new_sessions += 1,
                        Outcome::Updated => report.updated_sessions += 1,
                        Outcome::Unchanged | Outcome::Skipped => report.unchanged_sessions += 1,
                    }
                    report.new_messages += r.new_messages;
                }
                Err(e) => {
                    let error = e.to_string();
                    let _ = store.record_error(path, &error, now_ms);
                    report.errors.push(FileError {
                        path: path.clone(),
                        error,
                    });
                }
            }
        }
        if batched && let Err(e) = store.end_batch() {
            report.errors.push(FileError {
                path: store.path().to_path_buf(),
                error: e.to_string(),
            });
        }
    }
    if report.new_messages > 0
        && let Err(e) = store.optimize()
    {
        report.errors.push(FileError {
            path: store.path().to_path_buf(),
            error: e.to_string(),
        });
    }
}

/// Starts `csep recall rebuild --background` detached; returns its pid.
pub fn spawn_rebuild(home: &Home) -> std::io::Result<u32> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe()?;
    let child = Command::new(exe)
        .arg("--home")
        .arg(home.root())
        .args(["recall", "rebuild", "--background"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(child.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexed(home: &Home) {
        let store = Store::open(&home.recall_db()).unwrap();
        drop(store);
    }

    #[test]
    fn a_garbled_index_is_moved_aside_with_its_journal_and_a_fresh_one_opens() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path());
        indexed(&home);
        let db = home.recall_db();
        std::fs::write(&db, vec![0x5a; 8192]).unwrap();
        std::fs::write(db.with_file_name("index.db-wal"), b"stale").unwrap();
        let (store, moved) = open_or_heal(&home, 1_764_000_000_000).unwrap();
        let (moved, why) = moved.expect("moved aside");
        assert!(why.contains("not a database"), "{why}");
        assert_eq!(std::fs::read(&moved).unwrap(), vec![0x5a; 8192]);
        assert_eq!(
            std::fs::read(format!("{}-wal", moved.display())).unwrap(),
            b"stale"
        );
        assert_eq!(store.counts().unwrap(), (0, 0, 0));
        assert_eq!(notice(&db).unwrap().moved_to, moved);
        assert_eq!(damaged_files(&db), vec![moved]);
    }

    #[test]
    fn a_healthy_index_is_never_moved() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path());
        indexed(&home);
        assert_eq!(
            move_aside(&home.recall_db(), "an old error", 0).unwrap(),
            None
        );
        assert!(home.recall_db().is_file());
    }

    #[test]
    fn an_emptied_index_is_damage_only_when_csep_ran_before() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path());
        indexed(&home);
        std::fs::write(home.recall_db(), b"").unwrap();
        let (_, moved) = open_or_heal(&home, 0).unwrap();
        assert!(moved.is_none(), "a first run cut short is replaced quietly");

        std::fs::create_dir_all(home.triggers().join("abc")).unwrap();
        drop(Store::open(&home.recall_db()).unwrap());
        std::fs::write(home.recall_db(), b"").unwrap();
        let (_, moved) = open_or_heal(&home, 0).unwrap();
        let (_, why) = moved.expect("reported");
        assert!(why.contains("emptied"), "{why}");
    }
}
