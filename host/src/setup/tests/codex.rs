use serde_json::Value;

use super::super::EntryStatus::{Added, AlreadySet, Changed, Kept, Skipped};
use super::super::{SetupError, codex_cli, setup, uninstall};
use super::*;
use crate::client::Client::Codex;

const CONFIG: &str = "codex/config.toml";
const CACHE: &str = "codex/plugins/cache/csep-local/csep/0.1.0";

/// A config.toml written by hand: comments, odd spacing, inline tables, dotted keys,
/// arrays of tables, tables csep also writes into.
const HAND_WRITTEN: &str = r#"# Codex config, by hand
model = "o3"   # the default
approval_policy =    'on-request'
notify = [ "notify-send",
  # body
  'csep' , ]
tbl = {a=1,  b = { c = "d" } ,}
profile.fast.model = "o4-mini"

[ features ]  # switches
web_search_request=true
	unified_exec = false

[plugins."other@x"]
enabled = true

[marketplaces.other]
source_type = "git"
source = "https://example.invalid/x.git"

[[hooks.Stop]]
[[hooks.Stop.hooks]]
type = "command"
command = "notify-send done"

[[profiles.list]]
name = "a"

[mcp_servers.docs]
command = "npx"
env = { "K" = "v" }
args = ["-y", "@x/docs"]
"#;

fn variants() -> Vec<(&'static str, String)> {
    let crlf = HAND_WRITTEN.replace('\n', "\r\n");
    vec![
        ("lf", HAND_WRITTEN.to_string()),
        ("lf, no final newline", HAND_WRITTEN.trim_end().to_string()),
        ("crlf", crlf.clone()),
        ("crlf, no final newline", crlf.trim_end().to_string()),
        (
            "ends in a comment",
            format!("{HAND_WRITTEN}# [history]\n# persistence = \"none\""),
        ),
        (
            "inline plugins table",
            "model = \"o3\"\nplugins = { \"other@x\" = { enabled = true } }\n".into(),
        ),
        ("empty file", String::new()),
        ("comments only", "# nothing here yet\n".into()),
    ]
}

fn trusted(config: &str, event: &str) -> String {
    let doc: toml_edit::DocumentMut = config.parse().unwrap();
    doc["hooks"]["state"][&format!("csep@csep-local:hooks/hooks.json:{event}:0:0")]["trusted_hash"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn uninstall_restores_a_hand_written_config_byte_for_byte() {
    for (name, original) in variants() {
        let env = Env::new();
        env.write(CONFIG, &original);
        let first = setup(&env.opts(&[Codex])).unwrap();
        let after = env.read(CONFIG);
        assert_ne!(after, original, "{name}");
        assert!(
            !find(&first, "enabled = true").is_empty()
                && find(&first, "enabled = true")[0].status == Added,
            "{name}: {first:?}"
        );
        if name.starts_with("crlf") {
            assert!(
                !after.replace("\r\n", "").contains('\n'),
                "{name}: CRLF kept: {after:?}"
            );
        }
        assert_eq!(
            after.ends_with('\n'),
            original.is_empty() || original.ends_with('\n'),
            "{name}: final newline kept"
        );
        // Every line the user wrote is still there, in order (an inline table grows).
        let mut rest = after.as_str();
        for line in original.lines().filter(|l| !l.starts_with("plugins = {")) {
            let at = rest
                .find(line)
                .unwrap_or_else(|| panic!("{name}: lost {line:?}"));
            rest = &rest[at + line.len()..];
        }

        let second = setup(&env.opts(&[Codex])).unwrap();
        assert_all_already_set(&second);
        assert_eq!(
            env.read(CONFIG),
            after,
            "{name}: second run changed nothing"
        );

        uninstall(&env.opts(&[]), false).unwrap();
        assert_eq!(env.read(CONFIG), original, "{name}");
        assert!(!env.exists(CACHE), "{name}");
        assert!(!env.exists("state/plugin"), "{name}");
        assert!(
            !env.exists("codex/plugins"),
            "{name}: setup made it, so it goes"
        );
        assert!(!env.exists("state/setup.json"), "{name}");
    }
}

#[test]
fn a_config_setup_created_is_0600_and_uninstall_deletes_it() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("codex")).unwrap();
    let entries = setup(&env.opts(&[])).unwrap();
    assert!(entries.iter().all(|e| e.client == Codex));
    assert_eq!(mode(&env.path(CONFIG)), 0o600);
    assert_eq!(
        mode(&env.path("state/plugin/plugins/csep/hooks/hooks.json")),
        0o644
    );
    assert_eq!(mode(&env.path("state/plugin/plugins/csep/hooks")), 0o755);
    assert_eq!(mode(&env.path("state")), 0o700);
    assert_eq!(mode(&env.path("codex/plugins/cache")), 0o755);
    let config = env.read(CONFIG);
    for expected in [
        "[marketplaces.csep-local]\nsource_type = \"local\"\n",
        &format!("source = \"{}\"\n", env.path("state/plugin").display()),
        "[plugins.\"csep@csep-local\"]\nenabled = true\n",
        "[hooks.state.\"csep@csep-local:hooks/hooks.json:session_start:0:0\"]\ntrusted_hash = \"sha256:",
        "[hooks.state.\"csep@csep-local:hooks/hooks.json:stop:0:0\"]\ntrusted_hash = \"sha256:",
    ] {
        assert!(config.contains(expected), "{expected} in\n{config}");
    }
    assert!(
        !config.contains("[features]"),
        "hooks are on by default: {config}"
    );
    assert!(backups(&env.path("codex")).is_empty(), "nothing to back up");
    for rel in [
        "state/plugin/.agents/plugins/marketplace.json",
        "state/plugin/plugins/csep/.codex-plugin/plugin.json",
        "state/plugin/plugins/csep/.claude-plugin/plugin.json",
        "state/plugin/plugins/csep/skills/csep-session-recall/SKILL.md",
        &format!("{CACHE}/.codex-plugin/plugin.json"),
        &format!("{CACHE}/hooks/hooks.json"),
        &format!("{CACHE}/skills/csep-session-recall/SKILL.md"),
    ] {
        assert!(env.exists(rel), "{rel}");
    }
    let cache_entry = find(&entries, "installed copy");
    assert!(
        cache_entry[0].what.contains("written by csep"),
        "{cache_entry:?}"
    );

    let out = uninstall(&env.opts(&[]), false).unwrap();
    assert!(!env.exists(CONFIG), "{out:?}");
    assert!(env.exists("codex"), "the home was there before");
    assert!(!env.exists("codex/plugins"));
    assert!(env.exists("state"), "memory is kept");
    let state = find(&out, "state folder");
    assert!(matches!(&state[0].status, Kept(why) if why.contains("--purge")));
}

