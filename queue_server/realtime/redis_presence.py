"""Presence shared by every server process through Redis (`MESSAGE_QUEUE=redis://…`).

The same promises as the in-memory `Presence` (presence.py), across processes: a
manager asking any process sees every screen online, and each announce group has one
announcer among the screens of all processes.

Keys (prefix `hall-queue:presence:`):

    process:{process}          a process is alive while this exists; it expires `ttl`
                               seconds after the process's last heartbeat (every ttl/4)
    processes                  SET: processes that registered links
    process:{process}:links    SET: the sids connected to that process
    link:{sid}                 HASH: device, hall, group ('' = silent), process, order,
                               seen (epoch seconds), shown (last call drawn)
    device:{device_id}         SET: that device's sids, on any process
    group:{group}              ZSET: the group's sids by `order` (earliest joined first)
    announcer:{group}          the sid that speaks for the group
    order                      counter: the order of each new link, across processes

Every change runs as one Lua script, so two processes never elect two announcers. A
group's announcer is its earliest member whose process is alive. A leaving screen hands
the voice on at once; a dead process's key expires within `ttl`, and the next heartbeat
of any process (`beat`, every ttl/4) drops its links and elects their groups' successors.
The elected connection is told with `announcer_changed` by whichever process elected it:
the message queue takes an emit to a sid to the process it is connected to.

A process whose heartbeat came late (its key had expired, and maybe its links were
dropped) registers its links again at its next heartbeat; so does one that lost Redis
for a while. Redis being unreachable never fails a subscribe or a disconnect: the
screen is then silent (no announcer) until the link to Redis is back.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import redis

from queue_server.realtime.presence import Change, ScreenLink

log = logging.getLogger(__name__)

PREFIX = "hall-queue:presence:"

_COMMON = """
local P = ARGV[1]
local function alive(process)
  return process and redis.call('EXISTS', P .. 'process:' .. process) == 1
end
-- the earliest member of the group whose process is alive speaks for it
local function elect(group)
  for _, sid in ipairs(redis.call('ZRANGE', P .. 'group:' .. group, 0, -1)) do
    if alive(redis.call('HGET', P .. 'link:' .. sid, 'process')) then
      redis.call('SET', P .. 'announcer:' .. group, sid)
      return sid
    end
  end
  redis.call('DEL', P .. 'announcer:' .. group)
  return false
end
-- take sid out of its group; if it spoke there, the next one speaks (appended to changes)
local function leave_group(sid, group, changes)
  if not group or group == '' then return false end
  redis.call('ZREM', P .. 'group:' .. group, sid)
  if redis.call('GET', P .. 'announcer:' .. group) ~= sid then return false end
  local successor = elect(group)
  if successor then table.insert(changes, successor) end
  return true
end
-- forget a link: its fields {device, group, process, seen, shown} (false if unknown), whether it spoke
local function drop(sid, changes)
  local key = P .. 'link:' .. sid
  local link = redis.call('HMGET', key, 'device', 'group', 'process', 'seen', 'shown')
  if not link[1] then return false, false end
  redis.call('DEL', key)
  redis.call('SREM', P .. 'device:' .. link[1], sid)
  redis.call('SREM', P .. 'process:' .. link[3] .. ':links', sid)
  return link, leave_group(sid, link[2], changes)
end
-- forget every link of a process: {sid, device, seen, shown, spoke} each, into dropped
local function clear(process, dropped, changes)
  for _, sid in ipairs(redis.call('SMEMBERS', P .. 'process:' .. process .. ':links')) do
    local link, spoke = drop(sid, changes)
    if link then table.insert(dropped, {sid, link[1], link[4], link[5], spoke and 1 or 0}) end
  end
  redis.call('DEL', P .. 'process:' .. process .. ':links')
  redis.call('SREM', P .. 'processes', process)
end
"""

# ARGV: prefix, sid, device, hall, group ('' = silent), process, seen -> {speaks, successors}
_JOIN = """
local sid, device, hall, group, process, seen = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local key = P .. 'link:' .. sid
local changes = {}
local old = redis.call('HGET', key, 'group')
if not old then
  local order = redis.call('INCR', P .. 'order')
  redis.call('HSET', key, 'device', device, 'hall', hall, 'process', process, 'order', order)
  redis.call('SADD', P .. 'device:' .. device, sid)
  redis.call('SADD', P .. 'process:' .. process .. ':links', sid)
  redis.call('SADD', P .. 'processes', process)
