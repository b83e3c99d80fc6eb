//! After a job: the policy resets its counters for the scopes the job covered, and
//! the session may queue a new job again.

use crate::config::Config;
use crate::home::Home;
use crate::jobs::Job;
use crate::model::Scope;
use crate::policy_runner::{self, PolicyError, States};
use crate::trigger_state::{StateError, Triggers};

/// Why a job's scopes could not be settled.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{} stayed locked", .0.display())]
    StayedLocked(std::path::PathBuf),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// Returns which policy settled, or why settling failed (the job's outcome stands
/// either way; the counters then keep counting and the policy asks again later).
pub fn settle(
    home: &Home,
    config: &Config,
    job: &Job,
    covered: &[Scope],
    now_ms: u64,
) -> Result<String, SettleError> {
    let mut triggers = Triggers::lock(home, job.client, &job.session_id)?.ok_or_else(|| {
        SettleError::StayedLocked(crate::trigger_state::session_path(
            home,
            job.client,
            &job.session_id,
        ))
    })?;
    triggers.open_bucket(home, &job.bucket)?;

    let states = States {
        session: triggers.session.policy_state.clone(),
        bucket: triggers.bucket.policy_state.clone(),
    };
    let (settled, name) = policy_runner::settle(
        home,
        config,
        covered,
        job.queued_policy_state.as_deref(),
        &states,
        now_ms,
    )?;
    triggers.session.policy_state = settled.session_state;
    if triggers
        .session
        .pending_job
        .as_ref()
        .is_some_and(|(id, _)| *id == job.job_id)
    {
        triggers.session.pending_job = None;
    }
    triggers.bucket.policy_state = settled.bucket_state;
    triggers.save()?;
    Ok(name)
}
