//! The original tool's commands, with this project's behaviour:
//! `session-archive` (one transcript into the recall index), `session-ingest
//! --backfill` (every transcript under a folder), and the Stop payload path of
//! `session-reflect --hook-payload`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;
use serde_json::{Value, json};

use super::output::{Failure, OutputArgs, SCHEMA_VERSION};
use csep::home::{self, Home};
use csep::recall::{BucketCache, Outcome, Store, heal};
use csep::timefmt::now_ms;

#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["from_hook_payload", "transcript_path"])))]
pub struct ArchiveArgs {
    /// A Stop hook payload (JSON) naming the transcript (`transcript_path`).
    #[arg(long, value_name = "FILE")]
    from_hook_payload: Option<PathBuf>,
    /// Delete the payload file once read (even when reading it fails).
    #[arg(long, requires = "from_hook_payload")]
    cleanup_payload: bool,
    /// The transcript to archive (with --cwd and --session-id).
    #[arg(long, value_name = "FILE", requires_all = ["cwd", "session_id"])]
    transcript_path: Option<PathBuf>,
    /// The session's folder. Kept for the original's command line: the folder
    /// recorded is the one the transcript names, when it names one.
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// The session's id. Kept for the original's command line: the id recorded is
    /// the one the transcript names.
    #[arg(long, value_name = "ID")]
    session_id: Option<String>,
    /// The original's JSON output (`status`: archived or skipped).
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Args)]
pub struct IngestArgs {
    /// Required, as in the original: import every transcript under --root.
    #[arg(long, required = true)]
    backfill: bool,
    /// The folder to import (default: $CODEX_HOME/sessions).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Kept for the original's command line; sessions are filed under the folder
    /// each transcript names.
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Only transcripts modified in the last N days (default: all, as in the original).
    #[arg(long, value_name = "N")]
    since_days: Option<u64>,
    /// At most N transcripts, newest first.
    #[arg(long, value_name = "N")]
    limit_files: Option<usize>,
    #[command(flatten)]
    out: OutputArgs,
}

fn open_store(home: &Home) -> anyhow::Result<Store> {
    let (store, moved) = heal::open_or_heal(home, now_ms()).map_err(|e| {
        Failure::failed("recall-error", e.to_string())
            .hint("csep status shows the state of the index")
    })?;
    if let Some((to, why)) = moved {
        eprintln!(
            "csep: the recall index was damaged ({why}) and was moved to {}; `csep recall rebuild` restores it",
            to.display()
        );
    }
    Ok(store)
}

/// The transcript a Stop payload names: `transcript_path`, or the original's
/// `codex_transcript_path`.
fn payload_transcript(payload: &Value) -> Option<PathBuf> {
    ["transcript_path", "codex_transcript_path"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}

#[expect(
    clippy::disallowed_methods,
    reason = "removes the payload file the caller named with --cleanup-payload, as the original tool did"
)]
fn read_payload(path: &Path, cleanup: bool) -> anyhow::Result<Value> {
    let read = std::fs::read(path);
    if cleanup {
        let _ = std::fs::remove_file(path);
    }
    let bytes = read.map_err(|e| {
        Failure::not_found("payload", format!("cannot read {}: {e}", path.display()))
    })?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::usage("payload", format!("{} is not JSON: {e}", path.display())))?;
    if !v.is_object() {
        return Err(Failure::usage(
            "payload",
            format!("{} is not a JSON object", path.display()),
        )
        .into());
    }
    Ok(v)
}

