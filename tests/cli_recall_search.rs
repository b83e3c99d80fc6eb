//! `csep recall` searches that are complete and explained, windows, short ids, forget,
//! redact and the reflection worker's sessions: the real binary on a real index.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::corpus::{self, Rng, SessionSpec};
use crate::support::skip::tool;
use crate::support::world::World;

const DAY: u64 = 86_400_000;
const T0: u64 = 1_764_000_000_000;

/// The shared machine, with a second repository `other/`.
struct SearchWorld(World);

impl std::ops::Deref for SearchWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.0
    }
}

impl SearchWorld {
    fn new() -> SearchWorld {
        let w = World::new();
        w.mkdir("other/.git");
        SearchWorld(w)
    }

    /// A Codex rollout started `day` days after T0 in `cwd`, with `planted` user text.
    fn session(&self, id: &str, cwd: &Path, day: u64, planted: &[&str]) -> PathBuf {
        let mut rng = Rng::new(id.len() as u64 + day);
        let text = corpus::rollout(
            &mut rng,
            &SessionSpec {
                id: id.to_string(),
                cwd: cwd.to_str().unwrap(),
                start_ms: T0 + day * DAY,
                messages: 12,
                cjk: false,
                planted,
            },
        );
        self.write_rollout(id, &text)
    }

