//! Running the user's `codex` binary for the plugin commands, with a deadline.

use std::ffi::OsStr;
use std::io::Read as _;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(super) const TIMEOUT: Duration = Duration::from_secs(60);

/// What went wrong running `codex`; `shown` is the command line as the user would type it.
#[derive(Debug, thiserror::Error)]
pub enum CodexCliError {
    #[error("{shown} could not start: {source}")]
    Start {
        shown: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{shown} timed out after {secs} s: {tail}")]
    TimedOut {
        shown: String,
        secs: f32,
        tail: String,
    },
    #[error("{shown} {source}: {tail}")]
    Wait {
        shown: String,
        #[source]
        source: std::io::Error,
        tail: String,
    },
    #[error("{shown} failed ({status}): {tail}")]
    Failed {
        shown: String,
        status: ExitStatus,
        tail: String,
    },
}

/// Why the wait for `codex` ended without its exit status.
enum Unfinished {
    TimedOut,
    Wait(std::io::Error),
}

/// Runs `codex <args>` with `CODEX_HOME` set. On failure, says what failed and the end
/// of what codex printed.
pub(super) fn run(
    codex: &Path,
    codex_home: &Path,
    args: &[&OsStr],
    timeout: Duration,
) -> Result<(), CodexCliError> {
    let shown = format!(
        "`codex {}`",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut cmd = Command::new(codex);
    // Its own process group, so that a timeout also stops what it started (the npm
    // `codex` is a node script that runs the native binary).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .args(args)
        .env("CODEX_HOME", codex_home)
        // codex reads stdin when it is an open pipe.
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| CodexCliError::Start {
            shown: shown.clone(),
            source,
        })?;
    let out = drain(&mut child, |c| c.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(&mut child, |c| c.stderr.take().map(|s| Box::new(s) as _));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                kill_group(&mut child);
                break Err(Unfinished::TimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(Unfinished::Wait(e)),
        }
    };
    // A grandchild that outlived the kill may hold the pipes open: do not wait for it.
    let collect =
        |rx: mpsc::Receiver<String>| rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    let stdout = collect(out);
    let stderr = collect(err);
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(status) => Err(CodexCliError::Failed {
            shown,
            status,
            tail: tail(if stderr.trim().is_empty() {
                &stdout
            } else {
                &stderr
            }),
        }),
        Err(Unfinished::TimedOut) => Err(CodexCliError::TimedOut {
            shown,
            secs: timeout.as_secs_f32(),
            tail: tail(&stderr),
        }),
        Err(Unfinished::Wait(source)) => Err(CodexCliError::Wait {
            shown,
            source,
            tail: tail(&stderr),
        }),
    }
}

type Stream = Box<dyn std::io::Read + Send>;

fn drain(
    child: &mut Child,
    take: impl FnOnce(&mut Child) -> Option<Stream>,
) -> mpsc::Receiver<String> {
    let stream = take(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = stream {
            let _ = s.read_to_end(&mut buf);
        }
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        // The group's id is the child's pid (process_group(0)); `kill` saves a libc binding.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last lines that say something: codex follows an error with a backtrace of
/// `<unknown>` frames and may print unrelated warnings.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("WARNING:")
                && !l.starts_with("Stack backtrace")
                && l.split_once(':')
                    .is_none_or(|(n, _)| n.parse::<u32>().is_err())
                && !l.starts_with("at ")
        })
        .collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    if tail.is_empty() {
        "(no output)".into()
    } else if tail.chars().count() > 400 {
        let skip = tail.chars().count() - 400;
        format!("…{}", tail.chars().skip(skip).collect::<String>())
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::tail;

    #[test]
    fn the_tail_skips_backtraces_and_warnings() {
        let stderr = "WARNING: proceeding, even though…\nError: marketplace 'csep-local' is \
                      already added from a different source\n\nStack backtrace:\n   0: <unknown>\n   1: <unknown>\n";
        assert_eq!(
            tail(stderr),
            "Error: marketplace 'csep-local' is already added from a different source"
        );
        assert_eq!(tail(""), "(no output)");
    }
}
