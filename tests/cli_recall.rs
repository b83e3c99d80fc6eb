//! `csep recall` through the real binary, on transcripts in the real formats, into a
//! real SQLite database.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::corpus::{self, Rng, SessionSpec};
use crate::support::world::World;

/// The shared machine, with a linked worktree `wt/` of `repo/` and a folder `other/`
/// outside any repository.
struct RecallWorld(World);

impl std::ops::Deref for RecallWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.0
    }
}

impl RecallWorld {
    fn new() -> RecallWorld {
        let w = World::new();
        w.linked_worktree("wt");
        w.mkdir("other");
        RecallWorld(w)
    }

    fn bootstrap(&self) -> Value {
        self.json_ok(&["recall", "bootstrap", "--all-history"])
    }

    /// Writes a rollout for a session run in `cwd`, with `planted` user text.
    fn codex_session(&self, id: &str, cwd: &Path, planted: &[&str]) -> PathBuf {
        let mut rng = Rng::new(id.len() as u64);
        let text = corpus::rollout(
            &mut rng,
            &SessionSpec {
                id: id.to_string(),
                cwd: cwd.to_str().unwrap(),
                start_ms: 1_764_000_000_000,
                messages: 12,
                cjk: false,
                planted,
            },
        );
        self.write_rollout(id, &text)
    }
}

fn search(w: &RecallWorld, query: &str, extra: &[&str]) -> Value {
    let mut args = vec!["recall", query];
    args.extend_from_slice(extra);
    w.json_ok(&args)
}

fn session_ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap().to_string())
        .collect()
}

const A: &str = "019a0000-0000-7000-8000-00000000000a";
const B: &str = "019a0000-0000-7000-8000-00000000000b";

#[test]
fn a_bootstrapped_session_is_found_with_its_context() {
    let w = RecallWorld::new();
    let path = w.codex_session(
        A,
        &w.path("repo"),
        &["the zanzibar_widget crashes on startup"],
    );
    let report = w.bootstrap();
    assert_eq!(report["new_sessions"], 1);
    assert_eq!(report["error_count"], 0);

    let v = search(&w, "zanzibar_widget", &[]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["status"], "matched");
    assert_eq!(v["scope"], "repo");
    assert_eq!(session_ids(&v), vec![A]);
    let r = &v["results"][0];
    assert_eq!(r["client"], "codex");
    assert_eq!(r["repo"], w.path("repo").to_str().unwrap());
    assert_eq!(r["branch"], "main");
    assert_eq!(r["transcript_paths"][0], path.to_str().unwrap());
    let hit = &r["hits"][0];
    assert_eq!(hit["role"], "user");
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains(">>>zanzibar_widget<<<"),
        "{hit}"
    );
    assert!(
        hit["at"].as_str().unwrap().starts_with("2025-11-2"),
        "{hit}"
    );

    // Part of an identifier, and a path, are found too.
    assert_eq!(session_ids(&search(&w, "zanzibar", &[])), vec![A]);
    assert_eq!(session_ids(&search(&w, "widget", &[])), vec![A]);

    let shown = w.json_ok(&["recall", "show", A]);
    let texts: Vec<&str> = shown["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(texts.iter().any(|t| t.contains("zanzibar_widget")));
    assert!(
        !texts.iter().any(|t| t.contains("<environment_context>")),
        "injected context is not indexed"
    );
}

