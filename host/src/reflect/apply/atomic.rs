//! Whole-file replacement: a temp file in the target's own directory is
//! written, fsynced and renamed over the target, so a crash at any point leaves
//! either the old file or the new one, never a mix.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cap_std::fs::Dir;
use rustix::fs::{AtFlags, Mode, OFlags};
use sha2::{Digest, Sha256};

use super::nofollow::{self, hex};

/// Prefix of temp files; starts with a dot so no rule ever accepts one as
/// content if a crash leaves it behind.
pub const TEMP_PREFIX: &str = ".csep-tmp-";

/// An open temp file that is removed unless [`Temp::persist`] renames it.
pub struct Temp<'d> {
    dir: &'d Dir,
    name: String,
    file: Option<File>,
}

impl<'d> Temp<'d> {
    /// Creates a fresh temp file in `dir` with exactly `mode`.
    pub fn create(dir: &'d Dir, mode: u32) -> io::Result<Self> {
        for _ in 0..16 {
            let name = format!("{TEMP_PREFIX}{}", random_suffix());
            match rustix::fs::openat(
                dir.as_fd(),
                name.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(mode),
            ) {
                Ok(fd) => {
                    // The create mode is cut by the umask; set it exactly.
                    rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
                    return Ok(Temp {
                        dir,
                        name,
                        file: Some(File::from(fd)),
                    });
                }
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temp file name after 16 tries",
        ))
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file
            .as_mut()
            .expect("open until persisted")
            .write_all(bytes)
    }

    /// Flushes the content, renames it over `name` and flushes the directory.
    pub fn persist(mut self, name: &str) -> io::Result<()> {
        let file = self.file.take().expect("open until persisted");
        file.sync_all()?;
        drop(file);
        rustix::fs::renameat(self.dir.as_fd(), self.name.as_str(), self.dir.as_fd(), name)?;
        self.name.clear();
        nofollow::sync_dir(self.dir)
    }
}

impl Drop for Temp<'_> {
    fn drop(&mut self) {
        if !self.name.is_empty() {
            let _ = rustix::fs::unlinkat(self.dir.as_fd(), self.name.as_str(), AtFlags::empty());
        }
    }
}

/// Replaces `name` in `dir` with `bytes`, file mode exactly `mode`.
pub fn write(dir: &Dir, name: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut tmp = Temp::create(dir, mode)?;
    tmp.write_all(bytes)?;
    tmp.persist(name)
}

/// Copies `src` into `name` in `dir` (mode exactly `mode`) only if its
/// content hashes to `expected`; otherwise writes nothing and returns the hash
/// found. Streams, so a large file never sits in memory.
pub fn copy_verified(
    mut src: File,
    dir: &Dir,
    name: &str,
    mode: u32,
    expected: &str,
) -> io::Result<Result<(), String>> {
    let mut tmp = Temp::create(dir, mode)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n])?;
    }
    let found = hex(&hasher.finalize());
    if found != expected {
        return Ok(Err(found));
    }
    tmp.persist(name)?;
    Ok(Ok(()))
}

/// Removes the file `name` in `dir` and flushes the directory.
pub fn remove(dir: &Dir, name: &str) -> io::Result<()> {
    rustix::fs::unlinkat(dir.as_fd(), name, AtFlags::empty())?;
    nofollow::sync_dir(dir)
}

/// Removes the directory `name` in `dir` if it is empty; `Ok(false)` if it is
/// not empty or already gone.
pub fn remove_empty_dir(dir: &Dir, name: &str) -> io::Result<bool> {
    match rustix::fs::unlinkat(dir.as_fd(), name, AtFlags::REMOVEDIR) {
        Ok(()) => {
            nofollow::sync_dir(dir)?;
            Ok(true)
        }
        // Not empty, already gone, or not a folder (never ours to remove).
        Err(
            rustix::io::Errno::NOTEMPTY
            | rustix::io::Errno::EXIST
            | rustix::io::Errno::NOENT
            | rustix::io::Errno::NOTDIR,
        ) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Unpredictable enough that two jobs, or a stale temp file, never collide;
/// `O_EXCL` makes a collision harmless anyway.
fn random_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(std::process::id().to_le_bytes());
    h.update(nanos.to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(format!("{:?}", std::thread::current().id()).as_bytes());
    hex(&h.finalize()[..8])
}
