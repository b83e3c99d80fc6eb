//! The only module that turns a path into filesystem authority. Everything else
//! works through the `cap_std::fs::Dir` handles minted here, which cannot reach
//! outside the directory they were opened on (no `..`, no escaping symlinks).
#![allow(
    clippy::disallowed_methods,
    reason = "the one place a path becomes authority (docs/architecture.md, Filesystem rule)"
)]

use std::io;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, DirBuilder, DirBuilderExt};

/// Opens an existing directory.
pub fn open_dir(path: &Path) -> io::Result<Dir> {
    Dir::open_ambient_dir(path, ambient_authority())
}

/// Creates `path` and its parents if missing, with mode 0700 for what it creates,
/// and opens it.
pub fn create_private_dir_all(path: &Path) -> io::Result<Dir> {
    let mut builder = DirBuilder::new();
    builder.recursive(true).mode(0o700);
    let parent = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a directory name"))?;
    std::fs::create_dir_all(parent)?;
    let parent = open_dir(parent)?;
    match parent.create_dir_with(name, &builder) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    parent.open_dir(name)
}

/// Replaces `name` in `dir` with `bytes` atomically, mode 0600 (see `atomic_file`).
pub fn write_atomic(dir: &Dir, name: &str, bytes: &[u8]) -> io::Result<()> {
    crate::atomic_file::write(dir, name, bytes, 0o600)
}

/// Reads a whole file the user named (a guest `.wasm`, a digest JSON).
pub fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// A path that names exactly the directory behind `dir`, for APIs that only take
/// paths (WASI preopens, mmap of a cached artifact). It goes through the open
/// handle, so a directory renamed or swapped for a symlink after it was opened
/// cannot redirect it.
pub fn handle_path(dir: &Dir) -> PathBuf {
    use std::os::fd::AsRawFd;
    let fd = dir.as_raw_fd();
    if cfg!(target_os = "linux") {
        PathBuf::from(format!("/proc/self/fd/{fd}"))
    } else {
        PathBuf::from(format!("/dev/fd/{fd}"))
    }
}
