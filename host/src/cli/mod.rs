//! Argument parsing and dispatch; each command lives in its own module.

mod config;
mod demo;
mod hooks;
mod mcp;
mod memory;
#[allow(dead_code)] // until every command reports through it
pub mod output;
mod policy;
mod recall;
mod reflect;
mod setup;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "csep",
    version,
    about = "Memory, recall and sandboxed reflection for coding agents"
)]
struct Cli {
    /// The state folder (default: $CODEX_SELF_EVOLUTION_HOME or ~/.codex-self-evolution).
    #[arg(long, global = true, value_name = "DIR")]
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
    /// timings and recent errors. Read-only; JSON when piped or with --json.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// The Stop hook: archives the session, asks the trigger policy, queues a
    /// reflection job when it says so. Prints nothing; always exits 0.
    SessionStop(hooks::HookArgs),
}

pub use output::Format;

/// Hooks must exit 0 with valid output even when their own command line is off
/// (a newer hook declaration with a flag this version lacks).
const HOOKS: &[&str] = &["session-start", "session-stop"];

pub fn main() -> ExitCode {
    let hook = std::env::args()
        .nth(1)
        .is_some_and(|a| HOOKS.contains(&a.as_str()));
    if !hook {
        // `csep recall ... | head` should end quietly, as other command-line tools
        // do, not panic on a closed pipe. Hooks keep Rust's default (EPIPE as an
        // error they handle), so a client closing the pipe cannot kill one.
        // SAFETY: no other thread exists yet; SIG_DFL is a valid disposition.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let hook = std::env::args()
                .nth(1)
                .filter(|a| HOOKS.contains(&a.as_str()));
            match hook.as_deref() {
                Some(name) => {
                    eprintln!("csep: ignoring hook arguments: {e}");
                    let args = hooks::HookArgs::default();
                    return if name == "session-start" {
                        hooks::session_start(args, None)
                    } else {
                        hooks::session_stop(args, None)
                    };
                }
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
        Command::SessionReflect(args) => reflect::run(args, cli.home.as_deref()),
        Command::Setup(args) => setup::setup(args, cli.home.as_deref()),
        Command::Uninstall(args) => setup::uninstall(args, cli.home.as_deref()),
        Command::SessionStart(args) => return hooks::session_start(args, cli.home.as_deref()),
        Command::Status { json } => status::run(cli.home.as_deref(), json),
        Command::SessionStop(args) => return hooks::session_stop(args, cli.home.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::report_error(&e, output::json_requested()),
    }
}
