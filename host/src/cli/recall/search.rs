//! `csep recall QUERY`: the search and `--recent`, as text for people or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};

use super::{SCHEMA_VERSION, damage_notice, store_failure};
use crate::cli::output::{self, Failure, OutputArgs};
use csep::bucket::Bucket;
use csep::client::Client;
use csep::home::Home;
use csep::recall::{
    self, Budget, BudgetUse, MatchMode, SearchOptions, SearchQuery, SessionHits, Store, Window,
    WindowSpec, apply_budget,
};
use csep::timefmt::{now_ms, parse_since, rfc3339};

#[derive(Args)]
pub(crate) struct SearchFlags {
    /// Search every repo, not only the current one.
    #[arg(long)]
    global: bool,
    /// The folder whose repo to search (default: the current folder).
    #[arg(long, value_name = "DIR", value_parser = crate::cli::path_or_empty())]
    cwd: Option<PathBuf>,
    /// Sessions to show: that many whenever that many match (the original defaulted to 3).
    #[arg(long, visible_alias = "top-k", default_value_t = 5, value_name = "N")]
    limit: usize,
    /// Only sessions active since then: a duration back (30m, 12h, 7d, 1w, "2 days"),
    /// today, yesterday, a date (2026-11-01) or a timestamp (2026-11-01T09:30:00Z).
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    #[arg(long, value_enum)]
    client: Option<Client>,
    /// The latest sessions instead of a search.
    #[arg(long)]
    recent: bool,
    /// Every word of a needle anywhere in one message, in any order, instead of the
    /// needle as a phrase; "quoted phrases" inside it stay phrases.
    #[arg(long)]
    all_terms: bool,
    /// Leave this session out (the running one: its text is already in context).
    /// A unique prefix is enough.
    #[arg(long, value_name = "SESSION_ID")]
    current_session_id: Option<String>,
    /// Client-injected context (instructions, environment, skill lists) may match and
    /// shows in windows. The original tool's developer and system messages.
    #[arg(long, visible_alias = "include-system")]
    include_background: bool,
    /// Window: messages before each hit (default 3). Any window or budget flag turns
    /// windows on; the original tool always showed them.
    #[arg(long, value_name = "N")]
    before: Option<usize>,
    /// Window: messages after each hit (default 5).
    #[arg(long, value_name = "N")]
    after: Option<usize>,
    /// Windows per session (default 2): the best hits not inside another's window.
    #[arg(long, value_name = "N")]
    windows_per_session: Option<usize>,
    /// Characters of window text over all results (default 12000, at least 200).
    #[arg(long, value_name = "N")]
    budget_chars: Option<usize>,
    /// Characters of one message in a window (default 1200, at least 80).
    #[arg(long, value_name = "N")]
    message_chars: Option<usize>,
    /// Characters of one tool call or output in a window (default 600, at least 80).
    #[arg(long, value_name = "N")]
    tool_message_chars: Option<usize>,
}

impl SearchFlags {
    pub(crate) fn recent(&self) -> bool {
        self.recent
    }

    /// The windows asked for, when any window or budget flag was given.
    fn windows(&self) -> Option<(WindowSpec, Budget)> {
        let any = self.before.is_some()
            || self.after.is_some()
            || self.windows_per_session.is_some()
            || self.budget_chars.is_some()
            || self.message_chars.is_some()
            || self.tool_message_chars.is_some();
        if !any {
            return None;
        }
        let (w, b) = (WindowSpec::default(), Budget::default());
        Some((
            WindowSpec {
                before: self.before.unwrap_or(w.before),
                after: self.after.unwrap_or(w.after),
                per_session: self.windows_per_session.unwrap_or(w.per_session).max(1),
                include_background: self.include_background,
            },
            Budget {
                budget_chars: self.budget_chars.unwrap_or(b.budget_chars),
                message_chars: self.message_chars.unwrap_or(b.message_chars),
                tool_message_chars: self.tool_message_chars.unwrap_or(b.tool_message_chars),
            }
            .at_least_minimums(),
        ))
    }
}

