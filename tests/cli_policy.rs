//! `csep policy` driven through the real binary, with a real state folder.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    crate::support::fixture(&format!("wasm/{name}"))
}

fn csep(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("csep").unwrap();
    cmd.arg("--home").arg(home);
    cmd.env_remove("CODEX_SELF_EVOLUTION_HOME");
    cmd
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

#[test]
fn check_reports_the_bundled_policy_and_its_sample_decision() {
    let home = tempfile::tempdir().unwrap();
    let out = csep(home.path())
        .args(["policy", "check"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("bundled:policy-default: a valid trigger-policy"),
        "{stdout}"
    );
    assert!(stdout.contains("csep:engine@0.1.1"), "{stdout}");
    assert!(stdout.contains("sample    reflect on memory"), "{stdout}");
    assert!(stdout.contains("cache     miss"), "{stdout}");

    let out = csep(home.path())
        .args(["policy", "check", "--format", "json"])
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["valid"], true);
    assert_eq!(v["world"], "trigger-policy");
    assert_eq!(v["contract_version"], "0.1.1");
    assert_eq!(
        v["cache"], "hit",
        "the second run loads the precompiled artifact"
    );
    assert_eq!(v["sample"]["decision"]["reflect"], true);
    // settle ran on the decision's state and reset the memory counters it covered.
    let settled = v["sample"]["settled"]["session_state"].as_str().unwrap();
    assert!(settled.contains("stops=0"), "{settled}");
    assert!(
        home.path().join("cache/wasm").is_dir(),
        "the cache lives in the state folder"
    );
}

#[test]
fn check_names_the_world_of_a_strategy() {
    let home = tempfile::tempdir().unwrap();
    let out = csep(home.path())
        .args(["policy", "check", "--format", "json"])
        .arg(fixture("hostile-strategy.wasm"))
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["world"], "reflection-strategy");
    assert_eq!(v["contract_version"], "0.1.1");
}

#[test]
fn check_refuses_what_this_host_cannot_run_with_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let core = scratch.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let text = scratch.path().join("notes.wasm");
    std::fs::write(&text, "just some notes").unwrap();
    let missing = scratch.path().join("missing.wasm");

    // A file that is not there is not found (exit 3), with the JSON error envelope.
    let out = csep(home.path())
        .args(["policy", "check", "--format", "json"])
        .arg(&missing)
        .assert()
        .code(3);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["status"], "error", "{v}");
    assert_eq!(v["error"]["code"], 3, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&missing.display().to_string()),
        "{v}"
    );

    let cases: [(&Path, &str, &str); 3] = [
        (
            &fixture("future-policy.wasm"),
            "unsupported-version",
            "targets csep:engine 9.0.0",
        ),
        (
            &core,
            "core-module",
            "core WebAssembly module, not a component",
        ),
        (&text, "not-wasm", "not a WebAssembly file"),
    ];
    for (file, kind, message) in cases {
        let out = csep(home.path())
            .args(["policy", "check", "--format", "json"])
            .arg(file)
            .assert()
            .code(1);
        let v = json(&out.get_output().stdout);
        assert_eq!(v["valid"], false, "{}", file.display());
        assert_eq!(v["kind"], kind, "{}: {v}", file.display());
        let error = v["error"].as_str().unwrap();
        assert!(error.contains(message), "{}: {error}", file.display());
        assert!(
            error.contains(&file.display().to_string()),
            "names the file: {error}"
        );

        let out = csep(home.path())
            .args(["policy", "check"])
            .arg(file)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains(message), "{stderr}");
    }
}

#[test]
fn decide_runs_an_input_with_the_configured_settings() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "# mine\n[policy.settings]\nmemory_stop_interval = 1\n",
    )
    .unwrap();
    let input = home.path().join("input.json");
    std::fs::write(
        &input,
        r#"{"digest": {"client": "claude", "session_id": "abc",
            "user_messages": [{"text": "fix the build"}], "readable_chars": 40}}"#,
    )
    .unwrap();
    let out = csep(home.path())
        .args(["policy", "decide", "--input"])
        .arg(&input)
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(
        v["reflect"], true,
        "one stop is enough with the configured interval: {v}"
    );
    assert_eq!(v["reasons"][0], "memory-stop-interval");
    assert!(v["session_state"].as_str().unwrap().contains("stops=1"));

    let out = csep(home.path())
        .args(["policy", "decide", "--input", "-"])
        .write_stdin(r#"{"digest": {"user_messages": [{"text": "ok"}]}, "settings": {"memory_stop_interval": 5}}"#)
        .assert()
        .success();
    assert_eq!(json(&out.get_output().stdout)["reflect"], false);
}

