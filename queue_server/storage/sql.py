"""Small helpers every storage module shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

Row = dict[str, Any]


def one(db: sqlite_utils.Database, sql: str, params: Sequence[Any]) -> Row | None:
    return next(iter(db.query(sql, params)), None)


def insert(db: sqlite_utils.Database, table: str, values: dict[str, Any]) -> int:
    """Insert one row (table and column names come from the storage modules, never from input)."""
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    row = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", list(values.values())).fetchone()
    return int(row[0])


def update(db: sqlite_utils.Database, table: str, where: dict[str, Any], values: dict[str, Any]) -> int:
    """Update the rows matching `where` (column names from the storage modules only)."""
    assignments = ", ".join(f"{column} = ?" for column in values)
    condition = " AND ".join(f"{column} = ?" for column in where)
    cursor = db.execute(f"UPDATE {table} SET {assignments} WHERE {condition}", [*values.values(), *where.values()])
    return int(cursor.rowcount)


def marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))
