"""The catalogue's search keys, one row per name (schema migration 15)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlite_utils

from queue_server.domain.search_keys import SearchKeys
from queue_server.storage.sql import marks


def keep(db: sqlite_utils.Database, keys: Mapping[str, SearchKeys]) -> None:
    """Store the keys of these names (a name's keys never change: pypinyin's reading of
    it; a newer pypinyin's replaces the old)."""
    db.conn.executemany(
        "INSERT INTO search_keys (name, initials, pinyin) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET initials = excluded.initials, pinyin = excluded.pinyin",
        [(name, k.initials, k.pinyin) for name, k in keys.items()],
    )


def of(db: sqlite_utils.Database, names: Iterable[str]) -> dict[str, SearchKeys]:
    """The stored keys of those of `names` that have them."""
    wanted = sorted(set(names))
    found: dict[str, SearchKeys] = {}
    for start in range(0, len(wanted), 500):  # SQLite's limit on bound values
        chunk = wanted[start : start + 500]
        rows = db.execute(f"SELECT name, initials, pinyin FROM search_keys WHERE name IN ({marks(chunk)})", chunk)
        found.update({name: SearchKeys(initials, pinyin) for name, initials, pinyin in rows.fetchall()})
    return found
