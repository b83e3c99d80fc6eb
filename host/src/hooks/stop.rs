//! The Stop hook: archive what is new in the transcript, show it to the trigger
//! policy, keep the policy's state, and queue a reflection job when it asks.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::HookError;
use super::archive;
use super::log::HookRecord;
use super::payload::{HookClient, HookPayload};
use crate::bucket::Bucket;
use crate::digest;
use crate::fault;
use crate::fs_authority;
use crate::hash::short_hex;
use crate::home::Home;
use crate::jobs::{Job, JobError, JobQueue, Status};
use crate::model::{DecideInput, Digest};
use crate::policy_runner;
use crate::recall::Outcome;
use crate::reflect::{CHILD_ENV, spawn};
use crate::timefmt::rfc3339;
use crate::transcript::{self, Client};
use crate::trigger_state::{self, BucketState, SessionLock, SessionState};

/// A queued job younger than this keeps the session from queueing another; an older
/// one is taken as lost (its worker died) and no longer holds the session back.
const PENDING_JOB_STALE_MS: u64 = 30 * 60 * 1000;

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> HookError + 'a {
    move |source| HookError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
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
    let Some(session_id) = payload.session_id.clone() else {
        record.skipped = Some("the payload names no session".into());
        return Ok(record);
    };
    let child_marker = home
        .root()
        .join("session_reflection/child_threads")
        .join(format!("{}.json", short_hex(session_id.as_bytes())));
    if child_marker.exists() {
        record.skipped = Some("reflection worker (child-thread registry)".into());
        return Ok(record);
    }
    let (config, config_problem) = super::hook_config(home);
    record.problems.extend(config_problem);
    let cwd = payload.cwd.clone().unwrap_or_default();
    let bucket = Bucket::resolve(Path::new(if cwd.is_empty() { "." } else { &cwd }));
    record.bucket = Some(bucket.id.clone());
    let Some(transcript_path) = payload.transcript_path.clone().map(PathBuf::from) else {
        record.skipped = Some("the payload names no transcript".into());
        return Ok(record);
    };
    let client = match payload.client {
        Some(HookClient::Claude) => Client::Claude,
        _ => Client::Codex,
    };

    // Archive first: whatever the policy does, the session is searchable. An index
    // that cannot take it never keeps the policy from running.
    let archived = archive::archive(home, &transcript_path, client, now_ms, &mut record);
    if archived == Some(Outcome::Skipped) {
        record.skipped = Some("reflection worker (transcript marker)".into());
        return Ok(record);
    }

    let triggers = trigger_state::session_path(home, client.name(), &session_id);
    let dir = fs_authority::create_private_dir_all(&triggers).map_err(io("creating", &triggers))?;
    let Some(_lock) = SessionLock::acquire(&dir).map_err(io("locking", &triggers))? else {
        record.skipped = Some("another Stop hook of this session holds the lock".into());
        return Ok(record);
    };
    let mut state: SessionState = trigger_state::read(&dir, "state.json");

    // What is new since the policy last decided on this session.
    let mut file = File::open(&transcript_path).map_err(io("opening", &transcript_path))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if state.offset > len {
        state.offset = 0; // the transcript was replaced
    }
    file.seek(SeekFrom::Start(state.offset))
        .map_err(io("reading", &transcript_path))?;
    let seed = transcript::SessionMeta {
        response_items: state.response_items,
        ..transcript::SessionMeta::default()
    };
    let start = state.offset;
    let chunk = transcript::read_continue(client, BufReader::new(file), start, seed)
        .map_err(io("reading", &transcript_path))?;
    // Unarchived, the index could not say whether this is a worker's own session:
    // its transcript can.
    if archived.is_none() && start == 0 && chunk.meta.reflection_marker {
        record.skipped = Some("reflection worker (transcript marker)".into());
        return Ok(record);
    }
    let mut digest = Digest {
        client: client.name().into(),
        session_id: session_id.clone(),
        bucket_id: bucket.id.clone(),
        cwd: cwd.clone(),
        session_started_ms: chunk.meta.started_ms,
        now_ms,
        ..Digest::default()
    };
    digest::fill(&mut digest, &chunk.messages);

    let projects = trigger_state::bucket_path(home, &bucket.id);
    let bucket_dir =
        fs_authority::create_private_dir_all(&projects).map_err(io("creating", &projects))?;
    let bucket_state: BucketState = trigger_state::read(&bucket_dir, "policy-state.json");
    let input = DecideInput {
        digest,
        session_state: state.policy_state.clone(),
        bucket_state: bucket_state.policy_state.clone(),
        // policy_runner passes the settings of whichever policy runs.
        settings: Default::default(),
    };
    let decided = policy_runner::decide(home, &config, &input).map_err(HookError::Policy)?;
    record.policy = Some(decided.note);
    record.problems.extend(decided.problem);
    let decision = decided.decision;

    // The job file goes first: a crash before the state is written costs at most a
    // second job later, never a lost one.
    record.decision = Some(decision.summary.clone());
    let pending = state
        .pending_job
        .clone()
        .filter(|(_, at)| now_ms.saturating_sub(*at) < PENDING_JOB_STALE_MS);
    if decision.reflect && !config.reflection.enabled {
        // The policy still ran and keeps its counters; nothing is queued.
        record.skipped =
            Some("reflection is off (reflection.enabled = false): no job queued".into());
    } else if decision.reflect
        && let Some((job_id, _)) = pending
    {
        record.skipped = Some(format!(
            "reflection deferred: job {job_id} is still pending"
        ));
    } else if decision.reflect {
        let job = Job {
            schema_version: 1,
            job_id: format!(
                "{}-{}",
                rfc3339(now_ms).replace([':', '-'], ""),
                short_hex(format!("{session_id}{now_ms}").as_bytes())
            ),
            status: Status::Queued,
            created_at: rfc3339(now_ms),
            client: input.digest.client.clone(),
            session_id: session_id.clone(),
            transcript_path: payload.transcript_path,
            cwd,
            bucket: bucket.id,
            scopes: decision.scopes.clone(),
            reasons: decision.reasons.clone(),
            summary: decision.summary.clone(),
            queued_policy_state: decision.session_state.clone(),
            ..Job::default()
        };
        JobQueue::open(home)
            .and_then(|q| q.write(&job))
            .map_err(|e| match &e {
                JobError::Io { path, source, .. } => match fault::of_io(source) {
                    Some(f) => HookError::Job(format!("{e}; {}", f.explain(path))),
                    None => HookError::Job(e.to_string()),
                },
                _ => HookError::Job(e.to_string()),
            })?;
        state.pending_job = Some((job.job_id.clone(), now_ms));
        record.job = Some(job.job_id);
    }

    state.schema_version = 1;
    state.session_id = session_id;
    state.offset = chunk.end_offset;
    state.response_items |= chunk.meta.response_items;
    state.policy_state = decision.session_state.clone();
    state.last_decision = serde_json::to_value(&decision).ok();
    state.updated_at = rfc3339(now_ms);
    trigger_state::write(&dir, "state.json", &state).map_err(io("writing", &triggers))?;
    trigger_state::write(
        &bucket_dir,
        "policy-state.json",
        &BucketState {
            schema_version: 1,
            policy_state: decision.bucket_state.clone(),
        },
    )
    .map_err(io("writing", &projects))?;

    // Started last, after every state write: the worker settles this session's
    // counters, and must see the state this hook kept.
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
    } else if let Ok(Some(pid)) = spawn::kick_stranded(home, &config) {
        // No job of its own: a queue nobody is draining gets a worker.
        record.worker_pid = Some(pid);
    }
    Ok(record)
}
