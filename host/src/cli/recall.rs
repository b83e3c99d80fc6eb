//! `csep recall`: search past sessions, list recent ones, show one, import transcripts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::Format;
use csep::bucket::Bucket;
use csep::fault::{self, Fault};
use csep::home::{self, Home};
use csep::recall::{self, SearchQuery, SessionHits, Store, StoreError, heal};
use csep::timefmt::{now_ms, parse_date, rfc3339};
use csep::transcript::Client;

/// The JSON shape's version: bumped on any change an agent could trip on.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RecallArgs {
    #[command(subcommand)]
    command: Option<RecallCommand>,

    /// Needles separated by `|`: file names, commands, error text, symbols, the user's words.
    query: Vec<String>,

    /// Search every repo, not only the current one.
    #[arg(long)]
    global: bool,
    /// The folder whose repo to search (default: the current folder).
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Sessions to show.
    #[arg(long, default_value_t = 5)]
    limit: usize,
    /// Only sessions active since then: `7d`, `12h` or `2026-11-01`.
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    #[arg(long, value_enum)]
    client: Option<ClientArg>,
    /// The latest sessions instead of a search.
    #[arg(long)]
    recent: bool,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientArg {
    Codex,
    Claude,
}

impl ClientArg {
    fn name(self) -> &'static str {
        match self {
            ClientArg::Codex => "codex",
            ClientArg::Claude => "claude",
        }
    }
}

