//! Resource limits that are always on, and the store limiter that enforces them.

use serde::{Deserialize, Serialize};

/// Limits for one guest call. `[sandbox]` in config.toml overrides the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Cap on the guest's linear memories, in MiB.
    pub memory_mib: u64,
    /// Wall-clock limit of one `decide` or `settle` call.
    pub policy_timeout_ms: u64,
    /// Wall-clock limit of one `reflect` call (model calls included).
    pub strategy_timeout_ms: u64,
    /// Cap on core instances, tables and memories a component may create.
    pub max_instances: usize,
    pub max_tables: usize,
    pub max_memories: usize,
    /// Cap on the elements of any one table.
    pub max_table_elements: usize,
    /// Cap on a string a guest returns (summary, state) and on one log message.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: 64,
            policy_timeout_ms: 500,
            strategy_timeout_ms: 300_000,
            max_instances: 20,
            max_tables: 20,
            max_memories: 4,
            max_table_elements: 100_000,
            max_output_bytes: 256 * 1024,
        }
    }
}

impl Limits {
    pub fn memory_bytes(&self) -> u64 {
        self.memory_mib.saturating_mul(1024 * 1024)
    }

    /// Rejects limits that would make every guest fail or none be limited.
    pub fn validate(&self) -> Result<(), InvalidLimits> {
        let checks = [
            (
                self.memory_mib == 0,
                "sandbox.memory_mib must be at least 1",
            ),
            (
                self.memory_mib > 4096,
                "sandbox.memory_mib must be at most 4096",
            ),
            (
                self.policy_timeout_ms == 0,
                "sandbox.policy_timeout_ms must be at least 1",
            ),
            (
                self.strategy_timeout_ms == 0,
                "sandbox.strategy_timeout_ms must be at least 1",
            ),
            (
                self.max_instances == 0,
                "sandbox.max_instances must be at least 1",
            ),
            (
                self.max_memories == 0,
                "sandbox.max_memories must be at least 1",
            ),
            (
                self.max_output_bytes < 1024,
                "sandbox.max_output_bytes must be at least 1024",
            ),
        ];
        match checks.iter().find(|(bad, _)| *bad) {
            Some(&(_, rule)) => Err(InvalidLimits(rule)),
            None => Ok(()),
        }
    }
}

/// What stopped a guest, remembered so a trap can be reported as the limit it was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LimitHit {
    Memory,
    TableElements,
}

pub(crate) struct GuestLimiter {
    memory_bytes: usize,
    table_elements: usize,
    instances: usize,
    tables: usize,
    memories: usize,
    pub(crate) hit: Option<LimitHit>,
}

impl GuestLimiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        GuestLimiter {
            memory_bytes: usize::try_from(limits.memory_bytes()).unwrap_or(usize::MAX),
            table_elements: limits.max_table_elements,
            instances: limits.max_instances,
            tables: limits.max_tables,
            memories: limits.max_memories,
            hit: None,
        }
    }
}

impl wasmtime::ResourceLimiter for GuestLimiter {
    // Growing past a limit traps instead of returning -1: a Rust guest would abort
    // anyway, and a trap we can name beats a guest that limps on.
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.hit = Some(LimitHit::Memory);
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes reached",
                self.memory_bytes
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            self.hit = Some(LimitHit::TableElements);
            return Err(wasmtime::format_err!(
                "table limit of {} elements reached",
                self.table_elements
            ));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// The rule a set of limits breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidLimits(pub &'static str);
