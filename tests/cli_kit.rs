//! Drop-in policies and strategies: the examples under guests/examples installed
//! with `csep policy install`, and drop-ins that must be refused.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use crate::support::mock_llm;
use crate::support::sha256_hex;
use crate::support::world::{Turn, World};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

const S1: &str = "019b0000-0000-7000-8000-000000000001";
const S2: &str = "019b0000-0000-7000-8000-000000000002";

fn fixture(name: &str) -> PathBuf {
    crate::support::fixture(&format!("wasm/{name}.wasm"))
}

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/guests/{name}.wasm"))
}

/// A world whose Stops queue jobs without starting workers: the tests run them.
fn world() -> World {
    let mut w = World::new();
    w.set("CSEP__REFLECTION__START_WORKER", "false");
    w
}

/// Runs `csep` with `args`; it must fail. Returns stderr.
fn fails(w: &World, args: &[&str]) -> String {
    let out = w.csep().args(args).output().unwrap();
    assert!(!out.status.success(), "csep {args:?} should fail: {out:?}");
    String::from_utf8(out.stderr).unwrap()
}

fn install(w: &World, name: &str) -> String {
    let file = fixture(name);
    w.ok(&["policy", "install", file.to_str().unwrap(), "--activate"])
}

fn append_config(w: &World, text: &str) {
    let path = w.path("state/config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap_or_default();
    config.push_str(text);
    std::fs::write(path, config).unwrap();
}

/// A session whose test run failed; nothing in it asks to remember anything.
fn failed_test_run(w: &World, id: &str) -> PathBuf {
    w.rollout(
        id,
        &[
            Turn::User("the parser drops the last token, can you fix it?"),
            Turn::Assistant("I'll run the tests first."),
            Turn::ShellOutput {
                cmd: "cargo test",
                exit: 101,
                output: "test parser::last_token ... FAILED\n\ntest result: FAILED. 11 passed; 1 failed",
            },
            Turn::Assistant("One test fails; the loop stops one token early."),
        ],
    )
}

fn last_stop(w: &World) -> Value {
    w.log()
        .into_iter()
        .rev()
        .find(|r| r["hook"] == "session-stop")
        .expect("a Stop was logged")
}

#[test]
fn a_failed_test_run_is_reflected_on_by_the_failures_example_and_not_by_the_default() {
    let w = world();
    let t = failed_test_run(&w, S1);
    w.stop(S1, &t);
    assert!(w.jobs().is_empty(), "the default policy waits for 3 Stops");
    assert!(
        last_stop(&w)["decision"]
            .as_str()
            .unwrap()
            .contains("below threshold")
    );

    let w = world();
    let printed = install(&w, "failures-policy");
    let hash = sha256_hex(&std::fs::read(fixture("failures-policy")).unwrap());
    assert!(printed.contains(&format!("sha256 {hash}")), "{printed}");
    assert!(
        printed.contains("active policy: `failures-policy`"),
        "{printed}"
    );
    let config = std::fs::read_to_string(w.path("state/config.toml")).unwrap();
    assert!(config.contains("use = \"failures-policy\""), "{config}");
    assert!(config.contains(&format!("sha256 = \"{hash}\"")), "{config}");

    let t = failed_test_run(&w, S1);
    w.stop(S1, &t);
    let jobs = w.jobs();
    assert_eq!(jobs.len(), 1, "{:?}", w.log());
    assert_eq!(jobs[0]["reasons"][0], "failed-test-run", "{}", jobs[0]);
    let policy = last_stop(&w)["policy"].as_str().unwrap().to_string();
    assert!(
        policy.contains("policies/failures-policy.wasm (sha256 "),
        "{policy}"
    );

    // Asking to remember is not enough for it: only failures count.
    let t = w.rollout(S2, &[Turn::User("remember: deploy with make release")]);
    w.stop(S2, &t);
    assert_eq!(w.jobs().len(), 1, "{}", last_stop(&w));
}

#[test]
fn the_deny_list_example_never_reflects_on_a_denied_repo() {
    let remember = [Turn::User("记住：这个仓库跑测试用 cargo nextest run")];
    let w = world();
    let t = w.rollout(S1, &remember);
    w.stop(S1, &t);
    assert_eq!(w.jobs().len(), 1, "the default reflects at once on 记住");

    let w = world();
    install(&w, "deny-repos-policy");
    let repo = w.path("repo").display().to_string();
    append_config(
        &w,
        &format!("\n[policy.settings]\ndeny = [\"/elsewhere\", \"{repo}\"]\n"),
    );
    let t = w.rollout(S1, &remember);
    w.stop(S1, &t);
    assert!(w.jobs().is_empty(), "{}", last_stop(&w));
    let decision = last_stop(&w)["decision"].as_str().unwrap().to_string();
    assert!(
        decision.contains(&repo),
        "names the entry that matched: {decision}"
    );

    // A repo that is not denied is reflected on as before.
    let config = std::fs::read_to_string(w.path("state/config.toml")).unwrap();
    std::fs::write(
        w.path("state/config.toml"),
        config.replace(&format!("\"{repo}\""), &format!("\"{repo}-other\"")),
    )
    .unwrap();
    let t = w.rollout(S2, &remember);
    w.stop(S2, &t);
    assert_eq!(w.jobs().len(), 1, "{}", last_stop(&w));
}

#[test]
fn the_commands_example_keeps_a_commands_section_and_try_writes_nothing() {
    let w = world();
    let before = "# Memory\n\n- Deploy with `make release`, never from a laptop.\n";
    w.write_memory(before);
    install(&w, "commands-strategy");
    let t = w.rollout(
        S1,
        &[
            Turn::User("remember to run the checks before you push"),
            Turn::Shell {
                cmd: "cargo nextest run",
                exit: 0,
            },
            Turn::Shell {
                cmd: "cargo clippy --all-targets",
                exit: 0,
            },
            Turn::Shell {
                cmd: "cargo build --release",
                exit: 1,
            },
            Turn::Shell { cmd: "ls", exit: 0 },
        ],
    );
    w.stop(S1, &t);
    let jobs = w.jobs();
    assert_eq!(jobs.len(), 1);

    let tried = w.ok(&["policy", "try", "commands-strategy", "--session", S1]);
    assert!(tried.contains("+- `cargo nextest run`"), "{tried}");
    assert!(tried.contains("nothing was written"), "{tried}");
    assert_eq!(w.memory(), before, "try leaves the live memory alone");

    let job = w.reflect(jobs[0]["job_id"].as_str().unwrap());
    assert_eq!(job["status"], "succeeded", "{job}");
    let receipt = w.receipt(&job);
    assert!(
        receipt["strategy"]["origin"]
            .as_str()
            .unwrap()
            .ends_with("strategies/commands-strategy.wasm"),
        "{receipt}"
    );
    let memory = w.memory();
    assert!(
        memory.starts_with(before),
        "the rest is kept as it was: {memory}"
    );
    assert!(memory.contains("## Commands"), "{memory}");
    assert!(memory.contains("- `cargo nextest run`"), "{memory}");
    assert!(
        memory.contains("- `cargo clippy --all-targets`"),
        "{memory}"
    );
    assert!(
        !memory.contains("cargo build --release"),
        "it failed: {memory}"
    );
    assert!(!memory.contains("`ls`"), "not a check: {memory}");
}

/// Each refused drop-in: what is written where, and the message `docs/writing-a-policy.md` gives.
fn refused(w: &World, setup: impl Fn(&World), message: &str) {
    setup(w);
    let t = w.rollout(S1, &[Turn::User("remember: staging deploys go first")]);
    w.stop(S1, &t);
    let stop = last_stop(w);
    assert_eq!(stop["ok"], true, "{stop}");
    let policy = stop["policy"].as_str().unwrap();
    assert!(
        policy.starts_with("bundled policy-default (fallback: "),
        "{policy}"
    );
    assert!(policy.contains(message), "{policy}");
    assert_eq!(w.jobs().len(), 1, "the bundled policy decided: {stop}");

    let status = w.json(&["status", "--json"]);
    assert_eq!(status["policy"]["healthy"], false, "{}", status["policy"]);
    assert!(
        status["policy"]["error"]
            .as_str()
            .unwrap()
            .contains(message),
        "{}",
        status["policy"]
    );
    assert_eq!(
        status["policy"]["in_use"],
        "bundled policy-default (fallback)"
    );
}

#[test]
fn a_strategy_used_as_a_policy_is_refused() {
    let w = world();
    refused(
        &w,
        |w| {
            std::fs::create_dir_all(w.path("state/policies")).unwrap();
            std::fs::copy(
                fixture("commands-strategy"),
                w.path("state/policies/mixed-up.wasm"),
            )
            .unwrap();
            append_config(w, "[policy]\nuse = \"mixed-up\"\n");
        },
        "implements the `reflection-strategy` world where a `trigger-policy` is needed",
    );
    let err = fails(&w, &["policy", "use", "mixed-up"]);
    assert!(err.contains("sits among the policies"), "{err}");
}

#[test]
fn a_policy_built_for_an_old_contract_is_refused() {
    let w = world();
    refused(
        &w,
        |w| {
            std::fs::create_dir_all(w.path("state/policies")).unwrap();
            std::fs::copy(fixture("past-policy"), w.path("state/policies/old.wasm")).unwrap();
            append_config(w, "[policy]\nuse = \"old\"\n");
        },
        "targets csep:engine 0.0.3, but this csep supports csep:engine@^0.1",
    );
    let err = fails(
        &w,
        &[
            "policy",
            "install",
            fixture("past-policy").to_str().unwrap(),
        ],
    );
    assert!(err.contains("csep:engine 0.0.3"), "{err}");
    assert!(!w.path("state/policies/past-policy.wasm").exists());
}

#[test]
fn a_pinned_drop_in_that_changed_is_refused_until_approved_again() {
    let w = world();
    refused(
        &w,
        |w| {
            install(w, "failures-policy");
            std::fs::copy(
                fixture("deny-repos-policy"),
                w.path("state/policies/failures-policy.wasm"),
            )
            .unwrap();
        },
        "the file changed since it was approved",
    );
    let list = w.json(&["policy", "list", "--format", "json"]);
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "failures-policy")
        .unwrap();
    assert_eq!(row["pinned"], "changed since approved", "{row}");

    let printed = w.ok(&["policy", "use", "failures-policy"]);
    assert!(printed.contains("approved again"), "{printed}");
    let status = w.json(&["status", "--json"]);
    assert_eq!(status["policy"]["healthy"], true, "{}", status["policy"]);
    let hash = sha256_hex(&std::fs::read(fixture("deny-repos-policy")).unwrap());
    assert_eq!(status["policy"]["sha256"], hash);
}

