//! Writes an accepted plan into the live folders.
//!
//! Every file about to be replaced or removed is first copied into the backup
//! folder, flushed, and listed in its journal, all before the first live
//! write; every live write is a rename of a flushed temp file. So a crash at
//! any point leaves each live file whole (old or new), and the old bytes and
//! the list of what may have changed are on disk for [`super::revert`].

use std::collections::BTreeMap;
use std::io::{self, Write as _};

use cap_std::fs::Dir;

use super::atomic::{self, Temp};
use super::nofollow::{self, Kind, Parent};
use super::rules::{self, MEMORY_INDEX, REFS, SKILL_FILE};
use super::{
    ApplyError, Area, AreaPath, Change, ChangeKind, Committed, CommittedFile, Plan, Rejected,
    RemovedDir, codes, plan, revert,
};
use crate::hash::sha256_hex;

/// The journal in the backup folder: the files the commit is about to write,
/// flushed before the first live write.
pub const JOURNAL_NAME: &str = "journal.json";

/// Memory is private notes.
pub(super) const MEMORY_FILE_MODE: u32 = 0o600;
/// Skills are read by the coding client; 0644 matches how skills the user
/// installs are usually laid out. The 0700 folders above them keep other users
/// out regardless, and the content check has screened them for secrets.
pub(super) const SKILL_FILE_MODE: u32 = 0o644;
pub(super) const DIR_MODE: u32 = 0o700;
const BACKUP_FILE_MODE: u32 = 0o600;

pub(super) fn file_mode(area: Area) -> u32 {
    match area {
        Area::Memory => MEMORY_FILE_MODE,
        Area::Skills => SKILL_FILE_MODE,
    }
}

/// A change that passed its commit-time checks.
struct Ready<'p> {
    change: &'p Change,
    /// New content, re-read from staging and matching the planned hash.
    bytes: Option<Vec<u8>>,
    before_mode: Option<u32>,
}

impl Ready<'_> {
    fn record(&self) -> CommittedFile {
        let c = self.change;
        CommittedFile {
            area: c.area,
            path: c.path.clone(),
            kind: c.kind,
            before_sha256: c.before_sha256.clone(),
            after_sha256: c.after_sha256.clone(),
            before_mode: self.before_mode,
        }
    }
}

/// Commits `plan.accepted`. A change whose live file or staging copy no longer
/// has the planned hash is skipped and listed as `changed-during-job` (with
/// the rest of its skill). If a write fails, what was already written is put
/// back before the error is returned.
pub fn commit(
    plan: &Plan,
    live_memory: &Dir,
    staging_memory: &Dir,
    live_skills: &Dir,
    staging_skills: &Dir,
    backup: &Dir,
) -> Result<Committed, ApplyError> {
    let roots = |area| match area {
        Area::Memory => (live_memory, staging_memory),
        Area::Skills => (live_skills, staging_skills),
    };
    for c in &plan.accepted {
        validate(c)?;
    }
    let mut order: Vec<&Change> = plan.accepted.iter().collect();
    order.sort_by_key(|c| order_key(c));

    let mut rejected = Vec::new();
    let mut ready = Vec::new();
    for c in order {
        let (live, staging) = roots(c.area);
        match prepare(c, live, staging, backup)? {
            Ok(r) => ready.push(r),
            Err(reason) => rejected.push(Rejected::new(
                c.area,
                &c.path,
                codes::CHANGED_DURING_JOB,
                reason.to_string(),
            )),
        }
    }
    drop_broken_skills(&mut ready, &mut rejected);
    keep_notes(&mut ready, &mut rejected, backup)?;

    let intent = Committed {
        files: ready.iter().map(Ready::record).collect(),
        rejected_at_commit: rejected.clone(),
        ..Committed::default()
    };
    write_journal(backup, &intent)?;

    let mut done = Committed {
        rejected_at_commit: rejected,
        ..Committed::default()
    };
    for r in &ready {
        let (live, _) = roots(r.change.area);
        if let Err(e) = apply(r, live, &mut done) {
            return Err(
                match revert::revert(&done, live_memory, live_skills, backup) {
                    Ok(_) => ApplyError::RolledBack {
                        source: Box::new(e),
                    },
                    Err(rollback) => ApplyError::RollbackFailed {
                        source: Box::new(e),
                        rollback: Box::new(rollback),
                    },
                },
            );
        }
    }
    Ok(done)
}

