//! Runs a policy or a strategy on a session from the recall index, the way a Stop
//! or a job would, and reports what it would do. A strategy works on throwaway
//! copies; nothing live is written. It gets a model only when asked, within the
//! day's budget like a job.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cap_std::fs::Dir;

use super::apply::{Area, Plan};
use super::budget::DailyBudget;
use super::history::FileDiff;
use super::job_host::{JobHost, JobRecord, Model};
use super::material;
use super::{strategy_runner, worker};
use crate::bucket::Bucket;
use crate::client::Client;
use crate::config::Config;
use crate::fs_authority;
use crate::home::Home;
use crate::jobs::{Job, Status};
use crate::model::{DecideInput, Decision, Digest, ReflectInput, Scope};
use crate::recall::{SessionHits, ShownMessage, Store, StoreError};
use crate::sandbox::{Guest, Preopens, Sandbox, SandboxError};
use crate::timefmt::{now_ms, rfc3339};

/// A session as the recall index holds it (redacted).
pub struct Session {
    pub info: SessionHits,
    pub messages: Vec<ShownMessage>,
    pub bucket: String,
}

impl Session {
    pub fn load(home: &Home, session_id: &str) -> Result<Session, TrialError> {
        let db = home.recall_db();
        let store = open_store(home)?.ok_or_else(|| TrialError::NoIndex { db: db.clone() })?;
        let (info, messages) =
            store
                .show(session_id, None, 0)?
                .ok_or_else(|| TrialError::NotIndexed {
                    session: session_id.to_string(),
                    db,
                })?;
        let bucket = Bucket::resolve(Path::new(&info.cwd)).id;
        Ok(Session {
            info,
            messages,
            bucket,
        })
    }

    /// The client the index recorded (only names [`Client::as_str`] wrote are stored).
    pub fn client(&self) -> Option<Client> {
        self.info.client.parse().ok()
    }

    /// The digest a policy would see if the whole session were new since its last
    /// decision.
    pub fn digest(&self) -> Digest {
        let mut digest = Digest {
            client: self.info.client.clone(),
            session_id: self.info.session_id.clone(),
            bucket_id: self.bucket.clone(),
            cwd: self.info.cwd.clone(),
            now_ms: now_ms(),
            ..Digest::default()
        };
        material::fill_digest(&mut digest, &self.messages);
        digest.session_started_ms = self.messages.first().and_then(|m| m.at_ms);
        digest
    }
}

fn open_store(home: &Home) -> Result<Option<Store>, TrialError> {
    Ok(Store::open_readonly(&home.recall_db())?)
}

#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    #[error(
        "there is no recall index at {} yet: archive sessions first (`csep recall bootstrap` or `csep recall sync-claude`)",
        db.display()
    )]
    NoIndex { db: PathBuf },
    #[error(
        "session {session} is not in the recall index ({}); `csep recall --recent` lists the archived ones",
        db.display()
    )]
    NotIndexed { session: String, db: PathBuf },
    #[error("reading the recall index: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("running decide of {origin}: {source}")]
    Decide {
        origin: String,
        #[source]
        source: SandboxError,
    },
    #[error("the strategy {origin} failed: {source}")]
    Strategy {
        origin: String,
        #[source]
        source: SandboxError,
    },
    #[error("{what}: {source}")]
    Step {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// What a policy decides on `session` with no state from earlier Stops.
pub fn policy(
    sandbox: &Sandbox,
    guest: &Guest,
    config: &Config,
    session: &Session,
) -> Result<(DecideInput, Decision), TrialError> {
    let policy = sandbox.policy(guest)?;
    let input = DecideInput {
        digest: session.digest(),
        settings: config.policy_settings(),
        ..DecideInput::default()
    };
    let decision = policy.decide(&input).map_err(|source| TrialError::Decide {
        origin: guest.origin().to_string(),
        source,
    })?;
    Ok((input, decision))
}

/// What a strategy would change, had a job run it on `session`.
pub struct StrategyTrial {
    pub summary: String,
    pub plan: Plan,
    pub diffs: Vec<FileDiff>,
    /// The guest's log lines, model calls, tokens and denials.
    pub record: JobRecord,
    pub memory_dir: PathBuf,
    pub skills_dir: Option<PathBuf>,
}

/// The guest to run and how: `model` is the configured provider, or none.
pub struct StrategyRun<'a> {
    pub guest: &'a Guest,
    pub bundled: bool,
    pub scopes: Vec<Scope>,
    pub model: Option<Box<dyn Model>>,
}

