//! The MCP tools, all read-only (`readOnlyHint: true`, which Codex needs to run a tool
//! without asking): search past sessions, open one around a hit, list recent ones,
//! read the repo's memory. A problem is a tool error with a message, never a crash.

use std::path::{Path, PathBuf};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;

use super::memory;
use super::render::{self, Scope, Window};
use super::source::{Filters, Source, SourceError, needles};
use crate::bucket::Bucket;
use crate::client::Client;
use crate::home::Home;
use crate::timefmt::now_ms;

/// Sessions listed by default, and at most.
const DEFAULT_SESSIONS: u32 = 5;
const MAX_SESSIONS: u32 = 20;
/// Characters of message text `open_session` returns by default, and at most.
const DEFAULT_CHARS: u32 = 6_000;
const MAX_CHARS: u32 = 40_000;
/// Messages on each side of the one asked for, by default and at most.
const DEFAULT_CONTEXT: u32 = 3;
const MAX_CONTEXT: u32 = 50;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchArgs {
    /// Needles separated by `|`, any of which may match: file names, commands, error
    /// text, symbols, the user's own words (e.g. "login.rs|401 Unauthorized").
    pub query: String,
    /// Search every repo, not only the current one.
    #[serde(default)]
    pub global: Option<bool>,
    /// A folder of the repo to search (default: the folder the server runs in).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Only sessions active since then: `7d`, `12h` or a date like `2026-11-01`.
    #[serde(default)]
    pub since: Option<String>,
    /// Only sessions of this client: `codex` or `claude`.
    #[serde(default)]
    pub client: Option<String>,
    /// Sessions to list (default 5, at most 20).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RecentArgs {
    /// List sessions of every repo, not only the current one.
    #[serde(default)]
    pub global: Option<bool>,
    /// A folder of the repo to list (default: the folder the server runs in).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Only sessions active since then: `7d`, `12h` or a date like `2026-11-01`.
    #[serde(default)]
    pub since: Option<String>,
    /// Only sessions of this client: `codex` or `claude`.
    #[serde(default)]
    pub client: Option<String>,
    /// Sessions to list (default 5, at most 20).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct OpenArgs {
    /// The session id, or its short id (any unique start of it), from a search.
    pub session: String,
    /// The message number of a hit (`#123` in a search result): show the messages
    /// around it. Without it, the session's first messages.
    #[serde(default)]
    pub message: Option<i64>,
    /// Messages before the one asked for (default 3).
    #[serde(default)]
    pub before: Option<u32>,
    /// Messages after the one asked for (default 3).
    #[serde(default)]
    pub after: Option<u32>,
    /// Characters of message text to return at most (default 6000); longer messages
    /// are cut, the one asked for last.
    #[serde(default)]
    pub max_chars: Option<u32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct MemoryArgs {
    /// A folder of the repo whose memory to read (default: the folder the server runs in).
    #[serde(default)]
    pub cwd: Option<String>,
}

/// The server: a state folder and the folder it was started in.
#[derive(Clone)]
pub struct RecallServer {
    home: Home,
    cwd: PathBuf,
    tool_router: ToolRouter<RecallServer>,
}

fn text(result: String) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(result)])
}

fn tool_error(message: impl std::fmt::Display) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("csep: {message}"))])
}

fn source_error(e: &SourceError) -> CallToolResult {
    match e {
        SourceError::Store { message, hint, .. } => tool_error(format!("{message}; {hint}")),
        SourceError::UnknownSession(_) => tool_error(format!(
            "{e}; take a session id from search_sessions or recent_sessions"
        )),
        SourceError::Ambiguous { .. } => tool_error(e),
    }
}

/// The client filter, checked; a model may write the name in any case.
fn client(c: Option<&str>) -> Result<Option<Client>, CallToolResult> {
    match c.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c.to_ascii_lowercase().parse().map(Some).map_err(|_| {
            tool_error(format!(
                "client {c:?} is not one csep archives; use \"codex\" or \"claude\""
            ))
        }),
    }
}

fn since_ms(s: Option<&str>) -> Result<Option<u64>, CallToolResult> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::timefmt::parse_since(s, now_ms())
            .map(Some)
            .map_err(|e| tool_error(format!("since: {e}"))),
    }
}

fn limit(l: Option<u32>) -> usize {
    l.unwrap_or(DEFAULT_SESSIONS).clamp(1, MAX_SESSIONS) as usize
}

#[tool_router]
impl RecallServer {
    pub fn new(home: Home, cwd: PathBuf) -> RecallServer {
        RecallServer {
            home,
            cwd,
            tool_router: Self::tool_router(),
        }
    }

    /// The folder a `cwd` argument names, relative ones from the server's folder.
    fn folder(&self, cwd: Option<&str>) -> PathBuf {
        match cwd.map(str::trim).filter(|c| !c.is_empty()) {
            None => self.cwd.clone(),
            Some(c) => self.cwd.join(Path::new(c)),
        }
    }

