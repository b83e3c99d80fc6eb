//! A temporary machine: a state folder, a repository, Codex and Claude Code folders,
//! and sessions written in Codex 0.169's and Claude Code 2.1.332's formats. Every
//! `csep` a test runs gets this machine's folders, never the user's own.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::{Value, json};

pub struct World {
    dir: tempfile::TempDir,
    /// Extra environment for every command (config overrides).
    pub env: Vec<(String, String)>,
}

/// One step of a session.
pub enum Turn<'a> {
    User(&'a str),
    Assistant(&'a str),
    Shell {
        cmd: &'a str,
        exit: i32,
    },
    /// A shell command with the output it printed.
    ShellOutput {
        cmd: &'a str,
        exit: i32,
        output: &'a str,
    },
}

impl World {
    /// `state/`, a repository `repo/` (with `src/`), and the Codex and Claude Code
    /// homes with their session folders.
    pub fn new() -> World {
        let w = World {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        };
        for d in [
            "state",
            "repo/.git",
            "repo/src",
            "codex/sessions",
            "codex/skills",
            "claude/projects",
        ] {
            w.mkdir(d);
        }
        w
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        std::fs::canonicalize(self.dir.path()).unwrap().join(rel)
    }

    /// Creates folder `rel` (and its parents); returns its path.
    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// Makes `name/` a linked worktree of `repo/`, as `git worktree add` leaves it.
    pub fn linked_worktree(&self, name: &str) -> PathBuf {
        let admin = self.mkdir(&format!("repo/.git/worktrees/{name}"));
        let wt = self.mkdir(name);
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", admin.display())).unwrap();
        std::fs::write(admin.join("commondir"), "../..\n").unwrap();
        wt
    }

    pub fn set(&mut self, var: &str, value: &str) {
        self.env.push((var.into(), value.into()));
    }

    /// The environment every command gets: this world's folders and overrides.
    pub fn envs(&self) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "CODEX_SELF_EVOLUTION_HOME".to_string(),
                self.path("state").display().to_string(),
            ),
            (
                "CODEX_HOME".to_string(),
                self.path("codex").display().to_string(),
            ),
            (
                "CLAUDE_CONFIG_DIR".to_string(),
                self.path("claude").display().to_string(),
            ),
            ("HOME".to_string(), self.path("").display().to_string()),
        ];
        env.extend(self.env.iter().cloned());
        env
    }

    /// `csep` in `repo/` with this world's environment, for processes a test
    /// starts, feeds and waits for itself. Colour settings of the caller's
    /// terminal are not passed on.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_csep"));
        cmd.env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .envs(self.envs())
            .current_dir(self.path("repo"));
        cmd
    }

    /// [`World::command`] with `assert_cmd`'s stdin and assertions.
    pub fn csep(&self) -> Command {
        Command::from_std(self.command())
    }

    /// `csep ARGS`, whatever it exits with.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().unwrap()
    }

    /// `csep ARGS`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "csep {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// `csep ARGS --json`, which must succeed; its report.
    pub fn json_ok(&self, args: &[&str]) -> Value {
        let out = self.csep().args(args).arg("--json").output().unwrap();
        assert!(
            out.status.success(),
            "csep {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// The bucket of `repo/`, by the library's own rule.
    pub fn bucket(&self) -> String {
        super::bucket_of(&self.path("repo"))
    }

    pub fn memory_dir(&self) -> PathBuf {
        self.path(&format!("state/projects/{}/memory", self.bucket()))
    }

    pub fn write_memory(&self, text: &str) -> PathBuf {
        std::fs::create_dir_all(self.memory_dir()).unwrap();
        let f = self.memory_dir().join("MEMORY.md");
        std::fs::write(&f, text).unwrap();
        f
    }

    pub fn memory(&self) -> String {
        std::fs::read_to_string(self.memory_dir().join("MEMORY.md")).unwrap_or_default()
    }

    /// Writes `text` as the Codex rollout of session `id`, where Codex keeps them.
    pub fn write_rollout(&self, id: &str, text: &str) -> PathBuf {
        let dir = self.mkdir("codex/sessions/2025/11/24");
        let path = dir.join(format!("rollout-2025-11-24T16-00-00-{id}.jsonl"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes a Codex rollout of `turns` for session `id` in `repo/`.
    pub fn rollout(&self, id: &str, turns: &[Turn]) -> PathBuf {
        let ts = |i: usize| format!("2026-11-25T10:00:{:02}.000Z", i % 60);
        let mut lines = vec![json!({"timestamp": ts(0), "type": "session_meta",
            "payload": {"id": id, "cwd": self.path("repo"), "cli_version": "0.169.0"}})];
        for (i, t) in turns.iter().enumerate() {
            let at = ts(i + 1);
            match t {
                Turn::User(text) => lines.push(json!({"timestamp": at, "type": "response_item",
                    "payload": {"type": "message", "role": "user",
                        "content": [{"type": "input_text", "text": text}]}})),
                Turn::Assistant(text) => {
                    lines.push(json!({"timestamp": at, "type": "response_item",
                    "payload": {"type": "message", "role": "assistant",
                        "content": [{"type": "output_text", "text": text}]}}))
                }
                Turn::Shell { cmd, exit } | Turn::ShellOutput { cmd, exit, .. } => {
                    let output = match t {
                        Turn::ShellOutput { output, .. } => output,
                        _ => "ok",
                    };
                    let call = format!("call_{i}");
                    lines.push(json!({"timestamp": at, "type": "response_item",
                        "payload": {"type": "function_call", "name": "exec_command",
                            "arguments": json!({"cmd": cmd}).to_string(), "call_id": call}}));
                    lines.push(json!({"timestamp": at, "type": "response_item",
                        "payload": {"type": "function_call_output", "call_id": call,
                            "output": format!("Process exited with code {exit}\nOutput:\n{output}\n")}}));
                }
            }
        }
        let dir = self.path("codex/sessions/2026/11/25");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("rollout-2026-11-25T10-00-00-{id}.jsonl"));
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes a Claude Code transcript of `turns` (user and assistant text) for `id`.
    pub fn claude_transcript(&self, id: &str, turns: &[Turn]) -> PathBuf {
        let cwd = self.path("repo");
        let mut lines = Vec::new();
        for (i, t) in turns.iter().enumerate() {
            let at = format!("2026-11-25T11:00:{:02}.000Z", i % 60);
            let (kind, message) = match t {
                Turn::User(text) => ("user", json!({"role": "user", "content": text})),
                Turn::Assistant(text) => (
                    "assistant",
                    json!({"role": "assistant", "content": [{"type": "text", "text": text}]}),
                ),
                Turn::Shell { .. } | Turn::ShellOutput { .. } => continue,
            };
            lines.push(
                json!({"parentUuid": null, "isSidechain": false, "type": kind,
                "message": message, "uuid": format!("u{i}"), "timestamp": at,
                "userType": "external", "cwd": cwd, "sessionId": id, "version": "2.1.332"}),
            );
        }
        let slug = cwd.display().to_string().replace(['/', '.'], "-");
        let dir = self.path(&format!("claude/projects/{slug}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{id}.jsonl"));
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs the Stop hook for session `id`; it must exit 0 and print no text.
    pub fn stop(&self, id: &str, transcript: &Path) {
        self.stop_with(id, transcript, &[]);
    }

    /// The Stop hook with extra environment variables.
    pub fn stop_with(&self, id: &str, transcript: &Path, env: &[(&str, &str)]) {
        let payload = json!({"session_id": id, "turn_id": "t1",
            "transcript_path": transcript, "cwd": self.path("repo"),
            "hook_event_name": "Stop", "model": "gpt-5.3-codex",
            "permission_mode": "default", "stop_hook_active": false,
            "last_assistant_message": "done"});
        let out = self
            .csep()
            .envs(env.iter().copied())
            .arg("session-stop")
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.trim().is_empty() || stdout.trim() == r#"{"continue":true}"#,
            "{stdout}"
        );
    }

    /// The hook log, oldest first.
    pub fn log(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path("state/logs/hooks.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn jobs(&self) -> Vec<Value> {
        let Ok(dir) = std::fs::read_dir(self.path("state/session_reflection/jobs")) else {
            return Vec::new();
        };
        let mut jobs: Vec<Value> = dir
            .filter_map(|e| {
                let p = e.unwrap().path();
                (p.extension()? == "json")
                    .then(|| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            })
            .collect();
        jobs.sort_by_key(|j| j["job_id"].as_str().unwrap().to_string());
        jobs
    }

    /// Waits until job `id` has a final status.
    pub fn wait_final(&self, id: &str, within: Duration) -> Value {
        let path = self.path(&format!("state/session_reflection/jobs/{id}.json"));
        let started = Instant::now();
        loop {
            if let Ok(b) = std::fs::read(&path)
                && let Ok(v) = serde_json::from_slice::<Value>(&b)
                && !["queued", "running"].contains(&v["status"].as_str().unwrap_or(""))
            {
                return v;
            }
            assert!(
                started.elapsed() < within,
                "job {id} did not finish: {:?}",
                std::fs::read_to_string(&path)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A `csep` command's JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.csep().args(args).output().unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("csep {args:?}: {e}: {out:?}"))
    }

    /// `csep session-reflect --job ID --json`, which must succeed.
    pub fn reflect(&self, id: &str) -> Value {
        let out = self
            .csep()
            .args(["session-reflect", "--json", "--job", id])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn receipt(&self, job: &Value) -> Value {
        let path = job["receipt"].as_str().expect("the job names its receipt");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }
}