pub fn archive(args: ArchiveArgs, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(|e| Failure::usage("home", e.to_string()))?;
    let (transcript, session_id) = match &args.from_hook_payload {
        Some(p) => {
            let payload = read_payload(p, args.cleanup_payload)?;
            let t = payload_transcript(&payload).ok_or_else(|| {
                Failure::usage(
                    "payload",
                    format!("{} names no transcript_path", p.display()),
                )
            })?;
            let sid = ["session_id", "thread_id"]
                .iter()
                .find_map(|k| payload.get(*k).and_then(Value::as_str))
                .map(String::from);
            (t, sid)
        }
        None => (
            args.transcript_path
                .clone()
                .expect("clap requires a source"),
            args.session_id.clone(),
        ),
    };
    if !transcript.is_file() {
        return Err(Failure::not_found(
            "transcript",
            format!("no transcript at {}", transcript.display()),
        )
        .into());
    }
    let mut store = open_store(&home)?;
    let report = store
        .ingest_file(&transcript, None, &mut BucketCache::default())
        .map_err(|e| Failure::failed("archive", e.to_string()))?;
    let (status, outcome) = match report.outcome {
        Outcome::New => ("archived", "new"),
        Outcome::Updated => ("archived", "updated"),
        Outcome::Unchanged => ("archived", "unchanged"),
        Outcome::Skipped => ("skipped", "reflection-session"),
    };
    let session = report.session_id.clone().or(session_id);
    if args.out.json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "schema_version": SCHEMA_VERSION, "status": status, "outcome": outcome,
                "session_id": session, "transcript_path": transcript,
                "new_messages": report.new_messages, "redactions": report.redactions,
                "db_path": home.recall_db(),
            }))?
        );
    } else if status == "skipped" {
        println!(
            "{}: skipped (a reflection worker's own session)",
            transcript.display()
        );
    } else {
        println!(
            "{}: {outcome}, {} new message(s) in {}",
            transcript.display(),
            report.new_messages,
            home.recall_db().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every `*.jsonl` under `root` (symlinks not followed) since the cutoff, newest first.
fn transcripts(root: &Path, since: Option<SystemTime>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(kind) = e.file_type() else { continue };
            let path = e.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|x| x == "jsonl") {
                let mtime = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                if since.is_none_or(|s| mtime >= s) {
                    out.push((path, mtime));
                }
            }
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    out.into_iter().map(|(p, _)| p).collect()
}

pub fn ingest(args: IngestArgs, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(|e| Failure::usage("home", e.to_string()))?;
    let root = match args.root {
        Some(r) => r,
        None => home::codex_home()
            .ok_or_else(|| {
                Failure::usage("home", "cannot find Codex's folder: set CODEX_HOME or HOME")
            })?
            .join("sessions"),
    };
    let since = args
        .since_days
        .map(|d| SystemTime::now() - Duration::from_secs(d.saturating_mul(86_400)));
    let mut files = transcripts(&root, since);
    if let Some(n) = args.limit_files {
        files.truncate(n);
    }
    let mut store = open_store(&home)?;
    let mut buckets = BucketCache::default();
    let (mut new, mut updated, mut unchanged, mut skipped, mut ok) = (0, 0, 0, 0, 0);
    let mut errors = Vec::new();
    for path in &files {
        match store.ingest_file(path, None, &mut buckets) {
            Ok(r) => {
                ok += 1;
                match r.outcome {
                    Outcome::New => new += 1,
                    Outcome::Updated => updated += 1,
                    Outcome::Unchanged => unchanged += 1,
                    Outcome::Skipped => skipped += 1,
                }
            }
            Err(e) => {
                let _ = store.record_error(path, &e.to_string(), now_ms());
                errors.push(json!({"path": path, "error": e.to_string()}));
            }
        }
    }
    let v = json!({
        "schema_version": SCHEMA_VERSION,
        "status": if errors.is_empty() { "completed" } else { "completed_with_errors" },
        "root": root, "since_days": args.since_days, "limit_files": args.limit_files,
        "processed_files": files.len(), "processed_successfully": ok,
        "new_sessions": new, "updated_sessions": updated, "unchanged_sessions": unchanged,
        "skipped_sessions": skipped, "error_count": errors.len(), "errors": errors,
        "db_path": home.recall_db(),
    });
    if args.out.json() {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{} transcript(s) under {}: {new} new, {updated} updated, {unchanged} unchanged, \
             {skipped} skipped, {} error(s)",
            files.len(),
            root.display(),
            v["error_count"]
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `session-reflect --hook-payload FILE`: the Stop hook's work on a saved payload
/// (archive, ask the trigger policy, queue a job when it says so), without starting
/// a detached worker; returns the queued job for the caller to run in the foreground.
pub fn queue_from_payload(home: &Home, path: &Path) -> anyhow::Result<(Option<String>, Value)> {
    let payload = read_payload(path, false)?;
    let bytes = serde_json::to_vec(&payload)?;
    // The job runs here, in the foreground, as the original did.
    // SAFETY: the command line has been parsed and no other thread runs yet.
    unsafe { std::env::set_var("CSEP__REFLECTION__START_WORKER", "false") };
    let record = csep::hooks::session_stop(home, &bytes, false, now_ms())
        .map_err(|e| Failure::failed("session-stop", e.to_string()))?;
    let summary = json!({
        "skipped": record.skipped, "decision": record.decision, "job": record.job,
        "problems": record.problems,
    });
    Ok((record.job.clone(), summary))
}

/// The reason in a `queue_from_payload` summary, in words.
pub fn why_not_queued(summary: &Value) -> String {
    if let Some(s) = summary["skipped"].as_str() {
        return format!("skipped ({s})");
    }
    match summary["decision"].as_str() {
        Some(d) => format!("the trigger policy decided: {d}"),
        None => "the trigger policy did not ask for a reflection".to_string(),
    }
}
