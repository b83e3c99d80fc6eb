//! `csep memory`: what reflection jobs changed, and undoing a job's changes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;

use super::output::{Failure, OutputArgs};
use csep::bucket::Bucket;
use csep::home::Home;
use csep::reflect::history;
use csep::reflect::receipt::Receipt;

#[derive(Subcommand)]
pub enum MemoryCommand {
    /// Receipts of reflection jobs, newest first (this repo's, or --all).
    History {
        #[arg(long)]
        all: bool,
        /// The folder whose repo to list (default: the current folder).
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// What a job changed, as a unified diff of each file before and after it.
    Diff {
        /// A job id from `csep memory history`, or a receipt.json path.
        receipt: String,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Restores the files a job changed as they were before it. Refuses, changing
    /// nothing, when one of them was edited since.
    Revert {
        /// A job id from `csep memory history`, or a receipt.json path.
        receipt: String,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Why a line of memory exists: the jobs that wrote entries holding TEXT, and
    /// the session messages each one quoted as its evidence.
    Why {
        /// Words of the entry (case and spacing do not matter).
        text: String,
        /// Search every repo's receipts, not just this one's.
        #[arg(long)]
        all: bool,
        /// The folder whose repo to search (default: the current folder).
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
    },
}

/// One file's change as a unified diff (`a/memory/MEMORY.md` → `b/…`).
pub(super) fn unified_diff(d: &history::FileDiff) -> String {
    let name = format!("{}/{}", d.area, d.path);
    let before = d.before.as_deref().unwrap_or_default();
    let after = d.after.as_deref().unwrap_or_default();
    let text = similar::TextDiff::from_lines(before, after);
    text.unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

pub(super) fn print_diff(d: &history::FileDiff) {
    print!("{}", unified_diff(d));
}

/// A job named on the command line: not found (exit 3) when no such run exists, a
/// failure when its receipt cannot be read.
fn find(home: &Home, which: &str) -> anyhow::Result<(PathBuf, Receipt)> {
    history::find(home, which).map_err(|e| {
        let exists = Path::new(which).exists()
            || (!which.contains('/') && history::runs_path(home).join(which).exists());
        if exists {
            Failure::failed("unreadable-receipt", e.to_string()).into()
        } else {
            Failure::not_found("unknown-job", e.to_string())
                .hint("`csep memory history` lists the jobs")
                .into()
        }
    })
}

pub fn run(cmd: MemoryCommand, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home)?;
    let bucket_of = |all: bool, cwd: Option<PathBuf>| -> anyhow::Result<Option<String>> {
        if all {
            return Ok(None);
        }
        let cwd = match cwd {
            Some(c) => c,
            None => std::env::current_dir()?,
        };
        Ok(Some(Bucket::resolve(&cwd).id))
    };
    match cmd {
        MemoryCommand::Why {
            text,
            all,
            cwd,
            out,
        } => {
            let hits = history::why(&home, bucket_of(all, cwd)?.as_deref(), &text);
            if out.json() {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else if hits.is_empty() {
                println!("no committed entry holding {text:?} has recorded evidence here");
            } else {
                for h in &hits {
                    let e = &h.entry;
                    let section = if e.section.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", e.section)
                    };
                    let reverted = if h.reverted { " (reverted since)" } else { "" };
                    println!("{}  ({}{section})", e.entry, e.path);
                    println!(
                        "  written by job {} at {}{reverted}, from session {}",
                        h.job_id, h.finished_at, h.session_id
                    );
                    for q in &e.quotes {
                        println!(
                            "  #{} {} ({}): {:?}",
                            q.message_id,
                            q.role,
                            csep::reflect::evidence::source_name(q.source),
                            q.text
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MemoryCommand::History { all, cwd, out } => {
            let bucket = bucket_of(all, cwd)?;
            let list = history::list(&home, bucket.as_deref());
            // Listed whatever their repo: an unreadable receipt names none.
            let broken = history::unreadable(&home);
            if out.json() {
                let mut items: Vec<_> = list
                    .iter()
                    .map(|(dir, r)| json!({"run_dir": dir, "receipt": r}))
                    .collect();
                items.extend(
                    broken
                        .iter()
                        .map(|(dir, e)| json!({"run_dir": dir, "receipt": null, "unreadable": e})),
                );
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else if list.is_empty() && broken.is_empty() {
                println!("no reflection has changed memory or skills here yet");
            } else {
                for (_, r) in &list {
                    let reverted = r.reverted_at.as_ref().map(|_| " (reverted)").unwrap_or("");
                    println!(
                        "{}  {}{}  {} accepted, {} rejected  {}",
                        r.job_id,
                        r.status.name(),
                        reverted,
                        r.accepted.len(),
                        r.rejected.len(),
                        r.finished_at
                    );
                    for f in &r.accepted {
                        println!("    {:?} {}/{}", f.kind, f.area, f.path);
                    }
                    for x in &r.rejected {
                        println!("    rejected {}/{}: {}", x.area, x.path, x.reason);
                    }
                }
                for (dir, e) in &broken {
                    let job = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?");
                    println!("{job}  UNREADABLE RECEIPT  {e}");
                }
            }
            if !broken.is_empty() {
                eprintln!(
                    "csep: {} receipt(s) cannot be read (listed as unreadable); their run \
                     folders keep the backup and journal: look at them before removing anything",
                    broken.len()
                );
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        MemoryCommand::Diff { receipt, out } => {
            let (dir, r) = find(&home, &receipt)?;
            let diffs = history::diff(&dir, &r);
            if out.json() {
                let files: Vec<_> = diffs
                    .iter()
                    .map(|d| {
                        json!({
                            "area": d.area, "path": d.path, "before": d.before,
                            "after": d.after, "diff": unified_diff(d),
                        })
                    })
                    .collect();
                let v = json!({"job_id": r.job_id, "run_dir": dir, "files": files});
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for d in &diffs {
                    print_diff(d);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MemoryCommand::Revert { receipt, out } => {
            let (dir, mut r) = find(&home, &receipt)?;
            let done = history::revert(&dir, &mut r)
                .map_err(|e| Failure::failed("revert-refused", e.to_string()))?;
            if out.json() {
                let v = json!({"job_id": r.job_id, "run_dir": dir, "reverted": done});
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "reverted job {}: {} restored, {} removed",
                    r.job_id,
                    done.restored.len(),
                    done.removed.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
