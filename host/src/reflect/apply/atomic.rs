//! Commit-time file operations on top of the one atomic writer (`crate::atomic_file`):
//! a copy that lands only if its content is what was checked, and removals that are
//! flushed to disk.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use cap_std::fs::Dir;
use rustix::fs::AtFlags;

use crate::atomic_file::sync_dir;
pub use crate::atomic_file::{TEMP_PREFIX, Temp, write};
use crate::hash::Hashing;

/// What `copy_verified` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// The content hashed to what was expected and is now in place.
    Copied,
    /// It hashed to this instead; nothing was written.
    Mismatch(String),
}

/// Copies `src` into `name` in `dir` (mode exactly `mode`) only if its
/// content hashes to `expected`; otherwise writes nothing and says the hash
/// found. Streams, so a large file never sits in memory.
pub fn copy_verified(
    mut src: File,
    dir: &Dir,
    name: &str,
    mode: u32,
    expected: &str,
) -> io::Result<Verified> {
    let mut hashing = Hashing::new(Temp::create(dir, mode)?);
    io::copy(&mut src, &mut hashing)?;
    let (tmp, found) = hashing.finish();
    if found != expected {
        return Ok(Verified::Mismatch(found));
    }
    tmp.persist(name)?;
    Ok(Verified::Copied)
}

/// Removes the file `name` in `dir` and flushes the directory.
pub fn remove(dir: &Dir, name: &str) -> io::Result<()> {
    rustix::fs::unlinkat(dir.as_fd(), name, AtFlags::empty())?;
    sync_dir(dir)
}

/// Removes the directory `name` in `dir` if it is empty; `Ok(false)` if it is
/// not empty or already gone.
pub fn remove_empty_dir(dir: &Dir, name: &str) -> io::Result<bool> {
    match rustix::fs::unlinkat(dir.as_fd(), name, AtFlags::REMOVEDIR) {
        Ok(()) => {
            sync_dir(dir)?;
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