#[test]
fn list_install_use_and_remove_manage_the_drop_in_folders() {
    let w = world();
    let list = w.json(&["policy", "list", "--format", "json"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["bundled:policy-default", "bundled:strategy-default"]
    );

    let printed = w.ok(&[
        "policy",
        "install",
        fixture("failures-policy").to_str().unwrap(),
    ]);
    assert!(
        printed.contains("csep policy use failures-policy"),
        "{printed}"
    );
    assert!(
        !w.path("state/config.toml").exists(),
        "not active without --activate"
    );
    install(&w, "commands-strategy");
    let list = w.json(&["policy", "list", "--format", "json"]);
    let rows: BTreeMap<String, &Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r))
        .collect();
    assert_eq!(rows["bundled:policy-default"]["active"], true);
    assert_eq!(rows["failures-policy"]["active"], false);
    assert_eq!(rows["failures-policy"]["kind"], "policy");
    assert_eq!(rows["commands-strategy"]["kind"], "strategy");
    assert_eq!(rows["commands-strategy"]["active"], true);
    assert_eq!(rows["commands-strategy"]["pinned"], "yes");
    assert_eq!(rows["bundled:strategy-default"]["active"], false);
    assert_eq!(rows["failures-policy"]["contract_version"], "0.1.1");
    let status = w.json(&["status", "--json"]);
    let found: Vec<(&str, &str)> = status["drop_ins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("policy", "failures-policy"),
            ("strategy", "commands-strategy")
        ]
    );

    // A different file under a taken name needs --force.
    let other = w.path("failures-policy.wasm");
    std::fs::copy(fixture("deny-repos-policy"), &other).unwrap();
    let err = fails(&w, &["policy", "install", other.to_str().unwrap()]);
    assert!(err.contains("already holds a different policy"), "{err}");
    let cached = |name: &str| {
        let prefix = &sha256_hex(&std::fs::read(fixture(name)).unwrap())[..32];
        std::fs::read_dir(w.path("state/cache/wasm/wasmtime-48"))
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(prefix))
    };
    assert!(cached("failures-policy"));
    let printed = w.ok(&["policy", "install", other.to_str().unwrap(), "--force"]);
    assert!(
        printed.contains("of compiled guests no longer installed (2 files)"),
        "the replaced file's artifact and checksum go: {printed}"
    );
    assert!(!cached("failures-policy") && cached("deny-repos-policy"));
    assert!(cached("commands-strategy"), "installed guests keep theirs");

    let not_wasm = w.path("junk.wasm");
    std::fs::write(&not_wasm, "not a component").unwrap();
    let err = fails(&w, &["policy", "install", not_wasm.to_str().unwrap()]);
    assert!(
        err.contains("is not a policy or strategy this csep can run"),
        "{err}"
    );
    assert!(!w.path("state/policies/junk.wasm").exists());

    let printed = w.ok(&["policy", "remove", "commands-strategy"]);
    assert!(
        printed.contains("the bundled one is active again"),
        "{printed}"
    );
    assert!(!w.path("state/strategies/commands-strategy.wasm").exists());
    let config = std::fs::read_to_string(w.path("state/config.toml")).unwrap();
    assert!(
        config.contains("[strategy]\nuse = \"bundled\"\n"),
        "{config}"
    );
    let err = fails(&w, &["policy", "remove", "commands-strategy"]);
    assert!(
        err.contains("no drop-in named `commands-strategy`"),
        "{err}"
    );
    let err = fails(&w, &["policy", "use", "bundled"]);
    assert!(err.contains("--kind policy or --kind strategy"), "{err}");
    w.ok(&["policy", "use", "bundled", "--kind", "strategy"]);
}

