//! Codex: the marketplace root in csep's state folder; the marketplace, the plugin's
//! switch and the hooks' trust in `config.toml`; and the installed copy Codex loads the
//! plugin from (`<codex_home>/plugins/cache/<marketplace>/<plugin>/<version>/`).
//!
//! The installed copy: with a `codex` binary, `codex plugin add` makes it, as a user
//! would, so Codex's own bookkeeping stays in step. Without one (unit tests, or Codex
//! used only from an IDE), csep writes the same files itself: Codex 0.169 lists a plugin
//! as installed from that folder alone, and without it the plugin's hooks never load.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use toml_edit::Value;

use super::EntryStatus::{Added, AlreadySet, Changed, Kept, Removed, Skipped};
use super::codex_config::{ConfigDoc, RevertOutcome, SetOutcome, dotted, source};
use super::plugin_files::{self, MARKETPLACE, PLUGIN, PLUGIN_ID, PluginFiles};
use super::record::{CodexRecord, TomlChange, add_dirs};
use super::{Entry, EntryStatus, SetupError, SetupOptions, atomic, codex_cli, codex_hooks_file};
use crate::client::Client;

fn entry(what: impl Into<String>, status: EntryStatus) -> Entry {
    Entry::new(Client::Codex, what, status)
}

fn config_path(codex_home: &Path) -> PathBuf {
    atomic::resolve(&codex_home.join("config.toml"))
}

fn load(path: &Path) -> Result<(Option<String>, ConfigDoc), SetupError> {
    let text = atomic::read_optional(path)?;
    let doc = ConfigDoc::parse(path, text.as_deref().unwrap_or(""))?;
    Ok((text, doc))
}

pub(super) fn preflight(codex_home: &Path) -> Result<(), SetupError> {
    load(&config_path(codex_home)).map(|_| ())
}

pub(super) fn preflight_uninstall(rec: &CodexRecord) -> Result<(), SetupError> {
    load(&rec.config).map(|_| ())
}

/// One key csep needs in config.toml.
struct Want {
    table: Vec<String>,
    key: &'static str,
    value: Value,
}

/// The plugin the original tool (csep 1.x, Python) registered in Codex.
pub const ORIGINAL_PLUGIN_ID: &str = "codex-self-evolution@codex-self-evolution";

fn wants(marketplace_root: &str, plugin: &PluginFiles) -> Vec<Want> {
    let want = |table: &[&str], key, value| Want {
        table: table.iter().map(|s| s.to_string()).collect(),
        key,
        value,
    };
    let mut all = vec![
        want(
            &["marketplaces", MARKETPLACE],
            "source_type",
            "local".into(),
        ),
        want(
            &["marketplaces", MARKETPLACE],
            "source",
            marketplace_root.into(),
        ),
        want(&["plugins", PLUGIN_ID], "enabled", true.into()),
    ];
    for (key, hash) in plugin.trust() {
        all.push(want(&["hooks", "state", &key], "trusted_hash", hash.into()));
    }
    all
}

