//! `csep mcp` in the real clients, connected by `csep setup` in a temporary HOME: a
//! loopback model calls the search tool, and the tool's result (a session archived
//! before) is in the model's next request. Codex CLI gets the server from csep's
//! plugin manifest; Claude Code from `.claude.json`, with the permission rules setup
//! adds to settings.json (no `--allowedTools`). Uninstall takes it all out again.
//!
//! Needs `CSEP_E2E_CODEX` / `CSEP_E2E_CLAUDE` (the binaries) and `python3`; without
//! them a test says so and passes, in CI it fails.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::corpus::{self, Rng, SessionSpec};
use crate::support::repo_root;
use crate::support::skip::e2e_client;
use serde_json::Value;

/// The session the model will find, and the needle it searches for.
const ARCHIVED: &str = "019c4444-dddd-7000-8000-0000000000e2";
const NEEDLE: &str = "mcp_e2e_needle_7731";

struct Mock(Child);

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a mock model of tests/fixtures/clients that calls the csep server's search
/// tool with `NEEDLE`; it logs each request body as a line of `<tag>.jsonl`.
fn mock(script: &str, root: &Path, tag: &str) -> (Mock, String) {
    let port_file = root.join(format!("{tag}.port"));
    let mock = Mock(
        Command::new("python3")
            .arg(repo_root().join("tests/fixtures/clients").join(script))
            .env("MOCK_PORTFILE", &port_file)
            .env("MOCK_LOG", root.join(format!("{tag}.jsonl")))
            .env("MOCK_LIFETIME", "120")
            .env("MOCK_MCP_SERVER", "csep")
            .env("MOCK_MCP_TOOL_HINT", "search")
            .env("MOCK_MCP_QUERY", NEEDLE)
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

fn requests(root: &Path, tag: &str) -> Vec<Value> {
    std::fs::read_to_string(root.join(format!("{tag}.jsonl")))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// A temporary machine: HOME, the client's folder, csep's state, a repository with
/// one archived Codex session that mentions `NEEDLE`.
fn machine(client_dir: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    for d in ["home", client_dir, "state", "repo/.git", "archive"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let rollout = corpus::rollout(
        &mut Rng::new(7),
        &SessionSpec {
            id: ARCHIVED.into(),
            cwd: root.join("repo").to_str().unwrap(),
            start_ms: 1_764_000_000_000,
            messages: 8,
            cjk: false,
            planted: &[&format!("the {NEEDLE} crash came from the retry loop")],
        },
    );
    std::fs::write(
        root.join(format!(
            "archive/rollout-2025-11-24T16-00-00-{ARCHIVED}.jsonl"
        )),
        rollout,
    )
    .unwrap();
    (t, root)
}

/// The environment of every process: a PATH that finds this `csep`, the machine's
/// folders, and the client's folder in `var`.
fn client_env<'a>(root: &'a Path, var: &'a str, dir: &'a str) -> impl Fn(&mut Command) + 'a {
    let csep = PathBuf::from(env!("CARGO_BIN_EXE_csep"));
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

fn csep_run(env: &dyn Fn(&mut Command), root: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_csep"));
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

/// Archives the planted session into the index, as `recall bootstrap` imports it.
fn archive(env: &dyn Fn(&mut Command), root: &Path) {
    let archive = root.join("archive").display().to_string();
    let out = csep_run(
        env,
        root,
        &[
            "recall",
            "bootstrap",
            "--all-history",
            "--root",
            &archive,
            "--json",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["new_sessions"], 1, "{report}");
}

fn status(env: &dyn Fn(&mut Command), root: &Path) -> Value {
    serde_json::from_slice(&csep_run(env, root, &["status", "--json"]).stdout).unwrap()
}

#[test]
fn codex_calls_the_search_tool_from_the_plugin() {
    let Some(codex) = e2e_client("CSEP_E2E_CODEX") else {
        return;
    };
    let (_t, root) = machine("codexhome");
    let env = client_env(&root, "CODEX_HOME", "codexhome");
    archive(&env, &root);
    let (mock, port) = mock("mock_responses_mcp.py", &root, "codex");
    let config = root.join("codexhome/config.toml");
    std::fs::write(
        &config,
        format!(
            "model = \"mock-model\"\nmodel_provider = \"mock\"\n\n[model_providers.mock]\n\
             name = \"Mock local\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\n\
             wire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n"
        ),
    )
    .unwrap();
    let before_setup = std::fs::read_to_string(&config).unwrap();
    let codex_arg = codex.display().to_string();
    csep_run(
        &env,
        &root,
        &["setup", "--client", "codex", "--codex-bin", &codex_arg],
    );
    let s = status(&env, &root);
    assert_eq!(s["mcp"]["codex"]["will_start"], true, "{}", s["mcp"]);

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
            "what did we learn about the crash?",
        ])
        .current_dir(root.join("repo"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    drop(mock);
    assert!(out.status.success(), "{out:?}");

    let reqs = requests(&root, "codex");
    let offered = reqs.iter().any(|r| {
        r["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["name"] == "mcp__csep")
    });
    assert!(offered, "the csep tools reach the model as mcp__csep");
    let outputs: Vec<String> = reqs
        .iter()
        .flat_map(|r| r["input"].as_array().cloned().unwrap_or_default())
        .filter(|i| i["type"] == "function_call_output")
        .map(|i| i["output"].to_string())
        .collect();
    assert!(
        outputs
            .iter()
            .any(|o| o.contains(ARCHIVED) && o.contains(NEEDLE)),
        "the search result is in the model's next request: {outputs:?}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );

    csep_run(
        &env,
        &root,
        &["uninstall", "--client", "codex", "--codex-bin", &codex_arg],
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before_setup);
    let s = status(&env, &root);
    assert_eq!(s["mcp"]["codex"]["will_start"], false, "{}", s["mcp"]);
}

#[test]
fn claude_code_calls_the_search_tool_without_a_prompt() {
    let Some(claude) = e2e_client("CSEP_E2E_CLAUDE") else {
        return;
    };
    let (_t, root) = machine("claude");
    let env = client_env(&root, "CLAUDE_CONFIG_DIR", "claude");
    archive(&env, &root);
    csep_run(&env, &root, &["setup", "--client", "claude"]);
    let registered: Value =
        serde_json::from_slice(&std::fs::read(root.join("claude/.claude.json")).unwrap()).unwrap();
    let state = root.join("state").display().to_string();
    assert_eq!(
        registered["mcpServers"]["csep"]["args"],
        serde_json::json!(["mcp", "--home", state]),
        "the server is pinned to csep's state folder: {registered}"
    );
    let s = status(&env, &root);
    assert_eq!(s["mcp"]["claude"]["will_start"], true, "{}", s["mcp"]);
    assert_eq!(
        s["mcp"]["claude"]["tools_allowed"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "{}",
        s["mcp"]
    );

    let (mock, port) = mock("mock_anthropic_mcp.py", &root, "claude");
    let mut cmd = Command::new(&claude);
    env(&mut cmd);
    let out = cmd
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .args(["-p", "what did we learn about the crash?"])
        .current_dir(root.join("repo"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    drop(mock);
    assert!(out.status.success(), "{out:?}");

    let results: Vec<String> = requests(&root, "claude")
        .iter()
        .flat_map(|r| r["messages"].as_array().cloned().unwrap_or_default())
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == "tool_result")
        .map(|c| c.to_string())
        .collect();
    assert!(
        results
            .iter()
            .any(|r| r.contains(ARCHIVED) && r.contains(NEEDLE)),
        "the search result is in the model's next request: {results:?}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !results.iter().any(|r| r.contains("haven't granted")),
        "the tool ran without a permission prompt: {results:?}"
    );

    csep_run(&env, &root, &["uninstall", "--client", "claude"]);
    let after: Value =
        serde_json::from_slice(&std::fs::read(root.join("claude/.claude.json")).unwrap()).unwrap();
    assert!(after["mcpServers"]["csep"].is_null(), "{after}");
    assert!(
        !root.join("claude/settings.json").exists(),
        "setup created settings.json; uninstall removes it"
    );
}