/// Reads the journal a commit left in `backup`, to revert a commit that was
/// cut short before its receipt was written.
pub fn read_journal(backup: &Dir) -> Result<Committed, ApplyError> {
    let err = |source| ApplyError::Journal {
        what: "reading",
        source,
    };
    let (bytes, _) = nofollow::read(backup, JOURNAL_NAME, 64 * 1024 * 1024)
        .map_err(err)?
        .ok_or_else(|| err(io::Error::new(io::ErrorKind::InvalidData, "too large")))?;
    serde_json::from_slice(&bytes).map_err(|e| err(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// A plan is plain data; refuse one that names paths outside the rules or
/// whose hashes do not fit its kind.
fn validate(c: &Change) -> Result<(), ApplyError> {
    let not_allowed = |reason: String| ApplyError::NotAllowed {
        area: c.area,
        path: c.path.clone(),
        reason,
    };
    if c.kind == ChangeKind::Deleted {
        rules::target(c.area, &c.path).map_err(|b| not_allowed(b.into()))?;
    } else {
        rules::write_target(c.area, &c.path).map_err(|b| not_allowed(b.into()))?;
    }
    let consistent = match c.kind {
        ChangeKind::Added => c.before_sha256.is_none() && c.after_sha256.is_some(),
        ChangeKind::Modified => c.before_sha256.is_some() && c.after_sha256.is_some(),
        ChangeKind::Deleted => c.before_sha256.is_some() && c.after_sha256.is_none(),
    };
    if !consistent {
        return Err(not_allowed(format!(
            "hashes do not fit a {:?} change",
            c.kind
        )));
    }
    Ok(())
}

/// Memory: refs first, then the index that points at them, then removals.
/// A skill: removals of SKILL.md first, SKILL.md written last, so the client
/// never sees a SKILL.md whose files are not there yet.
fn order_key(c: &Change) -> (Area, &str, u8, &str) {
    let deleted = c.kind == ChangeKind::Deleted;
    match c.area {
        Area::Memory => {
            let phase = match (c.path == MEMORY_INDEX, deleted) {
                (false, false) => 0,
                (true, _) => 1,
                (false, true) => 2,
            };
            (c.area, "", phase, &c.path)
        }
        Area::Skills => {
            let (folder, inner) = c.path.split_once('/').unwrap_or((&c.path, ""));
            let phase = match (inner == SKILL_FILE, deleted) {
                (true, true) => 0,
                (false, true) => 1,
                (false, false) => 2,
                (true, false) => 3,
            };
            (c.area, folder, phase, &c.path)
        }
    }
}

/// Why a planned change no longer holds at commit time: it is rejected with this reason.
#[derive(Debug, thiserror::Error)]
enum Stale {
    #[error("the staging copy changed after the plan was made")]
    StagingChanged,
    #[error("the staging copy could not be read again: {0}")]
    StagingUnreadable(#[source] io::Error),
    #[error("the live folder now has {0} where the plan expected no file")]
    LiveAppeared(String),
    #[error(
        "the live file changed after the plan was made (expected sha256 {expected}, found {found})"
    )]
    LiveChanged { expected: String, found: Found },
}

/// What stood where the live file the plan was made on should be.
#[derive(Debug)]
enum Found {
    NoFile,
    Blocked { at: String, kind: Kind },
    Other(Kind),
    Sha256(String),
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Found::NoFile => f.write_str("no file"),
            Found::Blocked { at, kind } => write!(f, "{} at {at}", kind.describe()),
            Found::Other(kind) => f.write_str(kind.describe()),
            Found::Sha256(sha) => f.write_str(sha),
        }
    }
}

/// Re-checks one change against staging and live, and backs up the live file
/// it will replace or remove. `Ok(Err(why))` when it no longer holds.
fn prepare<'p>(
    c: &'p Change,
    live: &Dir,
    staging: &Dir,
    backup: &Dir,
) -> Result<Result<Ready<'p>, Stale>, ApplyError> {
    let bytes = match &c.after_sha256 {
        None => None,
        Some(after) => match nofollow::read(staging, &c.path, c.bytes) {
            Ok(Some((bytes, _))) if sha256_hex(&bytes) == *after => Some(bytes),
            Ok(_) => return Ok(Err(Stale::StagingChanged)),
            Err(e) => return Ok(Err(Stale::StagingUnreadable(e))),
        },
    };
    let before_mode = match &c.before_sha256 {
        None => {
            let now = nofollow::state(live, &c.path)
                .map_err(|e| ApplyError::io("inspecting live", c.area, &c.path, e))?;
            if now != nofollow::State::Absent {
                return Ok(Err(Stale::LiveAppeared(now.describe())));
            }
            None
        }
        Some(before) => match back_up(c.area, &c.path, before, live, backup)? {
            Ok(mode) => Some(mode),
            Err(found) => {
                return Ok(Err(Stale::LiveChanged {
                    expected: before.clone(),
                    found,
                }));
            }
        },
    };
    Ok(Ok(Ready {
        change: c,
        bytes,
        before_mode,
    }))
}