pub(super) fn setup(
    opts: &SetupOptions,
    plugin: &PluginFiles,
    rec: &mut Option<CodexRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let path = config_path(&opts.codex_home);
    let (original, mut config) = load(&path)?;
    let root = opts.state_dir.join("plugin");
    let root_str = root
        .to_str()
        .ok_or_else(|| SetupError::NonUtf8Path(root.clone()))?;
    let mut wants = wants(root_str, plugin);
    // The original tool's plugin runs the same hooks: turned off, so each runs once
    // (uninstall turns it back on).
    if config
        .get(&["plugins", ORIGINAL_PLUGIN_ID], "enabled")
        .is_some()
    {
        wants.push(Want {
            table: vec!["plugins".into(), ORIGINAL_PLUGIN_ID.into()],
            key: "enabled",
            value: false.into(),
        });
    }
    let mut entries = Vec::new();

    let tree = plugin.marketplace_tree();
    let status = plugin_files::tree_status(&root, &tree);
    if !opts.dry_run && status != AlreadySet {
        plugin_files::write_tree(&root, &tree)?;
    }
    entries.push(entry(
        format!(
            "csep's plugin marketplace `{MARKETPLACE}` at {}",
            root.display()
        ),
        status,
    ));

    entries.extend(feature_entries(&config, &path));
    let mut changes = Vec::new();
    let mut created_tables = Vec::new();
    for want in &wants {
        let (outcome, created) = config.set(&want.table, want.key, &want.value);
        created_tables.extend(created);
        let replaced = if want.table.get(1).map(String::as_str) == Some(ORIGINAL_PLUGIN_ID) {
            "the original tool's plugin, replaced by csep's: "
        } else {
            ""
        };
        let what = format!(
            "{replaced}[{}] {} = {} in {}",
            dotted(&want.table),
            want.key,
            source(&want.value),
            path.display()
        );
        let (status, previous) = match outcome {
            SetOutcome::AlreadySet => (AlreadySet, None),
            SetOutcome::Added => (Added, None),
            SetOutcome::Changed(from) => (Changed { from: from.clone() }, Some(from)),
            SetOutcome::Blocked(at) => (
                Skipped(format!(
                    "`{at}` in config.toml is not a table; csep leaves it alone"
                )),
                None,
            ),
        };
        if matches!(status, Added | Changed { .. }) {
            changes.push(TomlChange {
                table: want.table.clone(),
                key: want.key.to_string(),
                previous,
                value: source(&want.value),
            });
        }
        entries.push(entry(what, status));
    }
    entries.extend(disabled_hook_entries(&config, plugin, &path));

    let cache_dir = opts
        .codex_home
        .join("plugins/cache")
        .join(MARKETPLACE)
        .join(PLUGIN)
        .join(plugin.version());
    let cache_status = plugin_files::tree_status(&cache_dir, plugin.plugin_tree());
    let cache_what = |how: &str| {
        format!(
            "Codex's installed copy of the plugin at {} ({how})",
            cache_dir.display()
        )
    };
    let planned_how = if opts.codex_bin.is_some() {
        "by `codex plugin add csep@csep-local`"
    } else {
        "written by csep as `codex plugin add` would; no codex on PATH"
    };
    if opts.dry_run {
        entries.push(entry(cache_what(planned_how), cache_status));
        entries.extend(codex_hooks_file::setup(&opts.codex_home, true, &mut None)?);
        return Ok(entries);
    }

    let rec = rec.get_or_insert_with(|| CodexRecord {
        config: path.clone(),
        config_created: original.is_none(),
        keys: Vec::new(),
        created_tables: Vec::new(),
        plugin_root: root.clone(),
        cache_dir: None,
        created_dirs: Vec::new(),
        backups: Vec::new(),
        hooks_file: None,
    });
    entries.extend(codex_hooks_file::setup(
        &opts.codex_home,
        false,
        &mut rec.hooks_file,
    )?);
    let mut backup = None;
    let rendered = config.render();
    if original.as_deref() != Some(rendered.as_str()) {
        check_toml(&path, &rendered)?;
        if original.is_some() {
            backup = Some(keep_backup(rec, &path)?);
        }
        let dirs = atomic::write(&path, rendered.as_bytes(), atomic::NEW_CONFIG)?;
        add_dirs(&mut rec.created_dirs, dirs);
        merge(rec, changes, created_tables);
    }

    if cache_status == AlreadySet {
        entries.push(entry(cache_what(planned_how), AlreadySet));
    } else {
        let new_dirs = atomic::missing_dirs(&cache_dir);
        let existed = cache_dir.exists();
        let mut how = planned_how;
        if let Some(codex) = &opts.codex_bin {
            if backup.is_none() && path.exists() {
                backup = Some(keep_backup(rec, &path)?);
            }
            if let Err(why) = install_with_codex(codex, &opts.codex_home, &root) {
                entries.push(entry(
                    "installing the plugin with codex",
                    Skipped(why.to_string()),
                ));
            }
            // codex rewrites config.toml; whatever it did, every key must end as wanted.
            reapply(&path, &wants)?;
            if plugin_files::tree_status(&cache_dir, plugin.plugin_tree()) != AlreadySet {
                how = "written by csep, since codex did not";
            }
        }
        if plugin_files::tree_status(&cache_dir, plugin.plugin_tree()) != AlreadySet {
            plugin_files::write_tree(&cache_dir, plugin.plugin_tree())?;
        }
        add_dirs(&mut rec.created_dirs, new_dirs);
        if let Some(old) = rec.cache_dir.clone().filter(|old| *old != cache_dir) {
            // A copy of an earlier csep version that setup installed: superseded.
            atomic::remove_tree(&old)?;
            entries.push(entry(
                format!(
                    "Codex's copy of an earlier csep plugin at {}",
                    old.display()
                ),
                Removed,
            ));
            rec.cache_dir = None;
        }
        if !existed {
            rec.cache_dir = Some(cache_dir.clone());
        }
        entries.push(entry(cache_what(how), cache_status));
    }

    if let Some(b) = backup {
        if atomic::read_optional(&path)? == original {
            // Taken in case codex changed the file; it did not.
            atomic::remove_file(&b)?;
            rec.backups.retain(|k| *k != b);
        } else {
            entries.push(entry(
                format!("backup of config.toml at {}", b.display()),
                Added,
            ));
        }
    }
    Ok(entries)
}

