//! The lifecycle hooks the clients run. Each returns what to print; the CLI prints
//! it, logs the run and exits 0 whatever happened (fail-open lives there, once).

mod archive;
mod client;
mod log;
pub mod memory;
pub mod payload;
mod stop;

pub use stop::session_stop;

pub use log::{HookRecord, append as append_log};
pub use payload::{HookPayload, MAX_PAYLOAD_BYTES, PayloadError};

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::bucket::Bucket;
use crate::config::Config;
use crate::fs_authority;
use crate::home::Home;
use crate::jobs::JobError;
use crate::path_error::PathError;
use crate::policy_runner::PolicyError;
use crate::recall::IngestError;

/// The line every SessionStart adds, so the agent knows recall exists.
const RECALL_HINT: &str = "Past sessions of this repository are searchable: run `csep recall \
\"needle1|needle2\"` (file names, commands, error text, the user's own words) and \
`csep recall show SESSION_ID` to read one.";

/// The line SessionStart adds when `config.toml` is broken.
fn broken_config_line(path: &Path) -> String {
    format!(
        "Note: csep's config ({}) is broken, so csep runs on its defaults for now; \
         run `csep config validate` to see what to fix.",
        path.display()
    )
}

/// The config a hook runs on, and the problem to log when the file is broken.
pub(crate) fn hook_config(home: &Home) -> (Config, Option<String>) {
    let path = home.config_path();
    let (config, problem) = Config::load_or_defaults(&path);
    let problem = problem.map(|e| {
        format!("config: {e}; running on the defaults for what is broken (csep config validate)")
    });
    (config, problem)
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("recall: {0}")]
    Recall(#[source] IngestError),
    #[error("trigger policy: {0}")]
    Policy(#[source] PolicyError),
    #[error("reflection job: {0}{hint}", hint = job_fault_hint(.0))]
    Job(#[source] JobError),
    #[error("{0}{hint}", hint = fault_hint(.0))]
    Io(#[from] PathError),
    #[error("reading the memory of bucket {bucket}: {source}")]
    Memory {
        bucket: String,
        #[source]
        source: std::io::Error,
    },
}

/// "; <the fault and its fix>" for an I/O error with a known fix.
fn fault_hint(e: &PathError) -> String {
    e.fault_fix().map(|f| format!("; {f}")).unwrap_or_default()
}

fn job_fault_hint(e: &JobError) -> String {
    match e {
        JobError::Io(e) => fault_hint(e),
        _ => String::new(),
    }
}

/// What a SessionStart run produced.
pub struct SessionStart {
    pub stdout: String,
    pub record: HookRecord,
}

/// What the SessionStart command line adds to the payload.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartFlags<'a> {
    /// Stands in for a payload without `cwd`.
    pub cwd: Option<&'a Path>,
    /// A bucket named on the command line, used whatever the folder: the original
    /// tool's `session-start --state-dir` named the bucket itself.
    pub bucket: Option<&'a str>,
}

/// Builds the SessionStart output: the bucket's memory within its budget, and the
/// recall hint.
pub fn session_start(
    home: &Home,
    stdin: &[u8],
    truncated: bool,
    flags: StartFlags<'_>,
) -> Result<SessionStart, HookError> {
    let payload = HookPayload::parse(stdin, truncated)?;
    let (config, config_problem) = hook_config(home);
    let cwd: PathBuf = match (payload.cwd.as_deref(), flags.cwd) {
        (Some(c), _) => PathBuf::from(c),
        (None, Some(c)) => c.to_path_buf(),
        (None, None) => std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
    };
    let bucket = match flags.bucket {
        Some(id) => Bucket::named(id, &cwd),
        None => Bucket::resolve(&cwd),
    };
    let memory_path = home.memory_dir(&bucket.id).join("MEMORY.md");
    let text = match fs_authority::open_dir(&home.projects())
        .and_then(|projects| projects.open_dir(&bucket.id))
    {
        Ok(dir) => memory::read(&dir).map_err(|source| HookError::Memory {
            bucket: bucket.id.clone(),
            source,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(HookError::Memory {
                bucket: bucket.id.clone(),
                source,
            });
        }
    };
    let loaded = memory::prepare(
        &text,
        config.session_start.memory_budget_chars,
        &memory_path,
    );
    let body = if loaded.text.is_empty() {
        "No memory for this repository yet.".to_string()
    } else {
        loaded.text.clone()
    };
    let mut context = format!("# Repository memory (csep)\n\n{body}");
    // With recall off, `csep recall` answers that it is off: no point offering it.
    if config.recall.enabled {
        context.push_str("\n\n");
        context.push_str(RECALL_HINT);
    }
    if config_problem.is_some() {
        context.push_str("\n\n");
        context.push_str(&broken_config_line(&home.config_path()));
    }
    let stdout = json!({
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": context,
        }
    })
    .to_string();
    Ok(SessionStart {
        stdout,
        record: HookRecord {
            hook: "session-start",
            ok: true,
            session_id: payload.session_id,
            bucket: Some(bucket.id),
            withheld: loaded.withheld,
            injected_chars: Some(context.chars().count()),
            problems: config_problem.into_iter().collect(),
            ..HookRecord::default()
        },
    })
}
