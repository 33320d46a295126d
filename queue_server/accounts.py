"""Accounts: signing in, with failed attempts throttled; server-side sessions; and the
changes to a user (disable, password, role) that end their sessions at once.

Signing in. Failed attempts are counted per user name and per client address
(`domain.logins`); an attempt that must wait is refused with 429 before any password is
checked, so a refused attempt costs one small read, and is held `refusal_delay` seconds
(a green sleep) so that a script ignoring Retry-After cannot turn the refusals themselves
into a flood. An attempt that may go ahead is
counted first, in a write transaction, then its password is checked off the event loop
(`passwords.Passwords`), and a right password takes the count back. A user name locked
after repeated failures stays locked, right password or not, until its time runs out or
an administrator lifts it (`unlock`). Failed attempts are logged with the user name and
the address, never the password.

Sessions. Each sign-in stores a session: the cookie carries a random token, the table
its SHA-256, the user, when it began and when it was last used. Every request and every
socket message looks it up: a session ended on the server (sign-out, password or role
changed, account disabled), idle for longer than the idle limit or older than the
absolute limit is refused. The last-use time is written at most once a `touch_seconds`
per session, not on every request.

Every change that ends sessions (or revokes a device token, `auth.revoke_device`) also
moves a counter on in the same transaction (`credential_serial`): each server's timer
reads it every round and, when it moved, re-checks the credential of every open link,
so a change made by the command line or by another server process closes the sockets
concerned within a round. A change made through this process's own API closes them at
once (`Realtime.close_sessions`).
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from queue_server import auth, storage
from queue_server.domain import audit, clock, logins
from queue_server.domain.access import Forbidden, Permission, Principal, Role, Unauthenticated, require
from queue_server.domain.errors import Conflict, DomainError, InvalidInput, NotFound, StoreBusy
from queue_server.domain.logins import Failures, Refusal, Revocation, SessionPolicy, ThrottlePolicy
from queue_server.passwords import Passwords

log = logging.getLogger(__name__)

USERNAME = "username"  # the scopes failed attempts are counted in
ADDRESS = "address"
SESSION_PURGE_DAYS = 30  # a session is forgotten this long after it began (it ended long before)

WRONG_CREDENTIALS = "用户名或密码不正确"
REFUSALS = {
    Refusal.REVOKED: "登录已失效（已退出登录，或账号的密码、角色已变更）：请重新登录",
    Refusal.DISABLED: "账号已停用：请重新登录",
    Refusal.IDLE: "长时间未操作，登录已过期：请重新登录",
    Refusal.EXPIRED: "登录时间已到上限：请重新登录",
}


class LoginThrottled(DomainError):
    """Too many failed sign-ins for this user name or from this address: retry later.
    `retry_after` (seconds) is also the answer's Retry-After header."""

    status = 429
    code = "login_throttled"
    title = "Too many failed sign-ins"


class AccountLocked(LoginThrottled):
    code = "account_locked"
    title = "Account locked after failed sign-ins"


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    token: str  # the session's token, for the signed cookie; only its digest is stored


