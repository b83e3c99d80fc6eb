//! Filesystem steps that never follow a symlink. A path is resolved one
//! component at a time from an open directory with `O_NOFOLLOW`, so a symlink
//! planted anywhere (staging or live, as the last component or a parent) makes
//! the step fail instead of redirecting it, even if it appears after a check.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;

use cap_std::fs::Dir;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// What a name is, seen without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File {
        size: u64,
        mode: u32,
    },
    Dir,
    Symlink,
    /// Fifo, socket or device: never opened, since opening one can block or
    /// have side effects.
    Special,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::File { .. } => "a file",
            Kind::Dir => "a folder",
            Kind::Symlink => "a symlink",
            Kind::Special => "a special file (fifo, socket or device)",
        }
    }
}

/// Refuses anything but a single plain component, so no caller can smuggle
/// `..` or a '/' into an `*at` call.
fn component(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a single path component"),
        ));
    }
    Ok(())
}

fn kind_of(st: &rustix::fs::Stat) -> Kind {
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Kind::File {
            size: st.st_size as u64,
            mode: st.st_mode & 0o7777,
        },
        FileType::Directory => Kind::Dir,
        FileType::Symlink => Kind::Symlink,
        _ => Kind::Special,
    }
}

/// `lstat` of `name` in `dir`; `None` when it does not exist.
pub fn lstat(dir: &Dir, name: &str) -> io::Result<Option<Kind>> {
    component(name)?;
    match rustix::fs::statat(dir.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(kind_of(&st))),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Opens the directory `name` in `dir`; fails if it is a symlink.
pub fn open_dir(dir: &Dir, name: &str) -> io::Result<Dir> {
    component(name)?;
    let fd = rustix::fs::openat(
        dir.as_fd(),
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(Dir::from_std_file(File::from(fd)))
}

/// Opens the directory at `path` under `root`, refusing a symlink anywhere.
pub fn open_dir_path(root: &Dir, path: &str) -> io::Result<Dir> {
    let mut dir = reopen(root)?;
    for part in split(path)? {
        dir = open_dir(&dir, part)?;
    }
    Ok(dir)
}

/// A readable handle on the directory itself: the caller's `Dir` may be an
/// `O_PATH` handle, which cannot be fsynced or listed.
pub fn reopen(dir: &Dir) -> io::Result<Dir> {
    let fd = rustix::fs::openat(
        dir.as_fd(),
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(Dir::from_std_file(File::from(fd)))
}

pub use crate::atomic_file::sync_dir;

/// Opens the regular file `name` in `dir` for reading. `O_NONBLOCK` keeps a
/// fifo swapped in after the `lstat` from blocking the open; the `fstat` then
/// refuses it.
pub fn open_file(dir: &Dir, name: &str) -> io::Result<(File, u64, u32)> {
    component(name)?;
    let fd = rustix::fs::openat(
        dir.as_fd(),
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    match kind_of(&rustix::fs::fstat(&fd)?) {
        Kind::File { size, mode } => Ok((File::from(fd), size, mode)),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name} is {}, not a regular file", other.describe()),
        )),
    }
}

/// Reads at most `limit` bytes; `None` when the file holds more.
pub fn read_bounded(file: File, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= limit).then_some(buf))
}

/// Hashes a whole file without holding it in memory (live files have no size
/// limit of ours).
pub fn sha256_file(file: File) -> io::Result<String> {
    crate::hash::sha256_reader(file)
}

/// Where the parent directory of a relative path stands.
pub enum Parent {
    Found(Dir),
    /// Some directory on the way does not exist, so neither does the path.
    Missing,
    /// A component on the way is not a real directory.
    Blocked {
        at: String,
        kind: Kind,
    },
}

/// Splits `path` into components, refusing empty, `.` and `..` ones.
pub fn split(path: &str) -> io::Result<Vec<&str>> {
    let parts: Vec<&str> = path.split('/').collect();
    for p in &parts {
        component(p)?;
    }
    Ok(parts)
}