    /// Search past coding sessions (Codex and Claude Code) archived by csep: this repo's
    /// by default. Returns an index of matching sessions (short id, time, client,
    /// title) with their best hits (message number, role, snippet); read a hit in
    /// context with open_session.
    #[tool(annotations(
        title = "Search past sessions",
        read_only_hint = true,
        open_world_hint = false
    ))]
    async fn search_sessions(&self, Parameters(args): Parameters<SearchArgs>) -> CallToolResult {
        let needles = needles(&args.query);
        if needles.is_empty() {
            return tool_error(
                "query is empty; give needles separated by | (file names, commands, error text)",
            );
        }
        let (client, since) = match (
            client(args.client.as_deref()),
            since_ms(args.since.as_deref()),
        ) {
            (Ok(c), Ok(s)) => (c, s),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let global = args.global.unwrap_or(false);
        let bucket = Bucket::resolve(&self.folder(args.cwd.as_deref()));
        let repo = bucket.key_path.display().to_string();
        let source = Source::new(&self.home);
        let filters = Filters {
            bucket: (!global).then_some(bucket.id.as_str()),
            client,
            since_ms: since,
            limit: limit(args.limit),
        };
        let scope = Scope {
            repo: (!global).then_some(repo.as_str()),
        };
        match source.search(needles, &filters) {
            Ok(Some(results)) => text(render::search(
                &args.query,
                &scope,
                &results,
                source.damage_notice().as_deref(),
            )),
            Ok(None) => text(no_index(&source)),
            Err(e) => source_error(&e),
        }
    }

    /// Read one archived session around a hit: the messages before and after a message
    /// number from search_sessions, within a character budget. Takes the session id or
    /// its short id.
    #[tool(annotations(
        title = "Open a past session",
        read_only_hint = true,
        open_world_hint = false
    ))]
    async fn open_session(&self, Parameters(args): Parameters<OpenArgs>) -> CallToolResult {
        let id = args.session.trim().trim_start_matches('#');
        if id.is_empty() {
            return tool_error("session is empty; give a session id or short id from a search");
        }
        let source = Source::new(&self.home);
        let (session, messages) = match source.session(id) {
            Ok(found) => found,
            Err(e) => return source_error(&e),
        };
        let window = Window {
            around: args.message,
            before: args.before.unwrap_or(DEFAULT_CONTEXT).min(MAX_CONTEXT) as usize,
            after: args.after.unwrap_or(DEFAULT_CONTEXT).min(MAX_CONTEXT) as usize,
            max_chars: args
                .max_chars
                .unwrap_or(DEFAULT_CHARS)
                .clamp(200, MAX_CHARS) as usize,
        };
        match render::session(&session, &messages, &window) {
            Ok(t) => text(t),
            Err(e) => tool_error(e),
        }
    }

    /// List the most recent archived sessions of this repo (or of every repo), newest
    /// first, with their short ids for open_session.
    #[tool(annotations(
        title = "Recent sessions",
        read_only_hint = true,
        open_world_hint = false
    ))]
    async fn recent_sessions(&self, Parameters(args): Parameters<RecentArgs>) -> CallToolResult {
        let (client, since) = match (
            client(args.client.as_deref()),
            since_ms(args.since.as_deref()),
        ) {
            (Ok(c), Ok(s)) => (c, s),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let global = args.global.unwrap_or(false);
        let bucket = Bucket::resolve(&self.folder(args.cwd.as_deref()));
        let repo = bucket.key_path.display().to_string();
        let source = Source::new(&self.home);
        let filters = Filters {
            bucket: (!global).then_some(bucket.id.as_str()),
            client,
            since_ms: since,
            limit: limit(args.limit),
        };
        let scope = Scope {
            repo: (!global).then_some(repo.as_str()),
        };
        match source.recent(&filters) {
            Ok(Some(results)) => text(render::recent(
                &scope,
                &results,
                source.damage_notice().as_deref(),
            )),
            Ok(None) => text(no_index(&source)),
            Err(e) => source_error(&e),
        }
    }

    /// Read this repo's memory (MEMORY.md kept by csep) as it is given at session
    /// start: lines holding secrets or injected instructions are withheld.
    #[tool(annotations(
        title = "Read repo memory",
        read_only_hint = true,
        open_world_hint = false
    ))]
    async fn read_memory(&self, Parameters(args): Parameters<MemoryArgs>) -> CallToolResult {
        let m = match memory::read(&self.home, &self.folder(args.cwd.as_deref())) {
            Ok(m) => m,
            Err(e) => return tool_error(e),
        };
        let mut out = format!("# Repository memory (csep) for {}\n\n", m.repo.display());
        if m.text.is_empty() {
            out.push_str("No memory for this repository yet.");
        } else {
            out.push_str(&m.text);
        }
        if !m.withheld.is_empty() {
            let lines: Vec<String> = m
                .withheld
                .iter()
                .map(|(line, why)| format!("line {line} ({why})"))
                .collect();
            out.push_str(&format!(
                "\n\n[withheld from {}: {}]",
                m.path.display(),
                lines.join(", ")
            ));
        }
        text(out)
    }
}

/// What a search says when nothing was ever archived.
fn no_index(source: &Source) -> String {
    let mut out = format!(
        "No sessions are archived yet (there is no recall index at {}). Sessions are \
         archived when they end; `csep recall bootstrap` imports past Codex sessions and \
         `csep recall sync-claude` past Claude Code sessions.",
        source.db_path().display()
    );
    if let Some(n) = source.damage_notice() {
        out.push_str("\nNote: ");
        out.push_str(&n);
    }
    out
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for RecallServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                super::SERVER_NAME,
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Past coding sessions of this repository, archived by csep (redacted). \
                 search_sessions finds them by needles (a|b); open_session reads a hit in \
                 context; recent_sessions lists the latest; read_memory gives the repo's \
                 memory. All tools are read-only.",
            )
    }
}
