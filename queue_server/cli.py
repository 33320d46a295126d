"""`queue-server`: set up, run and administer the service from the command line."""

from __future__ import annotations

import ctypes.util
import json
import logging
import os
import shutil
import socket
import sys
from datetime import date
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import click
from flask import Flask

from queue_server import auth, config, inputs, storage
from queue_server.accounts import Accounts
from queue_server.app import create_app, resolve_instance_path
from queue_server.domain import clock
from queue_server.domain.access import OPERATOR, DeviceKind, Role
from queue_server.domain.audit import AuditAction
from queue_server.domain.devices import device_address
from queue_server.domain.errors import DomainError
from queue_server.services import Services

DEMO_HALL = "demo"
DEMO_PASSWORD = "demo-pass-2026"  # demo accounts only; printed by `queue-server demo`
DEMO_USERS = (
    ("admin", Role.ADMIN, "系统管理员", None),
    ("manager", Role.MANAGER, "大厅值班主任", "M001"),
    ("guide", Role.GUIDE, "导办员小李", "G001"),
    ("clerk1", Role.CLERK, "窗口人员王芳", "C001"),
    ("clerk2", Role.CLERK, "窗口人员张伟", "C002"),
    ("clerk9", Role.CLERK, "不动产窗口刘洋", "C009"),
)


def demo_hall_toml(*, always_open: bool) -> str:
    text = resources.files("queue_server").joinpath("halls/demo.toml").read_text(encoding="utf-8")
    return text.replace("always_open = false", "always_open = true", 1) if always_open else text


# gunicorn's own workers with their parse-error pages as problem+json (queue_server/workers.py);
# named, not imported: importing eventlet here would slow every command down.
WORKER_CLASSES = {"eventlet": "queue_server.workers.EventletWorker", "gevent": "queue_server.workers.GeventWorker"}


WORKER_CONNECTIONS = 10_000  # websockets and HTTP connections one worker holds at once


def gunicorn_command(bind: str, *, async_mode: str = "eventlet", extra: tuple[str, ...] = ()) -> list[str]:
    """The gunicorn command line for one worker of the production kind."""
    # gunicorn's own workers, with their parse-error pages as problem+json (queue_server.workers)
    command = [sys.executable, "-m", "gunicorn", "--worker-class", WORKER_CLASSES[async_mode]]
    command += ["--workers", "1", "--bind", bind]
    # Open websockets would hold a restart for the default 30 s; screens reconnect and
    # catch up by sequence number, so a short grace is enough for in-flight requests.
    command += ["--graceful-timeout", "5"]
    # gunicorn drops an idle keep-alive connection after 2 s; a desk or kiosk that sends
    # its next request just then gets "connection reset". Browsers and load balancers
    # keep connections for about a minute, so the server keeps them a little longer.
    command += ["--keep-alive", "75"]
    # gunicorn's eventlet worker takes at most 1,000 connections (its default): the
    # thousand-and-first screen, and any request after it, would wait unanswered. Each
    # costs one file descriptor: the worker raises its soft limit (queue_server.workers).
    command += ["--worker-connections", str(WORKER_CONNECTIONS)]
    version = tuple(int(p) for p in metadata.version("gunicorn").split(".")[:2])
    if version >= (25, 1):
        command.append("--no-control-socket")  # else gunicorn leaves a socket in ~/.gunicorn
    return [*command, *extra, "queue_server.wsgi:app"]


# What the worker allocates Python's objects with (docs/operations.md, "Memory"): Python's
# own allocator, or jemalloc in place of glibc's malloc, which gives back the memory a
# wave of screens leaves behind (1.2x the idle worker against 2.3x) for a few percent
# more CPU a request. jemalloc must be in the environment before the process starts.
ALLOCATORS = ("pymalloc", "jemalloc")
JEMALLOC = "libjemalloc.so.2"  # Debian's libjemalloc2


class AllocatorMissing(click.ClickException):
    exit_code = 4  # as gunicorn's for a setting the server cannot start with: systemd does not retry it


