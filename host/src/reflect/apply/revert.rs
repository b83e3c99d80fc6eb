//! Undoes a commit: every file it wrote goes back to the bytes in the backup
//! (or away, if the commit added it), but only if nobody edited it since.

use cap_std::fs::Dir;

use super::atomic;
use super::commit::{DIR_MODE, file_mode};
use super::nofollow::{self, Parent, State};
use super::rules;
use super::{
    ApplyError, Area, AreaPath, ChangeKind, Committed, CommittedFile, RemovedDir, Reverted,
};

enum Action {
    /// Copy the backup back (its hash is checked again while copying).
    Restore,
    Remove,
    /// Already holds the old content: a commit cut short, or a second revert.
    Nothing,
}

/// Reverts `committed`. Every file is checked before anything is changed: if
/// any live file is neither what the commit wrote nor what it replaced, or a
/// backup does not hold the replaced bytes, nothing is changed.
pub fn revert(
    committed: &Committed,
    live_memory: &Dir,
    live_skills: &Dir,
    backup: &Dir,
) -> Result<Reverted, ApplyError> {
    let live = |area| match area {
        Area::Memory => live_memory,
        Area::Skills => live_skills,
    };
    for f in &committed.files {
        validate(f)?;
    }
    for d in &committed.created_dirs {
        validate_dir(d.area, &d.path)?;
    }
    for d in &committed.removed_dirs {
        validate_dir(d.area, &d.path)?;
    }

    let mut plan = Vec::new();
    for f in &committed.files {
        let now = nofollow::state(live(f.area), &f.path)
            .map_err(|e| ApplyError::io("inspecting live", f.area, &f.path, e))?;
        let action = if holds(&now, f.before_sha256.as_deref()) {
            Action::Nothing
        } else if holds(&now, f.after_sha256.as_deref()) {
            match &f.before_sha256 {
                Some(before) => {
                    check_backup(f, before, backup)?;
                    Action::Restore
                }
                None => Action::Remove,
            }
        } else {
            return Err(ApplyError::EditedSince {
                area: f.area,
                path: f.path.clone(),
                expected: describe(f.after_sha256.as_deref()),
                found: now.describe(),
            });
        };
        plan.push((f, action));
    }

    let mut out = Reverted::default();
    let mut recreated: Vec<AreaPath> = Vec::new();
    for (f, action) in plan.into_iter().rev() {
        let root = live(f.area);
        let entry = AreaPath {
            area: f.area,
            path: f.path.clone(),
        };
        match action {
            Action::Nothing => out.already_reverted.push(entry),
            Action::Restore => {
                recreated.extend(restore(f, root, backup)?);
                out.restored.push(entry);
            }
            Action::Remove => {
                remove(f, root)?;
                out.removed.push(entry);
            }
        }
    }

    // Folders the commit had removed and this revert recreated get their
    // old permission bits back.
    for d in &committed.removed_dirs {
        if recreated
            .iter()
            .any(|r| r.area == d.area && r.path == d.path)
        {
            set_dir_mode(live(d.area), d)?;
        }
    }

    // Deepest first, so a folder empties before its parent is tried.
    let mut dirs: Vec<&AreaPath> = committed.created_dirs.iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse((d.path.matches('/').count(), d.path.clone())));
    for d in dirs {
        let (parent, name) = nofollow::parent(live(d.area), &d.path)
            .map_err(|e| ApplyError::io("inspecting live", d.area, &d.path, e))?;
        let Parent::Found(parent) = parent else {
            continue;
        };
        if atomic::remove_empty_dir(&parent, name)
            .map_err(|e| ApplyError::io("removing the folder", d.area, &d.path, e))?
        {
            out.removed_dirs.push(d.clone());
        }
    }
    Ok(out)
}

/// A receipt is plain data: refuse one naming paths outside the rules.
fn validate(f: &CommittedFile) -> Result<(), ApplyError> {
    let not_allowed = |reason: String| ApplyError::NotAllowed {
        area: f.area,
        path: f.path.clone(),
        reason,
    };
    rules::target(f.area, &f.path).map_err(|b| not_allowed(b.into()))?;
    let consistent = match f.kind {
        ChangeKind::Added => f.before_sha256.is_none() && f.after_sha256.is_some(),
        ChangeKind::Modified => f.before_sha256.is_some() && f.after_sha256.is_some(),
        ChangeKind::Deleted => f.before_sha256.is_some() && f.after_sha256.is_none(),
    };
    if !consistent {
        return Err(not_allowed(format!(
            "hashes do not fit a {:?} change",
            f.kind
        )));
    }
    Ok(())
}

