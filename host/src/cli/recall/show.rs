//! `csep recall show SESSION_ID`: one session's messages, paged on a terminal.

use std::io::{IsTerminal, Write};
use std::process::{Command, ExitCode, Stdio};

use clap::Args;
use serde_json::json;

use super::search::{role_label, session_json, when};
use super::{SCHEMA_VERSION, open_index, resolve_session, store_failure};
use crate::cli::output::{Failure, OutputArgs};
use csep::home::Home;
use csep::recall::ShowOptions;
use csep::timefmt::rfc3339;

#[derive(Args)]
pub(crate) struct ShowArgs {
    /// The session id, or a unique prefix of it (4 characters or more).
    session_id: String,
    /// A message id from a search hit: show only the messages around it.
    #[arg(long, value_name = "MESSAGE_ID")]
    around: Option<i64>,
    /// Messages on each side with --around.
    #[arg(long, default_value_t = 5, value_name = "N")]
    context: usize,
    /// Messages before the one given with --around (default: --context).
    #[arg(long, value_name = "N")]
    before: Option<usize>,
    /// Messages after the one given with --around (default: --context).
    #[arg(long, value_name = "N")]
    after: Option<usize>,
    /// Client-injected context (instructions, environment, skill lists) too.
    #[arg(long, visible_alias = "include-system")]
    include_background: bool,
    #[command(flatten)]
    out: OutputArgs,
}

pub(crate) fn run(home: &Home, a: ShowArgs) -> anyhow::Result<ExitCode> {
    let (store, db) = match open_index(home) {
        Ok(v) => v,
        Err(e)
            if e.downcast_ref::<Failure>()
                .is_some_and(|f| f.kind == "no-index") =>
        {
            return Err(Failure::not_found(
                "unknown-session",
                format!(
                    "no indexed session has the id {:?}: nothing is indexed yet",
                    a.session_id
                ),
            )
            .hint("csep recall bootstrap imports past Codex sessions")
            .into());
        }
        Err(e) => return Err(e),
    };
    let session_id = resolve_session(&store, &db, &a.session_id)?;
    let o = ShowOptions {
        around: a.around,
        before: a.before.unwrap_or(a.context),
        after: a.after.unwrap_or(a.context),
        include_background: a.include_background,
    };
    let Some((session, messages)) = store
        .show_with(&session_id, &o)
        .map_err(|e| store_failure(&e, &db))?
    else {
        return Err(Failure::not_found(
            "unknown-session",
            format!("no indexed session has the id {session_id:?}"),
        )
        .into());
    };
    if let Some(id) = a.around
        && !messages.iter().any(|m| m.message_id == id)
    {
        return Err(Failure::not_found(
            "unknown-message",
            format!("session {session_id} has no message #{id}"),
        )
        .hint("take a message id from a hit of csep recall")
        .into());
    }
    if a.out.json() {
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "status": "matched",
            "session": session_json(&session),
            "messages": messages.iter().map(|m| json!({
                "message_id": m.message_id,
                "role": m.role,
                "tool_name": m.tool_name,
                "at": when(m.at_ms),
                "is_error": m.is_error,
                "text": m.text,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "{}  {}  {}\n",
        session.client, session.session_id, session.repo
    );
    for m in &messages {
        let at = m.at_ms.map(rfc3339).unwrap_or_default();
        text.push_str(&format!(
            "\n#{} [{}] {at}\n{}\n",
            m.message_id,
            role_label(&m.role, m.tool_name.as_deref()),
            m.text
        ));
    }
    page(&text);
    Ok(ExitCode::SUCCESS)
}

/// Prints through `$PAGER` (default `less -FRX`: quits when it fits one screen, keeps
/// colours, leaves the text on screen) when stdout is a terminal; straight otherwise,
/// or when the pager cannot be started.
fn page(text: &str) {
    let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -FRX".to_string());
    let words: Vec<&str> = pager.split_whitespace().collect();
    if !std::io::stdout().is_terminal() || words.is_empty() || words == ["cat"] {
        print!("{text}");
        return;
    }
    let child = Command::new(words[0])
        .args(&words[1..])
        .stdin(Stdio::piped())
        .spawn();
    match child {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                // The reader quitting early closes the pipe: not an error.
                let _ = stdin.write_all(text.as_bytes());
            }
            let _ = child.wait();
        }
        Err(_) => print!("{text}"),
    }
}
