//! Finds the bytes of the guest to run (bundled, a drop-in by name, or a file) and
//! loads them.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::bundled::Bundled;
use crate::config::GuestConfig;
use crate::file_hashes::{self, FileHashes};
use crate::home::Home;
use crate::sandbox::{Guest, Sandbox};
use crate::world::World;

/// What `use = "bundled"` (or no `use` at all) means.
pub const BUNDLED: &str = "bundled";

/// Where a guest comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Bundled(&'static Bundled),
    File(PathBuf),
}

impl Source {
    /// The guest `config` names for `kind`: `bundled` (or nothing), a drop-in's name
    /// (`policies/<name>.wasm`), or a path relative to the state folder.
    pub fn resolve(home: &Home, kind: World, config: &GuestConfig) -> Source {
        match config.use_.as_deref().map(str::trim) {
            None | Some("") | Some(BUNDLED) => Source::Bundled(kind.bundled()),
            Some(name) if is_drop_in_name(name) => {
                Source::File(home.dropins_dir(kind).join(format!("{name}.wasm")))
            }
            Some(path) => Source::File(home.config_relative(path)),
        }
    }

    pub fn policy(home: &Home, config: &GuestConfig) -> Source {
        Source::resolve(home, World::TriggerPolicy, config)
    }

    pub fn strategy(home: &Home, config: &GuestConfig) -> Source {
        Source::resolve(home, World::ReflectionStrategy, config)
    }

    pub fn is_bundled(&self) -> bool {
        matches!(self, Source::Bundled(_))
    }

    /// How `csep status` and the logs name it.
    pub fn name(&self) -> String {
        match self {
            Source::Bundled(b) => format!("bundled {}", b.name),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// A drop-in is named by its file stem: no path separator, no `.wasm`, not hidden.
pub fn is_drop_in_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with(".wasm")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
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
    // A drop-in is checked against its pin at every Stop: its hash is remembered by
    // the file's stat in the compiled cache's folder, so a large one is not hashed
    // each time (a changed file is).
    let hashes = sandbox
        .cache_dir()
        .map(|dir| FileHashes::open(&dir.join(file_hashes::FOLDER)))
        .unwrap_or_else(FileHashes::disabled);
    // Known by its stat and compiled already: the file itself is not read.
    if let Some(known) = hashes.known(path) {
        check_pin(path, &known, pin)?;
        if let Some(guest) = sandbox.load_cached(&path.display().to_string(), &known) {
            return Ok(guest);
        }
    }
    let (bytes, actual) = hashes
        .read(path)
        .with_context(|| format!("reading {}", path.display()))?;
    check_pin(path, &actual, pin)?;
    sandbox
        .load_hashed(&path.display().to_string(), &bytes, actual)
        .with_context(|| format!("loading {}", path.display()))
}

/// Refuses a file whose sha256 is not the one the config pins.
fn check_pin(path: &Path, actual: &str, pin: Option<&str>) -> anyhow::Result<()> {
    if let Some(pin) = pin
        && !actual.eq_ignore_ascii_case(pin.trim())
    {
        bail!(
            "{} has sha256 {actual}, but the config pins {pin}: the file changed since it \
             was approved; check it, then approve it again with `csep policy use {}`",
            path.display(),
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Short form of a hash for logs and one-line reports.
pub fn short_hash(sha256: &str) -> &str {
    &sha256[..sha256.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(use_: Option<&str>) -> GuestConfig {
        GuestConfig {
            use_: use_.map(str::to_string),
            ..GuestConfig::default()
        }
    }

    #[test]
    fn use_names_the_bundled_guest_a_drop_in_or_a_path() {
        let home = Home::at(Path::new("/state"));
        for bundled in [None, Some("bundled"), Some(" ")] {
            assert!(Source::policy(&home, &config(bundled)).is_bundled());
        }
        let path = |c: Option<&str>, kind| match Source::resolve(&home, kind, &config(c)) {
            Source::File(p) => p,
            Source::Bundled(_) => panic!("{c:?} is not bundled"),
        };
        assert_eq!(
            path(Some("only-failures"), World::TriggerPolicy),
            Path::new("/state/policies/only-failures.wasm")
        );
        assert_eq!(
            path(Some("commands"), World::ReflectionStrategy),
            Path::new("/state/strategies/commands.wasm")
        );
        assert_eq!(
            path(Some("policies/mine.wasm"), World::TriggerPolicy),
            Path::new("/state/policies/mine.wasm")
        );
        assert_eq!(
            path(Some("/opt/p.wasm"), World::TriggerPolicy),
            Path::new("/opt/p.wasm")
        );
        assert_eq!(
            path(Some("mine.wasm"), World::TriggerPolicy),
            Path::new("/state/mine.wasm")
        );
    }

    #[test]
    fn drop_in_names_are_plain() {
        for ok in ["a", "only-failures", "v1.2_x"] {
            assert!(is_drop_in_name(ok), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "a.wasm", "a b", "..", "é"] {
            assert!(!is_drop_in_name(bad), "{bad}");
        }
    }
}
