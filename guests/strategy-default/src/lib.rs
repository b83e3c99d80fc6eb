//! The bundled reflection strategy: turns a session into `MEMORY.md` entries,
//! memory refs and `csep-reflect-*` skills inside the host's staging folders.
//!
//! With a model (mode `auto` when the job may still call one, or `model`) it asks
//! for a JSON plan and applies it; without one, or when the model is refused or
//! answers nonsense, it extracts stated rules, forbidden paths and test/build
//! commands with plain heuristics. The host diffs the staging folders afterwards
//! and accepts only what its rules allow.

mod commands;
mod extract;
mod memory_doc;
mod model_output;
mod prompt;
mod reflect;
mod session;
mod settings;
mod staging;
mod text;

wit_bindgen::generate!({ world: "reflection-strategy", path: "../../wit" });

use csep::engine::types::{Denial, GuestError, Scope};
use csep::engine::{evidence, llm, log};
use exports::csep::engine::strategy::{Guest, ReflectInput, ReflectOutput};

use reflect::{Citation, CiteScope, Completion, Failure, Host, Job, Level};
use settings::Settings;
use staging::Paths;

struct DefaultStrategy;

impl Guest for DefaultStrategy {
    fn reflect(input: ReflectInput) -> Result<ReflectOutput, GuestError> {
        let settings =
            Settings::from_settings(&input.settings).map_err(GuestError::InvalidSettings)?;
        let job = Job {
            job_id: input.job_id,
            now_ms: input.digest.now_ms,
            memory: input.scopes.iter().any(|s| matches!(s, Scope::Memory)),
            skill: input.scopes.iter().any(|s| matches!(s, Scope::Skill)),
            reasons: input.reasons,
            cwd: input.digest.cwd,
            client: input.digest.client,
        };
        match reflect::run(&job, &settings, &Paths::sandbox(), &mut ImportedHost) {
            Ok(summary) => Ok(ReflectOutput { summary }),
            Err(Failure::InvalidState(m)) => Err(GuestError::InvalidState(m)),
            Err(Failure::Internal(m)) => Err(GuestError::Internal(m)),
        }
    }
}

/// The host's `log` and `llm` imports.
struct ImportedHost;

impl Host for ImportedHost {
    fn log(&mut self, level: Level, message: &str) {
        let level = match level {
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        log::log(level, message);
    }

    fn remaining_calls(&mut self) -> u32 {
        llm::remaining().calls
    }

    fn remaining_tokens(&mut self) -> Option<u64> {
        Some(llm::remaining().tokens)
    }

    fn cite(&mut self, citation: &Citation) -> Result<(), String> {
        let citation = evidence::Citation {
            scope: match citation.scope {
                CiteScope::Memory => Scope::Memory,
                CiteScope::Skill => Scope::Skill,
            },
            target: citation.target.clone(),
            section: citation.section.clone(),
            quotes: citation
                .quotes
                .iter()
                .map(|q| evidence::Quote {
                    message_id: q.message_id,
                    text: q.text.clone(),
                })
                .collect(),
        };
        evidence::cite(&citation).map_err(denial_text)
    }

    fn complete(&mut self, prompt: &prompt::Prompt) -> Result<Completion, String> {
        let request = llm::Request {
            messages: vec![
                llm::Message {
                    role: llm::Role::System,
                    content: prompt.system.clone(),
                },
                llm::Message {
                    role: llm::Role::User,
                    content: prompt.user.clone(),
                },
            ],
            max_output_tokens: prompt::MAX_OUTPUT_TOKENS,
        };
        llm::complete(&request)
            .map(|r| Completion {
                text: r.text,
                truncated: r.truncated,
            })
            .map_err(denial_text)
    }
}

fn denial_text(d: Denial) -> String {
    match d {
        Denial::AccessDenied(m) => format!("access-denied: {m}"),
        Denial::BudgetExceeded(m) => format!("budget-exceeded: {m}"),
        Denial::Unavailable(m) => format!("unavailable: {m}"),
        Denial::InvalidRequest(m) => format!("invalid-request: {m}"),
    }
}

export!(DefaultStrategy);
