//! The sandboxed component engine. This module owns every wasmtime type: callers
//! hand it bytes and plain `crate::model` values and get plain values or a typed
//! `SandboxError` back.

mod bindings;
mod cache;
mod contract;
mod convert;
mod error;
mod limits;
mod policy;
mod run;
mod strategy;
mod ticker;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::hash::sha256_hex;
use crate::path_error::AtPath;
use crate::world::World;

pub use bindings::VERSION as CONTRACT_VERSION;
pub use cache::CacheOutcome;
pub use contract::supported_range;
pub use error::{EngineError, SandboxError};
pub use limits::{InvalidLimits, Limits};
pub use policy::Policy;
pub use strategy::{Preopens, Strategy, StrategyHost, Unavailable};

/// A component that was compiled (or loaded from the cache) and identified.
pub struct Guest {
    origin: String,
    sha256: String,
    world: World,
    version: semver::Version,
    cache: CacheOutcome,
    component: Component,
}

impl Guest {
    /// Where it came from: a path, or `bundled:<name>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
    pub fn world(&self) -> World {
        self.world
    }
    /// The contract version the guest was built against.
    pub fn version(&self) -> String {
        self.version.to_string()
    }
    pub fn cache_outcome(&self) -> &CacheOutcome {
        &self.cache
    }
}

struct Inner {
    engine: Engine,
    limits: Limits,
    cache: Option<cache::ComponentCache>,
    policy_linker: OnceLock<Result<Linker<policy::PolicyState>, EngineError>>,
    strategy_linker: OnceLock<Result<Linker<strategy::StrategyState>, EngineError>>,
    ticker: OnceLock<Result<(), EngineError>>,
}

/// One engine with its limits and cache. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

/// Everything that affects compiled code is set here, once: the cache key covers it.
fn engine_config() -> Config {
    let mut cfg = Config::new();
    cfg.epoch_interruption(true);
    cfg
}

impl Sandbox {
    /// `cache_root`: where precompiled artifacts live (none: compile every time).
    pub fn new(limits: Limits, cache_root: Option<&Path>) -> Result<Sandbox, SandboxError> {
        limits.validate()?;
        let engine = Engine::new(&engine_config()).map_err(SandboxError::engine)?;
        let cache = cache_root.map(cache::ComponentCache::open).transpose()?;
        Ok(Sandbox {
            inner: Arc::new(Inner {
                engine,
                limits,
                cache,
                policy_linker: OnceLock::new(),
                strategy_linker: OnceLock::new(),
                ticker: OnceLock::new(),
            }),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn cache_dir(&self) -> Option<&Path> {
        self.inner.cache.as_ref().map(|c| c.path())
    }

    /// Drops compiled artifacts of every component whose sha256 is not in `keep`.
    /// Returns files removed and bytes freed (nothing without a cache).
    pub fn prune_cache(&self, keep: &[&str]) -> Result<(usize, u64), SandboxError> {
        match &self.inner.cache {
            Some(cache) => Ok(cache
                .prune(keep)
                .at("pruning the component cache", cache.path())?),
            None => Ok((0, 0)),
        }
    }

    /// Checks the bytes are a component, compiles it (or loads it from the cache)
    /// and reads which world and contract version it targets.
    pub fn load(&self, origin: &str, wasm: &[u8]) -> Result<Guest, SandboxError> {
        self.load_hashed(origin, wasm, sha256_hex(wasm))
    }

    /// `load` for bytes the caller has just hashed (to check a pin): a large guest is
    /// hashed once. The hash keys the compiled cache, so it must be of these bytes.
    pub(crate) fn load_hashed(
        &self,
        origin: &str,
        wasm: &[u8],
        sha256: String,
    ) -> Result<Guest, SandboxError> {
        debug_assert_eq!(sha256, sha256_hex(wasm));
        sniff(wasm)?;
        let engine = &self.inner.engine;
        let (component, outcome) = match &self.inner.cache {
            Some(cache) => cache.load_or_compile(engine, wasm, &sha256)?,
            None => (
                Component::new(engine, wasm).map_err(SandboxError::malformed)?,
                CacheOutcome::Disabled,
            ),
        };
        self.identified(origin, sha256, component, outcome)
    }

    /// The guest whose bytes have sha256 `sha256`, from the compiled cache alone;
    /// `None` when the cache does not hold it (the caller then reads the bytes and
    /// calls [`Sandbox::load_hashed`]). A large guest is then never read at all.
    pub(crate) fn load_cached(&self, origin: &str, sha256: &str) -> Option<Guest> {
        let engine = &self.inner.engine;
        let component = self.inner.cache.as_ref()?.cached(engine, sha256)?;
        self.identified(origin, sha256.to_string(), component, CacheOutcome::Hit)
            .ok()
    }

    fn identified(
        &self,
        origin: &str,
        sha256: String,
        component: Component,
        cache: CacheOutcome,
    ) -> Result<Guest, SandboxError> {
        let engine = &self.inner.engine;
        let ty = component.component_type();
        let target = contract::identify(
            ty.imports(engine).map(|(name, _)| name),
            ty.exports(engine).map(|(name, _)| name),
        )?;
        Ok(Guest {
            origin: origin.to_string(),
            sha256,
            world: target.world,
            version: target.version,
            cache,
            component,
        })
    }

    /// Prepares a loaded guest to run as a trigger policy.
    pub fn policy(&self, guest: &Guest) -> Result<Policy, SandboxError> {
        expect_world(guest, World::TriggerPolicy)?;
        Policy::new(self.clone(), guest)
    }

    /// Prepares a loaded guest to run as a reflection strategy.
    pub fn strategy(&self, guest: &Guest) -> Result<Strategy, SandboxError> {
        expect_world(guest, World::ReflectionStrategy)?;
        Strategy::new(self.clone(), guest)
    }

    /// Without the watchdog a runaway guest would never stop: no watchdog, no call.
    fn start_ticker(&self) -> Result<(), SandboxError> {
        self.inner
            .ticker
            .get_or_init(|| ticker::start(&self.inner.engine))
            .clone()
            .map_err(SandboxError::Engine)
    }
}

fn expect_world(guest: &Guest, expected: World) -> Result<(), SandboxError> {
    if guest.world == expected {
        Ok(())
    } else {
        Err(SandboxError::WrongWorld {
            expected,
            found: guest.world,
        })
    }
}

/// Tells a component from a core module or from something that is not wasm at all,
/// before Cranelift sees it.
fn sniff(bytes: &[u8]) -> Result<(), SandboxError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(SandboxError::NotWasm);
    }
    // The 16-bit layer field after the version: 0 for core modules, 1 for components.
    match [bytes[6], bytes[7]] {
        [0, 0] => Err(SandboxError::CoreModule),
        [1, 0] => Ok(()),
        _ => Err(SandboxError::Malformed(
            "unknown WebAssembly binary layer".into(),
        )),
    }
}
