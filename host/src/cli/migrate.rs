//! `csep migrate` (alias `migrate-worktrees`): the original tool's state moved into
//! this project's: per-worktree buckets merged into the shared bucket, legacy
//! memory.json read, generated skills adopted, the original's recall index removed
//! on request. Dry run unless --apply.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::output::{Failure, OutputArgs, SCHEMA_VERSION};
use csep::home::{self, Home};
use csep::migrate::{self, IndexAction, Options};
use csep::timefmt::{now_ms, rfc3339};

#[derive(Args)]
pub struct MigrateArgs {
    /// Carry it out (without it: a dry run that writes nothing).
    #[arg(long)]
    apply: bool,
    /// Also remove the original's recall index (session_recall/state.db), once
    /// `csep recall bootstrap` has filled this project's; never by default.
    #[arg(long)]
    remove_original_index: bool,
    /// Put back what the run <STAMP> changed (the name of its folder under
    /// migrate/backups/, printed by --apply): memory restored, buckets renamed back.
    #[arg(long, value_name = "STAMP", conflicts_with_all = ["apply", "remove_original_index"])]
    undo: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

fn stamp() -> String {
    rfc3339(now_ms())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect()
}

pub fn run(args: MigrateArgs, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(|e| Failure::usage("home", e.to_string()))?;
    if let Some(stamp) = &args.undo {
        return undo(&home, stamp, args.out);
    }
    let skills_dir = home::codex_home().map(|h| h.join("skills"));
    let original_skills_dir = std::env::var_os("CSEP_CODEX_SKILLS_DIR")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let opts = Options {
        apply: args.apply,
        remove_original_index: args.remove_original_index,
        skills_dir,
        original_skills_dir,
    };
    let report = migrate::run(&home, &opts, &stamp())
        .map_err(|e| Failure::failed("migrate", e.to_string()))?;
    if args.out.json() {
        let mut v = serde_json::to_value(&report)?;
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["status"] = json!(match (report.changes(), args.apply) {
            (false, _) => "nothing-to-do",
            (true, false) => "planned",
            (true, true) => "applied",
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_text(&report);
    Ok(ExitCode::SUCCESS)
}

fn print_text(r: &migrate::Report) {
    let verb = |done: &'static str, planned: &'static str| if r.applied { done } else { planned };
    if !r.applied && r.changes() {
        println!("dry run: nothing was written (--apply carries it out)");
    }
    for b in &r.buckets {
        println!(
            "bucket {} (worktree {}) {} {}: {} entries added, {} already there, {} differing kept for you to settle{}",
            b.source_bucket,
            b.source_cwd.display(),
            verb("merged into", "would merge into"),
            b.target_bucket,
            b.entries_added,
            b.entries_already_there,
            b.conflicts,
            if b.refs_copied.is_empty() {
                String::new()
            } else {
                format!("; refs: {}", b.refs_copied.join(", "))
            }
        );
        if let Some(a) = &b.archived_as {
            println!("  renamed to {a} (not deleted)");
        }
    }
    for s in &r.skipped {
        println!("bucket {} left as it is: {}", s.bucket, s.reason);
    }
    for l in r.legacy_memory.iter().filter(|l| l.added > 0) {
        println!(
            "{}: {} of {} entries {} {}",
            l.file.display(),
            l.added,
            l.entries,
            verb("added to", "would be added to"),
            l.target_bucket
        );
    }
    for s in &r.skills {
        let what = match s.action {
            "adopted" => verb("adopted where it is", "would be adopted where it is"),
            "already-adopted" => "adopted already",
            "moved" => verb(
                "moved into the skills folder",
                "would move into the skills folder",
            ),
            "same-as-existing" => "a copy of the skill already there; left alone",
            _ => "another skill has this name; left where it is",
        };
        println!("skill {}: {what}", s.name);
    }
    let aside = &r.original_reflection;
    if !aside.moved.is_empty() {
        println!(
            "{} of the original's reflection records (job files, runs, trigger state) {} {}, as they are",
            aside.moved.len(),
            verb("moved to", "would move to"),
            aside.to.display()
        );
    }
    match &r.original_index {
        IndexAction::Absent => {}
        IndexAction::Kept { path, bytes } => println!(
            "{} ({} KiB) belongs to the original and is not read; --remove-original-index removes it",
            path.display(),
            bytes / 1024
        ),
        IndexAction::KeptUntilBootstrap { path, .. } => println!(
            "{} kept: this project's recall index holds no sessions yet; run `csep recall bootstrap` first",
            path.display()
        ),
        IndexAction::Remove { path, bytes } => {
            println!("{} ({} KiB) would be removed", path.display(), bytes / 1024)
        }
        IndexAction::Removed { path, bytes } => {
            println!("{} ({} KiB) removed", path.display(), bytes / 1024)
        }
    }
    if let Some(b) = &r.backup_dir {
        println!("backups of what changed: {}", b.display());
    }
    if !r.changes() {
        println!("nothing to migrate");
    }
}

fn undo(home: &Home, stamp: &str, out: OutputArgs) -> anyhow::Result<ExitCode> {
    let done = migrate::undo::undo(home, stamp)
        .map_err(|e| Failure::failed("migrate", e.to_string()))?
        .ok_or_else(|| {
            let runs = migrate::undo::runs(home);
            Failure::not_found("migrate-run", format!("no migration run {stamp:?}")).hint(
                if runs.is_empty() {
                    "no run of `csep migrate --apply` has changed anything here".to_string()
                } else {
                    format!("runs that can be undone: {}", runs.join(", "))
                },
            )
        })?;
    if out.json() {
        let mut v = serde_json::to_value(&done)?;
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["status"] = json!("undone");
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for p in &done.renamed_back {
            println!("renamed back: {}", p.display());
        }
        for p in &done.restored {
            println!("restored: {}", p.display());
        }
        for p in &done.removed {
            println!("removed (the run created it): {}", p.display());
        }
        for p in &done.kept {
            println!(
                "left at {}: a folder of its old name exists again",
                p.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
