//! The real Codex CLI (npm `@openai/codex`, the version `.ci/run` installs) against a
//! loopback mock of the Responses API, with the csep plugin installed from this
//! repository and its hooks trusted with the hashes `csep status` computes.
//!
//! Needs `CSEP_E2E_CODEX` (the `codex` binary) and `python3`. `.ci/run` sets it; on a
//! developer machine without it the test says so and passes, in CI it fails.

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

#[test]
fn codex_runs_the_plugin_hooks_and_the_session_is_remembered() {
    let Some(codex) = std::env::var_os("CSEP_E2E_CODEX").map(PathBuf::from) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set CSEP_E2E_CODEX (see .ci/run)"
        );
        eprintln!("skipped: CSEP_E2E_CODEX is not set");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    for d in ["home", "codexhome", "state", "repo/.git"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let port_file = root.join("port");
    let mock = Mock(
        Command::new("python3")
            .arg(repo_root().join("tests/fixtures/clients/mock_responses_api.py"))
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
    let port = loop {
        if let Ok(p) = std::fs::read_to_string(&port_file)
            && !p.trim().is_empty()
        {
            break p.trim().to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the mock did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
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
    assert_eq!(install["codex_will_run_hooks"], false);
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

    let bucket = root.join("repo").display().to_string().replace('/', "-");
    let memory = root.join(format!("state/projects/{bucket}/memory"));
    std::fs::create_dir_all(&memory).unwrap();
    std::fs::write(
        memory.join("MEMORY.md"),
        "- CSEP-E2E-MEMORY: the test command is cargo nextest run\n",
    )
    .unwrap();

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

    let log: Vec<Value> = std::fs::read_to_string(root.join("state/logs/hooks.jsonl"))
        .expect("Codex ran the hooks")
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
    let found: Value =
        serde_json::from_slice(&run(&csep, &["recall", "--json", "hook-e2e-tool-ran"]).stdout)
            .unwrap();
    assert_eq!(found["count"], 1, "the session is archived: {found}");
    assert_eq!(found["results"][0]["session_id"], start["session_id"]);
}