#[test]
fn commands_and_tool_output_are_searchable_but_rank_below_what_people_wrote() {
    let w = RecallWorld::new();
    let dir = w.path("codex/sessions/2025/11/24");
    std::fs::create_dir_all(&dir).unwrap();
    let cwd = w.path("repo");
    let lines = [
        format!(r#"{{"timestamp":"2025-11-24T10:00:00.000Z","type":"session_meta","payload":{{"id":"{A}","cwd":"{}","timestamp":"2025-11-24T10:00:00.000Z"}}}}"#, cwd.display()),
        r#"{"timestamp":"2025-11-24T10:00:01.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"run the migrations please"}]}}"#.to_string(),
        r#"{"timestamp":"2025-11-24T10:00:02.000Z","type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"cmd\": \"sqlx migrate run --source db/quokka\"}","call_id":"c1"}}"#.to_string(),
        r#"{"timestamp":"2025-11-24T10:00:03.000Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c1","output":"Process exited with code 1\nOutput:\nerror: relation \"wombat_ledger\" does not exist\n"}}"#.to_string(),
    ];
    std::fs::write(
        dir.join(format!("rollout-2025-11-24T10-00-00-{A}.jsonl")),
        lines.join("\n") + "\n",
    )
    .unwrap();
    w.codex_session(B, &cwd, &["the wombat_ledger table needs an index"]);
    w.bootstrap();

    let v = search(&w, "quokka", &[]);
    assert_eq!(session_ids(&v), vec![A], "a command line is indexed");
    assert_eq!(v["results"][0]["hits"][0]["role"], "tool-call");

    let v = search(&w, "wombat_ledger", &[]);
    assert_eq!(
        session_ids(&v),
        vec![B, A],
        "the user's words rank above a tool output"
    );
    assert_eq!(v["results"][1]["hits"][0]["role"], "tool-output");
}

#[test]
fn bad_lines_are_skipped_and_a_live_session_is_completed_later() {
    let w = RecallWorld::new();
    let dir = w.path("codex/sessions/2025/11/24");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("rollout-2025-11-24T10-00-00-{A}.jsonl"));
    let cwd = w.path("repo");
    let user = |text: &str| {
        format!(
            r#"{{"timestamp":"2025-11-24T10:00:01.000Z","type":"response_item","payload":{{"type":"message","role":"user","content":[{{"type":"input_text","text":"{text}"}}]}}}}"#
        )
    };
    let mut body = String::new();
    body.push_str(&format!(
        r#"{{"timestamp":"2025-11-24T10:00:00.000Z","type":"session_meta","payload":{{"id":"{A}","cwd":"{}"}}}}"#,
        cwd.display()
    ));
    body.push('\n');
    body.push_str(&user("before the damage: aardvark"));
    body.push('\n');
    body.push_str("{this is not json\n");
    body.push_str(
        r#"{"timestamp":"2025-11-24T10:00:02.000Z","type":"hologram_record","payload":{"x":1}}"#,
    );
    body.push('\n');
    body.push_str(&user("after the damage: pangolin"));
    body.push('\n');
    let last = user("still being typed: narwhal");
    body.push_str(&last[..last.len() / 2]);
    std::fs::write(&path, &body).unwrap();

    let report = w.bootstrap();
    assert_eq!(report["new_sessions"], 1);
    assert_eq!(report["error_count"], 0);
    assert_eq!(session_ids(&search(&w, "aardvark", &[])), vec![A]);
    assert_eq!(session_ids(&search(&w, "pangolin", &[])), vec![A]);
    assert!(
        session_ids(&search(&w, "narwhal", &[])).is_empty(),
        "a half-written line waits"
    );

    // The session resumes: the line is finished and a new turn appended.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&last.as_bytes()[last.len() / 2..]).unwrap();
    f.write_all(b"\n").unwrap();
    f.write_all(user("resumed: okapi").as_bytes()).unwrap();
    f.write_all(b"\n").unwrap();
    drop(f);
    let report = w.bootstrap();
    assert_eq!(report["updated_sessions"], 1);
    assert_eq!(report["new_sessions"], 0);
    assert_eq!(session_ids(&search(&w, "narwhal", &[])), vec![A]);
    assert_eq!(session_ids(&search(&w, "okapi", &[])), vec![A]);
    let shown = w.json_ok(&["recall", "show", A]);
    assert_eq!(
        shown["messages"].as_array().unwrap().len(),
        4,
        "appending read only the new lines, without duplicates"
    );

    let report = w.bootstrap();
    assert_eq!(report["unchanged_sessions"], 1);
}

#[test]
fn chinese_japanese_and_korean_text_is_found() {
    let w = RecallWorld::new();
    w.codex_session(
        A,
        &w.path("repo"),
        &[
            "记住：这个仓库跑测试用 cargo nextest run",
            "設定ファイルが壊れています",
            "배포 스크립트가 실패했습니다",
        ],
    );
    w.bootstrap();
    for needle in [
        "仓库",
        "测试用",
        "跑测试",
        "設定ファイル",
        "壊れ",
        "배포 스크립트",
        "실패",
    ] {
        assert_eq!(session_ids(&search(&w, needle, &[])), vec![A], "{needle}");
    }
    let v = search(&w, "仓库", &[]);
    let snippet = v["results"][0]["hits"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains(">>>仓库<<<"), "{snippet}");
}

