"""`queue-server backup` and `restore`: the database and the secret key, copied and put
back, and every refusal said in Chinese with nothing changed."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from queue_server.app import close_app, create_app
from queue_server.cli import main
from queue_server.domain import clock
from queue_server.domain.access import OPERATOR
from queue_server.services.tickets import IssueRequest
from queue_server.storage.lock import ServerLock
from queue_server.storage.schema import MIGRATIONS

DATABASE = "hall-queue.sqlite3"


def run(instance: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--instance", str(instance), *args], catch_exceptions=False)
    return result.exit_code, result.output


def issue(instance: Path, queue: str = "comprehensive") -> str:
    """Issue one ticket as the command line would, and return its number."""
    app = create_app(
        {"ASYNC_MODE": "threading", "PUBLISHES": False, "BACKGROUND_JOBS": False}, instance_path=str(instance)
    )
    ext = app.extensions["hall_queue"]
    try:
        ticket, _ = ext["services"].issue_ticket(OPERATOR, "demo", IssueRequest(queue=queue), clock.utc_now())
    finally:
        close_app(app)
    return str(ticket["number"])


def numbers(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return sorted(row[0] for row in conn.execute("SELECT number FROM tickets"))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Path]:
    """An instance holding the demo hall, open at any hour."""
    folder = tmp_path / "instance"
    code, out = run(folder, "demo", "--no-serve")
    assert code == 0, out
    yield folder


def test_a_backup_restores_the_tickets_and_the_secret_key_of_its_moment(instance: Path, tmp_path: Path) -> None:
    """What was issued before the backup comes back; what came after is in the file kept
    aside; the secret key comes back with it, the one it replaced kept aside too."""
    before = [issue(instance), issue(instance)]
    key = (instance / "secret_key").read_text()
    code, out = run(instance, "backup", str(tmp_path / "backup"))
    assert code == 0, out
    backup = tmp_path / "backup"
    assert sorted(p.name for p in backup.iterdir()) == ["backup.json", DATABASE, "secret_key"]
    assert (backup / "secret_key").read_text() == key and (backup / "secret_key").stat().st_mode & 0o077 == 0
    assert json.loads((backup / "backup.json").read_text())["schema_version"] == len(MIGRATIONS)
    with sqlite3.connect(backup / DATABASE) as conn:  # one self-contained file
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    after = issue(instance)
    (instance / "secret_key").write_text("another-key-" + "x" * 40)
    code, out = run(instance, "restore", str(backup))
    assert code == 0, out
    assert numbers(instance / DATABASE) == sorted(before)
    assert (instance / "secret_key").read_text() == key
    aside = [Path(line.split("kept aside: ")[1]) for line in out.splitlines() if "kept aside: " in line]
    replaced = next(
        p for p in aside if p.name.startswith(DATABASE + ".replaced-") and not p.name.endswith(("-wal", "-shm"))
    )
    assert numbers(replaced) == sorted([*before, after])
    assert any(p.name.startswith("secret_key.replaced-") and p.read_text().startswith("another-key-") for p in aside)

    # the restored instance serves on, numbering after the backup's last ticket
    assert issue(instance) == after
    code, out = run(instance, "check")
    assert code == 0 and "demo: ok" in out


def test_a_backup_is_not_written_over_unless_asked(instance: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    assert run(instance, "backup", str(backup))[0] == 0
    first = issue(instance)
    code, out = run(instance, "backup", str(backup))
    assert code != 0 and "已存在" in out and "--overwrite" in out
    assert numbers(backup / DATABASE) == []
    code, out = run(instance, "backup", str(backup), "--overwrite")
    assert code == 0, out
    assert numbers(backup / DATABASE) == [first]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial folder left

    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"\xff\xd8")
    code, out = run(instance, "backup", str(other), "--overwrite")
    assert code != 0 and "不是一份备份" in out
    assert [p.name for p in other.iterdir()] == ["holiday.jpg"]

    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(instance, "backup", str(empty))[0] == 0 and numbers(empty / DATABASE) == [first]


def test_no_backup_of_an_instance_that_has_no_database(tmp_path: Path) -> None:
    code, out = run(tmp_path / "nothing", "backup", str(tmp_path / "backup"))
    assert code != 0 and "不存在" in out and "queue-server init" in out
    assert not (tmp_path / "backup").exists() and not (tmp_path / "nothing" / DATABASE).exists()


def test_no_restore_while_a_server_serves_the_instance(instance: Path, tmp_path: Path) -> None:
    assert run(instance, "backup", str(tmp_path / "backup"))[0] == 0
    issued = issue(instance)
    for shared in (False, True):  # a server alone, or one of several sharing a message queue
        server = ServerLock(instance / DATABASE)
        server.acquire(shared=shared, wait=0)
        try:
            code, out = run(instance, "restore", str(tmp_path / "backup"))
        finally:
            server.release()
        assert code != 0 and "服务器正在使用该实例" in out and "请先停止服务器" in out
        assert numbers(instance / DATABASE) == [issued]
        assert not list(instance.glob("*.replaced-*"))


def damaged(backup: Path) -> None:
    """Overwrite the head of the tickets table's root page."""
    with sqlite3.connect(backup / DATABASE) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tickets'").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    with (backup / DATABASE).open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\x0d\x00\x00\x00\x05\xff\xff")


def newer(backup: Path) -> None:
    with sqlite3.connect(backup / DATABASE) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")


def foreign(backup: Path) -> None:
    (backup / DATABASE).unlink()
    with sqlite3.connect(backup / DATABASE) as conn:
        conn.execute("CREATE TABLE notes (text)")


def keyless(backup: Path) -> None:
    (backup / "secret_key").unlink()


def not_sqlite(backup: Path) -> None:
    (backup / DATABASE).write_bytes(b"this is not a database" * 100)


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (damaged, "已损坏（PRAGMA integrity_check"),
        (newer, f"比本程序支持的 {len(MIGRATIONS)} 新"),
        (foreign, "不是 hall-queue 的数据库"),
        (keyless, "没有密钥文件"),
        (not_sqlite, "无法读取"),
        (lambda backup: shutil.rmtree(backup), "不是一份备份"),
    ],
    ids=["damaged", "newer-schema", "not-hall-queue", "no-secret-key", "not-sqlite", "missing"],
)
def test_a_bad_backup_is_refused_and_nothing_changes(
    instance: Path, tmp_path: Path, spoil: Callable[[Path], None], said: str
) -> None:
    backup = tmp_path / "backup"
    assert run(instance, "backup", str(backup))[0] == 0
    issued = issue(instance)
    key = (instance / "secret_key").read_text()
    spoil(backup)
    code, out = run(instance, "restore", str(backup))
    assert code != 0 and said in out and ("未作任何更改" in out or "不是一份备份" in out), out
    assert numbers(instance / DATABASE) == [issued] and (instance / "secret_key").read_text() == key
    assert not list(instance.glob("*.replaced-*"))


def test_a_backup_restores_into_a_new_instance(instance: Path, tmp_path: Path) -> None:
    """The machine is gone: a new instance folder gets the database and the key."""
    issued = issue(instance)
    assert run(instance, "backup", str(tmp_path / "backup"))[0] == 0
    new = tmp_path / "new-machine"
    code, out = run(new, "restore", str(tmp_path / "backup"))
    assert code == 0, out
    assert numbers(new / DATABASE) == [issued]
    assert (new / "secret_key").read_text() == (instance / "secret_key").read_text()
    assert (new / "secret_key").stat().st_mode & 0o077 == 0
