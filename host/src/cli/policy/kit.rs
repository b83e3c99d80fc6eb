//! `csep policy list | install | use | remove | wit`: the drop-ins in the state folder.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};

use super::Format;
use crate::cli::output::Failure;
use csep::config::Config;
use csep::dropins::{self, Activated, DropInError};
use csep::guests::{self, BUNDLED, Source};
use csep::home::Home;
use csep::sandbox::Sandbox;
use csep::world::World;

/// The contract, as this binary was built against it.
const WIT: &str = include_str!("../../../../wit/engine.wit");

#[expect(
    clippy::disallowed_methods,
    reason = "writes the contract into the folder the user named with --out"
)]
pub(super) fn wit(out: Option<&Path>) -> anyhow::Result<ExitCode> {
    match out {
        None => print!("{WIT}"),
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let path = dir.join("engine.wit");
            std::fs::write(&path, WIT).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn list(
    home: &Home,
    config: &Config,
    sandbox: &Sandbox,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    let drop_ins = dropins::discover(home)?;
    for kind in World::ALL {
        let guest_config = dropins::guest_config(config, kind);
        let active = Source::resolve(home, kind, guest_config);
        let active_path = match &active {
            Source::File(p) => Some(p.clone()),
            Source::Bundled(_) => None,
        };
        let bundled = kind.bundled();
        rows.push(row(
            kind,
            &format!("bundled:{}", bundled.name),
            None,
            active.is_bundled(),
            None,
            sandbox
                .load(&bundled.origin(), bundled.bytes)
                .map_err(Into::into),
        ));
        let mut listed_active = false;
        for d in drop_ins.iter().filter(|d| d.kind == kind) {
            let is_active = active_path.as_deref() == Some(d.path.as_path());
            listed_active |= is_active;
            let pin = guest_config.sha256.as_deref().filter(|_| is_active);
            rows.push(row(
                kind,
                &d.name,
                Some(&d.path),
                is_active,
                pin,
                guests::load_file(sandbox, &d.path, None),
            ));
        }
        // An active guest named by a path outside the drop-in folder.
        if let (Some(path), false) = (&active_path, listed_active) {
            rows.push(row(
                kind,
                &path.display().to_string(),
                Some(path),
                true,
                guest_config.sha256.as_deref(),
                guests::load_file(sandbox, path, None),
            ));
        }
    }
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        Format::Text => print_rows(home, &rows),
    }
    Ok(ExitCode::SUCCESS)
}

fn row(
    kind: World,
    name: &str,
    path: Option<&Path>,
    active: bool,
    pin: Option<&str>,
    loaded: anyhow::Result<csep::sandbox::Guest>,
) -> Value {
    let mut r = json!({
        "kind": kind.section(),
        "name": name,
        "path": path,
        "active": active,
    });
    match loaded {
        Ok(g) => {
            let fits = g.world() == kind;
            r["valid"] = json!(fits);
            r["world"] = json!(g.world());
            r["contract_version"] = json!(g.version().to_string());
            r["sha256"] = json!(g.sha256());
            if !fits {
                r["error"] = json!(format!(
                    "implements `{}`, but sits among the {}",
                    g.world(),
                    kind.folder()
                ));
            }
            if active && path.is_some() {
                r["pinned"] = json!(match pin {
                    None => "no",
                    Some(p) if p.trim().eq_ignore_ascii_case(g.sha256()) => "yes",
                    Some(_) => "changed since approved",
                });
            }
        }
        Err(e) => {
            r["valid"] = json!(false);
            r["error"] = json!(format!("{e:#}"));
        }
    }
    r
}

fn print_rows(home: &Home, rows: &[Value]) {
    for kind in World::ALL {
        println!("{} ({})", kind.folder(), home.dropins_dir(kind).display());
        for r in rows.iter().filter(|r| r["kind"] == kind.section()) {
            let mark = if r["active"] == true { "*" } else { " " };
            let name = r["name"].as_str().unwrap_or("");
            if r["valid"] == true {
                let pinned = match r["pinned"].as_str() {
                    Some("yes") => ", pinned",
                    Some("no") => ", not pinned",
                    Some(_) => ", CHANGED since it was pinned: refused",
                    None => "",
                };
                println!(
                    "{mark} {name:<24} csep:engine@{}  sha256 {}{pinned}",
                    r["contract_version"].as_str().unwrap_or(""),
                    guests::short_hash(r["sha256"].as_str().unwrap_or("")),
                );
            } else {
                println!(
                    "{mark} {name:<24} not usable: {}",
                    r["error"].as_str().unwrap_or("")
                );
            }
        }
    }
    println!("(* active; a refused active one gives way to the bundled one)");
}

/// A drop-in (or file) named on the command line that does not exist is not found (exit 3); a
/// name that cannot be one, or that needs --kind, is a usage error (exit 2).
pub(super) fn drop_in_error(e: DropInError) -> anyhow::Error {
    match e {
        DropInError::NotFound { .. } => Failure::not_found("unknown-drop-in", e.to_string())
            .hint("`csep policy list` shows the installed drop-ins")
            .into(),
        DropInError::Io(ref e) if e.kind() == std::io::ErrorKind::NotFound => {
            Failure::not_found("no-such-file", e.to_string()).into()
        }
        DropInError::BadName(_) | DropInError::Ambiguous(_) => {
            Failure::usage("bad-drop-in-name", e.to_string()).into()
        }
        other => other.into(),
    }
}

/// What `use`, `install --activate` and `remove` changed in config.toml, for --json.
fn activated_json(a: &Activated, name: &str) -> Value {
    json!({
        "kind": a.kind.section(), "name": name, "config_path": a.config_path,
        "sha256": a.sha256, "previous_use": a.previous_use.as_deref().unwrap_or(BUNDLED),
        "previous_sha256": a.previous_sha256, "kept_settings": a.kept_settings,
    })
}

pub(super) fn install(
    home: &Home,
    sandbox: &Sandbox,
    file: &Path,
    name: Option<&str>,
    activate: bool,
    force: bool,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let done = dropins::install(home, sandbox, file, name, force).map_err(drop_in_error)?;
    let d = &done.drop_in;
    if format == Format::Json {
        let activated = if activate {
            let a = dropins::activate(home, d.kind, &d.name, Some(&done.sha256))?;
            Some(activated_json(&a, &d.name))
        } else {
            None
        };
        prune(home, sandbox, format);
        let v = json!({
            "kind": d.kind.section(), "name": d.name, "path": d.path, "sha256": done.sha256,
            "contract_version": done.contract_version, "unchanged": done.unchanged,
            "activated": activated,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} {} `{}` (csep:engine@{}) at {}",
        if done.unchanged {
            "already installed:"
        } else {
            "installed"
        },
        d.kind.section(),
        d.name,
        done.contract_version,
        d.path.display()
    );
    println!("  sha256 {}", done.sha256);
    if activate {
        let a = dropins::activate(home, d.kind, &d.name, Some(&done.sha256))?;
        report_activated(&a, &d.name);
    } else {
        println!(
            "  to make it active, pinned to this hash: csep policy use {}",
            d.name
        );
    }
    prune(home, sandbox, format);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn use_(
    home: &Home,
    sandbox: &Sandbox,
    name: &str,
    kind: Option<World>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let report = |a: &Activated, name: &str| -> anyhow::Result<()> {
        if format == Format::Json {
            let v = json!({"activated": activated_json(a, name)});
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            report_activated(a, name);
        }
        Ok(())
    };
    if name == BUNDLED {
        let kind = kind.ok_or_else(|| {
            Failure::usage(
                "missing-kind",
                "say which bundled guest to use: --kind policy or --kind strategy",
            )
        })?;
        let a = dropins::activate(home, kind, BUNDLED, None)?;
        report(&a, BUNDLED)?;
        return Ok(ExitCode::SUCCESS);
    }
    let d = dropins::find(home, name, kind).map_err(drop_in_error)?;
    let guest = guests::load_file(sandbox, &d.path, None)
        .with_context(|| format!("{} cannot be used", d.path.display()))?;
    if guest.world() != d.kind {
        anyhow::bail!(
            "{} implements `{}`, but sits among the {}: move it to {} or reinstall it with \
             `csep policy install`",
            d.path.display(),
            guest.world(),
            d.kind.folder(),
            guest.world().folder()
        );
    }
    let sha256 = guest.sha256().to_string();
    let a = dropins::activate(home, d.kind, &d.name, Some(&sha256))?;
    report(&a, &d.name)?;
    prune(home, sandbox, format);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn remove(
    home: &Home,
    sandbox: &Sandbox,
    name: &str,
    kind: Option<World>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let d = dropins::find(home, name, kind).map_err(drop_in_error)?;
    let reset = dropins::remove(home, &d)?;
    if format == Format::Json {
        prune(home, sandbox, format);
        let v = json!({
            "removed": d.path, "kind": d.kind.section(), "name": d.name,
            "bundled_active_again": reset.as_ref().map(|a| activated_json(a, BUNDLED)),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("removed {}", d.path.display());
    if let Some(a) = reset {
        println!(
            "  it was the active {}: the bundled one is active again ({})",
            d.kind.section(),
            a.config_path.display()
        );
        if a.kept_settings {
            println!(
                "  note: [{}.settings] was written for `{name}` and now goes to the bundled \
                 one, which refuses keys it does not know; edit or empty it",
                d.kind.section()
            );
        }
    }
    prune(home, sandbox, format);
    Ok(ExitCode::SUCCESS)
}

/// Frees the compiled artifacts of guests no longer installed. It only costs a
/// recompile if wrong, so a failure is reported and the command still succeeds.
fn prune(home: &Home, sandbox: &Sandbox, format: Format) {
    let pruned = Config::load(&home.config_path())
        .map_err(anyhow::Error::from)
        .and_then(|config| Ok(dropins::prune_cache(home, &config, sandbox)?));
    match pruned {
        Ok((0, _)) => {}
        Ok(_) if format == Format::Json => {}
        Ok((files, bytes)) => println!(
            "  freed {:.1} MB of compiled guests no longer installed ({files} files)",
            bytes as f64 / 1e6
        ),
        Err(e) => eprintln!("csep: note: could not prune the compiled-guest cache: {e:#}"),
    }
}

fn report_activated(a: &Activated, name: &str) {
    let section = a.kind.section();
    let was = a.previous_use.as_deref().unwrap_or(BUNDLED);
    match &a.sha256 {
        Some(hash) => println!(
            "  active {section}: `{name}`, pinned to sha256 {} ({})",
            guests::short_hash(hash),
            a.config_path.display()
        ),
        None => println!("  active {section}: `{name}` ({})", a.config_path.display()),
    }
    if was != name {
        println!("  (was `{was}`)");
    } else if a.previous_sha256 != a.sha256 {
        println!(
            "  (approved again: the pin was {})",
            a.previous_sha256
                .as_deref()
                .map_or("unset", guests::short_hash)
        );
    }
    if a.kept_settings {
        println!(
            "  note: [{section}.settings] was written for `{was}` and is now passed to `{name}`; \
             check it against `{name}`'s settings"
        );
    }
}
