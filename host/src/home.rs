//! Where csep keeps its state: `--home`, else `$CODEX_SELF_EVOLUTION_HOME`, else
//! `~/.codex-self-evolution`. Never inside the user's repository.

use std::path::{Path, PathBuf};

pub const HOME_ENV: &str = "CODEX_SELF_EVOLUTION_HOME";

#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    pub fn resolve(flag: Option<&Path>) -> Result<Home, String> {
        if let Some(path) = flag {
            return Ok(Home::at(path));
        }
        if let Some(path) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Home::at(Path::new(&path)));
        }
        match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => Ok(Home::at(&Path::new(&home).join(".codex-self-evolution"))),
            None => Err(format!(
                "cannot find the state folder: neither --home, {HOME_ENV} nor HOME is set"
            )),
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

    /// The recall index (a name of its own: an older tool's database may sit beside it).
    pub fn recall_db(&self) -> PathBuf {
        self.root.join("recall").join("index.db")
    }

    /// Precompiled guest components.
    pub fn wasm_cache_dir(&self) -> PathBuf {
        self.root.join("cache").join("wasm")
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
