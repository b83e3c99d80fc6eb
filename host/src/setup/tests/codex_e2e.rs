//! The real Codex, when `CSEP_E2E_CODEX` names it (and `python3` runs the loopback model
//! mock): after setup, `codex exec` runs both hooks, trusted, from the installed copy,
//! with csep installed by `codex plugin add` and by csep itself; after uninstall
//! config.toml is as it was. Without the variable the test says so and passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::super::{setup, uninstall};
use super::*;
use crate::client::Client::Codex;

#[path = "../../../../tests/support/mock_server.rs"]
mod mock_server;
use mock_server::Mock;

/// The mock model server script, from this crate or the repository's tests.
fn mock_script() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    [manifest.join("tests"), manifest.join("../tests")]
        .iter()
        .map(|t| t.join("fixtures/clients/mock_responses_api.py"))
        .find(|p| p.exists())
        .expect("tests/fixtures/clients/mock_responses_api.py")
}

fn start_mock(env: &Env) -> (Mock, String) {
    mock_server::start(
        &mock_script(),
        "text",
        &env.path("port"),
        &env.path("requests.jsonl"),
    )
}

#[test]
fn the_real_codex_runs_the_hooks_setup_installed() {
    let Some(codex) = std::env::var_os("CSEP_E2E_CODEX").map(PathBuf::from) else {
        // Outside CI a missing client is a skip that says so; under CI it is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "CSEP_E2E_CODEX is not set: under CI the real Codex must run"
        );
        eprintln!("skipped: CSEP_E2E_CODEX is not set");
        return;
    };
    for use_codex_bin in [true, false] {
        let env = Env::new();
        let (_mock, port) = start_mock(&env);
        let original = format!(
            "# mine\nmodel = \"mock-model\"\nmodel_provider = \"mock\"\n\n[model_providers.mock]\n\
             name = \"Mock\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\n"
        );
        env.write("codex/config.toml", &original);
        for d in ["home", "repo"] {
            std::fs::create_dir_all(env.path(d)).unwrap();
        }
        // A csep stand-in in a folder with a space, so the hooks' quoting is exercised.
        let log = env.path("hooks.log");
        let mut opts = env.opts(&[Codex]);
        opts.csep_exe = script(
            &env.path("my bin/csep"),
            &format!("echo \"$1\" >> '{}'\ncat > /dev/null\n", log.display()),
        );
        opts.codex_bin = use_codex_bin.then(|| codex.clone());
        let entries = setup(&opts).unwrap();
        let skipped: Vec<_> = entries
            .iter()
            .filter(|e| matches!(e.status, EntryStatus::Skipped(_)))
            .collect();
        assert!(skipped.is_empty(), "{skipped:?}");

        let run = |args: &[&str]| {
            Command::new(&codex)
                .args(args)
                .env("CODEX_HOME", env.path("codex"))
                .env("HOME", env.path("home"))
                .current_dir(env.path("repo"))
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        let list = run(&["plugin", "list"]);
        let listed = String::from_utf8_lossy(&list.stdout);
        assert!(listed.contains("installed, enabled"), "{listed}");
        let out = run(&[
            "exec",
            "--skip-git-repo-check",
            "--disable",
            "unbounded_connection_retries",
            "-c",
            "analytics.enabled=false",
            "say hi",
        ]);
        assert!(out.status.success(), "{out:?}");
        let ran = std::fs::read_to_string(&log).unwrap_or_default();
        // The hooks in order; the plugin's MCP server is started alongside them.
        let hooks: Vec<&str> = ran.lines().filter(|l| *l != "mcp").collect();
        assert_eq!(
            hooks,
            ["session-start", "session-stop"],
            "codex_bin used: {use_codex_bin}; {out:?}"
        );
        assert!(
            ran.lines().any(|l| l == "mcp"),
            "Codex starts the plugin's `csep mcp`: {ran:?}"
        );

        uninstall(&opts, false).unwrap();
        assert_eq!(
            env.read("codex/config.toml"),
            original,
            "codex_bin used: {use_codex_bin}"
        );
        assert!(!env.exists("codex/plugins/cache/csep-local/csep"));
    }
}
