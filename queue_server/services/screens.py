"""Screens: the notice, each screen's settings, presence records, spoken calls."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from queue_server import storage
from queue_server.domain import announcements, audit, clock, screens
from queue_server.domain.access import DeviceKind, Permission, Principal, bound_window
from queue_server.domain.errors import InvalidInput, NotFound
from queue_server.domain.events import EventType
from queue_server.services.base import Event, ServicesBase

log = logging.getLogger(__name__)


class ScreenUseCases(ServicesBase):
    def hall_code(self, hall_id: int) -> str:
        with self.store.read() as db:
            row = storage.halls.by_id(db, hall_id)
        if row is None:
            raise NotFound(f"没有编号为 {hall_id} 的大厅", field="hall")
        return str(row["code"])

    def notice(self, hall_code: str) -> str:
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            row = storage.halls.by_id(db, hall.id)
        assert row is not None
        return hall.notice(row["notice"])

    def set_notice(
        self, principal: Principal | None, hall_code: str, notice: Any, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The manager's scrolling notice for every screen without one of its own; `None`
        (or blank text) goes back to the hall file's notice."""
        notice = screens.check_notice(notice)
        with self._writing(hall_code, now, principal, Permission.CONFIGURE_SCREENS) as tx:
            storage.halls.set_notice(tx.db, tx.hall.id, notice)
            shown = tx.hall.notice(notice)
            self._record(tx, EventType.NOTICE_CHANGED, {"notice": shown})
            self._audit(tx, audit.AuditAction.NOTICE_SET, detail={"notice": notice})
            return {"notice": shown}, tx.events

    def screen(self, device_id: int) -> dict[str, Any]:
        """A screen device's own record with its settings (defaults filled in)."""
        with self.store.read() as db:
            row = storage.people.device_by_id(db, device_id)
        if row is None or DeviceKind(row["kind"]) not in screens.SCREEN_KINDS:
            raise NotFound(f"没有编号为 {device_id} 的屏幕设备", field="device_id")
        return self._screen_view(row)

    def list_screens(self, principal: Principal | None, hall_code: str) -> list[dict[str, Any]]:
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_SCREENS)
            return [self._screen_view(row) for row in storage.people.screen_devices(db, hall.id)]

    def configure_screen(
        self, principal: Principal | None, hall_code: str, device_id: int, changes: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        with self.store.write() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.CONFIGURE_SCREENS)
            row = storage.people.device_by_id(db, device_id)
            if row is None or row["hall_id"] != hall.id or DeviceKind(row["kind"]) not in screens.SCREEN_KINDS:
                raise NotFound(f"大厅中没有编号为 {device_id} 的屏幕设备", field="device_id")
            current = screens.load_settings(DeviceKind(row["kind"]), json.loads(row["settings"]))
            zones = {z.code for z in hall.spec.zones}
            updated = screens.apply_changes(current, changes, zones)
            if updated.zone is not None and row["kind"] == DeviceKind.WINDOW_SCREEN.value:
                raise InvalidInput("窗口屏只显示它绑定的窗口，不能设置区域", field="zone")
            storage.people.set_device_settings(db, device_id, updated.to_dict())
            row = {**row, "settings": json.dumps(updated.to_dict())}
            assert principal is not None  # _hall_for let it in
            entry = audit.entry(
                principal,
                now,
                audit.AuditAction.SCREEN_CONFIGURED,
                hall=hall.spec.code,
                target=device_id,
                detail={"name": row["name"], "changes": changes},
            )
            storage.audit.record(db, entry)
        return self._screen_view(row)

    def record_seen(self, device_id: int, seen_at: datetime, shown_seq: int | None) -> None:
        with self.store.write() as db:
            storage.people.set_device_seen(db, device_id, clock.iso(seen_at), shown_seq)

    def announcement(self, principal: Principal | None, hall_code: str, seq: int, language: str) -> str:
        """What a voice says for the call logged as `seq`: only calls are ever spoken."""
        if language not in announcements.LANGUAGES:
            raise InvalidInput(f"language 只能是 {', '.join(announcements.LANGUAGES)}", field="language")
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_HALL)
            row = storage.halls.event(db, hall.id, seq)
        data = json.loads(row["data"]) if row is not None else {}
        bound = bound_window(principal)
        mine = bound is None or data.get("window", {}).get("number") == bound  # a window device: its calls only
        if row is None or row["type"] not in (EventType.TICKET_CALLED, EventType.TICKET_RECALLED) or not mine:
            raise NotFound(f"第 {seq} 条事件不是叫号", field="seq")
        return str(data["speech"][language])

    @staticmethod
    def _screen_view(row: dict[str, Any]) -> dict[str, Any]:
        kind = DeviceKind(row["kind"])
        return {
            "device_id": row["id"],
            "kind": kind.value,
            "name": row["name"],
            "window": row["window"],
            "settings": screens.load_settings(kind, json.loads(row["settings"])).to_dict(),
            "last_seen": row["last_seen_at"],
            "last_shown_seq": row["last_shown_seq"],
        }