#[test]
fn secrets_are_redacted_before_anything_is_stored() {
    let w = RecallWorld::new();
    let key = format!(
        "sk-proj-{}{}",
        "T3BlbkFJq8xV2mN7pL4kR9sW1d", "Z6cY0hG5jE3uB8nQ2vX7aK4fM1tH"
    );
    let said = format!(
        "my key is {key} and GITHUB_TOKEN=ghp_{}{}",
        "k7Lq2Vx9Rt4Mz8Bw1", "Nc6Hy3Pd5Gf0Js2Ua9E"
    );
    w.codex_session(A, &w.path("repo"), &[&said]);
    let report = w.bootstrap();
    assert!(report["redactions"].as_u64().unwrap() >= 2, "{report}");

    assert!(session_ids(&search(&w, &key, &["--global"])).is_empty());
    assert!(session_ids(&search(&w, "T3BlbkFJq8xV2mN7pL4kR9sW1d", &["--global"])).is_empty());
    let v = search(&w, "GITHUB_TOKEN", &[]);
    assert_eq!(
        session_ids(&v),
        vec![A],
        "the variable name stays searchable"
    );
    let shown = w.json_ok(&["recall", "show", A]);
    let all = shown.to_string();
    assert!(!all.contains(&key));
    assert!(all.contains("[REDACTED:"), "{all}");

    // Nothing of the key reaches the database files either.
    for f in std::fs::read_dir(w.path("state/recall")).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(12).any(|win| win == &key.as_bytes()[..12]),
            "the key is on disk"
        );
    }
}

#[test]
fn the_reflection_workers_own_sessions_are_never_indexed() {
    let w = RecallWorld::new();
    w.codex_session(
        A,
        &w.path("repo"),
        &["CSEP_REFLECTION_JOB_ID=job-42 reflect on the session about capybara"],
    );
    w.codex_session(B, &w.path("repo"), &["an ordinary session about capybara"]);
    let report = w.bootstrap();
    assert_eq!(report["skipped_sessions"], 1);
    assert_eq!(report["new_sessions"], 1);
    assert_eq!(session_ids(&search(&w, "capybara", &["--global"])), vec![B]);
    assert_eq!(w.bootstrap()["skipped_sessions"], 1, "and stays skipped");
}

#[test]
fn results_are_scoped_to_the_repo_and_its_worktrees_unless_global() {
    let w = RecallWorld::new();
    w.codex_session(A, &w.path("wt"), &["the flamingo bug"]);
    w.codex_session(B, &w.path("other"), &["another flamingo bug"]);
    w.bootstrap();
    assert_eq!(
        session_ids(&search(&w, "flamingo", &[])),
        vec![A],
        "a worktree is the same repo"
    );
    let mut global = session_ids(&search(&w, "flamingo", &["--global"]));
    global.sort();
    assert_eq!(global, vec![A, B]);
    let other = w.path("other");
    let v = search(&w, "flamingo", &["--cwd", other.to_str().unwrap()]);
    assert_eq!(session_ids(&v), vec![B]);
    assert_eq!(v["repo"], other.to_str().unwrap());

    let recent = w.json_ok(&["recall", "--recent"]);
    assert_eq!(session_ids(&recent), vec![A]);
    assert_eq!(recent["recent"], true);
}

#[test]
fn alternatives_are_separated_by_bars() {
    let w = RecallWorld::new();
    w.codex_session(A, &w.path("repo"), &["the tapir module"]);
    w.codex_session(B, &w.path("repo"), &["the gecko module"]);
    w.bootstrap();
    let mut ids = session_ids(&search(&w, "tapir|gecko|nothing-like-this", &[]));
    ids.sort();
    assert_eq!(ids, vec![A, B]);
    assert_eq!(
        search(&w, "tapir|gecko", &[])["needles"],
        serde_json::json!(["tapir", "gecko"])
    );
}

