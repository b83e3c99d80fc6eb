//! Memory quality: the labelled sessions of tests/eval/sessions/ through the real
//! binary, scored for recall, wrong lines and leaks (see tests/eval/README.md).
//! `CSEP_EVAL_REPORT_ONLY=1` prints the figures without asserting the thresholds;
//! `CSEP_EVAL_FILTER=TEXT` runs only the sessions whose file name contains TEXT.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

#[path = "eval/mod.rs"]
mod eval;

use eval::answers::invented_forbid;
use eval::labels::{LANGS, Session, load_all, sessions_dir};
use eval::score::entry_lines;

fn sessions() -> Vec<Session> {
    load_all(&sessions_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn memory_quality() {
    let started = std::time::Instant::now();
    let filter = std::env::var("CSEP_EVAL_FILTER").unwrap_or_default();
    let all = sessions();
    let warm = all[0].clone();
    let chosen: Vec<Session> = all
        .into_iter()
        .filter(|s| {
            s.name.contains(&filter) || s.series.as_ref().is_some_and(|x| x.contains(&filter))
        })
        .collect();
    assert!(!chosen.is_empty(), "no session matches {filter:?}");
    let units = eval::units(chosen);
    let (_warm_home, cache) = eval::warm_cache(&warm);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let runs = eval::run_all(&units, &cache, threads);
    println!("{}", eval::report::render(&runs));
    println!("ran in {:.1} s", started.elapsed().as_secs_f64());
    let failed = eval::report::verdict(&runs);
    for f in &failed {
        println!("threshold not met: {f}");
    }
    if std::env::var("CSEP_EVAL_REPORT_ONLY").is_ok_and(|v| v == "1") {
        return;
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// One good-answer operation applied to the lines of a simulated MEMORY.md.
fn apply(lines: &mut Vec<String>, op: &eval::labels::Op, name: &str) {
    match op.op.as_str() {
        "add" => lines.push(op.text.clone().unwrap_or_default()),
        "replace" | "remove" => {
            let old = op.old.clone().unwrap_or_default();
            let at = lines
                .iter()
                .position(|l| *l == old)
                .unwrap_or_else(|| panic!("{name}: `{}` names no entry {old:?}", op.op));
            if op.op == "replace" {
                lines[at] = op.text.clone().unwrap_or_default();
            } else {
                lines.remove(at);
            }
        }
        other => panic!("{name}: unknown op {other:?}"),
    }
}

/// The labels hold together: enough sessions per language, secrets and quotes come
/// from the sessions, the good answers meet the labels and the careless lines break them.
#[test]
fn labels_are_consistent() {
    let all = sessions();
    assert!(all.len() >= 44, "{} sessions", all.len());
    for lang in LANGS {
        let n = all.iter().filter(|s| s.lang == lang).count();
        assert!(n >= 8, "{n} sessions in {lang}");
    }
    for unit in eval::units(all) {
        let mut lines: Vec<String> = Vec::new();
        for s in &unit {
            let name = &s.name;
            assert!(LANGS.contains(&s.lang.as_str()), "{name}: lang {}", s.lang);
            assert!(["codex", "claude"].contains(&s.client.as_str()), "{name}");
            assert!(!s.msgs.is_empty(), "{name}: no messages");
            for m in &s.msgs {
                let parts = [&m.user, &m.assistant, &m.shell]
                    .iter()
                    .filter(|x| x.is_some())
                    .count();
                assert_eq!(
                    parts, 1,
                    "{name}: a message is one of user, assistant, shell"
                );
            }
            let texts: Vec<&str> = s.texts().collect();
            let said = |q: &str| texts.iter().any(|t| t.contains(q));
            for secret in &s.secrets {
                assert!(
                    said(secret),
                    "{name}: secret {secret:?} is not in the session"
                );
            }
            if s.unchanged {
                assert!(
                    !s.durable && s.expect.is_empty(),
                    "{name}: unchanged means nothing durable"
                );
                assert!(
                    s.model.good.is_empty(),
                    "{name}: the good answer of a noise session is empty"
                );
            }
            if s.durable {
                assert!(
                    !s.expect.is_empty() || s.corrects(),
                    "{name}: a durable session expects a fact or corrects one"
                );
            }
            for f in &s.forbid {
                if let Some(line) = &f.careless {
                    assert!(
                        f.matches(line),
                        "{name}: forbid {} misses its own {line:?}",
                        f.describe()
                    );
                }
            }
            for op in &s.model.good {
                for q in &op.evidence {
                    assert!(said(q), "{name}: quote {q:?} is not in the session");
                }
                apply(&mut lines, op, name);
            }
            for e in &s.expect {
                assert!(
                    lines.iter().any(|l| e.matches(l)),
                    "{name}: no good line meets {} in {lines:#?}",
                    e.describe()
                );
            }
            let memory: String = lines.iter().map(|l| format!("- {l}\n")).collect();
            for line in entry_lines(&memory) {
                for f in s.forbid.iter().chain(std::iter::once(&invented_forbid())) {
                    assert!(
                        !f.matches(line),
                        "{name}: good line {line:?} hits {}",
                        f.describe()
                    );
                }
                for secret in &s.secrets {
                    assert!(
                        !line.contains(secret.as_str()),
                        "{name}: good line holds a secret"
                    );
                }
            }
            for m in &s.one_line {
                let n = lines.iter().filter(|l| m.matches(l)).count();
                assert_eq!(n, 1, "{name}: good lines match {} {n} times", m.describe());
            }
        }
    }
}

/// The loopback server gives each quote the id of the prompt line that holds it,
/// and 1 to a quote the session never had.
#[test]
fn quotes_get_the_id_of_their_prompt_line() {
    let ops: Vec<eval::labels::Op> = toml::from_str::<toml::Table>(
        r#"
        [[op]]
        op = "add"
        section = "Commands"
        text = "Test: `make check-all`"
        evidence = ["测试命令是 make check-all", "the user said so"]
        "#,
    )
    .unwrap()["op"]
        .clone()
        .try_into()
        .unwrap();
    let prompt = "## Transcript\n[#7 assistant] ok\n[#12 user] 记住：这个仓库的测试命令是 make check-all 。\n";
    let answer = eval::model_server::answer(&ops, prompt);
    let evidence = &answer["memory"][0]["evidence"];
    assert_eq!(evidence[0]["id"], 12, "{answer}");
    assert_eq!(evidence[0]["quote"], "测试命令是 make check-all");
    assert_eq!(evidence[1]["id"], 1, "an invented quote");
    assert_eq!(answer["memory"][0]["text"], "Test: `make check-all`");
    assert!(answer["skill"].is_null());

    // A multi-line message: its continuation lines belong to it, folded or not.
    let prompt = "[#3 user] CI is red:\n$ docker system prune -af\nwe build with `make`\n## Next\n[#4 assistant] ok\n";
    let lines = eval::model_server::prompt_lines(prompt);
    assert_eq!(
        lines[0],
        (
            3,
            "CI is red:\n$ docker system prune -af\nwe build with `make`".into()
        )
    );
    assert_eq!(lines[1], (4, "ok".into()));
    let folded = "[#9 user] CI is red: $ docker system prune -af we build with `make`\n";
    let ops: Vec<eval::labels::Op> = vec![eval::labels::Op {
        op: "add".into(),
        section: Some("Commands".into()),
        old: None,
        text: Some("Build: `make`".into()),
        evidence: vec!["prune -af\nwe build".into()],
    }];
    assert_eq!(
        eval::model_server::answer(&ops, prompt)["memory"][0]["evidence"][0]["id"],
        3
    );
    assert_eq!(
        eval::model_server::answer(&ops, folded)["memory"][0]["evidence"][0]["id"],
        9
    );
}

/// The matchers: negation words in the four languages, `none`, and `affirmed`.
#[test]
fn affirmed_lines_are_told_from_prohibitions() {
    let forbid: eval::labels::Matcher = toml::from_str(
        r#"all = ["cargo test"]
affirmed = true"#,
    )
    .unwrap();
    assert!(forbid.matches("- Test: `cargo test` (ran successfully)"));
    for rule in [
        "- Test: `make check-all` (not `cargo test`)",
        "- Don't run `cargo test` directly",
        "- 不要用 cargo test 直接跑",
        "- `cargo test` は使わない",
        "- `cargo test` 는 쓰지 마세요",
    ] {
        assert!(!forbid.matches(rule), "{rule}");
    }
    let npm: eval::labels::Matcher = toml::from_str(
        r#"all = ["npm"]
none = ["pnpm"]"#,
    )
    .unwrap();
    assert!(npm.matches("Install: `NPM install`"));
    assert!(!npm.matches("Install: `pnpm install`"));
}
