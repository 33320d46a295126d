"""The one place that speaks SQL: schema, migrations, connections and transactions.

Writes go through `Storage.write()`, a `BEGIN IMMEDIATE` transaction on a pooled
connection: the write lock is taken at the start, so two windows calling at the same
instant serialise here and never read the same waiting ticket. Transactions are short
and never wait on the network (under eventlet a sqlite call blocks the hub; a network
write would yield mid-transaction).

Durability: WAL with `synchronous=FULL` by default, so an acknowledged ticket survives a
crash of the process and of the machine. `NORMAL` survives a process crash only.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

log = logging.getLogger(__name__)

Row = dict[str, Any]

_MIGRATIONS: Sequence[str] = (
    # 1: the first schema
    """
    CREATE TABLE halls (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        config_toml TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        last_seq INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE windows (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        zone TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'closed',
        clerk_id INTEGER REFERENCES users(id),
        ticket_id INTEGER REFERENCES tickets(id),
        updated_at TEXT,
        PRIMARY KEY (hall_id, number)
    );
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        service_day TEXT NOT NULL,
        origin_queue TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        number TEXT NOT NULL,
        queue TEXT NOT NULL,
        item TEXT,
        bundle TEXT,
        priority TEXT,
        id_digest TEXT,
        appointment TEXT,
        channel TEXT NOT NULL,
        status TEXT NOT NULL,
        place REAL NOT NULL,
        window INTEGER,
        target_window INTEGER,
        issued_at TEXT NOT NULL,
        called_at TEXT,
        started_at TEXT,
        finished_at TEXT,
        suspended_at TEXT,
        suspended_seconds REAL NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        no_shows INTEGER NOT NULL DEFAULT 0,
        outcome TEXT,
        clerk_id INTEGER REFERENCES users(id)
    );
    CREATE UNIQUE INDEX tickets_number_per_day ON tickets(hall_id, origin_queue, service_day, sequence);
    CREATE UNIQUE INDEX tickets_one_waiting_per_id ON tickets(hall_id, queue, id_digest)
        WHERE status = 'waiting' AND id_digest IS NOT NULL;
    CREATE INDEX tickets_line ON tickets(hall_id, service_day, status, queue, place);
    CREATE INDEX tickets_by_number ON tickets(hall_id, service_day, number);
    CREATE TABLE queue_days (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        queue TEXT NOT NULL,
        service_day TEXT NOT NULL,
        issued INTEGER NOT NULL DEFAULT 0,
        priority_streak INTEGER NOT NULL DEFAULT 0,
        served INTEGER NOT NULL DEFAULT 0,
        handling_seconds REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (hall_id, queue, service_day)
    );
    CREATE TABLE events (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets(id),
        window INTEGER,
        clerk_id INTEGER,
        reason TEXT,
        data TEXT NOT NULL,
        PRIMARY KEY (hall_id, seq)
    );
    CREATE INDEX events_by_ticket ON events(ticket_id);
    CREATE TABLE idempotency_keys (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (hall_id, key)
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        hall_id INTEGER REFERENCES halls(id),
        staff_number TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        kind TEXT NOT NULL,
        window INTEGER,
        name TEXT NOT NULL,
        token_digest TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE attendance (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        window INTEGER NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        opened_at TEXT NOT NULL,
        closed_at TEXT
    );
    """,
    # 2: screens: per-device settings and presence; a notice the manager edits
    """
    ALTER TABLE devices ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
    ALTER TABLE devices ADD COLUMN last_shown_seq INTEGER;
    ALTER TABLE halls ADD COLUMN notice TEXT;
    """,
)


class Storage:
    """A SQLite file and a small pool of connections to it."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", pool_size: int = 8) -> None:
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"DB_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous
        self._pool: list[sqlite_utils.Database] = []
        self._pool_size = pool_size
        self._lock = threading.Lock()

    def _connect(self) -> sqlite_utils.Database:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        return sqlite_utils.Database(conn)

    @contextmanager
    def _connection(self) -> Iterator[sqlite_utils.Database]:
        with self._lock:
            db = self._pool.pop() if self._pool else None
        if db is None:
            db = self._connect()
        try:
            yield db
        finally:
            if db.conn.in_transaction:  # never hand a half-open transaction to the next caller
                db.conn.rollback()
            with self._lock:
                if len(self._pool) < self._pool_size:
                    self._pool.append(db)
                    db = None
            if db is not None:
                db.close()

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A read transaction: every statement inside sees the same committed state, so a
        snapshot's sequence number matches its counts."""
        with self._connection() as db:
            db.conn.execute("BEGIN")
            try:
                yield db
            finally:
                db.conn.rollback()

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One `BEGIN IMMEDIATE` transaction: committed on success, rolled back on error."""
        with self._connection() as db:
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            db.conn.execute("COMMIT")

    def migrate(self) -> int:
        """Bring the schema up to date; returns the version now in force."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            version = db.conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                log.info("applying migration %d", number)
                db.conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
            return len(_MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for db in pool:
            db.close()


# ---- halls -------------------------------------------------------------------------


def hall_by_code(db: sqlite_utils.Database, code: str) -> Row | None:
    return _one(db, "SELECT * FROM halls WHERE code = ?", [code])


def hall_by_id(db: sqlite_utils.Database, hall_id: int) -> Row | None:
    return _one(db, "SELECT * FROM halls WHERE id = ?", [hall_id])


def list_halls(db: sqlite_utils.Database) -> list[Row]:
    return list(db.query("SELECT id, code, name, revision, last_seq FROM halls ORDER BY code"))


def save_hall(db: sqlite_utils.Database, code: str, name: str, config_toml: str, now: str) -> int:
    """Insert or replace a hall's configuration; returns the hall id."""
    row = db.execute(
        """INSERT INTO halls (code, name, config_toml, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(code) DO UPDATE SET name = excluded.name, config_toml = excluded.config_toml,
               revision = revision + 1, updated_at = excluded.updated_at
           RETURNING id""",
        [code, name, config_toml, now],
    ).fetchone()
    return int(row[0])


def sync_windows(db: sqlite_utils.Database, hall_id: int, windows: Iterable[tuple[int, str, str]]) -> None:
    """Make the hall's window rows match its configuration, keeping live state."""
    wanted = list(windows)
    for number, name, zone in wanted:
        db.execute(
            """INSERT INTO windows (hall_id, number, name, zone) VALUES (?, ?, ?, ?)
               ON CONFLICT(hall_id, number) DO UPDATE SET name = excluded.name, zone = excluded.zone""",
            [hall_id, number, name, zone],
        )
    numbers = [w[0] for w in wanted]
    marks = ",".join("?" * len(numbers))
    db.execute(f"DELETE FROM windows WHERE hall_id = ? AND number NOT IN ({marks})", [hall_id, *numbers])


def next_seq(db: sqlite_utils.Database, hall_id: int) -> int:
    return int(
        db.execute("UPDATE halls SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq", [hall_id]).fetchone()[0]
    )


# ---- events ------------------------------------------------------------------------


def append_event(
    db: sqlite_utils.Database,
    hall_id: int,
    *,
    at: str,
    type: str,
    data: dict[str, Any],
    ticket_id: int | None = None,
    window: int | None = None,
    clerk_id: int | None = None,
    reason: str | None = None,
) -> int:
    """Append to the hall's log and return the event's sequence number."""
    seq = next_seq(db, hall_id)
    db.execute(
        "INSERT INTO events (hall_id, seq, at, type, ticket_id, window, clerk_id, reason, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [hall_id, seq, at, type, ticket_id, window, clerk_id, reason, json.dumps(data, ensure_ascii=False)],
    )
    return seq


def events_since(db: sqlite_utils.Database, hall_id: int, after_seq: int, limit: int) -> list[Row]:
    rows = list(
        db.query(
            "SELECT seq, at, type, data FROM events WHERE hall_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [hall_id, after_seq, limit],
        )
    )
    return rows


def event(db: sqlite_utils.Database, hall_id: int, seq: int) -> Row | None:
    return _one(db, "SELECT seq, type, data FROM events WHERE hall_id = ? AND seq = ?", [hall_id, seq])


def ticket_events(db: sqlite_utils.Database, ticket_id: int) -> list[Row]:
    return list(
        db.query(
            "SELECT seq, at, type, window, clerk_id, reason FROM events WHERE ticket_id = ? ORDER BY seq", [ticket_id]
        )
    )


# ---- tickets and queues ------------------------------------------------------------


def bump_issued(db: sqlite_utils.Database, hall_id: int, queue: str, day: str) -> int:
    """Take the queue's next sequence number for the day (inside the write transaction)."""
    row = db.execute(
        """INSERT INTO queue_days (hall_id, queue, service_day, issued) VALUES (?, ?, ?, 1)
           ON CONFLICT(hall_id, queue, service_day) DO UPDATE SET issued = issued + 1
           RETURNING issued""",
        [hall_id, queue, day],
    ).fetchone()
    return int(row[0])


def queue_day(db: sqlite_utils.Database, hall_id: int, queue: str, day: str) -> Row:
    row = _one(
        db, "SELECT * FROM queue_days WHERE hall_id = ? AND queue = ? AND service_day = ?", [hall_id, queue, day]
    )
    return row or {"issued": 0, "priority_streak": 0, "served": 0, "handling_seconds": 0.0}


def queue_days(db: sqlite_utils.Database, hall_id: int, day: str) -> dict[str, Row]:
    rows = db.query("SELECT * FROM queue_days WHERE hall_id = ? AND service_day = ?", [hall_id, day])
    return {r["queue"]: r for r in rows}


def set_priority_streak(db: sqlite_utils.Database, hall_id: int, queue: str, day: str, streak: int) -> None:
    db.execute(
        """INSERT INTO queue_days (hall_id, queue, service_day, priority_streak) VALUES (?, ?, ?, ?)
           ON CONFLICT(hall_id, queue, service_day) DO UPDATE SET priority_streak = excluded.priority_streak""",
        [hall_id, queue, day, streak],
    )


def add_served(db: sqlite_utils.Database, hall_id: int, queue: str, day: str, handling_seconds: float) -> None:
    db.execute(
        """INSERT INTO queue_days (hall_id, queue, service_day, served, handling_seconds) VALUES (?, ?, ?, 1, ?)
           ON CONFLICT(hall_id, queue, service_day) DO UPDATE
               SET served = served + 1, handling_seconds = handling_seconds + excluded.handling_seconds""",
        [hall_id, queue, day, handling_seconds],
    )


def insert_ticket(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    return _insert(db, "tickets", values)


def update_ticket(db: sqlite_utils.Database, ticket_id: int, **values: Any) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE tickets SET {assignments} WHERE id = ?", [*values.values(), ticket_id])


def ticket(db: sqlite_utils.Database, ticket_id: int) -> Row | None:
    return _one(db, "SELECT * FROM tickets WHERE id = ?", [ticket_id])


def ticket_by_number(db: sqlite_utils.Database, hall_id: int, day: str, number: str) -> Row | None:
    return _one(
        db,
        "SELECT * FROM tickets WHERE hall_id = ? AND service_day = ? AND number = ? ORDER BY id DESC LIMIT 1",
        [hall_id, day, number],
    )


def waiting_ticket_for_id(db: sqlite_utils.Database, hall_id: int, queue: str, digest: str) -> Row | None:
    return _one(
        db,
        "SELECT * FROM tickets WHERE hall_id = ? AND queue = ? AND id_digest = ? AND status = 'waiting'",
        [hall_id, queue, digest],
    )


def people_ahead(db: sqlite_utils.Database, hall_id: int, day: str, queue: str, place: float, ticket_id: int) -> int:
    row = db.execute(
        """SELECT count(*) FROM tickets WHERE hall_id = ? AND service_day = ? AND status = 'waiting'
           AND queue = ? AND (place < ? OR (place = ? AND id < ?))""",
        [hall_id, day, queue, place, place, ticket_id],
    ).fetchone()
    return int(row[0])


def waiting_count(db: sqlite_utils.Database, hall_id: int, day: str, queue: str) -> int:
    sql = "SELECT count(*) FROM tickets WHERE hall_id = ? AND service_day = ? AND status = 'waiting' AND queue = ?"
    return int(db.execute(sql, [hall_id, day, queue]).fetchone()[0])


def waiting_counts(db: sqlite_utils.Database, hall_id: int, day: str) -> dict[str, int]:
    rows = db.execute(
        """SELECT queue, count(*) FROM tickets WHERE hall_id = ? AND service_day = ? AND status = 'waiting'
           GROUP BY queue""",
        [hall_id, day],
    ).fetchall()
    return {queue: count for queue, count in rows}


def line_heads(db: sqlite_utils.Database, hall_id: int, day: str, queues: Sequence[str], window: int) -> list[Row]:
    """The first ordinary and the first priority ticket of each queue, plus the first of
    those transferred to `window`: all that routing needs to choose from."""
    marks = ",".join("?" * len(queues))
    return list(
        db.query(
            f"""SELECT id, queue, priority, place, target_window FROM (
                  SELECT id, queue, priority, place, target_window, row_number() OVER (
                      PARTITION BY queue, priority IS NOT NULL, target_window ORDER BY place, id) AS n
                  FROM tickets
                  WHERE hall_id = ? AND service_day = ? AND status = 'waiting'
                    AND ((queue IN ({marks}) AND target_window IS NULL) OR target_window = ?))
                WHERE n = 1""",
            [hall_id, day, *queues, window],
        )
    )


def nth_waiting_place(db: sqlite_utils.Database, hall_id: int, day: str, queue: str, n: int) -> float | None:
    """The place of the n-th waiting ticket (1-based) of a queue, or None if fewer wait."""
    row = db.execute(
        """SELECT place FROM tickets WHERE hall_id = ? AND service_day = ? AND status = 'waiting' AND queue = ?
           AND target_window IS NULL ORDER BY place, id LIMIT 1 OFFSET ?""",
        [hall_id, day, queue, n - 1],
    ).fetchone()
    return None if row is None else float(row[0])


def active_tickets_before(db: sqlite_utils.Database, hall_id: int, day: str) -> list[Row]:
    """Tickets still open from service days before `day` (inclusive when sweeping today)."""
    return list(
        db.query(
            """SELECT * FROM tickets WHERE hall_id = ? AND service_day <= ?
               AND status IN ('waiting', 'called', 'serving', 'suspended') ORDER BY id""",
            [hall_id, day],
        )
    )


def idempotent_ticket(db: sqlite_utils.Database, hall_id: int, key: str) -> Row | None:
    return _one(db, "SELECT * FROM idempotency_keys WHERE hall_id = ? AND key = ?", [hall_id, key])


def remember_idempotency(
    db: sqlite_utils.Database, hall_id: int, key: str, fingerprint: str, ticket_id: int, now: str
) -> None:
    db.execute(
        "INSERT INTO idempotency_keys (hall_id, key, fingerprint, ticket_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [hall_id, key, fingerprint, ticket_id, now],
    )


# ---- windows and attendance -------------------------------------------------------


def window(db: sqlite_utils.Database, hall_id: int, number: int) -> Row | None:
    return _one(db, "SELECT * FROM windows WHERE hall_id = ? AND number = ?", [hall_id, number])


_WINDOWS = """SELECT w.*, t.number AS ticket_number, t.status AS ticket_status, u.display_name AS clerk_name,
                     u.staff_number AS clerk_staff_number
              FROM windows w LEFT JOIN tickets t ON t.id = w.ticket_id LEFT JOIN users u ON u.id = w.clerk_id
              WHERE w.hall_id = ?"""


def windows(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """Every window of the hall with its current ticket and clerk."""
    return list(db.query(_WINDOWS + " ORDER BY w.number", [hall_id]))


def window_with_ticket(db: sqlite_utils.Database, hall_id: int, number: int) -> Row | None:
    """One window with its current ticket and clerk."""
    return _one(db, _WINDOWS + " AND w.number = ?", [hall_id, number])


def open_windows_among(db: sqlite_utils.Database, hall_id: int, numbers: Sequence[int]) -> int:
    marks = ",".join("?" * len(numbers))
    sql = f"SELECT count(*) FROM windows WHERE hall_id = ? AND status = 'open' AND number IN ({marks})"
    return int(db.execute(sql, [hall_id, *numbers]).fetchone()[0])


def window_of_clerk(db: sqlite_utils.Database, user_id: int) -> Row | None:
    return _one(db, "SELECT * FROM windows WHERE clerk_id = ? AND status != 'closed'", [user_id])


def update_window(db: sqlite_utils.Database, hall_id: int, number: int, **values: Any) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(
        f"UPDATE windows SET {assignments} WHERE hall_id = ? AND number = ?", [*values.values(), hall_id, number]
    )


def open_attendance(db: sqlite_utils.Database, hall_id: int, number: int, user_id: int, now: str) -> None:
    db.execute(
        "INSERT INTO attendance (hall_id, window, user_id, opened_at) VALUES (?, ?, ?, ?)",
        [hall_id, number, user_id, now],
    )


def close_attendance(db: sqlite_utils.Database, hall_id: int, number: int, now: str) -> None:
    db.execute(
        "UPDATE attendance SET closed_at = ? WHERE hall_id = ? AND window = ? AND closed_at IS NULL",
        [now, hall_id, number],
    )


def last_calls(db: sqlite_utils.Database, hall_id: int, day: str) -> list[Row]:
    """Each window's latest call today, for a screen's snapshot."""
    return list(
        db.query(
            """SELECT number, window, called_at, queue FROM (
                 SELECT number, window, called_at, queue,
                        row_number() OVER (PARTITION BY window ORDER BY called_at DESC) AS n
                 FROM tickets WHERE hall_id = ? AND service_day = ? AND called_at IS NOT NULL AND window IS NOT NULL)
               WHERE n = 1 ORDER BY called_at DESC""",
            [hall_id, day],
        )
    )


# ---- users and devices ------------------------------------------------------------


def insert_user(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    return _insert(db, "users", values)


def user_by_username(db: sqlite_utils.Database, username: str) -> Row | None:
    return _one(db, "SELECT * FROM users WHERE username = ?", [username])


def user_by_id(db: sqlite_utils.Database, user_id: int) -> Row | None:
    return _one(db, "SELECT * FROM users WHERE id = ?", [user_id])


def list_users(db: sqlite_utils.Database) -> list[Row]:
    return list(
        db.query("SELECT id, username, display_name, role, hall_id, staff_number, active FROM users ORDER BY id")
    )


def insert_device(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    return _insert(db, "devices", values)


def device_by_digest(db: sqlite_utils.Database, digest: str) -> Row | None:
    return _one(db, "SELECT * FROM devices WHERE token_digest = ? AND revoked_at IS NULL", [digest])


def device_by_id(db: sqlite_utils.Database, device_id: int) -> Row | None:
    return _one(db, "SELECT * FROM devices WHERE id = ? AND revoked_at IS NULL", [device_id])


def screen_devices(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    return list(
        db.query(
            """SELECT id, kind, window, name, settings, last_seen_at, last_shown_seq FROM devices
               WHERE hall_id = ? AND revoked_at IS NULL AND kind IN ('hall_screen', 'window_screen') ORDER BY id""",
            [hall_id],
        )
    )


def set_device_settings(db: sqlite_utils.Database, device_id: int, settings: dict[str, Any]) -> None:
    db.execute("UPDATE devices SET settings = ? WHERE id = ?", [json.dumps(settings, ensure_ascii=False), device_id])


def set_device_seen(db: sqlite_utils.Database, device_id: int, seen_at: str, shown_seq: int | None) -> None:
    db.execute(
        "UPDATE devices SET last_seen_at = ?, last_shown_seq = coalesce(?, last_shown_seq) WHERE id = ?",
        [seen_at, shown_seq, device_id],
    )


def set_hall_notice(db: sqlite_utils.Database, hall_id: int, notice: str | None) -> None:
    db.execute("UPDATE halls SET notice = ? WHERE id = ?", [notice, hall_id])


def revoke_device(db: sqlite_utils.Database, device_id: int, now: str) -> bool:
    cursor = db.execute("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now, device_id])
    return cursor.rowcount == 1


def list_devices(db: sqlite_utils.Database) -> list[Row]:
    return list(
        db.query(
            """SELECT d.id, h.code AS hall, d.kind, d.window, d.name, d.created_at, d.revoked_at
               FROM devices d JOIN halls h ON h.id = d.hall_id ORDER BY d.id"""
        )
    )


def _insert(db: sqlite_utils.Database, table: str, values: dict[str, Any]) -> int:
    """Insert one row (table and column names come from this module, never from input)."""
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    row = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", list(values.values())).fetchone()
    return int(row[0])


def _one(db: sqlite_utils.Database, sql: str, params: Sequence[Any]) -> Row | None:
    return next(iter(db.query(sql, params)), None)
