//! `csep policy`: trigger policies and reflection strategies, bundled or dropped in.

mod check;
mod kit;
mod trial;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};

use super::Format;
use super::output::OutputArgs;
use csep::config::Config;
use csep::guests::{self, Source};
use csep::home::Home;
use csep::sandbox::Sandbox;
use csep::world::World;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// The policies and strategies installed (bundled and in policies/, strategies/),
    /// which are active, their hashes and contract versions.
    List {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Tell whether a component is a valid trigger policy or reflection strategy for
    /// this csep (world, contract version), and run it once on a sample session.
    Check {
        /// The `.wasm` to check, or an installed drop-in's name (default: the active
        /// policy, configured or bundled).
        file: Option<String>,
        /// A decide input (JSON; `-` for stdin) to run instead of the built-in sample.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Copy a checked component into policies/ or strategies/ (by its world) and
    /// print its hash; with --activate, make it the active one, pinned to that hash.
    Install {
        file: PathBuf,
        /// The drop-in's name (default: the file name without `.wasm`).
        #[arg(long)]
        name: Option<String>,
        /// Also make it the active policy (strategy), pinned to its sha256.
        #[arg(long)]
        activate: bool,
        /// Replace a different drop-in of the same name.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Make an installed drop-in (or `bundled`) the active one, pinned to the hash
    /// the file has now. Run it again to approve a drop-in that changed.
    Use {
        /// A drop-in's name, or `bundled`.
        name: String,
        /// Which kind: needed for `bundled`, or when a policy and a strategy share the name.
        #[arg(long, value_enum)]
        kind: Option<World>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Run a policy on an archived session and show its decision, or run a strategy
    /// on throwaway copies and show the diff and receipt it would produce. Nothing
    /// live is written.
    Try {
        /// A `.wasm` file, an installed drop-in's name, or `bundled:policy-default`,
        /// `bundled:strategy-default`.
        guest: String,
        /// The session (an id from `csep recall --recent`).
        #[arg(long)]
        session: String,
        /// For a strategy: the scopes to reflect on.
        #[arg(long = "scope", value_enum, default_values_t = [ScopeArg::Memory, ScopeArg::Skill])]
        scopes: Vec<ScopeArg>,
        /// For a strategy: give it the configured model (`[provider]`); its calls count
        /// against the day's budget. Without it the strategy gets no model.
        #[arg(long)]
        model: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Delete an installed drop-in; if it was active, the bundled one takes over.
    Remove {
        /// The drop-in's name.
        name: String,
        /// Which kind, when a policy and a strategy share the name.
        #[arg(long, value_enum)]
        kind: Option<World>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Print the WIT contract this csep speaks (csep:engine), or write it into DIR
    /// as engine.wit, for building a guest.
    Wit {
        #[arg(value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Run a policy's `decide` on an input (JSON; `-` for stdin) and print the decision as JSON.
    Decide {
        /// The policy to run (default: the active policy, configured or bundled).
        #[arg(long, value_name = "FILE")]
        wasm: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Accepted for uniformity: the decision is always printed as JSON.
        #[command(flatten)]
        out: OutputArgs,
    },
}

/// A `.wasm` named on the command line must exist: not found (exit 3) otherwise.
fn existing(path: PathBuf) -> anyhow::Result<PathBuf> {
    if path.exists() {
        return Ok(path);
    }
    Err(super::output::Failure::not_found(
        "no-such-file",
        format!(
            "{} is neither a file nor an installed drop-in",
            path.display()
        ),
    )
    .hint("`csep policy list` shows the installed drop-ins")
    .into())
}

/// A drop-in's path when `arg` names one and no such file exists; else `arg` as a path,
/// so a missing file is reported by whatever reads it.
fn file_or_drop_in(home: &Home, arg: &str) -> PathBuf {
    let path = PathBuf::from(arg);
    if !path.exists()
        && guests::is_drop_in_name(arg)
        && let Ok(d) = csep::dropins::find(home, arg, None)
    {
        return d.path;
    }
    path
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum ScopeArg {
    Memory,
    Skill,
}

pub fn run(cmd: PolicyCommand, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag)?;
    let cmd = match cmd {
        PolicyCommand::Wit { out } => return kit::wit(out.as_deref()),
        other => other,
    };
    let config = Config::load(&home.config_path())?;
    let sandbox = Sandbox::new(config.sandbox.clone(), Some(&home.wasm_cache_dir()))
        .context("starting the sandbox")?;
    match cmd {
        PolicyCommand::List { out } => kit::list(&home, &config, &sandbox, out.format()),
        PolicyCommand::Check { file, input, out } => {
            let (source, pin) = match file {
                Some(f) => (Source::File(existing(file_or_drop_in(&home, &f))?), None),
                None => (
                    Source::policy(&home, &config.policy),
                    config.policy.sha256.as_deref(),
                ),
            };
            check::check(
                &sandbox,
                &config,
                &source,
                pin,
                input.as_deref(),
                out.format(),
            )
        }
        PolicyCommand::Install {
            file,
            name,
            activate,
            force,
            out,
        } => kit::install(
            &home,
            &sandbox,
            &file,
            name.as_deref(),
            activate,
            force,
            out.format(),
        ),
        PolicyCommand::Use { name, kind, out } => {
            kit::use_(&home, &sandbox, &name, kind, out.format())
        }
        PolicyCommand::Remove { name, kind, out } => {
            kit::remove(&home, &sandbox, &name, kind, out.format())
        }
        PolicyCommand::Try {
            guest,
            session,
            scopes,
            model,
            out,
        } => trial::run(
            &home,
            &config,
            &sandbox,
            trial::Trial {
                guest: &guest,
                session: &session,
                scopes: &scopes,
                model,
            },
            out.format(),
        ),
        PolicyCommand::Decide {
            wasm,
            input,
            out: _,
        } => {
            let (source, pin) = match wasm {
                Some(f) => (Source::File(existing(f)?), None),
                None => (
                    Source::policy(&home, &config.policy),
                    config.policy.sha256.as_deref(),
                ),
            };
            let guest = guests::load(&sandbox, &source, pin)?;
            let policy = sandbox
                .policy(&guest)
                .with_context(|| format!("preparing {}", guest.origin()))?;
            let input = check::read_input(&input, &config)?;
            let decision = policy
                .decide(&input)
                .with_context(|| format!("running decide of {}", guest.origin()))?;
            println!("{}", serde_json::to_string_pretty(&decision)?);
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Wit { out } => kit::wit(out.as_deref()),
    }
}