def allocator_environment(allocator: str) -> dict[str, str]:
    """The environment variables that run a server on `allocator`."""
    if allocator == "pymalloc":
        return {}
    if allocator == "jemalloc":
        # the loader's own cache, as LD_PRELOAD searches it; a library it cannot find would
        # be skipped at start with a warning only, and the server would run on glibc's malloc
        if ctypes.util.find_library("jemalloc") != JEMALLOC:
            raise AllocatorMissing(
                f"--allocator jemalloc: {JEMALLOC} is not installed (Debian: apt-get install libjemalloc2)"
            )
        return {"PYTHONMALLOC": "malloc", "LD_PRELOAD": JEMALLOC}
    raise ValueError(f"unknown allocator {allocator!r}")


class Context:
    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self._app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            # the command line writes but does not publish: its events are marked in the
            # log, and a running server sends them to the screens (`queue_server.jobs`)
            self._app = create_app(
                {"ASYNC_MODE": "threading", "PUBLISHES": False, "BACKGROUND_JOBS": False},
                instance_path=str(self.instance),
            )
        return self._app

    @property
    def store(self) -> storage.Storage:
        return self.app.extensions["hall_queue"]["store"]  # type: ignore[no-any-return]

    @property
    def services(self) -> Services:
        return self.app.extensions["hall_queue"]["services"]  # type: ignore[no-any-return]

    @property
    def accounts(self) -> Accounts:
        return self.app.extensions["hall_queue"]["accounts"]  # type: ignore[no-any-return]


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Instance folder (secret key, config.toml, database). Default: $QUEUE_INSTANCE_PATH or ./instance",
)
@click.pass_context
def main(ctx: click.Context, instance: Path | None) -> None:
    """hall-queue: queues, windows and calls for a government service hall."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    path = resolve_instance_path(str(instance) if instance else None)
    os.environ["QUEUE_INSTANCE_PATH"] = str(path)  # so that a gunicorn we start finds the same folder
    ctx.obj = Context(path)


def _fail(error: Exception) -> None:
    raise click.ClickException(error.detail if isinstance(error, DomainError) else str(error))


@main.command()
@pass_context
def init(ctx: Context) -> None:
    """Create the instance folder, its secret key and the database schema."""
    config.ensure_secret(ctx.instance)
    version = ctx.store.migrate()
    click.echo(f"instance {ctx.instance} ready (schema version {version})")


@main.command("import-hall")
@click.argument("hall_file", type=click.File("rb"))
@click.option(
    "--effective",
    type=click.Choice(["now", "next-day"]),
    default="now",
    show_default=True,
    help="now: refused if it contradicts today's tickets, windows or clerks; next-day: from the next service day",
)
@pass_context
def import_hall(ctx: Context, hall_file: Any, effective: str) -> None:
    """Create or replace a hall from its TOML file (UTF-8)."""
    try:
        result, _ = ctx.services.import_hall(OPERATOR, hall_file.read(), clock.utc_now(), effective=effective)  # type: ignore[arg-type]
    except DomainError as error:
        conflicts = error.extra.get("conflicts") or []
        if conflicts:
            raise click.ClickException(
                "新的大厅配置未生效，与大厅当前状态冲突：\n" + "\n".join(f"  - {c['detail']}" for c in conflicts)
            ) from None
        _fail(error)
    when = "" if result["effective_from"] == result["service_day"] else f", effective from {result['effective_from']}"
    click.echo(f"hall {result['code']} ({result['name']}) imported{when}")


@main.group()
def user() -> None:
    """People: guides, clerks, managers, administrators."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", required=True, help="Name shown on screens and in reports")
@click.option("--hall", "hall_code", default=None, help="Hall code (every role but admin belongs to one hall)")
@click.option("--staff-number", default=None, help="工号, carried into review records")
@click.password_option(help="At least 8 characters; prompted for when not given")
@pass_context
def user_create(
    ctx: Context,
    username: str,
    role: str,
    display_name: str,
    hall_code: str | None,
    staff_number: str | None,
    password: str,
) -> None:
    """Create a user with a hashed password (the same use case as POST /api/v1/users)."""
    try:
        user = ctx.accounts.create_user(
            OPERATOR,
            username=username,
            password=password,
            role=Role(role),
            display_name=display_name,
            hall_code=hall_code,
            staff_number=staff_number,
            now=clock.utc_now(),
        )
    except DomainError as error:
        _fail(error)
    click.echo(f"user {user['username']} created (id {user['id']}, role {role})")


