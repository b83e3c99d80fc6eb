//! The one way a test skips: it says why on the terminal (past the test harness's
//! output capture, so a passing run still shows it), and under `CI` it fails
//! instead, because CI installs everything the suite needs (`.ci/run`).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Skips the calling test: prints `reason`, or panics with it when `CI` is set.
/// The caller returns right after.
#[track_caller]
pub fn skip_or_fail(reason: &str) {
    let at = std::panic::Location::caller();
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason} (at {at}): CI runs every test, see .ci/run"
    );
    // Straight to the process's stderr: `eprintln!` would be captured and hidden.
    let _ = writeln!(std::io::stderr(), "skipped ({at}): {reason}");
}

/// The path in environment variable `var`, or a skip (a failure under `CI`).
#[track_caller]
pub fn env_path(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            skip_or_fail(&format!("{var} is not set"));
            None
        }
    }
}

/// Whether `program --version` runs; when it does not, a skip (a failure under `CI`).
#[track_caller]
pub fn tool(program: &str) -> bool {
    let runs = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        skip_or_fail(&format!("`{program}` is not installed"));
    }
    runs
}

/// A real client for the end-to-end tests: the binary named by `var`
/// (`CSEP_E2E_CODEX`, `CSEP_E2E_CLAUDE`) and `python3` for the loopback model
/// mocks; without either, a skip (a failure under `CI`).
#[track_caller]
pub fn e2e_client(var: &str) -> Option<PathBuf> {
    let client = env_path(var)?;
    tool("python3").then_some(client)
}
