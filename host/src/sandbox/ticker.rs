//! The wall clock of the epoch deadline: one thread bumps the engine's epoch every
//! tick, and each store gets a deadline of N ticks. Concurrent calls on one engine
//! each keep their own deadline, and the thread ends when the engine is dropped.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Engine;

use super::error::EngineError;

pub(crate) const TICK: Duration = Duration::from_millis(5);

pub(crate) fn start(engine: &Engine) -> Result<(), EngineError> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("csep-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        })
        .map(|_| ())
        .map_err(|e| EngineError::Watchdog(Arc::new(e)))
}

/// Ticks for a deadline of `timeout_ms`, rounded up, plus one for the partial tick
/// already under way.
pub(crate) fn ticks(timeout_ms: u64) -> u64 {
    let tick = TICK.as_millis() as u64;
    timeout_ms.div_ceil(tick) + 1
}
