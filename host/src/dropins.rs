//! Drop-in guests in the state folder (`policies/*.wasm`, `strategies/*.wasm`):
//! finding them, installing one, making one active (pinned by its hash) and
//! removing one. Config edits keep the user's comments and formatting.

use std::io;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, value};

use crate::config::{self, Config, ConfigError};
use crate::fs_authority;
use crate::guests::{self, BUNDLED};
use crate::hash::sha256_hex;
use crate::home::Home;
use crate::path_error::{AtPath, PathError};
use crate::sandbox::{Sandbox, SandboxError};
use crate::world::World;

#[derive(Debug, thiserror::Error)]
pub enum DropInError {
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("{} is not a policy or strategy this csep can run: {source}", file.display())]
    Invalid {
        file: PathBuf,
        #[source]
        source: SandboxError,
    },
    #[error("pruning the compiled-code cache: {0}")]
    Prune(#[source] SandboxError),
    #[error(
        "`{0}` cannot name a drop-in: use letters, digits, `-`, `_` or `.` (no path, no `.wasm`)"
    )]
    BadName(String),
    #[error(
        "{} already holds a different {} (sha256 {}); pass --force to replace it",
        path.display(), kind.section(), guests::short_hash(sha256)
    )]
    Exists {
        kind: World,
        path: PathBuf,
        sha256: String,
    },
    #[error("no drop-in named `{name}` in {}", searched.join(" or "))]
    NotFound { name: String, searched: Vec<String> },
    #[error("`{0}` is both a policy and a strategy: say which with --kind")]
    Ambiguous(String),
    #[error("{} is not valid TOML, so it was left as it is: {source}", path.display())]
    ConfigToml {
        path: PathBuf,
        #[source]
        source: toml_edit::TomlError,
    },
    #[error("{} is not valid, so it was left as it is: `{section}` is not a table", path.display())]
    NotATable {
        path: PathBuf,
        section: &'static str,
    },
    #[error("{} was left as it is: the change would make it invalid: {source}", path.display())]
    WouldBeInvalid {
        path: PathBuf,
        #[source]
        source: config::Invalid,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// One `.wasm` file in a drop-in folder.
#[derive(Debug, Clone, PartialEq)]
pub struct DropIn {
    pub kind: World,
    pub name: String,
    pub path: PathBuf,
}

/// Every drop-in in both folders, by kind then name. Only regular files count:
/// a symlink or a folder named `x.wasm` is not a drop-in.
pub fn discover(home: &Home) -> Result<Vec<DropIn>, DropInError> {
    let mut found = Vec::new();
    for kind in World::ALL {
        let dir = home.dropins_dir(kind);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(PathError::new("listing", &dir, e).into()),
        };
        for entry in entries {
            let entry = entry.at("listing", &dir)?;
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".wasm"))
            else {
                continue;
            };
            let regular = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if regular && guests::is_drop_in_name(name) {
                found.push(DropIn {
                    kind,
                    name: name.to_string(),
                    path,
                });
            }
        }
    }
    found.sort_by(|a, b| (a.kind.folder(), &a.name).cmp(&(b.kind.folder(), &b.name)));
    Ok(found)
}

/// Finds a drop-in by name, in the folder of `kind` or in both.
pub fn find(home: &Home, name: &str, kind: Option<World>) -> Result<DropIn, DropInError> {
    let mut matches: Vec<DropIn> = discover(home)?
        .into_iter()
        .filter(|d| d.name == name && kind.is_none_or(|k| k == d.kind))
        .collect();
    match matches.len() {
        0 => Err(DropInError::NotFound {
            name: name.to_string(),
            searched: World::ALL
                .iter()
                .filter(|k| kind.is_none_or(|want| want == **k))
                .map(|k| home.dropins_dir(*k).display().to_string())
                .collect(),
        }),
        1 => Ok(matches.remove(0)),
        _ => Err(DropInError::Ambiguous(name.to_string())),
    }
}

/// What `install` did.
#[derive(Debug, Clone)]
pub struct Installed {
    pub drop_in: DropIn,
    pub sha256: String,
    pub contract_version: String,
    /// The same bytes were already there.
    pub unchanged: bool,
}

