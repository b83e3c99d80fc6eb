//! Argument parsing and dispatch; each command lives in its own module.

mod policy;
mod recall;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Check and run trigger policies and reflection strategies.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Search past sessions of this repo (or --global), list recent ones, import transcripts.
    Recall(recall::RecallArgs),
}

#[derive(Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Policy(cmd) => policy::run(cmd, cli.home.as_deref()),
        Command::Recall(args) => recall::run(args, cli.home.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("csep: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