/// Copies the live file into `backup/<area>/<path>` if it still hashes to
/// `before`; returns its mode, or what was found instead.
fn back_up(
    area: Area,
    path: &str,
    before: &str,
    live: &Dir,
    backup: &Dir,
) -> Result<Result<u32, Found>, ApplyError> {
    let io_err = |what| move |e| ApplyError::io(what, area, path, e);
    let (dir, name) = match nofollow::parent(live, path).map_err(io_err("inspecting live"))? {
        (Parent::Found(dir), name) => (dir, name),
        (Parent::Missing, _) => return Ok(Err(Found::NoFile)),
        (Parent::Blocked { at, kind }, _) => return Ok(Err(Found::Blocked { at, kind })),
    };
    match nofollow::lstat(&dir, name).map_err(io_err("inspecting live"))? {
        Some(Kind::File { .. }) => {}
        None => return Ok(Err(Found::NoFile)),
        Some(kind) => return Ok(Err(Found::Other(kind))),
    }
    let (file, _, mode) = nofollow::open_file(&dir, name).map_err(io_err("opening live"))?;
    let backup_path = format!("{area}/{path}");
    let (bdir, bname, _) = nofollow::create_parents(backup, &backup_path, DIR_MODE)
        .map_err(io_err("creating the backup folder for"))?;
    let copied = atomic::copy_verified(file, &bdir, bname, BACKUP_FILE_MODE, before)
        .map_err(io_err("backing up"))?;
    Ok(match copied {
        atomic::Verified::Copied => Ok(mode),
        atomic::Verified::Mismatch(sha) => Err(Found::Sha256(sha)),
    })
}