/// Every file under the state folder with the hash of its bytes, but the compiled-guest
/// cache (which only speeds the next load) and SQLite's shared-memory and WAL files
/// (a reader of a WAL database creates them; the database itself must not change).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && p != dir.join("cache") {
                stack.push(p);
            } else if p.is_file()
                && !p.to_string_lossy().ends_with("-shm")
                && !p.to_string_lossy().ends_with("-wal")
            {
                files.insert(p.clone(), sha256_hex(&std::fs::read(&p).unwrap()));
            }
        }
    }
    files
}

#[test]
fn try_runs_a_policy_on_an_archived_session_and_changes_no_state() {
    let w = world();
    let t = failed_test_run(&w, S1);
    w.stop(S1, &t);
    let before = snapshot(&w.path("state"));
    let run = |file: &Path| {
        w.json(&[
            "policy",
            "try",
            file.to_str().unwrap(),
            "--session",
            S1,
            "--format",
            "json",
        ])
    };
    let failures = run(&fixture("failures-policy"));
    assert_eq!(failures["decision"]["reflect"], true, "{failures}");
    assert_eq!(failures["digest"]["tool_errors"][0]["tool"], "exec_command");
    let default = run(&bundled("policy-default"));
    assert_eq!(default["decision"]["reflect"], false, "{default}");
    assert_eq!(snapshot(&w.path("state")), before, "try writes nothing");

    let err = fails(&w, &["policy", "try", "no-such", "--session", S1]);
    assert!(err.contains("no drop-in named `no-such`"), "{err}");
    let file = fixture("failures-policy");
    let err = fails(
        &w,
        &["policy", "try", file.to_str().unwrap(), "--session", "nope"],
    );
    assert!(
        err.contains("session nope is not in the recall index"),
        "{err}"
    );
}

