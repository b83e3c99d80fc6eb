//! One worker process: claims jobs, runs each to a final status, and never lets a
//! failure of one job leave memory half-written or a job claimed forever.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::apply::{self, Area, Rules};
use super::budget::DailyBudget;
use super::evidence::Session;
use super::history;
use super::job_host::{JobHost, JobRecord, Model};
use super::material::{self, RunDirs};
use super::receipt::{self, ModelUsage, Receipt, StrategyInfo};
use super::strategy_runner::{self, StrategyRunError};
use super::{retention, settle, spawn};
use crate::config::{Config, ConfigError};
use crate::content_scan;
use crate::filelock::FileLock;
use crate::fs_authority;
use crate::home::Home;
use crate::jobs::{Job, JobError, JobQueue, Status};
use crate::model::{Citation, ReflectInput, Scope};
use crate::path_error::{AtPath, PathError};
use crate::provider::ProviderError;
use crate::recall::{Store, StoreError};
use crate::timefmt::{now_ms, rfc3339};
use cap_std::fs::Dir;

/// How long one process goes on taking jobs from the queue; past it, a worker
/// that still sees jobs hands over to a fresh process rather than giving up.
const DRAIN_BUDGET: Duration = Duration::from_secs(10 * 60);
/// How long a worker waits for a free slot before leaving its job queued (to the
/// worker holding the slot, which looks at the queue again before it exits).
const SLOT_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Job(#[from] JobError),
    #[error(transparent)]
    Io(#[from] PathError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// What happened to the job a command asked for.
#[derive(Debug)]
pub enum Ran {
    /// It ran (or had already finished): its job file as it is now.
    Done(Job),
    /// Another live worker holds it.
    Busy(Job),
    /// It waits for a free worker slot.
    Waiting(Job),
}

/// Builds the model a job may call; `None` when no provider is configured.
pub type ModelFactory<'a> =
    &'a dyn Fn(&Home, &Config) -> Result<Option<Box<dyn Model>>, ProviderError>;

/// Runs job `id`, then, with `and_pending`, every other open job (oldest first).
pub fn run(
    home: &Home,
    id: &str,
    and_pending: bool,
    model: ModelFactory,
) -> Result<Ran, WorkerError> {
    let config = Config::load(&home.config_path())?;
    let queue = JobQueue::open(home)?;
    let job = queue.read(id)?;
    let Some(slot) = take_slot(home, &config, SLOT_WAIT)? else {
        return Ok(Ran::Waiting(job));
    };
    let started = Instant::now();
    let first = run_one(home, &config, &queue, id, model);
    if and_pending {
        let mut tried = HashSet::from([id.to_string()]);
        drain(home, &config, &queue, model, slot, &mut tried, started);
    } else {
        drop(slot);
    }
    first
}

/// Runs every open job nobody holds (oldest first); returns how many ran.
pub fn run_all_pending(home: &Home, model: ModelFactory) -> Result<usize, WorkerError> {
    let config = Config::load(&home.config_path())?;
    let queue = JobQueue::open(home)?;
    let Some(slot) = take_slot(home, &config, SLOT_WAIT)? else {
        return Ok(0);
    };
    let mut tried = HashSet::new();
    Ok(drain(
        home,
        &config,
        &queue,
        model,
        slot,
        &mut tried,
        Instant::now(),
    ))
}

/// Runs the open jobs this process has not tried yet, oldest first, until none
/// is left or the time budget is spent. Before it exits it lets its slot go and
/// looks once more: a job queued while it was finishing is then seen either by
/// this look or by the worker that takes the slot next, so none is stranded.
/// Past the budget, with jobs left, a fresh worker takes over. Returns how many
/// jobs ran (deferred ones not counted).
fn drain(
    home: &Home,
    config: &Config,
    queue: &JobQueue,
    model: ModelFactory,
    slot: FileLock,
    tried: &mut HashSet<String>,
    started: Instant,
) -> usize {
    let mut ran = 0;
    let mut slot = Some(slot);
    while slot.is_some() {
        ran += run_pending(home, config, queue, model, tried, started);
        drop(slot.take());
        if next_job(queue, tried).is_none() {
            break;
        }
        if started.elapsed() >= DRAIN_BUDGET {
            // Best effort: the next Stop notices a stranded queue as well.
            let _ = spawn::pending_worker(home);
            break;
        }
        slot = take_slot(home, config, Duration::ZERO).ok().flatten();
    }
    retention::prune_if_due(home, config, now_ms());
    ran
}

fn run_pending(
    home: &Home,
    config: &Config,
    queue: &JobQueue,
    model: ModelFactory,
    tried: &mut HashSet<String>,
    started: Instant,
) -> usize {
    let mut ran = 0;
    while started.elapsed() < DRAIN_BUDGET {
        let Some(job) = next_job(queue, tried) else {
            break;
        };
        tried.insert(job.job_id.clone());
        if let Ok(Ran::Done(done)) = run_one(home, config, queue, &job.job_id, model)
            && done.status != Status::Deferred
        {
            ran += 1;
        }
    }
    ran
}

/// The oldest open job nobody holds that this process has not tried.
fn next_job(queue: &JobQueue, tried: &HashSet<String>) -> Option<Job> {
    queue
        .list()
        .into_iter()
        .flatten()
        .find(|j| j.status.is_open() && !tried.contains(&j.job_id) && !queue.is_claimed(&j.job_id))
}

/// Holds one of `max_concurrent_workers` slot locks, waiting up to `wait`.
fn take_slot(
    home: &Home,
    config: &Config,
    wait: Duration,
) -> Result<Option<FileLock>, WorkerError> {
    let path = home.workers_dir();
    let what = "taking a worker slot in";
    let dir = fs_authority::create_private_dir_all(&path).at(what, &path)?;
    // A worker that is about to exit holds its slot a moment after its last look
    // at the queue: waiting a little keeps a job queued in that moment from
    // being left for the next Stop.
    let deadline = Instant::now() + wait;
    loop {
        for n in 0..config.reflection.max_concurrent_workers {
            if let Some(lock) =
                FileLock::try_acquire(&dir, &format!("slot-{n}.lock")).at(what, &path)?
            {
                return Ok(Some(lock));
            }
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run_one(
    home: &Home,
    config: &Config,
    queue: &JobQueue,
    id: &str,
    model: ModelFactory,
) -> Result<Ran, WorkerError> {
    let Some(_claim) = queue.claim(id)? else {
        return Ok(Ran::Busy(queue.read(id)?));
    };
    let ran = run_claimed(home, config, queue, id, model);
    // Staging and the session copy go whatever the outcome; a run that failed
    // keeps its session copy until retention takes it.
    let failed = !matches!(&ran, Ok(Ran::Done(j)) if j.status != Status::Failed);
    material::clear_run(home, id, failed);
    ran
}

fn run_claimed(
    home: &Home,
    config: &Config,
    queue: &JobQueue,
    id: &str,
    model: ModelFactory,
) -> Result<Ran, WorkerError> {
    // Read under the claim: another worker may have finished it meanwhile.
    let mut job = queue.read(id)?;
    if !job.status.is_open() {
        return Ok(Ran::Done(job));
    }
    // A worker stopped after writing the receipt: the change is live and
    // recorded, so the job ends as the receipt says, and nothing runs again.
    if history::runs_path(home)
        .join(id)
        .join(receipt::FILE)
        .exists()
    {
        return keep_committed(home, config, queue, job);
    }
    let now = now_ms();
    let r = &config.reflection;
    if job.status == Status::Running && job.attempts >= r.max_attempts {
        return finish(queue, job, Status::Failed, |j| {
            j.reason = Some(format!(
                "its worker stopped before the end {} times (reflection.max_attempts)",
                j.attempts
            ));
        });
    }
    let model = match model(home, config) {
        Ok(m) => m,
        Err(e) => {
            return finish(queue, job, Status::Failed, |j| {
                j.reason = Some(format!("the model provider is not usable: {e}"));
            });
        }
    };
    let budget = DailyBudget::open(home, r.max_calls_per_day, r.max_tokens_per_day)
        .at("opening the usage folder", &home.usage_dir())?;
    if model.is_some()
        && let Some(reason) = budget.spent(now)
    {
        job.status = Status::Deferred;
        job.reason = Some(reason);
        job.updated_at = Some(rfc3339(now));
        queue.write(&job)?;
        return Ok(Ran::Done(job));
    }

    job.status = Status::Running;
    job.attempts += 1;
    job.reason = None;
    job.started_at = Some(rfc3339(now));
    job.updated_at = job.started_at.clone();
    job.worker_pid = Some(std::process::id());
    job.lease_until_ms = Some(now + r.lease_minutes * 60_000);
    queue.write(&job)?;

    match execute(home, config, &job, model, budget) {
        Ok(done) => {
            let settled = settle::settle(home, config, &job, &done.covered, now_ms());
            finish(queue, job, done.status, |j| {
                j.outcome = Some(done.outcome);
                j.receipt = Some(done.receipt);
                if let Err(e) = settled {
                    j.reason = Some(format!("the policy's counters were not reset: {e}"));
                }
            })
        }
        Err(e) => {
            let _ = settle::settle(home, config, &job, &[], now_ms());
            finish(queue, job, Status::Failed, |j| {
                j.reason = Some(e.to_string());
            })
        }
    }
}

/// Ends a job whose run was committed and its receipt written by a worker that
/// stopped before it could record the end: the job takes the receipt's status.
fn keep_committed(
    home: &Home,
    config: &Config,
    queue: &JobQueue,
    job: Job,
) -> Result<Ran, WorkerError> {
    let run = history::runs_path(home).join(&job.job_id);
    match Receipt::read(&run) {
        Ok(r) => {
            let covered = covered(&job, &r.rejected);
            let settled = settle::settle(home, config, &job, &covered, now_ms());
            finish(queue, job, r.status, |j| {
                j.outcome = Some(format!(
                    "{} file(s) changed, {} change(s) rejected (recorded after its worker stopped)",
                    r.accepted.len(),
                    r.rejected.len()
                ));
                j.receipt = Some(run.join(receipt::FILE));
                if let Err(e) = settled {
                    j.reason = Some(format!("the policy's counters were not reset: {e}"));
                }
            })
        }
        Err(e) => finish(queue, job, Status::Failed, |j| {
            j.reason = Some(format!(
                "its change was committed but the receipt cannot be read ({e}); the run folder is kept as it is"
            ));
            j.receipt = Some(run.join(receipt::FILE));
        }),
    }
}

/// The scopes a job covered: those with nothing rejected (their counters reset).
fn covered(job: &Job, rejected: &[apply::Rejected]) -> Vec<Scope> {
    job.scopes
        .iter()
        .copied()
        .filter(|s| {
            let area = match s {
                Scope::Memory => Area::Memory,
                Scope::Skill => Area::Skills,
            };
            !rejected.iter().any(|r| r.area == area)
        })
        .collect()
}

fn finish(
    queue: &JobQueue,
    mut job: Job,
    status: Status,
    fill: impl FnOnce(&mut Job),
) -> Result<Ran, WorkerError> {
    job.status = status;
    fill(&mut job);
    let now = rfc3339(now_ms());
    job.finished_at = Some(now.clone());
    job.updated_at = Some(now);
    job.lease_until_ms = None;
    queue.write(&job)?;
    Ok(Ran::Done(job))
}

struct Executed {
    status: Status,
    outcome: String,
    receipt: PathBuf,
    covered: Vec<Scope>,
}

/// The job itself; any error leaves the live folders as they were.
fn execute(
    home: &Home,
    config: &Config,
    job: &Job,
    model: Option<Box<dyn Model>>,
    budget: DailyBudget,
) -> Result<Executed, RunError> {
    let started = rfc3339(now_ms());
    let ctx = |what: &'static str| move |source| RunError::Step { what, source };
    undo_cut_short_commit(home, job)?;
    let dirs = material::prepare(home, job).map_err(ctx("preparing the run folder"))?;
    let store = Store::open_readonly(&home.recall_db())?;
    let (digest, shown) = material::write_session(
        &dirs,
        job,
        store.as_ref(),
        config.reflection.transcript_kib * 1024,
        now_ms(),
    )
    .map_err(ctx("writing the session material"))?;

    let memory_path = material::memory_path(home, &job.bucket);
    let live_memory = fs_authority::create_private_dir_all(&memory_path)
        .map_err(ctx("opening the memory folder"))?;
    let skills_path = material::skills_path(job.client);
    let live_skills = material::open_live_skills(skills_path.as_deref())
        .map_err(ctx("opening the skills folder"))?;
    let live_skills = &live_skills.dir;
    material::sweep_temp_files(&live_memory, Some(live_skills));
    material::stage_memory(Some(&live_memory), &dirs.memory).map_err(ctx("staging the memory"))?;
    material::stage_skills(Some(live_skills), &dirs.skills).map_err(ctx("staging the skills"))?;

    let mut shown = shown;
    shown.known = live_memory.read_to_string("MEMORY.md").unwrap_or_default();
    let record = Arc::new(Mutex::new(JobRecord::default()));
    let provider = model.as_ref().map(|m| m.describe());
    let host = JobHost {
        model,
        budget,
        max_calls: config.reflection.max_calls_per_job,
        max_tokens: config.reflection.max_tokens_per_job,
        store,
        bucket: job.bucket.clone(),
        recall_global: config.reflection.recall_global,
        session: Arc::new(shown.clone()),
        record: record.clone(),
    };
    let input = ReflectInput {
        job_id: job.job_id.clone(),
        digest,
        scopes: job.scopes.clone(),
        reasons: job.reasons.clone(),
        settings: Default::default(),
    };
    let staged = retention::measure(&dirs.path.join("staging"), u64::MAX, u64::MAX);
    let ran = strategy_runner::run(home, config, input, &dirs, Box::new(host));
    let record_log = record.lock().expect("record lock").log.clone();
    write_log(&dirs.path, &record_log);
    let (strategy, output) = ran?;
    strategy_runner::check_staging_size(&dirs.path.join("staging"), staged)?;

    let citations = record.lock().expect("record lock").citations.clone();
    let (plan, evidenced) = judge(
        &live_memory,
        &dirs.memory,
        live_skills,
        &dirs.skills,
        config,
        &shown,
        &citations,
    )
    .map_err(ctx("comparing staging with the live folders"))?;
    let wants_skills = plan.accepted.iter().any(|c| c.area == Area::Skills);
    let created;
    let live_skills = match (&skills_path, wants_skills) {
        (Some(p), true) if !p.is_dir() => {
            created = fs_authority::create_private_dir_all(p)
                .map_err(ctx("creating the skills folder"))?;
            &created
        }
        _ => live_skills,
    };
    let backup = dirs
        .run
        .open_dir("backup")
        .map_err(ctx("opening the backup folder"))?;
    let committed = apply::commit(
        &plan,
        &live_memory,
        &dirs.memory,
        live_skills,
        &dirs.skills,
        &backup,
    )
    .map_err(RunError::Commit)?;
    // Best effort: `csep memory diff` shows nothing for a file it lacks, nothing worse.
    let _ = keep_after_copies(&dirs, &committed.files);

    let mut rejected = plan.rejected.clone();
    rejected.extend(committed.rejected_at_commit.iter().cloned());
    let status = match (committed.files.is_empty(), rejected.is_empty()) {
        (false, true) => Status::Succeeded,
        (false, false) => Status::Partial,
        (true, _) => Status::Skipped,
    };
    // A scope is covered when nothing of it was rejected: its counters reset.
    let covered = covered(job, &rejected);
    let record = record.lock().expect("record lock").clone();
    let receipt = Receipt {
        schema_version: 1,
        job_id: job.job_id.clone(),
        session_id: job.session_id.clone(),
        client: job.client,
        bucket: job.bucket.clone(),
        status,
        strategy: StrategyInfo {
            claimed_summary: output,
            ..strategy
        },
        model: ModelUsage {
            provider,
            models: record.models,
            calls: record.calls,
            input_tokens: record.input_tokens,
            output_tokens: record.output_tokens,
            denials: record.denials,
        },
        memory_dir: memory_path,
        skills_dir: skills_path,
        accepted: committed.files.clone(),
        created_dirs: committed.created_dirs.clone(),
        removed_dirs: committed.removed_dirs.clone(),
        rejected,
        notes: plan.notes.clone(),
        evidence: evidenced
            .into_iter()
            .filter(|e| committed.files.iter().any(|f| e.covers(f.area, &f.path)))
            .collect(),
        started_at: started,
        finished_at: rfc3339(now_ms()),
        reverted_at: None,
    };
    // The live folders changed: without its receipt the change could not be undone,
    // so a change that cannot be recorded is taken back.
    if let Err(e) = receipt.write(&dirs.path) {
        let undone = apply::revert(&committed, &live_memory, live_skills, &backup);
        return Err(match undone {
            Ok(_) => RunError::ReceiptUndone(e),
            Err(undo) => RunError::ReceiptStuck { source: e, undo },
        });
    }
    let _ = dirs.run.remove_dir_all("staging");
    let outcome = format!(
        "{} file(s) changed, {} change(s) rejected",
        receipt.accepted.len(),
        receipt.rejected.len()
    );
    Ok(Executed {
        status,
        outcome,
        receipt: dirs.path.join(super::receipt::FILE),
        covered,
    })
}

/// What of staging may be committed: the evidence gate, then the plan. Returns
/// the plan and what each entry the plan accepts rests on.
pub(crate) fn judge(
    live_memory: &Dir,
    staging_memory: &Dir,
    live_skills: &Dir,
    staging_skills: &Dir,
    config: &Config,
    session: &Session,
    citations: &[Citation],
) -> std::io::Result<(apply::Plan, Vec<apply::Evidenced>)> {
    let rules = rules(config);
    let gated = apply::gate(&apply::GateInput {
        live_memory,
        staging_memory,
        live_skills,
        staging_skills,
        rules: &rules,
        session,
        citations,
    })?;
    let mut plan = apply::plan(
        live_memory,
        staging_memory,
        live_skills,
        staging_skills,
        &rules,
        &|text: &str| content_scan::reject_reason(text),
    )?;
    plan.rejected.extend(gated.rejected);
    plan.rejected
        .sort_by(|a, b| (a.area, &a.path).cmp(&(b.area, &b.path)));
    // The gate's rejections count too: a ref it refused keeps MEMORY.md's lines.
    apply::keep_notes(&mut plan, live_memory, staging_memory)?;
    let evidenced = gated
        .evidenced
        .into_iter()
        .filter(|e| plan.accepted.iter().any(|c| e.covers(c.area, &c.path)))
        .collect();
    Ok((plan, evidenced))
}

/// The host's rules for what a strategy may write, from the config.
pub(crate) fn rules(config: &Config) -> Rules {
    Rules {
        memory_budget_chars: config.session_start.memory_budget_chars,
        max_file_bytes: config.reflection.max_file_kib * 1024,
        max_total_bytes: config.reflection.max_job_kib * 1024,
        max_active_skills: config.reflection.max_active_skills,
        ..Rules::default()
    }
}

/// A worker killed while committing left a journal and no receipt: put the live
/// files back as they were before the job, so the retry starts from them.
fn undo_cut_short_commit(home: &Home, job: &Job) -> Result<(), RunError> {
    let run = history::runs_path(home).join(&job.job_id);
    let backup_path = run.join("backup");
    if run.join(super::receipt::FILE).exists() || !backup_path.join(apply::JOURNAL_NAME).exists() {
        return Ok(());
    }
    let open = |p: &Path| fs_authority::open_dir(p).at("opening", p);
    let backup = open(&backup_path)?;
    let committed = apply::read_journal(&backup).map_err(RunError::CutShort)?;
    let memory = open(&material::memory_path(home, &job.bucket))?;
    let skills = material::open_live_skills(material::skills_path(job.client).as_deref()).map_err(
        |source| RunError::Step {
            what: "opening the skills folder",
            source,
        },
    )?;
    apply::revert(&committed, &memory, &skills.dir, &backup)
        .map(|_| ())
        .map_err(RunError::CutShort)
}

/// Why a job's run failed; its text becomes the job's reason.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{what}: {source}")]
    Step {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("reading the recall index: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Strategy(#[from] StrategyRunError),
    #[error("committing: {0}")]
    Commit(#[source] apply::ApplyError),
    #[error("undoing the commit a killed worker left half done: {0}")]
    CutShort(#[source] apply::ApplyError),
    #[error("writing the receipt: {0}; the commit was undone")]
    ReceiptUndone(#[source] std::io::Error),
    #[error("writing the receipt: {source}; undoing the commit failed too: {undo}")]
    ReceiptStuck {
        #[source]
        source: std::io::Error,
        undo: apply::ApplyError,
    },
}

/// Copies each accepted file as committed into `after/`, so `csep memory diff`
/// shows what the job wrote even after later edits.
fn keep_after_copies(dirs: &RunDirs, files: &[apply::CommittedFile]) -> std::io::Result<()> {
    dirs.run.create_dir_all("after")?;
    let after = dirs.run.open_dir("after")?;
    for f in files.iter().filter(|f| f.after_sha256.is_some()) {
        let (src, area) = match f.area {
            Area::Memory => (&dirs.memory, "memory"),
            Area::Skills => (&dirs.skills, "skills"),
        };
        let target = Path::new(area).join(&f.path);
        if let Some(parent) = target.parent() {
            after.create_dir_all(parent)?;
        }
        src.copy(&f.path, &after, &target)?;
    }
    Ok(())
}

fn write_log(run: &Path, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    if let Ok(dir) = fs_authority::open_dir(run) {
        let _ = fs_authority::write_atomic(&dir, "strategy.log", lines.join("\n").as_bytes());
    }
}