class Accounts:
    def __init__(
        self,
        store: storage.Storage,
        passwords: Passwords,
        *,
        by_username: ThrottlePolicy,
        by_address: ThrottlePolicy,
        sessions: SessionPolicy,
        refusal_delay: float = 0.0,
    ) -> None:
        self.store = store
        self.passwords = passwords
        self.policies = {USERNAME: by_username, ADDRESS: by_address}
        self.session_policy = sessions
        self.refusal_delay = refusal_delay
        # a green sleep under eventlet and gevent (time is patched by their workers), so a
        # held refusal costs a waiting green thread, no CPU
        self.sleep: Callable[[float], None] = time.sleep

    # ---- signing in --------------------------------------------------------------------

    def sign_in(self, username: str, password: str, address: str | None, now: datetime) -> SignedIn:
        """A new session for a right password; raises `LoginThrottled` / `AccountLocked`
        (429) before checking anything when the name or the address must wait, and
        `Unauthenticated` for a wrong name or password."""
        keys = [(USERNAME, username), (ADDRESS, address or "unknown")]
        try:
            with self.store.read() as db:
                self._refuse_if_waiting(db, keys, now)
            with self.store.write() as db:
                user = self._count(db, keys, address, now)
        except LoginThrottled:
            # Held before it is answered: a script that ignores Retry-After and asks again at
            # once would otherwise flood the worker with cheap refusals; a person does not notice.
            if self.refusal_delay:
                self.sleep(self.refusal_delay)
            raise
        stored_hash = user["password_hash"] if user is not None and user["active"] else None
        if not self.passwords.check(stored_hash, password):  # off the event loop, outside any transaction
            log.warning("failed sign-in for user name %r from %s", username, address)
            raise Unauthenticated(WRONG_CREDENTIALS)
        assert user is not None
        token = secrets.token_urlsafe(32)
        with self.store.write() as db:
            storage.sessions.clear_failures(db, USERNAME, username)
            from_address = keys[1]
            counted = self._failures(db, [from_address])[from_address]
            self._save(db, from_address, logins.taken_back(self.policies[ADDRESS], counted))
            user = storage.people.user_by_id(db, user["id"])
            if user is None or not user["active"] or user["password_hash"] != stored_hash:
                raise Unauthenticated(WRONG_CREDENTIALS)  # changed while the password was checked
            at = clock.iso(now)
            storage.sessions.insert_session(
                db,
                {
                    "token_digest": auth.token_digest(token),
                    "user_id": user["id"],
                    "address": address,
                    "created_at": at,
                    "last_seen_at": at,
                },
            )
            storage.sessions.purge_sessions(db, clock.iso(now - timedelta(days=SESSION_PURGE_DAYS)))
        log.info("user %r signed in from %s", username, address)
        return SignedIn(auth.user_principal(user), token)

    def _count(
        self, db: sqlite_utils.Database, keys: list[tuple[str, str]], address: str | None, now: datetime
    ) -> dict[str, Any] | None:
        """Count the attempt against each key, before its password is checked (in the
        write transaction, after checking again that no other attempt came first);
        returns the user of that name, if any."""
        counts = self._refuse_if_waiting(db, keys, now)
        for key, failures in counts.items():
            counted = logins.counted(self.policies[key[0]], failures, now)
            self._save(db, key, counted)
            if counted.locked_until is not None and failures.locked_until is None:
                log.warning(
                    "sign-in %s %r locked until %s after %d failed attempts (the last from %s)",
                    key[0],
                    key[1],
                    clock.iso(counted.locked_until),
                    counted.count,
                    address,
                )
        forget = max(p.forget_seconds for p in self.policies.values())
        storage.sessions.purge_failures(db, clock.iso(now - timedelta(seconds=forget)), clock.iso(now))
        return storage.people.user_by_username(db, keys[0][1])

    def _failures(self, db: sqlite_utils.Database, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Failures]:
        rows = storage.sessions.failures(db, keys)
        found = {}
        for key in keys:
            row = rows.get(key)
            found[key] = (
                logins.NONE
                if row is None
                else Failures(
                    row["failures"],
                    clock.parse_iso(row["last_failure_at"]),
                    clock.parse_iso(row["locked_until"]) if row["locked_until"] else None,
                )
            )
        return found

    def _refuse_if_waiting(
        self, db: sqlite_utils.Database, keys: list[tuple[str, str]], now: datetime
    ) -> dict[tuple[str, str], Failures]:
        counts = self._failures(db, keys)
        name = keys[0]
        if logins.is_locked(self.policies[USERNAME], counts[name], now):
            wait = logins.wait_seconds(self.policies[USERNAME], counts[name], now)
            raise AccountLocked(
                f"该用户名连续登录失败次数过多，已临时锁定：请{_duration(wait)}后再试，或请管理员解锁",
                retry_after=math.ceil(wait),
            )
        waits = {key: logins.wait_seconds(self.policies[key[0]], counts[key], now) for key in keys}
        key, wait = max(waits.items(), key=lambda item: item[1])
        if wait > 0:
            log.debug("sign-in refused for %s %r: %.1f s to wait", key[0], key[1], wait)
            whom = "该用户名" if key[0] == USERNAME else "本机所在地址"
            raise LoginThrottled(f"{whom}登录失败次数过多：请{_duration(wait)}后再试", retry_after=math.ceil(wait))
        return counts

    @staticmethod
    def _save(db: sqlite_utils.Database, key: tuple[str, str], failures: Failures) -> None:
        storage.sessions.save_failures(
            db,
            key[0],
            key[1],
            failures.count,
            clock.iso(failures.last_at) if failures.last_at else None,
            clock.iso(failures.locked_until) if failures.locked_until else None,
        )

    # ---- sessions ----------------------------------------------------------------------

    def session_principal(self, token: str, now: datetime, *, touch: bool = False) -> Principal:
        """Who holds this session token; raises `Unauthenticated` saying why it no longer
        stands. `touch`: this is the user's own request, which counts as use."""
        with self.store.read() as db:
            row = storage.sessions.session_with_user(db, auth.token_digest(token))
        refusal = self._refusal(row, now)
        if refusal is not None:
            raise Unauthenticated(REFUSALS[refusal], reason=refusal.value)
        assert row is not None
        if touch and logins.needs_touch(self.session_policy, clock.parse_iso(row["last_seen_at"]), now):
            try:
                with self.store.write() as db:
                    storage.sessions.touch(db, row["session_id"], clock.iso(now))
            except StoreBusy:  # the next request writes it instead
                log.info("session last-use time not written: the database is busy")
        return auth.user_principal(row)

    def resolve(self, token: str, now: datetime, *, touch: bool = False) -> Principal | None:
        """`session_principal`, with None for a session that no longer stands."""
        try:
            return self.session_principal(token, now, touch=touch)
        except Unauthenticated:
            return None

    def _refusal(self, row: dict[str, Any] | None, now: datetime) -> Refusal | None:
        if row is None:
            return Refusal.REVOKED
        if not row["active"]:  # said first: signing in again will not help
            return Refusal.DISABLED
        if row["revoked_at"] is not None:
            return Refusal.REVOKED
        return logins.lapsed(
            self.session_policy, clock.parse_iso(row["created_at"]), clock.parse_iso(row["last_seen_at"]), now
        )

    def sign_out(self, token: str, now: datetime) -> list[str]:
        """End this session; returns its digest (none if it had already ended)."""
        digest = auth.token_digest(token)
        with self.store.write() as db:
            if not storage.sessions.revoke(db, digest, clock.iso(now), Revocation.SIGNED_OUT.value):
                return []
            storage.sessions.credentials_changed(db)
        return [digest]

    def credential_serial(self) -> int:
        with self.store.read() as db:
            return storage.sessions.credential_serial(db)

    # ---- administration: the operator's command line, or an administrator --------------

    def users(self, who: Principal, now: datetime) -> list[dict[str, Any]]:
        require(who, Permission.MANAGE_USERS, who.hall_id or 0)
        with self.store.read() as db:
            rows = [r for r in storage.people.list_users(db) if who.hall_id is None or r["hall_id"] == who.hall_id]
            locked = storage.sessions.locks(db, USERNAME, [r["username"] for r in rows], clock.iso(now))
            seen = storage.sessions.last_seen_of_users(db, [r["id"] for r in rows])
        return [_user_view(r, locked.get(r["username"]), seen.get(r["id"])) for r in rows]

    def create_user(
        self,
        who: Principal,
        *,
        username: str,
        password: str,
        role: Role,
        display_name: str,
        hall_code: str | None,
        staff_number: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """A new account (`auth.create_user`, the command line's use case too), its
        password hashed by this server's `Passwords`: off the event loop."""
        user_id = auth.create_user(
            self.store,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            hall_code=hall_code,
            staff_number=staff_number,
            now=now,
            passwords=self.passwords,
            by=who,
        )
        log.info("user %r (%s, hall %s) created by %s", username, role.value, hall_code, who.name)
        with self.store.read() as db:
            row = _reloaded(db, user_id)
        return self._view(row, now)

    def disable(self, who: Principal, user: int | str, now: datetime) -> tuple[dict[str, Any], list[str]]:
        """Disable an account and end its sessions; returns the account and the ended
        sessions' digests (for closing their links)."""
        with self.store.write() as db:
            row = self._target(db, who, user, itself=False)
            changed = storage.people.set_active(db, row["id"], False)
            ended = self._end_sessions(db, row, now, Revocation.DISABLED)
            row = _reloaded(db, row["id"])
            _audit(db, who, now, audit.AuditAction.USER_DISABLED, row, changed=changed, sessions_ended=len(ended))
        log.info("user %r disabled by %s; %d sessions ended", row["username"], who.name, len(ended))
        return self._view(row, now), ended

    def enable(self, who: Principal, user: int | str, now: datetime) -> dict[str, Any]:
        with self.store.write() as db:
            row = self._target(db, who, user, itself=False)
            changed = storage.people.set_active(db, row["id"], True)
            row = _reloaded(db, row["id"])
            _audit(db, who, now, audit.AuditAction.USER_ENABLED, row, changed=changed)
        log.info("user %r enabled by %s", row["username"], who.name)
        return self._view(row, now)

    def set_password(
        self, who: Principal, user: int | str, password: str, now: datetime
    ) -> tuple[dict[str, Any], list[str]]:
        """A new password, hashed off the event loop; every session of the user ends."""
        with self.store.read() as db:
            self._target(db, who, user, itself=False)
        password_hash = self.passwords.hash(password)
        with self.store.write() as db:
            row = self._target(db, who, user, itself=False)
            storage.people.set_password_hash(db, row["id"], password_hash)
            ended = self._end_sessions(db, row, now, Revocation.PASSWORD_CHANGED)
            _audit(db, who, now, audit.AuditAction.USER_PASSWORD_SET, row, sessions_ended=len(ended))
        log.info("password of user %r set by %s; %d sessions ended", row["username"], who.name, len(ended))
        return self._view(row, now), ended

    def set_role(
        self, who: Principal, user: int | str, role: Role, hall_code: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[str]]:
        """A new role (and hall, if given); a real change ends every session of the user,
        who signs in again with the new rights."""
        with self.store.write() as db:
            row = self._target(db, who, user, itself=False)
            hall_id = row["hall_id"]
            if hall_code is not None:
                hall = storage.halls.by_code(db, hall_code)
                if hall is None:
                    raise NotFound(f"没有编码为 {hall_code!r} 的大厅", field="hall")
                hall_id = hall["id"]
            if role is not Role.ADMIN and hall_id is None:
                raise InvalidInput("除管理员外，每个账号都要属于一个大厅：请同时给出大厅（hall）", field="hall")
            if who.hall_id is not None and hall_id != who.hall_id:
                raise Forbidden("您只能管理本大厅的账号", permission=Permission.MANAGE_USERS.value)
            ended: list[str] = []
            if (role.value, hall_id) != (row["role"], row["hall_id"]):
                storage.people.set_role(db, row["id"], role.value, hall_id)
                ended = self._end_sessions(db, row, now, Revocation.ROLE_CHANGED)
            before = {"role": row["role"], "hall": _hall_code(db, row["hall_id"])}
            row = _reloaded(db, row["id"])
            _audit(db, who, now, audit.AuditAction.USER_ROLE_SET, row, was=before, sessions_ended=len(ended))
        log.info("user %r is now %s (hall %s), set by %s", row["username"], role.value, hall_id, who.name)
        return self._view(row, now), ended

    def set_staff_number(
        self, who: Principal, user: int | str, staff_number: str | None, now: datetime
    ) -> dict[str, Any]:
        """Set (or, with None, clear) a user's staff number (工号): what review pads show
        and every rating of the clerk carries from then on (ratings keep the one they were
        given with). Sessions stay: no right changes."""
        with self.store.write() as db:
            row = self._target(db, who, user, itself=True)
            before = row["staff_number"]
            storage.people.set_staff_number(db, row["id"], staff_number)
            row = _reloaded(db, row["id"])
            _audit(db, who, now, audit.AuditAction.USER_STAFF_NUMBER_SET, row, staff_number=staff_number, was=before)
        log.info("staff number of user %r set by %s", row["username"], who.name)
        return self._view(row, now)

    def unlock(self, who: Principal, user: int | str, now: datetime) -> tuple[dict[str, Any], bool]:
        """Lift a lock and forget the failed attempts counted against the user name;
        returns whether there was anything to forget."""
        with self.store.write() as db:
            row = self._target(db, who, user, itself=True)
            forgot = storage.sessions.clear_failures(db, USERNAME, row["username"])
            _audit(db, who, now, audit.AuditAction.USER_UNLOCKED, row, forgot=forgot)
        log.info("failed sign-ins of user %r forgotten by %s", row["username"], who.name)
        return self._view(row, now), forgot

    def _target(self, db: sqlite_utils.Database, who: Principal, user: int | str, *, itself: bool) -> dict[str, Any]:
        """The user acted on, once the caller may act on it. Who asks comes first: only an
        administrator of every hall learns that no account has this id or name; another
        hall's administrator is refused it as another hall's account."""
        row = (
            storage.people.user_by_id(db, user) if isinstance(user, int) else storage.people.user_by_username(db, user)
        )
        # an account of no hall (an administrator of every hall) is no hall's to manage: 0
        require(who, Permission.MANAGE_USERS, (row["hall_id"] or 0) if row is not None else None)
        if row is None:
            raise NotFound(f"没有账号 {user}", field="user")
        if not itself and who.user_id is not None and who.user_id == row["id"]:
            raise Conflict("不能在此更改自己的账号：请另一位管理员操作，或在服务器上用 queue-server user 命令")
        return row

    @staticmethod
    def _end_sessions(db: sqlite_utils.Database, row: dict[str, Any], now: datetime, why: Revocation) -> list[str]:
        ended = storage.sessions.revoke_of_user(db, row["id"], clock.iso(now), why.value)
        storage.sessions.credentials_changed(db)  # other processes close the links of these sessions
        return ended

    def _view(self, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        with self.store.read() as db:
            hall = storage.halls.by_id(db, row["hall_id"]) if row["hall_id"] is not None else None
            locked = storage.sessions.locks(db, USERNAME, [row["username"]], clock.iso(now))
            seen = storage.sessions.last_seen_of_users(db, [row["id"]])
        view = {**row, "hall": hall["code"] if hall else None}
        return _user_view(view, locked.get(row["username"]), seen.get(row["id"]))


def _hall_code(db: sqlite_utils.Database, hall_id: int | None) -> str | None:
    hall = storage.halls.by_id(db, hall_id) if hall_id is not None else None
    return str(hall["code"]) if hall else None


def _audit(
    db: sqlite_utils.Database,
    who: Principal,
    now: datetime,
    action: audit.AuditAction,
    user: dict[str, Any],
    **detail: Any,
) -> None:
    """Keep a change to `user`'s account in the audit log, in the change's transaction."""
    hall = _hall_code(db, user["hall_id"])
    detail = {"role": user["role"], "hall": hall, **detail}
    storage.audit.record(db, audit.entry(who, now, action, hall=hall, target=user["username"], detail=detail))


def _reloaded(db: sqlite_utils.Database, user_id: int) -> dict[str, Any]:
    row = storage.people.user_by_id(db, user_id)
    assert row is not None  # changed inside this transaction: still there
    return row


def _user_view(row: dict[str, Any], locked_until: str | None, last_seen: str | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "hall": row["hall"],
        "staff_number": row["staff_number"],
        "active": bool(row["active"]),
        "locked_until": locked_until,
        "last_seen": last_seen,  # the last use of any of its sessions
    }


def _duration(seconds: float) -> str:
    """`seconds` as a person reads a wait: " 5 秒", " 3 分钟"."""
    seconds = math.ceil(seconds)
    if seconds < 60:
        return f" {seconds} 秒"
    return f" {math.ceil(seconds / 60)} 分钟"