    /// A rollout of exactly these user messages (each answered), started `day` days
    /// after T0 in `cwd`.
    fn said(&self, id: &str, cwd: &Path, day: u64, users: &[String]) -> PathBuf {
        let start = T0 + day * DAY;
        let ts = |ms: u64| {
            let secs = ms / 1000;
            format!("{}.{:03}Z", civil(secs), ms % 1000)
        };
        let mut out = String::new();
        let mut line = |ms: u64, kind: &str, payload: Value| {
            out.push_str(
                &serde_json::json!({"timestamp": ts(ms), "type": kind, "payload": payload})
                    .to_string(),
            );
            out.push('\n');
        };
        line(
            start,
            "session_meta",
            serde_json::json!({"id": id, "timestamp": ts(start), "cwd": cwd,
                "originator": "codex_cli_rs", "cli_version": "0.169.0"}),
        );
        for (i, text) in users.iter().enumerate() {
            let at = start + 1000 * (2 * i as u64 + 1);
            line(
                at,
                "response_item",
                serde_json::json!({"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": text}]}),
            );
            line(
                at + 1000,
                "response_item",
                serde_json::json!({"type": "message", "role": "assistant",
                    "content": [{"type": "output_text", "text": format!("done with part {i}")}]}),
            );
        }
        self.write_rollout(id, &out)
    }

    fn bootstrap(&self) -> Value {
        self.json_ok(&["recall", "bootstrap", "--all-history"])
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of seconds since the epoch.
fn civil(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn id(n: u64) -> String {
    format!("019a{n:04x}-0000-7000-8000-{n:012x}")
}

fn ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap().to_string())
        .collect()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn envelope(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_common_word_returns_limit_sessions_newest_first() {
    let w = SearchWorld::new();
    // Sixty messages a session hold the word: the newest matches alone would fill
    // only a few sessions.
    let said: Vec<String> = (0..60).map(|i| format!("zephyrine step {i}")).collect();
    for n in 0..14 {
        w.said(&id(n), &w.path("repo"), n, &said);
    }
    w.said(&id(99), &w.path("other"), 99, &said);
    w.bootstrap();
    let newest: Vec<String> = (4..14).rev().map(id).collect();

    let v = w.json_ok(&["recall", "zephyrine", "--limit", "10"]);
    assert_eq!(v["count"], 10);
    assert_eq!(
        ids(&v),
        newest,
        "the ten newest of equal matches, newest first"
    );
    assert_eq!(
        v["results"][0]["hit_count"], 8,
        "a few hits a session rank it"
    );

    let v = w.json_ok(&["recall", "zephyrine", "--global", "--top-k", "10"]);
    let mut want = vec![id(99)];
    want.extend(newest[..9].iter().cloned());
    assert_eq!(ids(&v), want, "--top-k is --limit, across repos");

    let v = w.json_ok(&["recall", "zephyrine", "--limit", "50"]);
    assert_eq!(v["count"], 14, "every matching session of the repo");

    // A phrase of common words found in every message: the same.
    let v = w.json_ok(&["recall", "zephyrine step", "--limit", "12"]);
    assert_eq!(v["count"], 12);

    // What people wrote ranks above tool text, however new the tool text.
    let tool = w.said(
        &id(500),
        &w.path("repo"),
        500,
        &["run the tests".to_string()],
    );
    let mut text = std::fs::read_to_string(&tool).unwrap();
    let at = "2025-11-24T16:00:00.000Z";
    for line in [
        serde_json::json!({"timestamp": at, "type": "response_item", "payload": {
            "type": "function_call", "name": "exec_command", "call_id": "c1",
            "arguments": "{\"cmd\":\"cargo test\"}"}}),
        serde_json::json!({"timestamp": at, "type": "response_item", "payload": {
            "type": "function_call_output", "call_id": "c1",
            "output": "test zephyrine_parses ... ok"}}),
    ] {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(&tool, text).unwrap();
    w.bootstrap();
    let v = w.json_ok(&["recall", "zephyrine", "--limit", "20"]);
    assert_eq!(v["count"], 15);
    assert_eq!(ids(&v)[0], id(13));
    assert_eq!(
        ids(&v)[14],
        id(500),
        "tool output only: last, though newest"
    );
    let v = w.json_ok(&["recall", "zephyrine|done with part", "--limit", "3"]);
    assert_eq!(
        ids(&v),
        vec![id(500), id(13), id(12)],
        "sessions holding both alternatives first"
    );
}

#[test]
fn phrases_and_all_terms_are_both_there_and_marked() {
    let w = SearchWorld::new();
    let (a, b) = (id(1), id(2));
    w.session(
        &a,
        &w.path("repo"),
        1,
        &["the worker hit a timeout so we retry"],
    );
    w.session(&b, &w.path("repo"), 2, &["add a Worker-Timeout retry loop"]);
    w.bootstrap();

    let v = w.json_ok(&["recall", "worker timeout retry"]);
    assert_eq!(ids(&v), vec![b.clone()], "a phrase by default");
    let hit = &v["results"][0]["hits"][0];
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .ends_with("add a >>>Worker-Timeout retry<<< loop"),
        "{hit}"
    );
    assert_spans(hit, &["Worker-Timeout retry"]);
    assert_eq!(hit["spans"].as_array().unwrap().len(), 1);
    assert_eq!(v["mode"], "phrase");

    let v = w.json_ok(&["recall", "worker timeout retry", "--all-terms"]);
    assert_eq!(ids(&v), vec![b.clone(), a.clone()]);
    assert_eq!(v["mode"], "all-terms");
    let hit = &v["results"][1]["hits"][0];
    assert_spans(hit, &["worker", "timeout", "retry"]);
    assert!(hit["spans"].as_array().unwrap().len() >= 3);
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .ends_with("the >>>worker<<< hit a >>>timeout<<< so we >>>retry<<<"),
        "{hit}"
    );

    let v = w.json_ok(&["recall", "retry \"worker timeout\"", "--all-terms"]);
    assert_eq!(ids(&v), vec![b.clone()], "a quoted phrase stays a phrase");

    // Nothing for the phrase: the hint names --all-terms.
    let v = w.json_ok(&["recall", "retry timeout worker"]);
    assert_eq!(v["status"], "no_match");
    assert!(v["hint"].as_str().unwrap().contains("--all-terms"), "{v}");

    // Text: markers when piped, bold when colour is forced.
    let out = w.run(&["recall", "worker timeout retry"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(">>>Worker-Timeout retry<<<"), "{text}");
    let out = w
        .command()
        .env("CLICOLOR_FORCE", "1")
        .args(["recall", "worker timeout retry"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("\x1b[1mWorker-Timeout retry\x1b[22m"),
        "{text:?}"
    );
    assert!(!text.contains(">>>"));
}

/// The last spans of the hit's text are `want`, in order (case folded).
fn assert_spans(hit: &Value, want: &[&str]) {
    let chars: Vec<char> = hit["text"].as_str().unwrap().chars().collect();
    let got: Vec<String> = hit["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (a, b) = (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap());
            chars[a as usize..b as usize]
                .iter()
                .collect::<String>()
                .to_lowercase()
        })
        .collect();
    let want: Vec<String> = want.iter().map(|w| w.to_lowercase()).collect();
    assert!(got.ends_with(&want), "{got:?} {hit}");
}

#[test]
fn windows_budgets_and_the_current_session() {
    let w = SearchWorld::new();
    let (a, b) = (id(1), id(2));
    let long = format!("quokka {}", "lorem ipsum ".repeat(200));
    w.session(&a, &w.path("repo"), 1, &["the quokka nests here", &long]);
    w.session(&b, &w.path("repo"), 2, &["another quokka"]);
    w.bootstrap();

    let v = w.json_ok(&["recall", "quokka"]);
    assert!(
        v["results"][0].get("windows").is_none(),
        "no windows unless asked"
    );

    let v = w.json_ok(&["recall", "quokka", "--before", "1", "--after", "1"]);
    for r in v["results"].as_array().unwrap() {
        let windows = r["windows"].as_array().unwrap();
        assert!(!windows.is_empty() && windows.len() <= 2, "{r}");
        for win in windows {
            let msgs = win["messages"].as_array().unwrap();
            assert!(msgs.len() <= 3);
            let anchors: Vec<&Value> = msgs.iter().filter(|m| m["anchor"] == true).collect();
            assert_eq!(anchors.len(), 1);
            assert_eq!(anchors[0]["message_id"], win["anchor_message_id"]);
            assert!(
                anchors[0]["text"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("quokka")
            );
        }
    }
    assert!(v["budget"]["used_chars"].as_u64().unwrap() <= 12_000);

    let v = w.json_ok(&[
        "recall",
        "quokka",
        "--global",
        "--budget-chars",
        "400",
        "--message-chars",
        "120",
        "--windows-per-session",
        "1",
    ]);
    assert_eq!(v["budget"]["budget_chars"], 400);
    assert!(v["budget"]["used_chars"].as_u64().unwrap() <= 400);
    assert_eq!(v["budget"]["truncated"], true, "{v}");
    for r in v["results"].as_array().unwrap() {
        assert!(r["windows"].as_array().unwrap().len() <= 1);
        for win in r["windows"].as_array().unwrap() {
            for m in win["messages"].as_array().unwrap() {
                // 120 characters and the note saying what was cut.
                assert!(m["text"].as_str().unwrap().chars().count() < 200, "{m}");
            }
        }
    }

    // Tool calls and outputs have their own cap, people's messages theirs.
    let v = w.json_ok(&[
        "recall",
        "quokka",
        "--global",
        "--before",
        "12",
        "--after",
        "12",
        "--budget-chars",
        "100000",
        "--message-chars",
        "5000",
        "--tool-message-chars",
        "80",
    ]);
    let messages: Vec<&Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["windows"].as_array().unwrap())
        .flat_map(|win| win["messages"].as_array().unwrap())
        .collect();
    let chars = |m: &Value| m["text"].as_str().unwrap().chars().count();
    let is_tool = |m: &Value| m["role"].as_str().is_some_and(|r| r.starts_with("tool"));
    let tools: Vec<&&Value> = messages.iter().filter(|m| is_tool(m)).collect();
    assert!(!tools.is_empty(), "{v}");
    assert!(tools.iter().all(|m| chars(m) < 160), "{v}");
    assert!(
        messages
            .iter()
            .any(|m| m["role"] != "tool" && chars(m) > 2000),
        "people's words keep --message-chars: {v}"
    );

    // The running session is left out, named by a prefix.
    let v = w.json_ok(&["recall", "quokka", "--current-session-id", &a[..13]]);
    assert_eq!(ids(&v), vec![b.clone()]);
    let v = w.json_ok(&["recall", "--recent", "--current-session-id", &b]);
    assert_eq!(ids(&v), vec![a.clone()]);
}

#[test]
fn session_ids_may_be_short_prefixes() {
    let w = SearchWorld::new();
    let (a, b) = (
        "113828dc-aaaa-7000-8000-000000000001",
        "113828dc-bbbb-7000-8000-000000000002",
    );
    w.session(a, &w.path("repo"), 1, &["first"]);
    w.session(b, &w.path("repo"), 2, &["second"]);
    w.bootstrap();

    let v = w.json_ok(&["recall", "show", "113828dc-a"]);
    assert_eq!(v["session"]["session_id"], a);
    let v = w.json_ok(&["recall", "show", "113828dc-bb"]);
    assert_eq!(v["session"]["session_id"], b);

    let out = w.run(&["recall", "show", "113828dc", "--json"]);
    assert_eq!(code(&out), 2, "ambiguous is a usage error");
    let e = envelope(&out);
    assert_eq!(e["error"]["kind"], "ambiguous-session");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains(a) && msg.contains(b), "{msg}");

    let out = w.run(&["recall", "show", "1138"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains(a));

    let out = w.run(&["recall", "show", "ffffffff", "--json"]);
    assert_eq!(code(&out), 3, "unknown is not found");
    assert_eq!(envelope(&out)["error"]["kind"], "unknown-session");
    let out = w.run(&["recall", "show", "113", "--format", "json"]);
    assert_eq!(code(&out), 2, "shorter than 4 characters");
}

#[test]
fn show_pages_on_a_terminal_only() {
    let w = SearchWorld::new();
    let a = id(1);
    w.session(&a, &w.path("repo"), 1, &["page me"]);
    w.bootstrap();
    let paged = w.path("paged.txt");
    let pager = w.path("pager.sh");
    std::fs::write(&pager, format!("#!/bin/sh\ncat > {}\n", paged.display())).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&pager).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&pager, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    // Piped: no pager.
    let out = w
        .command()
        .env("PAGER", &pager)
        .args(["recall", "show", &a])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("page me"));
    assert!(!paged.exists());

    // On a terminal (`script` gives the command one): through $PAGER.
    if !tool("script") {
        return;
    }
    let line = format!("{} recall show {a}", env!("CARGO_BIN_EXE_csep"));
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("CODEX_SELF_EVOLUTION_HOME", w.path("state"))
        .env("PAGER", &pager)
        .current_dir(w.path("repo"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&paged).unwrap();
    assert!(text.contains("page me") && text.contains(&a), "{text}");
}

/// Every table row and index entry that names a session, read straight from SQLite.
fn traces(w: &SearchWorld, session_id: &str, word: &str) -> Vec<String> {
    let db = rusqlite::Connection::open(w.path("state/recall/index.db")).unwrap();
    let count = |sql: &str, p: &str| -> i64 { db.query_row(sql, [p], |r| r.get(0)).unwrap() };
    let mut found = Vec::new();
    for (what, sql, p) in [
        (
            "sessions",
            "SELECT COUNT(*) FROM sessions WHERE session_id = ?1",
            session_id.to_string(),
        ),
        (
            "files",
            "SELECT COUNT(*) FROM files WHERE path LIKE ?1",
            format!("%{session_id}%"),
        ),
        (
            "messages",
            "SELECT COUNT(*) FROM messages WHERE text LIKE ?1",
            format!("%{word}%"),
        ),
        (
            "messages_fts",
            "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH ?1",
            format!("text : {word}"),
        ),
        (
            "ingest_errors",
            "SELECT COUNT(*) FROM ingest_errors WHERE path LIKE ?1",
            format!("%{session_id}%"),
        ),
    ] {
        if count(sql, &p) > 0 {
            found.push(what.to_string());
        }
    }
    found
}

#[test]
fn a_forgotten_session_is_gone_everywhere_and_stays_gone() {
    let w = SearchWorld::new();
    let (a, b) = (id(1), id(2));
    w.session(&a, &w.path("repo"), 1, &["the okapi password story"]);
    w.session(&b, &w.path("repo"), 2, &["nothing of note"]);
    w.bootstrap();
    assert_eq!(ids(&w.json_ok(&["recall", "okapi"])), vec![a.clone()]);
    assert!(!traces(&w, &a, "okapi").is_empty());

    let v = w.json_ok(&["recall", "forget", &a[..12]]);
    assert_eq!(v["sessions"][0]["session_id"], a);
    assert!(v["sessions"][0]["messages"].as_u64().unwrap() > 0);
    assert_eq!(traces(&w, &a, "okapi"), Vec::<String>::new());
    assert_eq!(w.json_ok(&["recall", "okapi", "--global"])["count"], 0);
    assert_eq!(code(&w.run(&["recall", "show", &a])), 3);
    // Not in the files either: deleted text is overwritten and the index merged.
    for f in std::fs::read_dir(w.path("state/recall")).unwrap() {
        let f = f.unwrap().path();
        let bytes = std::fs::read(&f).unwrap();
        let at = bytes.windows(5).position(|x| x == b"okapi");
        assert!(
            at.is_none(),
            "okapi is still on disk: {:?} {at:?} {:?}",
            f,
            at.map(|a| String::from_utf8_lossy(&bytes[a.saturating_sub(200)..a + 100]).to_string())
        );
    }

    // Kept out of the next imports, a rebuild and a Stop archive alike.
    let report = w.bootstrap();
    assert_eq!(report["forgotten_sessions"], 1, "{report}");
    assert_eq!(report["new_sessions"], 0);
    assert_eq!(w.json_ok(&["recall", "okapi", "--global"])["count"], 0);
    w.json_ok(&["recall", "rebuild"]);
    assert_eq!(w.json_ok(&["recall", "okapi", "--global"])["count"], 0);
    assert_eq!(ids(&w.json_ok(&["recall", "--recent"])), vec![b.clone()]);

    // Unless allowed again.
    let out = w.run(&[
        "recall",
        "forget",
        "--allow-again",
        "not-a-forgotten-id",
        "--json",
    ]);
    assert_eq!(code(&out), 3);
    w.json_ok(&["recall", "forget", "--allow-again", &a]);
    assert_eq!(w.bootstrap()["new_sessions"], 1);
    assert_eq!(ids(&w.json_ok(&["recall", "okapi"])), vec![a.clone()]);

    let out = w.run(&["recall", "forget", "ffffffff", "--json"]);
    assert_eq!(code(&out), 3);
}

#[test]
fn redact_applies_the_rules_to_text_indexed_before_them() {
    let w = SearchWorld::new();
    let a = id(1);
    w.session(
        &a,
        &w.path("repo"),
        1,
        &["deploy notes for the capybara cluster"],
    );
    w.bootstrap();
    let hit = w.json_ok(&["recall", "capybara"])["results"][0]["hits"][0]["message_id"]
        .as_i64()
        .unwrap();
    // Text stored as an older csep would have: a token no rule caught then.
    let token = format!("ghp_{}{}", "k7Lq2Vx9Rt4Mz8Bw1", "Nc6Hy3Pd5Gf0Js2Ua9E");
    {
        let mut store = csep::recall::Store::open(&w.path("state/recall/index.db")).unwrap();
        let raw = format!("capybara cluster: GITHUB_TOKEN={token}");
        assert!(store.put_message_text(hit, &raw).unwrap());
    }
    assert_eq!(
        ids(&w.json_ok(&["recall", &token, "--global"])),
        vec![a.clone()]
    );

    let report = w.json_ok(&["recall", "redact"]);
    assert_eq!(report["messages_changed"], 1, "{report}");
    assert!(report["secrets"].as_u64().unwrap() >= 1);
    assert_eq!(w.json_ok(&["recall", &token, "--global"])["count"], 0);
    let shown = w.json_ok(&["recall", "show", &a]).to_string();
    assert!(
        !shown.contains(&token) && shown.contains("[REDACTED:"),
        "{shown}"
    );
    for f in std::fs::read_dir(w.path("state/recall")).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(16).any(|x| x == &token.as_bytes()[..16]),
            "token on disk"
        );
    }
    assert_eq!(
        w.json_ok(&["recall", "redact"])["messages_changed"],
        0,
        "nothing left"
    );
}

