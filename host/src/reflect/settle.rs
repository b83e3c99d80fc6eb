//! After a job: the policy resets its counters for the scopes the job covered, and
//! the session may queue a new job again.

use std::path::PathBuf;

use crate::config::Config;
use crate::fs_authority;
use crate::home::Home;
use crate::jobs::Job;
use crate::model::{Scope, SettleInput};
use crate::policy_runner;
use crate::trigger_state::{self, BucketState, SessionLock, SessionState};

/// Returns which policy settled, or why settling failed (the job's outcome stands
/// either way; the counters then keep counting and the policy asks again later).
pub fn settle(
    home: &Home,
    config: &Config,
    job: &Job,
    covered: &[Scope],
    now_ms: u64,
) -> Result<String, String> {
    let session_path: PathBuf = trigger_state::session_path(home, &job.client, &job.session_id);
    let io = |what: &str, e: std::io::Error| format!("{what} {}: {e}", session_path.display());
    let dir = fs_authority::create_private_dir_all(&session_path).map_err(|e| io("opening", e))?;
    let _lock = SessionLock::acquire(&dir)
        .map_err(|e| io("locking", e))?
        .ok_or_else(|| format!("{} stayed locked", session_path.display()))?;
    let mut state: SessionState = trigger_state::read(&dir, "state.json");
    let bucket_path = trigger_state::bucket_path(home, &job.bucket);
    let bucket_dir =
        fs_authority::create_private_dir_all(&bucket_path).map_err(|e| io("opening", e))?;
    let bucket: BucketState = trigger_state::read(&bucket_dir, "policy-state.json");

    let input = SettleInput {
        scopes: covered.to_vec(),
        queued_session_state: job.queued_policy_state.clone(),
        session_state: state.policy_state.clone(),
        bucket_state: bucket.policy_state.clone(),
        // policy_runner passes the settings of whichever policy runs.
        settings: Default::default(),
    };
    let (settled, name) = policy_runner::settle(home, config, &input, now_ms)?;
    state.policy_state = settled.session_state;
    if state
        .pending_job
        .as_ref()
        .is_some_and(|(id, _)| *id == job.job_id)
    {
        state.pending_job = None;
    }
    trigger_state::write(&dir, "state.json", &state).map_err(|e| io("writing", e))?;
    trigger_state::write(
        &bucket_dir,
        "policy-state.json",
        &BucketState {
            schema_version: 1,
            policy_state: settled.bucket_state,
        },
    )
    .map_err(|e| io("writing", e))?;
    Ok(name)
}
