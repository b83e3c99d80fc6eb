//! Ordered migrations, keyed by `PRAGMA user_version`. Add new ones at the end;
//! never edit one that has shipped.

pub const MIGRATIONS: &[&str] = &[
    // 1: sessions, their transcript files, messages and two full-text indexes.
    r#"
    CREATE TABLE sessions (
        id            INTEGER PRIMARY KEY,
        client        TEXT NOT NULL,
        session_id    TEXT NOT NULL,
        cwd           TEXT NOT NULL DEFAULT '',
        bucket        TEXT NOT NULL DEFAULT '',
        repo          TEXT NOT NULL DEFAULT '',
        branch        TEXT,
        title         TEXT,
        started_ms    INTEGER,
        ended_ms      INTEGER,
        message_count INTEGER NOT NULL DEFAULT 0,
        redactions    INTEGER NOT NULL DEFAULT 0,
        -- The tokens written into messages_fts.scope for this session's messages.
        scope         TEXT NOT NULL DEFAULT '',
        UNIQUE (client, session_id)
    );
    CREATE INDEX sessions_by_bucket ON sessions (bucket, ended_ms);
    CREATE INDEX sessions_by_end ON sessions (ended_ms);

    -- One row per transcript file: what was read of it, to ingest only what is new.
    CREATE TABLE files (
        id        INTEGER PRIMARY KEY,
        path      TEXT NOT NULL UNIQUE,
        client    TEXT NOT NULL,
        session   INTEGER REFERENCES sessions (id),
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL,
        inode     INTEGER NOT NULL,
        offset    INTEGER NOT NULL,
        head      TEXT NOT NULL,
        corrupt   INTEGER NOT NULL DEFAULT 0,
        unknown   INTEGER NOT NULL DEFAULT 0,
        oversized INTEGER NOT NULL DEFAULT 0,
        -- Codex: messages are response items, so event copies are not indexed.
        response_items INTEGER NOT NULL DEFAULT 0,
        skipped   TEXT
    );
    CREATE INDEX files_by_session ON files (session);

    -- Redacted text only. role: user, assistant, tool-call, tool-output.
    -- flags: 1 tool error, 2 sidechain, 4 holds CJK text.
    CREATE TABLE messages (
        id        INTEGER PRIMARY KEY,
        session   INTEGER NOT NULL REFERENCES sessions (id),
        file      INTEGER NOT NULL,
        role      TEXT NOT NULL,
        tool_name TEXT,
        at_ms     INTEGER,
        flags     INTEGER NOT NULL DEFAULT 0,
        text      TEXT NOT NULL
    );
    CREATE INDEX messages_by_session ON messages (session);

    -- Words: identifiers split on punctuation, paths into their parts; `cjk` holds the
    -- overlapping character pairs of CJK runs (text without spaces between words);
    -- `scope` holds a token for the session's bucket and one for its client, so a
    -- repo-scoped search is narrowed inside the index. Contentless: the text lives
    -- once, in messages; no positions are kept (adjacency is checked on the text).
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        text, cjk, scope, content = '', contentless_delete = 1, detail = 'column',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    -- Fewer, larger flushes of pending terms and fewer merges while importing.
    INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 16777216);
    INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 8);
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.id;
    END;

    CREATE TABLE ingest_errors (
        id    INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        path  TEXT NOT NULL,
        error TEXT NOT NULL
    );
    "#,
    // 2: generated skills seen being used in a session (a tool call that names one).
    r#"
    CREATE TABLE skill_uses (
        skill   TEXT NOT NULL,
        session INTEGER NOT NULL REFERENCES sessions (id),
        at_ms   INTEGER,
        PRIMARY KEY (skill, session)
    ) WITHOUT ROWID;
    "#,
    // 3: session ids looked up by prefix (`csep recall show 113828dc`).
    r#"
    CREATE INDEX sessions_by_id ON sessions (session_id);
    "#,
];
