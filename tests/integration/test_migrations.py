"""Migrations bring an existing database forward with what it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_server.storage import Storage, schema, store


def test_tickets_issued_before_references_existed_get_one_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = Storage(tmp_path / "old.sqlite3")
    monkeypatch.setattr(store, "MIGRATIONS", schema.MIGRATIONS[:4])
    assert old.migrate() == 4
    with old.write() as db:
        db.execute("INSERT INTO halls (id, code, name, config_toml, updated_at) VALUES (1, 'demo', '示范', '', 'x')")
        for number in ("A001", "A002"):
            db.execute(
                "INSERT INTO tickets (hall_id, service_day, number, queue, origin_queue, channel, status, place,"
                " issued_at) VALUES (1, '2026-11-23', ?, 'q', 'q', 'desk', 'waiting', ?, '2026-11-23')",
                [number, number],
            )
    monkeypatch.setattr(store, "MIGRATIONS", schema.MIGRATIONS)
    assert old.migrate() == len(schema.MIGRATIONS)
    with old.read() as db:
        refs = [row[0] for row in db.execute("SELECT ref FROM tickets ORDER BY id").fetchall()]
    assert len(set(refs)) == 2 and all(len(ref) == 32 for ref in refs)
    old.close()
