//! Runs a trigger policy: no filesystem, no network, no environment, a frozen wall
//! clock and deterministic randomness, so its decision depends on its input alone.

use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{Deterministic, HostWallClock, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::policy::exports::csep::engine::policy as wit;
use super::bindings::policy::{TriggerPolicy, TriggerPolicyPre};
use super::convert::{
    digest_to_wit, guest_error_from_wit, scope_from_wit, scope_to_wit, settings_to_wit,
};
use super::error::{EngineError, SandboxError};
use super::limits::GuestLimiter;
use super::run::{self, Base, HasBase};
use super::{Guest, Sandbox, World};
use crate::model;

pub(crate) struct PolicyState {
    base: Base,
}

impl HasBase for PolicyState {
    fn base(&mut self) -> &mut Base {
        &mut self.base
    }
}

impl WasiView for PolicyState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.base.wasi,
            table: &mut self.base.table,
        }
    }
}

impl super::bindings::policy::csep::engine::types::Host for PolicyState {}

/// The wall clock a policy sees: always the digest's `now-ms`.
struct FrozenClock(Duration);

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

pub(crate) fn linker(engine: &wasmtime::Engine) -> Result<Linker<PolicyState>, EngineError> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    TriggerPolicy::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    Ok(linker)
}

/// A trigger policy ready to be called; each call gets a fresh instance.
pub struct Policy {
    sandbox: Sandbox,
    pre: TriggerPolicyPre<PolicyState>,
}

impl Policy {
    pub(crate) fn new(sandbox: Sandbox, guest: &Guest) -> Result<Policy, SandboxError> {
        let linker = sandbox
            .inner
            .policy_linker
            .get_or_init(|| linker(&sandbox.inner.engine))
            .as_ref()
            .map_err(|e| SandboxError::Engine(e.clone()))?;
        let incompatible = |e| SandboxError::incompatible(World::TriggerPolicy, e);
        let pre = linker
            .instantiate_pre(&guest.component)
            .map_err(incompatible)?;
        let pre = TriggerPolicyPre::new(pre).map_err(incompatible)?;
        Ok(Policy { sandbox, pre })
    }

    fn store(&self, now_ms: u64) -> Result<Store<PolicyState>, SandboxError> {
        let stderr = MemoryOutputPipe::new(run::STDERR_CAPACITY);
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(FrozenClock(Duration::from_millis(now_ms)))
            .secure_random(Deterministic::new(vec![0x5a; 32]))
            .insecure_random(Deterministic::new(vec![0xa5; 32]))
            .insecure_random_seed(0)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = self.sandbox.limits();
        let state = PolicyState {
            base: Base {
                wasi,
                table: ResourceTable::new(),
                limiter: GuestLimiter::new(limits),
                stderr,
            },
        };
        run::store(&self.sandbox, state, limits.policy_timeout_ms)
    }

    fn fail(&self, store: &mut Store<PolicyState>, err: wasmtime::Error) -> SandboxError {
        let limits = self.sandbox.limits();
        run::classify(store, err, limits.policy_timeout_ms, limits.memory_bytes())
    }

    /// One `decide` call on a fresh instance.
    pub fn decide(&self, input: &model::DecideInput) -> Result<model::Decision, SandboxError> {
        let mut store = self.store(input.digest.now_ms)?;
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.fail(&mut store, e))?;
        let arg = wit::DecideInput {
            digest: digest_to_wit(&input.digest),
            session_state: input.session_state.clone(),
            bucket_state: input.bucket_state.clone(),
            settings: settings_to_wit(&input.settings),
        };
        let result = instance
            .csep_engine_policy()
            .call_decide(&mut store, &arg)
            .map_err(|e| self.fail(&mut store, e))?;
        let d = result.map_err(|e| SandboxError::Guest(guest_error_from_wit(e)))?;
        let max = self.sandbox.limits().max_output_bytes;
        run::bounded("summary", &d.summary, max)?;
        run::bounded("reasons", &d.reasons.join("\n"), max)?;
        run::bounded(
            "session-state",
            d.session_state.as_deref().unwrap_or(""),
            max,
        )?;
        run::bounded("bucket-state", d.bucket_state.as_deref().unwrap_or(""), max)?;
        let mut scopes: Vec<model::Scope> = Vec::new();
        for scope in d.scopes.into_iter().map(scope_from_wit) {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(model::Decision {
            reflect: d.reflect && !scopes.is_empty(),
            scopes: if d.reflect { scopes } else { Vec::new() },
            reasons: d.reasons,
            summary: d.summary,
            session_state: d.session_state,
            bucket_state: d.bucket_state,
        })
    }

    /// One `settle` call on a fresh instance, after a reflection job ended.
    pub fn settle(
        &self,
        input: &model::SettleInput,
        now_ms: u64,
    ) -> Result<model::Settled, SandboxError> {
        let mut store = self.store(now_ms)?;
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.fail(&mut store, e))?;
        let arg = wit::SettleInput {
            scopes: input.scopes.iter().copied().map(scope_to_wit).collect(),
            queued_session_state: input.queued_session_state.clone(),
            session_state: input.session_state.clone(),
            bucket_state: input.bucket_state.clone(),
            settings: settings_to_wit(&input.settings),
        };
        let result = instance
            .csep_engine_policy()
            .call_settle(&mut store, &arg)
            .map_err(|e| self.fail(&mut store, e))?;
        let s = result.map_err(|e| SandboxError::Guest(guest_error_from_wit(e)))?;
        let max = self.sandbox.limits().max_output_bytes;
        run::bounded(
            "session-state",
            s.session_state.as_deref().unwrap_or(""),
            max,
        )?;
        run::bounded("bucket-state", s.bucket_state.as_deref().unwrap_or(""), max)?;
        Ok(model::Settled {
            session_state: s.session_state,
            bucket_state: s.bucket_state,
        })
    }
}
