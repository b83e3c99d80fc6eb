//! The memory-quality evaluation: every labelled session goes through the real
//! `csep` binary (Stop hook, reflection worker, SessionStart hook) on three paths
//! (no model, a careful model, a careless model) and is scored against its labels.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

pub mod answers;
pub mod home;
pub mod labels;
pub mod model_server;
pub mod report;
pub mod score;
pub mod transcript;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use home::Home;
use labels::Session;
use model_server::{ModelServer, strings_of};
use score::{Observed, Score, files_under};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Path3 {
    NoModel,
    Good,
    Careless,
}

impl Path3 {
    pub const ALL: [Path3; 3] = [Path3::NoModel, Path3::Good, Path3::Careless];

    pub fn name(self) -> &'static str {
        match self {
            Path3::NoModel => "no model",
            Path3::Good => "careful model",
            Path3::Careless => "careless model",
        }
    }
}

/// One session reflected on one path.
#[derive(Debug, Clone)]
pub struct Run {
    pub path: Path3,
    pub session: String,
    pub lang: String,
    pub kinds: Vec<String>,
    pub durable: bool,
    /// Whether the bundled policy queued a memory job at the session's first Stop
    /// (measured on the no-model path only).
    pub first_stop: Option<bool>,
    pub job_status: String,
    pub score: Score,
    /// Failures of the run itself (a hook or the worker failing).
    pub errors: Vec<String>,
    /// Changes the host refused, from the job's receipt (`code: path: reason`).
    pub refused: Vec<String>,
}

/// Sessions grouped into units: a series in order, or one session alone.
pub fn units(sessions: Vec<Session>) -> Vec<Vec<Session>> {
    let mut units: Vec<Vec<Session>> = Vec::new();
    for s in sessions {
        match s.series.as_ref().and_then(|name| {
            units
                .iter_mut()
                .find(|u| u[0].series.as_ref() == Some(name))
        }) {
            Some(u) => u.push(s),
            None => units.push(vec![s]),
        }
    }
    for u in &mut units {
        u.sort_by_key(|s| s.order);
    }
    units
}

/// Runs every unit on every path, on `threads` threads; returns the runs sorted.
pub fn run_all(units: &[Vec<Session>], cache: &Path, threads: usize) -> Vec<Run> {
    let work: Vec<(usize, Path3)> = (0..units.len())
        .flat_map(|u| Path3::ALL.into_iter().map(move |p| (u, p)))
        .collect();
    let next = AtomicUsize::new(0);
    let runs = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(u, p)) = work.get(i) else { break };
                    let r = run_unit(&units[u], p, cache);
                    runs.lock().unwrap().extend(r);
                }
            });
        }
    });
    let mut runs = runs.into_inner().unwrap();
    runs.sort_by(|a, b| (a.path, &a.session).cmp(&(b.path, &b.session)));
    runs
}

const PROVIDER: &[(&str, &str)] = &[
    ("CSEP__PROVIDER__KIND", "openai-responses"),
    ("CSEP__PROVIDER__MODEL", "eval-model"),
    ("CSEP__PROVIDER__TIMEOUT_MS", "5000"),
    ("CSEP__PROVIDER__RETRY_BASE_MS", "10"),
    ("CSEP__PROVIDER__MAX_RETRIES", "1"),
    ("CSEP__STRATEGY__SETTINGS__MODE", "\"model\""),
];

/// A policy setting that queues a job with both scopes at any Stop.
const FORCE: [(&str, &str); 2] = [
    ("CSEP__POLICY__SETTINGS__MEMORY_STOP_INTERVAL", "1"),
    ("CSEP__POLICY__SETTINGS__SKILL_TOOL_CALL_INTERVAL", "1"),
];

fn has_memory_scope(job: &serde_json::Value) -> bool {
    job["scopes"]
        .as_array()
        .is_some_and(|s| s.iter().any(|x| x == "memory"))
}

