//! The reflection worker: claims a queued job, gives the strategy component a
//! staging copy of the repo's memory and generated skills, commits only what the
//! host's rules accept, writes the receipt, and settles the policy's counters.

pub mod apply;
pub mod budget;
pub mod evidence;
pub mod history;
pub mod job_host;
pub mod material;
pub mod provider_setup;
pub mod receipt;
pub mod rehearse;
pub mod retention;
pub mod settle;
pub mod spawn;
pub mod status;
pub mod strategy_runner;
pub mod worker;

/// Environment markers the worker sets for anything it runs, so csep's own hooks
/// in a child session (a `codex exec` provider) neither archive nor reflect it.
pub const CHILD_ENV: &[&str] = &["CSEP_REFLECTION_CHILD", "CSEP_REFLECTION_JOB_ID"];