@user.command("list")
@pass_context
def user_list(ctx: Context) -> None:
    """Every user, with whether it is disabled or locked."""
    for row in ctx.accounts.users(OPERATOR, clock.utc_now()):
        state = "" if row["active"] else "  (disabled)"
        if row["locked_until"]:
            state += f"  (locked until {row['locked_until']})"
        click.echo(
            f"{row['id']:>4}  {row['username']:<16} {row['role']:<8} hall={row['hall'] or '*'}"
            f"  {row['display_name']}{state}"
        )


# A running server learns of these within a round of its timer (JOB_INTERVAL, 0.5 s):
# the sessions they end are refused at the next request and their open sockets closed.


@user.command("disable")
@click.argument("username")
@pass_context
def user_disable(ctx: Context, username: str) -> None:
    """Disable a user: it can no longer sign in, and every session of it ends at once."""
    try:
        _, ended = ctx.accounts.disable(OPERATOR, username, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"user {username} disabled; {len(ended)} session(s) ended")


@user.command("enable")
@click.argument("username")
@pass_context
def user_enable(ctx: Context, username: str) -> None:
    """Let a disabled user sign in again."""
    try:
        ctx.accounts.enable(OPERATOR, username, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"user {username} enabled")


@user.command("set-password")
@click.argument("username")
@click.password_option(help="At least 8 characters; prompted for when not given")
@pass_context
def user_set_password(ctx: Context, username: str, password: str) -> None:
    """Set a user's password (prompted for); every session of the user ends at once."""
    try:
        _, ended = ctx.accounts.set_password(OPERATOR, username, password, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"password of {username} set; {len(ended)} session(s) ended")


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@click.option("--hall", "hall_code", default=None, help="Hall code, for a user that has none (or to move it)")
@pass_context
def user_set_role(ctx: Context, username: str, role: str, hall_code: str | None) -> None:
    """Change a user's role; every session of the user ends at once and it signs in again."""
    try:
        user, ended = ctx.accounts.set_role(OPERATOR, username, Role(role), hall_code, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"user {username} is now {user['role']} (hall {user['hall'] or '*'}); {len(ended)} session(s) ended")


@user.command("set-staff-number")
@click.argument("username")
@click.argument("staff_number", required=False)
@pass_context
def user_set_staff_number(ctx: Context, username: str, staff_number: str | None) -> None:
    """Set a user's staff number (工号), shown on review pads and carried by ratings;
    without one, clear it."""
    try:
        if staff_number is not None:
            staff_number = inputs.text({"staff_number": staff_number}, "staff_number", max_length=20)
        ctx.accounts.set_staff_number(OPERATOR, username, staff_number, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"staff number of {username}: {staff_number or '(none)'}")


@user.command("unlock")
@click.argument("username")
@pass_context
def user_unlock(ctx: Context, username: str) -> None:
    """Lift the lock that failed sign-ins put on a user name, and forget them."""
    try:
        _, forgot = ctx.accounts.unlock(OPERATOR, username, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"user {username} unlocked" if forgot else f"user {username} had no failed sign-ins to forget")


@main.group()
def device() -> None:
    """Device tokens for screens, kiosks, printers and review pads."""


@device.command("create")
@click.option("--hall", "hall_code", required=True)
@click.option("--kind", type=click.Choice([k.value for k in DeviceKind]), required=True)
@click.option("--name", required=True)
@click.option("--window", type=int, default=None, help="Required for window screens and review pads")
@click.option(
    "--station",
    default=None,
    help="The desk or kiosk a printer serves (required for printers, e.g. desk-1); a kiosk's, to print its tickets",
)
@pass_context
def device_create(ctx: Context, hall_code: str, kind: str, name: str, window: int | None, station: str | None) -> None:
    """Register a device and print its token (shown only this once) and the address its
    page opens with (the same use case as POST /api/v1/halls/{hall}/devices)."""
    try:
        device, token = ctx.services.register_device(
            OPERATOR, hall_code, kind=DeviceKind(kind), name=name, window=window, station=station, now=clock.utc_now()
        )
    except DomainError as error:
        _fail(error)
    click.echo(f"device {device['device_id']} ({kind}) token: {token}")
    base = ctx.app.config["PUBLIC_BASE_URL"] or "http://SERVER:8000"
    address = device_address(base, DeviceKind(kind), token)
    if address is not None:
        click.echo(f"open on the device: {address}")


