//! `docs/writing-a-policy.md`, replayed: a new crate made with its commands and its
//! files builds for wasm32-wasip2, passes `csep policy check`, installs, and
//! decides the next Stop. The files it gives are `guests/template-policy/`.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use crate::support::skip::tool;
use crate::support::world::{Turn, World};

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn doc() -> String {
    read(&repo().join("docs/writing-a-policy.md"))
}

/// The code block that follows `<!-- file: NAME -->` in the doc.
fn doc_file(doc: &str, name: &str) -> String {
    let marker = format!("<!-- file: {name} -->\n");
    let at = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("the doc gives no {name}"))
        + marker.len();
    let rest = &doc[at..];
    let body = &rest[rest.find('\n').unwrap() + 1..];
    body[..body.find("\n```").unwrap() + 1].to_string()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Whether the toolchain running these tests can build for wasm32-wasip2, adding the
/// target with rustup (the doc's first step) when it is missing. Without rustup to add
/// it, a skip (a failure under `CI`).
fn wasm_target_installed() -> bool {
    let has_target = || {
        Command::new("rustup")
            .args(["target", "list", "--installed"])
            .output()
            .is_ok_and(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l == "wasm32-wasip2")
            })
    };
    if has_target() {
        return true;
    }
    if !tool("rustup") {
        return false;
    }
    run(Command::new("rustup").args(["target", "add", "wasm32-wasip2"]));
    assert!(
        has_target(),
        "`rustup target add wasm32-wasip2` did not add it"
    );
    true
}

#[test]
fn the_template_is_the_doc_and_speaks_this_contract() {
    let doc = doc();
    let template = repo().join("guests/template-policy");
    assert_eq!(
        doc_file(&doc, "Cargo.toml"),
        read(&template.join("Cargo.toml"))
    );
    assert_eq!(
        doc_file(&doc, "src/lib.rs"),
        read(&template.join("src/lib.rs"))
    );
    let contract = read(&repo().join("wit/engine.wit"));
    for copy in [
        "guests/template-policy/wit/engine.wit",
        "guests/examples/js-policy/wit/engine.wit",
    ] {
        assert_eq!(read(&repo().join(copy)), contract, "{copy} is out of date");
    }
}

#[test]
fn following_the_doc_gives_a_working_policy() {
    let doc = doc();
    let steps = [
        "rustup target add wasm32-wasip2",
        "cargo new --lib my-policy",
        "csep policy wit wit",
        "cargo build --release --target wasm32-wasip2",
        "csep policy check target/wasm32-wasip2/release/my_policy.wasm",
        "csep policy try target/wasm32-wasip2/release/my_policy.wasm --session SESSION_ID",
        "csep policy install target/wasm32-wasip2/release/my_policy.wasm --activate",
    ];
    for step in steps {
        assert!(doc.contains(step), "the doc no longer says `{step}`");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The doc's first step, replayed when this machine lacks the target.
    if !wasm_target_installed() {
        return;
    }

    let mut w = World::new();
    w.set("CSEP__REFLECTION__START_WORKER", "false");
    let work = w.path("work");
    std::fs::create_dir_all(&work).unwrap();
    run(Command::new(&cargo)
        .args(["new", "--lib", "my-policy", "--vcs", "none"])
        .current_dir(&work));
    let krate = work.join("my-policy");
    run(w
        .command()
        .args(["policy", "wit", "wit"])
        .current_dir(&krate));
    std::fs::write(krate.join("Cargo.toml"), doc_file(&doc, "Cargo.toml")).unwrap();
    std::fs::write(krate.join("src/lib.rs"), doc_file(&doc, "src/lib.rs")).unwrap();

    // Kept between runs so only the first one compiles wit-bindgen.
    let target = repo().join("target/doc-policy");
    run(Command::new(&cargo)
        .args(["build", "--release", "--target", "wasm32-wasip2", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .current_dir(&krate));
    let wasm = target.join("wasm32-wasip2/release/my_policy.wasm");
    let wasm = wasm.to_str().unwrap();

    let checked = w.ok(&["policy", "check", wasm]);
    assert!(checked.contains("a valid trigger-policy"), "{checked}");

    let id = "019c0000-0000-7000-8000-000000000001";
    let long: Vec<Turn> = (0..4)
        .flat_map(|i| {
            [
                Turn::User(if i == 0 {
                    "look at the flaky parser test"
                } else {
                    "and now?"
                }),
                Turn::Assistant("done, the test passes now"),
            ]
        })
        .collect();
    let t = w.rollout(id, &long);
    w.stop(id, &t);
    assert!(w.jobs().is_empty(), "the bundled policy waits for 3 Stops");
    let tried = w.ok(&["policy", "try", wasm, "--session", id]);
    assert!(tried.contains("reflect on memory"), "{tried}");

    let installed = w.ok(&["policy", "install", wasm, "--activate"]);
    assert!(
        installed.contains("active policy: `my-policy`"),
        "{installed}"
    );
    assert!(w.path("state/policies/my-policy.wasm").is_file());
    let id2 = "019c0000-0000-7000-8000-000000000002";
    let t = w.rollout(id2, &long);
    w.stop(id2, &t);
    let jobs = w.jobs();
    assert_eq!(jobs.len(), 1, "{:?}", w.log());
    assert_eq!(jobs[0]["reasons"][0], "long-session", "{}", jobs[0]);
}