/// Checks `file` against this host's contract, then copies it (atomically) into
/// the folder of its world as `<name>.wasm`.
pub fn install(
    home: &Home,
    sandbox: &Sandbox,
    file: &Path,
    name: Option<&str>,
    force: bool,
) -> Result<Installed, DropInError> {
    let bytes = fs_authority::read_file(file).at("reading", file)?;
    let guest = sandbox
        .load(&file.display().to_string(), &bytes)
        .map_err(|source| DropInError::Invalid {
            file: file.to_path_buf(),
            source,
        })?;
    let kind = guest.world();
    let name = match name {
        Some(n) => n.to_string(),
        None => file
            .file_stem()
            .map(|s| s.to_string_lossy().replace('_', "-"))
            .unwrap_or_default(),
    };
    if !guests::is_drop_in_name(&name) {
        return Err(DropInError::BadName(name));
    }
    let folder = home.dropins_dir(kind);
    let path = folder.join(format!("{name}.wasm"));
    let sha256 = guest.sha256().to_string();
    let existing = match std::fs::read(&path) {
        Ok(b) => Some(sha256_hex(&b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(PathError::new("reading", &path, e).into()),
    };
    let unchanged = existing.as_deref() == Some(sha256.as_str());
    if let Some(existing) = existing
        && !unchanged
        && !force
    {
        return Err(DropInError::Exists {
            kind,
            path,
            sha256: existing,
        });
    }
    if !unchanged {
        let dir = fs_authority::create_private_dir_all(&folder).at("creating", &folder)?;
        fs_authority::write_atomic(&dir, &format!("{name}.wasm"), &bytes).at("writing", &path)?;
    }
    Ok(Installed {
        drop_in: DropIn { kind, name, path },
        sha256,
        contract_version: guest.version().to_string(),
        unchanged,
    })
}

/// What `activate` changed in `config.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Activated {
    pub config_path: PathBuf,
    pub kind: World,
    /// What `use` said before (`None`: nothing, which means bundled).
    pub previous_use: Option<String>,
    pub previous_sha256: Option<String>,
    pub sha256: Option<String>,
    /// The settings table that stays: it was written for the previous guest.
    pub kept_settings: bool,
}

/// Makes `name` (a drop-in, or `bundled`) the active guest of `kind`, pinned to
/// `sha256`. The rest of `config.toml` is kept byte for byte.
pub fn activate(
    home: &Home,
    kind: World,
    name: &str,
    sha256: Option<&str>,
) -> Result<Activated, DropInError> {
    let path = home.config_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(PathError::new("reading", &path, e).into()),
    };
    let mut doc: DocumentMut = text.parse().map_err(|source| DropInError::ConfigToml {
        path: path.clone(),
        source,
    })?;
    let section = doc
        .entry(kind.section())
        .or_insert_with(|| Item::Table(Table::new()));
    let Some(table) = section.as_table_like_mut() else {
        return Err(DropInError::NotATable {
            path,
            section: kind.section(),
        });
    };
    let read = |t: &dyn toml_edit::TableLike, key: &str| {
        t.get(key).and_then(|v| v.as_str()).map(str::to_string)
    };
    let previous_use = read(table, "use").or_else(|| read(table, "path"));
    let previous_sha256 = read(table, "sha256");
    let kept_settings = table
        .get("settings")
        .and_then(|s| s.as_table_like())
        .is_some_and(|s| !s.is_empty())
        && previous_use.as_deref().unwrap_or(BUNDLED) != name;
    table.remove("path");
    match table.get_mut("use") {
        Some(item) if item.is_value() => *item.as_value_mut().expect("a value") = name.into(),
        _ => {
            table.insert("use", value(name));
        }
    }
    match sha256 {
        Some(hash) => {
            table.insert("sha256", value(hash));
        }
        None => {
            table.remove("sha256");
        }
    }
    let new_text = doc.to_string();
    Config::parse(&new_text).map_err(|source| DropInError::WouldBeInvalid {
        path: path.clone(),
        source,
    })?;
    let root = fs_authority::create_private_dir_all(home.root()).at("creating", home.root())?;
    fs_authority::write_atomic(&root, "config.toml", new_text.as_bytes()).at("writing", &path)?;
    Ok(Activated {
        config_path: path,
        kind,
        previous_use,
        previous_sha256,
        sha256: sha256.map(str::to_string),
        kept_settings,
    })
}

/// Deletes a drop-in. When it was the active one, `bundled` takes its place.
pub fn remove(home: &Home, drop_in: &DropIn) -> Result<Option<Activated>, DropInError> {
    let config = Config::load(&home.config_path())?;
    let active =
        match guests::Source::resolve(home, drop_in.kind, guest_config(&config, drop_in.kind)) {
            guests::Source::File(p) => same_file(&p, &drop_in.path),
            guests::Source::Bundled(_) => false,
        };
    let reset = if active {
        Some(activate(home, drop_in.kind, BUNDLED, None)?)
    } else {
        None
    };
    let folder = drop_in.path.parent().unwrap_or(Path::new("."));
    fs_authority::open_dir(folder)
        .and_then(|d| d.remove_file(drop_in.path.file_name().unwrap_or_default()))
        .at("removing", &drop_in.path)?;
    Ok(reset)
}

