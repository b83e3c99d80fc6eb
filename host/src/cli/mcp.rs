//! `csep mcp`: the MCP server the clients start (stdio). stdout carries only the
//! protocol; problems go to stderr.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::output;
use csep::home::Home;

#[derive(Args)]
pub struct McpArgs {
    /// The folder whose repo the tools look at by default (default: the current folder).
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
}

pub fn run(args: McpArgs, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(|e| {
        output::Failure::usage("no-home", e.to_string())
            .hint("set HOME or CODEX_SELF_EVOLUTION_HOME, or pass --home DIR")
    })?;
    let cwd = match args.cwd {
        Some(d) => std::path::absolute(&d).with_context(|| format!("resolving {}", d.display()))?,
        None => std::env::current_dir().context("reading the current folder")?,
    };
    csep::mcp::serve_stdio(home, cwd).map_err(|e| output::Failure::failed("mcp", e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
