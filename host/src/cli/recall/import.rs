//! `csep recall bootstrap`, `sync-claude` and `rebuild`: filling the index from the
//! transcripts on disk.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::search::SearchFlags;
use super::{SCHEMA_VERSION, store_failure};
use crate::cli::output::{Failure, OutputArgs};
use csep::client::Client;
use csep::fault::{self, Fault};
use csep::home::{self, Home};
use csep::recall::{self, ImportOptions, heal};
use csep::timefmt::now_ms;

#[derive(Args, Clone)]
pub(crate) struct ImportArgs {
    /// Only transcripts modified in the last N days.
    #[arg(
        long,
        default_value_t = 30,
        conflicts_with = "all_history",
        value_name = "N"
    )]
    since_days: u64,
    /// Every transcript, however old.
    #[arg(long)]
    all_history: bool,
    /// Another folder to import from.
    #[arg(long, visible_alias = "bootstrap-root", value_name = "DIR")]
    root: Option<PathBuf>,
    /// Only the N newest transcripts.
    #[arg(long, value_name = "N")]
    limit_files: Option<usize>,
    #[command(flatten)]
    out: OutputArgs,
}

impl ImportArgs {
    pub(crate) fn with_out(mut self, out: OutputArgs) -> ImportArgs {
        self.out = out;
        self
    }
}

/// The original tool's flag forms on `csep recall` itself: `--bootstrap` and
/// `--sync-claude` with their import flags.
#[derive(Args)]
pub(crate) struct ImportFlags {
    /// Same as `csep recall bootstrap`.
    #[arg(long, conflicts_with = "sync_claude")]
    bootstrap: bool,
    /// Same as `csep recall sync-claude`.
    #[arg(long)]
    sync_claude: bool,
    /// With --bootstrap/--sync-claude: only transcripts modified in the last N days (30).
    #[arg(long, value_name = "N", conflicts_with = "all_history")]
    since_days: Option<u64>,
    /// With --bootstrap/--sync-claude: every transcript, however old.
    #[arg(long)]
    all_history: bool,
    /// With --bootstrap/--sync-claude: another folder to import from.
    #[arg(long, visible_alias = "bootstrap-root", value_name = "DIR")]
    root: Option<PathBuf>,
    /// With --bootstrap/--sync-claude: only the N newest transcripts.
    #[arg(long, value_name = "N")]
    limit_files: Option<usize>,
}

impl ImportFlags {
    /// The import the flags ask for, if any; import flags without one are a usage error.
    pub(crate) fn pseudo_command(
        &self,
        search: &SearchFlags,
    ) -> anyhow::Result<Option<(Client, ImportArgs)>> {
        let client = match (self.bootstrap, self.sync_claude) {
            (true, _) => Client::Codex,
            (_, true) => Client::Claude,
            _ => {
                if self.since_days.is_some()
                    || self.all_history
                    || self.root.is_some()
                    || self.limit_files.is_some()
                {
                    return Err(Failure::usage(
                        "import-flag-without-import",
                        "--since-days, --all-history, --root and --limit-files go with an import",
                    )
                    .hint("csep recall bootstrap --since-days 7 (or --bootstrap)")
                    .into());
                }
                return Ok(None);
            }
        };
        if search.recent() {
            return Err(Failure::usage(
                "import-with-recent",
                "--bootstrap and --sync-claude do not take --recent",
            )
            .into());
        }
        Ok(Some((
            client,
            ImportArgs {
                since_days: self.since_days.unwrap_or(30),
                all_history: self.all_history,
                root: self.root.clone(),
                limit_files: self.limit_files,
                out: OutputArgs::default(),
            },
        )))
    }
}

