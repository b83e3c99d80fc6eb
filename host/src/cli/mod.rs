//! Argument parsing and dispatch; each command lives in its own module.

mod config;
mod demo;
mod hooks;
mod legacy;
mod manual;
mod mcp;
mod memory;
mod migrate;
pub mod output;
mod policy;
mod recall;
mod reflect;
mod setup;
mod setup_reflect;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "csep",
    version,
    propagate_version = true,
    about = "Memory, recall and sandboxed reflection for coding agents"
)]
struct Cli {
    /// The state folder (default: $CODEX_SELF_EVOLUTION_HOME or ~/.codex-self-evolution).
    /// `--state-dir` is the original tool's spelling.
    #[arg(long, global = true, value_name = "DIR", visible_alias = "state-dir",
          value_parser = path_or_empty())]
    home: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Where the config file is, what is in effect, whether it is valid.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// The whole loop on the embedded defaults, in a temporary folder: no client,
    /// no model key needed.
    Demo(demo::DemoArgs),
    /// What reflection jobs changed in memory and skills; undo a job.
    #[command(subcommand)]
    Memory(memory::MemoryCommand),
    /// The MCP server (stdio) the clients start: search past sessions, open one,
    /// list recent ones, read the repo's memory. Read-only.
    Mcp(mcp::McpArgs),
    /// Check and run trigger policies and reflection strategies.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Move the original tool's state in: worktree buckets, memory.json, skills.
    ///
    /// Per-worktree buckets are merged into the repository's shared bucket
    /// (entries deduplicated, none dropped, the old bucket renamed aside), the
    /// legacy memory.json is read, generated skills are adopted where they are,
    /// and the original's recall index is removed on request. Dry run unless
    /// --apply; a second run changes nothing. `migrate-worktrees` is the
    /// original's name for it.
    #[command(alias = "migrate-worktrees")]
    Migrate(migrate::MigrateArgs),
    /// Archive one session into the recall index (the original's command).
    SessionArchive(legacy::ArchiveArgs),
    /// Import every transcript under a folder into the recall index.
    ///
    /// The original's command; `csep recall bootstrap` is this project's, which
    /// defaults to the last 30 days, where this one defaults to all history.
    SessionIngest(legacy::IngestArgs),
    /// Search past sessions of this repo (or --global), list recent ones, import transcripts.
    Recall(recall::RecallArgs),
    /// Run a reflection job (the Stop hook starts this, detached), run pending
    /// jobs, or list jobs with their outcomes.
    SessionReflect(reflect::ReflectArgs),
    /// Connect Codex (and Claude Code): plugin, hooks and hook trust. Safe to run
    /// again; --dry-run shows what would change.
    Setup(setup::SetupArgs),
    /// Undo exactly what `csep setup` did (--purge also removes the state folder).
    Uninstall(setup::UninstallArgs),
    /// The SessionStart hook: prints the repo's memory for the agent. Always exits 0.
    SessionStart(hooks::HookArgs),
    /// What csep sees of its state: config, policy health, recall index, jobs, hook
    /// timings and recent errors. Read-only; JSON only with --json.
    Status(status::StatusArgs),
    /// Check that csep works: the hooks run, the config is valid, the pinned policy and
    /// strategy load, the recall index is sound. Exits 1 with the fix when one is not.
    Doctor(status::DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(manual::CompletionsArgs),
    /// Print the man page (roff), or write one page per command with --dir.
    Man(manual::ManArgs),
    /// The Stop hook: archives the session, asks the trigger policy, queues a
    /// reflection job when it says so. Prints nothing; always exits 0.
    SessionStop(hooks::HookArgs),
}

pub use output::Format;

/// A path flag that takes an empty value, read as the flag not given: the original
/// tool's plugin lines pass `--state-dir "$CODEX_STATE_DIR"`, often with the
/// variable unset.
pub(crate) fn path_or_empty() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser;
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

/// `None` for a path flag given empty.
pub(crate) fn given(path: Option<PathBuf>) -> Option<PathBuf> {
    path.filter(|p| !p.as_os_str().is_empty())
}

/// Hooks must exit 0 with valid output even when their own command line is off
/// (a newer hook declaration with a flag this version lacks).
const HOOKS: &[&str] = &["session-start", "session-stop"];

