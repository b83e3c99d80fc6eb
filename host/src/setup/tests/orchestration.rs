use super::super::EntryStatus::{AlreadySet, Kept, Removed};
use super::super::{SetupError, setup, uninstall};
use super::*;
use crate::client::Client::{Claude, Codex};

fn both_homes(env: &Env) {
    env.write("codex/config.toml", "model = \"o3\"\n");
    env.write("claude/settings.json", "{\n  \"model\": \"opus\"\n}\n");
}

#[test]
fn a_dry_run_writes_nothing_and_says_what_a_real_run_would() {
    let env = Env::new();
    both_homes(&env);
    let mut dry = env.opts(&[]);
    dry.dry_run = true;
    dry.codex_bin = Some(script(&env.path("bin/codex"), "touch ran\nexit 1\n"));
    let before = snapshot(&env.root);
    let planned = setup(&dry).unwrap();
    assert_eq!(snapshot(&env.root), before, "setup --dry-run");

    let done = setup(&env.opts(&[])).unwrap();
    let strip = |entries: &[Entry]| -> Vec<(Client, EntryStatus)> {
        entries
            .iter()
            .filter(|e| !e.what.starts_with("backup of"))
            .map(|e| (e.client, e.status.clone()))
            .collect()
    };
    assert_eq!(strip(&planned), strip(&done));

    let before = snapshot(&env.root);
    let planned = uninstall(&dry, true).unwrap();
    assert_eq!(snapshot(&env.root), before, "uninstall --dry-run");
    let done = uninstall(&env.opts(&[]), true).unwrap();
    assert_eq!(strip(&planned), strip(&done));
}

#[test]
fn clients_default_to_the_homes_that_exist() {
    let env = Env::new();
    let entries = setup(&env.opts(&[])).unwrap();
    assert!(
        entries.iter().all(|e| e.client == Codex),
        "none exists: Codex"
    );
    assert!(env.exists("codex/config.toml"));
    assert!(!env.exists("claude"));

    let env = Env::new();
    both_homes(&env);
    let entries = setup(&env.opts(&[])).unwrap();
    assert!(entries.iter().any(|e| e.client == Codex));
    assert!(entries.iter().any(|e| e.client == Claude));
}

#[test]
fn uninstall_of_one_client_leaves_the_other_recorded() {
    let env = Env::new();
    both_homes(&env);
    setup(&env.opts(&[])).unwrap();
    let out = uninstall(&env.opts(&[Claude]), true).unwrap();
    assert_eq!(
        env.read("claude/settings.json"),
        "{\n  \"model\": \"opus\"\n}\n"
    );
    assert!(matches!(&find(&out, "state folder")[0].status, Kept(why) if why.contains("codex")));
    assert!(env.read("codex/config.toml").contains("trusted_hash"));
    uninstall(&env.opts(&[]), false).unwrap();
    assert_eq!(env.read("codex/config.toml"), "model = \"o3\"\n");
}

#[test]
fn purge_removes_the_state_folder_and_a_plain_uninstall_keeps_it() {
    let env = Env::new();
    both_homes(&env);
    env.write("state/projects/x/memory/MEMORY.md", "- remember\n");
    setup(&env.opts(&[])).unwrap();
    uninstall(&env.opts(&[]), false).unwrap();
    assert!(env.exists("state/projects/x/memory/MEMORY.md"));
    assert!(!env.exists("state/setup.json"));
    assert!(!env.exists("state/plugin"));

    // Nothing recorded any more: uninstall says so and changes nothing.
    let again = uninstall(&env.opts(&[Codex, Claude]), false).unwrap();
    assert!(
        again[..2]
            .iter()
            .all(|e| matches!(e.status, EntryStatus::Skipped(_)))
    );

    setup(&env.opts(&[])).unwrap();
    let out = uninstall(&env.opts(&[]), true).unwrap();
    assert_eq!(find(&out, "state folder")[0].status, Removed);
    assert!(!env.exists("state"));
    let out = uninstall(&env.opts(&[]), true).unwrap();
    assert_eq!(find(&out, "state folder")[0].status, AlreadySet);
}

#[test]
fn a_broken_record_stops_setup_before_any_change() {
    let env = Env::new();
    both_homes(&env);
    env.write("state/setup.json", "{not json");
    let before = snapshot(&env.root);
    let err = setup(&env.opts(&[])).unwrap_err();
    assert!(matches!(err, SetupError::Record { .. }), "{err:?}");
    assert_eq!(snapshot(&env.root), before);
}

#[test]
fn setup_twice_on_both_clients_is_all_already_set() {
    let env = Env::new();
    both_homes(&env);
    setup(&env.opts(&[])).unwrap();
    let config = env.read("codex/config.toml");
    let settings = env.read("claude/settings.json");
    let record = env.read("state/setup.json");
    assert_all_already_set(&setup(&env.opts(&[])).unwrap());
    assert_eq!(env.read("codex/config.toml"), config);
    assert_eq!(env.read("claude/settings.json"), settings);
    assert_eq!(env.read("state/setup.json"), record);
}

#[test]
fn entries_read_as_one_line_each() {
    let env = Env::new();
    let entries = setup(&env.opts(&[Codex])).unwrap();
    let text = entries[2].to_string();
    assert!(text.starts_with("codex  ["), "{text}");
    assert!(!text.contains('\n'));
}
