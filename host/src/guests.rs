//! Finds the bytes of the guest to run, bundled or from a file, and loads them.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::bundled::{self, Bundled};
use crate::config::GuestConfig;
use crate::fs_authority;
use crate::hash::sha256_hex;
use crate::home::Home;
use crate::sandbox::{Guest, Sandbox};

/// Where a guest comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Bundled(&'static Bundled),
    File(PathBuf),
}

impl Source {
    /// The configured policy, or the bundled default.
    pub fn policy(home: &Home, config: &GuestConfig) -> Source {
        match &config.path {
            Some(path) => Source::File(home.root().join(path)),
            None => Source::Bundled(&bundled::POLICY_DEFAULT),
        }
    }

    /// The configured strategy, or the bundled default.
    pub fn strategy(home: &Home, config: &GuestConfig) -> Source {
        match &config.path {
            Some(path) => Source::File(home.root().join(path)),
            None => Source::Bundled(&bundled::STRATEGY_DEFAULT),
        }
    }
}

impl Source {
    /// How `csep status` and the logs name it.
    pub fn name(&self) -> String {
        match self {
            Source::Bundled(b) => format!("bundled {}", b.name),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// Reads and loads a guest; a pinned hash that does not match refuses the file.
pub fn load(sandbox: &Sandbox, source: &Source, pin: Option<&str>) -> anyhow::Result<Guest> {
    match source {
        Source::Bundled(b) => sandbox
            .load(&b.origin(), b.bytes)
            .with_context(|| format!("loading the bundled {}", b.name)),
        Source::File(path) => load_file(sandbox, path, pin),
    }
}

pub fn load_file(sandbox: &Sandbox, path: &Path, pin: Option<&str>) -> anyhow::Result<Guest> {
    let bytes =
        fs_authority::read_file(path).with_context(|| format!("reading {}", path.display()))?;
    if let Some(pin) = pin {
        let actual = sha256_hex(&bytes);
        if !actual.eq_ignore_ascii_case(pin) {
            bail!(
                "{} has sha256 {actual}, but the config pins {pin}: the file changed since it \
                 was approved; check it and update the pin to use it",
                path.display()
            );
        }
    }
    sandbox
        .load(&path.display().to_string(), &bytes)
        .with_context(|| format!("loading {}", path.display()))
}
