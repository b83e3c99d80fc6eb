//! `csep status`, `csep doctor` (and `status --check`) and what setup says about the hooks,
//! on the real binary with real client folders: every case a user hit is judged with its
//! reason, its fix and the exit code.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::process::Output;

use serde_json::Value;

use crate::support::world::World;

/// The shared machine with an empty `bin/` as the whole PATH: no `codex` on it, so
/// setup writes Codex's plugin copy itself.
struct StatusWorld(World);

impl std::ops::Deref for StatusWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.0
    }
}

impl StatusWorld {
    fn new() -> StatusWorld {
        let mut w = World::new();
        let bin = w.mkdir("bin");
        w.set("PATH", bin.to_str().unwrap());
        StatusWorld(w)
    }

    fn json(&self, args: &[&str]) -> (i32, Value) {
        let o = self.run(args);
        let v = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {o:?}"));
        (o.status.code().unwrap(), v)
    }

    fn doctor(&self) -> (i32, Value) {
        self.json(&["doctor", "--json"])
    }

    fn append(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        let mut old = std::fs::read_to_string(&p).unwrap_or_default();
        old.push_str(text);
        std::fs::write(p, old).unwrap();
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn check<'a>(doctor: &'a Value, name: &str) -> &'a Value {
    doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {doctor:#}"))
}

#[test]
fn status_for_people_says_missing_values_in_words() {
    let w = StatusWorld::new();
    let o = w.run(&["status"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = out(&o);
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    for word in ["null", "{}", "[]"] {
        assert!(!text.contains(word), "`{word}` shown to people:\n{text}");
    }
    for said in [
        "no SessionStart hook timed yet",
        "no Stop hook timed yet",
        "no jobs yet",
        "no index yet",
        "csep is not installed in",
    ] {
        assert!(text.contains(said), "missing `{said}`:\n{text}");
    }
    assert!(
        std::fs::read_dir(w.path("state")).unwrap().next().is_none(),
        "status wrote into the state folder"
    );

    // One timed SessionStart run: its numbers replace the words.
    let payload = serde_json::json!({"session_id": "s1", "cwd": w.path("repo"),
        "hook_event_name": "SessionStart", "source": "startup"});
    let mut child = w
        .command()
        .arg("session-start")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.to_string().as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let text = out(&w.run(&["status"]));
    assert!(text.contains("session-start  1 runs, median "), "{text}");
    assert!(text.contains("no Stop hook timed yet"), "{text}");
    let (code, v) = w.json(&["status", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["hooks"]["session-start"]["runs"], 1);
    assert!(v["hooks"]["session-start"]["median_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn after_setup_doctor_says_all_is_well_and_codex_hooks_off_is_a_problem_with_its_fix() {
    let w = StatusWorld::new();
    let (code, report) = w.json(&["setup", "--client", "codex", "--json"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["dry_run"], false);
    let changes = report["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["status"] == "added" && c["what"].as_str().unwrap().contains("enabled")),
        "{report:#}"
    );
    assert_eq!(report["hooks"][0]["client"], "codex");
    assert_eq!(report["hooks"][0]["will_run"], true, "{report:#}");

    let o = w.run(&["doctor"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("all is well"), "{}", out(&o));
    let (code, d) = w.doctor();
    assert_eq!(code, 0);
    assert_eq!(d["ok"], true);
    assert_eq!(check(&d, "codex-hooks")["status"], "ok");
    assert_eq!(check(&d, "claude-hooks")["status"], "skipped");
    assert!(out(&w.run(&["status"])).contains("hooks run: yes"));

    // The user turns Codex's hooks off.
    let config = std::fs::read_to_string(w.path("codex/config.toml")).unwrap();
    w.append("codex/config.toml", "\n[features]\nhooks = false\n");
    let o = w.run(&["setup", "--client", "codex"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let said = out(&o);
    assert!(said.contains("will NOT run"), "{said}");
    assert!(said.contains("hooks = true"), "{said}");
    assert!(
        !said.contains("the next session of each client loads"),
        "{said}"
    );
    let (_, report) = w.json(&["setup", "--client", "codex", "--json"]);
    assert_eq!(report["hooks"][0]["will_run"], false, "{report:#}");

    let (code, d) = w.doctor();
    assert_eq!(code, 1, "{d:#}");
    assert_eq!(d["ok"], false);
    let c = check(&d, "codex-hooks");
    assert_eq!(c["status"], "problem");
    assert!(
        c["detail"].as_str().unwrap().contains("hooks = false"),
        "{c}"
    );
    assert!(c["fix"].as_str().unwrap().contains("hooks = true"), "{c}");
    let o = w.run(&["doctor"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("fix: set `hooks = true`"), "{}", out(&o));
    let o = w.run(&["status", "--check"]);
    assert_eq!(o.status.code(), Some(1), "status --check is doctor");
    let text = out(&w.run(&["status"]));
    assert!(text.contains("hooks run: NO"), "{text}");
    assert!(text.contains("turns every Codex hook off"), "{text}");
    let (code, s) = w.json(&["status", "--json"]);
    assert_eq!(code, 0, "status reports; doctor judges");
    assert_eq!(s["plugin_hooks"]["hooks_feature_enabled"], false);

    // The deprecated name of the switch counts when the canonical one is not set...
    std::fs::write(
        w.path("codex/config.toml"),
        format!("{config}\n[features]\ncodex_hooks = false\n"),
    )
    .unwrap();
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "{d:#}");
    assert!(
        check(&d, "codex-hooks")["detail"]
            .as_str()
            .unwrap()
            .contains("codex_hooks"),
        "{d:#}"
    );
    // ...and `hooks = true` wins over it.
    std::fs::write(
        w.path("codex/config.toml"),
        format!("{config}\n[features]\ncodex_hooks = false\nhooks = true\n"),
    )
    .unwrap();
    assert_eq!(w.doctor().0, 0);
}

#[test]
fn doctor_names_an_untrusted_hook_and_a_missing_install() {
    let w = StatusWorld::new();
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "nothing installed: {d:#}");
    assert!(
        check(&d, "hooks")["fix"]
            .as_str()
            .unwrap()
            .contains("csep setup")
    );

    assert!(w.run(&["setup", "--client", "codex"]).status.success());
    // The Stop hook's trust is lost (a hand edit, or a plugin update).
    let config = std::fs::read_to_string(w.path("codex/config.toml")).unwrap();
    let mut lines: Vec<&str> = config.lines().collect();
    let at = lines.iter().position(|l| l.contains(":stop:")).unwrap();
    assert!(lines[at + 1].starts_with("trusted_hash"), "{config}");
    lines.remove(at + 1);
    std::fs::write(w.path("codex/config.toml"), lines.join("\n") + "\n").unwrap();
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "{d:#}");
    let c = check(&d, "codex-hooks");
    assert!(c["detail"].as_str().unwrap().contains("Stop"), "{c}");
    assert!(c["detail"].as_str().unwrap().contains("untrusted"), "{c}");
    assert!(c["fix"].as_str().unwrap().contains("csep setup"), "{c}");
    // Running setup again fixes it.
    assert!(w.run(&["setup", "--client", "codex"]).status.success());
    assert_eq!(w.doctor().0, 0);
}

#[test]
fn doctor_finds_a_broken_config_a_refused_policy_and_a_damaged_index() {
    let w = StatusWorld::new();
    assert!(w.run(&["setup", "--client", "codex"]).status.success());
    assert_eq!(w.doctor().0, 0);

    std::fs::write(w.path("state/config.toml"), "[policy\n").unwrap();
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "{d:#}");
    let c = check(&d, "config");
    assert_eq!(c["status"], "problem", "{c}");
    assert!(
        c["fix"].as_str().unwrap().contains("config validate"),
        "{c}"
    );

    std::fs::create_dir_all(w.path("state/policies")).unwrap();
    std::fs::write(w.path("state/policies/mine.wasm"), "not wasm").unwrap();
    std::fs::write(
        w.path("state/config.toml"),
        "[policy]\npath = \"policies/mine.wasm\"\n",
    )
    .unwrap();
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "{d:#}");
    let c = check(&d, "policy");
    assert_eq!(c["status"], "problem", "{d:#}");
    assert!(c["detail"].as_str().unwrap().contains("refused"), "{c}");
    assert!(
        c["fix"].as_str().unwrap().contains("csep policy use"),
        "{c}"
    );
    let text = out(&w.run(&["status"]));
    assert!(text.contains("REFUSED"), "{text}");
    std::fs::remove_file(w.path("state/config.toml")).unwrap();
    assert_eq!(w.doctor().0, 0);

    std::fs::create_dir_all(w.path("state/recall")).unwrap();
    std::fs::write(
        w.path("state/recall/index.db"),
        "this is not a SQLite database, it is text that fills a page or so. ".repeat(80),
    )
    .unwrap();
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "{d:#}");
    let c = check(&d, "recall-index");
    assert_eq!(c["status"], "problem", "{c}");
    assert!(
        c["fix"].as_str().unwrap().contains("csep recall rebuild"),
        "{c}"
    );
}

#[test]
fn claude_with_all_hooks_disabled_is_a_problem() {
    let w = StatusWorld::new();
    let (code, report) = w.json(&["setup", "--client", "claude", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(report["hooks"][0]["client"], "claude");
    assert_eq!(report["hooks"][0]["will_run"], true);
    assert_eq!(w.doctor().0, 0);
    let path = w.path("claude/settings.json");
    let mut settings: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    settings["disableAllHooks"] = Value::Bool(true);
    std::fs::write(&path, settings.to_string()).unwrap();
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "{d:#}");
    let c = check(&d, "claude-hooks");
    assert!(
        c["detail"].as_str().unwrap().contains("disableAllHooks"),
        "{c}"
    );
    assert_eq!(check(&d, "codex-hooks")["status"], "skipped");
}

#[test]
fn uninstall_reports_what_it_removed_as_json() {
    let w = StatusWorld::new();
    assert!(w.run(&["setup", "--client", "codex"]).status.success());
    let (code, dry) = w.json(&["uninstall", "--dry-run", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(dry["dry_run"], true);
    let (code, report) = w.json(&["uninstall", "--json"]);
    assert_eq!(code, 0, "{report:#}");
    let statuses: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"removed"), "{report:#}");
    assert!(
        statuses.contains(&"kept"),
        "the state folder is kept: {report:#}"
    );
    assert_eq!(
        dry["changes"].as_array().unwrap().len(),
        report["changes"].as_array().unwrap().len()
    );
    let (code, d) = w.doctor();
    assert_eq!(code, 1, "nothing is installed any more: {d:#}");
}
