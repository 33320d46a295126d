"""Backups of an instance: its SQLite file and its secret key, taken while a server runs,
and put back while none does (docs/operations.md#backups).

A backup is a folder: `hall-queue.sqlite3` (one self-contained file, no WAL beside it),
`secret_key` (mode 600: sessions, CSRF tokens and the hashes of ID numbers depend on it)
and `backup.json` (when, from where, the schema version). It is written under a
temporary name beside the destination and renamed into place, so a half-made backup
never looks like one.

Taking it: SQLite's online backup API copies the pages in steps of `STEP_PAGES`, all
inside one read transaction on the source. In WAL mode a reader takes no lock a writer
waits for, so a live server (another process) goes on issuing tickets throughout; the
read transaction fixes the snapshot, so the copy is the database as it stood at the
backup's first read (every ticket acknowledged before then, none half-written), and the
copy never restarts because of those writes. Waiting for the snapshot follows the
store's rule (storage/store.py): retried in Python, never in SQLite's busy handler.

Restoring: refused while a server process holds the instance's server lock
(storage/lock.py), which restore then holds itself until it is done, so that no server
starts on a half-replaced file. The backup is checked first (`PRAGMA integrity_check`,
its schema version against this program's migrations); the file it replaces, with its
WAL, is kept aside under `<database>.replaced-<time>`, and so is a different secret key.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from queue_server.storage.lock import DatabaseInUse, ServerLock
from queue_server.storage.schema import MIGRATIONS
from queue_server.storage.store import Storage

DATABASE_FILE = "hall-queue.sqlite3"
SECRET_FILE = "secret_key"
MANIFEST_FILE = "backup.json"
STEP_PAGES = 1024  # 4 MiB per step at SQLite's default page size


class BackupRefused(RuntimeError):
    """A backup or restore that would lose or overwrite something: nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    folder: Path
    schema_version: int
    size_bytes: int
    pages: int


def take(store: Storage, secret_key: str, destination: Path, *, overwrite: bool = False) -> BackupInfo:
    """Copy the store's database and the secret key into the folder `destination`.
    Refused if it exists (a folder with files in it), unless `overwrite` and it is itself
    a backup."""
    destination = destination.absolute()
    if not store.path.exists():
        raise BackupRefused(
            f"数据库文件 {store.path} 不存在：请先运行 queue-server init，或检查 --instance 与 DATABASE 设置"
        )
    _check_destination(destination, overwrite=overwrite)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)  # left by an earlier run of this process id that died
    partial.mkdir(mode=0o700)
    try:
        copy = sqlite3.connect(partial / DATABASE_FILE, isolation_level=None)
        try:
            pages = [0]

            def progress(status: int, remaining: int, total: int) -> None:
                pages[0] = total

            # one read transaction for every step: one snapshot, and no restart when the
            # server writes meanwhile (it does not wait for us either: WAL)
            with store.read() as db:
                db.conn.backup(copy, pages=STEP_PAGES, progress=progress)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            version = int(copy.execute("PRAGMA user_version").fetchone()[0])
        finally:
            copy.close()
        _fsync(partial / DATABASE_FILE)
        _write_private(partial / SECRET_FILE, secret_key)
        manifest = {
            "taken_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "source": str(store.path),
            "schema_version": version,
            "hall_queue": metadata.version("hall-queue"),
        }
        (partial / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
        _fsync(partial / MANIFEST_FILE)
        _fsync(partial)
        _put_in_place(partial, destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    size = (destination / DATABASE_FILE).stat().st_size
    return BackupInfo(destination, version, size, pages[0])


def check(source: Path) -> tuple[int, str | None]:
    """The backup folder's schema version and secret key, or `BackupRefused` saying what
    is wrong with it. Opens the file read-only: a check changes nothing."""
    database = source / DATABASE_FILE
    if not source.is_dir() or not database.is_file():
        raise BackupRefused(
            f"{source} 不是一份备份：其中没有 {DATABASE_FILE}（备份是 queue-server backup 生成的文件夹）"
        )
    try:
        conn = sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)
        try:
            found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"备份 {database} 无法读取（{error}），已损坏或不是 SQLite 数据库：未作任何更改") from None
    if found != ["ok"]:
        said = "；".join(found[:3])
        raise BackupRefused(f"备份 {database} 已损坏（PRAGMA integrity_check：{said}）：未作任何更改")
    if version == 0:
        raise BackupRefused(f"备份 {database} 不是 hall-queue 的数据库（结构版本为 0）：未作任何更改")
    if version > len(MIGRATIONS):
        raise BackupRefused(
            f"备份的数据库结构版本为 {version}，比本程序支持的 {len(MIGRATIONS)} 新：请用生成该备份的或更新的"
            " hall-queue 版本恢复。未作任何更改"
        )
    secret = source / SECRET_FILE
    key = secret.read_text().strip() if secret.is_file() else None
    return version, key or None


