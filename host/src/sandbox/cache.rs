//! A private cache of precompiled components: compiling with Cranelift costs ~100 ms,
//! loading a cached artifact by mmap well under 1 ms.
//!
//! Key: sha256 of the component bytes + a hash of everything wasmtime says affects
//! compiled code (`precompile_compatibility_hash`: version, target, CPU features,
//! settings). Each artifact has a sidecar holding its own sha256, written after the
//! artifact, and checked before the artifact is mapped: a truncated, corrupt or
//! foreign file is rebuilt, never trusted.
//!
//! A verified artifact's sha256 is remembered by its stat (`file_hashes`), so a
//! large artifact is not hashed again at every load while it stays untouched.
//!
//! The folder is the host's own: its mode is set to 0700 on every open (a folder
//! that existed before keeps no looser mode), and an artifact or sidecar owned by
//! anyone else is rebuilt. A folder owned by someone else is not used at all.

use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

use cap_std::fs::{Dir, MetadataExt, PermissionsExt};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::error::SandboxError;
use crate::file_hashes::{self, FileHashes, Stamp};
use crate::fs_authority;
use crate::hash::sha256_hex;
use crate::path_error::{AtPath, PathError};

/// How a load went, for diagnostics and benchmarks.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheOutcome {
    Hit,
    Miss,
    /// An entry existed but could not be trusted; the reason says why.
    Rebuilt(String),
    /// No cache directory configured.
    Disabled,
}

/// Artifacts of another wasmtime line go in another folder, removable as a whole.
const WASMTIME_LINE: &str = "48";

pub struct ComponentCache {
    dir: Dir,
    path: PathBuf,
    /// Why the folder cannot be trusted, if it cannot: nothing is read from or
    /// written to it then, and every load compiles afresh.
    untrusted: Option<Distrust>,
    /// The artifacts' checksums, remembered by their stat.
    hashes: FileHashes,
}

/// The key an artifact's remembered hash is filed under.
fn artifact_key(name: &str) -> String {
    format!("artifact:{name}")
}