@device.command("revoke")
@click.argument("device_id", type=int)
@pass_context
def device_revoke(ctx: Context, device_id: int) -> None:
    """End a device's token (the same use case as POST …/devices/{id}/revoke): its open
    pages go blank within a round of the running server's timer."""
    try:
        ctx.services.revoke_device(OPERATOR, device_id, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"device {device_id} revoked")


@device.command("list")
@pass_context
def device_list(ctx: Context) -> None:
    with ctx.store.read() as db:
        for row in storage.people.list_devices(db):
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
            window = f" window {row['window']}" if row["window"] else ""
            window += f" station {row['station']}" if row["station"] else ""
            click.echo(f"{row['id']:>4}  {row['hall']:<10} {row['kind']:<14}{window} {row['name']}  ({state})")


@main.command()
@click.option("--since", default=None, help="Entries at or after this moment, e.g. 2026-11-23T00:00:00+08:00")
@click.option("--hall", "hall_code", default=None, help="Hall code")
@click.option("--actor", default=None, help="A user name, or operator (this command line)")
@click.option("--action", type=click.Choice([a.value for a in AuditAction]), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="The latest this many")
@pass_context
def audit(
    ctx: Context, since: str | None, hall_code: str | None, actor: str | None, action: str | None, limit: int
) -> None:
    """The audit log of administrators' and managers' actions, oldest of the latest first."""
    try:
        moment = inputs.instant({"since": since}, "since")
        entries, more = ctx.services.audit_log(
            OPERATOR,
            limit=limit,
            since=clock.iso(moment) if moment else None,
            hall=hall_code,
            actor=actor,
            action=AuditAction(action) if action else None,
        )
    except DomainError as error:
        _fail(error)
    if more is not None:
        click.echo(f"(older entries before id {entries[-1]['id']}: raise --limit or narrow with --since)")
    for row in reversed(entries):  # read down to the latest, as a log is
        role = f" ({row['actor_role']})" if row["actor_role"] else ""
        detail = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
        click.echo(
            f"{row['id']:>6}  {row['at']}  {row['actor']}{role}  {row['hall'] or '*'}  {row['action']}"
            f"  {row['target'] or '-'}  {detail}"
        )


@main.command()
@click.option("--hall", "halls", multiple=True, help="Hall code; default every hall")
@click.option("--include-today", is_flag=True, help="Also close today's open tickets and windows (after hours)")
@pass_context
def sweep(ctx: Context, halls: tuple[str, ...], include_today: bool) -> None:
    """Close by hand what is left: a running server closes each service day by itself at
    the hall's rollover time; this also closes today's with --include-today."""
    with ctx.store.read() as db:
        codes = list(halls) or [h["code"] for h in storage.halls.listed(db)]
    for code in codes:
        try:
            result, _ = ctx.services.sweep(OPERATOR, code, clock.utc_now(), include_today=include_today)
        except DomainError as error:
            _fail(error)
        click.echo(
            f"{code}: {result['expired_tickets']} tickets expired, {result['closed_windows']} windows closed,"
            f" service day {result['service_day']}"
        )


@main.command("release-window")
@click.option("--hall", "hall_code", required=True)
@click.option("--window", "number", type=int, required=True)
@click.option("--reason", required=True, help="Recorded in the hall's log")
@pass_context
def release_window(ctx: Context, hall_code: str, number: int, reason: str) -> None:
    """Free a window its clerk left: its ticket goes back in line, the window closes."""
    try:
        ctx.services.release_window(OPERATOR, hall_code, number, reason, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"{hall_code}: window {number} released")


@main.command()
@click.option("--hall", "halls", multiple=True, help="Hall code; default every hall")
@pass_context
def check(ctx: Context, halls: tuple[str, ...]) -> None:
    """Check every rule that spans records (domain/invariants.py); exit 1 on a violation."""
    from queue_server.domain import invariants

    with ctx.store.read() as db:
        codes = list(halls) or [h["code"] for h in storage.halls.listed(db)]
    broken = 0
    for code in codes:
        found = invariants.violations(ctx.services.hall_state(code))
        broken += len(found)
        click.echo(f"{code}: " + ("ok" if not found else f"{len(found)} violations"))
        for violation in found:
            click.echo(f"  {violation}")
    if broken:
        raise SystemExit(1)