/// Drops the compiled artifacts of guests that are neither bundled, nor in a drop-in
/// folder, nor named by the config: what replaced or removed guests left behind.
/// Returns files removed and bytes freed.
pub fn prune_cache(
    home: &Home,
    config: &Config,
    sandbox: &Sandbox,
) -> Result<(usize, u64), DropInError> {
    let mut files: Vec<PathBuf> = discover(home)?.into_iter().map(|d| d.path).collect();
    for kind in World::ALL {
        if let guests::Source::File(path) =
            guests::Source::resolve(home, kind, guest_config(config, kind))
        {
            files.push(path);
        }
    }
    let mut keep: Vec<String> = crate::bundled::ALL
        .iter()
        .map(|b| sha256_hex(b.bytes))
        .collect();
    // A file that cannot be read now keeps nothing: it cannot be loaded either.
    keep.extend(
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| sha256_hex(&b)),
    );
    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
    sandbox.prune_cache(&keep).map_err(DropInError::Prune)
}

pub fn guest_config(config: &Config, kind: World) -> &crate::config::GuestConfig {
    match kind {
        World::TriggerPolicy => &config.policy,
        World::ReflectionStrategy => &config.strategy,
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        (dir, home)
    }

    #[test]
    fn discovery_finds_plain_wasm_files_only() {
        let (_d, home) = home();
        let policies = home.dropins_dir(World::TriggerPolicy);
        let strategies = home.dropins_dir(World::ReflectionStrategy);
        std::fs::create_dir_all(policies.join("dir.wasm")).unwrap();
        std::fs::create_dir_all(&strategies).unwrap();
        for f in ["b.wasm", "a.wasm", "notes.txt", ".x.wasm"] {
            std::fs::write(policies.join(f), b"x").unwrap();
        }
        std::fs::write(strategies.join("s.wasm"), b"x").unwrap();
        std::os::unix::fs::symlink("a.wasm", policies.join("link.wasm")).unwrap();
        let names: Vec<(World, String)> = discover(&home)
            .unwrap()
            .into_iter()
            .map(|d| (d.kind, d.name))
            .collect();
        assert_eq!(
            names,
            [
                (World::TriggerPolicy, "a".to_string()),
                (World::TriggerPolicy, "b".to_string()),
                (World::ReflectionStrategy, "s".to_string())
            ]
        );
        assert!(matches!(
            find(&home, "zz", None),
            Err(DropInError::NotFound { .. })
        ));
        std::fs::write(strategies.join("a.wasm"), b"x").unwrap();
        assert!(matches!(
            find(&home, "a", None),
            Err(DropInError::Ambiguous(_))
        ));
        assert_eq!(
            find(&home, "a", Some(World::ReflectionStrategy))
                .unwrap()
                .kind,
            World::ReflectionStrategy
        );
    }

    #[test]
    fn activation_keeps_comments_and_other_keys() {
        let (_d, home) = home();
        let before = "# mine\n[policy] # the policy\npath = \"policies/old.wasm\" # old\n\n[policy.settings]\nx = 1 # keep\n\n[reflection]\nenabled = false\n";
        std::fs::write(home.config_path(), before).unwrap();
        let hash = "ab".repeat(32);
        let a = activate(&home, World::TriggerPolicy, "new", Some(&hash)).unwrap();
        assert_eq!(a.previous_use.as_deref(), Some("policies/old.wasm"));
        assert!(a.kept_settings);
        let after = std::fs::read_to_string(home.config_path()).unwrap();
        assert!(
            after.starts_with("# mine\n[policy] # the policy\n"),
            "{after}"
        );
        assert!(after.contains("use = \"new\""), "{after}");
        assert!(after.contains(&format!("sha256 = \"{hash}\"")), "{after}");
        assert!(!after.contains("path ="), "{after}");
        assert!(after.contains("x = 1 # keep"), "{after}");
        assert!(after.contains("[reflection]\nenabled = false\n"), "{after}");
        let c = Config::parse(&after).unwrap();
        assert_eq!(c.policy.use_.as_deref(), Some("new"));

        let b = activate(&home, World::TriggerPolicy, BUNDLED, None).unwrap();
        assert_eq!(b.previous_sha256, Some(hash));
        let after = std::fs::read_to_string(home.config_path()).unwrap();
        assert!(
            after.contains("use = \"bundled\"") && !after.contains("sha256"),
            "{after}"
        );
    }

    #[test]
    fn a_malformed_config_is_left_alone() {
        let (_d, home) = home();
        std::fs::write(home.config_path(), "[policy\nuse = 1").unwrap();
        let e = activate(&home, World::TriggerPolicy, "x", None).unwrap_err();
        assert!(matches!(e, DropInError::ConfigToml { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(home.config_path()).unwrap(),
            "[policy\nuse = 1"
        );
    }

    #[test]
    fn a_config_created_from_nothing_parses() {
        let (_d, home) = home();
        let hash = "f".repeat(64);
        activate(&home, World::ReflectionStrategy, "commands", Some(&hash)).unwrap();
        let c = Config::load(&home.config_path()).unwrap();
        assert_eq!(c.strategy.use_.as_deref(), Some("commands"));
        assert_eq!(c.strategy.sha256, Some(hash));
    }
}
