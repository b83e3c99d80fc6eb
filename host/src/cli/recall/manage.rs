//! `csep recall forget` and `csep recall redact`: taking things out of the index.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::{SCHEMA_VERSION, open_index, resolve_session, store_failure};
use crate::cli::output::{Failure, OutputArgs};
use csep::home::Home;

#[derive(Args)]
pub(crate) struct ForgetArgs {
    /// Session ids, or unique prefixes of them (4 characters or more).
    #[arg(required = true, value_name = "SESSION_ID")]
    session_ids: Vec<String>,
    /// Let these sessions (whole ids) be imported again by the next bootstrap, sync or
    /// Stop archive, instead of forgetting them.
    #[arg(long)]
    allow_again: bool,
    #[command(flatten)]
    out: OutputArgs,
}

pub(crate) fn forget(home: &Home, a: ForgetArgs) -> anyhow::Result<ExitCode> {
    let (mut store, db) = open_index(home)?;
    if a.allow_again {
        let unknown = store
            .allow_again(&a.session_ids)
            .map_err(|e| store_failure(&e, &db))?;
        let allowed = a.session_ids.len() - unknown.len();
        if a.out.json() {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "schema_version": SCHEMA_VERSION,
                    "status": "completed",
                    "allowed_again": allowed,
                    "not_forgotten": unknown,
                }))?
            );
        } else {
            println!("{allowed} session(s) may be imported again");
        }
        if !unknown.is_empty() {
            return Err(Failure::not_found(
                "not-forgotten",
                format!("not forgotten: {}", unknown.join(", ")),
            )
            .hint("give whole session ids, as they were forgotten")
            .into());
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Every id is resolved before anything is removed.
    let mut ids = Vec::new();
    for given in &a.session_ids {
        let id = resolve_session(&store, &db, given)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let report = store.forget(&ids).map_err(|e| store_failure(&e, &db))?;
    if a.out.json() {
        let mut v = serde_json::to_value(&report)?;
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["status"] = json!("completed");
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for s in &report.sessions {
            println!(
                "forgot {} ({}, {} messages)",
                s.session_id, s.client, s.messages
            );
        }
        println!(
            "they stay out of later imports; `csep recall forget --allow-again ID` lets one back"
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn redact(home: &Home, out: OutputArgs) -> anyhow::Result<ExitCode> {
    let (mut store, db) = open_index(home)?;
    let report = store.redact_again().map_err(|e| store_failure(&e, &db))?;
    if out.json() {
        let mut v = serde_json::to_value(&report)?;
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["status"] = json!("completed");
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("recall redact: {}", db.display());
        println!("  messages checked    {}", report.messages_checked);
        println!("  messages changed    {}", report.messages_changed);
        println!("  titles changed      {}", report.titles_changed);
        println!("  secrets replaced    {}", report.secrets);
    }
    Ok(ExitCode::SUCCESS)
}