@main.command()
@click.argument("destination", type=click.Path(path_type=Path))
@click.option(
    "--overwrite", is_flag=True, help="Replace an earlier backup in DESTINATION (only once the new one is complete)"
)
@pass_context
def backup(ctx: Context, destination: Path, overwrite: bool) -> None:
    """Back up the database and the secret key into the folder DESTINATION, while the
    server runs (SQLite's online backup: the server keeps issuing meanwhile)."""
    from queue_server.storage import backup as backups

    database = Path(config.file_settings(ctx.instance)["DATABASE"])
    try:
        if not database.exists():  # before ctx.app, which would create an empty one
            raise backups.BackupRefused(
                f"数据库文件 {database} 不存在：请先运行 queue-server init，或检查 --instance 与 DATABASE 设置"
            )
        info = backups.take(ctx.store, ctx.app.config["SECRET_KEY"], destination, overwrite=overwrite)
    except (backups.BackupRefused, DomainError) as error:  # DomainError: the store stayed busy
        _fail(error)
    size = info.size_bytes / 2**20
    click.echo(f"backup of {database} written to {info.folder} (schema version {info.schema_version}, {size:.1f} MiB)")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@pass_context
def restore(ctx: Context, source: Path) -> None:
    """Replace the instance's database and secret key by the backup in the folder SOURCE;
    the server must be stopped. The files replaced are kept aside, renamed."""
    from queue_server.storage import backup as backups

    settings = config.file_settings(ctx.instance)
    try:
        version, kept = backups.restore(source, Path(settings["DATABASE"]), ctx.instance)
    except backups.BackupRefused as error:
        _fail(error)
    click.echo(f"restored {source} into {settings['DATABASE']} (schema version {version})")
    for path in kept:
        click.echo(f"  kept aside: {path}")
    if settings.get("SECRET_KEY"):
        click.echo(
            "note: SECRET_KEY is set in config.toml or QUEUE_SECRET_KEY and wins over the restored secret_key file;"
            f" the backup's key is in {source / backups.SECRET_FILE}"
        )


@main.group()
def feed() -> None:
    """The 好差评 feed's outbox: records waiting for the platform (docs/review-feed.md)."""


@feed.command("status")
@click.option("--hall", "hall_code", default=None, help="Hall code; default every hall")
@click.option(
    "--dead-letters",
    "show_dead",
    type=click.IntRange(0, 10_000),
    default=10,
    show_default=True,
    help="List the latest this many dead letters",
)
@pass_context
def feed_status(ctx: Context, hall_code: str | None, show_dead: int) -> None:
    """Whether the feed is configured, counts by state, the oldest record pending, the last
    delivery and the last error; exit 1 while dead letters wait for someone."""
    sender = ctx.app.extensions["hall_queue"]["feed"].describe()
    try:
        status = ctx.services.feed_status(OPERATOR, clock.utc_now(), hall=hall_code)
        letters, _ = ctx.services.feed_dead_letters(OPERATOR, hall=hall_code, limit=max(show_dead, 1))
    except DomainError as error:
        _fail(error)
    if sender["configured"]:
        click.echo(f"platform: {sender['url']}")
    else:
        click.echo("platform: not configured (REVIEW_FEED_URL unset): records wait in the outbox")
    counts = status["counts"]
    click.echo(f"pending {counts['pending']}  delivered {counts['delivered']}  dead {counts['dead']}")
    oldest = status["oldest_pending"]
    if oldest:
        why = f", last error: {oldest['last_error']}" if oldest["last_error"] else ""
        click.echo(
            f"oldest pending: {oldest['key']} since {oldest['created_at']} ({oldest['waiting_seconds']} s,"
            f" {oldest['attempts']} attempts, next {oldest['next_attempt_at']}{why})"
        )
    success = status["last_success"]
    click.echo(f"last success: {success['delivered_at']} {success['key']}" if success else "last success: never")
    failure = status["last_error"]
    if failure:
        said = f"  {failure['last_answer'][:200]}" if failure["last_answer"] else ""
        click.echo(f"last error: {failure['failed_at']} {failure['key']} {failure['last_error']}{said}")
    for letter in letters[:show_dead]:
        said = (letter["last_answer"] or "")[:200].replace("\n", " ")
        click.echo(f"  dead {letter['id']:>6}  {letter['key']}  {letter['last_error']}  {said}".rstrip())
    if counts["dead"]:
        raise SystemExit(1)


