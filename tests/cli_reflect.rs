//! The reflection worker through the real binary: jobs queued by the real Stop
//! hook, the bundled strategy in its sandbox, the host's diff, receipts and undo.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::time::Duration;

use serde_json::Value;

use crate::support::mock_llm::{MockLlm, Reply};
use crate::support::sha256_hex;
use crate::support::world::{Turn, World};

const S1: &str = "019a0000-0000-7000-8000-0000000000d1";

/// A session in which the user states the test command and a folder not to touch,
/// and the agent runs the tests successfully.
fn instructive_session(w: &World, id: &str) -> std::path::PathBuf {
    w.rollout(
        id,
        &[
            Turn::User(
                "The test command for this repo is `cargo test --workspace`. \
                 Don't touch vendor/, it is generated.",
            ),
            Turn::Assistant("Understood. Running the tests."),
            Turn::Shell {
                cmd: "cargo test --workspace",
                exit: 0,
            },
            Turn::Assistant("All tests pass."),
        ],
    )
}

/// Queues a job for `id` (memory and skills) through the Stop hook, with the
/// worker not started.
fn queue_job(w: &World, id: &str) -> String {
    let t = instructive_session(w, id);
    w.stop_with(
        id,
        &t,
        &[
            ("CSEP__REFLECTION__START_WORKER", "false"),
            ("CSEP__POLICY__SETTINGS__MEMORY_STOP_INTERVAL", "1"),
            ("CSEP__POLICY__SETTINGS__SKILL_TOOL_CALL_INTERVAL", "1"),
        ],
    );
    let jobs = w.jobs();
    let job = jobs
        .iter()
        .rev()
        .find(|j| j["session_id"] == id)
        .expect("the policy queued a job");
    assert_eq!(job["status"], "queued");
    job["job_id"].as_str().unwrap().to_string()
}

#[test]
fn with_no_model_the_session_becomes_memory_entries() {
    let w = World::new();
    let before = "# Memory\n\n## Notes\n- The CI runs on every push.\n";
    w.write_memory(before);
    let id = queue_job(&w, S1);
    let job = w.reflect(&id);
    assert_eq!(job["status"], "succeeded", "{job:#}");

    let memory = w.memory();
    assert!(memory.contains("cargo test --workspace"), "{memory}");
    assert!(memory.contains("vendor/"), "{memory}");
    assert!(
        memory.contains("The CI runs on every push."),
        "what was there is kept: {memory}"
    );

    let receipt = w.receipt(&job);
    assert_eq!(receipt["status"], "succeeded");
    assert_eq!(receipt["strategy"]["origin"], "bundled:strategy-default");
    let accepted = receipt["accepted"].as_array().unwrap();
    assert_eq!(accepted.len(), 1, "{receipt:#}");
    assert_eq!(accepted[0]["path"], "MEMORY.md");
    assert_eq!(accepted[0]["before_sha256"], sha256_hex(before.as_bytes()));
    assert_eq!(accepted[0]["after_sha256"], sha256_hex(memory.as_bytes()));
    assert_eq!(receipt["model"]["calls"], 0);

    // The next session starts with it.
    let out = w
        .csep()
        .arg("session-start")
        .write_stdin(format!(
            r#"{{"session_id":"x","cwd":"{}","hook_event_name":"SessionStart","source":"startup"}}"#,
            w.path("repo").display()
        ))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ctx = v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap();
    assert!(ctx.contains("cargo test --workspace"), "{ctx}");

    // The status lists it, and the session may queue again.
    let s = w.json(&["session-reflect", "--status", "--json"]);
    assert_eq!(s["counts"]["succeeded"], 1, "{s:#}");
    assert_eq!(s["latest"]["job_id"], id.as_str());
    let triggers = std::fs::read_dir(w.path("state/triggers")).unwrap();
    let state: Value = triggers
        .map(|d| std::fs::read(d.unwrap().path().join("state.json")).unwrap())
        .map(|b| serde_json::from_slice(&b).unwrap())
        .next()
        .unwrap();
    assert!(state["pending_job"].is_null(), "settled: {state:#}");
    let counters = state["policy_state"].as_str().unwrap();
    assert!(
        counters.contains("\nstops=0\n"),
        "the memory counters were reset: {counters}"
    );
}