#[test]
fn claude_code_sessions_are_imported() {
    let w = RecallWorld::new();
    let dir = w.path("claude/projects/-home-dev-proj");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/transcripts/claude-2.1.332-transcript-sample.jsonl");
    std::fs::copy(
        &fixture,
        dir.join("60ee10f8-b2ca-42ac-b604-e79d2fe621b4.jsonl"),
    )
    .unwrap();
    let report = w.json_ok(&["recall", "sync-claude", "--all-history"]);
    assert_eq!(report["new_sessions"], 1, "{report}");
    let v = search(&w, "cc-tool-ran", &["--global"]);
    assert_eq!(
        session_ids(&v),
        vec!["60ee10f8-b2ca-42ac-b604-e79d2fe621b4"]
    );
    assert_eq!(v["results"][0]["client"], "claude");
    let v = search(&w, "marker command", &["--global", "--client", "claude"]);
    assert_eq!(v["count"], 1);
    assert_eq!(
        search(&w, "marker command", &["--global", "--client", "codex"])["count"],
        0
    );
}

#[test]
fn errors_are_a_typed_envelope_and_a_missing_index_is_no_match() {
    let w = RecallWorld::new();
    let out = w.csep().args(["recall", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["error"]["kind"], "missing-query");
    assert!(v["error"]["hint"].as_str().unwrap().contains("--recent"));

    let out = w
        .csep()
        .args(["recall", "x", "--since", "soon", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "bad-since");

    let v = search(&w, "anything", &[]);
    assert_eq!(v["status"], "no_match");
    assert_eq!(v["count"], 0);

    let out = w
        .csep()
        .args(["recall", "show", "nope", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "unknown-session");
}

#[test]
fn two_imports_at_once_both_succeed_without_duplicates() {
    let w = RecallWorld::new();
    let repo = w.path("repo");
    corpus::write_codex_corpus(
        &w.path("codex/sessions"),
        60,
        40,
        &[repo.to_str().unwrap()],
        7,
    );
    let spawn = || {
        w.command()
            .args(["recall", "bootstrap", "--all-history", "--json"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut a = spawn();
    let mut b = spawn();
    let (ra, rb) = (a.wait().unwrap(), b.wait().unwrap());
    assert!(ra.success() && rb.success());
    let mut out = String::new();
    std::io::Read::read_to_string(a.stdout.as_mut().unwrap(), &mut out).unwrap();
    let va: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(va["error_count"], 0, "{va}");

    let fresh = RecallWorld::new();
    corpus::write_codex_corpus(
        &fresh.path("codex/sessions"),
        60,
        40,
        &[repo.to_str().unwrap()],
        7,
    );
    fresh.bootstrap();
    assert_eq!(count_messages(&w), count_messages(&fresh), "no duplicates");
}

fn count_messages(w: &RecallWorld) -> u64 {
    let recent = w.json_ok(&["recall", "--recent", "--global", "--limit", "1000"]);
    let mut total = 0;
    for id in session_ids(&recent) {
        total += w.json_ok(&["recall", "show", &id])["messages"]
            .as_array()
            .unwrap()
            .len() as u64;
    }
    total
}

#[test]
fn an_import_killed_midway_is_completed_by_the_next_run() {
    let w = RecallWorld::new();
    let repo = w.path("repo");
    corpus::write_codex_corpus(
        &w.path("codex/sessions"),
        150,
        60,
        &[repo.to_str().unwrap()],
        9,
    );
    let mut child = w
        .command()
        .args(["recall", "bootstrap", "--all-history"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let _ = child.kill();
    let _ = child.wait();
    let report = w.bootstrap();
    assert_eq!(report["error_count"], 0);

    let fresh = RecallWorld::new();
    corpus::write_codex_corpus(
        &fresh.path("codex/sessions"),
        150,
        60,
        &[repo.to_str().unwrap()],
        9,
    );
    fresh.bootstrap();
    assert_eq!(count_messages(&w), count_messages(&fresh));
}

/// The JSON shape agents rely on, pinned. `CSEP_UPDATE_GOLDEN=1` rewrites the file
/// after a deliberate change (and `SCHEMA_VERSION` must then be bumped).
#[test]
fn the_json_shape_is_pinned_by_a_golden_file() {
    let w = RecallWorld::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/transcripts/codex-0.169.0-rollout-sample.jsonl");
    let text = std::fs::read_to_string(fixture)
        .unwrap()
        .replace("/home/dev/proj", w.path("repo").to_str().unwrap());
    let dir = w.path("codex/sessions/2026/11/25");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("rollout-2026-11-25T12-55-09-01a212c6-364d-70b0-bc7e-4efda03ec0ae.jsonl"),
        text,
    )
    .unwrap();
    w.bootstrap();
    let mut outputs = Vec::new();
    for args in [
        vec!["recall", "hook-e2e-tool-ran|say hello"],
        vec!["recall", "--recent"],
        vec![
            "recall",
            "show",
            "01a212c6-364d-70b0-bc7e-4efda03ec0ae",
            "--around",
        ],
    ] {
        let mut args = args;
        let around;
        if args[1] == "show" {
            let v = search(&w, "follow-up", &[]);
            around = v["results"][0]["hits"][0]["message_id"].to_string();
            args.push(&around);
            args.extend(["--context", "1"]);
        }
        outputs.push(w.json_ok(&args));
    }
    let actual = serde_json::to_string_pretty(&outputs)
        .unwrap()
        .replace(w.path("").to_str().unwrap(), "<root>/");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/recall.json");
    if std::env::var_os("CSEP_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, format!("{actual}\n")).unwrap();
    }
    let expected = std::fs::read_to_string(&golden)
        .expect("tests/golden/recall.json is missing: run with CSEP_UPDATE_GOLDEN=1 once");
    assert_eq!(
        actual.trim_end(),
        expected.trim_end(),
        "the recall JSON changed"
    );
}

#[test]
fn a_rewritten_transcript_is_indexed_again() {
    let w = RecallWorld::new();
    let path = w.codex_session(A, &w.path("repo"), &["the original mentions a jackalope"]);
    w.bootstrap();
    assert_eq!(session_ids(&search(&w, "jackalope", &[])), vec![A]);
    let mut rng = Rng::new(99);
    let text = corpus::rollout(
        &mut rng,
        &SessionSpec {
            id: A.to_string(),
            cwd: w.path("repo").to_str().unwrap(),
            start_ms: 1_764_000_000_000,
            messages: 4,
            cjk: false,
            planted: &["the rewrite mentions a wolpertinger"],
        },
    );
    std::fs::write(&path, text).unwrap();
    let report = w.bootstrap();
    assert_eq!(report["updated_sessions"], 1, "{report}");
    assert!(session_ids(&search(&w, "jackalope", &[])).is_empty());
    assert_eq!(session_ids(&search(&w, "wolpertinger", &[])), vec![A]);
    assert_eq!(
        w.json_ok(&["recall", "show", A])["messages"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

// ------------------------------------------------------------ faults and healing

fn garble_header(db: &Path) {
    let mut bytes = std::fs::read(db).unwrap();
    bytes[..16].copy_from_slice(b"not sqlite at al");
    std::fs::write(db, bytes).unwrap();
}

#[test]
fn a_damaged_index_names_its_fix_once_and_rebuild_restores_search() {
    let w = RecallWorld::new();
    w.codex_session(
        A,
        &w.path("repo"),
        &["the zanzibar_widget crashes on startup"],
    );
    w.bootstrap();
    let db = w.path("state/recall/index.db");
    garble_header(&db);

    let out = w
        .csep()
        .args(["recall", "zanzibar_widget"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("csep recall rebuild"), "{stderr}");
    assert!(stderr.contains(db.to_str().unwrap()), "{stderr}");
    assert!(
        stderr.matches("not a database").count() <= 2,
        "said once: {stderr}"
    );
    let out = w
        .csep()
        .args(["recall", "zanzibar_widget", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "damaged-database", "{v}");
    assert_eq!(v["error"]["hint"], "csep recall rebuild", "{v}");
    let report = w.json_ok(&["recall", "rebuild"]);
    assert_eq!(report["status"], "completed", "{report}");
    let moved = PathBuf::from(report["moved_aside"].as_str().unwrap());
    assert!(moved.is_file(), "the damaged file is kept: {report}");
    assert_eq!(report["new_sessions"], 1, "{report}");
    assert_eq!(session_ids(&search(&w, "zanzibar_widget", &[])), vec![A]);

    // An import moves a damaged index aside too, says so, and goes on.
    garble_header(&db);
    let out = w
        .csep()
        .args(["recall", "bootstrap", "--all-history"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("moved to") && stderr.contains("csep recall rebuild"),
        "{stderr}"
    );
    assert_eq!(session_ids(&search(&w, "zanzibar_widget", &[])), vec![A]);
}

#[test]
fn a_rebuild_reads_again_the_transcripts_the_damaged_index_recorded() {
    let w = RecallWorld::new();
    // Imported from a folder of its own: no default root holds it.
    let elsewhere = w.path("imported/sessions");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let t = w.codex_session(A, &w.path("repo"), &["the quasar_bridge leaks sockets"]);
    std::fs::rename(&t, elsewhere.join(t.file_name().unwrap())).unwrap();
    w.json_ok(&[
        "recall",
        "bootstrap",
        "--all-history",
        "--root",
        elsewhere.to_str().unwrap(),
    ]);
    let db = w.path("state/recall/index.db");
    // As a hook leaves it: the damaged file beside a fresh index.
    let aside = w.path("state/recall/index.db.damaged-20261201T000000Z");
    std::fs::rename(&db, &aside).unwrap();
    assert_eq!(search(&w, "quasar_bridge", &[])["count"], 0);

    let report = w.json_ok(&["recall", "rebuild"]);
    assert!(
        report["sources"][0]
            .as_str()
            .unwrap()
            .contains("1 transcripts recorded in"),
        "{report}"
    );
    assert_eq!(session_ids(&search(&w, "quasar_bridge", &[])), vec![A]);
    assert!(aside.is_file(), "never deleted");
}

#[test]
fn a_bootstrap_that_reports_errors_exits_non_zero() {
    use std::os::unix::process::CommandExt;
    let w = RecallWorld::new();
    w.codex_session(A, &w.path("repo"), &["first"]);
    w.bootstrap();
    let db = w.path("state/recall/index.db");
    let limit = std::fs::metadata(&db).unwrap().len() + 64 * 1024;
    for i in 0..30 {
        let id = format!("019a0000-0000-7000-8000-0000000001{i:02}");
        let mut rng = Rng::new(i);
        let text = corpus::rollout(
            &mut rng,
            &SessionSpec {
                id: id.clone(),
                cwd: w.path("repo").to_str().unwrap(),
                start_ms: 1_764_000_000_000,
                messages: 200,
                cjk: false,
                planted: &[],
            },
        );
        std::fs::write(
            w.path(&format!(
                "codex/sessions/2025/11/24/rollout-2025-11-24T16-00-00-{id}.jsonl"
            )),
            text,
        )
        .unwrap();
    }
    // A file-size limit stands in for a full disk: writes past it fail.
    let mut cmd = w.command();
    cmd.args(["recall", "bootstrap", "--all-history", "--json"]);
    // SAFETY: setrlimit and signal are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error_count"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["status"], "completed_with_errors", "{v}");
}

/// Not recall's, but the same rule: a fault a command reports is listed as one and
/// makes it exit non-zero.
#[test]
fn a_truncated_receipt_is_listed_as_unreadable_not_dropped() {
    let w = World::new();
    let run = w.path("state/session_reflection/runs/20261207T090000Z-5d1e2f3a");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("receipt.json"), r#"{"job_id": "20261207T0900"#).unwrap();
    // A run still in progress has no receipt yet: that is not a fault.
    std::fs::create_dir_all(run.with_file_name("20261207T091500Z-77aa0b1c")).unwrap();
    let out = w
        .csep()
        .args(["memory", "history", "--all", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 1, "{v:#}");
    assert!(items[0]["receipt"].is_null());
    assert_eq!(items[0]["run_dir"], run.to_str().unwrap());
    assert!(
        items[0]["unreadable"]
            .as_str()
            .unwrap()
            .contains("is not a receipt"),
        "{v:#}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be read"));
}
