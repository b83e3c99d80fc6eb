//! The real clients against loopback mocks of their model APIs, connected by `csep
//! setup` in a temporary HOME: Codex CLI (npm `@openai/codex`: plugin, marketplace and
//! hook trust) and Claude Code (npm `@anthropic-ai/claude-code`: hooks in its
//! settings). A first session is archived and queues a reflection; the worker the Stop
//! hook starts writes memory; a second session gets that memory; `csep uninstall`
//! leaves the client's config as it was.
//!
//! Needs `CSEP_E2E_CODEX` / `CSEP_E2E_CLAUDE` (the binaries) and `python3`. `.ci/run`
//! installs them and sets both; on a developer machine without them a test says so and
//! passes, in CI it fails.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::mock_server::{self, Mock};
use crate::support::skip::e2e_client;
use crate::support::{bucket_of, repo_root};

/// Starts a mock model server from tests/fixtures/clients and waits for its port; it
/// logs the requests it gets to `<tag>.jsonl`.
fn mock(script: &str, root: &Path, tag: &str) -> (Mock, String) {
    mock_server::start(
        &repo_root().join("tests/fixtures/clients").join(script),
        "tool",
        &root.join(format!("{tag}.port")),
        &root.join(format!("{tag}.jsonl")),
    )
}

/// Writes a MEMORY.md line into the bucket of `repo`.
fn plant_memory(root: &Path) {
    let bucket = bucket_of(&root.join("repo"));
    let memory = root.join(format!("state/projects/{bucket}/memory"));
    std::fs::create_dir_all(&memory).unwrap();
    std::fs::write(
        memory.join("MEMORY.md"),
        "- CSEP-E2E-MEMORY: planted before the first session\n",
    )
    .unwrap();
}

/// Both hooks ran and succeeded, the memory reached the model, the 记住 prompt queued
/// a job, and `needle` (from the mock's tool call) finds the session.
fn assert_remembered(root: &Path, csep_env: &dyn Fn(&mut Command), needle: &str, client: &str) {
    let log: Vec<Value> = std::fs::read_to_string(root.join("state/logs/hooks.jsonl"))
        .expect("the client ran the hooks")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let start = log.iter().find(|r| r["hook"] == "session-start").unwrap();
    let stop = log.iter().find(|r| r["hook"] == "session-stop").unwrap();
    assert_eq!(start["ok"], true, "{start}");
    assert_eq!(stop["ok"], true, "{stop}");
    assert!(stop["job"].is_string(), "记住 queues a reflection: {stop}");
    let requests = std::fs::read_to_string(root.join("first.jsonl")).unwrap();
    assert!(
        requests.contains("CSEP-E2E-MEMORY"),
        "the memory reached the model"
    );
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("csep"));
    csep_env(&mut cmd);
    let out = cmd
        .args(["recall", "--json", needle])
        .current_dir(root.join("repo"))
        .output()
        .unwrap();
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["count"], 1, "the session is archived: {found}");
    assert_eq!(found["results"][0]["session_id"], start["session_id"]);
    assert_eq!(found["results"][0]["client"], client);
}

/// Waits for the job the first session queued to be run by the worker its Stop
/// hook started, and returns the bucket's MEMORY.md.
fn memory_after_reflection(root: &Path) -> String {
    let jobs = root.join("state/session_reflection/jobs");
    let started = Instant::now();
    loop {
        let done: Vec<Value> = std::fs::read_dir(&jobs)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
            .filter(|j: &Value| {
                !["queued", "running"].contains(&j["status"].as_str().unwrap_or(""))
            })
            .collect();
        if let Some(job) = done.first() {
            assert_eq!(job["status"], "succeeded", "{job}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker did not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let bucket = bucket_of(&root.join("repo"));
    let memory =
        std::fs::read_to_string(root.join(format!("state/projects/{bucket}/memory/MEMORY.md")))
            .unwrap();
    assert!(memory.contains("cargo nextest"), "{memory}");
    memory
}

/// Every string in the request bodies a mock received, decoded (the log holds them
/// as JSON, possibly as JSON text inside a string).
fn request_bodies(root: &Path, tag: &str) -> String {
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(inner @ (Value::Object(_) | Value::Array(_))) => strings(&inner, out),
                _ => out.push(s.clone()),
            },
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for line in std::fs::read_to_string(root.join(format!("{tag}.jsonl")))
        .unwrap()
        .lines()
    {
        if let Ok(r) = serde_json::from_str::<Value>(line) {
            strings(&r["body"], &mut out);
        }
    }
    out.join("\n")
}

/// A temporary machine: HOME, the client's folder, csep's state, a repository.
fn machine(client_dir: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    for d in ["home", client_dir, "state", "repo/.git"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    (t, root)
}

/// The environment of every process of a test: nothing inherited but a PATH that
/// finds this `csep`, the machine's folders, and the client's folder in `var`.
fn client_env<'a>(root: &'a Path, var: &'a str, dir: &'a str) -> impl Fn(&mut Command) + 'a {
    let csep = assert_cmd::cargo::cargo_bin("csep");
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        csep.parent().unwrap().display()
    );
    move |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", &path)
            .env("HOME", root.join("home"))
            .env(var, root.join(dir))
            .env("CODEX_SELF_EVOLUTION_HOME", root.join("state"));
    }
}

