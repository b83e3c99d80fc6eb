//! Runs a reflection strategy: three preopened folders, the host's `log`, `llm` and
//! `recall` interfaces, and nothing else (no environment, no network, no other path).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cap_std::fs::Dir;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Store, Trap, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::policy::csep::engine::types as wit_types;
use super::bindings::strategy::csep::engine::{evidence, llm, log, recall};
use super::bindings::strategy::exports::csep::engine::strategy as wit;
use super::bindings::strategy::{ReflectionStrategy, ReflectionStrategyPre};
use super::convert::{
    denial_to_wit, digest_to_wit, guest_error_from_wit, scope_from_wit, scope_to_wit,
    settings_to_wit,
};
use super::error::{EngineError, SandboxError};
use super::limits::GuestLimiter;
use super::run::{self, Base, HasBase};
use super::ticker;
use super::{Guest, Sandbox, World};
use crate::fs_authority;
use crate::model::{
    self, Citation, Denial, LlmRequest, LlmResponse, Quote, RecallHit, RecallQuery,
};

/// Where a strategy's host calls go. The job runner supplies the real model and
/// recall; `Unavailable` refuses both.
pub trait StrategyHost: Send {
    fn log(&mut self, level: &'static str, message: &str);
    fn complete(&mut self, request: LlmRequest) -> Result<LlmResponse, Denial>;
    /// Calls and tokens the job may still spend.
    fn remaining(&mut self) -> (u32, u64);
    fn search(&mut self, query: RecallQuery) -> Result<Vec<RecallHit>, Denial>;
    /// Checks and records what an entry rests on; a denial says why it does not count.
    fn cite(&mut self, citation: Citation) -> Result<(), Denial>;
}

/// A host with no model and no recall: every request is denied as `unavailable`.
/// Log lines go to stderr with a `csep strategy:` prefix.
pub struct Unavailable;

impl StrategyHost for Unavailable {
    fn log(&mut self, level: &'static str, message: &str) {
        eprintln!("csep strategy: [{level}] {message}");
    }
    fn complete(&mut self, _: LlmRequest) -> Result<LlmResponse, Denial> {
        Err(Denial::Unavailable(
            "no model provider is configured for this run".into(),
        ))
    }
    fn remaining(&mut self) -> (u32, u64) {
        (0, 0)
    }
    fn search(&mut self, _: RecallQuery) -> Result<Vec<RecallHit>, Denial> {
        Err(Denial::Unavailable(
            "recall is not available for this run".into(),
        ))
    }
    /// Nothing is committed from such a run, so there is nothing to check.
    fn cite(&mut self, _: Citation) -> Result<(), Denial> {
        Ok(())
    }
}

/// The three folders a strategy sees, as handles: `/session` read-only, `/memory`
/// and `/skills` read-write.
pub struct Preopens<'a> {
    pub session: &'a Dir,
    pub memory: &'a Dir,
    pub skills: &'a Dir,
}

/// Says whether a running strategy has written past what its folders may hold.
pub type WriteCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// How often a [`WriteCheck`] is asked while the strategy runs.
const WRITE_CHECK_MS: u64 = 200;

/// Log lines a strategy may write per call; later ones are dropped.
const MAX_LOG_LINES: usize = 1000;

pub(crate) struct StrategyState {
    base: Base,
    host: Box<dyn StrategyHost>,
    max_output: usize,
    log_lines: usize,
}

impl HasBase for StrategyState {
    fn base(&mut self) -> &mut Base {
        &mut self.base
    }
}

impl WasiView for StrategyState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.base.wasi,
            table: &mut self.base.table,
        }
    }
}

impl wit_types::Host for StrategyState {}

impl log::Host for StrategyState {
    fn log(&mut self, level: log::Level, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return;
        }
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        let mut message = message;
        if message.len() > self.max_output {
            let mut cut = self.max_output;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [cut]");
        }
        self.host.log(level, &message);
    }
}

impl llm::Host for StrategyState {
    fn complete(&mut self, request: llm::Request) -> Result<llm::Response, wit_types::Denial> {
        let request = LlmRequest {
            messages: request
                .messages
                .into_iter()
                .map(|m| {
                    let role = match m.role {
                        llm::Role::System => "system",
                        llm::Role::User => "user",
                        llm::Role::Assistant => "assistant",
                    };
                    (role.to_string(), m.content)
                })
                .collect(),
            max_output_tokens: request.max_output_tokens,
        };
        self.host
            .complete(request)
            .map(|r| llm::Response {
                text: r.text,
                model: r.model,
                usage: llm::Usage {
                    input_tokens: r.input_tokens,
                    output_tokens: r.output_tokens,
                },
                truncated: r.truncated,
            })
            .map_err(denial_to_wit)
    }

