//! The one atomic writer: a temp file in the target's own directory is written with its
//! final mode, fsynced and renamed over the target, then the directory is fsynced, so a
//! crash at any point leaves either the old file or the new one, never a mix.
//! It works on `Dir` handles only; paths become handles in `fs_authority`.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cap_std::fs::Dir;
use rustix::fs::{AtFlags, Mode, OFlags};

/// Prefix of temp files; starts with a dot so no rule ever accepts one as content if a
/// crash leaves it behind.
pub const TEMP_PREFIX: &str = ".csep-tmp-";

/// An open temp file that is removed unless [`Temp::persist`] renames it.
pub struct Temp<'d> {
    dir: &'d Dir,
    name: String,
    file: Option<File>,
}

impl<'d> Temp<'d> {
    /// Creates a fresh temp file in `dir` with exactly `mode` (the umask does not cut it).
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

    /// Flushes the content, renames it over `name` and flushes the directory.
    pub fn persist(mut self, name: &str) -> io::Result<()> {
        let file = self.file.take().expect("open until persisted");
        file.sync_all()?;
        drop(file);
        rustix::fs::renameat(self.dir.as_fd(), self.name.as_str(), self.dir.as_fd(), name)?;
        self.name.clear();
        sync_dir(self.dir)
    }

    /// Renames the content over `name` without flushing: readers see the old file
    /// or the new one, never a mix, but a power cut may lose the new one (or, on a
    /// file system that does not order a rename after the data, leave it empty).
    /// For state a reader rebuilds or starts afresh from, written on a hot path.
    pub fn persist_unsynced(mut self, name: &str) -> io::Result<()> {
        drop(self.file.take().expect("open until persisted"));
        rustix::fs::renameat(self.dir.as_fd(), self.name.as_str(), self.dir.as_fd(), name)?;
        self.name.clear();
        Ok(())
    }
}

impl Write for Temp<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open until persisted").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open until persisted").flush()
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

/// [`write`] without the fsyncs ([`Temp::persist_unsynced`]).
pub fn write_unsynced(dir: &Dir, name: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut tmp = Temp::create(dir, mode)?;
    tmp.write_all(bytes)?;
    tmp.persist_unsynced(name)
}

/// Flushes a directory, so renames and unlinks in it survive a crash. It reopens the
/// directory itself: the caller's handle may be `O_PATH`, which cannot be fsynced.
pub fn sync_dir(dir: &Dir) -> io::Result<()> {
    let fd = rustix::fs::openat(
        dir.as_fd(),
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    rustix::fs::fsync(&fd)?;
    Ok(())
}

/// Unpredictable enough that two writers, or a stale temp file, never collide; `O_EXCL`
/// makes a collision harmless anyway.
fn random_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut seed = Vec::with_capacity(64);
    seed.extend_from_slice(&std::process::id().to_le_bytes());
    seed.extend_from_slice(&nanos.to_le_bytes());
    seed.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    seed.extend_from_slice(format!("{:?}", std::thread::current().id()).as_bytes());
    crate::hash::short_hex(&seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_with_its_mode_and_leaves_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = crate::fs_authority::open_dir(tmp.path()).unwrap();
        std::fs::write(tmp.path().join("f"), "old").unwrap();
        write(&dir, "f", b"new", 0o600).unwrap();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("f")).unwrap(),
            "new"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("f"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp file left");
    }

    #[test]
    fn a_temp_dropped_before_persist_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = crate::fs_authority::open_dir(tmp.path()).unwrap();
        let mut t = Temp::create(&dir, 0o644).unwrap();
        t.write_all(b"half").unwrap();
        drop(t);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
