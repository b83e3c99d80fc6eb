//! Hook timings and recent failures, from `logs/hooks.jsonl`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::home::Home;

/// Hook runs looked at for timings and recent errors.
const RECENT_RUNS: usize = 100;
/// Recent errors and problems listed per hook.
const LISTED: usize = 5;

#[derive(Debug, Serialize)]
pub struct HookLog {
    #[serde(rename = "session-start")]
    pub session_start: HookRuns,
    #[serde(rename = "session-stop")]
    pub session_stop: HookRuns,
    pub log: PathBuf,
}

#[derive(Debug, Default, Serialize)]
pub struct HookRuns {
    /// Runs looked at (the last 100 at most).
    pub runs: usize,
    /// `None` until the hook has run.
    pub median_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub failures: usize,
    /// Newest first.
    pub recent_errors: Vec<LoggedRun>,
    /// Runs that carried on past a problem (a broken config, a damaged index), newest first.
    pub recent_problems: Vec<LoggedRun>,
    pub last: Option<LoggedRun>,
}

/// One line of the hook log, as much of it as the report shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoggedRun {
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub hook: String,
    #[serde(default)]
    pub ms: Option<f64>,
    #[serde(default)]
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}

pub(super) fn collect(home: &Home) -> HookLog {
    let path = home.logs_dir().join("hooks.jsonl");
    let records: Vec<LoggedRun> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    HookLog {
        session_start: runs(&records, "session-start"),
        session_stop: runs(&records, "session-stop"),
        log: path,
    }
}

fn runs(records: &[LoggedRun], hook: &str) -> HookRuns {
    let runs: Vec<&LoggedRun> = records
        .iter()
        .filter(|r| r.hook == hook)
        .rev()
        .take(RECENT_RUNS)
        .collect();
    let mut ms: Vec<f64> = runs.iter().filter_map(|r| r.ms).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms.get(((ms.len().max(1) - 1) as f64 * q) as usize).copied();
    HookRuns {
        runs: runs.len(),
        median_ms: at(0.5),
        p95_ms: at(0.95),
        failures: runs.iter().filter(|r| !r.ok).count(),
        recent_errors: runs
            .iter()
            .filter(|r| !r.ok)
            .take(LISTED)
            .map(|r| (*r).clone())
            .collect(),
        recent_problems: runs
            .iter()
            .filter(|r| !r.problems.is_empty())
            .take(LISTED)
            .map(|r| (*r).clone())
            .collect(),
        last: runs.first().map(|r| (*r).clone()),
    }
}
