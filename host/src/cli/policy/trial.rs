//! `csep policy try`: a policy's decision, or a strategy's would-be diff and
//! receipt, on one archived session. Nothing live is written.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use super::{Format, ScopeArg};
use crate::cli::memory::print_diff;
use csep::config::Config;
use csep::dropins;
use csep::guests::{self, Kind};
use csep::home::Home;
use csep::model::Scope;
use csep::reflect::rehearse::{self, Session};
use csep::sandbox::{Sandbox, World};

pub(super) fn run(
    home: &Home,
    config: &Config,
    sandbox: &Sandbox,
    guest: &str,
    session_id: &str,
    scopes: &[ScopeArg],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let path = locate(home, guest)?;
    let loaded = guests::load_file(sandbox, &path, None)?;
    let session = Session::load(home, session_id).map_err(anyhow::Error::msg)?;
    match loaded.world() {
        World::TriggerPolicy => {
            let (input, decision) =
                rehearse::policy(sandbox, &loaded, config, &session).map_err(anyhow::Error::msg)?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "guest": loaded.origin(),
                        "sha256": loaded.sha256(),
                        "session_id": session.info.session_id,
                        "digest": input.digest,
                        "decision": decision,
                    }))?
                ),
                Format::Text => {
                    let d = &input.digest;
                    println!(
                        "{} on session {} ({}, {})",
                        loaded.origin(),
                        d.session_id,
                        d.client,
                        d.cwd
                    );
                    println!(
                        "  saw       {} messages, {} readable characters, {} tool calls, {} failed",
                        d.message_count,
                        d.readable_chars,
                        d.tool_calls,
                        d.tool_errors.len() as u32 + d.omitted_tool_errors
                    );
                    let scopes: Vec<String> = decision
                        .scopes
                        .iter()
                        .map(|s| format!("{s:?}").to_lowercase())
                        .collect();
                    if decision.reflect {
                        println!("  decision  reflect on {}", scopes.join(" and "));
                    } else {
                        println!("  decision  no reflection");
                    }
                    println!("  reasons   {}", decision.reasons.join(", "));
                    println!("  summary   {}", decision.summary);
                }
            }
        }
        World::ReflectionStrategy => {
            let scopes = scopes
                .iter()
                .map(|s| match s {
                    ScopeArg::Memory => Scope::Memory,
                    ScopeArg::Skill => Scope::Skill,
                })
                .collect();
            let trial = rehearse::strategy(home, sandbox, &loaded, false, config, &session, scopes)
                .map_err(anyhow::Error::msg)?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "guest": loaded.origin(),
                        "sha256": loaded.sha256(),
                        "session_id": session.info.session_id,
                        "summary": trial.summary,
                        "would_accept": trial.plan.accepted,
                        "would_reject": trial.plan.rejected,
                        "notes": trial.plan.notes,
                        "log": trial.log,
                        "memory_dir": trial.memory_dir,
                        "skills_dir": trial.skills_dir,
                        "written": false,
                    }))?
                ),
                Format::Text => print_strategy_trial(&loaded, &session, &trial),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A path to a `.wasm`, else the name of an installed drop-in of either kind.
fn locate(home: &Home, guest: &str) -> anyhow::Result<PathBuf> {
    let path = PathBuf::from(guest);
    if path.is_file() {
        return Ok(path);
    }
    if guests::is_drop_in_name(guest) {
        return Ok(dropins::find(home, guest, None)?.path);
    }
    anyhow::bail!(
        "{guest} is neither a .wasm file nor an installed drop-in (see `csep policy list`; \
         drop-ins live in {} and {})",
        Kind::Policy.dir(home).display(),
        Kind::Strategy.dir(home).display()
    )
}

fn print_strategy_trial(
    guest: &csep::sandbox::Guest,
    session: &Session,
    trial: &rehearse::StrategyTrial,
) {
    println!(
        "{} on session {} ({}, {})",
        guest.origin(),
        session.info.session_id,
        session.info.client,
        session.info.cwd
    );
    println!("  says      {}", trial.summary);
    for line in &trial.log {
        println!("  log       {line}");
    }
    for r in &trial.plan.rejected {
        println!("  would reject {}/{}: {}", r.area, r.path, r.reason);
    }
    for n in &trial.plan.notes {
        println!(
            "  note      {}/{} resembles {} ({})",
            n.area, n.path, n.other, n.detail
        );
    }
    if trial.plan.accepted.is_empty() {
        println!("  would change nothing");
    }
    for d in &trial.diffs {
        print_diff(d);
    }
    println!(
        "nothing was written: the memory at {} is as it was",
        trial.memory_dir.display()
    );
}