#[test]
fn reflection_sessions_are_never_imported() {
    let w = SearchWorld::new();
    let run_dir = std::env::temp_dir().join("csep-reflect-run-Ab12Cd");
    w.session(&id(1), &run_dir, 1, &["reflect on the narwhal session"]);
    w.said(
        &id(2),
        &w.path("repo"),
        2,
        &[
            "[system]\nYou maintain the long-term memory of a coding agent for one repository. \
           Keep nothing.\n\n[user]\n## Session\nthe narwhal session"
                .to_string(),
        ],
    );
    w.session(&id(3), &w.path("repo"), 3, &["an ordinary narwhal session"]);
    let report = w.bootstrap();
    assert_eq!(report["skipped_sessions"], 2, "{report}");
    assert_eq!(
        ids(&w.json_ok(&["recall", "narwhal", "--global"])),
        vec![id(3)]
    );
    w.json_ok(&["recall", "rebuild"]);
    assert_eq!(
        ids(&w.json_ok(&["recall", "narwhal", "--global"])),
        vec![id(3)]
    );
}

#[test]
fn background_context_is_found_only_when_asked() {
    let w = SearchWorld::new();
    w.session(&id(1), &w.path("repo"), 1, &["plain words"]);
    w.bootstrap();
    assert_eq!(w.json_ok(&["recall", "environment_context"])["count"], 0);
    let v = w.json_ok(&["recall", "environment_context", "--include-background"]);
    assert_eq!(v["results"][0]["hits"][0]["role"], "background", "{v}");
    let shown = w.json_ok(&["recall", "show", &id(1)]);
    assert!(!shown.to_string().contains("environment_context"));
    let shown = w.json_ok(&["recall", "show", &id(1), "--include-background"]);
    assert!(shown.to_string().contains("environment_context"));
    // The original's name for it.
    let same = w.json_ok(&["recall", "environment_context", "--include-system"]);
    assert_eq!(ids(&same), ids(&v));
}