pub(crate) fn run(
    home: &Home,
    query: Vec<String>,
    f: SearchFlags,
    out: OutputArgs,
) -> anyhow::Result<ExitCode> {
    let query = query.join(" ");
    let needles = recall::parse_needles(&query);
    if needles.is_empty() && !f.recent {
        return Err(Failure::usage(
            "missing-query",
            "csep recall needs a query unless --recent is given",
        )
        .hint("csep recall \"needle1|needle2\", or csep recall --recent")
        .into());
    }
    let since_ms = match &f.since {
        None => None,
        Some(s) => Some(parse_since(s, now_ms()).map_err(|e| {
            Failure::usage("bad-since", format!("--since {e}"))
                .hint("use 30m, 12h, 7d, 1w, yesterday, 2026-11-01 or 2026-11-01T09:30:00Z")
        })?),
    };
    let cwd = match crate::cli::given(f.cwd.clone()) {
        Some(d) => d,
        None => std::env::current_dir().context("reading the current folder")?,
    };
    let bucket = Bucket::resolve(&cwd);
    let scope = if f.global { "global" } else { "repo" };
    let mode = if f.all_terms {
        MatchMode::AllTerms
    } else {
        MatchMode::Phrase
    };
    let db = home.recall_db();
    // `[recall] enabled = false` (the original's `session_recall.enabled`): nothing is searched.
    let enabled = csep::config::Config::load_or_defaults(&home.config_path())
        .0
        .recall
        .enabled;
    let (notice, store) = if enabled {
        let store = Store::open_existing(&db).map_err(|e| store_failure(&e, &db))?;
        (damage_notice(&db), store)
    } else {
        let off = "recall is off (`[recall] enabled = false` in config.toml): nothing was searched";
        (Some(off.to_string()), None)
    };
    let q = SearchQuery {
        needles: needles.clone(),
        bucket: (!f.global).then(|| bucket.id.clone()),
        limit: f.limit,
        since_ms,
        client: f.client,
    };
    let mut results = Vec::new();
    let mut windows: Vec<Vec<Window>> = Vec::new();
    let mut budget_use = None;
    if let Some(store) = &store {
        let exclude = match &f.current_session_id {
            // The running session may not be indexed yet: then there is nothing to leave out.
            Some(id) => match store.find_session(id) {
                Ok(recall::SessionLookup::Found { session_id }) => vec![session_id],
                _ => vec![id.clone()],
            },
            None => Vec::new(),
        };
        let o = SearchOptions {
            mode,
            exclude_sessions: exclude,
            include_background: f.include_background,
        };
        results = if f.recent {
            store.recent_with(&q, &o)
        } else {
            store.search_with(&q, &o)
        }
        .map_err(|e| store_failure(&e, &db))?;
        if let Some((spec, budget)) = f.windows().filter(|_| !f.recent) {
            for r in &results {
                windows.push(
                    store
                        .windows(r, &spec)
                        .map_err(|e| store_failure(&e, &db))?,
                );
            }
            let mut refs: Vec<&mut Vec<Window>> = windows.iter_mut().collect();
            budget_use = Some(apply_budget(&mut refs, &budget));
        }
    }
    let hint = no_match_hint(
        &results,
        &needles,
        mode,
        f.recent,
        f.global,
        store.is_none(),
    );
    if out.json() {
        let mut v = json!({
            "schema_version": SCHEMA_VERSION,
            "status": if results.is_empty() { "no_match" } else { "matched" },
            "query": query,
            "needles": needles,
            "mode": mode,
            "recent": f.recent,
            "scope": scope,
            "repo": bucket.key_path,
            "count": results.len(),
            "results": results.iter().enumerate().map(|(i, r)| {
                let mut v = session_json(r);
                if let Some(w) = windows.get(i) {
                    v["windows"] = windows_json(w);
                }
                v
            }).collect::<Vec<_>>(),
        });
        if let Some(b) = &budget_use {
            v["budget"] = json!(b);
        }
        if let Some(n) = &notice {
            v["notice"] = json!(n);
        }
        if let Some(h) = &hint {
            v["hint"] = json!(h);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        if let Some(n) = &notice {
            eprintln!("csep: note: {n}");
        }
        print_text(
            &results,
            &windows,
            budget_use,
            &bucket,
            scope,
            store.is_none(),
        );
        if let Some(h) = &hint {
            eprintln!("hint: {h}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What to try when nothing matched.
fn no_match_hint(
    results: &[SessionHits],
    needles: &[String],
    mode: MatchMode,
    recent: bool,
    global: bool,
    no_db: bool,
) -> Option<String> {
    if !results.is_empty() || recent || no_db {
        return None;
    }
    let phrase = needles.iter().any(|n| n.split_whitespace().count() > 1);
    if mode == MatchMode::Phrase && phrase {
        return Some(
            "each needle is a phrase (its words side by side); --all-terms finds messages \
             holding all the words in any order"
                .into(),
        );
    }
    (!global).then(|| "--global searches every repo".to_string())
}

pub(crate) fn when(ms: Option<u64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(rfc3339(ms)))
}

pub(crate) fn session_json(s: &SessionHits) -> Value {
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
            "text": h.text,
            "spans": h.spans,
            "needle": h.needle,
            "matched_by": h.matched_by,
        })).collect::<Vec<_>>(),
    })
}

