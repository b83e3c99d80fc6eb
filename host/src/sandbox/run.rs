//! Runs one guest call under the limits and turns whatever went wrong into a
//! `SandboxError` that names the limit, not wasmtime's internals.

use wasmtime::component::ResourceTable;
use wasmtime::{Store, Trap};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use super::Sandbox;
use super::error::SandboxError;
use super::limits::{GuestLimiter, LimitHit};
use super::ticker;

/// What any guest's store holds besides its world-specific host state.
pub(crate) struct Base {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limiter: GuestLimiter,
    pub stderr: MemoryOutputPipe,
}

/// Guest stderr kept for error messages (a Rust panic message fits easily).
pub(crate) const STDERR_CAPACITY: usize = 8 * 1024;

pub(crate) trait HasBase: Send + 'static {
    fn base(&mut self) -> &mut Base;
}

/// Makes a store with the memory limiter and an epoch deadline of `timeout_ms`.
pub(crate) fn store<T: HasBase>(
    sandbox: &Sandbox,
    state: T,
    timeout_ms: u64,
) -> Result<Store<T>, SandboxError> {
    sandbox.start_ticker()?;
    let mut store = Store::new(&sandbox.inner.engine, state);
    store.limiter(|s| &mut s.base().limiter);
    store.set_epoch_deadline(ticker::ticks(timeout_ms));
    store.epoch_deadline_trap();
    Ok(store)
}

/// Classifies a failed instantiation or call.
pub(crate) fn classify<T: HasBase>(
    store: &mut Store<T>,
    err: wasmtime::Error,
    timeout_ms: u64,
    memory_bytes: u64,
) -> SandboxError {
    let base = store.data_mut().base();
    match base.limiter.hit {
        Some(LimitHit::Memory) => {
            return SandboxError::OutOfMemory {
                limit_bytes: memory_bytes,
            };
        }
        Some(LimitHit::TableElements) => {
            return SandboxError::ResourceLimit(format!("{err:#}"));
        }
        None => {}
    }
    let stderr = String::from_utf8_lossy(&base.stderr.contents()).into_owned();
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => SandboxError::Timeout {
            limit_ms: timeout_ms,
        },
        Some(trap) => SandboxError::Trap {
            message: trap.to_string(),
            stderr,
        },
        None => {
            let message = format!("{err:#}");
            if message.contains("resource limit exceeded") {
                SandboxError::ResourceLimit(message)
            } else {
                SandboxError::Trap { message, stderr }
            }
        }
    }
}

/// Refuses a returned string over the output cap.
pub(crate) fn bounded(field: &'static str, value: &str, max: usize) -> Result<(), SandboxError> {
    if value.len() > max {
        Err(SandboxError::OversizedOutput {
            field,
            len: value.len(),
            max,
        })
    } else {
        Ok(())
    }
}
