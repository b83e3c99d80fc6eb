//! The repo's memory as SessionStart injects it: the bucket's `MEMORY.md` read through
//! the same capability handle, lines holding a secret or an injected instruction
//! withheld, cut to the same budget.

use std::path::{Path, PathBuf};

use crate::bucket::Bucket;
use crate::fs_authority;
use crate::home::Home;
use crate::hooks::memory;

/// What the memory tool returns.
pub struct RepoMemory {
    pub repo: PathBuf,
    pub path: PathBuf,
    /// The text SessionStart would inject (empty when there is no memory).
    pub text: String,
    /// Lines withheld, with why (`secret`, `prompt-injection`).
    pub withheld: Vec<(usize, &'static str)>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the memory of {}: {source}", path.display())]
pub struct MemoryError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// Reads the memory of the repo `cwd` belongs to.
pub fn read(home: &Home, cwd: &Path) -> Result<RepoMemory, MemoryError> {
    let bucket = Bucket::resolve(cwd);
    let path = home.memory_dir(&bucket.id).join("MEMORY.md");
    let fail = |source| MemoryError {
        path: path.clone(),
        source,
    };
    let text = match fs_authority::open_dir(&home.projects())
        .and_then(|projects| projects.open_dir(&bucket.id))
    {
        Ok(dir) => memory::read(&dir).map_err(fail)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(fail(e)),
    };
    let (config, _) = crate::hooks::hook_config(home);
    let loaded = memory::prepare(&text, config.session_start.memory_budget_chars, &path);
    Ok(RepoMemory {
        repo: bucket.key_path,
        path,
        text: loaded.text,
        withheld: loaded.withheld,
    })
}
