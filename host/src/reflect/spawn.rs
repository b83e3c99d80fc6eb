//! Starts `csep session-reflect --and-pending --job ID` detached: its own process group, no
//! stdin/stdout/stderr, not waited for. The hook that starts it exits at once.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::CHILD_ENV;
use crate::home::Home;

/// Returns the worker's pid.
pub fn worker(home: &Home, job_id: &str) -> io::Result<u32> {
    let exe = std::env::current_exe()?;
    let child = Command::new(exe)
        .arg("--home")
        .arg(home.root())
        .args(["session-reflect", "--and-pending", "--job", job_id])
        // Anything the worker runs (a `codex exec` provider) is marked as its own,
        // so csep's hooks in that child session neither archive nor reflect it.
        .env(CHILD_ENV[0], "1")
        .env(CHILD_ENV[1], job_id)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(child.id())
}
