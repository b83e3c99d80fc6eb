//! Advisory `flock` locks on files inside a `Dir`. The kernel drops them when the
//! process dies, so a killed holder never leaves a lock behind.

use std::io;
use std::time::{Duration, Instant};

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use rustix::fs::{FlockOperation, flock};

/// An exclusive lock, held until dropped.
pub struct FileLock {
    _file: cap_std::fs::File,
}

impl FileLock {
    /// Takes the lock if it is free right now.
    pub fn try_acquire(dir: &Dir, name: &str) -> io::Result<Option<FileLock>> {
        FileLock::acquire(dir, name, Duration::ZERO)
    }

    /// Waits up to `wait`; `None` when another holder keeps it longer.
    pub fn acquire(dir: &Dir, name: &str, wait: Duration) -> io::Result<Option<FileLock>> {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).mode(0o600);
        let file = dir.open_with(name, &opts)?;
        let started = Instant::now();
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Some(FileLock { _file: file })),
                Err(rustix::io::Errno::WOULDBLOCK) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// True when someone holds the lock now (it is not taken by this call).
    pub fn is_held(dir: &Dir, name: &str) -> bool {
        match FileLock::try_acquire(dir, name) {
            Ok(Some(_)) | Err(_) => false,
            Ok(None) => true,
        }
    }
}