pub fn strategy(
    home: &Home,
    sandbox: &Sandbox,
    config: &Config,
    session: &Session,
    run: StrategyRun,
) -> Result<StrategyTrial, TrialError> {
    let StrategyRun {
        guest,
        bundled,
        scopes,
        model,
    } = run;
    let ctx = |what: &'static str| move |source| TrialError::Step { what, source };
    let strategy = sandbox.strategy(guest)?;
    let scratch = tempfile::tempdir().map_err(ctx("making a throwaway folder"))?;
    let dirs = material::prepare_at(scratch.path().join("run")).map_err(ctx("preparing it"))?;
    let job = trial_job(session, &scopes);
    let store = open_store(home)?;
    let (digest, shown) = material::write_session(
        &dirs,
        &job,
        store.as_ref(),
        config.reflection.transcript_kib * 1024,
        now_ms(),
    )
    .map_err(ctx("writing the session material"))?;

    let memory_dir = material::memory_path(home, &session.bucket);
    let empty = scratch.path().join("empty");
    let live_memory = match fs_authority::open_dir(&memory_dir) {
        Ok(dir) => dir,
        Err(_) => {
            fs_authority::create_private_dir_all(&empty).map_err(ctx("making an empty stand-in"))?
        }
    };
    let skills_dir = session.client().and_then(material::skills_path);
    let live_skills = material::open_live_skills(skills_dir.as_deref())
        .map_err(ctx("opening the skills folder"))?;
    material::stage_memory(Some(&live_memory), &dirs.memory).map_err(ctx("staging the memory"))?;
    material::stage_skills(Some(&live_skills.dir), &dirs.skills)
        .map_err(ctx("staging the skills"))?;

    let mut shown = shown;
    shown.known = live_memory.read_to_string("MEMORY.md").unwrap_or_default();
    let record = Arc::new(Mutex::new(JobRecord::default()));
    let r = &config.reflection;
    // With a model, calls count against the day's budget as a job's would; without
    // one, the budget lives in the throwaway folder and is never consulted.
    let budget = match model {
        Some(_) => DailyBudget::open(home, r.max_calls_per_day, r.max_tokens_per_day),
        None => DailyBudget::open(&Home::at(&scratch.path().join("usage")), 0, 0),
    }
    .map_err(ctx("opening the model budget"))?;
    let host = JobHost {
        model,
        budget,
        max_calls: r.max_calls_per_job,
        max_tokens: r.max_tokens_per_job,
        store,
        bucket: session.bucket.clone(),
        recall_global: r.recall_global,
        session: Arc::new(shown.clone()),
        record: record.clone(),
    };
    let input = ReflectInput {
        job_id: job.job_id.clone(),
        digest,
        scopes,
        reasons: job.reasons.clone(),
        settings: strategy_runner::strategy_settings(config, bundled, false),
    };
    let preopens = Preopens {
        session: &dirs.session,
        memory: &dirs.memory,
        skills: &dirs.skills,
    };
    let output = strategy
        .reflect(&input, &preopens, Box::new(host))
        .map_err(|source| TrialError::Strategy {
            origin: guest.origin().to_string(),
            source,
        })?;
    let citations = record.lock().expect("record lock").citations.clone();
    let (plan, _) = worker::judge(
        &live_memory,
        &dirs.memory,
        &live_skills.dir,
        &dirs.skills,
        config,
        &shown,
        &citations,
    )
    .map_err(ctx("comparing staging with the live folders"))?;
    let read = |dir: &Dir, path: &str| dir.read_to_string(path).ok();
    let diffs = plan
        .accepted
        .iter()
        .map(|c| {
            let (live, staged) = match c.area {
                Area::Memory => (&live_memory, &dirs.memory),
                Area::Skills => (&live_skills.dir, &dirs.skills),
            };
            FileDiff {
                area: c.area,
                path: c.path.clone(),
                before: c.before_sha256.as_ref().and_then(|_| read(live, &c.path)),
                after: c.after_sha256.as_ref().and_then(|_| read(staged, &c.path)),
            }
        })
        .collect();
    let record = record.lock().expect("record lock").clone();
    Ok(StrategyTrial {
        summary: output.summary,
        plan,
        diffs,
        record,
        memory_dir,
        skills_dir,
    })
}

fn trial_job(session: &Session, scopes: &[Scope]) -> Job {
    Job {
        schema_version: 1,
        job_id: "try".into(),
        status: Status::Running,
        created_at: rfc3339(now_ms()),
        client: session.client().unwrap_or_default(),
        session_id: session.info.session_id.clone(),
        cwd: session.info.cwd.clone(),
        bucket: session.bucket.clone(),
        scopes: scopes.to_vec(),
        reasons: vec!["try".into()],
        summary: "csep policy try".into(),
        ..Job::default()
    }
}