elseif old ~= group then
  leave_group(sid, old, changes)
end
redis.call('HSET', key, 'group', group, 'seen', seen)
if group == '' then return {0, changes} end
redis.call('ZADD', P .. 'group:' .. group, 'NX', redis.call('HGET', key, 'order'), sid)
local current = redis.call('GET', P .. 'announcer:' .. group)
if not current or not alive(redis.call('HGET', P .. 'link:' .. current, 'process')) then
  current = elect(group)
  if current and current ~= sid then table.insert(changes, current) end
end
return {current == sid and 1 or 0, changes}
"""

# ARGV: prefix, sid -> {{device, group, process, seen, shown} or nil, successors}
_LEAVE = """
local changes = {}
local link = drop(ARGV[2], changes)
return {link, changes}
"""

# ARGV: prefix, sid, seen, shown ('' = none)
_SEEN = """
local key = P .. 'link:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'seen', ARGV[3])
if ARGV[4] ~= '' and tonumber(ARGV[4]) > (tonumber(redis.call('HGET', key, 'shown')) or 0) then
  redis.call('HSET', key, 'shown', ARGV[4])
end
return 1
"""

# ARGV: prefix, device ids... -> {device, sid, hall, group, order, seen, shown, speaks} per live link
_LINKS = """
local found = {}
for i = 2, #ARGV do
  for _, sid in ipairs(redis.call('SMEMBERS', P .. 'device:' .. ARGV[i])) do
    local link = redis.call('HMGET', P .. 'link:' .. sid, 'hall', 'group', 'process', 'order', 'seen', 'shown')
    if alive(link[3]) then
      local speaks = link[2] ~= '' and redis.call('GET', P .. 'announcer:' .. link[2]) == sid
      table.insert(found, {ARGV[i], sid, link[1], link[2], link[4], link[5], link[6], speaks and 1 or 0})
    end
  end
end
return found
"""

# ARGV: prefix -> {dropped, successors}: the links of every process whose key expired
_SWEEP = """
local dropped, changes = {}, {}
for _, process in ipairs(redis.call('SMEMBERS', P .. 'processes')) do
  if not alive(process) then clear(process, dropped, changes) end
