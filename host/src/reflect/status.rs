//! What `csep session-reflect --status` and `csep status` show of the worker:
//! every job with its status and reason, the newest outcome, today's model usage.

use std::collections::BTreeMap;

use serde::Serialize;

use super::budget::{DailyBudget, Usage};
use super::retention::{self, StateSize};
use crate::config::Config;
use crate::home::Home;
use crate::jobs::{JobError, JobQueue, Status};
use crate::timefmt::now_ms;

#[derive(Debug, Serialize)]
pub struct JobLine {
    pub job_id: String,
    pub status: Status,
    pub session_id: String,
    pub bucket: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub attempts: u32,
    /// A `running` job whose worker is gone (it is taken over by the next worker).
    pub orphaned: bool,
    /// A `running` job whose live worker is past its lease (`reflection.lease_minutes`):
    /// stuck, or a very slow model.
    pub overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct ReflectionStatus {
    pub jobs_dir: std::path::PathBuf,
    pub counts: BTreeMap<&'static str, usize>,
    /// Newest first.
    pub jobs: Vec<JobLine>,
    /// Job files that do not parse, with why.
    pub unreadable: Vec<String>,
    pub latest: Option<serde_json::Value>,
    pub usage_today: Usage,
    pub max_calls_per_day: u32,
    pub max_tokens_per_day: u64,
    /// The state folder's size by part (runs, jobs, recall, cache, logs,
    /// projects, triggers, other) and in total.
    pub state_size: StateSize,
}

pub fn collect(home: &Home, config: &Config) -> Result<ReflectionStatus, JobError> {
    let jobs_dir = JobQueue::jobs_path(home);
    let queue = JobQueue::open_existing(home)?;
    let mut counts = BTreeMap::new();
    let mut jobs = Vec::new();
    let mut unreadable = Vec::new();
    let listed = queue.as_ref().map(JobQueue::list).unwrap_or_default();
    for job in listed {
        match job {
            Ok(j) => {
                *counts.entry(j.status.name()).or_insert(0) += 1;
                let held = queue.as_ref().is_some_and(|q| q.is_claimed(&j.job_id));
                let orphaned = j.status == Status::Running && !held;
                let overdue = j.status == Status::Running
                    && held
                    && j.lease_until_ms.is_some_and(|until| until < now_ms());
                jobs.push(JobLine {
                    orphaned,
                    overdue,
                    job_id: j.job_id,
                    status: j.status,
                    session_id: j.session_id,
                    bucket: j.bucket,
                    created_at: j.created_at,
                    finished_at: j.finished_at,
                    attempts: j.attempts,
                    reason: j.reason,
                    outcome: j.outcome,
                    receipt: j.receipt,
                });
            }
            Err(e) => unreadable.push(e.to_string()),
        }
    }
    jobs.reverse();
    let latest = std::fs::read(jobs_dir.with_file_name("latest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let r = &config.reflection;
    let usage_today = DailyBudget::peek(home, now_ms());
    Ok(ReflectionStatus {
        jobs_dir,
        counts,
        jobs,
        unreadable,
        latest,
        usage_today,
        max_calls_per_day: r.max_calls_per_day,
        max_tokens_per_day: r.max_tokens_per_day,
        state_size: retention::state_size(home),
    })
}

/// Job counts in words: `2 succeeded, 1 failed`, or `no jobs yet`.
pub fn counts_text(counts: &BTreeMap<&'static str, usize>) -> String {
    if counts.is_empty() {
        return "no jobs yet".to_string();
    }
    let listed: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    listed.join(", ")
}

impl std::fmt::Display for ReflectionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "jobs in {}", self.jobs_dir.display())?;
        writeln!(f, "  {}", counts_text(&self.counts))?;
        writeln!(
            f,
            "model usage today: {} of {} calls, {} of {} tokens",
            self.usage_today.calls,
            self.max_calls_per_day,
            self.usage_today.tokens(),
            self.max_tokens_per_day
        )?;
        for j in &self.jobs {
            let note = if j.overdue {
                " (past its lease: stuck or a slow model)"
            } else if j.orphaned {
                " (worker gone; taken over next)"
            } else {
                ""
            };
            writeln!(f, "{}  {}{}  {}", j.job_id, j.status.name(), note, j.bucket)?;
            for line in [j.reason.as_deref(), j.outcome.as_deref()]
                .into_iter()
                .flatten()
            {
                writeln!(f, "    {line}")?;
            }
        }
        for u in &self.unreadable {
            writeln!(f, "unreadable: {u}")?;
        }
        Ok(())
    }
}
