//! Where csep keeps its state: `--home`, else `$CODEX_SELF_EVOLUTION_HOME`, else
//! `~/.codex-self-evolution`. Never inside the user's repository.

use std::path::{Path, PathBuf};

use crate::world::World;

pub const HOME_ENV: &str = "CODEX_SELF_EVOLUTION_HOME";
/// The provider's secrets file, beside config.toml.
pub const PROVIDER_ENV_FILE: &str = ".env.provider";

/// Neither `--home`, `$CODEX_SELF_EVOLUTION_HOME` nor `$HOME` names a state folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot find the state folder: neither --home, {HOME_ENV} nor HOME is set")]
pub struct NoHome;

#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    pub fn resolve(flag: Option<&Path>) -> Result<Home, NoHome> {
        if let Some(path) = flag {
            return Ok(Home::at(path));
        }
        if let Some(path) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Home::at(Path::new(&path)));
        }
        match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => Ok(Home::at(&Path::new(&home).join(".codex-self-evolution"))),
            None => Err(NoHome),
        }
    }

    /// A relative path is taken from the current directory, once, here.
    pub fn at(path: &Path) -> Home {
        let root = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|cwd| cwd.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        };
        Home { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    /// A path a config value gives: relative to the state folder, or absolute.
    pub fn config_relative(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// The provider's secrets file beside config.toml.
    pub fn provider_env_file(&self) -> PathBuf {
        self.root.join(PROVIDER_ENV_FILE)
    }

    /// `policies/` or `strategies/`: where drop-in guests of `world` live.
    pub fn dropins_dir(&self, world: World) -> PathBuf {
        self.root.join(world.folder())
    }

    /// `projects/`: one folder per repo bucket.
    pub fn projects(&self) -> PathBuf {
        self.root.join("projects")
    }

    /// `projects/<bucket>/`: the bucket's memory and the policy's bucket state.
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.projects().join(bucket)
    }

    /// `projects/<bucket>/memory/`: MEMORY.md and what reflection writes beside it.
    pub fn memory_dir(&self, bucket: &str) -> PathBuf {
        self.bucket_dir(bucket).join("memory")
    }

    /// `triggers/`: one folder of trigger-policy state per session.
    pub fn triggers(&self) -> PathBuf {
        self.root.join("triggers")
    }

    /// `session_reflection/`: the reflection loop's own folder.
    pub fn reflection_dir(&self) -> PathBuf {
        self.root.join("session_reflection")
    }

    /// `session_reflection/jobs/`: the job queue.
    pub fn jobs_dir(&self) -> PathBuf {
        self.reflection_dir().join("jobs")
    }

    /// `session_reflection/runs/`: one folder per reflection run.
    pub fn runs_dir(&self) -> PathBuf {
        self.reflection_dir().join("runs")
    }

    /// `session_reflection/workers/`: the worker slot locks.
    pub fn workers_dir(&self) -> PathBuf {
        self.reflection_dir().join("workers")
    }

    /// `session_reflection/stranded.stamp`: when stranded jobs were last looked for.
    pub fn stranded_stamp(&self) -> PathBuf {
        self.reflection_dir().join("stranded.stamp")
    }

    /// `session_reflection/usage/`: the model budget's daily ledgers.
    pub fn usage_dir(&self) -> PathBuf {
        self.reflection_dir().join("usage")
    }

    /// `cache/`: what can be rebuilt from elsewhere.
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// `logs/`: the hook log and the workers' logs.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// `recall/`: the recall index and what is moved aside beside it.
    pub fn recall_dir(&self) -> PathBuf {
        self.root.join("recall")
    }

    /// The recall index (a name of its own: an older tool's database may sit beside it).
    pub fn recall_db(&self) -> PathBuf {
        self.recall_dir().join("index.db")
    }

    /// `migrate/`: what `csep migrate` keeps between runs.
    pub fn migrate_dir(&self) -> PathBuf {
        self.root.join("migrate")
    }

    /// `migrate/backups/`: one folder per migration run, for `--undo`.
    pub fn migrate_backups_dir(&self) -> PathBuf {
        self.migrate_dir().join("backups")
    }

    /// `session_recall/state.db`: the original tool's recall index, if it is still there.
    pub fn original_recall_db(&self) -> PathBuf {
        self.root.join("session_recall").join("state.db")
    }

    /// Precompiled guest components.
    pub fn wasm_cache_dir(&self) -> PathBuf {
        self.cache_dir().join("wasm")
    }
}

/// Codex's own folder: `$CODEX_HOME`, else `~/.codex`, as Codex itself resolves it.
pub fn codex_home() -> Option<PathBuf> {
    env_dir("CODEX_HOME").or_else(|| user_home().map(|h| h.join(".codex")))
}

/// Claude Code's folder: `$CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn claude_home() -> Option<PathBuf> {
    env_dir("CLAUDE_CONFIG_DIR").or_else(|| user_home().map(|h| h.join(".claude")))
}

fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn user_home() -> Option<PathBuf> {
    env_dir("HOME")
}