/// The second session's request to the model carries the line the first session's
/// reflection wrote into memory.
fn assert_second_session_got(root: &Path, memory: &str) {
    let learned = memory
        .lines()
        .find(|l| l.contains("cargo nextest"))
        .unwrap()
        .trim_start_matches("- ");
    assert!(
        request_bodies(root, "second").contains(learned),
        "the second session's request carries {learned:?}"
    );
}

/// `csep` with the test's environment.
fn csep_run(env: &dyn Fn(&mut Command), root: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("csep"));
    env(&mut cmd);
    let out = cmd
        .args(args)
        .current_dir(root.join("repo"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "csep {args:?}: {out:?}");
    out
}

#[test]
fn codex_runs_the_plugin_hooks_and_the_session_is_remembered() {
    let Some(codex) = e2e_client("CSEP_E2E_CODEX") else {
        return;
    };
    let (_t, root) = machine("codexhome");
    let (mock1, port) = mock("mock_responses_api.py", &root, "first");
    let config = root.join("codexhome/config.toml");
    let provider = |port: &str| {
        format!(
            "# the user's own settings\nmodel = \"mock-model\"\nmodel_provider = \"mock\"\n\n\
             [model_providers.mock]\nname = \"Mock local\"\n\
             base_url = \"http://127.0.0.1:{port}/v1\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\n"
        )
    };
    std::fs::write(&config, provider(&port)).unwrap();
    let before_setup = std::fs::read(&config).unwrap();

    let env = client_env(&root, "CODEX_HOME", "codexhome");
    let exec = |prompt: &str| {
        let mut cmd = Command::new(&codex);
        env(&mut cmd);
        let out = cmd
            .args([
                "exec",
                "--skip-git-repo-check",
                "-s",
                "danger-full-access",
                "--disable",
                "unbounded_connection_retries",
                "-c",
                "analytics.enabled=false",
                "--json",
                prompt,
            ])
            .current_dir(root.join("repo"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };

    // One command connects Codex: plugin, marketplace, hook trust.
    let codex_arg = codex.display().to_string();
    let setup = csep_run(
        &env,
        &root,
        &["setup", "--client", "codex", "--codex-bin", &codex_arg],
    );
    let text = String::from_utf8_lossy(&setup.stdout);
    assert!(text.contains("trusted_hash"), "{text}");
    let status: Value =
        serde_json::from_slice(&csep_run(&env, &root, &["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["plugin_hooks"]["installs"][0]["codex_will_run_hooks"], true,
        "{status}"
    );
    let again = csep_run(
        &env,
        &root,
        &["setup", "--client", "codex", "--codex-bin", &codex_arg],
    );
    assert!(
        !String::from_utf8_lossy(&again.stdout).contains(": added"),
        "a second setup changes nothing"
    );

    plant_memory(&root);
    exec("记住：下次跑测试用 cargo nextest");
    drop(mock1);
    assert_remembered(&root, &env, "hook-e2e-tool-ran", "codex");
    let memory = memory_after_reflection(&root);

    // The second session starts with what the first one taught.
    let (mock2, port2) = mock("mock_responses_api.py", &root, "second");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&port, &port2);
    std::fs::write(&config, text).unwrap();
    exec("hello again");
    drop(mock2);
    assert_second_session_got(&root, &memory);

    // Uninstall leaves config.toml as it was before setup.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&port2, &port);
    std::fs::write(&config, text).unwrap();
    csep_run(
        &env,
        &root,
        &["uninstall", "--client", "codex", "--codex-bin", &codex_arg],
    );
    assert_eq!(
        String::from_utf8(std::fs::read(&config).unwrap()).unwrap(),
        String::from_utf8(before_setup).unwrap()
    );
}

#[test]
fn claude_code_runs_the_hooks_and_the_session_is_remembered() {
    let Some(claude) = e2e_client("CSEP_E2E_CLAUDE") else {
        return;
    };
    let (_t, root) = machine("claude");
    let (mock1, port) = mock("mock_anthropic_messages.py", &root, "first");
    plant_memory(&root);
    let env = client_env(&root, "CLAUDE_CONFIG_DIR", "claude");
    let ask = |port: &str, prompt: &str| {
        let mut cmd = Command::new(&claude);
        env(&mut cmd);
        let out = cmd
            .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("ANTHROPIC_API_KEY", "dummy")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("DISABLE_TELEMETRY", "1")
            .env("DISABLE_AUTOUPDATER", "1")
            .args(["-p", prompt, "--allowedTools", "Bash(echo:*)"])
            .current_dir(root.join("repo"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    csep_run(&env, &root, &["setup", "--client", "claude"]);
    let settings: Value =
        serde_json::from_slice(&std::fs::read(root.join("claude/settings.json")).unwrap()).unwrap();
    assert!(settings["hooks"]["Stop"].is_array(), "{settings}");
    let status: Value =
        serde_json::from_slice(&csep_run(&env, &root, &["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["claude_hooks"]["claude_will_run_hooks"], true,
        "{status}"
    );

    ask(&port, "记住：下次跑测试用 cargo nextest");
    drop(mock1);
    assert_remembered(&root, &env, "cc-tool-ran", "claude");
    let memory = memory_after_reflection(&root);

    let (mock2, port2) = mock("mock_anthropic_messages.py", &root, "second");
    ask(&port2, "hello again");
    drop(mock2);
    assert_second_session_got(&root, &memory);

    csep_run(&env, &root, &["uninstall", "--client", "claude"]);
    assert!(
        !root.join("claude/settings.json").exists(),
        "setup created settings.json; uninstall removes it"
    );
}