#[derive(Subcommand)]
enum RecallCommand {
    /// The messages of one session, or the context around one message.
    Show {
        session_id: String,
        /// A message id from a search hit: show only the messages around it.
        #[arg(long, value_name = "MESSAGE_ID")]
        around: Option<i64>,
        /// Messages on each side with `--around`.
        #[arg(long, default_value_t = 5)]
        context: usize,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long)]
        json: bool,
    },
    /// Import Codex transcripts (`$CODEX_HOME/sessions`), newest first.
    Bootstrap(ImportArgs),
    /// Import Claude Code transcripts (`$CLAUDE_CONFIG_DIR/projects`), newest first.
    SyncClaude(ImportArgs),
    /// Rebuild the index from the transcripts on disk: a damaged index is moved
    /// aside first (never deleted), then every transcript it had recorded is read
    /// again (or, when none can be read, every Codex and Claude Code transcript).
    Rebuild {
        /// Started by a hook: give way to a rebuild already running, print nothing.
        #[arg(long, hide = true)]
        background: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ImportArgs {
    /// Only transcripts modified in the last N days.
    #[arg(long, default_value_t = 30, conflicts_with = "all_history")]
    since_days: u64,
    /// Every transcript, however old.
    #[arg(long)]
    all_history: bool,
    /// Another folder to import from.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[arg(long)]
    json: bool,
}

fn format_of(format: Format, json: bool) -> Format {
    if json { Format::Json } else { format }
}

/// A typed error: on stdout as JSON for agents, on stderr as text for people.
struct Failure {
    kind: &'static str,
    message: String,
    hint: String,
}

/// A recall-index error as a failure naming the fault and its fix.
fn store_failure(e: &StoreError, db: &Path) -> Failure {
    let fault = e.fault(db);
    Failure {
        kind: fault.map_or("recall-error", |f| f.kind()),
        message: e.explain(db),
        hint: match fault {
            Some(Fault::Damaged) => "csep recall rebuild".into(),
            Some(Fault::NoSpace) => "free space on that device, then run the command again".into(),
            Some(Fault::PermissionDenied) => format!("make {} writable by you", db.display()),
            None => "csep status shows the state of the index".into(),
        },
    }
}

/// What happened to the index, when it was moved aside and not yet rebuilt.
fn damage_notice(db: &Path) -> Option<String> {
    let d = heal::notice(db)?;
    let rebuild = if heal::rebuilding(db) {
        "a rebuild is running in the background; until it ends, search covers only sessions \
         archived since"
    } else {
        "run `csep recall rebuild` to restore search of older sessions"
    };
    Some(format!(
        "the recall index was damaged at {} ({}) and moved to {}; {rebuild}",
        d.at,
        d.why,
        d.moved_to.display()
    ))
}

fn fail(format: Format, f: Failure) -> ExitCode {
    match format {
        Format::Json => println!(
            "{}",
            json!({
                "schema_version": SCHEMA_VERSION,
                "status": "error",
                "error": {"kind": f.kind, "message": f.message, "hint": f.hint},
            })
        ),
        Format::Text => eprintln!("csep: {}\nhint: {}", f.message, f.hint),
    }
    ExitCode::from(2)
}

pub fn run(args: RecallArgs, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(anyhow::Error::msg)?;
    match args.command {
        Some(RecallCommand::Show {
            session_id,
            around,
            context,
            format,
            json,
        }) => show(&home, &session_id, around, context, format_of(format, json)),
        Some(RecallCommand::Bootstrap(a)) => import(&home, a, Client::Codex),
        Some(RecallCommand::SyncClaude(a)) => import(&home, a, Client::Claude),
        Some(RecallCommand::Rebuild {
            background,
            format,
            json,
        }) => rebuild(&home, background, format_of(format, json)),
        None => search(&home, args),
    }
}

fn parse_since(s: &str, now_ms: u64) -> Option<u64> {
    let hours = |n: &str, per: u64| {
        n.parse::<u64>()
            .ok()
            .map(|n| now_ms.saturating_sub(n * per))
    };
    if let Some(n) = s.strip_suffix('d') {
        hours(n, 86_400_000)
    } else if let Some(n) = s.strip_suffix('h') {
        hours(n, 3_600_000)
    } else {
        parse_date(s)
    }
}

fn search(home: &Home, args: RecallArgs) -> anyhow::Result<ExitCode> {
    let format = format_of(args.format, args.json);
    let query = args.query.join(" ");
    let needles = recall::parse_needles(&query);
    if needles.is_empty() && !args.recent {
        return Ok(fail(
            format,
            Failure {
                kind: "missing-query",
                message: "csep recall needs a query unless --recent is given".into(),
                hint: "csep recall \"needle1|needle2\", or csep recall --recent".into(),
            },
        ));
    }
    let since_ms = match &args.since {
        None => None,
        Some(s) => match parse_since(s, now_ms()) {
            Some(v) => Some(v),
            None => {
                return Ok(fail(
                    format,
                    Failure {
                        kind: "bad-since",
                        message: format!("--since {s:?} is not a duration or a date"),
                        hint: "use 7d, 12h or 2026-11-01".into(),
                    },
                ));
            }
        },
    };
    let cwd = match &args.cwd {
        Some(d) => d.clone(),
        None => std::env::current_dir().context("reading the current folder")?,
    };
    let bucket = Bucket::resolve(&cwd);
    let scope = if args.global { "global" } else { "repo" };
    let db = home.recall_db();
    let notice = damage_notice(&db);
    let store = match Store::open_existing(&db) {
        Ok(s) => s,
        Err(e) => return Ok(fail(format, store_failure(&e, &db))),
    };
    let results = match &store {
        None => Ok(Vec::new()),
        Some(store) if args.recent => store.recent(
            (!args.global).then_some(bucket.id.as_str()),
            args.client.map(ClientArg::name),
            args.limit,
        ),
        Some(store) => store.search(&SearchQuery {
            needles: needles.clone(),
            bucket: (!args.global).then(|| bucket.id.clone()),
            limit: args.limit,
            since_ms,
            client: args.client.map(|c| c.name().to_string()),
        }),
    };
    let results = match results {
        Ok(r) => r,
        Err(e) => return Ok(fail(format, store_failure(&e, &db))),
    };
    match format {
        Format::Json => {
            let v = json!({
                "schema_version": SCHEMA_VERSION,
                "status": if results.is_empty() { "no_match" } else { "matched" },
                "query": query,
                "needles": needles,
                "recent": args.recent,
                "scope": scope,
                "repo": bucket.key_path,
                "count": results.len(),
                "results": results.iter().map(session_json).collect::<Vec<_>>(),
            });
            let mut v = v;
            if let Some(n) = &notice {
                v["notice"] = json!(n);
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Text => {
            if let Some(n) = &notice {
                eprintln!("csep: note: {n}");
            }
            print_text(&results, scope, &bucket, store.is_none())
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn when(ms: Option<u64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(rfc3339(ms)))
}

fn session_json(s: &SessionHits) -> Value {
    json!({
        "session_id": s.session_id,
        "client": s.client,
        "title": s.title,
        "started_at": when(s.started_ms),
        "ended_at": when(s.ended_ms),
        "repo": s.repo,
        "cwd": s.cwd,
        "branch": s.branch,
        "transcript_paths": s.transcript_paths,
        "score": s.score,
        "hit_count": s.hit_count,
        "hits": s.hits.iter().map(|h| json!({
            "message_id": h.message_id,
            "role": h.role,
            "tool_name": h.tool_name,
            "at": when(h.at_ms),
            "snippet": h.snippet,
            "matched_by": h.matched_by,
        })).collect::<Vec<_>>(),
    })
}

fn print_text(results: &[SessionHits], scope: &str, bucket: &Bucket, no_db: bool) {
    if results.is_empty() {
        let why = if no_db {
            "no sessions indexed yet (csep recall bootstrap imports past Codex sessions)"
                .to_string()
        } else if scope == "repo" {
            format!("no match in {} (try --global)", bucket.key_path.display())
        } else {
            "no match".to_string()
        };
        println!("{why}");
        return;
    }
    for (i, s) in results.iter().enumerate() {
        let date = s.ended_ms.or(s.started_ms).map(rfc3339).unwrap_or_default();
        let branch = s
            .branch
            .as_deref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        println!(
            "{}. {date}  {}  {}  {}{branch}",
            i + 1,
            s.client,
            s.session_id,
            s.repo
        );
        if let Some(t) = &s.title {
            println!("   {t}");
        }
        for h in &s.hits {
            let role = match &h.tool_name {
                Some(t) => format!("{}:{t}", h.role),
                None => h.role.clone(),
            };
            println!("   [{role}] #{} {}", h.message_id, h.snippet);
        }
        if s.hit_count > s.hits.len() {
            println!("   … {} more hits", s.hit_count - s.hits.len());
        }
        for p in &s.transcript_paths {
            println!("   transcript: {p}");
        }
    }
}

fn show(
    home: &Home,
    session_id: &str,
    around: Option<i64>,
    context: usize,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let db = home.recall_db();
    let found = match Store::open_existing(&db).and_then(|s| match s {
        Some(store) => store.show(session_id, around, context),
        None => Ok(None),
    }) {
        Ok(found) => found,
        Err(e) => return Ok(fail(format, store_failure(&e, &db))),
    };
    let Some((session, messages)) = found else {
        return Ok(fail(
            format,
            Failure {
                kind: "unknown-session",
                message: format!("no indexed session has the id {session_id:?}"),
                hint: "take a session id from csep recall or csep recall --recent".into(),
            },
        ));
    };
    match format {
        Format::Json => {
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
        }
        Format::Text => {
            println!(
                "{}  {}  {}",
                session.client, session.session_id, session.repo
            );
            for m in &messages {
                let role = match &m.tool_name {
                    Some(t) => format!("{}:{t}", m.role),
                    None => m.role.clone(),
                };
                let at = m.at_ms.map(rfc3339).unwrap_or_default();
                println!("\n#{} [{role}] {at}\n{}", m.message_id, m.text);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import(home: &Home, args: ImportArgs, client: Client) -> anyhow::Result<ExitCode> {
    let format = format_of(args.format, args.json);
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
        Err(heal::HealError::Store(e)) => return Ok(fail(format, store_failure(&e, &db))),
        Err(e) => {
            return Ok(fail(
                format,
                Failure {
                    kind: "recall-error",
                    message: e.to_string(),
                    hint: "csep status shows the state of the index".into(),
                },
            ));
        }
    };
    let started = std::time::Instant::now();
    let report = recall::bootstrap(&mut store, &root, client, since_days, SystemTime::now());
    let seconds = started.elapsed().as_secs_f64();
    let command = match client {
        Client::Codex => "recall bootstrap",
        Client::Claude => "recall sync-claude",
    };
    match format {
        Format::Json => {
            let mut v = serde_json::to_value(&report)?;
            v["schema_version"] = json!(SCHEMA_VERSION);
            v["status"] = json!(if report.error_count == 0 {
                "completed"
            } else {
                "completed_with_errors"
            });
            v["command"] = json!(command);
            v["since_days"] = json!(since_days);
            v["seconds"] = json!((seconds * 1000.0).round() / 1000.0);
            v["db_path"] = json!(store.path());
            if let Some(h) = errors_hint(&report.errors, &db) {
                v["hint"] = json!(h);
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Text => {
            println!("{command}: {}", report.root.display());
            println!("  processed files     {}", report.processed_files);
            println!("  new sessions        {}", report.new_sessions);
            println!("  updated sessions    {}", report.updated_sessions);
            println!("  unchanged sessions  {}", report.unchanged_sessions);
            println!("  skipped sessions    {}", report.skipped_sessions);
            println!("  redacted secrets    {}", report.redactions);
            println!("  errors              {}", report.error_count);
            for e in &report.errors {
                println!("    {}: {}", e.path.display(), e.error);
            }
            if let Some(h) = errors_hint(&report.errors, &db) {
                eprintln!("csep: {h}");
            }
        }
    }
    // A run that reports errors did not do all it was asked.
    Ok(if report.error_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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

fn rebuild(home: &Home, background: bool, format: Format) -> anyhow::Result<ExitCode> {
    let db = home.recall_db();
    let wait = if background {
        Duration::ZERO
    } else {
        if heal::rebuilding(&db) && matches!(format, Format::Text) {
            eprintln!("csep: waiting for the rebuild already running in the background");
        }
        Duration::from_secs(24 * 3600)
    };
    let report = match heal::rebuild(home, SystemTime::now(), wait) {
        Ok(Some(report)) => report,
        Ok(None) => return Ok(ExitCode::SUCCESS),
        Err(heal::HealError::Store(e)) => return Ok(fail(format, store_failure(&e, &db))),
        Err(e) => {
            return Ok(fail(
                format,
                Failure {
                    kind: "rebuild-failed",
                    message: e.to_string(),
                    hint: "csep status shows the state of the index".into(),
                },
            ));
        }
    };
    if background {
        return Ok(ExitCode::SUCCESS);
    }
    match format {
        Format::Json => {
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
        Format::Text => {
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
            println!("  errors              {}", report.error_count);
            for e in &report.errors {
                println!("    {}: {}", e.path.display(), e.error);
            }
            if let Some(h) = errors_hint(&report.errors, &db) {
                eprintln!("csep: {h}");
            }
        }
    }
    Ok(if report.error_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