end
return {dropped, changes}
"""

# ARGV: prefix, process -> {dropped, successors}: this process stops
_CLOSE = """
redis.call('DEL', P .. 'process:' .. ARGV[2])
local dropped, changes = {}, {}
clear(ARGV[2], dropped, changes)
return {dropped, changes}
"""

_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)


class RedisUnreachable(RuntimeError):
    """Redis did not answer when the server started."""


class RedisPresence:
    """Presence in Redis, shared by every server process that uses the same Redis."""

    def __init__(self, url: str, *, ttl: float, prefix: str = PREFIX, timeout: float = 2.0) -> None:
        self.client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.prefix = prefix
        self.ttl_ms = max(int(ttl * 1000), 100)
        self.beat_seconds: float | None = ttl / 4
        self.process = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._local: dict[str, tuple[int, str, str | None]] = {}  # this process's links: to register again
        self._unsent_leaves: set[str] = set()
        self._resync = False
        self._scripts = {
            name: self.client.register_script(_COMMON + body)
            for name, body in (
                ("join", _JOIN),
                ("leave", _LEAVE),
                ("seen", _SEEN),
                ("links", _LINKS),
                ("sweep", _SWEEP),
                ("close", _CLOSE),
            )
        }
        try:
            self._register()
        except _UNREACHABLE as error:
            raise RedisUnreachable(f"Redis at {url} does not answer ({error})") from None

    # ---- the PresenceStore protocol --------------------------------------------------

    def join(self, sid: str, device_id: int, hall: str, group: str | None, now: datetime) -> tuple[bool, list[Change]]:
        self._local[sid] = (device_id, hall, group)
        try:
            speaks, successors = self._run("join", sid, device_id, hall, group or "", self.process, now.timestamp())
        except _UNREACHABLE as error:
            self._lost(error)
            return False, []
        return bool(speaks), [(successor, True) for successor in successors]

    def leave(self, sid: str) -> tuple[ScreenLink | None, list[Change]]:
        known = self._local.pop(sid, None)
        if known is None:
            return None, []
        try:
            fields, successors = self._run("leave", sid)
        except _UNREACHABLE as error:
            self._unsent_leaves.add(sid)
            self._lost(error)
            return None, []
        if fields is None:
            return None, []
        device_id, group, _process, seen, shown = fields
        link = ScreenLink(sid, int(device_id), known[1], group or None, 0, _time(seen), _number(shown))
        return link, [(successor, True) for successor in successors]

    def seen(self, sid: str, now: datetime, shown_seq: int | None = None) -> None:
        if sid not in self._local:
            return
        try:
            self._run("seen", sid, now.timestamp(), "" if shown_seq is None else shown_seq)
        except _UNREACHABLE as error:
            self._lost(error)

    def links_of(self, device_ids: Iterable[int]) -> dict[int, list[ScreenLink]]:
        found: dict[int, list[ScreenLink]] = {device_id: [] for device_id in device_ids}
        if not found:
            return found
        try:
            rows = self._run("links", *found)
        except _UNREACHABLE as error:
            self._lost(error)
            return found
        for device_id, sid, hall, group, order, seen, shown, speaks in rows:
            link = ScreenLink(
                sid, int(device_id), hall, group or None, int(order), _time(seen), _number(shown), bool(speaks)
            )
            found[int(device_id)].append(link)
        return found

    def online(self, device_ids: Iterable[int]) -> set[int]:
        return {device_id for device_id, links in self.links_of(device_ids).items() if links}

    def beat(self, now: datetime) -> tuple[list[ScreenLink], list[Change]]:
        """Renew this process's key (registering its links again if it had expired or
        Redis was lost), then drop the links of processes whose key expired."""
        changes: list[Change] = []
        try:
            renewed = self.client.set(self._key(f"process:{self.process}"), "1", px=self.ttl_ms, xx=True)
            if not renewed or self._resync:
                changes += self._register_again(now, renewed_late=not renewed)
            dropped_rows, successors = self._run("sweep")
        except _UNREACHABLE as error:
            self._lost(error)
            return [], changes
        return self._dropped(dropped_rows, successors, changes)

    def close(self) -> tuple[list[ScreenLink], list[Change]]:
        """This process stops: its links go and their groups' successors are elected now
        rather than when its key would have expired."""
        self._local.clear()
        try:
            dropped_rows, successors = self._run("close", self.process)
        except _UNREACHABLE as error:
            log.warning("could not leave Redis presence on the way out (%s); it expires by itself", error)
            return [], []
        return self._dropped(dropped_rows, successors, [])

    # ---- internals --------------------------------------------------------------------

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _run(self, script: str, *args: Any) -> Any:
        return self._scripts[script](keys=[], args=[self.prefix, *args])

    def _register(self) -> None:
        self.client.set(self._key(f"process:{self.process}"), "1", px=self.ttl_ms)

    def _register_again(self, now: datetime, *, renewed_late: bool) -> list[Change]:
        if renewed_late:
            log.warning(
                "this process's heartbeat reached Redis late (over %.1f s apart): registering its %d screens again",
                self.ttl_ms / 1000,
                len(self._local),
            )
        self._register()
        changes: list[Change] = []
        for sid in list(self._unsent_leaves):
            _link, successors = self._run("leave", sid)
            changes += [(successor, True) for successor in successors]
            self._unsent_leaves.discard(sid)
        for sid, (device_id, hall, group) in list(self._local.items()):
            speaks, successors = self._run("join", sid, device_id, hall, group or "", self.process, now.timestamp())
            changes += [(successor, True) for successor in successors]
            changes.append((sid, bool(speaks)))  # its role may have moved meanwhile: say which it is
        self._resync = False
        return changes

    def _lost(self, error: Exception) -> None:
        if not self._resync:
            log.warning("Redis does not answer (%s): presence resumes when it is back", error)
        self._resync = True

    @staticmethod
    def _dropped(
        rows: list[list[Any]], successors: list[str], changes: list[Change]
    ) -> tuple[list[ScreenLink], list[Change]]:
        dropped = []
        for sid, device_id, seen, shown, spoke in rows:
            dropped.append(ScreenLink(sid, int(device_id), "", None, 0, _time(seen), _number(shown)))
            if spoke:
                changes.append((sid, False))  # in case its process lives on after all, late
        return dropped, changes + [(successor, True) for successor in successors]


def _time(epoch: str | None) -> datetime:
    return datetime.fromtimestamp(float(epoch or 0), UTC)


def _number(text: str | None) -> int | None:
    return int(text) if text else None