#[test]
fn revert_restores_the_bytes_and_refuses_after_an_edit() {
    let w = World::new();
    let before = "# Memory\r\n\r\n- odd  spacing\tand CRLF kept\r\n";
    let file = w.write_memory(before);
    let id = queue_job(&w, S1);
    assert_eq!(w.reflect(&id)["status"], "succeeded");
    let after = std::fs::read(&file).unwrap();
    assert_ne!(after, before.as_bytes());

    let diff = w.csep().args(["memory", "diff", &id]).output().unwrap();
    let diff = String::from_utf8(diff.stdout).unwrap();
    assert!(
        diff.contains("+") && diff.contains("cargo test --workspace"),
        "{diff}"
    );

    // Edited since: refused, nothing changed.
    std::fs::write(&file, b"edited by hand\n").unwrap();
    let out = w.csep().args(["memory", "revert", &id]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("MEMORY.md") && err.contains("edited"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"edited by hand\n");

    std::fs::write(&file, &after).unwrap();
    let out = w.csep().args(["memory", "revert", &id]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read(&file).unwrap(), before.as_bytes());

    let h = w.json(&["memory", "history", "--json"]);
    assert_eq!(h[0]["receipt"]["job_id"], id.as_str());
    assert!(h[0]["receipt"]["reverted_at"].is_string());
}

#[test]
fn the_stop_hook_starts_the_worker_only_when_the_policy_asks() {
    let mut w = World::new();
    w.set("CSEP__POLICY__SETTINGS__MEMORY_STOP_INTERVAL", "2");
    // The session states durable facts, which would reflect at once: counted here.
    w.set(
        "CSEP__POLICY__SETTINGS__DURABLE_STATEMENT_IMMEDIATE",
        "false",
    );
    let t = instructive_session(&w, S1);
    w.stop(S1, &t);
    assert!(w.jobs().is_empty(), "one Stop is below the interval");
    let log = std::fs::read_to_string(w.path("state/logs/hooks.jsonl")).unwrap();
    assert!(!log.contains("worker_pid"), "{log}");

    w.stop(S1, &t);
    let jobs = w.jobs();
    assert_eq!(jobs.len(), 1);
    let id = jobs[0]["job_id"].as_str().unwrap();
    let job = w.wait_final(id, Duration::from_secs(60));
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert!(w.memory().contains("cargo test --workspace"));
    let log = std::fs::read_to_string(w.path("state/logs/hooks.jsonl")).unwrap();
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["job"], id);
    assert_eq!(
        last["worker_pid"], job["worker_pid"],
        "the process the hook started is the one that ran the job"
    );
}

/// Points the worker at `mock` through the Responses API.
fn use_model(w: &mut World, mock: &MockLlm) {
    w.set("CSEP__PROVIDER__KIND", "openai-responses");
    w.set("CSEP__PROVIDER__BASE_URL", &format!("{}/v1", mock.url()));
    w.set("CSEP__PROVIDER__MODEL", "mock-model");
    w.set("CSEP__PROVIDER__TIMEOUT_MS", "2000");
    w.set("CSEP__PROVIDER__RETRY_BASE_MS", "10");
}

/// Runs one job whose model answers `answer`; returns the job and its receipt.
fn job_with_model(script: Vec<Reply>) -> (World, MockLlm, Value, Value) {
    let mut w = World::new();
    let mock = MockLlm::start(script);
    use_model(&mut w, &mock);
    let id = queue_job(&w, S1);
    let job = w.reflect(&id);
    let receipt = if job["receipt"].is_string() {
        w.receipt(&job)
    } else {
        Value::Null
    };
    (w, mock, job, receipt)
}

fn answer(v: Value) -> Reply {
    Reply::responses_text(&v.to_string(), 1200, 80)
}

