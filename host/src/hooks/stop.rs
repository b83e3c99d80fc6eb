//! The Stop hook: archive what is new in the transcript, show it to the trigger
//! policy, keep the policy's state, and queue a reflection job when it asks.
//!
//! The transcript is read once: the archive's ingest hands back the messages from
//! the policy's own offset on. The client and the bucket are decided once, here.

use std::path::{Path, PathBuf};

use super::HookError;
use super::archive::{self, Archived};
use super::client;
use super::log::HookRecord;
use super::payload::HookPayload;
use crate::bucket::Bucket;
use crate::client::Client;
use crate::config::Config;
use crate::digest;
use crate::hash::short_hex;
use crate::home::Home;
use crate::jobs::{Job, JobQueue, Status};
use crate::model::Decision;
use crate::policy_runner::{self, States};
use crate::recall::{Outcome, ReadSince, Since, read_since};
use crate::reflect::{CHILD_ENV, spawn};
use crate::timefmt::rfc3339;
use crate::trigger_state::Triggers;

/// A queued job younger than this keeps the session from queueing another; an older
/// one is taken as lost (its worker died) and no longer holds the session back.
const PENDING_JOB_STALE_MS: u64 = 30 * 60 * 1000;

/// The session a Stop is about, once the payload has named it.
struct Session<'a> {
    id: String,
    transcript: PathBuf,
    client: Client,
    payload: &'a HookPayload,
}

pub fn session_stop(
    home: &Home,
    stdin: &[u8],
    truncated: bool,
    now_ms: u64,
) -> Result<HookRecord, HookError> {
    let payload = HookPayload::parse(stdin, truncated)?;
    let mut record = HookRecord {
        hook: "session-stop",
        ok: true,
        session_id: payload.session_id.clone(),
        ..HookRecord::default()
    };
    if let Some(var) = CHILD_ENV.iter().find(|v| std::env::var_os(v).is_some()) {
        record.skipped = Some(format!("reflection worker ({var} is set)"));
        return Ok(record);
    }
    let Some(id) = payload.session_id.clone() else {
        record.skipped = Some("the payload names no session".into());
        return Ok(record);
    };
    let (config, config_problem) = super::hook_config(home);
    record.problems.extend(config_problem);
    let Some(transcript) = payload.transcript_path.as_deref().map(PathBuf::from) else {
        record.bucket = Some(bucket_of(payload.cwd.as_deref()).id);
        record.skipped = Some("the payload names no transcript".into());
        return Ok(record);
    };
    let session = Session {
        id,
        client: client::decide(&transcript, &payload),
        transcript,
        payload: &payload,
    };
    let archive = config.recall.archives_on_stop();
    let Some((mut triggers, read)) =
        archive_and_read(home, &session, archive, now_ms, &mut record)?
    else {
        return Ok(record);
    };
    run_policy(
        home,
        &config,
        &session,
        &mut triggers,
        read,
        now_ms,
        &mut record,
    )?;
    drop(triggers);
    // Started last, after every state write: the worker settles this session's
    // counters, and must see the state this hook kept.
    start_worker(home, &config, &mut record);
    Ok(record)
}

/// Archives the transcript and takes the session's lock; hands back the messages
/// the policy has not seen. `None` when the Stop has nothing more to do (the
/// record says why).
fn archive_and_read(
    home: &Home,
    s: &Session,
    archive: bool,
    now_ms: u64,
    record: &mut HookRecord,
) -> Result<Option<(Triggers, ReadSince)>, HookError> {
    let client = s.client;
    // Where the policy stands, read without the lock: the archive reads from there
    // in the same pass. Checked again under the lock below.
    let seen = Triggers::peek(home, client, &s.id);
    let since = Since {
        offset: seen.offset,
        response_items: seen.response_items,
    };
    // Archive first: whatever the policy does, the session is searchable. An index
    // that cannot take it never keeps the policy from running.
    // `[recall] enabled` or `archive_on_stop` off: the policy still reads the session.
    let archived = archive
        .then(|| archive::archive(home, &s.transcript, s.client, since, now_ms, record))
        .flatten();
    if let Some(a) = archived.as_ref().filter(|a| a.outcome == Outcome::Skipped) {
        record.skipped = Some(if a.forgotten {
            "forgotten session (csep recall forget)".into()
        } else {
            "reflection worker (transcript marker)".into()
        });
        return Ok(None);
    }
    let Some(triggers) = Triggers::lock(home, client, &s.id)? else {
        record.skipped = Some("another Stop hook of this session holds the lock".into());
        return Ok(None);
    };
    let now = Since {
        offset: triggers.session.offset,
        response_items: triggers.session.response_items,
    };
    let unarchived = archived.is_none();
    let read = match archived {
        // Another Stop of this session moved the policy on meanwhile: its offset rules.
        Some(Archived { read: Some(r), .. }) if now == since => r,
        _ => read_since(&s.transcript, s.client, now).map_err(|e| match e {
            crate::recall::IngestError::Read(e) => HookError::Io(e),
            other => HookError::Recall(other),
        })?,
    };
    // Unarchived, the index could not say whether this is a worker's own session:
    // its transcript can.
    if unarchived && read.start == 0 && read.meta.reflection_marker {
        record.skipped = Some("reflection worker (transcript marker)".into());
        return Ok(None);
    }
    Ok(Some((triggers, read)))
}

