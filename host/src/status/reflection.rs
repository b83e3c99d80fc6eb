//! The reflection worker's side of the report, from the same job listing as
//! `csep session-reflect --status`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::Config;
use crate::home::Home;
use crate::jobs::Status;
use crate::reflect::budget::Usage;
use crate::reflect::retention::StateSize;
use crate::reflect::status::{self, JobLine};

/// Jobs looked at for recent failures and the last receipt.
const RECENT_JOBS: usize = 20;

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Reflection {
    Read(Box<ReflectionSummary>),
    Unreadable { error: String },
}

#[derive(Debug, Serialize)]
pub struct ReflectionSummary {
    pub jobs_dir: PathBuf,
    pub counts: BTreeMap<&'static str, usize>,
    pub failed_recent: Vec<JobLine>,
    pub latest: Option<serde_json::Value>,
    pub usage_today: Usage,
    pub max_calls_per_day: u32,
    pub max_tokens_per_day: u64,
    pub unreadable_jobs: Vec<String>,
    pub state_size: StateSize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_receipt: Option<PathBuf>,
}

pub(super) fn collect(home: &Home, config: &Config) -> Reflection {
    match status::collect(home, config) {
        Ok(s) => {
            let recent = s.jobs.into_iter().take(RECENT_JOBS);
            let mut last_receipt = None;
            let mut failed_recent = Vec::new();
            for job in recent {
                if last_receipt.is_none() {
                    last_receipt.clone_from(&job.receipt);
                }
                if job.status == Status::Failed {
                    failed_recent.push(job);
                }
            }
            Reflection::Read(Box::new(ReflectionSummary {
                jobs_dir: s.jobs_dir,
                counts: s.counts,
                failed_recent,
                latest: s.latest,
                usage_today: s.usage_today,
                max_calls_per_day: s.max_calls_per_day,
                max_tokens_per_day: s.max_tokens_per_day,
                unreadable_jobs: s.unreadable,
                state_size: s.state_size,
                last_receipt,
            }))
        }
        Err(e) => Reflection::Unreadable {
            error: e.to_string(),
        },
    }
}
