"""The history database's schema, versioned with `PRAGMA user_version` and upgraded by ordered migrations.

Epochs are log wall-clock time read as UTC (the PBX writes local time without a zone); see `core/timeparse.py`.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

# Each entry upgrades the schema from version i to i + 1. Append only; never edit a released migration.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        epoch       REAL    NOT NULL,
        time        TEXT,
        file        TEXT    NOT NULL,
        line        INTEGER NOT NULL,
        format      TEXT    NOT NULL,
        kind        TEXT    NOT NULL,
        source_ip   TEXT,
        source_port INTEGER,
        caller_id   TEXT,
        caller_name TEXT,
        extension   TEXT,
        user_agent  TEXT,
        call_id     TEXT,
        outcome     TEXT,
        verdict     TEXT    NOT NULL,
        rank        INTEGER NOT NULL,
        reasons_id  INTEGER NOT NULL REFERENCES reason_sets(id),  -- the event's reasons (a shared set)
        raw         TEXT    NOT NULL,           -- evidence lines joined by newlines
        channel     TEXT,
        tags        TEXT    NOT NULL DEFAULT '',
        failure     INTEGER NOT NULL DEFAULT 0  -- a failed login/probe: correlation is rebuilt from these
    );
    CREATE TABLE reason_sets (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);  -- JSON list of {code, text}
    CREATE INDEX events_time ON events(epoch);
    CREATE INDEX events_verdict_time ON events(verdict, epoch);
    CREATE INDEX events_flagged_time ON events(epoch) WHERE rank > 0;
    CREATE INDEX events_source_time ON events(source_ip, epoch);
    CREATE INDEX events_failure_time ON events(epoch) WHERE failure = 1;

    -- counts per bucket for the plot, at two resolutions (60 s and 3600 s)
    CREATE TABLE counts (
        res INTEGER NOT NULL, bucket INTEGER NOT NULL, verdict TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (res, bucket, verdict)
    ) WITHOUT ROWID;

    -- flagged events per source and day, for "top sources" over any range
    CREATE TABLE source_days (
        day INTEGER NOT NULL, ip TEXT NOT NULL, n INTEGER NOT NULL, rank INTEGER NOT NULL, last REAL NOT NULL,
        ghost INTEGER NOT NULL DEFAULT 0, attack INTEGER NOT NULL DEFAULT 0, suspicious INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, ip)
    ) WITHOUT ROWID;

    -- per-source aggregate over all time
    CREATE TABLE sources (
        ip TEXT PRIMARY KEY, first REAL NOT NULL, last REAL NOT NULL, events INTEGER NOT NULL,
        flagged INTEGER NOT NULL, rank INTEGER NOT NULL, reasons TEXT NOT NULL DEFAULT '',
        ghost INTEGER NOT NULL DEFAULT 0, attack INTEGER NOT NULL DEFAULT 0, suspicious INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX sources_worst ON sources(rank, flagged) WHERE flagged > 0;

    -- where each followed file was left: committed in the same transaction as the events its bytes produced
    CREATE TABLE positions (
        path TEXT PRIMARY KEY, device INTEGER, inode INTEGER, head TEXT, offset INTEGER NOT NULL,
        line INTEGER NOT NULL, skip INTEGER NOT NULL DEFAULT 0, format TEXT, done INTEGER NOT NULL DEFAULT 0,
        updated REAL
    ) WITHOUT ROWID;

    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
    """,
    # 2: one event per attempt (a call, a login, a probe) with every line that reported it as its evidence
    """
    ALTER TABLE events ADD COLUMN evidence TEXT NOT NULL DEFAULT '';  -- JSON [[file, line, format, [raw]], ...]
    """,
)

VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The history database cannot be used (newer than this program, corrupt, unwritable)."""


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """Open the database; a writer also migrates it (after copying the file aside). Raises StoreError."""
    try:
        return _connect(path, readonly)
    except sqlite3.DatabaseError as exc:  # not a database, corrupt, locked, read-only medium
        raise StoreError(f"cannot use the history database {path}: {exc} (move it aside to start a new "
                         f"history, or choose another data directory)") from exc


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across app crashes, fast commits
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -8000")  # 8 MB: memory stays flat however long the app runs
    if not readonly:
        migrate(conn, path)
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the schema to `VERSION`; returns the version found. Copies a non-empty older database first."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > VERSION:
        raise StoreError(f"{path} was written by a newer GhostWatch (schema {found}, this one knows {VERSION}); "
                         f"update GhostWatch or choose another data directory")
    if found == VERSION:
        return found
    if found > 0:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(path, path.with_name(f"{path.name}.v{found}.bak"))
    for version in range(found, VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # statement by statement: executescript() would commit early and break the all-or-nothing step
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found


def _statements(script: str) -> list[str]:
    """Split a migration into statements (ours contain no semicolons inside literals or triggers)."""
    cleaned = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in cleaned.split(";") if s.strip()]