@feed.command("retry")
@click.argument("letter_id", type=click.IntRange(1))
@pass_context
def feed_retry(ctx: Context, letter_id: int) -> None:
    """Send a dead letter again (a running server's sender takes it at its next round)."""
    try:
        letter = ctx.services.retry_dead_letter(OPERATOR, letter_id, clock.utc_now())
    except DomainError as error:
        _fail(error)
    click.echo(f"{letter['key']}: pending again")


@main.command("appointments")
@click.option("--hall", "hall_code", required=True)
@click.option("--day", default=None, help="Service day, 2026-11-23; default: today's")
@pass_context
def list_appointments(ctx: Context, hall_code: str, day: str | None) -> None:
    """The appointments (预约) of a service day, by slot: reference, queue, state, ticket."""
    try:
        the_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter(f"{day!r} is not a date like 2026-11-23", param_hint="--day") from None
    try:
        result = ctx.services.appointments(OPERATOR, hall_code, the_day, clock.utc_now())
    except DomainError as error:
        _fail(error)
    booked = result["appointments"]
    click.echo(f"{hall_code}: {len(booked)} appointments on {result['service_day']}")
    for a in booked:
        ticket = f"{a['ticket']['number']} ({a['ticket']['status']})" if a["ticket"] else ""
        state = f"{a['status']} late" if a["late"] else a["status"]
        slot = f"{a['slot_start']}-{a['slot_end']}"
        click.echo(f"  {slot}  {a['reference']:<20} {a['queue']:<18} {state:<15} {ticket}".rstrip())


@main.command()
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def openapi(output: Path | None) -> None:
    """Print (or write) the OpenAPI document."""
    from queue_server.api.openapi import openapi_document

    text = json.dumps(openapi_document(), ensure_ascii=False, indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--worker",
    type=click.Choice(list(WORKER_CLASSES)),
    default="eventlet",
    show_default=True,
    help="gunicorn's worker class, and ASYNC_MODE with it; gevent needs the `gevent` extra (docs/operations.md)",
)
@click.option(
    "--allocator",
    type=click.Choice(ALLOCATORS),
    default="pymalloc",
    show_default=True,
    envvar="QUEUE_ALLOCATOR",
    help="what the worker allocates memory with; jemalloc gives back what a wave of screens "
    "leaves behind, for a few percent more CPU (docs/operations.md, Memory)",
)
@pass_context
def serve(ctx: Context, host: str, port: int, worker: str, allocator: str) -> None:
    """Run the server: gunicorn, one eventlet (or gevent) worker."""
    if not (ctx.instance / "secret_key").exists():
        raise click.ClickException(f"{ctx.instance} is not set up: run `queue-server init` first")
    os.environ.update(allocator_environment(allocator))
    _exec_gunicorn(host, port, worker)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--real-hours", is_flag=True, help="Keep the demo hall's real opening hours")
