//! Coming from the original tool: a state folder laid out as csep 1.3.10 left it
//! (its `config init` file with the user's changes, memory in two worktree buckets
//! of one repository, a legacy memory.json, a generated skill, its recall index and
//! a job), then this project's binary on it: the user's settings in effect, `csep
//! migrate` and `csep config migrate` idempotent with backups, both worktrees'
//! memory injected at SessionStart, the skill listed once, `csep status` clean, and
//! each of the original's commands doing what its --help says.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/original-home")
        .join(name)
}

fn slug(p: &Path) -> String {
    crate::support::bucket_of(p)
}

struct Machine {
    _t: tempfile::TempDir,
    root: PathBuf,
}

impl Machine {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn csep(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_csep"));
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", self.path("home"))
            .env("CODEX_HOME", self.path("codex"))
            .env("CLAUDE_CONFIG_DIR", self.path("claude"))
            .env("CODEX_SELF_EVOLUTION_HOME", self.path("state"))
            .current_dir(self.path("repo"))
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.csep().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(out.status.success(), "csep {args:?}: {out:?}");
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("csep {args:?}: {e}: {out:?}"))
    }

    fn bucket(&self, rel: &str) -> PathBuf {
        self.path("state/projects").join(slug(&self.path(rel)))
    }

    /// A Codex transcript of this machine's repository whose user asks to remember.
    fn transcript(&self, name: &str, session: &str, prompt: &str) -> PathBuf {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/transcripts/codex-0.169.0-rollout-sample.jsonl"),
        )
        .unwrap()
        .replace("/home/dev/proj", &self.path("repo").display().to_string())
        .replace("01a212c6-364d-70b0-bc7e-4efda03ec0ae", session)
        .replace("Please say hello", prompt);
        let path = self.path(&format!("codex/sessions/2026/11/25/{name}.jsonl"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn payload(&self, transcript: &Path, session: &str) -> PathBuf {
        let p = self.path(&format!("{session}.payload.json"));
        let v = serde_json::json!({
            "session_id": session, "turn_id": "t1", "transcript_path": transcript,
            "cwd": self.path("repo"), "hook_event_name": "Stop", "model": "mock-model",
            "permission_mode": "bypassPermissions", "stop_hook_active": false,
            "last_assistant_message": "done"
        });
        std::fs::write(&p, v.to_string()).unwrap();
        p
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// A repository with a linked worktree, and the original's state folder for it.
fn original_machine() -> Machine {
    let t = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(t.path()).unwrap();
    let m = Machine { _t: t, root };
    for d in ["home", "codex/skills", "claude", "state", "repo"] {
        std::fs::create_dir_all(m.path(d)).unwrap();
    }
    git(&m.path("repo"), &["init", "-q", "-b", "main"]);
    std::fs::write(m.path("repo/README"), "x\n").unwrap();
    git(&m.path("repo"), &["add", "README"]);
    git(&m.path("repo"), &["commit", "-qm", "first"]);
    git(
        &m.path("repo"),
        &["worktree", "add", "-q", "-b", "feature", "../repo-feature"],
    );

    std::fs::copy(fixture("config.toml"), m.path("state/config.toml")).unwrap();
    for (rel, memory) in [
        ("repo", "memory-main.md"),
        ("repo-feature", "memory-feature.md"),
    ] {
        let bucket = m.bucket(rel);
        std::fs::create_dir_all(bucket.join("memory/refs")).unwrap();
        std::fs::write(
            bucket.join(".canonical_cwd"),
            format!("{}\n", m.path(rel).display()),
        )
        .unwrap();
        std::fs::copy(fixture(memory), bucket.join("memory/MEMORY.md")).unwrap();
    }
    std::fs::copy(
        fixture("memory.json"),
        m.bucket("repo-feature").join("memory/memory.json"),
    )
    .unwrap();
    std::fs::write(
        m.bucket("repo-feature").join("memory/refs/parser.md"),
        "# Parser notes\n\n- The parser is table driven.\n",
    )
    .unwrap();
    let skill = m.path("codex/skills/csep-reflect-run-the-checks");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::copy(
        fixture("skills/csep-reflect-run-the-checks/SKILL.md"),
        skill.join("SKILL.md"),
    )
    .unwrap();
    let jobs = m.path("state/session_reflection/jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let job = std::fs::read_to_string(fixture("job.json"))
        .unwrap()
        .replace("REPO", &m.path("repo").display().to_string());
    std::fs::write(jobs.join("20261120T101500Z-1a2b3c4d.json"), &job).unwrap();
    // What its hooks and worker leave beside the job: the run folder with its
    // prompt, receipt and validation, latest.json, trigger state and the lock.
    let reflection = m.path("state/session_reflection");
    let run = reflection.join("runs/20261120T101500Z-1a2b3c4d");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(
        run.join("prompt.txt"),
        "You are the codex-self-evolution session reflection worker.\n",
    )
    .unwrap();
    std::fs::write(
        run.join("receipt.json"),
        r#"{"schema_version": 1, "job_id": "20261120T101500Z-1a2b3c4d", "parent_session_id": "01a212c6-0000-7000-8000-000000000001", "child_thread_id": "c1", "status": "succeeded", "memory_changes": [], "skill_changes": [], "skipped_candidates": [], "validation_notes": [], "errors": [], "started_at": "2026-11-20T10:15:01Z", "finished_at": "2026-11-20T10:16:00Z"}"#,
    )
    .unwrap();
    std::fs::write(run.join("validation.json"), r#"{"status": "succeeded"}"#).unwrap();
    std::fs::write(reflection.join("latest.json"), &job).unwrap();
    let trigger = reflection.join("triggers/0123456789abcdef");
    std::fs::create_dir_all(&trigger).unwrap();
    std::fs::write(
        trigger.join("state.json"),
        r#"{"schema_version": 1, "stops_since_memory_review": 2}"#,
    )
    .unwrap();
    std::fs::create_dir_all(reflection.join("locks")).unwrap();
    // The original's recall index: an SQLite file this project never reads.
    std::fs::create_dir_all(m.path("state/session_recall")).unwrap();
    let conn = rusqlite::Connection::open(m.path("state/session_recall/state.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE sessions (session_id TEXT PRIMARY KEY); INSERT INTO sessions VALUES ('old');",
    )
    .unwrap();
    drop(conn);
    m
}

fn session_start(m: &Machine, cwd: &Path) -> String {
    session_start_with(m, cwd, &[])
}

fn session_start_with(m: &Machine, cwd: &Path, flags: &[&str]) -> String {
    let mut child = m
        .csep()
        .args(["session-start", "--from-stdin"])
        .args(flags)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let payload = serde_json::json!({
        "session_id": "s-start", "transcript_path": null, "cwd": cwd,
        "hook_event_name": "SessionStart", "model": "m", "permission_mode": "default",
        "source": "startup"
    });
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn file_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_original_config_is_read_with_the_users_settings() {
    let m = original_machine();
    let shown = m.json(&["config", "show", "--json"]);
    assert_eq!(shown["form"], "original-schema-2", "{shown}");
    let c = &shown["config"];
    assert_eq!(c["policy"]["settings"]["memory_stop_interval"], 5, "{c}");
    assert_eq!(c["policy"]["settings"]["memory_context_chars"], 20000);
    assert_eq!(c["policy"]["settings"]["high_signal_immediate"], true);
    assert_eq!(c["reflection"]["enabled"], true);
    assert_eq!(c["reflection"]["lease_minutes"], 60);
    assert_eq!(c["provider"]["kind"], "codex-exec");
    assert_eq!(c["provider"]["model"], "gpt-5.3-codex-spark");
    assert_eq!(c["provider"]["timeout_ms"], 900_000);
    assert_eq!(c["recall"]["archive_on_stop"], true);
    let text = String::from_utf8(m.ok(&["config", "show"]).stdout).unwrap();
    assert!(text.contains("memory_stop_interval = 5"), "{text}");

    // Every key without a counterpart is named, with what happens instead.
    let v = m.json(&["config", "validate", "--json"]);
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["status"], "ok", "{v}");
    let notes = v["notes"].as_array().unwrap();
    for key in [
        "session_reflection.sandbox",
        "session_reflection.approval_policy",
        "session_reflection.ephemeral",
        "session_reflection.skill_prefix",
        "session_reflection.trigger.skill_generation_mode",
        "log.retention_days",
    ] {
        let n = notes
            .iter()
            .find(|n| n["key"] == key)
            .unwrap_or_else(|| panic!("{key}: {v}"));
        assert_eq!(n["kind"], "no-counterpart", "{n}");
        assert!(!n["effect"].as_str().unwrap().is_empty());
    }
    let text = String::from_utf8(m.ok(&["config", "validate"]).stdout).unwrap();
    assert!(text.contains("session_reflection.sandbox"), "{text}");

    // What the user turned off stays off.
    let path = m.path("state/config.toml");
    let off = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "[session_reflection]\nenabled = true",
            "[session_reflection]\nenabled = false",
        )
        .replace("stop_hook_archive = true", "stop_hook_archive = false");
    std::fs::write(&path, off).unwrap();
    let c = &m.json(&["config", "show", "--json"])["config"];
    assert_eq!(c["reflection"]["enabled"], false, "{c}");
    assert_eq!(c["recall"]["archive_on_stop"], false, "{c}");

    // A typo is named and makes validate exit 1, as the original's warnings did.
    std::fs::write(
        &path,
        "schema_version = 2\n[session_reflection.trigger]\nmemory_stop_intervall = 4\n",
    )
    .unwrap();
    let out = m.run(&["config", "validate", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "warnings", "{v}");
    assert!(v.to_string().contains("memory_stop_intervall"), "{v}");
    // Another schema version is refused, naming it.
    std::fs::write(&path, "schema_version = 7\n").unwrap();
    let out = m.run(&["config", "validate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("schema_version = 7"),
        "{out:?}"
    );
}

#[test]
fn config_migrate_rewrites_once_with_a_backup_and_the_same_settings() {
    let m = original_machine();
    let before = m.json(&["config", "show", "--json"])["config"].clone();
    let original = std::fs::read(m.path("state/config.toml")).unwrap();
    let dry = m.json(&["config", "migrate", "--dry-run", "--json"]);
    assert_eq!(dry["status"], "would-migrate", "{dry}");
    assert_eq!(
        std::fs::read(m.path("state/config.toml")).unwrap(),
        original,
        "a dry run writes nothing"
    );

    let done = m.json(&["config", "migrate", "--json"]);
    assert_eq!(done["status"], "migrated", "{done}");
    let backup = PathBuf::from(done["backup"].as_str().unwrap());
    assert_eq!(std::fs::read(&backup).unwrap(), original);
    let text = std::fs::read_to_string(m.path("state/config.toml")).unwrap();
    assert!(!text.contains("schema_version"), "{text}");
    assert!(
        text.contains("# reflect less often than the default of 3"),
        "comments kept: {text}"
    );
    assert!(text.contains("# session_reflection.sandbox"), "{text}");
    let after = m.json(&["config", "show", "--json"]);
    assert_eq!(after["form"], "current");
    assert_eq!(after["config"], before, "the same settings in effect");
    m.ok(&["config", "validate"]);
    // show --raw: the file as it is on disk.
    let raw = m.ok(&["config", "show", "--raw"]).stdout;
    assert_eq!(raw, std::fs::read(m.path("state/config.toml")).unwrap());

    let again = m.json(&["config", "migrate", "--json"]);
    assert_eq!(again["status"], "unchanged", "{again}");
    assert_eq!(
        std::fs::read_to_string(m.path("state/config.toml")).unwrap(),
        text
    );
}

#[test]
fn migrate_merges_worktree_memory_adopts_the_skill_and_is_idempotent() {
    let m = original_machine();
    let main_bucket = m.bucket("repo");
    let feature_bucket = m.bucket("repo-feature");

    // Before: the feature worktree's memory is not injected.
    let ctx = session_start(&m, &m.path("repo-feature"));
    assert!(ctx.contains("Never edit files under vendor/"), "{ctx}");
    assert!(!ctx.contains("NEW_PARSER"), "{ctx}");

    let state_before = file_tree(&m.path("state"));
    let plan = m.json(&["migrate", "--json"]);
    assert_eq!(plan["status"], "planned", "{plan}");
    assert_eq!(plan["applied"], false);
    assert_eq!(
        plan["buckets"][0]["source_bucket"],
        slug(&m.path("repo-feature"))
    );
    assert_eq!(plan["buckets"][0]["target_bucket"], slug(&m.path("repo")));
    assert_eq!(
        file_tree(&m.path("state")),
        state_before,
        "a dry run writes nothing"
    );

    // The original's job and run are neither run nor reported as broken.
    let history = m.ok(&["memory", "history"]);
    assert!(history.stderr.is_empty(), "{history:?}");
    let s = m.json(&["status", "--json"]);
    assert!(
        s["original_reflection"]
            .as_str()
            .is_some_and(|n| n.contains("csep migrate")),
        "{s}"
    );
    assert!(
        s["worktree_buckets"]
            .as_str()
            .is_some_and(|n| n.starts_with("1 bucket")),
        "{s}"
    );

    let done = m.json(&["migrate", "--apply", "--json"]);
    assert_eq!(done["status"], "applied", "{done}");
    let aside = m.path("state/session_reflection/csep1");
    for rel in [
        "jobs/20261120T101500Z-1a2b3c4d.json",
        "runs/20261120T101500Z-1a2b3c4d/receipt.json",
        "latest.json",
        "triggers/0123456789abcdef/state.json",
    ] {
        assert!(aside.join(rel).is_file(), "{rel} moved aside: {done}");
    }
    assert!(
        !m.path("state/session_reflection/jobs/20261120T101500Z-1a2b3c4d.json")
            .exists()
    );
    let b = &done["buckets"][0];
    assert_eq!(b["entries_added"], 2, "{b}");
    assert_eq!(b["entries_already_there"], 1, "{b}");
    assert_eq!(b["conflicts"], 1, "Release branch differs: {b}");
    assert!(!feature_bucket.exists(), "renamed");
    let archived = m
        .path("state/projects")
        .join(b["archived_as"].as_str().unwrap());
    assert!(
        archived.join("memory/MEMORY.md").is_file(),
        "renamed, not deleted"
    );
    let legacy = &done["legacy_memory"][0];
    assert_eq!(legacy["added"], 2, "{legacy}");
    let skills = done["skills"].as_array().unwrap();
    assert_eq!(skills.len(), 1, "{done}");
    assert_eq!(skills[0]["action"], "adopted");
    let backup = PathBuf::from(done["backup_dir"].as_str().unwrap());
    assert_eq!(
        std::fs::read(backup.join(slug(&m.path("repo"))).join("MEMORY.md")).unwrap(),
        std::fs::read(fixture("memory-main.md")).unwrap(),
        "the shared bucket's memory as it was"
    );

    let memory = std::fs::read_to_string(main_bucket.join("memory/MEMORY.md")).unwrap();
    for line in [
        "Release branch: main",
        "Release branch: release/2.x",
        "NEW_PARSER stays off",
        "Ask Dana to review parser changes.",
        "make bench",
    ] {
        assert!(memory.contains(line), "{line}: {memory}");
    }
    assert_eq!(
        memory.matches("make check").count(),
        1,
        "deduplicated: {memory}"
    );
    assert_eq!(
        memory.matches("Never edit files under vendor/").count(),
        1,
        "{memory}"
    );
    assert!(main_bucket.join("memory/refs/parser.md").is_file());

    // Both worktrees now start with both worktrees' memory.
    for wt in ["repo", "repo-feature"] {
        let ctx = session_start(&m, &m.path(wt));
        assert!(
            ctx.contains("NEW_PARSER") && ctx.contains("Release branch: main"),
            "{wt}: {ctx}"
        );
    }

    // A second run changes nothing.
    let tree = file_tree(&m.path("state/projects"));
    let again = m.json(&["migrate", "--apply", "--json"]);
    assert_eq!(again["status"], "nothing-to-do", "{again}");
    assert_eq!(again["skills"][0]["action"], "already-adopted");
    assert_eq!(file_tree(&m.path("state/projects")), tree);
    let text = String::from_utf8(m.ok(&["migrate-worktrees"]).stdout).unwrap();
    assert!(text.contains("nothing to migrate"), "the alias: {text}");

    // --undo puts everything back; applying again gives the same result.
    let stamp = backup.file_name().unwrap().to_str().unwrap().to_string();
    let undone = m.json(&["migrate", "--undo", &stamp, "--json"]);
    assert_eq!(undone["status"], "undone", "{undone}");
    assert_eq!(
        std::fs::read(main_bucket.join("memory/MEMORY.md")).unwrap(),
        std::fs::read(fixture("memory-main.md")).unwrap()
    );
    assert!(
        feature_bucket.join("memory/memory.json").is_file(),
        "renamed back"
    );
    assert!(!main_bucket.join("memory/refs/parser.md").exists());
    let out = m.run(&["migrate", "--undo", &stamp]);
    assert_eq!(out.status.code(), Some(3), "already undone: {out:?}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    m.json(&["migrate", "--apply", "--json"]);
    assert_eq!(file_tree(&m.path("state/projects")).len(), tree.len());
    assert_eq!(
        std::fs::read_to_string(main_bucket.join("memory/MEMORY.md")).unwrap(),
        memory
    );

    // The skill is listed once; status is clean and names the original's index.
    let s = m.json(&["status", "--json"]);
    assert!(s["original_reflection"].is_null(), "{s}");
    assert!(s["worktree_buckets"].is_null(), "{s}");
    let listed: Vec<&Value> = s["generated_skills"]["skills"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k.to_string().contains("csep-reflect-run-the-checks"))
        .collect();
    assert_eq!(listed.len(), 1, "{s}");
    assert_eq!(s["config"]["valid"], true, "{}", s["config"]);
    assert!(
        s["original_index"]
            .as_str()
            .unwrap()
            .contains("session_recall/state.db"),
        "{s}"
    );
    assert_eq!(
        s["reflection"]["unreadable"].as_array().map_or(0, Vec::len),
        0,
        "{}",
        s["reflection"]
    );
}

#[test]
fn the_original_index_is_removed_only_on_request_after_a_bootstrap() {
    let m = original_machine();
    let db = m.path("state/session_recall/state.db");
    let v = m.json(&["migrate", "--apply", "--json"]);
    assert_eq!(v["original_index"]["status"], "kept", "{v}");
    assert!(db.exists(), "never by default");
    let v = m.json(&["migrate", "--apply", "--remove-original-index", "--json"]);
    assert_eq!(v["original_index"]["status"], "kept-until-bootstrap", "{v}");
    assert!(db.exists());

    m.transcript("rollout-a", "01a212c6-0000-7000-8000-00000000000a", "hello");
    let ingest = m.json(&["session-ingest", "--backfill", "--json"]);
    assert_eq!(ingest["new_sessions"], 1, "{ingest}");
    let v = m.json(&["migrate", "--remove-original-index", "--json"]);
    assert_eq!(v["original_index"]["status"], "remove", "a dry run: {v}");
    assert!(db.exists());
    let v = m.json(&["migrate", "--apply", "--remove-original-index", "--json"]);
    assert_eq!(v["original_index"]["status"], "removed", "{v}");
    assert!(!db.exists());
    assert!(m.json(&["status", "--json"])["original_index"].is_null());
}

#[test]
fn the_original_commands_do_what_their_help_says() {
    let m = original_machine();
    // A home of this project's form, so no reflection reaches for a model.
    std::fs::remove_file(m.path("state/config.toml")).unwrap();
    for cmd in [
        vec!["session-archive", "--help"],
        vec!["session-ingest", "--help"],
        vec!["session-reflect", "--help"],
        vec!["config", "init", "--help"],
        vec!["config", "migrate", "--help"],
        vec!["migrate", "--help"],
        vec!["setup", "--help"],
    ] {
        let help = String::from_utf8(m.ok(&cmd).stdout).unwrap();
        assert!(help.contains("Usage"), "{cmd:?}: {help}");
    }
    let help = String::from_utf8(m.ok(&["session-reflect", "--help"]).stdout).unwrap();
    assert!(
        help.contains("--hook-payload") && help.contains("foreground"),
        "{help}"
    );
    let help = String::from_utf8(m.ok(&["session-archive", "--help"]).stdout).unwrap();
    assert!(
        help.contains("--cleanup-payload") && help.contains("--transcript-path"),
        "{help}"
    );

    // config init: created, refused, replaced with a backup.
    let v = m.json(&["config", "init", "--json"]);
    assert_eq!(v["status"], "created", "{v}");
    let out = m.run(&["config", "init", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["status"], "error");
    let v = m.json(&["config", "init", "--force", "--json"]);
    assert_eq!(v["status"], "overwritten");
    assert!(Path::new(v["backup"].as_str().unwrap()).is_file());
    m.ok(&["config", "validate"]);

    // session-archive from a hook payload, removing the payload.
    let sid = "01a212c6-0000-7000-8000-0000000000b1";
    let t = m.transcript("rollout-b", sid, "archive-needle-one");
    let p = m.payload(&t, sid);
    let v = m.json(&[
        "session-archive",
        "--from-hook-payload",
        p.to_str().unwrap(),
        "--cleanup-payload",
        "--json",
    ]);
    assert_eq!(v["status"], "archived", "{v}");
    assert_eq!(v["outcome"], "new");
    assert!(!p.exists(), "--cleanup-payload removes it");
    let found = m.json(&["recall", "--json", "archive-needle-one"]);
    assert_eq!(found["count"], 1, "{found}");
    // The original plugin's recall line, with its variables unset.
    let found = m.json(&[
        "recall",
        "archive-needle-one",
        "--cwd",
        "",
        "--state-dir",
        "",
        "--json",
    ]);
    assert_eq!(
        found["count"], 1,
        "an empty flag is a flag not given: {found}"
    );
    // ... and from the three flags, with --state-dir as the original spelled --home.
    let sid2 = "01a212c6-0000-7000-8000-0000000000b2";
    let t2 = m.transcript("rollout-c", sid2, "archive-needle-two");
    let state = m.path("state");
    let v = m.json(&[
        "session-archive",
        "--transcript-path",
        t2.to_str().unwrap(),
        "--cwd",
        m.path("repo").to_str().unwrap(),
        "--session-id",
        sid2,
        "--state-dir",
        state.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["status"], "archived", "{v}");
    let v = m.json(&[
        "session-archive",
        "--transcript-path",
        t2.to_str().unwrap(),
        "--cwd",
        "/x",
        "--session-id",
        sid2,
        "--json",
    ]);
    assert_eq!(v["outcome"], "unchanged", "{v}");
    let out = m.run(&["session-archive", "--transcript-path", t2.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--cwd and --session-id are required with it"
    );
    let out = m.run(&[
        "session-archive",
        "--from-hook-payload",
        "/nonexistent.json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    // session-ingest --backfill: all history by default; --limit-files newest first.
    m.transcript(
        "rollout-d",
        "01a212c6-0000-7000-8000-0000000000b3",
        "ingest-needle",
    );
    let v = m.json(&[
        "session-ingest",
        "--backfill",
        "--limit-files",
        "1",
        "--json",
    ]);
    assert_eq!(v["processed_files"], 1, "{v}");
    let v = m.json(&["session-ingest", "--backfill", "--json"]);
    assert_eq!(v["processed_files"], 3, "{v}");
    assert_eq!(v["error_count"], 0);
    let out = m.run(&["session-ingest"]);
    assert_eq!(out.status.code(), Some(2), "--backfill is required");

    // session-reflect --hook-payload: the Stop hook's work, then the job in the foreground.
    let sid3 = "01a212c6-0000-7000-8000-0000000000b4";
    let t3 = m.transcript("rollout-e", sid3, "记住：下次跑测试用 cargo nextest");
    let p3 = m.payload(&t3, sid3);
    let out = m.ok(&[
        "session-reflect",
        "--hook-payload",
        p3.to_str().unwrap(),
        "--json",
    ]);
    let job: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["status"], "succeeded", "{job}");
    let memory = std::fs::read_to_string(m.bucket("repo").join("memory/MEMORY.md")).unwrap();
    assert!(memory.contains("cargo nextest"), "{memory}");

    // The original plugin's hook lines run and exit 0.
    for hook in ["session-start", "session-stop"] {
        let out = m
            .csep()
            .args([hook, "--from-stdin", "--state-dir", state.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{hook}: {out:?}");
    }
}

#[test]
fn setup_replaces_the_original_plugin_and_uninstall_restores_it() {
    let m = original_machine();
    let config = m.path("codex/config.toml");
    let before = "[features]\nplugins = true\nhooks = true\nplugin_hooks = true\n\n\
                  [plugins.\"codex-self-evolution@codex-self-evolution\"]\nenabled = true\n";
    std::fs::write(&config, before).unwrap();
    // Entries an older release of the original wrote into Codex's own hooks.json,
    // beside one of another tool's.
    let hooks_file = m.path("codex/hooks.json");
    let hooks_before = r#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "other-tool stop"}]}, {"hooks": [{"type": "command", "command": "bash -c ': codex-self-evolution-plugin managed; exec uvx --from codex-self-evolution-plugin codex-self-evolution stop-review --from-stdin'", "timeout": 20}]}], "SessionStart": [{"hooks": [{"type": "command", "command": "csep session-start --from-stdin", "timeout": 15}]}]}}"#;
    std::fs::write(&hooks_file, hooks_before).unwrap();
    let out = m.ok(&["setup", "--client", "codex", "--reflect-with", "codex"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("the original tool's plugin"), "{text}");
    let hooks: Value =
        serde_json::from_str(&std::fs::read_to_string(&hooks_file).unwrap()).unwrap();
    assert_eq!(
        hooks,
        serde_json::json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "other-tool stop"}]}]}}),
        "{text}"
    );
    assert!(text.contains("2 hook entries"), "reported: {text}");
    let after: toml::Table = std::fs::read_to_string(&config).unwrap().parse().unwrap();
    assert_eq!(
        after["plugins"]["codex-self-evolution@codex-self-evolution"]["enabled"].as_bool(),
        Some(false),
        "{after}"
    );
    assert!(text.contains("codex exec"), "the cost is said: {text}");
    let c = m.json(&["config", "show", "--json"]);
    assert_eq!(c["config"]["provider"]["kind"], "codex-exec", "{c}");

    m.ok(&["uninstall", "--client", "codex"]);
    assert_eq!(std::fs::read_to_string(&hooks_file).unwrap(), hooks_before);
    let restored: toml::Table = std::fs::read_to_string(&config).unwrap().parse().unwrap();
    assert_eq!(
        restored["plugins"]["codex-self-evolution@codex-self-evolution"]["enabled"].as_bool(),
        Some(true),
        "{restored}"
    );

    // A new user with a Codex login, not on a terminal: offered, nothing recorded.
    std::fs::remove_file(m.path("state/config.toml")).unwrap();
    let s = m.json(&["status", "--json"]);
    assert!(
        s["reflection_model"]
            .as_str()
            .is_some_and(|n| n.contains("--reflect-with codex")),
        "where the original reflected through Codex, no model is not silent: {s}"
    );
    std::fs::write(m.path("codex/auth.json"), "{}").unwrap();
    let text = String::from_utf8(m.ok(&["setup", "--client", "codex"]).stdout).unwrap();
    assert!(text.contains("--reflect-with codex"), "{text}");
    assert!(
        !m.path("state/config.toml").exists()
            || !std::fs::read_to_string(m.path("state/config.toml"))
                .unwrap()
                .contains("codex-exec")
    );
    m.ok(&["setup", "--client", "codex", "--reflect-with", "none"]);
    let c = m.json(&["config", "show", "--json"]);
    assert_eq!(c["config"]["provider"]["kind"], "none", "{c}");
    let s = m.json(&["status", "--json"]);
    assert!(s["reflection_model"].is_null(), "chosen: {s}");

    // The original's own setup line: --codex-config names the file to edit, the
    // install flags are taken and said to be ignored.
    let other = m.path("other-codex");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("config.toml"), before).unwrap();
    let out = m.ok(&[
        "setup",
        "--client",
        "codex",
        "--reflect-with",
        "none",
        "--skip-tool-install",
        "--skip-marketplace",
        "--codex-config",
        other.join("config.toml").to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("--skip-tool-install") && text.contains("ignored"),
        "{text}"
    );
    let edited: toml::Table = std::fs::read_to_string(other.join("config.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        edited["plugins"]["codex-self-evolution@codex-self-evolution"]["enabled"].as_bool(),
        Some(false),
        "{edited}"
    );
    assert_eq!(
        edited["plugins"]["csep@csep-local"]["enabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn the_originals_recall_switches_keep_the_stop_hook_from_archiving() {
    let m = original_machine();
    let config = m.path("state/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("stop_hook_archive = true", "stop_hook_archive = false"),
    )
    .unwrap();
    let sid = "01a212c6-0000-7000-8000-0000000000c1";
    let t = m.transcript("rollout-c", sid, "unarchived-needle");
    let payload = std::fs::read(m.payload(&t, sid)).unwrap();
    let mut stop = m.csep();
    stop.args(["session-stop"])
        .stdin(std::process::Stdio::piped());
    let mut child = stop.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&payload).unwrap();
    assert!(child.wait().unwrap().success());
    let v = m.json(&["recall", "unarchived-needle", "--global", "--json"]);
    assert_eq!(
        v["count"], 0,
        "archive_on_stop = false archives nothing: {v}"
    );

    // Recall off altogether: the search says so instead of searching.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "[session_recall]\nenabled = true",
            "[session_recall]\nenabled = false",
        ),
    )
    .unwrap();
    m.ok(&["recall", "bootstrap", "--all-history"]);
    let ctx = session_start(&m, &m.path("repo"));
    assert!(
        ctx.contains("vendor/") && !ctx.contains("csep recall"),
        "recall is not offered when it is off: {ctx}"
    );
    let v = m.json(&["recall", "unarchived-needle", "--global", "--json"]);
    assert_eq!(v["count"], 0, "{v}");
    assert!(
        v["notice"]
            .as_str()
            .is_some_and(|n| n.contains("recall is off")),
        "{v}"
    );
}

#[test]
fn the_originals_session_start_state_dir_names_the_bucket() {
    let m = original_machine();
    let main = m.bucket("repo");
    let feature = m.bucket("repo-feature");
    // The original read `<DIR>/memory/MEMORY.md` whatever the payload's folder.
    let ctx = session_start_with(
        &m,
        &m.path("repo"),
        &["--state-dir", feature.to_str().unwrap()],
    );
    assert!(
        ctx.contains("NEW_PARSER"),
        "the named bucket's memory: {ctx}"
    );
    let ctx = session_start_with(
        &m,
        &m.path("repo-feature"),
        &["--state-dir", main.to_str().unwrap()],
    );
    assert!(
        ctx.contains("vendor/") && !ctx.contains("NEW_PARSER"),
        "{ctx}"
    );
    // The run is logged in the state folder that holds the bucket, not in the bucket.
    let log = std::fs::read_to_string(m.path("state/logs/hooks.jsonl")).unwrap();
    assert!(
        log.contains(&format!("\"bucket\":\"{}\"", slug(&m.path("repo")))),
        "{log}"
    );
    assert!(!main.join("logs").exists() && !main.join("projects").exists());
    // Every other command (and a state folder given to session-start) names the state folder.
    let ctx = session_start_with(
        &m,
        &m.path("repo"),
        &["--state-dir", m.path("state").to_str().unwrap()],
    );
    assert!(
        ctx.contains("vendor/") && !ctx.contains("NEW_PARSER"),
        "{ctx}"
    );
}

#[test]
fn migrate_finds_buckets_without_a_marker_and_of_removed_worktrees() {
    let m = original_machine();
    // A worktree whose name has dashes, and a bucket without `.canonical_cwd`: its
    // name fits `/…/repo-x-y` only, of the folders on disk.
    git(
        &m.path("repo"),
        &["worktree", "add", "-q", "-b", "x", "../repo-x-y"],
    );
    // A worktree removed from disk that the repository still lists.
    git(
        &m.path("repo"),
        &["worktree", "add", "-q", "-b", "gone", "../repo-gone"],
    );
    std::fs::remove_dir_all(m.path("repo-gone")).unwrap();
    let layouts = [
        (
            "repo-x-y",
            "# Project Memory\n\n## Deploy\n\n- Release steps:\n  1. tag the commit\n  2. push the tag\n\n```sh\nmake release\n```\n",
        ),
        ("repo-gone", "- The cache lives in /var/cache/app.\n"),
        ("nowhere-at-all", "- A note from a folder that is gone.\n"),
    ];
    for (rel, memory) in layouts {
        let dir = m.bucket(rel);
        std::fs::create_dir_all(dir.join("memory")).unwrap();
        std::fs::write(dir.join("memory/MEMORY.md"), memory).unwrap();
    }
    let done = m.json(&["migrate", "--apply", "--json"]);
    let moved: Vec<&str> = done["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["source_bucket"].as_str().unwrap())
        .collect();
    for rel in ["repo-x-y", "repo-gone", "repo-feature"] {
        assert!(
            moved.contains(&slug(&m.path(rel)).as_str()),
            "{rel}: {done}"
        );
    }
    let skipped = done["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{done}");
    assert_eq!(skipped[0]["bucket"], slug(&m.path("nowhere-at-all")));
    assert!(
        m.bucket("nowhere-at-all")
            .join("memory/MEMORY.md")
            .is_file()
    );

    let memory = std::fs::read_to_string(m.bucket("repo").join("memory/MEMORY.md")).unwrap();
    assert!(memory.contains("### Deploy\n"), "{memory}");
    assert!(
        memory.contains("- Release steps:\n  1. tag the commit\n  2. push the tag\n"),
        "an entry keeps its lines: {memory}"
    );
    assert!(memory.contains("```sh\nmake release\n```"), "{memory}");
    assert!(memory.contains("/var/cache/app"), "{memory}");
    let ctx = session_start(&m, &m.path("repo-x-y"));
    assert!(
        ctx.contains("/var/cache/app") && ctx.contains("tag the commit"),
        "{ctx}"
    );

    let again = m.json(&["migrate", "--apply", "--json"]);
    assert!(
        again["buckets"].as_array().unwrap().is_empty(),
        "nothing left to move: {again}"
    );
}
