//! The recall database: bundled SQLite in WAL mode, a busy timeout so concurrent
//! hooks wait rather than fail, and migrations applied in one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::schema::MIGRATIONS;
use crate::fault::{self, Fault};
use crate::filelock::FileLock;
use crate::fs_authority;

/// Taken while the database file is created, so that a 0-byte `index.db` seen under
/// it is one something emptied, never one being created.
const CREATE_LOCK: &str = "index.create.lock";

/// How long a writer waits for another (a Stop hook during a bootstrap).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the recall database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the recall database {} has schema version {found}, newer than this csep knows ({known}): upgrade csep",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("recall database error while {what}: {source}")]
    Sql {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the recall database {} is empty (0 bytes): it was emptied, not created",
        path.display()
    )]
    Emptied { path: PathBuf },
    #[error(
        "the recall database {} is not a database: its header is garbled",
        path.display()
    )]
    Garbled { path: PathBuf },
}

impl StoreError {
    /// The named fault behind this error, if any; `db` is the database's path.
    pub fn fault(&self, db: &Path) -> Option<Fault> {
        match self {
            StoreError::Open { source, path } => fault::of_sqlite(source, path),
            StoreError::Sql { source, .. } => fault::of_sqlite(source, db),
            StoreError::Dir { source, .. } => fault::of_io(source),
            StoreError::Emptied { .. } | StoreError::Garbled { .. } => Some(Fault::Damaged),
            StoreError::TooNew { .. } => None,
        }
    }

    /// Whether the file is damaged (not a database, corrupt, or emptied): the cure
    /// is to move it aside and rebuild.
    pub fn is_damage(&self) -> bool {
        self.fault(Path::new("/")) == Some(Fault::Damaged)
    }

    /// One line for people: the fault named with its path and fix when it is a
    /// known one, the error as it is otherwise.
    pub fn explain(&self, db: &Path) -> String {
        match self.fault(db) {
            Some(f) => format!("{} ({self})", f.explain(db)),
            None => self.to_string(),
        }
    }
}

/// What `PRAGMA quick_check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    Ok,
    /// The first problems it reported.
    Damaged(String),
    /// It did not finish within its time budget.
    Unfinished,
}

pub(crate) fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sql { what, source }
}

pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// A batch transaction is open: ingests write savepoints inside it.
    pub(crate) in_batch: bool,
    /// Hashes of forgotten session ids, read once when first needed.
    pub(crate) forgotten: std::sync::OnceLock<std::collections::HashSet<String>>,
}

impl Store {
    /// Opens (creating it and its folder if needed) and migrates. A 0-byte file is
    /// refused as `Emptied` rather than silently made a new, empty index.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let dir_path = path.parent().unwrap_or(Path::new("."));
        let dir =
            fs_authority::create_private_dir_all(dir_path).map_err(|source| StoreError::Dir {
                path: dir_path.to_path_buf(),
                source,
            })?;
        // Creation happens under a lock and leaves a non-empty file (the WAL switch
        // writes the header), so a 0-byte file seen under the lock was emptied.
        let _creating = match std::fs::metadata(path) {
            Ok(m) if m.len() > 0 => {
                refuse_emptied(path)?;
                None
            }
            _ => {
                let lock = creation_lock(&dir, dir_path)?;
                refuse_emptied(path)?;
                lock
            }
        };
        Store::open_unlocked(path)
    }

    /// Opens, creating the file if needed, without the creation lock: for a caller
    /// that holds it (`creation_lock`).
    #[expect(
        clippy::disallowed_methods,
        reason = "the store is the one owner of the index's connections"
    )]
    pub(crate) fn open_unlocked(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store::configure(conn, path)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database for reading; `None` when there is none yet.
    #[expect(
        clippy::disallowed_methods,
        reason = "the store is the one owner of the index's connections"
    )]
    pub fn open_existing(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        refuse_emptied(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store::configure(conn, path)?;
        store.migrate()?;
        Ok(Some(store))
    }

    /// Opens an existing database without writing anything (for `csep status`).
    #[expect(
        clippy::disallowed_methods,
        reason = "the store is the one owner of the index's connections"
    )]
    pub fn open_readonly(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        refuse_emptied(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql("setting the busy timeout"))?;
        Ok(Some(Store {
            conn,
            path: path.to_path_buf(),
            in_batch: false,
            forgotten: std::sync::OnceLock::new(),
        }))
    }

    fn configure(conn: Connection, path: &Path) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql("setting the busy timeout"))?;
        enable_wal(&conn)?;
        // WAL + NORMAL: a crash may lose the last commits, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql("setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql("enabling foreign keys"))?;
        // A larger page cache keeps FTS segment merges in memory during imports.
        conn.pragma_update(None, "cache_size", -32_768)
            .map_err(sql("setting the cache size"))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            in_batch: false,
            forgotten: std::sync::OnceLock::new(),
        })
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let version = |c: &Connection| -> Result<i64, StoreError> {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(sql("reading the schema version"))
        };
        let current = version(&self.conn)?;
        if current == known {
            return Ok(());
        }
        if current > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("starting the migration"))?;
        // Another process may have migrated while we waited for the lock.
        let current = version(&tx)?;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            tx.execute_batch(step)
                .map_err(sql("migrating the schema"))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(sql("recording the schema version"))?;
        }
        tx.commit().map_err(sql("committing the migration"))
    }

    /// Opens a batch: the following ingests commit together at `end_batch`, so the
    /// full-text index flushes once per batch instead of once per file. Keep batches
    /// short: other writers (a Stop hook) wait for them.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(sql("starting a batch"))?;
        self.in_batch = true;
        Ok(())
    }

    pub fn end_batch(&mut self) -> Result<(), StoreError> {
        self.in_batch = false;
        self.conn
            .execute_batch("COMMIT")
            .map_err(sql("committing a batch"))
    }

    /// Merges the full-text index into one segment: after an import, each query then
    /// opens one segment instead of hundreds.
    pub fn optimize(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
            .map_err(sql("optimizing the index"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// For a Stop hook, which adds one turn: its commit and the checkpoint at
    /// close are not flushed to disk. Each Stop paid four fsyncs for them, most of
    /// the hook's time. A crash of the process loses nothing (the writes are the
    /// kernel's); a power cut in the milliseconds after a Stop may lose that turn or
    /// damage the index, which the next Stop then moves aside and rebuilds from the
    /// transcripts (the source of truth). Bulk writers keep `synchronous = NORMAL`.
    pub fn unflushed(&self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "synchronous", "OFF")
            .map_err(sql("setting synchronous"))
    }

    /// `PRAGMA quick_check`, interrupted after `budget`: it reads every page, so on
    /// a large index it is left unfinished rather than holding the caller up.
    pub fn quick_check(&self, budget: Duration) -> Result<Integrity, StoreError> {
        let handle = self.conn.get_interrupt_handle();
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let timer = std::thread::spawn(move || {
            if wait.recv_timeout(budget).is_err() {
                handle.interrupt();
            }
        });
        let rows: Result<Vec<String>, rusqlite::Error> = self
            .conn
            .prepare("PRAGMA quick_check(5)")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect());
        let _ = done.send(());
        let _ = timer.join();
        match rows {
            Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(Integrity::Ok),
            Ok(rows) => Ok(Integrity::Damaged(rows.join("; "))),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                Ok(Integrity::Unfinished)
            }
            Err(e) if fault::of_sqlite(&e, &self.path) == Some(Fault::Damaged) => {
                Ok(Integrity::Damaged(e.to_string()))
            }
            Err(e) => Err(sql("checking integrity")(e)),
        }
    }
}

