//! `csep recall`: search past sessions, list recent ones, show one, import transcripts,
//! forget sessions and redact the index again.

mod import;
mod manage;
mod search;
mod show;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::{Failure, OutputArgs};
use csep::fault::Fault;
use csep::home::Home;
use csep::recall::{MIN_PREFIX, SessionLookup, Store, StoreError, heal};

pub use super::output::SCHEMA_VERSION;

/// How a query matches, after the flags in `--help`.
const MATCHING: &str = "\
A query is one or more needles separated by `|`; a session matches when any needle does.
By default a needle is a phrase: its words side by side, in order (`worker timeout retry`
finds that phrase, in any case, across punctuation: `parse config` finds `parse_config`).
With --all-terms every word of a needle must be in one message, in any order, and a
\"quoted phrase\" inside it stays a phrase. Results are the best --limit sessions, newest and
best first; the match is marked (bold on a terminal, >>>like this<<< otherwise, character
`spans` in JSON).

Windows of messages around the hits (--before/--after/--windows-per-session, capped by
--budget-chars/--message-chars/--tool-message-chars) are shown when any of those flags is
given; the original tool always showed them. Session ids may be shortened to a unique
prefix of 4 characters or more wherever one is taken.";

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, after_help = MATCHING)]
pub struct RecallArgs {
    #[command(subcommand)]
    command: Option<RecallCommand>,

    /// Needles separated by `|`: file names, commands, error text, symbols, the user's words.
    query: Vec<String>,

    // Boxed: the flags would make `csep`'s command enum large.
    #[command(flatten)]
    search: Box<search::SearchFlags>,

    #[command(flatten)]
    import: Box<import::ImportFlags>,

    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Subcommand)]
enum RecallCommand {
    /// The messages of one session (paged on a terminal), or those around one message.
    Show(show::ShowArgs),
    /// Import Codex transcripts (`$CODEX_HOME/sessions`), newest first.
    Bootstrap(import::ImportArgs),
    /// Import Claude Code transcripts (`$CLAUDE_CONFIG_DIR/projects`), newest first.
    SyncClaude(import::ImportArgs),
    /// Rebuild the index from the transcripts on disk: a damaged index is moved
    /// aside first (never deleted), then every transcript it had recorded is read
    /// again (or, when none can be read, every Codex and Claude Code transcript).
    Rebuild {
        /// Started by a hook: give way to a rebuild already running, print nothing.
        #[arg(long, hide = true)]
        background: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Remove sessions from the index (messages, full-text entries, transcript rows) and
    /// keep them out of later imports, rebuilds and Stop archives.
    Forget(manage::ForgetArgs),
    /// Apply the current redaction rules again to everything already indexed.
    Redact {
        #[command(flatten)]
        out: OutputArgs,
    },
}

pub fn run(args: RecallArgs, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag)?;
    match args.command {
        Some(RecallCommand::Show(a)) => show::run(&home, a),
        Some(RecallCommand::Bootstrap(a)) => import::import(&home, a, csep::client::Client::Codex),
        Some(RecallCommand::SyncClaude(a)) => {
            import::import(&home, a, csep::client::Client::Claude)
        }
        Some(RecallCommand::Rebuild { background, out }) => import::rebuild(&home, background, out),
        Some(RecallCommand::Forget(a)) => manage::forget(&home, a),
        Some(RecallCommand::Redact { out }) => manage::redact(&home, out),
        None => match args.import.pseudo_command(&args.search)? {
            Some((client, a)) => import::import(&home, a.with_out(args.out), client),
            None => search::run(&home, args.query, *args.search, args.out),
        },
    }
}

/// A recall-index error as a failure naming the fault and its fix.
pub(crate) fn store_failure(e: &StoreError, db: &Path) -> Failure {
    let fault = e.fault(db);
    Failure::failed(fault.map_or("recall-error", |f| f.kind()), e.explain(db)).hint(match fault {
        Some(Fault::Damaged) => "csep recall rebuild".to_string(),
        Some(Fault::NoSpace) => "free space on that device, then run the command again".into(),
        Some(Fault::PermissionDenied) => format!("make {} writable by you", db.display()),
        None => "csep status shows the state of the index".into(),
    })
}

/// What happened to the index, when it was moved aside and not yet rebuilt.
pub(crate) fn damage_notice(db: &Path) -> Option<String> {
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

/// Opens the index for a command that needs one; none yet is "not found".
pub(crate) fn open_index(home: &Home) -> anyhow::Result<(Store, PathBuf)> {
    let db = home.recall_db();
    match Store::open_existing(&db) {
        Ok(Some(s)) => Ok((s, db)),
        Ok(None) => Err(Failure::not_found(
            "no-index",
            format!("no recall index yet at {}", db.display()),
        )
        .hint("csep recall bootstrap imports past Codex sessions")
        .into()),
        Err(e) => Err(store_failure(&e, &db).into()),
    }
}

/// The whole session id a whole id or a unique prefix names: an ambiguous or too
/// short prefix is a usage error, an unknown one "not found".
pub(crate) fn resolve_session(store: &Store, db: &Path, given: &str) -> anyhow::Result<String> {
    match store.find_session(given) {
        Ok(SessionLookup::Found { session_id }) => Ok(session_id),
        Ok(SessionLookup::Ambiguous { candidates }) => Err(Failure::usage(
            "ambiguous-session",
            format!(
                "{given:?} is the start of more than one session id: {}",
                candidates.join(", ")
            ),
        )
        .hint("give more characters of the id")
        .into()),
        Ok(SessionLookup::TooShort) => Err(Failure::usage(
            "short-session-id",
            format!(
                "{given:?} is too short: give at least {MIN_PREFIX} characters of a session id"
            ),
        )
        .hint("csep recall --recent lists session ids")
        .into()),
        Ok(SessionLookup::NotFound) => Err(Failure::not_found(
            "unknown-session",
            format!("no indexed session has an id starting with {given:?}"),
        )
        .hint("take a session id from csep recall or csep recall --recent")
        .into()),
        Err(e) => Err(store_failure(&e, db).into()),
    }
}