/// Backs up config.toml and records it at once, so a later failure cannot lose it.
fn keep_backup(rec: &mut CodexRecord, path: &Path) -> Result<PathBuf, SetupError> {
    let b = atomic::backup(path)?;
    rec.backups.push(b.clone());
    Ok(b)
}

/// `[features]` switches the user set against csep are reported, never overridden.
fn feature_entries(config: &ConfigDoc, path: &Path) -> Vec<Entry> {
    let feature = |key| config.get(&["features"], key);
    let mut what = format!("[features] hooks in {}", path.display());
    let status = match (
        feature("hooks"),
        feature("codex_hooks").and_then(Value::as_bool),
    ) {
        (Some(v), _) => match v.as_bool() {
            Some(true) => AlreadySet,
            Some(false) => Skipped(
                "you turned hooks off in [features]; csep's hooks cannot run until hooks = true"
                    .into(),
            ),
            None => Skipped("[features] hooks is not true or false; csep leaves it alone".into()),
        },
        (None, Some(false)) => Skipped(
            "you set codex_hooks = false in [features] (the deprecated name of hooks); csep \
             leaves it alone, and a Codex that honours it will not run csep's hooks"
                .into(),
        ),
        (None, _) => {
            what = format!("[features] hooks (on by default) in {}", path.display());
            AlreadySet
        }
    };
    let mut entries = vec![entry(what, status)];
    if feature("plugins").and_then(Value::as_bool) == Some(false) {
        entries.push(entry(
            format!("[features] plugins in {}", path.display()),
            Skipped(
                "you turned plugins off in [features]; csep's plugin and its hooks cannot load \
                 until plugins = true"
                    .into(),
            ),
        ));
    }
    entries
}

/// A hook the user switched off in Codex stays off; trusting it changes nothing.
fn disabled_hook_entries(config: &ConfigDoc, plugin: &PluginFiles, path: &Path) -> Vec<Entry> {
    plugin
        .trust()
        .into_iter()
        .filter(|(key, _)| {
            config
                .get(&["hooks", "state", key], "enabled")
                .and_then(Value::as_bool)
                == Some(false)
        })
        .map(|(key, _)| {
            entry(
                format!("[hooks.state.\"{key}\"] enabled in {}", path.display()),
                Skipped("you turned this hook off in Codex; csep leaves it off".into()),
            )
        })
        .collect()
}

/// Keeps the first run's "before" values: those are what uninstall must restore.
fn merge(rec: &mut CodexRecord, changes: Vec<TomlChange>, created_tables: Vec<Vec<String>>) {
    for change in changes {
        match rec
            .keys
            .iter_mut()
            .find(|k| k.table == change.table && k.key == change.key)
        {
            Some(known) => known.value = change.value,
            None => rec.keys.push(change),
        }
    }
    for table in created_tables {
        if !rec.created_tables.contains(&table) {
            rec.created_tables.push(table);
        }
    }
}

fn install_with_codex(
    codex: &Path,
    codex_home: &Path,
    root: &Path,
) -> Result<(), codex_cli::CodexCliError> {
    let run = |args: &[&OsStr]| codex_cli::run(codex, codex_home, args, codex_cli::TIMEOUT);
    run(&[
        OsStr::new("plugin"),
        OsStr::new("marketplace"),
        OsStr::new("add"),
        root.as_os_str(),
    ])?;
    run(&[
        OsStr::new("plugin"),
        OsStr::new("add"),
        OsStr::new(PLUGIN_ID),
    ])
}

fn reapply(path: &Path, wants: &[Want]) -> Result<(), SetupError> {
    let (text, mut config) = load(path)?;
    for want in wants {
        config.set(&want.table, want.key, &want.value);
    }
    let rendered = config.render();
    if text.as_deref() != Some(rendered.as_str()) {
        check_toml(path, &rendered)?;
        atomic::write(path, rendered.as_bytes(), atomic::NEW_CONFIG)?;
    }
    Ok(())
}

/// Never write a config.toml that Codex could not read.
fn check_toml(path: &Path, text: &str) -> Result<(), SetupError> {
    text.parse::<toml_edit::DocumentMut>()
        .map(|_| ())
        .map_err(|e| SetupError::BadEdit {
            path: path.to_path_buf(),
            format: "TOML",
            message: e.message().to_string(),
        })
}