/// Memory is all-or-nothing at commit time too: a ref that changed during the
/// job is not written, so a `MEMORY.md` that removes lines (perhaps moved into
/// that ref) is not written either. The old index is read from its backup.
fn keep_notes(
    ready: &mut Vec<Ready>,
    rejected: &mut Vec<Rejected>,
    backup: &Dir,
) -> Result<(), ApplyError> {
    let Some(refused) = rejected
        .iter()
        .find(|r| r.area == Area::Memory && r.path != MEMORY_INDEX)
        .map(|r| format!("{} ({})", r.path, r.code))
    else {
        return Ok(());
    };
    let Some(at) = ready.iter().position(|r| {
        r.change.area == Area::Memory
            && r.change.path == MEMORY_INDEX
            && r.change.before_sha256.is_some()
    }) else {
        return Ok(());
    };
    let path = format!("{}/{MEMORY_INDEX}", Area::Memory);
    let old = nofollow::read(backup, &path, u64::MAX)
        .map_err(|e| ApplyError::io("reading the backup of", Area::Memory, MEMORY_INDEX, e))?
        .map(|(b, _)| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let new = String::from_utf8_lossy(ready[at].bytes.as_deref().unwrap_or_default());
    if plan::removes_lines(&old, &new) {
        ready.remove(at);
        rejected.push(plan::notes_would_be_lost(MEMORY_INDEX, &refused));
    }
    Ok(())
}

/// Skills are all-or-nothing at commit time too: one refused file drops the
/// rest of its folder.
fn drop_broken_skills(ready: &mut Vec<Ready>, rejected: &mut Vec<Rejected>) {
    let mut broken: BTreeMap<String, String> = BTreeMap::new();
    for r in rejected.iter().filter(|r| r.area == Area::Skills) {
        let folder = r.path.split('/').next().unwrap_or(&r.path).to_string();
        broken
            .entry(folder)
            .or_insert_with(|| format!("{}: {}", r.path, r.reason));
    }
    ready.retain(|r| {
        let c = r.change;
        if c.area != Area::Skills {
            return true;
        }
        let folder = c.path.split('/').next().unwrap_or(&c.path);
        match broken.get(folder) {
            None => true,
            Some(first) => {
                rejected.push(Rejected::new(
                    c.area,
                    &c.path,
                    codes::CHANGED_DURING_JOB,
                    format!("part of a skill that changed during the job: {first}"),
                ));
                false
            }
        }
    });
}

fn write_journal(backup: &Dir, intent: &Committed) -> Result<(), ApplyError> {
    let err = |source| ApplyError::Journal {
        what: "writing",
        source,
    };
    let json = serde_json::to_vec_pretty(intent).map_err(|e| err(io::Error::other(e)))?;
    let dir = nofollow::reopen(backup).map_err(err)?;
    let mut tmp = Temp::create(&dir, BACKUP_FILE_MODE).map_err(err)?;
    tmp.write_all(&json).map_err(err)?;
    tmp.persist(JOURNAL_NAME).map_err(err)
}

/// Writes or removes one live file, checking one last time that it is still
/// what the backup holds.
fn apply(r: &Ready, live: &Dir, done: &mut Committed) -> Result<(), ApplyError> {
    let c = r.change;
    let io_err = |what| move |e| ApplyError::io(what, c.area, &c.path, e);
    match &r.bytes {
        Some(bytes) => {
            let (dir, name, created) = nofollow::create_parents(live, &c.path, DIR_MODE)
                .map_err(io_err("creating the folders for"))?;
            done.created_dirs.extend(
                created
                    .into_iter()
                    .map(|path| AreaPath { area: c.area, path }),
            );
            still(&dir, name, c)?;
            atomic::write(&dir, name, bytes, file_mode(c.area)).map_err(io_err("writing"))?;
        }
        None => {
            let Parent::Found(dir) = nofollow::parent(live, &c.path)
                .map_err(io_err("inspecting live"))?
                .0
            else {
                return Err(changed(c, "the folder holding it is gone".into()));
            };
            let name = c.path.rsplit('/').next().unwrap_or(&c.path);
            still(&dir, name, c)?;
            atomic::remove(&dir, name).map_err(io_err("removing"))?;
            prune(live, c, done)?;
        }
    }
    done.files.push(r.record());
    Ok(())
}

/// Fails unless `name` in `dir` is what the plan found before.
fn still(dir: &Dir, name: &str, c: &Change) -> Result<(), ApplyError> {
    let io_err = |e| ApplyError::io("inspecting live", c.area, &c.path, e);
    let found = match nofollow::lstat(dir, name).map_err(io_err)? {
        None => None,
        Some(Kind::File { .. }) => {
            let (file, _, _) = nofollow::open_file(dir, name).map_err(io_err)?;
            Some(nofollow::sha256_file(file).map_err(io_err)?)
        }
        Some(kind) => return Err(changed(c, kind.describe().into())),
    };
    if found != c.before_sha256 {
        let found = found.map_or("no file".into(), |h| format!("sha256 {h}"));
        return Err(changed(c, found));
    }
    Ok(())
}

fn changed(c: &Change, found: String) -> ApplyError {
    ApplyError::ChangedDuringCommit {
        area: c.area,
        path: c.path.clone(),
        found,
    }
}

/// Removes the folders a deletion left empty, up to the area's root; the
/// memory `refs` folder itself stays.
fn prune(live: &Dir, c: &Change, done: &mut Committed) -> Result<(), ApplyError> {
    let parts: Vec<&str> = c.path.split('/').collect();
    for depth in (1..parts.len()).rev() {
        let dir_path = parts[..depth].join("/");
        if c.area == Area::Memory && dir_path == REFS {
            break;
        }
        let (parent, name) = nofollow::parent(live, &dir_path)
            .map_err(|e| ApplyError::io("inspecting live", c.area, &dir_path, e))?;
        let Parent::Found(parent) = parent else { break };
        let mode = match nofollow::lstat(&parent, name)
            .map_err(|e| ApplyError::io("inspecting live", c.area, &dir_path, e))?
        {
            Some(Kind::Dir) => dir_mode(&parent, name)
                .map_err(|e| ApplyError::io("inspecting live", c.area, &dir_path, e))?,
            _ => break,
        };
        let removed = atomic::remove_empty_dir(&parent, name)
            .map_err(|e| ApplyError::io("removing the empty folder", c.area, &dir_path, e))?;
        if !removed {
            break;
        }
        done.removed_dirs.push(RemovedDir {
            area: c.area,
            path: dir_path,
            mode,
        });
    }
    Ok(())
}

fn dir_mode(parent: &Dir, name: &str) -> io::Result<u32> {
    use std::os::fd::AsFd;
    let dir = nofollow::open_dir(parent, name)?;
    Ok(rustix::fs::fstat(dir.as_fd())?.st_mode & 0o7777)
}