fn windows_json(windows: &[Window]) -> Value {
    json!(
        windows
            .iter()
            .map(|w| json!({
                "anchor_message_id": w.anchor_message_id,
                "messages": w.messages.iter().map(|m| json!({
                    "message_id": m.message_id,
                    "role": m.role,
                    "tool_name": m.tool_name,
                    "at": when(m.at_ms),
                    "is_error": m.is_error,
                    "anchor": m.anchor,
                    "truncated": m.truncated,
                    "text": m.text,
                })).collect::<Vec<_>>(),
            }))
            .collect::<Vec<_>>()
    )
}

/// How matches are marked in text: bold on a terminal that takes colour, markers
/// otherwise.
fn marks() -> (&'static str, &'static str) {
    if output::colour_stdout() {
        ("\x1b[1m", "\x1b[22m")
    } else {
        (">>>", "<<<")
    }
}

fn print_text(
    results: &[SessionHits],
    windows: &[Vec<Window>],
    budget: Option<BudgetUse>,
    bucket: &Bucket,
    scope: &str,
    no_db: bool,
) {
    if results.is_empty() {
        let why = if no_db {
            "no sessions indexed yet (csep recall bootstrap imports past Codex sessions)"
                .to_string()
        } else if scope == "repo" {
            format!("no match in {}", bucket.key_path.display())
        } else {
            "no match".to_string()
        };
        println!("{why}");
        return;
    }
    let (open, close) = marks();
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
            let snippet = recall::Snippet {
                text: h.text.clone(),
                spans: h.spans.clone(),
            };
            println!(
                "   [{}] #{} {}",
                role_label(&h.role, h.tool_name.as_deref()),
                h.message_id,
                snippet.marked(open, close)
            );
        }
        if s.hit_count > s.hits.len() {
            println!("   … {} more hits", s.hit_count - s.hits.len());
        }
        for w in windows.get(i).map(Vec::as_slice).unwrap_or_default() {
            println!("   --- around #{}", w.anchor_message_id);
            for m in &w.messages {
                let mark = if m.anchor { ">" } else { " " };
                println!(
                    "   {mark} #{} [{}] {}",
                    m.message_id,
                    role_label(&m.role, m.tool_name.as_deref()),
                    indent(&m.text)
                );
            }
        }
        for p in &s.transcript_paths {
            println!("   transcript: {p}");
        }
    }
    if let Some(b) = budget {
        let cut = if b.truncated { " (truncated)" } else { "" };
        println!("budget: {}/{} chars{cut}", b.used_chars, b.budget_chars);
    }
}

pub(crate) fn role_label(role: &str, tool: Option<&str>) -> String {
    match tool {
        Some(t) => format!("{role}:{t}"),
        None => role.to_string(),
    }
}

fn indent(text: &str) -> String {
    text.trim_end().replace('\n', "\n       ")
}