/// Why a cache folder or entry is not trusted; the component is compiled afresh.
#[derive(Debug, thiserror::Error)]
pub enum Distrust {
    #[error("{what} is not a regular file")]
    NotAFile { what: &'static str },
    #[error("{what} is not owned by this user or is writable by others")]
    NotOwn { what: &'static str },
    #[error("{what}: {source}")]
    Unreadable {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("artifact does not match its checksum")]
    Mismatch,
    #[error("wasmtime refused the artifact: {0:#}")]
    Refused(wasmtime::Error),
    #[error("the cache folder {} is not a folder of this user", .0.display())]
    ForeignFolder(PathBuf),
    #[error(transparent)]
    Folder(#[from] PathError),
}

fn unreadable(what: &'static str) -> impl FnOnce(io::Error) -> Distrust {
    move |source| Distrust::Unreadable { what, source }
}

impl ComponentCache {
    /// Opens (creating, mode 0700) `<root>/wasmtime-<version>/`, so artifacts of an
    /// older wasmtime can be removed as a whole.
    pub fn open(root: &Path) -> Result<Self, SandboxError> {
        let path = root.join(format!("wasmtime-{}", WASMTIME_LINE));
        let dir = fs_authority::create_private_dir_all(&path)
            .at("creating the component cache", &path)?;
        let untrusted = [root, path.as_path()]
            .into_iter()
            .find_map(|p| make_private(p).err());
        let hashes = match untrusted {
            None => FileHashes::open(&path.join(file_hashes::FOLDER)),
            Some(_) => FileHashes::disabled(),
        };
        Ok(ComponentCache {
            dir,
            path,
            untrusted,
            hashes,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn entry_name(engine: &Engine, content_sha256: &str) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        format!("{}-{:016x}.cwasm", &content_sha256[..32], h.finish())
    }

    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        content_sha256: &str,
    ) -> Result<(Component, CacheOutcome), SandboxError> {
        let name = Self::entry_name(engine, content_sha256);
        let loaded = match &self.untrusted {
            Some(why) => Err(why.to_string()),
            None => self.load(engine, &name).map_err(|why| why.to_string()),
        };
        let outcome = match loaded {
            Ok(Some(component)) => return Ok((component, CacheOutcome::Hit)),
            Ok(None) => CacheOutcome::Miss,
            Err(reason) => CacheOutcome::Rebuilt(reason),
        };
        let artifact = engine
            .precompile_component(wasm)
            .map_err(SandboxError::malformed)?;
        // A cache that cannot be written only costs speed: load what we compiled.
        if self.untrusted.is_none() {
            let _ = self.store(&name, &artifact);
        }
        // SAFETY: these bytes were produced just now by this engine.
        let component =
            unsafe { Component::deserialize(engine, &artifact) }.map_err(SandboxError::engine)?;
        Ok((component, outcome))
    }

    /// The compiled artifact of the component whose sha256 is `content_sha256`, when
    /// the cache holds a trusted one: the component's own bytes are not needed then.
    pub fn cached(&self, engine: &Engine, content_sha256: &str) -> Option<Component> {
        if self.untrusted.is_some() {
            return None;
        }
        self.load(engine, &Self::entry_name(engine, content_sha256))
            .ok()
            .flatten()
    }

    /// `Ok(None)`: no entry. `Err(reason)`: an entry that must not be trusted.
    fn load(&self, engine: &Engine, name: &str) -> Result<Option<Component>, Distrust> {
        let sidecar = format!("{name}.sha256");
        match self.dir.symlink_metadata(&sidecar) {
            Ok(meta) => own_file(&meta, "checksum")?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable("unreadable checksum")(e)),
        }
        let expected = self
            .dir
            .read_to_string(&sidecar)
            .map_err(unreadable("unreadable checksum"))?;
        let meta = self
            .dir
            .symlink_metadata(name)
            .map_err(unreadable("artifact missing"))?;
        own_file(&meta, "artifact")?;
        let bad_artifact = |e: io::Error| unreadable("unreadable artifact")(e);
        let mut file = self.dir.open(name).map_err(bad_artifact)?.into_std();
        let stamp = Stamp::of(&file.metadata().map_err(bad_artifact)?);
        let key = artifact_key(name);
        let actual = match self.hashes.lookup(&key, &stamp) {
            Some(sha) => sha,
            None => {
                let mut bytes = Vec::with_capacity(stamp_len(&meta));
                io::Read::read_to_end(&mut file, &mut bytes).map_err(bad_artifact)?;
                let sha = sha256_hex(&bytes);
                if sha == expected.trim() {
                    self.hashes.remember(&key, &stamp, &sha);
                }
                sha
            }
        };
        if actual != expected.trim() {
            return Err(Distrust::Mismatch);
        }
        let path = fs_authority::handle_path(&self.dir).join(name);
        // SAFETY: the file was written by this host into its private cache (0700,
        // owned by us, checked above) and matches the checksum written with it.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => Ok(Some(c)),
            Err(e) => Err(Distrust::Refused(e)),
        }
    }

    /// Removes the artifacts (and checksums) of components whose sha256 is not in
    /// `keep`: guests that were replaced or removed. Returns files removed and bytes freed.
    pub fn prune(&self, keep: &[&str]) -> io::Result<(usize, u64)> {
        let keep: Vec<&str> = keep.iter().map(|k| &k[..k.len().min(32)]).collect();
        let (mut files, mut bytes) = (0, 0);
        for entry in self.dir.entries()? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let artifact = name.ends_with(".cwasm") || name.ends_with(".cwasm.sha256");
            let prefix = name.split('-').next().unwrap_or("");
            if !artifact || prefix.len() != 32 || keep.contains(&prefix) {
                continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            match self.dir.remove_file(&name) {
                Ok(()) => {
                    files += 1;
                    bytes += size;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        // Records of artifacts removed above, or of guest files that are gone.
        let _ = self
            .hashes
            .prune(|key| match key.strip_prefix("artifact:") {
                Some(name) => self.dir.exists(name),
                None => Path::new(key).exists(),
            });
        Ok((files, bytes))
    }

    /// Temp file + rename for both files; the sidecar goes last, so a crash leaves
    /// either no entry or an entry whose checksum catches it.
    fn store(&self, name: &str, artifact: &[u8]) -> io::Result<()> {
        let sidecar = format!("{name}.sha256");
        let _ = self.dir.remove_file(&sidecar);
        fs_authority::write_atomic(&self.dir, name, artifact)?;
        let sha = sha256_hex(artifact);
        fs_authority::write_atomic(&self.dir, &sidecar, sha.as_bytes())?;
        let file = self.dir.open(name)?.into_std();
        self.hashes
            .remember(&artifact_key(name), &Stamp::of(&file.metadata()?), &sha);
        Ok(())
    }
}

fn stamp_len(meta: &cap_std::fs::Metadata) -> usize {
    usize::try_from(meta.len()).unwrap_or(0)
}

/// A file of the cache must be a regular file of this user that nobody else
/// may write.
fn own_file(meta: &cap_std::fs::Metadata, what: &'static str) -> Result<(), Distrust> {
    if !meta.is_file() {
        return Err(Distrust::NotAFile { what });
    }
    if meta.uid() != rustix::process::geteuid().as_raw() || meta.permissions().mode() & 0o022 != 0 {
        return Err(Distrust::NotOwn { what });
    }
    Ok(())
}

/// Sets the folder's mode to 0700 (whatever it was before); a folder owned by
/// another user is refused, since its owner could change it again.
#[expect(
    clippy::disallowed_methods,
    reason = "tightens the cache folder to 0700 after an lstat showed it is a folder of this user"
)]
fn make_private(path: &Path) -> Result<(), Distrust> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let meta = std::fs::symlink_metadata(path).at("reading the cache folder", path)?;
    if !meta.is_dir() || meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(Distrust::ForeignFolder(path.to_path_buf()));
    }
    if meta.mode() & 0o777 != 0o700 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .at("making private the cache folder", path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_folder_that_existed_with_a_loose_mode_is_made_private() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join(format!("wasmtime-{WASMTIME_LINE}"));
        std::fs::create_dir(&sub).unwrap();
        for p in [root.path(), sub.as_path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let cache = ComponentCache::open(root.path()).unwrap();
        assert!(cache.untrusted.is_none(), "{:?}", cache.untrusted);
        assert_eq!(mode(root.path()), 0o700);
        assert_eq!(mode(&sub), 0o700);
    }

    #[test]
    fn an_entry_whose_checksum_belongs_to_someone_else_is_rebuilt() {
        if !rustix::process::geteuid().is_root() {
            return; // only root can give a file away
        }
        let root = tempfile::tempdir().unwrap();
        let cache = ComponentCache::open(root.path()).unwrap();
        let engine = Engine::default();
        // The smallest valid component.
        let wasm = wat_component();
        let sha = sha256_hex(&wasm);
        let (_, first) = cache.load_or_compile(&engine, &wasm, &sha).unwrap();
        assert_eq!(first, CacheOutcome::Miss);
        let (_, second) = cache.load_or_compile(&engine, &wasm, &sha).unwrap();
        assert_eq!(second, CacheOutcome::Hit);
        let sidecar = cache.path().join(format!(
            "{}.sha256",
            ComponentCache::entry_name(&engine, &sha)
        ));
        std::os::unix::fs::chown(&sidecar, Some(4242), Some(4242)).unwrap();
        let (_, third) = cache.load_or_compile(&engine, &wasm, &sha).unwrap();
        assert!(
            matches!(&third, CacheOutcome::Rebuilt(why) if why.contains("checksum")),
            "{third:?}"
        );
    }

    #[test]
    fn a_folder_of_another_user_is_not_used() {
        if !rustix::process::geteuid().is_root() {
            return;
        }
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join(format!("wasmtime-{WASMTIME_LINE}"));
        std::fs::create_dir(&sub).unwrap();
        std::os::unix::fs::chown(&sub, Some(4242), Some(4242)).unwrap();
        let cache = ComponentCache::open(root.path()).unwrap();
        assert!(cache.untrusted.is_some());
        let engine = Engine::default();
        let wasm = wat_component();
        let sha = sha256_hex(&wasm);
        let (_, outcome) = cache.load_or_compile(&engine, &wasm, &sha).unwrap();
        assert!(matches!(outcome, CacheOutcome::Rebuilt(_)), "{outcome:?}");
        assert_eq!(
            std::fs::read_dir(&sub).unwrap().count(),
            0,
            "nothing stored"
        );
    }

    /// An empty component in the binary format (`(component)`).
    fn wat_component() -> Vec<u8> {
        vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]
    }

    #[test]
    fn pruning_keeps_the_artifacts_of_kept_components_only() {
        let root = tempfile::tempdir().unwrap();
        let cache = ComponentCache::open(root.path()).unwrap();
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let names = [
            format!("{}-0123456789abcdef.cwasm", &a[..32]),
            format!("{}-0123456789abcdef.cwasm.sha256", &a[..32]),
            format!("{}-0123456789abcdef.cwasm", &b[..32]),
            format!("{}-0123456789abcdef.cwasm.sha256", &b[..32]),
            "notes.txt".to_string(),
        ];
        for n in &names {
            std::fs::write(cache.path().join(n), "1234").unwrap();
        }
        assert_eq!(cache.prune(&[a.as_str()]).unwrap(), (2, 8));
        let mut left: Vec<String> = std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [names[0].clone(), names[1].clone(), names[4].clone()]);
        assert_eq!(cache.prune(&[a.as_str()]).unwrap(), (0, 0));
    }