pub(crate) fn import(home: &Home, args: ImportArgs, client: Client) -> anyhow::Result<ExitCode> {
    let json_out = args.out.json();
    let root = match (args.root, client) {
        (Some(r), _) => r,
        (None, Client::Codex) => home::codex_home()
            .context("cannot find Codex's folder: set CODEX_HOME or HOME")?
            .join("sessions"),
        (None, Client::Claude) => home::claude_home()
            .context("cannot find Claude Code's folder: set CLAUDE_CONFIG_DIR or HOME")?
            .join("projects"),
    };
    let since_days = (!args.all_history).then_some(args.since_days);
    let db = home.recall_db();
    // A damaged index is moved aside as a hook would (a first run cut short is
    // replaced quietly), and the import goes on into a fresh one.
    let mut store = match heal::open_or_heal(home, now_ms()) {
        Ok((s, moved)) => {
            if let Some((to, why)) = moved {
                eprintln!(
                    "csep: the recall index was damaged ({why}) and was moved to {}; importing \
                     into a fresh one. `csep recall rebuild` restores the sessions it held",
                    to.display()
                );
            }
            s
        }
        Err(heal::HealError::Store(e)) => return Err(store_failure(&e, &db).into()),
        Err(e) => {
            return Err(Failure::failed("recall-error", e.to_string())
                .hint("csep status shows the state of the index")
                .into());
        }
    };
    let started = std::time::Instant::now();
    let options = ImportOptions {
        since_days,
        limit_files: args.limit_files,
        progress: true,
    };
    let report = recall::bootstrap_with(&mut store, &root, client, &options, SystemTime::now());
    let seconds = started.elapsed().as_secs_f64();
    let command = match client {
        Client::Codex => "recall bootstrap",
        Client::Claude => "recall sync-claude",
    };
    if json_out {
        let mut v = serde_json::to_value(&report)?;
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["status"] = json!(if report.error_count == 0 {
            "completed"
        } else {
            "completed_with_errors"
        });
        v["command"] = json!(command);
        v["since_days"] = json!(since_days);
        v["limit_files"] = json!(args.limit_files);
        v["seconds"] = json!((seconds * 1000.0).round() / 1000.0);
        v["db_path"] = json!(store.path());
        if let Some(h) = errors_hint(&report.errors, &db) {
            v["hint"] = json!(h);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{command}: {}", report.root.display());
        println!("  processed files     {}", report.processed_files);
        println!("  new sessions        {}", report.new_sessions);
        println!("  updated sessions    {}", report.updated_sessions);
        println!("  unchanged sessions  {}", report.unchanged_sessions);
        println!("  skipped sessions    {}", report.skipped_sessions);
        println!("  forgotten sessions  {}", report.forgotten_sessions);
        println!("  redacted secrets    {}", report.redactions);
        print_errors(report.error_count, &report.errors, &db);
    }
    Ok(exit_for(report.error_count))
}

fn print_errors(count: usize, errors: &[csep::recall::FileError], db: &Path) {
    println!("  errors              {count}");
    for e in errors {
        println!("    {}: {}", e.path.display(), e.error);
    }
    if let Some(h) = errors_hint(errors, db) {
        eprintln!("csep: {h}");
    }
}

/// A run that reports errors did not do all it was asked.
fn exit_for(error_count: usize) -> ExitCode {
    if error_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The fix for the errors of an import or a rebuild, when they share a known fault.
fn errors_hint(errors: &[recall::FileError], db: &Path) -> Option<String> {
    if errors.is_empty() {
        return None;
    }
    let said = |needle: &str| errors.iter().any(|e| e.error.contains(needle));
    let fault = if said("disk is full") || fault::device_full(db) {
        Fault::NoSpace
    } else if said("malformed") || said("not a database") {
        Fault::Damaged
    } else if said("ermission denied") || said("readonly database") {
        Fault::PermissionDenied
    } else {
        return Some(format!(
            "{} transcripts could not be imported (listed above); run the command again \
             once they are readable: what was imported is kept",
            errors.len()
        ));
    };
    Some(fault.explain(db))
}

pub(crate) fn rebuild(home: &Home, background: bool, out: OutputArgs) -> anyhow::Result<ExitCode> {
    let db = home.recall_db();
    let wait = if background {
        Duration::ZERO
    } else {
        if heal::rebuilding(&db) && !out.json() {
            eprintln!("csep: waiting for the rebuild already running in the background");
        }
        Duration::from_secs(24 * 3600)
    };
    let report = match heal::rebuild(home, SystemTime::now(), wait) {
        Ok(Some(report)) => report,
        Ok(None) => return Ok(ExitCode::SUCCESS),
        Err(heal::HealError::Store(e)) => return Err(store_failure(&e, &db).into()),
        Err(e) => {
            return Err(Failure::failed("rebuild-failed", e.to_string())
                .hint("csep status shows the state of the index")
                .into());
        }
    };
    if background {
        return Ok(ExitCode::SUCCESS);
    }
    match out.json() {
        true => {
            let mut v = serde_json::to_value(&report)?;
            v["schema_version"] = json!(SCHEMA_VERSION);
            v["status"] = json!(if report.error_count == 0 {
                "completed"
            } else {
                "completed_with_errors"
            });
            v["db_path"] = json!(db);
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        false => {
            println!("recall rebuild: {}", db.display());
            if let Some(m) = &report.moved_aside {
                println!("  moved aside         {} (damaged)", m.display());
            }
            for source in &report.sources {
                println!("  from                {source}");
            }
            println!("  transcripts read    {}", report.transcripts);
            println!("  no longer on disk   {}", report.missing);
            println!("  new sessions        {}", report.new_sessions);
            println!("  updated sessions    {}", report.updated_sessions);
            print_errors(report.error_count, &report.errors, &db);
        }
    }
    Ok(exit_for(report.error_count))
}