fn validate_dir(area: Area, path: &str) -> Result<(), ApplyError> {
    let ok = match area {
        Area::Memory => rules::memory_dir(path),
        Area::Skills => {
            let (folder, inner) = match path.split_once('/') {
                Some((folder, inner)) => (folder, Some(inner)),
                None => (path, None),
            };
            rules::skill_folder(folder).and_then(|()| {
                inner.map_or(Ok(()), |i| i.split('/').try_for_each(rules::plain_name))
            })
        }
    };
    ok.map_err(|reason| ApplyError::NotAllowed {
        area,
        path: path.to_string(),
        reason: reason.into(),
    })
}

fn holds(now: &State, want: Option<&str>) -> bool {
    match want {
        None => *now == State::Absent,
        Some(h) => now.sha256() == Some(h),
    }
}

fn describe(sha: Option<&str>) -> String {
    sha.map_or("no file".into(), |h| format!("sha256 {h}"))
}

fn backup_path(f: &CommittedFile) -> String {
    format!("{}/{}", f.area, f.path)
}

/// The backup must hash to `before`; hashed without loading it whole.
fn check_backup(f: &CommittedFile, before: &str, backup: &Dir) -> Result<(), ApplyError> {
    let path = backup_path(f);
    let found = nofollow::open_path(backup, &path)
        .and_then(|(file, _, _)| nofollow::sha256_file(file))
        .map_err(|e| ApplyError::io("reading the backup of", f.area, &f.path, e))?;
    if found != before {
        return Err(ApplyError::BackupMismatch {
            area: f.area,
            path: f.path.clone(),
            expected: before.to_string(),
            found,
        });
    }
    Ok(())
}

/// Puts one file back; returns the folders it had to recreate on the way.
fn restore(f: &CommittedFile, root: &Dir, backup: &Dir) -> Result<Vec<AreaPath>, ApplyError> {
    let io_err = |what| move |e| ApplyError::io(what, f.area, &f.path, e);
    let before = f.before_sha256.as_deref().unwrap_or_default();
    let (dir, name, created) = nofollow::create_parents(root, &f.path, DIR_MODE)
        .map_err(io_err("creating the folders for"))?;
    still_after(f, &dir, name)?;
    let (src, _, _) =
        nofollow::open_path(backup, &backup_path(f)).map_err(io_err("reading the backup of"))?;
    // Permission bits only: a set-id bit is never put back.
    let mode = f.before_mode.map_or(file_mode(f.area), |m| m & 0o777);
    match atomic::copy_verified(src, &dir, name, mode, before).map_err(io_err("restoring"))? {
        atomic::Verified::Copied => Ok(created
            .into_iter()
            .map(|path| AreaPath { area: f.area, path })
            .collect()),
        atomic::Verified::Mismatch(found) => Err(ApplyError::BackupMismatch {
            area: f.area,
            path: f.path.clone(),
            expected: before.to_string(),
            found,
        }),
    }
}

fn remove(f: &CommittedFile, root: &Dir) -> Result<(), ApplyError> {
    let io_err = |what| move |e| ApplyError::io(what, f.area, &f.path, e);
    let (parent, name) = nofollow::parent(root, &f.path).map_err(io_err("inspecting live"))?;
    let Parent::Found(dir) = parent else {
        return Err(edited(f, "no file".into()));
    };
    still_after(f, &dir, name)?;
    atomic::remove(&dir, name).map_err(io_err("removing"))
}

/// The last look before a file is replaced: it must still be what the commit
/// wrote (the first pass checked every file; this narrows the window).
fn still_after(f: &CommittedFile, dir: &Dir, name: &str) -> Result<(), ApplyError> {
    let now = nofollow::state(dir, name)
        .map_err(|e| ApplyError::io("inspecting live", f.area, &f.path, e))?;
    if holds(&now, f.after_sha256.as_deref()) {
        Ok(())
    } else {
        Err(edited(f, now.describe()))
    }
}

fn edited(f: &CommittedFile, found: String) -> ApplyError {
    ApplyError::EditedSince {
        area: f.area,
        path: f.path.clone(),
        expected: describe(f.after_sha256.as_deref()),
        found,
    }
}

fn set_dir_mode(root: &Dir, d: &RemovedDir) -> Result<(), ApplyError> {
    let io_err = |e| ApplyError::io("restoring the mode of", d.area, &d.path, e);
    let (parent, name) = nofollow::parent(root, &d.path).map_err(io_err)?;
    let Parent::Found(parent) = parent else {
        return Ok(());
    };
    let dir = nofollow::open_dir(&parent, name).map_err(io_err)?;
    rustix::fs::fchmod(
        std::os::fd::AsFd::as_fd(&dir),
        rustix::fs::Mode::from_raw_mode(d.mode & 0o777),
    )
    .map_err(|e| io_err(e.into()))
}