/// Whether setup added `table.key` (rather than finding or changing it).
fn added_by_setup(rec: &CodexRecord, table: &[&str], key: &str) -> bool {
    rec.keys
        .iter()
        .any(|k| k.table == table && k.key == key && k.previous.is_none())
}

pub(super) fn uninstall(
    opts: &SetupOptions,
    rec: &mut Option<CodexRecord>,
) -> Result<Vec<Entry>, SetupError> {
    let Some(r) = rec.clone() else {
        return Ok(vec![entry(
            "csep's changes to Codex",
            Skipped("none recorded in setup.json".into()),
        )]);
    };
    let path = r.config.clone();
    let mut entries = codex_hooks_file::uninstall(opts.dry_run, &mut r.hooks_file.clone())?;

    if let Some(codex) = opts.codex_bin.as_ref().filter(|_| !opts.dry_run) {
        // Only what setup brought in: a marketplace or plugin the user had stays.
        let plugin_ours =
            r.cache_dir.is_some() && added_by_setup(&r, &["plugins", PLUGIN_ID], "enabled");
        let market_ours = added_by_setup(&r, &["marketplaces", MARKETPLACE], "source");
        let run = |args: &[&str]| {
            let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
            codex_cli::run(codex, &opts.codex_home, &args, codex_cli::TIMEOUT)
        };
        let mut steps: Vec<Vec<&str>> = Vec::new();
        if plugin_ours {
            steps.push(vec!["plugin", "remove", PLUGIN_ID]);
        }
        if market_ours {
            steps.push(vec!["plugin", "marketplace", "remove", MARKETPLACE]);
        }
        for step in steps {
            if let Err(why) = run(&step) {
                entries.push(entry(
                    "removing the plugin with codex",
                    Skipped(why.to_string()),
                ));
            }
        }
    }

    let (now, mut config) = load(&path)?;
    if now.is_none() {
        entries.push(entry(format!("{}, already gone", path.display()), Removed));
    }
    for change in r.keys.iter().rev().filter(|_| now.is_some()) {
        let what = format!(
            "[{}] {} in {}",
            dotted(&change.table),
            change.key,
            path.display()
        );
        entries.push(match config.revert(change) {
            RevertOutcome::Removed => entry(what, Removed),
            RevertOutcome::Restored => entry(
                format!(
                    "{what}, back to {}",
                    change.previous.as_deref().unwrap_or("")
                ),
                Changed {
                    from: change.value.clone(),
                },
            ),
            RevertOutcome::Kept => {
                entry(what, Kept("changed since csep setup; left as it is".into()))
            }
        });
    }
    let mut tables = r.created_tables.clone();
    tables.sort_by_key(|t| std::cmp::Reverse(t.len()));
    for table in &tables {
        config.remove_if_empty(table);
    }
    let rendered = config.render();
    let delete = r.config_created && config.is_blank() && now.is_some();
    if delete {
        entries.push(entry(
            format!("{} (csep setup created it)", path.display()),
            Removed,
        ));
    }

    let market_root = r.plugin_root.clone();
    let cache_there = r.cache_dir.as_ref().is_some_and(|d| d.exists());
    if !opts.dry_run {
        if delete {
            atomic::remove_file(&path)?;
        } else if now.is_some() && now.as_deref() != Some(rendered.as_str()) {
            check_toml(&path, &rendered)?;
            atomic::write(&path, rendered.as_bytes(), atomic::NEW_CONFIG)?;
        }
        if let Some(dir) = &r.cache_dir {
            atomic::remove_tree(dir)?;
        }
        plugin_files::remove_tree(&market_root, &plugin_files::marketplace_paths())?;
        atomic::remove_empty_dirs(&r.created_dirs);
    }
    if let Some(dir) = &r.cache_dir {
        let how = if cache_there { "" } else { ", already gone" };
        entries.push(entry(
            format!(
                "Codex's installed copy of the plugin at {}{how}",
                dir.display()
            ),
            Removed,
        ));
    }
    entries.push(entry(
        format!(
            "csep's plugin marketplace `{MARKETPLACE}` at {}",
            market_root.display()
        ),
        Removed,
    ));

    // No new backup: the one setup took holds the config as it was before csep.
    for b in r.backups.iter().filter(|b| b.exists()) {
        entries.push(entry(
            format!("backup of config.toml at {}", b.display()),
            Kept("your config from before csep setup; delete it when you like".into()),
        ));
    }
    // Cleared in a dry run too: the record is not saved then, but the state folder entry
    // must see what a real run would leave.
    *rec = None;
    Ok(entries)
}
