//! `csep status` (what csep sees of its state, read-only) and `csep doctor` (the same,
//! judged: exit 1 with the reason and the fix when something is broken).

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::output::{self, OutputArgs};
use csep::home::Home;
use csep::status::{self, ClientHomes};

#[derive(Args)]
pub struct StatusArgs {
    /// Judge what status sees, as `csep doctor` does: exit 1 when a check finds a problem.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    out: OutputArgs,
}

pub fn run(args: StatusArgs, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    if args.check {
        return doctor(DoctorArgs { out: args.out }, home);
    }
    let report = status::collect(&resolve(home)?, &ClientHomes::from_env());
    if args.out.json() {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render(output::colour_stdout()));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn doctor(args: DoctorArgs, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    let report = status::collect(&resolve(home)?, &ClientHomes::from_env()).doctor();
    if args.out.json() {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render(output::colour_stdout()));
    }
    Ok(ExitCode::from(if report.ok {
        output::exit::OK
    } else {
        output::exit::FAILURE
    }))
}

fn resolve(home: Option<&Path>) -> anyhow::Result<Home> {
    Home::resolve(home).map_err(|e| {
        output::Failure::failed("state-dir", e.to_string())
            .hint("set CODEX_SELF_EVOLUTION_HOME or pass --home DIR")
            .into()
    })
}
