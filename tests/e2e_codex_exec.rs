//! Reflection through the user's Codex login, as a config migrated from the
//! original tool sets it up (`codex-exec`, the original's model): the real Codex
//! CLI (`CSEP_E2E_CODEX`) against a loopback mock of the Responses API. A session
//! that asks to remember something is reflected by `codex exec`; memory is updated,
//! and the run leaves nothing under `$CODEX_HOME/sessions` (it is `--ephemeral`),
//! so no reflection session reaches the user's Codex history, and a `recall
//! bootstrap` afterwards imports only the user's own session.
//!
//! Without `CSEP_E2E_CODEX` the test says so and passes; in CI it fails.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::mock_server;
use crate::support::skip::e2e_client;
use crate::support::{bucket_of, repo_root};

fn files_under(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn a_migrated_config_reflects_with_codex_exec_and_leaves_no_codex_session() {
    let Some(codex) = e2e_client("CSEP_E2E_CODEX") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    for d in [
        "home",
        "codexhome/sessions",
        "state",
        "repo/.git",
        "transcripts",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let (mock, port) = mock_server::start(
        &repo_root().join("tests/fixtures/clients/mock_responses_api.py"),
        "text",
        &root.join("mock.port"),
        &root.join("mock.jsonl"),
    );
    std::fs::write(
        root.join("codexhome/config.toml"),
        format!(
            "model_provider = \"mock\"\n\n[model_providers.mock]\nname = \"Mock local\"\n\
             base_url = \"http://127.0.0.1:{port}/v1\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\n"
        ),
    )
    .unwrap();
    // The original's config, as its `config init` wrote it, and where codex is.
    let original =
        std::fs::read_to_string(repo_root().join("tests/fixtures/original-home/config.toml"))
            .unwrap();
    std::fs::write(
        root.join("state/config.toml"),
        format!(
            "{original}\n[provider]\ncodex_bin = \"{}\"\n\
             codex_args = [\"-c\", \"analytics.enabled=false\", \"--disable\", \"unbounded_connection_retries\"]\n",
            codex.display()
        ),
    )
    .unwrap();

    let sid = "01a212c6-0000-7000-8000-0000000000e1";
    // The user's own session, where Codex keeps them.
    let day = root.join("codexhome/sessions/2026/12/01");
    std::fs::create_dir_all(&day).unwrap();
    let transcript = day.join(format!("rollout-2026-12-01T09-00-00-{sid}.jsonl"));
    let text = std::fs::read_to_string(
        repo_root().join("tests/fixtures/transcripts/codex-0.169.0-rollout-sample.jsonl"),
    )
    .unwrap()
    .replace("/home/dev/proj", &root.join("repo").display().to_string())
    .replace("01a212c6-364d-70b0-bc7e-4efda03ec0ae", sid)
    .replace("Please say hello", "记住：下次跑测试用 cargo nextest");
    std::fs::write(&transcript, text).unwrap();
    let payload = root.join("payload.json");
    std::fs::write(
        &payload,
        serde_json::json!({"session_id": sid, "turn_id": "t", "transcript_path": transcript,
            "cwd": root.join("repo"), "hook_event_name": "Stop", "model": "m",
            "permission_mode": "default", "stop_hook_active": false,
            "last_assistant_message": "done"})
        .to_string(),
    )
    .unwrap();

    let csep = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_csep"))
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", root.join("home"))
            .env("CODEX_HOME", root.join("codexhome"))
            .env("CODEX_SELF_EVOLUTION_HOME", root.join("state"))
            .args(args)
            .current_dir(root.join("repo"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "csep {args:?}: {out:?}");
        out
    };
    let shown: Value = serde_json::from_slice(&csep(&["config", "show", "--json"]).stdout).unwrap();
    assert_eq!(shown["config"]["provider"]["kind"], "codex-exec", "{shown}");
    assert_eq!(shown["config"]["provider"]["model"], "gpt-5.3-codex-spark");

    let sessions_before = files_under(&root.join("codexhome/sessions"));
    let out = csep(&[
        "session-reflect",
        "--hook-payload",
        payload.to_str().unwrap(),
        "--json",
    ]);
    drop(mock);
    let job: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["status"], "succeeded", "{job}");

    let requests = std::fs::read_to_string(root.join("mock.jsonl")).unwrap_or_default();
    assert!(
        requests.contains("cargo nextest"),
        "codex exec sent the session to the model: {requests}"
    );
    let bucket = bucket_of(&root.join("repo"));
    let memory =
        std::fs::read_to_string(root.join(format!("state/projects/{bucket}/memory/MEMORY.md")))
            .unwrap();
    assert!(memory.contains("cargo nextest"), "{memory}");
    assert_eq!(
        files_under(&root.join("codexhome/sessions")),
        sessions_before,
        "an ephemeral run leaves no session in the user's Codex history"
    );

    // A reflection run that did reach the disk (a Codex without --ephemeral, say):
    // the same `codex exec`, in a folder like the provider's, with its prompt.
    let (mock, _) = mock_server::start(
        &repo_root().join("tests/fixtures/clients/mock_responses_api.py"),
        "text",
        &root.join("mock2.port"),
        &root.join("mock2.jsonl"),
    );
    let run_dir = root.join("csep-reflect-run-Ab12Cd");
    std::fs::create_dir_all(&run_dir).unwrap();
    let port2 = std::fs::read_to_string(root.join("mock2.port")).unwrap();
    let written = Command::new(&codex)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", root.join("home"))
        .env("CODEX_HOME", root.join("codexhome"))
        .args(["exec", "--skip-git-repo-check", "--sandbox", "read-only"])
        .args(["-c", &format!("model_providers.mock.base_url=\"http://127.0.0.1:{}/v1\"", port2.trim())])
        .args(["-c", "analytics.enabled=false", "--disable", "unbounded_connection_retries"])
        .arg("-")
        .current_dir(&run_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(
                b"[system]\nYou maintain the long-term memory of a coding agent for one repository.\n",
            )?;
            child.wait()
        })
        .unwrap();
    drop(mock);
    assert!(written.success());
    assert_eq!(
        files_under(&root.join("codexhome/sessions")),
        sessions_before + 1,
        "without --ephemeral the run is kept in the user's Codex history"
    );

    // Importing Codex's history afterwards finds the user's session and nothing else.
    let imported: Value =
        serde_json::from_slice(&csep(&["recall", "bootstrap", "--all-history", "--json"]).stdout)
            .unwrap();
    // The Stop the payload stands for archived it already: it is found unchanged.
    assert_eq!(imported["processed_files"], 2, "{imported}");
    assert_eq!(imported["unchanged_sessions"], 1, "{imported}");
    assert_eq!(
        imported["new_sessions"], 0,
        "the reflection run is not imported: {imported}"
    );
    let recent: Value =
        serde_json::from_slice(&csep(&["recall", "--recent", "--global", "--json"]).stdout)
            .unwrap();
    let ids: Vec<&str> = recent["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["session_id"].as_str())
        .collect();
    assert_eq!(ids, vec![sid], "{recent}");
}
