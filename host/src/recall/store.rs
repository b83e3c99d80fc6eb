//! The recall database: bundled SQLite in WAL mode, a busy timeout so concurrent
//! hooks wait rather than fail, and migrations applied in one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::schema::MIGRATIONS;
use crate::fs_authority;

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
}

pub(crate) fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sql { what, source }
}

pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// A batch transaction is open: ingests write savepoints inside it.
    pub(crate) in_batch: bool,
}

impl Store {
    /// Opens (creating it and its folder if needed) and migrates.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            fs_authority::create_private_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store::configure(conn, path)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing database for reading; `None` when there is none yet.
    pub fn open_existing(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
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
    pub fn open_readonly(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
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