/// The session's bucket: from the folder its transcript names (where it started),
/// else the payload's, else the current one.
fn bucket_of(cwd: Option<&str>) -> Bucket {
    Bucket::resolve(Path::new(cwd.filter(|c| !c.is_empty()).unwrap_or(".")))
}

/// Shows the new messages to the policy, queues a job when it asks, and saves the
/// policy's states.
fn run_policy(
    home: &Home,
    config: &Config,
    s: &Session,
    triggers: &mut Triggers,
    read: ReadSince,
    now_ms: u64,
    record: &mut HookRecord,
) -> Result<(), HookError> {
    let cwd = read
        .cwd
        .clone()
        .or_else(|| s.payload.cwd.clone())
        .unwrap_or_default();
    let bucket = bucket_of(Some(&cwd));
    record.bucket = Some(bucket.id.clone());
    triggers.open_bucket(home, &bucket.id)?;
    let digest = digest::of_read(s.client, &s.id, &bucket.id, &cwd, &read, now_ms);
    let states = States {
        session: triggers.session.policy_state.clone(),
        bucket: triggers.bucket.policy_state.clone(),
    };
    let decided =
        policy_runner::decide(home, config, &digest, &states).map_err(HookError::Policy)?;
    record.policy = Some(decided.note);
    record.problems.extend(decided.problem);
    let decision = decided.decision;
    record.decision = Some(decision.summary.clone());

    // The job file goes first: a crash before the state is written costs at most a
    // second job later, never a lost one.
    let job = Job {
        schema_version: 1,
        job_id: format!(
            "{}-{}",
            rfc3339(now_ms).replace([':', '-'], ""),
            short_hex(format!("{}{now_ms}", s.id).as_bytes())
        ),
        status: Status::Queued,
        created_at: rfc3339(now_ms),
        client: s.client,
        session_id: s.id.clone(),
        transcript_path: s.payload.transcript_path.clone(),
        cwd,
        bucket: bucket.id,
        scopes: decision.scopes.clone(),
        reasons: decision.reasons.clone(),
        summary: decision.summary.clone(),
        queued_policy_state: decision.session_state.clone(),
        ..Job::default()
    };
    if let Some(job_id) = queue(home, config, triggers, &decision, job, now_ms, record)? {
        triggers.session.pending_job = Some((job_id.clone(), now_ms));
        record.job = Some(job_id);
    }

    let state = &mut triggers.session;
    state.session_id = s.id.clone();
    state.offset = read.end_offset;
    state.response_items |= read.meta.response_items;
    state.policy_state = decision.session_state.clone();
    state.last_decision = serde_json::to_value(&decision).ok();
    state.updated_at = rfc3339(now_ms);
    triggers.bucket.policy_state = decision.bucket_state.clone();
    triggers.save()?;
    Ok(())
}

/// Writes the job file when the policy asks and nothing holds it back; returns its id.
fn queue(
    home: &Home,
    config: &Config,
    triggers: &Triggers,
    decision: &Decision,
    job: Job,
    now_ms: u64,
    record: &mut HookRecord,
) -> Result<Option<String>, HookError> {
    if !decision.reflect {
        return Ok(None);
    }
    if !config.reflection.enabled {
        // The policy still ran and keeps its counters; nothing is queued.
        record.skipped =
            Some("reflection is off (reflection.enabled = false): no job queued".into());
        return Ok(None);
    }
    let pending = triggers
        .session
        .pending_job
        .as_ref()
        .filter(|(_, at)| now_ms.saturating_sub(*at) < PENDING_JOB_STALE_MS);
    if let Some((job_id, _)) = pending {
        record.skipped = Some(format!(
            "reflection deferred: job {job_id} is still pending"
        ));
        return Ok(None);
    }
    JobQueue::open(home)
        .and_then(|q| q.write(&job))
        .map_err(HookError::Job)?;
    Ok(Some(job.job_id))
}

/// Starts the worker for the job just queued, or for a queue nobody is draining.
fn start_worker(home: &Home, config: &Config, record: &mut HookRecord) {
    if let Some(job_id) = &record.job
        && config.reflection.start_worker
    {
        match spawn::worker(home, job_id) {
            Ok(pid) => record.worker_pid = Some(pid),
            Err(e) => {
                record.ok = false;
                record.error = Some(format!("starting the reflection worker: {e}"));
            }
        }
    } else if let Ok(Some(pid)) = spawn::kick_stranded(home, config) {
        record.worker_pid = Some(pid);
    }
}
