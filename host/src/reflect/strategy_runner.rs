//! Loading the configured reflection strategy (a broken drop-in gives way to the
//! bundled one) and running it on a job's folders within its staging bounds; the
//! counterpart of `policy_runner` for the other world.

use std::path::Path;
use std::sync::Arc;

use super::material::RunDirs;
use super::receipt::StrategyInfo;
use super::retention;
use crate::config::Config;
use crate::guests::{self, Source};
use crate::home::Home;
use crate::model::{ReflectInput, SettingValue, Settings};
use crate::sandbox::{Preopens, Sandbox, SandboxError};
use crate::world::World;

/// What a strategy may leave in staging beyond what it was given: past it the
/// job fails and nothing of staging is looked at.
const STAGING_EXTRA_BYTES: u64 = 64 * 1024 * 1024;
const STAGING_EXTRA_FILES: u64 = 2000;

#[derive(Debug, thiserror::Error)]
pub enum StrategyRunError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Neither the configured strategy nor the bundled one could be loaded.
    #[error("{0:#}")]
    Load(anyhow::Error),
    #[error("the strategy {origin} failed: {source}")]
    Failed {
        origin: String,
        #[source]
        source: SandboxError,
    },
    #[error(
        "the strategy wrote more than its staging allows ({STAGING_EXTRA_BYTES} bytes and {STAGING_EXTRA_FILES} files beyond what it was given): nothing of it was looked at"
    )]
    StagingTooLarge,
}

/// Loads the configured strategy (a broken drop-in gives way to the bundled one)
/// and runs it on the job's folders.
pub(crate) fn run(
    home: &Home,
    config: &Config,
    mut input: ReflectInput,
    dirs: &RunDirs,
    host: Box<dyn crate::sandbox::StrategyHost>,
) -> Result<(StrategyInfo, String), StrategyRunError> {
    let sandbox = Sandbox::new(config.sandbox.clone(), Some(&home.wasm_cache_dir()))?;
    let source = Source::strategy(home, &config.strategy);
    let load = |source: &Source, pin: Option<&str>| -> anyhow::Result<_> {
        let guest = guests::load(&sandbox, source, pin)?;
        let strategy = sandbox.strategy(&guest)?;
        Ok((guest, strategy))
    };
    let (guest, strategy, fallback) = match load(&source, config.strategy.sha256.as_deref()) {
        Ok((g, s)) => (g, s, None),
        Err(e) if !source.is_bundled() => {
            let (g, s) = load(&Source::Bundled(World::ReflectionStrategy.bundled()), None)
                .map_err(StrategyRunError::Load)?;
            (
                g,
                s,
                Some(format!("{} could not be loaded: {e:#}", source.name())),
            )
        }
        Err(e) => return Err(StrategyRunError::Load(e)),
    };
    input.settings = strategy_settings(config, source.is_bundled(), fallback.is_some());
    let preopens = Preopens {
        session: &dirs.session,
        memory: &dirs.memory,
        skills: &dirs.skills,
    };
    // Staging may grow by a bounded amount: past it the strategy is stopped.
    let staging = dirs.path.join("staging");
    let given = retention::measure(&staging, u64::MAX, u64::MAX);
    let over: Arc<dyn Fn() -> bool + Send + Sync> =
        Arc::new(move || check_staging_size(&staging, given).is_err());
    let out = strategy
        .reflect_bounded(&input, &preopens, host, Some(over))
        .map_err(|source| StrategyRunError::Failed {
            origin: guest.origin().to_string(),
            source,
        })?;
    Ok((
        StrategyInfo {
            origin: guest.origin().to_string(),
            sha256: guest.sha256().to_string(),
            world_version: crate::sandbox::CONTRACT_VERSION.to_string(),
            fallback,
            claimed_summary: String::new(),
        },
        out.summary,
    ))
}

/// The active strategy gets its settings table; the bundled one standing in for a
/// broken drop-in gets its defaults, since the table was written for the drop-in.
/// The bundled one also learns the memory budget SessionStart injects.
pub(crate) fn strategy_settings(config: &Config, bundled: bool, fallback: bool) -> Settings {
    let mut settings = if fallback {
        Settings::default()
    } else {
        config.strategy_settings()
    };
    if (bundled || fallback) && settings.get("memory_budget_chars").is_none() {
        settings.0.push((
            "memory_budget_chars".into(),
            SettingValue::Integer(config.session_start.memory_budget_chars as i64),
        ));
    }
    settings
}

/// A strategy may grow staging by a bounded amount; past it the job fails
/// (staging is removed by the caller whatever the outcome).
pub(crate) fn check_staging_size(
    staging: &Path,
    given: retention::Size,
) -> Result<(), StrategyRunError> {
    let max_bytes = given.bytes.saturating_add(STAGING_EXTRA_BYTES);
    let max_files = given.files.saturating_add(STAGING_EXTRA_FILES);
    let now = retention::measure(staging, max_bytes, max_files);
    if now.bytes > max_bytes || now.files > max_files {
        return Err(StrategyRunError::StagingTooLarge);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_may_grow_by_a_bounded_amount_only() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path();
        std::fs::write(staging.join("MEMORY.md"), "x".repeat(1000)).unwrap();
        let given = retention::measure(staging, u64::MAX, u64::MAX);
        std::fs::create_dir(staging.join("refs")).unwrap();
        for i in 0..STAGING_EXTRA_FILES {
            std::fs::write(staging.join(format!("refs/{i}.md")), "").unwrap();
        }
        assert!(check_staging_size(staging, given).is_ok());
        std::fs::write(staging.join("refs/one-more.md"), "").unwrap();
        let err = check_staging_size(staging, given).unwrap_err();
        assert!(err.to_string().contains("staging"), "{err}");

        let big = std::fs::File::create(staging.join("big.md")).unwrap();
        big.set_len(STAGING_EXTRA_BYTES + 1).unwrap(); // sparse: no disk used
        for f in ["refs/one-more.md", "refs/0.md"] {
            std::fs::remove_file(staging.join(f)).unwrap();
        }
        assert!(
            check_staging_size(staging, given).is_err(),
            "past the bytes"
        );
    }
}
