//! The `codex-exec` provider: runs `codex exec` with the prompt on stdin, for
//! users whose model access is a Codex login rather than an API key.

use std::fs;
use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::http::MAX_BODY_BYTES;
use super::{Message, ProviderConfig, ProviderError};
use crate::model::LlmResponse;

/// Marks everything the reflection worker runs, so csep's own hooks in the
/// child Codex session skip it instead of reflecting on the reflection.
const CHILD_MARKER: (&str, &str) = ("CSEP_REFLECTION_CHILD", "1");
const POLL: Duration = Duration::from_millis(20);
const STDERR_EXCERPT_CHARS: usize = 300;

#[derive(Debug)]
pub(crate) struct CodexExec {
    bin: String,
    args: Vec<String>,
    model: Option<String>,
    timeout: Duration,
}

impl CodexExec {
    pub(crate) fn new(config: &ProviderConfig) -> Self {
        Self {
            bin: config.codex_bin.clone(),
            args: config.codex_args.clone(),
            model: config.model.clone(),
            timeout: Duration::from_millis(config.timeout_ms),
        }
    }

    pub(crate) fn describe(&self) -> String {
        let model = self.model.as_deref().unwrap_or("(codex default model)");
        format!("codex-exec {model} via {}", self.bin)
    }

    /// Codex reports no token counts here and has no output cap: usage is 0
    /// and `max_output_tokens` is not enforced.
    pub(crate) fn complete(&self, messages: &[Message]) -> Result<LlmResponse, ProviderError> {
        let codex_error = |what: &str, source: io::Error| ProviderError::CodexIo {
            what: what.to_string(),
            source,
        };
        // Run in an empty directory: no repository instructions get loaded, and
        // the last-message file has a private home.
        let dir = tempfile::Builder::new()
            .prefix(crate::recall::REFLECTION_DIR_PREFIX)
            .tempdir()
            .map_err(|e| codex_error("creating a temp dir", e))?;
        let last_message = dir.path().join("last-message.txt");
        let mut command = Command::new(&self.bin);
        // `--ephemeral`: the run leaves no session under `$CODEX_HOME/sessions`, so
        // it never shows in the user's history or resume list. Read-only: the
        // answer comes back as the last message; the run itself writes nothing.
        command
            .args(["exec", "--skip-git-repo-check", "--output-last-message"])
            .arg(&last_message)
            .args(["--ephemeral", "--sandbox", "read-only"]);
        if let Some(model) = &self.model {
            command.args(["--model", model]);
        }
        command
            .args(&self.args)
            .arg("-")
            .current_dir(dir.path())
            .env(CHILD_MARKER.0, CHILD_MARKER.1)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            // Its own process group, so a timeout also ends whatever codex started.
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command.spawn().map_err(|e| {
            codex_error(
                &format!("cannot run `{}` (set [provider] codex_bin)", self.bin),
                e,
            )
        })?;

        let prompt = render(messages);
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // A child that exits without reading makes this fail; its status says why.
        let writer = thread::spawn(move || {
            let _ = stdin.write_all(prompt.as_bytes());
        });
        let stdout = capture(child.stdout.take().expect("stdout is piped"));
        let stderr = capture(child.stderr.take().expect("stderr is piped"));

        let status = match wait_until(&mut child, Instant::now() + self.timeout) {
            Ok(Some(status)) => status,
            Ok(None) => {
                kill(&mut child);
                // The reader threads are left behind: a grandchild that escaped the
                // group could hold the pipes open forever.
                return Err(ProviderError::CodexTimeout {
                    ms: self.timeout.as_millis() as u64,
                });
            }
            Err(e) => {
                kill(&mut child);
                return Err(codex_error("waiting for codex", e));
            }
        };
        let _ = writer.join();
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        if !status.success() {
            let stderr = tail(&stderr);
            let detail = if stderr.is_empty() {
                String::new()
            } else {
                format!(": {stderr}")
            };
            return Err(ProviderError::Codex(format!(
                "codex exited with {status}{detail}"
            )));
        }
        let text = match fs::read(&last_message) {
            Ok(bytes) if !bytes.is_empty() => bytes,
            _ => stdout,
        };
        Ok(LlmResponse {
            text: String::from_utf8_lossy(&text).trim_end().to_string(),
            model: self.model.clone().unwrap_or_else(|| "codex".into()),
            input_tokens: 0,
            output_tokens: 0,
            truncated: false,
        })
    }
}

/// All messages as one text, each under a `[role]` header.
fn render(messages: &[Message]) -> String {
    let mut prompt = String::new();
    for m in messages {
        if !prompt.is_empty() {
            prompt.push_str("\n\n");
        }
        prompt.push('[');
        prompt.push_str(m.role.as_str());
        prompt.push_str("]\n");
        prompt.push_str(&m.content);
    }
    prompt
}

/// Reads a pipe to its end on a thread, keeping the first `MAX_BODY_BYTES`
/// and discarding the rest so the child never blocks on a full pipe.
fn capture(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = (&mut pipe)
            .take(MAX_BODY_BYTES as u64)
            .read_to_end(&mut kept);
        let _ = io::copy(&mut pipe, &mut io::sink());
        kept
    })
}

fn wait_until(child: &mut Child, deadline: Instant) -> io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(POLL);
    }
}

fn kill(child: &mut Child) {
    #[cfg(unix)]
    {
        let pid = rustix::process::Pid::from_child(child);
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(STDERR_EXCERPT_CHARS);
    let tail: String = text.chars().skip(skip).collect();
    crate::redact::redact(&tail).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Role;

    #[test]
    fn render_puts_each_message_under_its_role() {
        let text = render(&[
            Message {
                role: Role::System,
                content: "be brief".into(),
            },
            Message {
                role: Role::User,
                content: "hi".into(),
            },
        ]);
        assert_eq!(text, "[system]\nbe brief\n\n[user]\nhi");
    }
}