    fn remaining(&mut self) -> llm::Budget {
        let (calls, tokens) = self.host.remaining();
        llm::Budget { calls, tokens }
    }
}

impl recall::Host for StrategyState {
    fn search(&mut self, query: recall::Query) -> Result<Vec<recall::Hit>, wit_types::Denial> {
        let query = RecallQuery {
            text: query.text,
            limit: query.limit,
            global: query.global,
        };
        self.host
            .search(query)
            .map(|hits| {
                hits.into_iter()
                    .map(|h| recall::Hit {
                        session_id: h.session_id,
                        client: h.client,
                        role: h.role,
                        snippet: h.snippet,
                        at_ms: h.at_ms,
                    })
                    .collect()
            })
            .map_err(denial_to_wit)
    }
}

/// Quotes and targets a citation may carry, so a guest cannot make the host hold
/// unbounded data; longer ones are refused.
const MAX_QUOTES: usize = 16;

impl evidence::Host for StrategyState {
    fn cite(&mut self, citation: evidence::Citation) -> Result<(), wit_types::Denial> {
        let too_big = citation.quotes.len() > MAX_QUOTES
            || citation.target.len() > self.max_output
            || citation.section.len() > self.max_output
            || citation
                .quotes
                .iter()
                .any(|q| q.text.len() > self.max_output);
        if too_big {
            return Err(denial_to_wit(Denial::InvalidRequest(format!(
                "a citation holds at most {MAX_QUOTES} quotes of at most {} bytes each",
                self.max_output
            ))));
        }
        let citation = Citation {
            scope: scope_from_wit(citation.scope),
            target: citation.target,
            section: citation.section,
            quotes: citation
                .quotes
                .into_iter()
                .map(|q| Quote {
                    message_id: q.message_id,
                    text: q.text,
                })
                .collect(),
        };
        self.host.cite(citation).map_err(denial_to_wit)
    }
}

pub(crate) fn linker(engine: &wasmtime::Engine) -> Result<Linker<StrategyState>, EngineError> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    ReflectionStrategy::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    Ok(linker)
}

/// A reflection strategy ready to be called; each call gets a fresh instance.
pub struct Strategy {
    sandbox: Sandbox,
    pre: ReflectionStrategyPre<StrategyState>,
}

impl Strategy {
    pub(crate) fn new(sandbox: Sandbox, guest: &Guest) -> Result<Strategy, SandboxError> {
        let linker = sandbox
            .inner
            .strategy_linker
            .get_or_init(|| linker(&sandbox.inner.engine))
            .as_ref()
            .map_err(|e| SandboxError::Engine(e.clone()))?;
        let incompatible = |e| SandboxError::incompatible(World::ReflectionStrategy, e);
        let pre = linker
            .instantiate_pre(&guest.component)
            .map_err(incompatible)?;
        let pre = ReflectionStrategyPre::new(pre).map_err(incompatible)?;
        Ok(Strategy { sandbox, pre })
    }

    /// One `reflect` call on a fresh instance that sees only `preopens`.
    pub fn reflect(
        &self,
        input: &model::ReflectInput,
        preopens: &Preopens<'_>,
        host: Box<dyn StrategyHost>,
    ) -> Result<model::ReflectOutput, SandboxError> {
        self.reflect_bounded(input, preopens, host, None)
    }