/// The lock under which a database file in `dir` is created (waits up to 30 s).
pub(crate) fn creation_lock(
    dir: &cap_std::fs::Dir,
    dir_path: &Path,
) -> Result<Option<FileLock>, StoreError> {
    FileLock::acquire(dir, CREATE_LOCK, Duration::from_secs(30)).map_err(|source| StoreError::Dir {
        path: dir_path.join(CREATE_LOCK),
        source,
    })
}

/// An existing 0-byte database file is refused: SQLite would take it for a new
/// database and the index would start over without a word. So is one whose header
/// is not SQLite's, before SQLite opens it: closing a connection to it could drop
/// its `-wal`, which the file moved aside should keep.
fn refuse_emptied(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() == 0 => Err(StoreError::Emptied {
            path: path.to_path_buf(),
        }),
        Ok(m) if m.is_file() => {
            let mut head = [0u8; 16];
            let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
            match read {
                Ok(()) if &head == MAGIC => Ok(()),
                // Unreadable: SQLite's own open names why.
                Err(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => Ok(()),
                _ => Err(StoreError::Garbled {
                    path: path.to_path_buf(),
                }),
            }
        }
        _ => Ok(()),
    }
}

/// Switching to WAL takes an exclusive lock without calling the busy handler, so two
/// processes creating the database at once retry here instead of failing.
fn enable_wal(conn: &Connection) -> Result<(), StoreError> {
    let mut attempt = 0;
    loop {
        let mode: Result<String, _> =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0));
        match mode {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempt < 500 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(sql("enabling WAL")(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unflushed_writer_leaves_a_whole_database_file_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("index.db");
        {
            let store = Store::open(&db).unwrap();
            store.unflushed().unwrap();
            let sync: i64 = store
                .conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap();
            assert_eq!(sync, 0, "OFF");
            store
                .conn
                .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
                .unwrap();
        }
        // Checkpointed at close: the file alone holds the commit, as after any writer.
        assert!(!tmp.path().join("index.db-wal").exists());
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let other = Store::open(&db).unwrap();
        let sync: i64 = other
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "other connections keep NORMAL");
    }

    #[test]
    fn a_full_disk_is_named_with_the_path_and_the_fix() {
        let e = StoreError::Sql {
            what: "enabling WAL",
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                None,
            ),
        };
        let db = Path::new("/state/recall/index.db");
        let said = e.explain(db);
        assert!(
            said.starts_with("no space left on the device holding /state/recall/index.db"),
            "{said}"
        );
        assert!(said.contains("enabling WAL"), "{said}");
        assert!(!e.is_damage());
    }

    #[test]
    fn an_emptied_or_garbled_file_is_refused_not_recreated() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("index.db");
        std::fs::write(&db, b"").unwrap();
        assert!(matches!(Store::open(&db), Err(StoreError::Emptied { .. })));
        assert!(matches!(
            Store::open_existing(&db),
            Err(StoreError::Emptied { .. })
        ));
        std::fs::write(&db, vec![7u8; 4096]).unwrap();
        let e = Store::open(&db).err().unwrap();
        assert!(
            e.is_damage() && e.explain(&db).contains("csep recall rebuild"),
            "{e}"
        );
        std::fs::remove_file(&db).unwrap();
        assert!(Store::open(&db).is_ok(), "a missing file is created");
    }
}
