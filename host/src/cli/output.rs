//! The conventions every command follows: `--json` (with `--format json` as its alias), one
//! JSON error envelope, the exit codes of `docs/cli.md`, and colour only on a terminal that
//! wants it.

use std::fmt;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::json;

/// The version of every JSON shape printed by the CLI: bumped on any change a script could
/// trip on.
pub const SCHEMA_VERSION: u32 = 1;

/// Exit codes (`docs/cli.md` has the table).
pub mod exit {
    /// The command did its work (a search with no match included).
    pub const OK: u8 = 0;
    /// The command ran and could not do its work, or a check it ran found a problem.
    pub const FAILURE: u8 = 1;
    /// The command line was wrong: an unknown flag, a bad value, a missing argument.
    pub const USAGE: u8 = 2;
    /// Something named on the command line (a session, a job, a policy) does not exist.
    pub const NOT_FOUND: u8 = 3;
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people; `markdown`, the original tool's name for it, is the same.
    #[default]
    #[value(alias = "markdown")]
    Text,
    Json,
}

/// `--json` and its alias `--format json`, flattened into every command that reports.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct OutputArgs {
    /// Print JSON on stdout; errors are JSON too (`"status": "error"`).
    #[arg(long)]
    pub json: bool,
    /// `json` is the same as --json; `text` (or the original's `markdown`) is the default.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

impl OutputArgs {
    pub fn json(&self) -> bool {
        self.json || self.format == Some(Format::Json)
    }

    pub fn format(&self) -> Format {
        if self.json() {
            Format::Json
        } else {
            Format::Text
        }
    }
}

/// Whether the command line asked for JSON, read from the raw arguments so that errors
/// raised before or during parsing still get the envelope.
pub fn json_requested() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--json"
            || a == "--format=json"
            || (a == "--format" && args.get(i + 1).is_some_and(|v| v == "json"))
    })
}

/// A failure a command reports to its user: what went wrong, what to do, and the exit code.
/// Returned as an `anyhow::Error`; `cli::main` prints it as text or as the JSON envelope.
#[derive(Debug)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl Failure {
    pub fn usage(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(kind, message, exit::USAGE)
    }

    pub fn not_found(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(kind, message, exit::NOT_FOUND)
    }

    pub fn failed(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(kind, message, exit::FAILURE)
    }

    fn new(kind: &'static str, message: impl Into<String>, code: u8) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: None,
            code,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the failure the way the command line asked for and gives its exit code.
    pub fn report(&self, json: bool) -> ExitCode {
        if json {
            println!("{}", self.envelope());
        } else {
            eprintln!("csep: {}", self.message);
            if let Some(h) = &self.hint {
                eprintln!("hint: {h}");
            }
        }
        ExitCode::from(self.code)
    }

    pub fn envelope(&self) -> serde_json::Value {
        json!({
            "schema_version": SCHEMA_VERSION,
            "status": "error",
            "error": {"kind": self.kind, "message": self.message, "hint": self.hint, "code": self.code},
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Prints any error a command returned: a [`Failure`] with its own kind and code, anything
/// else as `error` with exit code 1.
pub fn report_error(e: &anyhow::Error, json: bool) -> ExitCode {
    match e.downcast_ref::<Failure>() {
        Some(f) => f.report(json),
        None if json => Failure::failed("error", chain_text(e)).report(true),
        None => {
            eprintln!("csep: error: {}", chain_text(e));
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// The error and its causes, each said once: a cause whose text is already in the
/// message above it (`reading x: permission denied` above `permission denied`) is
/// not repeated.
pub fn chain_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Colour on stdout: only on a terminal, never with `NO_COLOR` set or `TERM=dumb`;
/// `CLICOLOR_FORCE` turns it on anyway.
pub fn colour_stdout() -> bool {
    colour_for(std::io::stdout().is_terminal())
}

fn colour_for(terminal: bool) -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") {
        return true;
    }
    terminal && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_json_is_an_alias_of_json() {
        let a = OutputArgs {
            json: false,
            format: Some(Format::Json),
        };
        assert!(a.json());
        assert!(!OutputArgs::default().json());
    }

    #[test]
    fn a_chain_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let typed = csep::path_error::PathError::new("reading", std::path::Path::new("/x"), io);
        let e = anyhow::Error::new(typed).context("loading the policy");
        assert_eq!(chain_text(&e), "loading the policy: reading /x: denied");
        let bare = anyhow::anyhow!("inner").context("outer");
        assert_eq!(chain_text(&bare), "outer: inner");
    }

    #[test]
    fn envelope_carries_kind_hint_and_code() {
        let f =
            Failure::not_found("unknown-session", "no session abc").hint("csep recall --recent");
        let v = f.envelope();
        assert_eq!(v["status"], "error");
        assert_eq!(v["error"]["kind"], "unknown-session");
        assert_eq!(v["error"]["hint"], "csep recall --recent");
        assert_eq!(v["error"]["code"], 3);
    }
}