@click.option("--no-serve", is_flag=True, help="Set up only; do not start the server")
@pass_context
def demo(ctx: Context, host: str, port: int, real_hours: bool, no_serve: bool) -> None:
    """Set up the demo hall with demo accounts and devices, print how to use it, and serve.
    Each start gives the demo's devices new tokens (the previous ones are revoked), so the
    addresses printed always open."""
    if not no_serve:
        _require_free_port(host, port)  # before anything is written: a second demo changes nothing
    config.ensure_secret(ctx.instance)
    try:
        ctx.services.import_hall(OPERATOR, demo_hall_toml(always_open=not real_hours), clock.utc_now())
    except DomainError as error:
        _fail(error)
    now = clock.utc_now()
    with ctx.store.read() as db:
        existing = {u["username"] for u in storage.people.list_users(db)}
        active_devices = [(d["id"], d["name"]) for d in storage.people.list_devices(db) if not d["revoked_at"]]
    for username, role, name, staff_number in DEMO_USERS:
        if username not in existing:
            auth.create_user(
                ctx.store,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=name,
                hall_code=None if role is Role.ADMIN else DEMO_HALL,
                staff_number=staff_number,
                now=now,
            )
    tokens = []
    for kind, name, window, station in (
        (DeviceKind.HALL_SCREEN, "demo 一楼综合屏", None, None),
        (DeviceKind.WINDOW_SCREEN, "demo 1号窗口屏", 1, None),
        (DeviceKind.KIOSK, "demo 自助取号机", None, "kiosk-1"),
        (DeviceKind.PRINTER, "demo 导办台打印机", None, "desk-1"),
        (DeviceKind.PRINTER, "demo 自助取号机打印机", None, "kiosk-1"),
        (DeviceKind.REVIEW_PAD, "demo 1号窗口评价器", 1, None),
        (DeviceKind.BOOKING_PLATFORM, "demo 预约平台", None, None),
    ):
        for device_id, known in active_devices:
            if known == name:  # a token is shown once only: the demo's devices get new ones
                auth.revoke_device(ctx.store, device_id, now)
        _, token = auth.create_device(
            ctx.store, hall_code=DEMO_HALL, kind=kind, name=name, window=window, now=now, station=station
        )
        tokens.append((kind.value, name, token))
    base = f"http://{host}:{port}"
    lines = [
        "",
        "hall-queue demo hall 示范区政务服务中心 (code: demo)" + ("" if real_hours else " — issuing at any hour"),
        f"  instance:       {ctx.instance}",
        f"  API:            {base}/api/v1/openapi.json  (all routes)",
        f"  hall snapshot:  {base}/api/v1/halls/demo",
        f"  health:         {base}/api/v1/health",
        f"  pages:          {base}/  (the list)",
        f"  desk:           {base}/desk?station=desk-1  (sign in as guide; prints on the desk-1 printer)",
        f"  console:        {base}/counter  (sign in as a clerk; open a window, call, finish)",
        f"  dashboard:      {base}/manage  (sign in as manager; alerts, windows, devices, 好差评 live)",
        f"  staffing:       {base}/manage/staffing   reports: {base}/manage/reports  (manager)",
        f"  users, devices: {base}/manage/admin  (sign in as admin, or as manager for the hall's devices)",
        f"  log-ins (password {DEMO_PASSWORD}): " + ", ".join(f"{u} ({r.value})" for u, r, _, _ in DEMO_USERS),
        "  Try it:",
        "    curl -s -c /tmp/hq.jar -H 'Content-Type: application/json' "
        f"""-d '{{"username":"guide","password":"{DEMO_PASSWORD}"}}' {base}/api/v1/session""",
        '    then POST /api/v1/halls/demo/tickets {"item": "id-card"} with the returned csrf_token as X-CSRF-Token',
    ]
    if tokens:
        lines.append("  device tokens (new on every start of the demo; the previous ones are revoked):")
        lines += [f"    {kind:<14} {token}   {name}" for kind, name, token in tokens]
        lines.append("  screens, the kiosk and the review pad (open on the device):")
        addresses = [(name, device_address(base, DeviceKind(kind), token)) for kind, name, token in tokens]
        lines += [f"    {name}: {address}" for name, address in addresses if address is not None]
        lines.append("  printers (run on the PC next to each; docs/printing.md):")
        lines += [
            f"    {name}: TICKET_PRINTER_TOKEN={token} ticket-printer --server {base} --tcp PRINTER-ADDRESS"
            for kind, name, token in tokens
            if kind == DeviceKind.PRINTER.value
        ]
    click.echo("\n".join(lines) + "\n")
    if not no_serve:
        # the demo is plain http://: a Secure cookie would never come back from the browser
        os.environ.setdefault("QUEUE_SESSION_COOKIE_SECURE", "false")
        _exec_gunicorn(host, port)


def _require_free_port(host: str, port: int) -> None:
    """Refuse to start on a port something already listens on, saying so in Chinese (the
    demo's users) with the way out, before the database is touched."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
    try:
        probe.bind((host, port))
    except OSError as error:
        raise click.ClickException(
            f"端口 {port} 已被占用（{error.strerror}），可能已有一个 demo 在运行：请先停止它，"
            f"或换一个端口，例如 make demo PORT={port + 1}（queue-server demo --port {port + 1}）"
        ) from None
    finally:
        probe.close()


def _exec_gunicorn(host: str, port: int, worker: str = "eventlet") -> None:
    if shutil.which(sys.executable) is None:  # pragma: no cover - the interpreter is always there
        raise click.ClickException("python interpreter not found")
    os.environ["QUEUE_ASYNC_MODE"] = worker  # the async mode follows the worker class, explicitly
    command = gunicorn_command(f"{host}:{port}", async_mode=worker)
    sys.stdout.flush()
    os.execv(command[0], command)


if __name__ == "__main__":  # `python -m queue_server.cli`, as the tests run it
    main()