#[test]
fn a_backup_is_taken_before_the_first_change_only() {
    let env = Env::new();
    env.write(CONFIG, HAND_WRITTEN);
    let entries = setup(&env.opts(&[Codex])).unwrap();
    let made = backups(&env.path("codex"));
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(std::fs::read_to_string(&made[0]).unwrap(), HAND_WRITTEN);
    assert!(
        made[0]
            .to_string_lossy()
            .contains("config.toml.csep-backup-")
    );
    assert_eq!(find(&entries, "backup of config.toml")[0].status, Added);
    setup(&env.opts(&[Codex])).unwrap();
    assert_eq!(
        backups(&env.path("codex")).len(),
        1,
        "nothing changed, no backup"
    );
    let out = uninstall(&env.opts(&[]), false).unwrap();
    let kept = find(&out, "backup of config.toml");
    assert!(kept.iter().any(|e| matches!(e.status, Kept(_))), "{out:?}");
}

#[test]
fn a_malformed_config_is_reported_with_its_line_and_nothing_is_written() {
    let env = Env::new();
    let broken = "model = \"o3\"\n\n[features\nhooks = true\n";
    env.write(CONFIG, broken);
    env.write("claude/settings.json", "{}\n");
    let before = snapshot(&env.root);
    let err = setup(&env.opts(&[])).unwrap_err();
    match &err {
        SetupError::MalformedConfig {
            path,
            line,
            message,
        } => {
            assert_eq!(path, &env.path(CONFIG));
            assert_eq!(*line, 3, "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("config.toml:3:"), "{err}");
    assert_eq!(
        snapshot(&env.root),
        before,
        "not a byte, not a backup, not a folder"
    );
}

#[test]
fn hooks_switched_off_in_features_are_reported_and_left_alone() {
    for (config, says) in [
        (
            "[features]\nhooks = false\nfoo = 1\n",
            "you turned hooks off",
        ),
        ("[features]\ncodex_hooks = false\n", "codex_hooks = false"),
        ("features.hooks = false\n", "you turned hooks off"),
    ] {
        let env = Env::new();
        env.write(CONFIG, config);
        let entries = setup(&env.opts(&[Codex])).unwrap();
        let feature = find(&entries, "[features] hooks");
        assert!(
            matches!(&feature[0].status, Skipped(why) if why.contains(says)),
            "{config}: {feature:?}"
        );
        let after = env.read(CONFIG);
        assert!(after.starts_with(config), "left alone: {after}");
        assert!(after.contains("trusted_hash"), "the rest is still set up");
        uninstall(&env.opts(&[]), false).unwrap();
        assert_eq!(env.read(CONFIG), config);
    }
    let env = Env::new();
    env.write(CONFIG, "[features]\nplugins = false\n");
    let entries = setup(&env.opts(&[Codex])).unwrap();
    assert_eq!(find(&entries, "[features] hooks")[0].status, AlreadySet);
    assert!(matches!(
        &find(&entries, "[features] plugins")[0].status,
        Skipped(_)
    ));
}

#[test]
fn trusted_hashes_are_those_of_the_written_hooks() {
    let env = Env::new();
    let mut opts = env.opts(&[Codex]);
    opts.csep_exe = env.path("my tools/csep");
    setup(&opts).unwrap();
    let config = env.read(CONFIG);
    for hooks_file in [
        "state/plugin/plugins/csep/hooks/hooks.json",
        &format!("{CACHE}/hooks/hooks.json"),
    ] {
        let hooks: Value = serde_json::from_str(&env.read(hooks_file)).unwrap();
        for (event, label, args) in [
            (
                "SessionStart",
                "session_start",
                "session-start --from-stdin",
            ),
            ("Stop", "stop", "session-stop"),
        ] {
            let handler = &hooks["hooks"][event][0]["hooks"][0];
            let command = handler["command"].as_str().unwrap();
            assert_eq!(
                command,
                format!("'{}' {args}", env.path("my tools/csep").display())
            );
            let hash = crate::codex_trust::handler_hash(event, None, handler).unwrap();
            assert_eq!(trusted(&config, label), hash, "{hooks_file} {event}");
        }
    }
    // The shipped hooks.json (bare `csep`) hashes differently: the path is in the hash.
    let shipped: Value = serde_json::from_str(crate::codex_trust::PLUGIN_HOOKS_JSON).unwrap();
    let bare =
        crate::codex_trust::handler_hash("Stop", None, &shipped["hooks"]["Stop"][0]["hooks"][0]);
    assert_ne!(Some(trusted(&config, "stop")), bare);
}

#[test]
fn values_setup_replaced_come_back_at_uninstall() {
    let env = Env::new();
    let original = "[marketplaces.csep-local]\nsource_type = \"local\"\nsource = '/home/u/src/csep'  # checkout\n\n\
                    [hooks.state.\"csep@csep-local:hooks/hooks.json:stop:0:0\"]\ntrusted_hash = \"sha256:old\"\n";
    env.write(CONFIG, original);
    let entries = setup(&env.opts(&[Codex])).unwrap();
    let source = find(&entries, "] source =");
    assert_eq!(
        source[0].status,
        Changed {
            from: "'/home/u/src/csep'".into()
        }
    );
    assert_eq!(find(&entries, "] source_type =")[0].status, AlreadySet);
    let stop = find(&entries, "stop:0:0");
    assert_eq!(
        stop[0].status,
        Changed {
            from: "\"sha256:old\"".into()
        }
    );
    assert!(
        env.read(CONFIG).contains("  # checkout"),
        "the comment stays with the value"
    );
    uninstall(&env.opts(&[]), false).unwrap();
    assert_eq!(env.read(CONFIG), original);
}

#[test]
fn what_the_user_changed_after_setup_survives_uninstall() {
    let env = Env::new();
    env.write(CONFIG, "model = \"o3\"\n");
    setup(&env.opts(&[Codex])).unwrap();
    let edited = env
        .read(CONFIG)
        .replace("enabled = true", "enabled = false")
        .replace("model = \"o3\"", "model = \"o4\"")
        + "\n[tui]\nnotifications = true\n";
    std::fs::write(env.path(CONFIG), &edited).unwrap();
    let out = uninstall(&env.opts(&[]), false).unwrap();
    let enabled = find(&out, "enabled in");
    assert!(matches!(enabled[0].status, Kept(_)), "{out:?}");
    assert_eq!(
        env.read(CONFIG),
        "model = \"o4\"\n\n[plugins.\"csep@csep-local\"]\nenabled = false\n\n[tui]\nnotifications = true\n"
    );
}

#[test]
fn a_symlinked_config_is_edited_where_it_lives() {
    let env = Env::new();
    env.write("dotfiles/codex.toml", "model = \"o3\"\n");
    std::fs::create_dir_all(env.path("codex")).unwrap();
    std::os::unix::fs::symlink(env.path("dotfiles/codex.toml"), env.path(CONFIG)).unwrap();
    setup(&env.opts(&[Codex])).unwrap();
    assert!(
        std::fs::symlink_metadata(env.path(CONFIG))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(env.read("dotfiles/codex.toml").contains("trusted_hash"));
    uninstall(&env.opts(&[]), false).unwrap();
    assert_eq!(env.read("dotfiles/codex.toml"), "model = \"o3\"\n");
    assert!(
        std::fs::symlink_metadata(env.path(CONFIG))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A stand-in for codex: logs its calls; `plugin add` installs the copy and, like a
/// careless rewrite, drops the trusted hashes.
fn fake_codex(env: &Env) -> std::path::PathBuf {
    script(
        &env.path("bin/codex"),
        &format!(
            "echo \"$CODEX_HOME|$*\" >> '{log}'\n\
             if [ \"$1 $2\" = 'plugin add' ]; then\n\
               mkdir -p \"$CODEX_HOME/plugins/cache/csep-local/csep/0.1.0\"\n\
               cp -R '{root}/plugins/csep/.' \"$CODEX_HOME/plugins/cache/csep-local/csep/0.1.0/\"\n\
               sed -i '/^trusted_hash/d' \"$CODEX_HOME/config.toml\"\n\
             fi\n",
            log = env.path("codex.log").display(),
            root = env.path("state/plugin").display(),
        ),
    )
}

#[test]
fn codex_installs_the_copy_and_the_config_is_put_right_after_it() {
    let env = Env::new();
    env.write(CONFIG, HAND_WRITTEN);
    let mut opts = env.opts(&[Codex]);
    opts.codex_bin = Some(fake_codex(&env));
    let entries = setup(&opts).unwrap();
    let home = env.path("codex").display().to_string();
    let root = env.path("state/plugin").display().to_string();
    assert_eq!(
        env.read("codex.log"),
        format!("{home}|plugin marketplace add {root}\n{home}|plugin add csep@csep-local\n")
    );
    let cache = find(&entries, "installed copy");
    assert!(cache[0].what.contains("codex plugin add"), "{cache:?}");
    assert_eq!(cache[0].status, Added);
    let config = env.read(CONFIG);
    assert!(
        trusted(&config, "stop").starts_with("sha256:"),
        "re-applied: {config}"
    );
    assert_eq!(backups(&env.path("codex")).len(), 1);

    // Nothing to do the second time: codex is not even asked.
    assert_all_already_set(&setup(&opts).unwrap());
    assert_eq!(env.read("codex.log").lines().count(), 2);

    uninstall(&opts, false).unwrap();
    let log = env.read("codex.log");
    assert!(
        log.contains(&format!("{home}|plugin remove csep@csep-local\n")),
        "{log}"
    );
    assert!(
        log.contains(&format!("{home}|plugin marketplace remove csep-local\n")),
        "{log}"
    );
    assert_eq!(env.read(CONFIG), HAND_WRITTEN);
    assert!(!env.exists(CACHE));
}

#[test]
fn a_failing_codex_is_reported_and_csep_writes_the_copy_itself() {
    let env = Env::new();
    let mut opts = env.opts(&[Codex]);
    opts.codex_bin = Some(script(
        &env.path("bin/codex"),
        "echo 'WARNING: proceeding' >&2\necho 'Error: marketplace is broken' >&2\n\
         echo 'Stack backtrace:' >&2\necho '   0: <unknown>' >&2\nexit 1\n",
    ));
    let entries = setup(&opts).unwrap();
    let failed = find(&entries, "installing the plugin with codex");
    assert!(
        matches!(&failed[0].status, Skipped(why) if why.contains("marketplace add") && why.ends_with("Error: marketplace is broken")),
        "{failed:?}"
    );
    assert!(
        find(&entries, "installed copy")[0]
            .what
            .contains("since codex did not")
    );
    assert!(env.exists(&format!("{CACHE}/hooks/hooks.json")));
    assert!(env.read(CONFIG).contains("trusted_hash"));
}

#[test]
fn a_hanging_codex_is_stopped_at_the_deadline() {
    let env = Env::new();
    let codex = script(&env.path("bin/codex"), "sleep 30\n");
    let started = std::time::Instant::now();
    let err = codex_cli::run(
        &codex,
        &env.root,
        &[std::ffi::OsStr::new("plugin")],
        std::time::Duration::from_millis(300),
    )
    .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
