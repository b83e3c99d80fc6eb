//! After a job: the policy resets its counters for the scopes the job covered, and
//! the session may queue a new job again.

use crate::config::Config;
use crate::home::Home;
use crate::jobs::Job;
use crate::model::Scope;
use crate::policy_runner::{self, States};
use crate::trigger_state::Triggers;

/// Returns which policy settled, or why settling failed (the job's outcome stands
/// either way; the counters then keep counting and the policy asks again later).
pub fn settle(
    home: &Home,
    config: &Config,
    job: &Job,
    covered: &[Scope],
    now_ms: u64,
) -> Result<String, String> {
    let mut triggers = Triggers::lock(home, job.client, &job.session_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            let path = crate::trigger_state::session_path(home, job.client, &job.session_id);
            format!("{} stayed locked", path.display())
        })?;
    triggers
        .open_bucket(home, &job.bucket)
        .map_err(|e| e.to_string())?;

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
    triggers.save().map_err(|e| e.to_string())?;
    Ok(name)
}
