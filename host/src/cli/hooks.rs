//! The hook commands. Fail-open lives here, once: whatever goes wrong (no payload,
//! bad JSON, an unreadable state folder, a panic), the hook prints valid output for
//! the client, exits 0, and records the problem in the hook log.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use csep::home::Home;
use csep::hooks::{self, HookRecord, MAX_PAYLOAD_BYTES};
use csep::timefmt::{now_ms, rfc3339};

#[derive(Args, Default)]
pub struct HookArgs {
    /// Read the client's JSON payload from stdin (the default; kept for hook
    /// declarations written for the original tool).
    #[arg(long)]
    from_stdin: bool,
    /// The folder to use when the payload names none.
    #[arg(long, value_name = "DIR", value_parser = crate::cli::path_or_empty())]
    cwd: Option<PathBuf>,
}

/// Reads at most `MAX_PAYLOAD_BYTES` of stdin, then drains (bounded) the rest so the
/// client never blocks writing to a hook that stopped reading. A terminal is no payload.
fn read_stdin() -> (Vec<u8>, bool) {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return (Vec::new(), false);
    }
    let mut buf = Vec::new();
    let mut handle = stdin.lock();
    let _ = (&mut handle)
        .take(MAX_PAYLOAD_BYTES as u64 + 1)
        .read_to_end(&mut buf);
    let truncated = buf.len() > MAX_PAYLOAD_BYTES;
    if truncated {
        let _ = std::io::copy(&mut (&mut handle).take(256 << 20), &mut std::io::sink());
    }
    (buf, truncated)
}

pub fn session_start(args: HookArgs, home_flag: Option<&Path>) -> ExitCode {
    let _ = args.from_stdin;
    let original_bucket = home_flag.and_then(bucket_given_as_home);
    let (home_flag, bucket) = match &original_bucket {
        Some((home, bucket)) => (Some(home.as_path()), Some(bucket.as_str())),
        None => (home_flag, None),
    };
    run_hook("session-start", home_flag, |home, stdin, truncated| {
        let flags = hooks::StartFlags {
            cwd: args.cwd.as_deref().filter(|c| !c.as_os_str().is_empty()),
            bucket,
        };
        hooks::session_start(home, stdin, truncated, flags)
            .map(|run| (run.stdout, run.record))
            .map_err(anyhow::Error::from)
    })
}

/// The original tool's `session-start --state-dir DIR` named the bucket itself
/// (`<home>/projects/<bucket>`), where every other command names the state folder.
/// A folder in a `projects/` folder that holds no `projects/` of its own is read
/// that way: its state folder and its bucket's name.
fn bucket_given_as_home(dir: &Path) -> Option<(PathBuf, String)> {
    let dir = Home::at(dir).root().to_path_buf();
    let projects = dir.parent()?;
    if projects.file_name()? != "projects" || dir.join("projects").is_dir() {
        return None;
    }
    let bucket = dir.file_name()?.to_str()?.to_string();
    Some((projects.parent()?.to_path_buf(), bucket))
}

/// The Stop hook prints nothing: for Codex, any plain text on a Stop hook's stdout
/// is a failure, and a `block` decision would make the agent go on.
pub fn session_stop(args: HookArgs, home_flag: Option<&Path>) -> ExitCode {
    let _ = (args.from_stdin, args.cwd);
    run_hook("session-stop", home_flag, |home, stdin, truncated| {
        hooks::session_stop(home, stdin, truncated, now_ms())
            .map(|record| (String::new(), record))
            .map_err(anyhow::Error::from)
    })
}

/// Reads the payload, runs `work` behind `catch_unwind`, prints its output (or
/// nothing), logs the run with its time, and exits 0 whatever happened.
fn run_hook(
    hook: &'static str,
    home_flag: Option<&Path>,
    work: impl FnOnce(&Home, &[u8], bool) -> anyhow::Result<(String, HookRecord)>,
) -> ExitCode {
    let started = Instant::now();
    let (stdin, truncated) = read_stdin();
    let home = Home::resolve(home_flag);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let home = home.as_ref().map_err(|e| *e)?;
        work(home, &stdin, truncated)
    }));
    let (stdout, mut record) = match outcome {
        Ok(Ok(run)) => run,
        Ok(Err(error)) => (String::new(), failed(hook, error.to_string())),
        Err(_) => (String::new(), failed(hook, "panicked".to_string())),
    };
    // An empty stdout is a success with no effect for both clients.
    if !stdout.is_empty() {
        println!("{stdout}");
    }
    record.at = rfc3339(now_ms());
    record.ms = (started.elapsed().as_secs_f64() * 1e5).round() / 100.0;
    if let Ok(home) = &home {
        let _ = hooks::append_log(&home.logs_dir(), &record);
    }
    ExitCode::SUCCESS
}

fn failed(hook: &'static str, error: String) -> HookRecord {
    HookRecord {
        hook,
        ok: false,
        error: Some(error),
        ..HookRecord::default()
    }
}
