//! The real clients against loopback mocks of their model APIs: Codex CLI (npm
//! `@openai/codex`) with the csep plugin installed from this repository and its hooks
//! trusted with the hashes `csep status` computes, and Claude Code (npm
//! `@anthropic-ai/claude-code`) with the hooks in its settings.
//!
//! Needs `CSEP_E2E_CODEX` / `CSEP_E2E_CLAUDE` (the binaries) and `python3`. `.ci/run`
//! sets both; on a developer machine without them a test says so and passes, in CI it
//! fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Mock(Child);

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The client binary named by `var`, or `None` (outside CI) to skip.
fn client(var: &str) -> Option<PathBuf> {
    let found = std::env::var_os(var).map(PathBuf::from);
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set {var} (see .ci/run)"
        );
        eprintln!("skipped: {var} is not set");
    }
    found
}

/// Starts a mock model server from tests/fixtures/clients and waits for its port.
fn mock(script: &str, root: &Path) -> (Mock, String) {
    let port_file = root.join("port");
    let mock = Mock(
        Command::new("python3")
            .arg(repo_root().join("tests/fixtures/clients").join(script))
            .env("MOCK_MODE", "tool")
            .env("MOCK_PORTFILE", &port_file)
            .env("MOCK_LOG", root.join("requests.jsonl"))
            .env("MOCK_LIFETIME", "120")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the mock"),
    );
    let started = Instant::now();
    loop {
        if let Ok(p) = std::fs::read_to_string(&port_file)
            && !p.trim().is_empty()
        {
            return (mock, p.trim().to_string());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the mock did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes a MEMORY.md line into the bucket of `repo`.
fn plant_memory(root: &Path) {
    let bucket = root.join("repo").display().to_string().replace('/', "-");
    let memory = root.join(format!("state/projects/{bucket}/memory"));
    std::fs::create_dir_all(&memory).unwrap();
    std::fs::write(
        memory.join("MEMORY.md"),
        "- CSEP-E2E-MEMORY: the test command is cargo nextest run\n",
    )
    .unwrap();
}

/// Both hooks ran and succeeded, the memory reached the model, the 记住 prompt queued
/// a job, and `needle` (from the mock's tool call) finds the session.
fn assert_remembered(root: &Path, csep_env: impl Fn(&mut Command), needle: &str, client: &str) {
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
    let requests = std::fs::read_to_string(root.join("requests.jsonl")).unwrap();
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

#[test]
fn codex_runs_the_plugin_hooks_and_the_session_is_remembered() {
    let Some(codex) = client("CSEP_E2E_CODEX") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    for d in ["home", "codexhome", "state", "repo/.git"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let (mock, port) = mock("mock_responses_api.py", &root);
    std::fs::write(
        root.join("codexhome/config.toml"),
        format!(
            "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n[model_providers.mock]\n\
             name = \"Mock local\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\n\
             wire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n"
        ),
    )
    .unwrap();

    let csep = assert_cmd::cargo::cargo_bin("csep");
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        csep.parent().unwrap().display()
    );
    let env = |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", &path)
            .env("HOME", root.join("home"))
            .env("CODEX_HOME", root.join("codexhome"))
            .env("CODEX_SELF_EVOLUTION_HOME", root.join("state"));
    };
    let run = |program: &Path, args: &[&str]| -> std::process::Output {
        let mut cmd = Command::new(program);
        env(&mut cmd);
        cmd.args(args)
            .current_dir(root.join("repo"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let repo = repo_root();
    let out = run(
        &codex,
        &["plugin", "marketplace", "add", repo.to_str().unwrap()],
    );
    assert!(out.status.success(), "{out:?}");
    let out = run(&codex, &["plugin", "add", "csep@csep-local"]);
    assert!(out.status.success(), "{out:?}");

    // Untrusted until the user trusts them; csep status says so, with the hashes.
    let status: Value = serde_json::from_slice(&run(&csep, &["status", "--json"]).stdout).unwrap();
    let install = &status["plugin_hooks"]["installs"][0];
    assert_eq!(install["codex_will_run_hooks"], false, "{status}");
    let mut trust = String::new();
    for (_, t) in install["trust"].as_object().unwrap() {
        trust.push_str(&format!(
            "\n[hooks.state.\"{}\"]\ntrusted_hash = \"{}\"\n",
            t["key"].as_str().unwrap(),
            t["expected_hash"].as_str().unwrap()
        ));
    }
    let config = root.join("codexhome/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&trust);
    std::fs::write(&config, text).unwrap();
    let status: Value = serde_json::from_slice(&run(&csep, &["status", "--json"]).stdout).unwrap();
    assert_eq!(
        status["plugin_hooks"]["installs"][0]["codex_will_run_hooks"],
        true
    );

    plant_memory(&root);

    let out = run(
        &codex,
        &[
            "exec",
            "--skip-git-repo-check",
            "-s",
            "danger-full-access",
            "--disable",
            "unbounded_connection_retries",
            "-c",
            "analytics.enabled=false",
            "--json",
            "记住：下次跑测试用 cargo nextest",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    drop(mock);

    assert_remembered(&root, env, "hook-e2e-tool-ran", "codex");
}

#[test]
fn claude_code_runs_the_hooks_and_the_session_is_remembered() {
    let Some(claude) = client("CSEP_E2E_CLAUDE") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    for d in ["home", "claude", "state", "repo/.git"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let (mock, port) = mock("mock_anthropic_messages.py", &root);
    // The plugin's hooks declaration, as Claude Code reads it from settings.
    let hooks: Value = serde_json::from_str(include_str!("../plugin/hooks/hooks.json")).unwrap();
    std::fs::write(
        root.join("claude/settings.json"),
        serde_json::json!({"hooks": hooks["hooks"]}).to_string(),
    )
    .unwrap();
    plant_memory(&root);
    let csep = assert_cmd::cargo::cargo_bin("csep");
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        csep.parent().unwrap().display()
    );
    let env = |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", &path)
            .env("HOME", root.join("home"))
            .env("CLAUDE_CONFIG_DIR", root.join("claude"))
            .env("CODEX_SELF_EVOLUTION_HOME", root.join("state"));
    };
    let mut cmd = Command::new(&claude);
    env(&mut cmd);
    let out = cmd
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .args([
            "-p",
            "记住：下次跑测试用 cargo nextest",
            "--allowedTools",
            "Bash(echo:*)",
        ])
        .current_dir(root.join("repo"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    drop(mock);
    assert_remembered(&root, env, "cc-tool-ran", "claude");
}