#[test]
fn a_strategy_gets_its_own_settings_and_a_refused_one_gives_way_with_the_defaults() {
    let w = world();
    install(&w, "commands-strategy");
    append_config(&w, "\n[strategy.settings]\nprefixes = [\"make\"]\n");
    let session = |id: &str| {
        let t = w.rollout(
            id,
            &[
                Turn::User("remember: run make check before pushing"),
                Turn::Shell {
                    cmd: "make check",
                    exit: 0,
                },
                Turn::Shell {
                    cmd: "cargo nextest run",
                    exit: 0,
                },
            ],
        );
        w.stop(id, &t);
        let jobs = w.jobs();
        let job = jobs.iter().find(|j| j["session_id"] == id).unwrap();
        job["job_id"].as_str().unwrap().to_string()
    };
    let job = w.reflect(&session(S1));
    assert_eq!(job["status"], "succeeded", "{job}");
    let memory = w.memory();
    assert!(memory.contains("- `make check`"), "{memory}");
    assert!(
        !memory.contains("nextest"),
        "only the prefixes it was given: {memory}"
    );

    // The file changes under its pin: the bundled strategy runs the next job, with
    // its own defaults (it would refuse `prefixes`), and the receipt says why.
    std::fs::copy(
        fixture("failures-policy"),
        w.path("state/strategies/commands-strategy.wasm"),
    )
    .unwrap();
    let job = w.reflect(&session(S2));
    assert_ne!(job["status"], "failed", "{job}");
    let receipt = w.receipt(&job);
    assert_eq!(receipt["strategy"]["origin"], "bundled:strategy-default");
    let fallback = receipt["strategy"]["fallback"].as_str().unwrap();
    assert!(
        fallback.contains("the file changed since it was approved"),
        "{fallback}"
    );
    let status = w.json(&["status", "--json"]);
    assert_eq!(
        status["strategy"]["healthy"], false,
        "{}",
        status["strategy"]
    );
}

