//! `csep recall`: search past sessions, list recent ones, show one, import transcripts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::Format;
use csep::bucket::Bucket;
use csep::home::{self, Home};
use csep::recall::{self, SearchQuery, SessionHits, Store};
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
    hint: &'static str,
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
                hint: "csep recall \"needle1|needle2\", or csep recall --recent",
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
                        hint: "use 7d, 12h or 2026-11-01",
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
    let store = Store::open_existing(&home.recall_db())?;
    let results = match &store {
        None => Vec::new(),
        Some(store) if args.recent => store.recent(
            (!args.global).then_some(bucket.id.as_str()),
            args.client.map(ClientArg::name),
            args.limit,
        )?,
        Some(store) => store.search(&SearchQuery {
            needles: needles.clone(),
            bucket: (!args.global).then(|| bucket.id.clone()),
            limit: args.limit,
            since_ms,
            client: args.client.map(|c| c.name().to_string()),
        })?,
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
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Text => print_text(&results, scope, &bucket, store.is_none()),
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
    let found = match Store::open_existing(&home.recall_db())? {
        Some(store) => store.show(session_id, around, context)?,
        None => None,
    };
    let Some((session, messages)) = found else {
        return Ok(fail(
            format,
            Failure {
                kind: "unknown-session",
                message: format!("no indexed session has the id {session_id:?}"),
                hint: "take a session id from csep recall or csep recall --recent",
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
    let mut store = Store::open(&home.recall_db())?;
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
            v["status"] = json!("completed");
            v["command"] = json!(command);
            v["since_days"] = json!(since_days);
            v["seconds"] = json!((seconds * 1000.0).round() / 1000.0);
            v["db_path"] = json!(store.path());
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
        }
    }
    Ok(ExitCode::SUCCESS)
}
