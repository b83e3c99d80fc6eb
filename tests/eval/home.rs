//! One state home and repository for a run: the folders, the environment every
//! `csep` call gets, and the hook and worker calls of the real binary.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Longest a single `csep` call may take.
const CALL_LIMIT: Duration = Duration::from_secs(60);

pub struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    /// A fresh home whose compiled-guest cache is seeded from `cache` (hard links
    /// or copies), so each run does not compile the guests again.
    pub fn new(cache: Option<&Path>) -> Home {
        let dir = tempfile::tempdir().unwrap();
        for d in [
            "state",
            "repo/.git",
            "repo/src",
            "codex/skills",
            "claude/skills",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let h = Home {
            dir,
            env: Vec::new(),
        };
        if let Some(cache) = cache {
            seed(cache, &h.path("state/cache/wasm"));
        }
        h
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        std::fs::canonicalize(self.dir.path()).unwrap().join(rel)
    }

    pub fn set(&mut self, var: &str, value: &str) {
        self.env.push((var.into(), value.into()));
    }

    /// `csep` with this home's environment and nothing of the caller's but `PATH`.
    pub fn csep(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_csep"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CODEX_SELF_EVOLUTION_HOME", self.path("state"))
            .env("CODEX_HOME", self.path("codex"))
            .env("CLAUDE_CONFIG_DIR", self.path("claude"))
            .env("HOME", self.path(""))
            .env("CSEP__REFLECTION__START_WORKER", "false")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.path("repo"));
        cmd
    }

    /// Runs `cmd` with `stdin`, killed after [`CALL_LIMIT`] so a hung call fails
    /// the run instead of the whole evaluation.
    fn run(&self, mut cmd: Command, stdin: Option<&str>) -> Result<Output, String> {
        use std::io::{Read, Write};
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("starting csep: {e}"))?;
        let mut pipe = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            let _ = pipe.write_all(s.as_bytes());
        }
        drop(pipe);
        let drain = |mut r: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut b = Vec::new();
                let _ = r.read_to_end(&mut b);
                b
            })
        };
        let out = drain(Box::new(child.stdout.take().unwrap()));
        let err = drain(Box::new(child.stderr.take().unwrap()));
        let started = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                break st;
            }
            if started.elapsed() > CALL_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{cmd:?} ran over {} s", CALL_LIMIT.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Ok(Output {
            status,
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        })
    }

    pub fn memory_dir(&self) -> PathBuf {
        let bucket = csep::bucket::slug(&self.path("repo"));
        self.path(&format!("state/projects/{bucket}/memory"))
    }

    pub fn memory(&self) -> String {
        std::fs::read_to_string(self.memory_dir().join("MEMORY.md")).unwrap_or_default()
    }

    /// The Stop hook for `id` with extra environment; returns the job it queued.
    pub fn stop(
        &self,
        id: &str,
        transcript: &Path,
        env: &[(&str, &str)],
    ) -> Result<Option<Value>, String> {
        let before: Vec<String> = self.jobs().iter().map(job_id).collect();
        let payload = json!({"session_id": id, "turn_id": "t1",
            "transcript_path": transcript, "cwd": self.path("repo"),
            "hook_event_name": "Stop", "model": "gpt-5.3-codex",
            "permission_mode": "default", "stop_hook_active": false,
            "last_assistant_message": "done"});
        let mut cmd = self.csep();
        cmd.envs(env.iter().copied()).arg("session-stop");
        let out = self.run(cmd, Some(&payload.to_string()))?;
        if out.status.code() != Some(0) {
            return Err(format!("session-stop: {out:?}"));
        }
        Ok(self
            .jobs()
            .into_iter()
            .find(|j| j["session_id"] == id && !before.contains(&job_id(j))))
    }

    /// `csep session-reflect --job ID --json`: the job as it ended.
    pub fn reflect(&self, job: &str) -> Result<Value, String> {
        let mut cmd = self.csep();
        cmd.args(["session-reflect", "--json", "--job", job]);
        let out = self.run(cmd, None)?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("session-reflect output: {e}"))
    }

    /// The context SessionStart injects for the repository ("" when none).
    pub fn session_start(&self, id: &str) -> String {
        let payload = json!({"session_id": id, "cwd": self.path("repo"),
            "hook_event_name": "SessionStart", "source": "startup"});
        let mut cmd = self.csep();
        cmd.arg("session-start");
        let Ok(out) = self.run(cmd, Some(&payload.to_string())) else {
            return String::new();
        };
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        v["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn jobs(&self) -> Vec<Value> {
        let Ok(dir) = std::fs::read_dir(self.path("state/session_reflection/jobs")) else {
            return Vec::new();
        };
        dir.filter_map(|e| {
            let p = e.ok()?.path();
            if p.extension()? != "json" || p.file_name()? == "latest.json" {
                return None;
            }
            serde_json::from_slice(&std::fs::read(p).ok()?).ok()
        })
        .collect()
    }
}

fn job_id(j: &Value) -> String {
    j["job_id"].as_str().unwrap_or("").to_string()
}

/// Mirrors the folder tree `from` into `to`, hard-linking files (copying when a link
/// cannot be made), with private folders as the cache expects.
fn seed(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    for e in entries.flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            seed(&src, &dst);
        } else if std::fs::hard_link(&src, &dst).is_err() {
            let _ = std::fs::copy(&src, &dst);
        }
    }
}