def restore(source: Path, database: Path, instance: Path) -> tuple[int, list[Path]]:
    """Replace `database` (and the instance's secret key) by the backup in `source`;
    returns its schema version and the files kept aside. Refused while a server serves
    the database, or if the backup is damaged, newer than this program, or has no key."""
    source = source.absolute()
    version, key = check(source)
    if key is None:
        raise BackupRefused(
            f"备份 {source} 中没有密钥文件 {SECRET_FILE}：没有它，已登录的会话和证件号摘要都会失效。未作任何更改"
        )
    if database.exists() and (source / DATABASE_FILE).samefile(database):
        raise BackupRefused(f"{source / DATABASE_FILE} 就是当前数据库本身：请指定一份备份")
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = ServerLock(database)
    try:
        lock.acquire(shared=False, wait=0)  # held until done: no server starts on a half-replaced file
    except DatabaseInUse:
        raise BackupRefused(
            f"服务器正在使用该实例（{_holder(lock)}）：恢复会替换它正在写的数据库。"
            "请先停止服务器，再运行 queue-server restore"
        ) from None
    try:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept: list[Path] = []
        incoming = database.with_name(f".{database.name}.restoring-{os.getpid()}")
        shutil.copyfile(source / DATABASE_FILE, incoming)
        _fsync(incoming)
        aside = database.with_name(f"{database.name}.replaced-{stamp}")
        for suffix in ("", "-wal", "-shm"):  # the WAL holds committed writes: it goes aside with its file
            current = Path(f"{database}{suffix}")
            if current.exists():
                current.rename(f"{aside}{suffix}")
                kept.append(Path(f"{aside}{suffix}"))
        incoming.rename(database)
        secret = instance / SECRET_FILE
        if secret.exists() and secret.read_text().strip() != key:
            secret.rename(instance / f"{SECRET_FILE}.replaced-{stamp}")
            kept.append(instance / f"{SECRET_FILE}.replaced-{stamp}")
        if not secret.exists():
            instance.mkdir(parents=True, exist_ok=True)
            _write_private(secret, key)
        _fsync(database.parent)
        _fsync(instance)
    finally:
        lock.release()
    return version, kept


def _check_destination(destination: Path, *, overwrite: bool) -> None:
    if not destination.exists() or (destination.is_dir() and not any(destination.iterdir())):
        return
    if not destination.is_dir() or not (destination / MANIFEST_FILE).is_file():
        raise BackupRefused(f"{destination} 已存在，且不是一份备份：不会覆盖它。请换一个目标文件夹")
    if not overwrite:
        raise BackupRefused(f"备份 {destination} 已存在：如要用新备份替换它，请加 --overwrite；或换一个目标文件夹")


def _put_in_place(partial: Path, destination: Path) -> None:
    """Rename the finished folder into place; an older backup there goes only once the
    new one is complete."""
    old: Path | None = None
    if destination.exists():
        if destination.is_dir() and not any(destination.iterdir()):
            destination.rmdir()
        else:
            old = destination.with_name(f".{destination.name}.old-{os.getpid()}")
            destination.rename(old)
    partial.rename(destination)
    _fsync(destination.parent)
    if old is not None:
        shutil.rmtree(old)


def _holder(lock: ServerLock) -> str:
    holder = lock.holder()
    if "pid" in holder:
        return f"进程 {holder['pid']}，主机 {holder.get('host', '?')}，自 {holder.get('since', '?')} 起"
    return "另一个服务器进程"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
