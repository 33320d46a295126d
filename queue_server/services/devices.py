"""The hall's devices for their administration: listed, registered, revoked.

Registering and revoking are `auth.create_device` and `auth.revoke_device`, the command
line's use cases too (`queue-server device create|revoke`): one place for who may (a
manager of the device's hall, an administrator), the checks and the audit log entry.
Whether a device is online now is not stored: the socket door adds it from its presence
store, shared by every server process (`realtime.Realtime.devices`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server import auth, storage
from queue_server.domain.access import DeviceKind, Permission, Principal
from queue_server.services.base import ServicesBase


class DeviceUseCases(ServicesBase):
    def devices(self, principal: Principal | None, hall_code: str, *, include_revoked: bool) -> list[dict[str, Any]]:
        """The hall's devices in service (and, with `include_revoked`, the revoked ones
        after them), as stored: when each was registered, revoked and last seen."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.MANAGE_DEVICES)
            rows = storage.people.devices_listed(db, hall.id, include_revoked=include_revoked)
        return [device_view(row) for row in rows]

    def register_device(
        self,
        principal: Principal,
        hall_code: str,
        *,
        kind: DeviceKind,
        name: str,
        window: int | None,
        station: str | None,
        now: datetime,
    ) -> tuple[dict[str, Any], str]:
        """A new device of the hall: its record and its token, which is shown this once."""
        device_id, token = auth.create_device(
            self.store, hall_code=hall_code, kind=kind, name=name, window=window, station=station, now=now, by=principal
        )
        with self.store.read() as db:
            row = storage.people.device_record(db, device_id)
        assert row is not None  # just registered
        return device_view(row), token

    def revoke_device(
        self, principal: Principal, device_id: int, now: datetime, *, hall_code: str | None = None
    ) -> dict[str, Any]:
        """End the device's token (its open links close within a round of every server's
        timer); its record, revoked."""
        return device_view(auth.revoke_device(self.store, device_id, now, principal, hall_code=hall_code))


def device_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "device_id": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "window": row["window"],
        "station": row["station"],
        "created_at": row["created_at"],
        "revoked_at": row["revoked_at"],
        "last_seen": row["last_seen_at"],
    }