    #[test]
    fn an_artifact_changed_in_place_after_it_was_verified_is_rebuilt() {
        let root = tempfile::tempdir().unwrap();
        let cache = ComponentCache::open(root.path()).unwrap();
        let engine = Engine::default();
        let wasm = wat_component();
        let sha = sha256_hex(&wasm);
        assert_eq!(
            cache.load_or_compile(&engine, &wasm, &sha).unwrap().1,
            CacheOutcome::Miss
        );
        assert_eq!(
            cache.load_or_compile(&engine, &wasm, &sha).unwrap().1,
            CacheOutcome::Hit
        );
        // Same size, same mtime, one byte different: only the ctime tells.
        let artifact = cache.path().join(ComponentCache::entry_name(&engine, &sha));
        let mtime = std::fs::metadata(&artifact).unwrap().modified().unwrap();
        let mut bytes = std::fs::read(&artifact).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&artifact, &bytes).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&artifact)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let (_, outcome) = cache.load_or_compile(&engine, &wasm, &sha).unwrap();
        assert!(
            matches!(&outcome, CacheOutcome::Rebuilt(why) if why.contains("checksum")),
            "{outcome:?}"
        );
        assert_eq!(
            cache.load_or_compile(&engine, &wasm, &sha).unwrap().1,
            CacheOutcome::Hit
        );
    }
}
