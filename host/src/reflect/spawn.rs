//! Starts `csep session-reflect` detached: its own process group, no
//! stdin/stdout/stderr, not waited for. The hook that starts it exits at once.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::CHILD_ENV;
use crate::config::Config;
use crate::filelock::FileLock;
use crate::fs_authority;
use crate::home::Home;
use crate::jobs::{JobQueue, Status, valid_id};

/// A queued job older than this with no worker running is stranded.
pub const STRANDED_AFTER: Duration = Duration::from_secs(60);
/// A deferred job (a spent budget) is tried again after this.
pub const DEFERRED_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// Starts `session-reflect --and-pending --job ID`; returns the worker's pid.
pub fn worker(home: &Home, job_id: &str) -> io::Result<u32> {
    detached(
        home,
        &["session-reflect", "--and-pending", "--job", job_id],
        job_id,
    )
}

/// Starts `session-reflect --pending`: a worker for whatever the queue holds.
pub fn pending_worker(home: &Home) -> io::Result<u32> {
    detached(home, &["session-reflect", "--pending"], "pending")
}

fn detached(home: &Home, args: &[&str], job_id: &str) -> io::Result<u32> {
    let exe = std::env::current_exe()?;
    let child = Command::new(exe)
        .arg("--home")
        .arg(home.root())
        .args(args)
        // Anything the worker runs (a `codex exec` provider) is marked as its own,
        // so csep's hooks in that child session neither archive nor reflect it.
        .env(CHILD_ENV[0], "1")
        .env(CHILD_ENV[1], job_id)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(child.id())
}

/// Starts a worker when the queue is stranded: no worker holds a slot while a
/// job has waited past [`STRANDED_AFTER`], a `running` job's worker is gone, or
/// a deferred job is due again. Returns the pid of the worker it started.
pub fn kick_stranded(home: &Home, config: &Config) -> io::Result<Option<u32>> {
    if !config.reflection.enabled || any_worker(home, config) {
        return Ok(None);
    }
    let Ok(Some(queue)) = JobQueue::open_existing(home) else {
        return Ok(None);
    };
    // Reading the queue costs a pass over every job file; a job strands only
    // after STRANDED_AFTER, so one look in that time is enough for all Stops.
    let stamp = home.stranded_stamp();
    let now = SystemTime::now();
    let recent = std::fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|at| now.duration_since(at).ok())
        .is_some_and(|age| age < STRANDED_AFTER);
    if recent {
        return Ok(None);
    }
    let _ = stamp
        .parent()
        .zip(stamp.file_name())
        .map(|(dir, name)| fs_authority::open_dir(dir).and_then(|d| d.write(name, b"")));
    if stranded(&queue, now) {
        return pending_worker(home).map(Some);
    }
    Ok(None)
}

/// True when a worker holds one of the slots.
fn any_worker(home: &Home, config: &Config) -> bool {
    let path = home.workers_dir();
    let Ok(dir) = fs_authority::open_dir(&path) else {
        return false;
    };
    (0..config.reflection.max_concurrent_workers)
        .any(|n| FileLock::is_held(&dir, &format!("slot-{n}.lock")))
}

/// Whether some job needs a worker that nobody is running. Job files are
/// rewritten at each step, so their age is the time since the last step. Most
/// files hold finished jobs: those are passed over without being parsed.
pub fn stranded(queue: &JobQueue, now: SystemTime) -> bool {
    let Ok(entries) = std::fs::read_dir(queue.path()) else {
        return false;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        let open = [&b"\"queued\""[..], b"\"running\"", b"\"deferred\""]
            .iter()
            .any(|s| bytes.windows(s.len()).any(|w| w == *s));
        if !valid_id(id) || !open {
            continue;
        }
        let Ok(job) = queue.read(id) else { continue };
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        let needs_worker = match job.status {
            Status::Queued => age >= STRANDED_AFTER,
            Status::Running => !queue.is_claimed(id),
            Status::Deferred => age >= DEFERRED_RETRY_AFTER,
            _ => false,
        };
        if needs_worker {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Job;

    #[test]
    fn a_queue_is_stranded_by_old_queued_or_orphaned_jobs_only() {
        let tmp = tempfile::tempdir().unwrap();
        let queue = JobQueue::open(&Home::at(tmp.path())).unwrap();
        let now = SystemTime::now();
        let write = |id: &str, status| {
            queue
                .write(&Job {
                    job_id: id.into(),
                    status,
                    ..Job::default()
                })
                .unwrap();
        };
        write("a-done", Status::Succeeded);
        write("b-queued", Status::Queued);
        assert!(!stranded(&queue, now), "a fresh job is the Stop's own");
        let later = |d: Duration| SystemTime::now() + d + Duration::from_secs(1);
        assert!(
            stranded(&queue, later(STRANDED_AFTER)),
            "a queued job waited"
        );
        write("b-queued", Status::Skipped);
        assert!(!stranded(&queue, later(DEFERRED_RETRY_AFTER)));
        write("c-running", Status::Running);
        assert!(stranded(&queue, now), "its worker is gone");
        let _claim = queue.claim("c-running").unwrap().unwrap();
        assert!(!stranded(&queue, now), "a live worker holds it");
    }
}
