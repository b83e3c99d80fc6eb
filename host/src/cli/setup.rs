//! `csep setup` and `csep uninstall`: connect the clients, and undo exactly that.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::{Failure, OutputArgs, SCHEMA_VERSION};
use csep::client::Client;
use csep::home::{self, Home};
use csep::setup::{self, EntryStatus, SetupOptions};

#[derive(Args)]
pub struct SetupArgs {
    /// Which client (repeatable); default: every client whose folder exists.
    #[arg(long, value_enum)]
    client: Vec<Client>,
    /// Print what would change, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The Codex CLI used to install the plugin (default: `codex` on PATH).
    #[arg(long, value_name = "PATH")]
    codex_bin: Option<PathBuf>,
    /// How reflection reaches a model, recorded in [provider] of csep's config:
    /// `codex` runs one background `codex exec` per reflection on your Codex login
    /// (within the daily caps), `none` uses no model. Without it, setup asks when
    /// Codex is logged in and a terminal is attached.
    #[arg(long, value_enum, value_name = "WITH")]
    reflect_with: Option<ReflectWithArg>,
    #[command(flatten)]
    original: OriginalSetupFlags,
    #[command(flatten)]
    out: OutputArgs,
}

/// The original tool's setup flags, so its instructions still run.
#[derive(Args)]
struct OriginalSetupFlags {
    /// The Codex config.toml to edit (the original's flag): Codex's folder is taken
    /// to be this file's folder, as `$CODEX_HOME` would name it.
    #[arg(long, value_name = "PATH")]
    codex_config: Option<PathBuf>,
    /// The original's: skip `uv tool install`. Nothing is installed here; ignored.
    #[arg(long)]
    skip_tool_install: bool,
    /// The original's: skip `codex plugin marketplace add`. csep's marketplace is a
    /// folder in the state folder and nothing is fetched; ignored.
    #[arg(long)]
    skip_marketplace: bool,
    /// The original's: the package `uv` installed. Ignored.
    #[arg(long, value_name = "PACKAGE")]
    package: Option<String>,
    /// The original's: where its marketplace came from. Ignored: csep's is local.
    #[arg(long, value_name = "SOURCE")]
    marketplace_source: Option<String>,
}

impl OriginalSetupFlags {
    /// Codex's folder, when `--codex-config` names its file.
    fn codex_home(&self) -> Option<PathBuf> {
        let file = std::path::absolute(self.codex_config.as_ref()?).ok()?;
        Some(file.parent().map_or(file.clone(), Path::to_path_buf))
    }