#[test]
fn times_and_the_original_flag_forms() {
    let w = SearchWorld::new();
    w.session(&id(1), &w.path("repo"), 1, &["pangolin"]);
    w.session(&id(2), &w.path("repo"), 2, &["pangolin"]);
    let v = w.json_ok(&[
        "recall",
        "--bootstrap",
        "--all-history",
        "--limit-files",
        "1",
    ]);
    assert_eq!(v["command"], "recall bootstrap");
    assert_eq!(v["processed_files"], 1);
    assert_eq!(v["limit_files"], 1);
    // The flag form of sync-claude, with its file cap.
    let v = w.json_ok(&[
        "recall",
        "--sync-claude",
        "--all-history",
        "--limit-files",
        "1",
    ]);
    assert_eq!(v["command"], "recall sync-claude", "{v}");
    assert_eq!(v["limit_files"], 1);
    let v = w.json_ok(&[
        "recall",
        "bootstrap",
        "--all-history",
        "--bootstrap-root",
        w.path("codex/sessions").to_str().unwrap(),
    ]);
    assert_eq!(v["processed_files"], 2);

    // The sessions ended in 2025: a recent --since finds nothing, an old one both.
    for since in [
        "30m",
        "1w",
        "yesterday",
        "today",
        "2 days",
        "2026-01-01T00:00:00Z",
    ] {
        let v = w.json_ok(&["recall", "pangolin", "--since", since]);
        assert_eq!(v["count"], 0, "--since {since}");
    }
    let v = w.json_ok(&["recall", "pangolin", "--since", "2025-01-01"]);
    assert_eq!(v["count"], 2);
    let since = format!("{}", T0 / 1000 + 2 * 86_400 - 3600);
    let _ = since;
    let v = w.json_ok(&["recall", "pangolin", "--since", "2025-11-26T00:00:00Z"]);
    assert_eq!(ids(&v), vec![id(2)], "only the session active since then");

    let out = w.run(&["recall", "pangolin", "--since", "soon", "--json"]);
    assert_eq!(code(&out), 2);
    assert_eq!(envelope(&out)["error"]["kind"], "bad-since");
    let out = w.run(&["recall", "pangolin", "--limit-files", "3", "--json"]);
    assert_eq!(code(&out), 2, "an import flag without an import");

    // The original's default format name is the text for people.
    let out = w.run(&["recall", "pangolin", "--format", "markdown"]);
    assert_eq!(code(&out), 0, "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("pangolin") && !text.trim_start().starts_with('{'),
        "{text}"
    );
}

