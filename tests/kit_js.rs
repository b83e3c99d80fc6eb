//! guests/examples/js-policy: a trigger policy written in JavaScript, built as its
//! README says (npm and the Bytecode Alliance's ComponentizeJS), installed with
//! `csep policy install`, and deciding Stops with its settings.
//!
//! Needs npm, which `.ci/run` installs. Without it the test says so and passes on a
//! developer machine, and fails in CI.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use crate::support::skip::tool;
use crate::support::world::{Turn, World};

use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guests/examples/js-policy")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Copies the example's sources (what a clone has: no node_modules, no build output).
fn copy_sources(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if name == "node_modules" || path.extension().is_some_and(|e| e == "wasm") {
            continue;
        }
        if path.is_dir() {
            copy_sources(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

#[test]
fn a_policy_written_in_javascript_builds_installs_and_decides() {
    if !tool("npm") {
        return;
    }
    let readme = std::fs::read_to_string(example().join("README.md")).unwrap();
    for step in [
        "npm ci && npm run build",
        "csep policy check js-policy.wasm",
        "csep policy install js-policy.wasm --activate",
    ] {
        assert!(readme.contains(step), "the README no longer says `{step}`");
    }
    let mut w = World::new();
    w.set("CSEP__REFLECTION__START_WORKER", "false");
    let dir = w.path("js-policy");
    copy_sources(&example(), &dir);
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir));
    run(Command::new("npm")
        .args(["run", "--silent", "build"])
        .current_dir(&dir));

    let wasm = dir.join("js-policy.wasm");
    let wasm = wasm.to_str().unwrap();
    let checked = w.ok(&["policy", "check", wasm]);
    assert!(checked.contains("a valid trigger-policy"), "{checked}");
    let installed = w.ok(&["policy", "install", wasm, "--activate"]);
    assert!(
        installed.contains("active policy: `js-policy`"),
        "{installed}"
    );

    let stop = |id: &str, said: &str| {
        let t = w.rollout(id, &[Turn::User(said), Turn::Assistant("ok")]);
        w.stop(id, &t);
        let log = w.log();
        let last = log.last().unwrap().clone();
        assert_eq!(last["ok"], true, "{last}");
        let policy = last["policy"].as_str().unwrap().to_string();
        assert!(
            policy.contains("policies/js-policy.wasm (sha256 "),
            "{policy}"
        );
        w.jobs().into_iter().find(|j| j["session_id"] == id)
    };
    let job = stop(
        "019d0000-0000-7000-8000-000000000001",
        "Always run cargo fmt before you commit.",
    )
    .expect("a listed word queues a job");
    assert_eq!(job["reasons"][0], "user-words", "{job}");
    assert_eq!(job["summary"], "the user wrote \"always\"", "{job}");
    assert!(
        stop("019d0000-0000-7000-8000-000000000002", "thanks, looks good").is_none(),
        "no listed word, no job"
    );

    // Its settings come from [policy.settings], as data.
    let config = w.path("state/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[policy.settings]\nwords = [\"from now on\"]\n");
    std::fs::write(&config, text).unwrap();
    let job = stop(
        "019d0000-0000-7000-8000-000000000003",
        "From now on use cargo nextest.",
    )
    .expect("the configured words count");
    assert_eq!(job["summary"], "the user wrote \"from now on\"", "{job}");
    assert!(stop("019d0000-0000-7000-8000-000000000004", "always be careful").is_none());
}
