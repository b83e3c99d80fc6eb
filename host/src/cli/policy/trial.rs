//! `csep policy try`: a policy's decision, or a strategy's would-be diff and
//! receipt, on one archived session. Nothing live is written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::{Format, ScopeArg};
use crate::cli::memory::print_diff;
use csep::config::Config;
use csep::dropins;
use csep::guests::{self, Source};
use csep::home::Home;
use csep::model::Scope;
use csep::reflect::provider_setup;
use csep::reflect::rehearse::{self, Session, TrialError};
use csep::sandbox::Sandbox;
use csep::world::World;

/// What `csep policy try` was asked to run.
pub(super) struct Trial<'a> {
    pub guest: &'a str,
    pub session: &'a str,
    pub scopes: &'a [ScopeArg],
    pub model: bool,
}

pub(super) fn run(
    home: &Home,
    config: &Config,
    sandbox: &Sandbox,
    trial: Trial,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let source = locate(home, trial.guest)?;
    let loaded = guests::load(sandbox, &source, None)?;
    let session = Session::load(home, trial.session).map_err(session_error)?;
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
            let scopes = trial
                .scopes
                .iter()
                .map(|s| match s {
                    ScopeArg::Memory => Scope::Memory,
                    ScopeArg::Skill => Scope::Skill,
                })
                .collect();
            let model = match trial.model {
                true => Some(
                    provider_setup::model(home, config)?
                        .context("--model needs a provider: set [provider] in config.toml")?,
                ),
                false => None,
            };
            let run = rehearse::StrategyRun {
                guest: &loaded,
                bundled: source.is_bundled(),
                scopes,
                model,
            };
            let done = rehearse::strategy(home, sandbox, config, &session, run)
                .map_err(anyhow::Error::msg)?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "guest": loaded.origin(),
                        "sha256": loaded.sha256(),
                        "session_id": session.info.session_id,
                        "summary": done.summary,
                        "would_accept": done.plan.accepted,
                        "would_reject": done.plan.rejected,
                        "notes": done.plan.notes,
                        "model": {
                            "calls": done.record.calls,
                            "input_tokens": done.record.input_tokens,
                            "output_tokens": done.record.output_tokens,
                            "models": done.record.models,
                            "denials": done.record.denials,
                        },
                        "log": done.record.log,
                        "memory_dir": done.memory_dir,
                        "skills_dir": done.skills_dir,
                        "written": false,
                    }))?
                ),
                Format::Text => print_strategy_trial(&loaded, &session, &done),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A path to a `.wasm`, a bundled guest by the name `csep policy list` gives it, or
/// the name of an installed drop-in of either kind.
fn locate(home: &Home, guest: &str) -> anyhow::Result<Source> {
    let path = PathBuf::from(guest);
    if path.is_file() {
        return Ok(Source::File(path));
    }
    if let Some(b) = World::ALL
        .iter()
        .map(|k| k.bundled())
        .find(|b| b.origin() == guest)
    {
        return Ok(Source::Bundled(b));
    }
    if guests::is_drop_in_name(guest) {
        return Ok(Source::File(
            dropins::find(home, guest, None)
                .map_err(super::kit::drop_in_error)?
                .path,
        ));
    }
    Err(crate::cli::output::Failure::not_found(
        "unknown-guest",
        format!(
            "{guest} is neither a .wasm file, a bundled guest (bundled:policy-default, \
         bundled:strategy-default) nor an installed drop-in (see `csep policy list`; \
         drop-ins live in {} and {})",
            home.dropins_dir(World::TriggerPolicy).display(),
            home.dropins_dir(World::ReflectionStrategy).display()
        ),
    )
    .into())
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
    let r = &trial.record;
    if r.calls > 0 || !r.denials.is_empty() {
        println!(
            "  model     {} call(s), {} input and {} output tokens{}",
            r.calls,
            r.input_tokens,
            r.output_tokens,
            if r.denials.is_empty() {
                String::new()
            } else {
                format!("; denied: {}", r.denials.join("; "))
            }
        );
    }
    for line in &r.log {
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

/// A session that is not archived is not found (exit 3); any other failure to read it
/// is a failure (exit 1).
fn session_error(e: TrialError) -> anyhow::Error {
    match e {
        TrialError::NoIndex { .. } | TrialError::NotIndexed { .. } => {
            crate::cli::output::Failure::not_found("unknown-session", e.to_string())
                .hint("`csep recall --recent` lists the archived sessions")
                .into()
        }
        e => e.into(),
    }
}
