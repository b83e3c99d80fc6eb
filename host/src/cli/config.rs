//! `csep config path | show | validate | init | migrate`: the config file, what is
//! in effect, whether it is valid; a new file; the original tool's file rewritten
//! in this project's form.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;

use super::output::{Failure, OutputArgs, SCHEMA_VERSION};
use csep::config::{Config, DEFAULT_TOML, Note, NoteKind};
use csep::guest_settings::{self, SettingsCheck};
use csep::home::Home;
use csep::migrate::config_rewrite;
use csep::timefmt::now_ms;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Where the config file is (it need not exist).
    Path {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// The configuration in effect (defaults plus the file), as TOML. A file in
    /// the original tool's form (schema_version = 2) is shown as it is read here,
    /// with what became of each of its keys.
    Show {
        /// The commented default file instead, to start one from.
        #[arg(long, conflicts_with = "raw")]
        default: bool,
        /// The file as it is on disk, unparsed (the original tool's `show --raw`).
        #[arg(long)]
        raw: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Checks the file, and the policy's and strategy's settings with the guests
    /// they belong to; exits 1 naming the file, line and key when it is not valid.
    /// For the original tool's form, names every key with no counterpart here and
    /// what happens instead (exit 1 when a key is ignored: a typo, a wrong value).
    Validate {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Writes the commented default file (the original's `config init`; the
    /// file is this project's form). Refuses to replace a file without --force;
    /// with it, the old file is kept as config.toml.bak-<time>.
    Init {
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Rewrites a config in the original tool's form (schema_version = 2) in this
    /// project's form: the same settings, comments kept where they still apply,
    /// keys with no counterpart listed in a comment. The old file is kept as
    /// config.toml.schema2.bak first. Does nothing to a file already migrated.
    Migrate {
        /// Print what would be written; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
}

fn stamp() -> String {
    csep::timefmt::rfc3339(now_ms())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect()
}

fn invalid(e: impl std::fmt::Display) -> anyhow::Error {
    Failure::failed("invalid-config", e.to_string())
        .hint("`csep config validate` names the key; `csep config show --default` shows every key")
        .into()
}

fn print_notes(notes: &[Note]) {
    for n in notes {
        let tag = match n.kind {
            NoteKind::Applied => "applied",
            NoteKind::NoCounterpart => "no counterpart",
            NoteKind::Ignored => "ignored",
        };
        println!("  {} ({tag}): {}", n.key, n.effect);
    }
}

pub fn run(cmd: ConfigCommand, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(|e| Failure::usage("home", e.to_string()))?;
    let path = home.config_path();
    match cmd {
        ConfigCommand::Path { out } => {
            if out.json() {
                println!(
                    "{}",
                    json!({"schema_version": SCHEMA_VERSION, "status": "ok",
                           "path": path, "exists": path.exists()})
                );
            } else {
                println!("{}", path.display());
            }
        }
        ConfigCommand::Show { raw: true, out, .. } => {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(csep::path_error::PathError::new("reading", &path, e).into()),
            };
            if out.json() {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"schema_version": SCHEMA_VERSION,
                        "status": "ok", "path": path, "exists": text.is_some(),
                        "raw": text.as_deref().unwrap_or("")}))?
                );
            } else {
                print!("{}", text.as_deref().unwrap_or(""));
            }
        }
        ConfigCommand::Show {
            default: true, out, ..
        } => {
            if out.json() {
                let c = Config::parse(DEFAULT_TOML).map_err(invalid)?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"schema_version": SCHEMA_VERSION,
                        "status": "ok", "config": c}))?
                );
            } else {
                print!("{DEFAULT_TOML}");
            }
        }
        ConfigCommand::Show {
            default: false,
            out,
            ..
        } => {
            let config = Config::load(&path).map_err(invalid)?;
            let notes = Config::original_form_notes(&path).map_err(invalid)?;
            if out.json() {
                let v = json!({
                    "schema_version": SCHEMA_VERSION, "status": "ok", "path": path,
                    "exists": path.exists(),
                    "form": if notes.is_some() { "original-schema-2" } else { "current" },
                    "config": config, "notes": notes.unwrap_or_default(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "# in effect: {} (defaults where it is silent)",
                    path.display()
                );
                if let Some(notes) = &notes {
                    println!(
                        "# the file is in the original tool's form (schema_version = 2), read as \
                         below; `csep config migrate` rewrites it in this form"
                    );
                    for n in notes {
                        println!("#   {}: {}", n.key, n.effect);
                    }
                }
                print!("{}", toml::to_string(&config)?);
            }
        }
        ConfigCommand::Validate { out } => return validate(&home, &path, out),
        ConfigCommand::Init { force, out } => {
            let existed = path.exists();
            if existed && !force {
                return Err(Failure::failed(
                    "exists",
                    format!("{} already exists", path.display()),
                )
                .hint("use --force to replace it (the old file is kept as a backup)")
                .into());
            }
            let backup = if existed {
                let b = path.with_file_name(format!("config.toml.bak-{}", stamp()));
                back_up(&home, &b)?;
                Some(b)
            } else {
                None
            };
            write_config(&home, DEFAULT_TOML)?;
            let status = if existed { "overwritten" } else { "created" };
            if out.json() {
                println!(
                    "{}",
                    json!({"schema_version": SCHEMA_VERSION, "status": status,
                           "config_path": path, "backup": backup})
                );
            } else {
                println!("{status} {}", path.display());
                if let Some(b) = backup {
                    println!("the old file is at {}", b.display());
                }
            }
        }
        ConfigCommand::Migrate { dry_run, out } => {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(invalid(format!("cannot read {}: {e}", path.display()))),
            };
            let rewritten = match &text {
                Some(t) => config_rewrite::rewrite(t)
                    .map_err(|e| invalid(format!("{}: {e}", path.display())))?,
                None => None,
            };
            let Some((new_text, notes)) = rewritten else {
                let why = if text.is_some() {
                    "already in this project's form: nothing to do"
                } else {
                    "does not exist: nothing to migrate (the defaults apply)"
                };
                if out.json() {
                    println!(
                        "{}",
                        json!({"schema_version": SCHEMA_VERSION, "status": "unchanged",
                               "config_path": path, "reason": why})
                    );
                } else {
                    println!("{} {why}", path.display());
                }
                return Ok(ExitCode::SUCCESS);
            };
            let mut backup = path.with_file_name("config.toml.schema2.bak");
            if !dry_run {
                if backup.exists() {
                    backup = path.with_file_name(format!("config.toml.schema2.bak-{}", stamp()));
                }
                back_up(&home, &backup)?;
                write_config(&home, &new_text)?;
            }
            if out.json() {
                let v = json!({"schema_version": SCHEMA_VERSION,
                    "status": if dry_run { "would-migrate" } else { "migrated" },
                    "config_path": path, "backup": (!dry_run).then_some(&backup),
                    "notes": notes, "new_text": dry_run.then_some(&new_text)});
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                if dry_run {
                    println!(
                        "dry run: nothing was written; {} would become:\n",
                        path.display()
                    );
                    print!("{new_text}");
                    println!();
                } else {
                    println!("migrated {} to this project's form", path.display());
                    println!("the original file is at {}", backup.display());
                }
                print_notes(&notes);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_config(home: &Home, text: &str) -> anyhow::Result<()> {
    let dir = csep::fs_authority::create_private_dir_all(home.root())?;
    csep::fs_authority::write_atomic(&dir, "config.toml", text.as_bytes())?;
    Ok(())
}

/// Copies `config.toml` to `backup` (a name beside it), mode kept, through the state
/// folder's handle.
fn back_up(home: &Home, backup: &Path) -> anyhow::Result<()> {
    let dir = csep::fs_authority::open_dir(home.root())?;
    let name = backup.file_name().unwrap_or_default();
    dir.copy("config.toml", &dir, name)?;
    Ok(())
}

fn validate(home: &Home, path: &Path, out: OutputArgs) -> anyhow::Result<ExitCode> {
    let exists = path.exists();
    let notes = Config::original_form_notes(path).ok().flatten();
    let result = Config::load(path).map_err(|e| e.to_string()).and_then(|config| {
        // The file parses: the guests judge their own settings.
        // The compiled-code cache, when the hooks have made one already.
        let cache = home.wasm_cache_dir();
        let cache = cache.is_dir().then_some(cache.as_path());
        let policy = guest_settings::check_policy(home, &config, cache);
        let strategy = guest_settings::check_strategy(home, &config, cache);
        match (&policy, &strategy) {
            (SettingsCheck::Rejected { message }, _) => Err(format!(
                "{} is not valid: [policy.settings] rejected by the active policy: {message}",
                path.display()
            )),
            (_, SettingsCheck::Rejected { message }) => Err(format!(
                "{} is not valid: [strategy.settings] rejected by the active strategy: {message}",
                path.display()
            )),
            _ => Ok((policy, strategy)),
        }
    });
    let warnings = notes
        .as_ref()
        .is_some_and(|n| n.iter().any(Note::is_warning));
    let ok = result.is_ok() && !warnings;
    if out.json() {
        let mut v = match &result {
            Ok((policy, strategy)) => json!({
                "path": path, "exists": exists, "valid": true,
                "policy_settings": policy, "strategy_settings": strategy,
            }),
            Err(e) => json!({"path": path, "exists": exists, "valid": false, "error": e}),
        };
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["status"] = json!(if ok {
            "ok"
        } else if result.is_ok() {
            "warnings"
        } else {
            "invalid"
        });
        v["form"] = json!(if notes.is_some() {
            "original-schema-2"
        } else {
            "current"
        });
        v["notes"] = json!(notes.clone().unwrap_or_default());
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        match &result {
            Ok(_) if exists && notes.is_some() => println!(
                "{} is valid: the original tool's form (schema_version = 2), read as this \
                 project's settings; `csep config migrate` rewrites it",
                path.display()
            ),
            Ok(_) if exists => println!("{} is valid", path.display()),
            Ok(_) => println!("{} does not exist: the defaults apply", path.display()),
            Err(e) => eprintln!("csep: {e}"),
        }
        if let Some(notes) = &notes {
            print_notes(notes);
        }
        if let Ok((policy, strategy)) = &result {
            for (name, check) in [("policy", policy), ("strategy", strategy)] {
                if let SettingsCheck::Unchecked { reason } = check {
                    println!("  [{name}.settings] not checked: the {name} cannot run ({reason})");
                }
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