/// Opens the directory holding `path` (relative to `root`) without following
/// any symlink; returns it with the last component.
pub fn parent<'p>(root: &Dir, path: &'p str) -> io::Result<(Parent, &'p str)> {
    let parts = split(path)?;
    let (name, dirs) = parts.split_last().expect("split yields one part at least");
    let mut dir = root.try_clone()?;
    let mut walked = String::new();
    for d in dirs {
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(d);
        match lstat(&dir, d)? {
            None => return Ok((Parent::Missing, name)),
            Some(Kind::Dir) => dir = open_dir(&dir, d)?,
            Some(kind) => return Ok((Parent::Blocked { at: walked, kind }, name)),
        }
    }
    Ok((Parent::Found(dir), name))
}

/// The state of a path in a live folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Absent,
    File {
        sha256: String,
        mode: u32,
    },
    /// Something other than a regular file is there or on the way.
    Blocked {
        at: String,
        kind: Kind,
    },
}

impl State {
    pub fn sha256(&self) -> Option<&str> {
        match self {
            State::File { sha256, .. } => Some(sha256),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            State::Absent => "no file".to_string(),
            State::File { sha256, .. } => format!("sha256 {sha256}"),
            State::Blocked { at, kind } => format!("{} at {at}", kind.describe()),
        }
    }
}

/// Looks at `path` under `root` and hashes it if it is a regular file.
pub fn state(root: &Dir, path: &str) -> io::Result<State> {
    let (dir, name) = match parent(root, path)? {
        (Parent::Found(dir), name) => (dir, name),
        (Parent::Missing, _) => return Ok(State::Absent),
        (Parent::Blocked { at, kind }, _) => return Ok(State::Blocked { at, kind }),
    };
    match lstat(&dir, name)? {
        None => Ok(State::Absent),
        Some(Kind::File { .. }) => {
            let (file, _, mode) = open_file(&dir, name)?;
            Ok(State::File {
                sha256: sha256_file(file)?,
                mode,
            })
        }
        Some(kind) => Ok(State::Blocked {
            at: path.to_string(),
            kind,
        }),
    }
}

/// Opens (creating with `mode` where missing) every directory on the way to
/// `path`; returns the parent, the last component, and the directories it
/// created, shallowest first.
pub fn create_parents<'p>(
    root: &Dir,
    path: &'p str,
    mode: u32,
) -> io::Result<(Dir, &'p str, Vec<String>)> {
    let parts = split(path)?;
    let (name, dirs) = parts.split_last().expect("split yields one part at least");
    let mut dir = root.try_clone()?;
    let mut walked = String::new();
    let mut created = Vec::new();
    for d in dirs {
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(d);
        match lstat(&dir, d)? {
            Some(Kind::Dir) => {}
            None => {
                match rustix::fs::mkdirat(dir.as_fd(), *d, Mode::from_raw_mode(mode)) {
                    Ok(()) => {
                        // mkdir's mode is cut by the umask; set it exactly.
                        let made = open_dir(&dir, d)?;
                        rustix::fs::fchmod(made.as_fd(), Mode::from_raw_mode(mode))?;
                        sync_dir(&dir)?;
                        created.push(walked.clone());
                    }
                    Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Some(kind) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{walked} is {}, not a folder", kind.describe()),
                ));
            }
        }
        // open_dir refuses a symlink raced in after the lstat.
        dir = open_dir(&dir, d)?;
    }
    Ok((dir, name, created))
}

/// Opens the regular file at `path` under `root` without following symlinks.
pub fn open_path(root: &Dir, path: &str) -> io::Result<(File, u64, u32)> {
    match parent(root, path)? {
        (Parent::Found(dir), name) => open_file(&dir, name),
        (Parent::Missing, _) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            "a folder on the way is missing",
        )),
        (Parent::Blocked { at, kind }, _) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{at} is {}", kind.describe()),
        )),
    }
}

/// Reads the file at `path` under `root`, with its mode; `None` if it holds
/// more than `limit` bytes.
pub fn read(root: &Dir, path: &str, limit: u64) -> io::Result<Option<(Vec<u8>, u32)>> {
    let (file, _, mode) = open_path(root, path)?;
    Ok(read_bounded(file, limit)?.map(|bytes| (bytes, mode)))
}