    /// [`Strategy::reflect`], stopping the strategy as soon as `over` says it
    /// wrote past its bound (asked every [`WRITE_CHECK_MS`] while it runs).
    pub fn reflect_bounded(
        &self,
        input: &model::ReflectInput,
        preopens: &Preopens<'_>,
        host: Box<dyn StrategyHost>,
        over: Option<WriteCheck>,
    ) -> Result<model::ReflectOutput, SandboxError> {
        let limits = self.sandbox.limits();
        let stderr = MemoryOutputPipe::new(run::STDERR_CAPACITY);
        let mut builder = WasiCtxBuilder::new();
        builder
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .allow_blocking_current_thread(true);
        for (dir, guest_path, perms) in [
            (preopens.session, "/session", FsPerms::ReadOnly),
            (preopens.memory, "/memory", FsPerms::ReadWrite),
            (preopens.skills, "/skills", FsPerms::ReadWrite),
        ] {
            let host_path = fs_authority::handle_path(dir);
            builder
                .preopened_dir(&host_path, guest_path, perms)
                .map_err(|e| SandboxError::Preopen {
                    path: host_path.clone(),
                    source: e.into(),
                })?;
        }
        let state = StrategyState {
            base: Base {
                wasi: builder.build(),
                table: ResourceTable::new(),
                limiter: GuestLimiter::new(limits),
                stderr,
            },
            host,
            max_output: limits.max_output_bytes,
            log_lines: 0,
        };
        let mut store: Store<StrategyState> =
            run::store(&self.sandbox, state, limits.strategy_timeout_ms)?;
        let stopped = Arc::new(AtomicBool::new(false));
        if let Some(over) = over {
            watch_writes(
                &mut store,
                over,
                limits.strategy_timeout_ms,
                stopped.clone(),
            );
        }
        let fail = |store: &mut Store<StrategyState>, e| {
            if stopped.load(Ordering::SeqCst) {
                return SandboxError::ResourceLimit(
                    "the strategy wrote more into its folders than they may hold, and was stopped"
                        .into(),
                );
            }
            run::classify(store, e, limits.strategy_timeout_ms, limits.memory_bytes())
        };
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| fail(&mut store, e))?;
        let arg = wit::ReflectInput {
            job_id: input.job_id.clone(),
            digest: digest_to_wit(&input.digest),
            scopes: input.scopes.iter().copied().map(scope_to_wit).collect(),
            reasons: input.reasons.clone(),
            settings: settings_to_wit(&input.settings),
        };
        let result = instance
            .csep_engine_strategy()
            .call_reflect(&mut store, &arg)
            .map_err(|e| fail(&mut store, e))?;
        let out = result.map_err(|e| SandboxError::Guest(guest_error_from_wit(e)))?;
        run::bounded("summary", &out.summary, limits.max_output_bytes)?;
        Ok(model::ReflectOutput {
            summary: out.summary,
        })
    }
}

/// Replaces the plain deadline with one that wakes every [`WRITE_CHECK_MS`]:
/// the strategy is stopped once `over` holds, or when its time is up.
fn watch_writes(
    store: &mut Store<StrategyState>,
    over: WriteCheck,
    timeout_ms: u64,
    stopped: Arc<AtomicBool>,
) {
    let step = ticker::ticks(WRITE_CHECK_MS);
    let mut left = ticker::ticks(timeout_ms);
    store.set_epoch_deadline(step.min(left));
    store.epoch_deadline_callback(move |_| {
        left = left.saturating_sub(step);
        if left == 0 {
            return Err(Trap::Interrupt.into());
        }
        if over() {
            stopped.store(true, Ordering::SeqCst);
            return Err(Trap::Interrupt.into());
        }
        Ok(UpdateDeadline::Continue(step.min(left)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReflectInput, SettingValue, Settings};
    use crate::sandbox::Limits;

    fn run_loop(
        over: Option<WriteCheck>,
        timeout_ms: u64,
    ) -> Result<model::ReflectOutput, SandboxError> {
        let wasm = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/wasm/hostile-strategy.wasm"
        ))
        .unwrap();
        let limits = Limits {
            strategy_timeout_ms: timeout_ms,
            ..Limits::default()
        };
        let sandbox = Sandbox::new(limits, None).unwrap();
        let guest = sandbox.load("hostile-strategy", &wasm).unwrap();
        let strategy = sandbox.strategy(&guest).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let open = |name: &str| {
            std::fs::create_dir(tmp.path().join(name)).unwrap();
            fs_authority::open_dir(&tmp.path().join(name)).unwrap()
        };
        let (session, memory, skills) = (open("session"), open("memory"), open("skills"));
        let input = ReflectInput {
            job_id: "job-1".into(),
            settings: Settings(vec![("mode".into(), SettingValue::Text("loop".into()))]),
            ..ReflectInput::default()
        };
        let preopens = Preopens {
            session: &session,
            memory: &memory,
            skills: &skills,
        };
        strategy.reflect_bounded(&input, &preopens, Box::new(Unavailable), over)
    }

    #[test]
    fn a_strategy_past_its_write_bound_is_stopped_while_it_runs() {
        let e = run_loop(Some(Arc::new(|| true)), 60_000).unwrap_err();
        assert!(
            matches!(&e, SandboxError::ResourceLimit(m) if m.contains("was stopped")),
            "{e}"
        );
    }

    #[test]
    fn a_strategy_within_its_bound_still_meets_its_deadline() {
        let e = run_loop(Some(Arc::new(|| false)), 500).unwrap_err();
        assert!(matches!(e, SandboxError::Timeout { limit_ms: 500 }), "{e}");
    }
}
