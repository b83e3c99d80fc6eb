//! The conventions every command follows (docs/cli.md), checked on the real binary by
//! walking the commands its own `--help` lists: help works everywhere, every command that
//! reports takes `--json`, prints JSON on success and the error envelope on a usage error,
//! and exit codes follow the table (0 ok, 1 failed, 2 usage, 3 not found).
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Commands whose stdout is not a report: the hooks talk to the client, the others print
/// an artifact (a script, a roff page, the WIT contract).
const NO_REPORT: &[&str] = &[
    "session-start",
    "session-stop",
    "completions",
    "man",
    "policy wit",
    "mcp",
];

/// Commands not following these conventions yet (no --json, or an envelope without its
/// exit code). The test says so when one of them gains --json; move it to cases() once it
/// follows them all.
const NOT_YET: &[&str] = &[];

/// How each reporting command is run with --json, and the exit code it must give in a
/// fresh state folder. A command missing here fails the test: add its case.
fn cases(t: &Tmp) -> Vec<(&'static str, Vec<String>, i32)> {
    let no_job = "20990101T000000Z-0000000000000000";
    let input = t.path("decide.json");
    vec![
        ("config validate", args(&["config", "validate"]), 0),
        ("config path", args(&["config", "path"]), 0),
        ("config show", args(&["config", "show"]), 0),
        ("config migrate", args(&["config", "migrate"]), 0),
        ("config init", args(&["config", "init"]), 0),
        ("migrate", args(&["migrate"]), 0),
        ("session-ingest", args(&["session-ingest", "--backfill"]), 0),
        (
            "session-archive",
            args(&[
                "session-archive",
                "--transcript-path",
                t.path("none.jsonl").to_str().unwrap(),
                "--cwd",
                t.path("repo").to_str().unwrap(),
                "--session-id",
                "no-such-session",
            ]),
            3,
        ),
        ("demo", args(&["demo"]), 0),
        ("doctor", args(&["doctor"]), 1),
        ("memory diff", args(&["memory", "diff", no_job]), 3),
        ("memory history", args(&["memory", "history"]), 0),
        ("memory revert", args(&["memory", "revert", no_job]), 3),
        ("memory why", args(&["memory", "why", "no such entry"]), 0),
        ("policy check", args(&["policy", "check"]), 0),
        (
            "policy decide",
            args(&["policy", "decide", "--input", input.to_str().unwrap()]),
            1,
        ),
        (
            "policy install",
            args(&["policy", "install", t.path("none.wasm").to_str().unwrap()]),
            3,
        ),
        ("policy list", args(&["policy", "list"]), 0),
        (
            "policy remove",
            args(&["policy", "remove", "no-such-policy"]),
            3,
        ),
        (
            "policy try",
            args(&[
                "policy",
                "try",
                "bundled:policy-default",
                "--session",
                "no-such-session",
            ]),
            3,
        ),
        ("policy use", args(&["policy", "use", "no-such-policy"]), 3),
        ("recall", args(&["recall", "--recent"]), 0),
        ("recall bootstrap", args(&["recall", "bootstrap"]), 0),
        ("recall show", args(&["recall", "show", "abcd1234"]), 3),
        ("recall forget", args(&["recall", "forget", "abcd1234"]), 3),
        ("recall redact", args(&["recall", "redact"]), 0),
        ("recall rebuild", args(&["recall", "rebuild"]), 0),
        ("recall sync-claude", args(&["recall", "sync-claude"]), 0),
        ("session-reflect", args(&["session-reflect", "--status"]), 0),
        ("setup", args(&["setup", "--dry-run"]), 0),
        ("status", args(&["status"]), 0),
        ("uninstall", args(&["uninstall", "--dry-run"]), 0),
    ]
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

struct Tmp(tempfile::TempDir);

impl Tmp {
    fn new() -> Tmp {
        let t = Tmp(tempfile::tempdir().unwrap());
        for d in ["state", "codex", "claude", "repo", "bin"] {
            std::fs::create_dir_all(t.path(d)).unwrap();
        }
        // A decide input that is not JSON: `policy decide` fails on it (exit 1).
        std::fs::write(t.path("decide.json"), "not json").unwrap();
        t
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.path().join(rel)
    }

    fn csep(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_csep"));
        c.env("CODEX_SELF_EVOLUTION_HOME", self.path("state"))
            .env("CODEX_HOME", self.path("codex"))
            .env("CLAUDE_CONFIG_DIR", self.path("claude"))
            .env("HOME", self.0.path())
            // No `codex` on PATH: nothing may call the real one.
            .env("PATH", self.path("bin"))
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .current_dir(self.path("repo"));
        c
    }

    fn run(&self, a: &[String]) -> Output {
        self.csep().args(a).output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The subcommands a help text lists (without `help`).
fn listed(help: &str) -> Vec<String> {
    let Some(start) = help.find("\nCommands:\n") else {
        return Vec::new();
    };
    help[start + 11..]
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path (`policy list`), walked from `csep --help`. A command with
/// subcommands counts too when it runs on its own (`csep recall QUERY`).
fn walk(t: &Tmp) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo: Vec<Vec<String>> = listed(&text(&t.run(&args(&["--help"])).stdout))
        .into_iter()
        .map(|c| vec![c])
        .collect();
    while let Some(path) = todo.pop() {
        let mut a = path.clone();
        a.push("--help".into());
        let o = t.run(&a);
        let help = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{path:?} --help: {o:?}");
        assert!(help.contains("Usage:"), "{path:?} --help:\n{help}");
        let subs = listed(&help);
        let runs_alone = subs.is_empty()
            || help
                .lines()
                .filter(|l| l.contains(&format!("csep {}", path.join(" "))))
                .any(|l| !l.trim_end().ends_with("<COMMAND>"));
        if runs_alone {
            out.push(path.join(" "));
        }
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            todo.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn every_command_has_help_and_every_reporting_command_follows_the_json_conventions() {
    let t = Tmp::new();
    let commands = walk(&t);
    assert!(commands.len() > 20, "{commands:?}");
    for must in [
        "status",
        "doctor",
        "completions",
        "man",
        "policy list",
        "setup",
    ] {
        assert!(commands.iter().any(|c| c == must), "{must} in {commands:?}");
    }
    let cases = cases(&t);
    let covered: BTreeSet<&str> = cases.iter().map(|(c, _, _)| *c).collect();
    for cmd in &commands {
        let c = cmd.as_str();
        if NO_REPORT.contains(&c) {
            continue;
        }
        let mut help_args: Vec<String> = c.split(' ').map(String::from).collect();
        help_args.push("--help".into());
        let help = text(&t.run(&help_args).stdout);
        if NOT_YET.contains(&c) {
            if help.contains("--json") && !covered.contains(c) {
                println!(
                    "`{c}` takes --json: once it follows every convention, move it to cases()"
                );
            }
            continue;
        }
        assert!(
            help.contains("--json"),
            "`csep {c}` reports something but takes no --json:\n{help}"
        );
        assert!(
            covered.contains(c),
            "`csep {c}` has no case in cases(): add how it runs with --json"
        );
    }
    for (name, a, code) in &cases {
        assert!(
            commands.iter().any(|c| c == name),
            "case `{name}` names no command"
        );
        // Success (or its own failure) with --json: JSON on stdout, the envelope if it failed.
        let mut with_json = a.clone();
        with_json.push("--json".into());
        let o = t.run(&with_json);
        let got = o.status.code().unwrap();
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("`csep {name} --json` printed no JSON ({e}): {o:?}"));
        assert_eq!(
            got,
            *code,
            "`csep {}` exit code: {o:?}",
            with_json.join(" ")
        );
        let envelope = v.get("status").and_then(Value::as_str) == Some("error");
        if envelope {
            assert_ne!(got, 0, "an error envelope with exit 0: {v}");
            assert_eq!(v["schema_version"], 1, "{v}");
            assert_eq!(
                v["error"]["code"], got,
                "the envelope's code is the exit code: {v}"
            );
            assert!(
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        } else if got != 0 && *name != "doctor" {
            panic!("`csep {name} --json` failed without the envelope: {v}");
        }
        // A usage error with --json: exit 2 and the envelope on stdout.
        let mut bad = a.clone();
        bad.extend(["--json".into(), "--no-such-flag".into()]);
        let o = t.run(&bad);
        assert_eq!(o.status.code(), Some(2), "`csep {}`: {o:?}", bad.join(" "));
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("`csep {}`: no envelope ({e}): {o:?}", bad.join(" ")));
        assert_eq!(v["status"], "error", "{v}");
        assert_eq!(v["error"]["kind"], "usage", "{v}");
        assert_eq!(v["error"]["code"], 2, "{v}");
        // The same error without --json is text on stderr, nothing on stdout.
        bad.retain(|x| x != "--json");
        let o = t.run(&bad);
        assert_eq!(o.status.code(), Some(2), "{o:?}");
        assert!(o.stdout.is_empty(), "{o:?}");
        assert!(text(&o.stderr).contains("--no-such-flag"), "{o:?}");
    }
}

#[test]
fn format_json_is_the_same_as_json() {
    let t = Tmp::new();
    for cmd in [
        &["status"][..],
        &["policy", "list"][..],
        &["memory", "history"][..],
    ] {
        let mut a = args(cmd);
        a.extend(["--format".into(), "json".into()]);
        let o = t.run(&a);
        assert!(o.status.success(), "{o:?}");
        serde_json::from_slice::<Value>(&o.stdout).unwrap_or_else(|e| panic!("{a:?}: {e}"));
    }
}

#[test]
fn output_to_a_pipe_is_text_unless_json_is_asked_for() {
    let t = Tmp::new();
    for cmd in [
        &["status"][..],
        &["memory", "history"][..],
        &["session-reflect", "--status"][..],
        &["policy", "list"][..],
    ] {
        let o = t.run(&args(cmd));
        assert!(o.status.success(), "{cmd:?}: {o:?}");
        let out = text(&o.stdout);
        assert!(
            serde_json::from_str::<Value>(&out).is_err(),
            "{cmd:?} printed JSON to a pipe:\n{out}"
        );
        assert!(!out.contains("\x1b["), "colour on a pipe: {out}");
    }
}

#[test]
fn colour_only_when_forced_and_never_with_no_color() {
    let t = Tmp::new();
    let o = t
        .csep()
        .arg("doctor")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(text(&o.stdout).contains("\x1b["), "{o:?}");
    let o = t
        .csep()
        .arg("doctor")
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!text(&o.stdout).contains("\x1b["), "{o:?}");
}

#[test]
fn hook_help_and_version_print_and_run_nothing() {
    let t = Tmp::new();
    for hook in ["session-start", "session-stop"] {
        for flag in ["--help", "-h", "--version", "-V"] {
            let o = t
                .csep()
                .args([hook, flag])
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{hook} {flag}: {o:?}");
            let out = text(&o.stdout);
            if flag.contains('h') {
                assert!(out.contains("Usage: csep"), "{hook} {flag}: {out}");
            } else {
                assert!(
                    out.contains(env!("CARGO_PKG_VERSION")),
                    "{hook} {flag}: {out}"
                );
            }
            assert!(!text(&o.stderr).contains("ignoring"), "{o:?}");
            assert!(
                !t.path("state/logs").exists(),
                "{hook} {flag} ran the hook: {:?}",
                std::fs::read_dir(t.path("state"))
                    .unwrap()
                    .collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn a_hook_with_an_unknown_flag_still_runs_with_the_flags_it_knows() {
    let t = Tmp::new();
    let other = t.path("other-state");
    let cwd = t.path("repo");
    let payload = serde_json::json!({"session_id": "s1", "hook_event_name": "SessionStart",
        "source": "startup"});
    let mut child = t
        .csep()
        .arg("--home")
        .arg(&other)
        .args(["session-start", "--from-a-newer-version", "x", "--cwd"])
        .arg(&cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.to_string().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "SessionStart");
    let log = std::fs::read_to_string(other.join("logs/hooks.jsonl")).unwrap();
    let run: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(run["ok"], true, "{run}");
    // --cwd, given after the unknown flag, still chose the repo.
    let bucket = run["bucket"].as_str().unwrap();
    assert!(bucket.ends_with("-repo"), "{run}");
    assert!(!t.path("state/logs").exists(), "--home was ignored");
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    let t = Tmp::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = t.run(&args(&["completions", shell]));
        assert_eq!(o.status.code(), Some(0), "{shell}: {o:?}");
        let script = text(&o.stdout);
        for word in ["doctor", "session-reflect", "--json"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let o = t.run(&args(&["completions", "tcsh"]));
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // bash can parse the script it is given.
    let bash = Path::new("/bin/bash");
    if bash.exists() {
        let script = t.path("csep.bash");
        std::fs::write(&script, t.run(&args(&["completions", "bash"])).stdout).unwrap();
        let o = Command::new(bash).arg("-n").arg(&script).output().unwrap();
        assert!(o.status.success(), "{o:?}");
    } else {
        crate::support::skip::skip_or_fail("no /bin/bash to check the bash completions with");
    }
}

#[test]
fn man_prints_a_roff_page_or_writes_one_per_command() {
    let t = Tmp::new();
    let o = t.run(&args(&["man"]));
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let page = text(&o.stdout);
    assert!(page.contains(".TH csep 1"), "{page}");
    assert!(page.contains("doctor"), "{page}");
    let dir = t.path("man");
    let o = t.run(&args(&["man", "--dir", dir.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    for page in [
        "csep.1",
        "csep-status.1",
        "csep-doctor.1",
        "csep-policy-list.1",
    ] {
        let p = dir.join(page);
        assert!(p.is_file(), "{page} missing: {o:?}");
        assert!(text(&o.stdout).contains(p.to_str().unwrap()), "{o:?}");
        assert!(std::fs::read_to_string(&p).unwrap().contains(".TH"));
    }
}