#[test]
fn a_malformed_config_is_an_error_naming_file_and_key() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[sandbox]\nmemory_mib = \"lots\"\n").unwrap();
    let out = csep(home.path()).args(["policy", "check"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains(&config.display().to_string()), "{stderr}");
    assert!(stderr.contains("memory_mib"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "[sandbox]\nmemory_mib = \"lots\"\n",
        "the config is left as it was"
    );
}

#[test]
fn a_pinned_policy_that_changed_is_refused() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("policies")).unwrap();
    std::fs::copy(
        fixture("hostile-policy.wasm"),
        home.path().join("policies/mine.wasm"),
    )
    .unwrap();
    let pin = "0".repeat(64);
    std::fs::write(
        home.path().join("config.toml"),
        format!("[policy]\npath = \"policies/mine.wasm\"\nsha256 = \"{pin}\"\n"),
    )
    .unwrap();
    let out = csep(home.path()).args(["policy", "check"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("but the config pins"), "{stderr}");

    let actual = {
        use sha2::Digest;
        let bytes = std::fs::read(home.path().join("policies/mine.wasm")).unwrap();
        sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    std::fs::write(
        home.path().join("config.toml"),
        format!("[policy]\npath = \"policies/mine.wasm\"\nsha256 = \"{actual}\"\n"),
    )
    .unwrap();
    let out = csep(home.path())
        .args(["policy", "check"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("policies/mine.wasm: a valid trigger-policy"),
        "{stdout}"
    );
}

#[test]
fn the_state_folder_follows_the_environment_variable() {
    let home = tempfile::tempdir().unwrap();
    Command::cargo_bin("csep")
        .unwrap()
        .env("CODEX_SELF_EVOLUTION_HOME", home.path())
        .args(["policy", "check"])
        .assert()
        .success();
    assert!(home.path().join("cache/wasm").is_dir());
}

#[test]
fn config_path_show_and_validate() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    let out = csep(home.path())
        .args(["config", "path"])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stdout).trim(),
        config.display().to_string()
    );
    csep(home.path())
        .args(["config", "validate"])
        .assert()
        .success();
    assert!(!config.exists(), "validate creates nothing");

    let default = csep(home.path())
        .args(["config", "show", "--default"])
        .assert()
        .success();
    std::fs::write(&config, &default.get_output().stdout).unwrap();
    csep(home.path())
        .args(["config", "validate"])
        .assert()
        .success();

    std::fs::write(&config, "# mine\n[sandbox]\nmemory_mib = 16\n").unwrap();
    let shown = csep(home.path())
        .args(["config", "show"])
        .assert()
        .success();
    let shown = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    assert!(shown.contains("memory_mib = 16"), "{shown}");
    assert!(
        shown.contains("memory_budget_chars = 6000"),
        "defaults fill the rest: {shown}"
    );

    std::fs::write(&config, "[sandbox]\nmemory_mb = 16\n").unwrap();
    let out = csep(home.path())
        .args(["config", "validate", "--json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["valid"], false);
    let error = v["error"].as_str().unwrap();
    assert!(error.contains(&config.display().to_string()), "{error}");
    assert!(
        error.contains("memory_mb") && error.contains("memory_mib"),
        "names the key and the choices: {error}"
    );
}

#[test]
fn environment_variables_override_the_file() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "# mine\n[sandbox]\nmemory_mib = 16\n",
    )
    .unwrap();
    let out = csep(home.path())
        .env("CSEP__SANDBOX__MEMORY_MIB", "32")
        .env(
            "CSEP__POLICY__SETTINGS__EXTRA_MEMORY_KEYWORDS",
            r#"["note to self"]"#,
        )
        .args(["config", "show"])
        .assert()
        .success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(shown.contains("memory_mib = 32"), "{shown}");
    assert!(
        shown.contains(r#"extra_memory_keywords = ["note to self"]"#),
        "{shown}"
    );

    let out = csep(home.path())
        .env("CSEP__SANDBOX__MEMORY_MIB", "0")
        .args(["config", "validate"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("CSEP__SANDBOX__MEMORY_MIB"), "{stderr}");
    assert!(stderr.contains("memory_mib"), "{stderr}");
}
