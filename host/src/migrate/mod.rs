//! Coming from the original tool: its per-worktree buckets merged into the shared
//! bucket, its legacy `memory.json` read, its generated skills adopted, and its
//! recall index (`session_recall/state.db`) named and, on request, removed; its
//! reflection records moved aside.
//! Dry run unless asked to apply; a second run changes nothing.

pub mod buckets;
pub mod config_rewrite;

pub mod legacy_json;
pub mod memory_merge;
pub mod original_index;
pub mod original_reflection;
pub mod skills;
pub mod undo;

use std::path::PathBuf;

use serde::Serialize;

use crate::home::Home;
use crate::path_error::PathError;
use crate::recall::StoreError;

pub use buckets::{BucketMove, Skipped};
pub use original_index::{IndexAction, original_index_notice};
pub use skills::SkillAdoption;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("{} is not the original's memory.json: {source}", path.display())]
    LegacyJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("the recall index cannot be read: {0}")]
    Recall(#[source] StoreError),
}

/// Whether the original tool has run with this state folder: its recall index, its
/// log, or its reflection records (in place or moved aside) are there.
pub fn original_was_here(home: &Home) -> bool {
    original_index::original_path(home).exists()
        || home.logs_dir().join("plugin.log").exists()
        || home
            .reflection_dir()
            .join(original_reflection::ASIDE)
            .exists()
        || !original_reflection::find(home).is_empty()
}

/// What `csep status` says when the original reflected through the user's Codex
/// and this state folder reflects with no model: the user may not know.
pub fn reflection_model_notice(home: &Home, config: &crate::config::Config) -> Option<String> {
    // A `kind` the user wrote, `none` included, is their choice.
    let chosen = std::fs::read_to_string(home.config_path())
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| t.get("provider").and_then(|p| p.get("kind")).is_some());
    let silent = config.provider.kind == crate::provider::ProviderKind::None && !chosen;
    (silent && original_was_here(home)).then(|| {
        "the original tool reflected through your Codex login; here reflection uses no model \
         until `csep setup --reflect-with codex` (one background `codex exec` per reflection)"
            .to_string()
    })
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub apply: bool,
    /// Remove the original's `session_recall/state.db` (only once this project's
    /// index holds sessions).
    pub remove_original_index: bool,
    /// Where generated skills live (the client's skills folder).
    pub skills_dir: Option<PathBuf>,
    /// Where the original kept them when `CSEP_CODEX_SKILLS_DIR` moved them.
    pub original_skills_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub home: PathBuf,
    pub applied: bool,
    pub buckets: Vec<BucketMove>,
    pub skipped: Vec<Skipped>,
    pub legacy_memory: Vec<legacy_json::LegacyMerge>,
    pub skills: Vec<SkillAdoption>,
    pub original_index: IndexAction,
    /// The original's reflection records, moved to `session_reflection/csep1/`.
    pub original_reflection: original_reflection::ReflectionAside,
    /// Where this run kept copies of what it changed (empty on a dry run or when
    /// nothing changed).
    pub backup_dir: Option<PathBuf>,
}

impl Report {
    /// Whether applying would change (or changed) anything.
    pub fn changes(&self) -> bool {
        !self.buckets.is_empty()
            || self.legacy_memory.iter().any(|l| l.added > 0)
            || self.skills.iter().any(|s| s.changes())
            || !self.original_reflection.moved.is_empty()
            || matches!(
                self.original_index,
                IndexAction::Remove { .. } | IndexAction::Removed { .. }
            )
    }
}

/// Plans, and with `opts.apply` carries out, the whole move. `stamp` names the
/// run's backup folder and the renamed buckets (`YYYYmmddTHHMMSS`).
pub fn run(home: &Home, opts: &Options, stamp: &str) -> Result<Report, MigrateError> {
    let backup_root = home.migrate_backups_dir().join(stamp);
    let mut backups = memory_merge::Backups::new(backup_root.clone(), opts.apply);
    // memory.json first: a worktree bucket's entries reach the shared bucket
    // before the worktree bucket is renamed aside.
    let legacy = legacy_json::merge_all(home, opts.apply, &mut backups)?;
    let (moves, skipped) = buckets::plan(home)?;
    let mut done_moves = Vec::new();
    for m in moves {
        done_moves.push(buckets::carry_out(
            home,
            m,
            opts.apply,
            stamp,
            &mut backups,
        )?);
    }
    let skills = skills::adopt(
        home,
        opts.skills_dir.as_deref(),
        opts.original_skills_dir.as_deref(),
        opts.apply,
    )?;
    let index = original_index::act(home, opts.remove_original_index, opts.apply)?;
    let reflection = original_reflection::act(home, opts.apply, &mut backups)?;
    let backup_dir = backups.used().then_some(backup_root);
    Ok(Report {
        home: home.root().to_path_buf(),
        applied: opts.apply,
        buckets: done_moves,
        skipped,
        legacy_memory: legacy,
        skills,
        original_index: index,
        original_reflection: reflection,
        backup_dir,
    })
}
