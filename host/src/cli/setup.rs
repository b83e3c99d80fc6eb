//! `csep setup` and `csep uninstall`: connect the clients, and undo exactly that.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use csep::home::{self, Home};
use csep::setup::{self, ClientKind, SetupOptions};

#[derive(Clone, Copy, ValueEnum)]
enum Client {
    Codex,
    Claude,
}

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
}

#[derive(Clone, Copy, ValueEnum)]
enum ReflectWithArg {
    Codex,
    None,
}

#[derive(Args)]
pub struct UninstallArgs {
    #[arg(long, value_enum)]
    client: Vec<Client>,
    #[arg(long)]
    dry_run: bool,
    /// Also remove the state folder (memory, recall index, jobs).
    #[arg(long)]
    purge: bool,
    #[arg(long, value_name = "PATH")]
    codex_bin: Option<PathBuf>,
}

fn options(
    home: Option<&Path>,
    clients: &[Client],
    dry_run: bool,
    codex_bin: Option<PathBuf>,
) -> anyhow::Result<SetupOptions> {
    let home = Home::resolve(home).map_err(anyhow::Error::msg)?;
    let need = |what: &str, dir: Option<PathBuf>| {
        dir.ok_or_else(|| anyhow::anyhow!("cannot find {what}: HOME is not set"))
    };
    Ok(SetupOptions {
        clients: clients
            .iter()
            .map(|c| match c {
                Client::Codex => ClientKind::Codex,
                Client::Claude => ClientKind::Claude,
            })
            .collect(),
        dry_run,
        csep_exe: std::env::current_exe()?,
        state_dir: home.root().to_path_buf(),
        codex_home: need("Codex's folder", home::codex_home())?,
        claude_home: need("Claude Code's folder", home::claude_home())?,
        codex_bin: codex_bin.or_else(|| on_path("codex")),
    })
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
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
    let opts = options(home, &args.client, args.dry_run, args.codex_bin)?;
    let entries = setup::setup(&opts)?;
    print(&entries, args.dry_run);
    super::setup_reflect::offer(
        home,
        args.reflect_with
            .map(|r| matches!(r, ReflectWithArg::Codex)),
        args.dry_run,
    )?;
    if !args.dry_run {
        println!("\nCheck with `csep status`; the next session of each client loads the hooks.");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn uninstall(args: UninstallArgs, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    let opts = options(home, &args.client, args.dry_run, args.codex_bin)?;
    let entries = setup::uninstall(&opts, args.purge)?;
    print(&entries, args.dry_run);
    Ok(ExitCode::SUCCESS)
}