#[test]
fn try_gives_a_strategy_the_model_only_when_asked_and_counts_its_calls() {
    let mut w = world();
    let mock = mock_llm::MockLlm::start(vec![mock_llm::Reply::responses_text(
        &serde_json::json!({
            "memory": [{"op": "add", "section": "Notes", "text": "Known bug: the parser drops the last token.",
                        "evidence": [{"id": 1, "quote": "the parser drops the last token"}]}],
            "skill": null, "summary": "one note"
        })
        .to_string(),
        900,
        40,
    )]);
    w.set("CSEP__PROVIDER__KIND", "openai-responses");
    w.set("CSEP__PROVIDER__BASE_URL", &format!("{}/v1", mock.url()));
    w.set("CSEP__PROVIDER__MODEL", "mock-model");
    w.set("CSEP__PROVIDER__TIMEOUT_MS", "2000");
    let before = "# Memory\n\n- Deploy with `make release`.\n";
    w.write_memory(before);
    let t = failed_test_run(&w, S1);
    w.stop(S1, &t);
    let strategy = "bundled:strategy-default";

    let without = w.json(&[
        "policy",
        "try",
        strategy,
        "--session",
        S1,
        "--format",
        "json",
    ]);
    assert_eq!(without["model"]["calls"], 0, "{without}");
    assert!(mock.requests().is_empty(), "no model unless asked");

    let with = w.json(&[
        "policy",
        "try",
        strategy,
        "--session",
        S1,
        "--model",
        "--format",
        "json",
    ]);
    assert_eq!(with["model"]["calls"], 1, "{with}");
    assert_eq!(with["model"]["models"][0], "mock-model");
    assert_eq!(with["would_accept"][0]["path"], "MEMORY.md", "{with}");
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(w.memory(), before, "nothing live is written");
    let today = w.json(&["session-reflect", "--status", "--json"]);
    assert_eq!(today["usage_today"]["calls"], 1, "the call counts: {today}");
}