pub fn main() -> ExitCode {
    let hook = hook_named();
    if hook.is_none() {
        // `csep recall ... | head` should end quietly, as other command-line tools
        // do, not panic on a closed pipe. Hooks keep Rust's default (EPIPE as an
        // error they handle), so a client closing the pipe cannot kill one.
        // SAFETY: no other thread exists yet; SIG_DFL is a valid disposition.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let cli = match Cli::try_parse() {
        Ok(mut cli) => {
            cli.home = given(cli.home.take());
            cli
        }
        Err(e) => {
            let informational = matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            match hook.as_deref() {
                Some(name) if !informational => return run_hook_anyway(name, &e),
                _ if output::json_requested() && e.use_stderr() => {
                    let text = e.render().to_string();
                    let message = text.trim().trim_start_matches("error: ");
                    return output::Failure::usage("usage", message).report(true);
                }
                _ => e.exit(),
            }
        }
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Memory(cmd) => memory::run(cmd, cli.home.as_deref()),
        Command::Mcp(args) => mcp::run(args, cli.home.as_deref()),
        Command::Policy(cmd) => policy::run(cmd, cli.home.as_deref()),
        Command::Config(cmd) => config::run(cmd, cli.home.as_deref()),
        Command::Recall(args) => recall::run(args, cli.home.as_deref()),
        Command::Migrate(args) => migrate::run(args, cli.home.as_deref()),
        Command::SessionArchive(args) => legacy::archive(args, cli.home.as_deref()),
        Command::SessionIngest(args) => legacy::ingest(args, cli.home.as_deref()),
        Command::SessionReflect(args) => reflect::run(args, cli.home.as_deref()),
        Command::Setup(args) => setup::setup(args, cli.home.as_deref()),
        Command::Uninstall(args) => setup::uninstall(args, cli.home.as_deref()),
        Command::SessionStart(args) => return hooks::session_start(args, cli.home.as_deref()),
        Command::Status(args) => status::run(args, cli.home.as_deref()),
        Command::Doctor(args) => status::doctor(args, cli.home.as_deref()),
        Command::Completions(args) => manual::completions(args, Cli::command()),
        Command::Man(args) => manual::man(args, Cli::command()),
        Command::SessionStop(args) => return hooks::session_stop(args, cli.home.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::report_error(&e, output::json_requested()),
    }
}

/// The hook the command line names: its first word that is not a global option
/// (`csep --home DIR session-start` is a hook too).
fn hook_named() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--home" => {
                args.next();
            }
            _ if a.starts_with("--home=") => {}
            _ => return HOOKS.contains(&a.as_str()).then_some(a),
        }
    }
    None
}

/// A hook whose command line does not parse (a newer hook declaration) still runs, fail
/// open, with what does parse (`--home`, `--cwd`): each argument clap rejects is dropped
/// and the rest parsed again.
fn run_hook_anyway(name: &str, e: &clap::Error) -> ExitCode {
    let first = e.to_string();
    eprintln!(
        "csep: ignoring hook arguments: {}",
        first.lines().next().unwrap_or_default()
    );
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut parsed = None;
    for _ in 0..args.len() {
        match Cli::try_parse_from(&args) {
            Ok(cli) => {
                parsed = Some(cli);
                break;
            }
            Err(e) => {
                let Some(clap::error::ContextValue::String(bad)) =
                    e.get(clap::error::ContextKind::InvalidArg)
                else {
                    break;
                };
                // `--flag=value` is reported as `--flag`.
                let bad = bad.split(' ').next().unwrap_or(bad);
                let Some(at) = args.iter().skip(1).position(|a| {
                    let a = a.to_string_lossy();
                    a == bad || a.starts_with(&format!("{bad}="))
                }) else {
                    break;
                };
                args.remove(at + 1);
            }
        }
    }
    let (home, args) = match parsed {
        Some(Cli {
            home,
            command: Command::SessionStart(args) | Command::SessionStop(args),
        }) => (home, args),
        Some(Cli { home, .. }) => (home, hooks::HookArgs::default()),
        None => (None, hooks::HookArgs::default()),
    };
    if name == "session-start" {
        hooks::session_start(args, home.as_deref())
    } else {
        hooks::session_stop(args, home.as_deref())
    }
}