/// One unit on one path, in a fresh home: each session is written, stopped,
/// reflected (forced when the policy did not ask), and scored.
fn run_unit(unit: &[Session], path: Path3, cache: &Path) -> Vec<Run> {
    let mut home = Home::new(Some(cache));
    let mut out = Vec::new();
    for s in unit {
        let id = transcript::session_id(&s.name);
        let t = transcript::write(&home.path(""), &home.path("repo"), s, &id);
        let memory_before = home.memory();
        let mut errors = Vec::new();
        let mut refused = Vec::new();
        let server = match path {
            Path3::NoModel => None,
            Path3::Good => Some(ModelServer::start(answers::good(s))),
            Path3::Careless => Some(ModelServer::start(answers::careless(s))),
        };
        if server.is_none() {
            home.set("CSEP__PROVIDER__KIND", "none");
        }
        if let Some(server) = &server {
            for (k, v) in PROVIDER {
                home.set(k, v);
            }
            home.set("CSEP__PROVIDER__BASE_URL", &server.base_url());
        }

        let mut first_stop = None;
        let job = if path == Path3::NoModel {
            let first = home.stop(&id, &t, &[]);
            first_stop = Some(
                first
                    .as_ref()
                    .is_ok_and(|j| j.as_ref().is_some_and(has_memory_scope)),
            );
            match first {
                Ok(Some(j)) if has_memory_scope(&j) => Ok(Some(j)),
                Err(e) => Err(e),
                Ok(other) => {
                    // A job without the memory scope runs first, so the next Stop may queue.
                    if let Some(j) = other {
                        let _ = home.reflect(j["job_id"].as_str().unwrap_or(""));
                    }
                    home.stop(&id, &t, &FORCE)
                }
            }
        } else {
            home.stop(&id, &t, &FORCE)
        };
        let job = job.unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let job_status = match &job {
            None => {
                errors.push("no job was queued even with memory_stop_interval = 1".into());
                "none".to_string()
            }
            Some(j) => match home.reflect(j["job_id"].as_str().unwrap_or("")) {
                Ok(done) => {
                    let st = done["status"].as_str().unwrap_or("?").to_string();
                    // A partial job had changes refused: the host doing its work.
                    if !["succeeded", "skipped", "partial"].contains(&st.as_str()) {
                        errors.push(format!("job {st}: {}", done["reason"]));
                    }
                    refused = refused_changes(&done);
                    st
                }
                Err(e) => {
                    errors.push(format!("session-reflect failed: {}", e.trim()));
                    "error".to_string()
                }
            },
        };
        let context = home.session_start(&format!("{id}-next"));
        let observed = observe(&home, memory_before, context, server.as_ref());
        keep(path, &s.name, &observed);
        out.push(Run {
            path,
            session: s.name.clone(),
            lang: s.lang.clone(),
            kinds: s.kinds.clone(),
            durable: s.durable,
            first_stop,
            job_status,
            score: score::score(s, &observed),
            errors,
            refused,
        });
    }
    out
}

fn observe(
    home: &Home,
    memory_before: String,
    context: String,
    server: Option<&ModelServer>,
) -> Observed {
    let mem = home.memory_dir();
    let read = |p: PathBuf| std::fs::read(p).unwrap_or_default();
    let mut places = vec![
        (
            "recall index".to_string(),
            files_under(&home.path("state/recall")),
        ),
        ("MEMORY.md".to_string(), read(mem.join("MEMORY.md"))),
        ("memory refs".to_string(), files_under(&mem.join("refs"))),
        (
            "skills".to_string(),
            [
                files_under(&home.path("codex/skills")),
                files_under(&home.path("claude/skills")),
            ]
            .concat(),
        ),
        ("SessionStart context".to_string(), context.into_bytes()),
    ];
    if let Some(server) = server {
        let bodies: Vec<u8> = server
            .bodies()
            .iter()
            .flat_map(|b| [b.as_bytes(), strings_of(b).as_bytes()].concat())
            .collect();
        places.push(("model request".to_string(), bodies));
    }
    Observed {
        memory: String::from_utf8_lossy(&places[1].1).into_owned(),
        memory_before,
        archive: String::from_utf8_lossy(&read(mem.join("refs/archive.md"))).into_owned(),
        places,
    }
}

/// With `CSEP_EVAL_KEEP=DIR`, each run's `MEMORY.md` is copied to
/// `DIR/<path>/<session>.md` for reading.
fn keep(path: Path3, session: &str, o: &Observed) {
    let Some(dir) = std::env::var_os("CSEP_EVAL_KEEP") else {
        return;
    };
    let dir = PathBuf::from(dir).join(path.name().replace(' ', "-"));
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(session.replace(".toml", ".md")), &o.memory);
    }
}

/// Compiles the guests once in a throwaway home; the returned folder seeds every
/// other home's cache.
pub fn warm_cache(sample: &Session) -> (Home, PathBuf) {
    let home = Home::new(None);
    let id = transcript::session_id("warm-up");
    let t = transcript::write(&home.path(""), &home.path("repo"), sample, &id);
    if let Ok(Some(j)) = home.stop(&id, &t, &FORCE) {
        let _ = home.reflect(j["job_id"].as_str().unwrap_or(""));
    }
    let cache = home.path("state/cache/wasm");
    (home, cache)
}

/// What the host refused, from the receipt a finished job points to.
fn refused_changes(job: &serde_json::Value) -> Vec<String> {
    let Some(path) = job["receipt"].as_str() else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let receipt: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    receipt["rejected"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "{}: {}: {}",
                r["code"].as_str().unwrap_or("?"),
                r["path"].as_str().unwrap_or("?"),
                r["reason"].as_str().unwrap_or("?")
            )
        })
        .collect()
}