    /// The flags given that change nothing here.
    fn ignored(&self) -> Vec<&'static str> {
        [
            (self.skip_tool_install, "--skip-tool-install"),
            (self.skip_marketplace, "--skip-marketplace"),
            (self.package.is_some(), "--package"),
            (self.marketplace_source.is_some(), "--marketplace-source"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ReflectWithArg {
    Codex,
    None,
}

#[derive(Args)]
pub struct UninstallArgs {
    /// Which client (repeatable); default: every client setup recorded.
    #[arg(long, value_enum)]
    client: Vec<Client>,
    /// Print what would change, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also remove the state folder (memory, recall index, jobs).
    #[arg(long)]
    purge: bool,
    /// The Codex CLI used to remove the plugin (default: `codex` on PATH).
    #[arg(long, value_name = "PATH")]
    codex_bin: Option<PathBuf>,
    #[command(flatten)]
    out: OutputArgs,
}

/// What `--json` prints: every thing looked at and what was done about it, and (after
/// setup) whether each client will run the hooks.
#[derive(Serialize)]
struct Report {
    schema_version: u32,
    dry_run: bool,
    changes: Vec<Change>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hooks: Vec<HookVerdict>,
}

#[derive(Serialize)]
struct Change {
    client: Client,
    what: String,
    /// `added`, `already-set`, `changed`, `skipped`, `removed` or `kept`.
    status: &'static str,
    /// The previous value (changed), or why (skipped, kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl From<&setup::Entry> for Change {
    fn from(e: &setup::Entry) -> Change {
        let (status, detail) = match &e.status {
            EntryStatus::Added => ("added", None),
            EntryStatus::AlreadySet => ("already-set", None),
            EntryStatus::Changed { from } => ("changed", Some(from.clone())),
            EntryStatus::Skipped(why) => ("skipped", Some(why.clone())),
            EntryStatus::Removed => ("removed", None),
            EntryStatus::Kept(why) => ("kept", Some(why.clone())),
        };
        Change {
            client: e.client,
            what: e.what.clone(),
            status,
            detail,
        }
    }
}

/// Whether a client will run csep's hooks once setup is done, and if not why and the fix.
#[derive(Serialize)]
struct HookVerdict {
    client: Client,
    will_run: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<setup::Reason>,
}

fn options(
    home: Option<&Path>,
    clients: &[Client],
    dry_run: bool,
    codex_bin: Option<PathBuf>,
    codex_home: Option<PathBuf>,
) -> anyhow::Result<SetupOptions> {
    let home = Home::resolve(home).map_err(|e| Failure::failed("state-dir", e.to_string()))?;
    let need = |what: &str, dir: Option<PathBuf>| {
        dir.ok_or_else(|| {
            Failure::failed("no-home", format!("cannot find {what}: HOME is not set"))
        })
    };
    Ok(SetupOptions {
        clients: clients.to_vec(),
        dry_run,
        csep_exe: std::env::current_exe()?,
        state_dir: home.root().to_path_buf(),
        codex_home: need("Codex's folder", codex_home.or_else(home::codex_home))?,
        claude_home: need("Claude Code's folder", home::claude_home())?,
        codex_bin: codex_bin.or_else(|| on_path("codex")),
    })
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn failed(e: setup::SetupError) -> anyhow::Error {
    Failure::failed("setup", e.to_string()).into()
}

/// After setup: whether each client it touched will run the hooks. In a dry run only
/// what setup leaves alone (a switched-off feature) is known.
fn verdicts(opts: &SetupOptions, entries: &[setup::Entry]) -> Vec<HookVerdict> {
    let touched = |k: Client| entries.iter().any(|e| e.client == k);
    let mut out = Vec::new();
    if touched(Client::Codex) {
        let state = setup::codex_hook_state(&opts.codex_home);
        let reasons = if opts.dry_run {
            state.hooks_feature_note.clone().into_iter().collect()
        } else {
            state.reasons()
        };
        out.push(HookVerdict {
            client: Client::Codex,
            will_run: reasons.is_empty(),
            reasons,
        });
    }
    if touched(Client::Claude) {
        let c = csep::status::claude_hooks(&opts.claude_home);
        // Setup adds missing hooks; only `disableAllHooks` (listed first) outlives it.
        let known = if opts.dry_run {
            usize::from(c.all_hooks_disabled)
        } else {
            usize::MAX
        };
        let reasons: Vec<setup::Reason> = c
            .reasons()
            .into_iter()
            .take(known)
            .map(|(why, fix)| setup::Reason { why, fix })
            .collect();
        out.push(HookVerdict {
            client: Client::Claude,
            will_run: reasons.is_empty(),
            reasons,
        });
    }
    out
}

fn print(entries: &[setup::Entry], dry_run: bool) {
    if dry_run {
        println!("dry run: nothing was written");
    }
    for e in entries {
        println!("{e}");
    }
}

pub fn setup(args: SetupArgs, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    let opts = options(
        home,
        &args.client,
        args.dry_run,
        args.codex_bin,
        args.original.codex_home(),
    )?;
    let entries = setup::setup(&opts).map_err(failed)?;
    let verdicts = verdicts(&opts, &entries);
    let reflect_with = args
        .reflect_with
        .map(|r| matches!(r, ReflectWithArg::Codex));
    if args.out.json() {
        super::setup_reflect::offer(home, reflect_with, args.dry_run, true)?;
        let report = Report {
            schema_version: SCHEMA_VERSION,
            dry_run: args.dry_run,
            changes: entries.iter().map(Change::from).collect(),
            hooks: verdicts,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    for flag in args.original.ignored() {
        println!("{flag}: the original tool's setup flag; nothing here needs it, ignored");
    }
    print(&entries, args.dry_run);
    let blocked: Vec<&HookVerdict> = verdicts.iter().filter(|v| !v.will_run).collect();
    for v in &blocked {
        let name = v.client.product_name();
        let when = if args.dry_run {
            "even after setup, "
        } else {
            ""
        };
        println!("\n{when}{name} will NOT run csep's hooks:");
        for r in &v.reasons {
            println!("  {}\n  fix: {}", r.why, r.fix);
        }
    }
    super::setup_reflect::offer(home, reflect_with, args.dry_run, false)?;
    if !args.dry_run {
        if blocked.is_empty() {
            println!(
                "\nThe next session of each client loads the hooks; `csep doctor` checks that all is well."
            );
        } else {
            println!("\nFix the above, then run `csep doctor` to check.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn uninstall(args: UninstallArgs, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    let opts = options(home, &args.client, args.dry_run, args.codex_bin, None)?;
    let entries = setup::uninstall(&opts, args.purge).map_err(failed)?;
    if args.out.json() {
        let report = Report {
            schema_version: SCHEMA_VERSION,
            dry_run: args.dry_run,
            changes: entries.iter().map(Change::from).collect(),
            hooks: Vec::new(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&entries, args.dry_run);
    }
    Ok(ExitCode::SUCCESS)
}