fn rejected_codes(receipt: &Value) -> Vec<String> {
    receipt["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["path"].as_str().unwrap(),
                r["code"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_good_memory_update_from_the_model_is_committed_with_its_usage() {
    let (w, mock, job, receipt) = job_with_model(vec![answer(serde_json::json!({
        "memory": [{"op": "add", "section": "Rules", "text": "Do not modify `vendor/`: it is generated.",
                    "evidence": [{"id": 1, "quote": "Don't touch vendor/, it is generated."}]}],
        "skill": null, "summary": "one rule"
    }))]);
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert!(
        w.memory()
            .contains("Do not modify `vendor/`: it is generated.")
    );
    // The receipt keeps what the entry rests on.
    let evidence = &receipt["evidence"][0];
    assert_eq!(
        evidence["entry"],
        "Do not modify `vendor/`: it is generated."
    );
    assert_eq!(evidence["quotes"][0]["source"], "user-words");
    assert_eq!(receipt["model"]["calls"], 1);
    assert_eq!(receipt["model"]["input_tokens"], 1200);
    assert_eq!(receipt["model"]["output_tokens"], 80);
    assert_eq!(receipt["model"]["models"][0], "mock-model");
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].body.contains("cargo test --workspace"),
        "the prompt carries the session"
    );
    let accepted = &receipt["accepted"][0];
    assert_eq!(
        accepted["after_sha256"],
        sha256_hex(w.memory().as_bytes()),
        "the receipt's hash is the file's"
    );
}

#[test]
fn a_new_skill_lands_in_the_clients_skills_folder() {
    let (w, _mock, job, receipt) = job_with_model(vec![answer(serde_json::json!({
        "memory": [],
        "skill": {"name": "csep-reflect-release-flow", "description": "Cut a release of this repo.",
                  "body": "## Workflow\n1. Run `cargo test --workspace`.\n2. Tag the commit.\n",
                  "evidence": [{"id": 3, "quote": "cargo test --workspace"}]},
        "summary": "a skill"
    }))]);
    assert_eq!(job["status"], "succeeded", "{receipt:#}");
    let skill = w.path("codex/skills/csep-reflect-release-flow/SKILL.md");
    let text = std::fs::read_to_string(&skill).unwrap();
    assert!(
        text.starts_with("---\nname: csep-reflect-release-flow\n"),
        "{text}"
    );
    let paths: Vec<&str> = receipt["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"csep-reflect-release-flow/SKILL.md"),
        "{paths:?}"
    );
}

#[test]
fn nothing_to_do_changes_nothing() {
    let (w, _mock, job, receipt) = job_with_model(vec![answer(serde_json::json!({
        "memory": [], "skill": null, "summary": "nothing worth keeping"
    }))]);
    assert_eq!(job["status"], "skipped", "{receipt:#}");
    assert!(receipt["accepted"].as_array().unwrap().is_empty());
    assert_eq!(w.memory(), "");
}

#[test]
fn malformed_model_output_falls_back_to_the_no_model_path() {
    let (w, _mock, job, receipt) = job_with_model(vec![Reply::responses_text(
        "Sure! Here are my thoughts: {not json",
        10,
        5,
    )]);
    assert_eq!(job["status"], "succeeded", "{receipt:#}");
    assert!(w.memory().contains("cargo test --workspace"));
    assert_eq!(receipt["model"]["calls"], 1);
}

#[test]
fn a_server_error_is_retried() {
    let (w, mock, job, receipt) = job_with_model(vec![
        Reply::error(500, "overloaded"),
        answer(serde_json::json!({
            "memory": [{"op": "add", "section": "Facts", "text": "`vendor/` is generated.",
                        "evidence": [{"id": 1, "quote": "Don't touch vendor/, it is generated."}]}],
            "skill": null, "summary": "a fact"
        })),
    ]);
    assert_eq!(job["status"], "succeeded", "{receipt:#}");
    assert_eq!(mock.requests().len(), 2);
    assert!(w.memory().contains("`vendor/` is generated."));
}

#[test]
fn a_model_that_times_out_leaves_the_job_to_the_no_model_path() {
    let mut w = World::new();
    let mock = MockLlm::start(vec![
        answer(serde_json::json!({"memory": []})).with_delay(5_000),
    ]);
    use_model(&mut w, &mock);
    w.set("CSEP__PROVIDER__TIMEOUT_MS", "300");
    w.set("CSEP__PROVIDER__MAX_RETRIES", "1");
    let id = queue_job(&w, S1);
    let job = w.reflect(&id);
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let receipt = w.receipt(&job);
    let denials = receipt["model"]["denials"].to_string();
    assert!(denials.contains("unavailable"), "{denials}");
    assert_eq!(mock.requests().len(), 2, "one retry");
    assert!(w.memory().contains("cargo test --workspace"));
}

#[test]
fn hostile_answers_are_rejected_and_the_live_folders_untouched() {
    let big = "x".repeat(7 << 20);
    let secret = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5");
    let cases: Vec<(Value, &str)> = vec![
        (
            serde_json::json!({"refs": [{"path": "../../etc/x", "content": "owned"}]}),
            "",
        ),
        (
            serde_json::json!({"skill": {"name": "release-flow", "description": "d", "body": "b"}}),
            "release-flow:skill-prefix",
        ),
        (
            serde_json::json!({"skill": {"name": "my-own-skill", "description": "d", "body": "replaced"}}),
            "my-own-skill:skill-prefix",
        ),
        (
            // Refused by the strategy itself (entries are one line); nothing reaches the host.
            serde_json::json!({"memory": [{"op": "add", "section": "Notes", "text": big}]}),
            "",
        ),
        (
            serde_json::json!({"skill": {"name": "csep-reflect-cleanup", "description": "d", "body": "b",
                "files": [{"path": "run.sh", "content": "#!/bin/sh\nrm -rf ~\n"}]}}),
            "csep-reflect-cleanup/run.sh:not-markdown",
        ),
        (
            serde_json::json!({"memory": [{"op": "add", "section": "Notes", "text": format!("deploy token {secret}")}]}),
            "MEMORY.md:secret",
        ),
    ];
    // Each one cites the session, so what stops it is the host's rule for its kind.
    let quote = serde_json::json!([{"id": 1, "quote": "Don't touch vendor/"}]);
    for (mut hostile, expect) in cases {
        hostile["summary"] = "done".into();
        for list in ["memory", "refs"] {
            for item in hostile[list].as_array_mut().into_iter().flatten() {
                item["evidence"] = quote.clone();
            }
        }
        if hostile["skill"].is_object() {
            hostile["skill"]["evidence"] = quote.clone();
        }
        let mut w = World::new();
        let own = w.path("codex/skills/my-own-skill/SKILL.md");
        std::fs::create_dir_all(own.parent().unwrap()).unwrap();
        std::fs::write(
            &own,
            "---\nname: my-own-skill\ndescription: mine\n---\nmine\n",
        )
        .unwrap();
        let before = "# Memory\n\n- kept\n";
        w.write_memory(before);
        let mock = MockLlm::start(vec![answer(hostile.clone())]);
        use_model(&mut w, &mock);
        w.set("CSEP__STRATEGY__SETTINGS__MODE", "\"model\"");
        let id = queue_job(&w, S1);
        let job = w.reflect(&id);
        let receipt = w.receipt(&job);
        let codes = rejected_codes(&receipt);
        if !expect.is_empty() {
            assert!(
                expect
                    .split('|')
                    .any(|e| codes.iter().any(|c| c.starts_with(e) || c.ends_with(e))),
                "{hostile:.200} -> {codes:?}"
            );
            assert_eq!(w.memory(), before, "rejected memory is not written");
        }
        assert!(
            receipt["accepted"].as_array().unwrap().is_empty(),
            "{receipt:#}"
        );
        assert_eq!(w.memory(), before);
        assert_eq!(
            std::fs::read_to_string(&own).unwrap(),
            "---\nname: my-own-skill\ndescription: mine\n---\nmine\n"
        );
        assert!(!w.path("state/etc/x").exists() && !w.path("etc/x").exists());
        let skills: Vec<_> = std::fs::read_dir(w.path("codex/skills"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(skills, vec!["my-own-skill"], "{hostile:.200}");
    }
}

#[test]
fn a_killed_worker_leaves_memory_whole_and_its_job_is_taken_over() {
    let mut w = World::new();
    let mock = MockLlm::start(vec![
        answer(serde_json::json!({"memory": []})).with_delay(30_000),
        answer(serde_json::json!({
            "memory": [{"op": "add", "section": "Facts", "text": "`vendor/` is generated, never edited.",
                        "evidence": [{"id": 1, "quote": "Don't touch vendor/, it is generated."}]}],
            "skill": null, "summary": "a fact"
        })),
    ]);
    use_model(&mut w, &mock);
    w.set("CSEP__PROVIDER__TIMEOUT_MS", "60000");
    let before = "# Memory\n\n- kept\n";
    w.write_memory(before);
    let id = queue_job(&w, S1);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("csep"))
        .envs(w.envs())
        .current_dir(w.path("repo"))
        .args(["session-reflect", "--job", &id])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while mock.requests().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker never called the model"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(w.memory(), before);
    let leftovers: Vec<_> = std::fs::read_dir(w.memory_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec!["MEMORY.md"], "no temporary files");

    let s = w.json(&["session-reflect", "--status", "--json"]);
    assert_eq!(s["jobs"][0]["status"], "running");
    assert_eq!(s["jobs"][0]["orphaned"], true);

    let out = w
        .csep()
        .args(["session-reflect", "--pending"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let job = w.wait_final(&id, Duration::from_secs(5));
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert_eq!(job["attempts"], 2);
    assert!(w.memory().contains("`vendor/` is generated, never edited."));
}

#[test]
fn past_the_daily_call_budget_a_job_is_deferred_with_its_reason() {
    let mut w = World::new();
    let mock = MockLlm::start(vec![answer(serde_json::json!({
        "memory": [], "skill": null, "summary": "nothing"
    }))]);
    use_model(&mut w, &mock);
    w.set("CSEP__REFLECTION__MAX_CALLS_PER_DAY", "1");
    let first = queue_job(&w, S1);
    let second = queue_job(&w, "019a0000-0000-7000-8000-0000000000d2");
    assert_eq!(w.reflect(&first)["status"], "skipped");
    let job = w.reflect(&second);
    assert_eq!(job["status"], "deferred", "{job:#}");
    assert!(job["reason"].as_str().unwrap().contains("daily"), "{job:#}");
    assert_eq!(mock.requests().len(), 1);

    let s = w.json(&["session-reflect", "--status", "--json"]);
    let listed = s["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job_id"] == second.as_str())
        .unwrap();
    assert_eq!(listed["status"], "deferred");
    assert!(
        listed["reason"]
            .as_str()
            .unwrap()
            .contains("max_calls_per_day")
    );
    assert_eq!(s["usage_today"]["calls"], 1);
}

#[test]
fn the_demo_runs_the_loop_end_to_end_in_its_own_folder() {
    let w = World::new();
    let keep = w.path("demo");
    let out = w
        .csep()
        .args(["demo", "--keep"])
        .arg(&keep)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "queued job",
        "succeeded",
        "- Test: `cargo test --workspace`",
        "# Repository memory (csep)",
        ">>>vendor<<<",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // It wrote only inside its folder: the world's own state stays empty.
    assert!(w.jobs().is_empty());
    assert!(keep.join("state/recall/index.db").is_file());
    assert!(
        std::fs::read_dir(w.path("codex/skills"))
            .unwrap()
            .next()
            .is_none(),
        "the user's skills folder is untouched"
    );
}

#[test]
fn two_workers_on_one_job_run_it_once() {
    let mut w = World::new();
    let mock = MockLlm::start(vec![
        answer(serde_json::json!({"memory": [], "skill": null, "summary": "nothing"}))
            .with_delay(3_000),
    ]);
    use_model(&mut w, &mock);
    w.set("CSEP__REFLECTION__MAX_CONCURRENT_WORKERS", "2");
    w.set("CSEP__PROVIDER__TIMEOUT_MS", "20000");
    let id = queue_job(&w, S1);
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("csep"))
            .envs(w.envs())
            .current_dir(w.path("repo"))
            .args(["session-reflect", "--json", "--job", &id])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    assert!(outs.iter().all(|o| o.status.success()), "{outs:?}");
    let busy = outs
        .iter()
        .filter(|o| {
            String::from_utf8_lossy(&o.stderr).contains("another worker is running this job")
        })
        .count();
    assert_eq!(busy, 1, "{outs:?}");
    assert_eq!(mock.requests().len(), 1, "the model was called once");
    let job = w.wait_final(&id, Duration::from_secs(10));
    assert_eq!(job["attempts"], 1);
}

#[test]
fn a_job_id_that_names_no_job_is_a_clear_error() {
    let w = World::new();
    // A malformed id is a usage error (2); a well-formed one naming nothing is not found (3).
    for (id, says, code) in [
        ("../../etc/passwd", "is not a job id", 2),
        ("20990101T000000Z-00", "no job", 3),
    ] {
        let out = w
            .csep()
            .args(["session-reflect", "--job", id])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn a_claude_code_sessions_skill_goes_to_claude_codes_skills_folder() {
    let mut w = World::new();
    let mock = MockLlm::start(vec![answer(serde_json::json!({
        "memory": [],
        "skill": {"name": "csep-reflect-db-migrations", "description": "Write a migration.",
                  "body": "## Workflow\n1. Add the file under migrations/.\n",
                  "evidence": [{"id": 1, "quote": "migrations must be reversible"}]},
        "summary": "a skill"
    }))]);
    use_model(&mut w, &mock);
    let id = "6cbe4a8f-3f5b-4b8e-9d1e-2f1f0c8e7a99";
    let t = w.claude_transcript(
        id,
        &[
            Turn::User("Remember this workflow: migrations must be reversible."),
            Turn::Assistant("Noted."),
        ],
    );
    w.stop_with(id, &t, &[("CSEP__REFLECTION__START_WORKER", "false")]);
    let jobs = w.jobs();
    let log = std::fs::read_to_string(w.path("state/logs/hooks.jsonl")).unwrap_or_default();
    assert_eq!(jobs.len(), 1, "{log}");
    assert_eq!(jobs[0]["client"], "claude");
    let job = w.reflect(jobs[0]["job_id"].as_str().unwrap());
    let receipt = w.receipt(&job);
    assert!(
        w.path("claude/skills/csep-reflect-db-migrations/SKILL.md")
            .is_file(),
        "{receipt:#}"
    );
    assert!(!w.path("codex/skills/csep-reflect-db-migrations").exists());
    assert_eq!(
        receipt["skills_dir"],
        w.path("claude/skills").display().to_string()
    );
}

/// The job committed its memory change (a skill may have been refused).
fn assert_committed(job: &Value) {
    assert!(
        ["succeeded", "partial"].contains(&job["status"].as_str().unwrap()),
        "{job:#}"
    );
}

fn job_file(w: &World, id: &str) -> std::path::PathBuf {
    w.path(&format!("state/session_reflection/jobs/{id}.json"))
}

/// Rewrites a job file as a worker killed mid-job leaves it: `running`, its
/// lock free.
fn as_left_by_a_kill(w: &World, id: &str) {
    let mut job: Value = serde_json::from_slice(&std::fs::read(job_file(w, id)).unwrap()).unwrap();
    job["status"] = "running".into();
    for k in ["finished_at", "outcome", "receipt", "reason"] {
        job.as_object_mut().unwrap().remove(k);
    }
    std::fs::write(job_file(w, id), serde_json::to_vec_pretty(&job).unwrap()).unwrap();
}

/// Sets a file's modification time `secs` seconds back.
fn age(path: &std::path::Path, secs: u64) {
    let t = std::time::SystemTime::now() - Duration::from_secs(secs);
    std::fs::File::open(path).unwrap().set_modified(t).unwrap();
}

#[test]
fn a_retry_after_a_kill_past_the_receipt_keeps_the_record_and_revert_works() {
    let w = World::new();
    let before = "# Memory\n\n- kept\n";
    let file = w.write_memory(before);
    let id = queue_job(&w, S1);
    let first = w.reflect(&id);
    assert_committed(&first);
    let changed = w.memory();
    assert_ne!(changed, before, "{first:#}");
    // Killed right after the receipt: the job is still `running`, no lock held.
    as_left_by_a_kill(&w, &id);

    let out = w
        .csep()
        .args(["session-reflect", "--pending"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let job = w.wait_final(&id, Duration::from_secs(5));
    assert_eq!(job["status"], first["status"], "{job:#}");
    let receipt = w.receipt(&job);
    assert_eq!(receipt["accepted"][0]["path"], "MEMORY.md", "{receipt:#}");
    assert_eq!(w.memory(), changed, "nothing ran twice");

    let out = w.csep().args(["memory", "revert", &id]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn a_burst_of_jobs_is_drained_by_one_worker() {
    let w = World::new();
    let first = queue_job(&w, S1);
    let text = std::fs::read_to_string(job_file(&w, &first)).unwrap();
    let ids: Vec<String> = (0..30).map(|n| format!("{first}-{n:02}")).collect();
    for id in &ids {
        std::fs::write(job_file(&w, id), text.replace(&first, id)).unwrap();
    }
    let out = w
        .csep()
        .args(["session-reflect", "--and-pending", "--job", &first])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let left: Vec<String> = w
        .jobs()
        .iter()
        .filter(|j| ["queued", "running"].contains(&j["status"].as_str().unwrap()))
        .map(|j| j["job_id"].as_str().unwrap().to_string())
        .collect();
    assert!(left.is_empty(), "still open: {left:?}");
}

#[test]
fn the_next_stop_starts_a_worker_for_a_stranded_queue() {
    let w = World::new();
    let queued = queue_job(&w, S1);
    // A second job whose worker died (ENOSPC, a kill): `running`, lock free.
    let orphan = format!("{queued}-orphan");
    let text = std::fs::read_to_string(job_file(&w, &queued)).unwrap();
    std::fs::write(job_file(&w, &orphan), text.replace(&queued, &orphan)).unwrap();
    as_left_by_a_kill(&w, &orphan);
    age(&job_file(&w, &queued), 600);
    // Ten minutes pass for the queue's last look too.
    let looked = w.path("state/session_reflection/stranded.stamp");
    if looked.exists() {
        age(&looked, 600);
    }

    // The session's next Stop queues nothing (its job is pending), yet the
    // queue gets a worker.
    let t = instructive_session(&w, S1);
    w.stop(S1, &t);
    let last = w.log().pop().unwrap();
    assert!(last["worker_pid"].is_number(), "{last:#}");
    for id in [&queued, &orphan] {
        let job = w.wait_final(id, Duration::from_secs(60));
        assert_ne!(job["status"], "failed", "{job:#}");
    }
}

#[test]
fn a_finished_run_keeps_its_receipt_and_backup_and_retention_prunes_the_rest() {
    let w = World::new();
    w.write_memory("# Memory\n\n- kept\n");
    let changed = queue_job(&w, S1);
    assert_committed(&w.reflect(&changed));
    let nothing = queue_job(&w, "019a0000-0000-7000-8000-0000000000d2");
    assert_eq!(w.reflect(&nothing)["status"], "skipped");

    let runs = w.path("state/session_reflection/runs");
    for id in [&changed, &nothing] {
        let run = runs.join(id);
        assert!(run.join("receipt.json").is_file());
        assert!(!run.join("session").exists(), "the session copy went");
        assert!(!run.join("staging").exists(), "staging went");
    }
    assert!(
        runs.join(&changed)
            .join("backup/memory/MEMORY.md")
            .is_file()
    );

    // Ten days on: the run that changed nothing and both job files go; the
    // change stays revertible.
    for id in [&changed, &nothing] {
        age(&runs.join(id).join("receipt.json"), 10 * 86_400);
    }
    for id in [&changed, &nothing] {
        age(&job_file(&w, id), 20 * 86_400);
    }
    let pruned = w.json(&["session-reflect", "--prune", "--json"]);
    assert_eq!(pruned["runs"], 1, "{pruned:#}");
    assert_eq!(pruned["jobs"], 2, "{pruned:#}");
    assert!(!runs.join(&nothing).exists());
    assert!(runs.join(&changed).join("receipt.json").is_file());
    let out = w
        .csep()
        .args(["memory", "revert", &changed])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(w.memory(), "# Memory\n\n- kept\n");

    let s = w.json(&["session-reflect", "--status", "--json"]);
    let parts = &s["state_size"]["parts"];
    for part in ["runs", "jobs", "recall", "cache", "logs", "projects"] {
        assert!(parts[part]["bytes"].is_number(), "{part}: {s:#}");
    }
    assert!(parts["recall"]["bytes"].as_u64().unwrap() > 0, "{s:#}");
}
