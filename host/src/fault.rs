//! Faults named for people: a full disk, a refused permission, a damaged database.
//! Low-level errors ("disk I/O error", "database disk image is malformed") say what
//! failed but not what to do; these say which file and what to run.

use std::fmt;
use std::path::Path;

/// A fault with a known fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// ENOSPC, EDQUOT, SQLITE_FULL.
    NoSpace,
    /// EACCES, EPERM, EROFS, SQLITE_PERM, SQLITE_READONLY.
    PermissionDenied,
    /// SQLITE_CORRUPT, SQLITE_NOTADB.
    Damaged,
}

impl Fault {
    /// A short stable name for logs and JSON.
    pub fn kind(self) -> &'static str {
        match self {
            Fault::NoSpace => "no-space",
            Fault::PermissionDenied => "permission-denied",
            Fault::Damaged => "damaged-database",
        }
    }

    /// One sentence: what is wrong with `path` and how to fix it.
    pub fn explain(self, path: &Path) -> String {
        let p = path.display();
        match self {
            Fault::NoSpace => format!(
                "no space left on the device holding {p}: free some space there \
                 (`csep status` shows what the state folder holds); nothing is lost, \
                 the next run picks up what was missed"
            ),
            Fault::PermissionDenied => format!(
                "permission denied on {p}: make it writable by this user \
                 (`ls -l` it; `chown`/`chmod` or remount it read-write)"
            ),
            Fault::Damaged => format!(
                "the database {p} is damaged: run `csep recall rebuild` to move it \
                 aside and rebuild the index from the transcripts on disk"
            ),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// The fault behind an I/O error, if it is one with a known fix.
pub fn of_io(e: &std::io::Error) -> Option<Fault> {
    match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => return Some(Fault::NoSpace),
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => {
            return Some(Fault::PermissionDenied);
        }
        _ => {}
    }
    match e.kind() {
        std::io::ErrorKind::StorageFull => Some(Fault::NoSpace),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            Some(Fault::PermissionDenied)
        }
        _ => None,
    }
}

/// The fault behind an SQLite error. `disk I/O error` names no cause, so it is
/// taken as a full disk when the device holding `path` has no room left.
pub fn of_sqlite(e: &rusqlite::Error, path: &Path) -> Option<Fault> {
    use rusqlite::ErrorCode;
    let rusqlite::Error::SqliteFailure(err, _) = e else {
        return None;
    };
    match err.code {
        ErrorCode::DiskFull => Some(Fault::NoSpace),
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => Some(Fault::Damaged),
        ErrorCode::PermissionDenied | ErrorCode::ReadOnly => Some(Fault::PermissionDenied),
        ErrorCode::CannotOpen if !writable(path) => Some(Fault::PermissionDenied),
        ErrorCode::SystemIoFailure | ErrorCode::CannotOpen if device_full(path) => {
            Some(Fault::NoSpace)
        }
        _ => None,
    }
}

/// Whether the device holding `path` (or its nearest existing parent) has fewer
/// than 64 KiB free for this user.
pub fn device_full(path: &Path) -> bool {
    let Some(existing) = path.ancestors().find(|p| p.exists()) else {
        return false;
    };
    rustix::fs::statvfs(existing)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize) < 64 * 1024)
        .unwrap_or(false)
}

/// Whether this user may write to `path`'s folder (`access(W_OK)`).
fn writable(path: &Path) -> bool {
    let Some(existing) = path.ancestors().find(|p| p.exists()) else {
        return true;
    };
    rustix::fs::access(existing, rustix::fs::Access::WRITE_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn io_errors_are_named_by_errno() {
        let e = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(of_io(&e), Some(Fault::NoSpace));
        let e = std::io::Error::from_raw_os_error(libc::EDQUOT);
        assert_eq!(of_io(&e), Some(Fault::NoSpace));
        let e = std::io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(of_io(&e), Some(Fault::PermissionDenied));
        let e = std::io::Error::from_raw_os_error(libc::EROFS);
        assert_eq!(of_io(&e), Some(Fault::PermissionDenied));
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(of_io(&e), None);
    }

    #[test]
    fn sqlite_errors_are_named_by_code() {
        let here = Path::new("/");
        assert_eq!(
            of_sqlite(&sqlite(rusqlite::ffi::SQLITE_FULL), here),
            Some(Fault::NoSpace)
        );
        assert_eq!(
            of_sqlite(&sqlite(rusqlite::ffi::SQLITE_CORRUPT), here),
            Some(Fault::Damaged)
        );
        assert_eq!(
            of_sqlite(&sqlite(rusqlite::ffi::SQLITE_NOTADB), here),
            Some(Fault::Damaged)
        );
        assert_eq!(
            of_sqlite(&sqlite(rusqlite::ffi::SQLITE_READONLY), here),
            Some(Fault::PermissionDenied)
        );
        assert_eq!(of_sqlite(&sqlite(rusqlite::ffi::SQLITE_BUSY), here), None);
    }

    #[test]
    fn explanations_name_the_path_and_the_fix() {
        let p = Path::new("/s/recall/index.db");
        let no_space = Fault::NoSpace.explain(p);
        assert!(no_space.contains("/s/recall/index.db") && no_space.contains("free some space"));
        assert!(Fault::Damaged.explain(p).contains("csep recall rebuild"));
        assert!(Fault::PermissionDenied.explain(p).contains("chmod"));
    }
}