#[test]
fn the_stop_archive_keeps_forgotten_and_reflection_sessions_out() {
    let w = SearchWorld::new();
    let stop = |id: &str, transcript: &Path, cwd: &Path| {
        let payload = serde_json::json!({"session_id": id, "turn_id": "t1",
            "transcript_path": transcript, "cwd": cwd, "hook_event_name": "Stop",
            "model": "gpt-5.3-codex", "permission_mode": "default",
            "stop_hook_active": false, "last_assistant_message": "done"});
        let out = w
            .csep()
            .arg("session-stop")
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{out:?}");
    };
    let a = id(1);
    let t = w.said(&a, &w.path("repo"), 1, &["the ocelot plan".to_string()]);
    stop(&a, &t, &w.path("repo"));
    assert_eq!(w.json_ok(&["recall", "ocelot", "--global"])["count"], 1);
    w.json_ok(&["recall", "forget", &a]);
    // The session goes on after it was forgotten: its next Stop does not bring it back.
    let mut text = std::fs::read_to_string(&t).unwrap();
    text.push_str(
        &serde_json::json!({"timestamp": "2025-11-25T17:00:00.000Z", "type": "response_item",
            "payload": {"type": "message", "role": "user",
                "content": [{"type": "input_text",
                    "text": "more ocelot. 记住：这个仓库跑测试用 cargo nextest run"}]}})
        .to_string(),
    );
    text.push('\n');
    std::fs::write(&t, text).unwrap();
    stop(&a, &t, &w.path("repo"));
    assert_eq!(w.json_ok(&["recall", "ocelot", "--global"])["count"], 0);
    let jobs = std::fs::read_dir(w.path("state/session_reflection/jobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(jobs, 0, "a forgotten session is not reflected on either");

    let run = std::env::temp_dir().join("csep-reflect-run-Qw12Er");
    let b = id(2);
    let t = w.said(&b, &run, 2, &["the margay memory".to_string()]);
    stop(&b, &t, &run);
    assert_eq!(w.json_ok(&["recall", "margay", "--global"])["count"], 0);
}
