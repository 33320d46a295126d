"""An issued ticket as the server answers it (`GET …/tickets/{id}`), made into the
`PrintedTicket` the desk previews. Pure: the caller passes what the answer lacks (the
item's or bundle's name, the hall's time zone, the phone page's address).

The print job (issue 8) builds the same ticket on the server when it sends one to the
printer; both should come from one function when that lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ticket_printer.ticket import Language, PrintedTicket

TIPS: dict[str, tuple[str, ...]] = {
    "zh-CN": ("请在休息区等候，留意大屏和语音叫号。", "过号请到导办台重新排队。"),
    "zh-TW": ("請在休息區等候，留意大屏和語音叫號。", "過號請到導辦台重新排隊。"),
    "en": (
        "Please wait in the seating area and watch the screens and voice calls.",
        "If you miss your call, queue again at the guidance desk.",
    ),
}
PRIORITY_LABEL = {"zh-CN": "绿色通道", "zh-TW": "綠色通道", "en": "Priority lane"}


def printed_ticket(
    view: Mapping[str, Any],
    *,
    item_name: str | None,
    timezone: str,
    phone_url: str,
    language: Language = "zh-CN",
) -> PrintedTicket:
    """The paper ticket of a ticket view. A ticket no longer waiting has nobody ahead."""
    issued_at = datetime.fromisoformat(str(view["issued_at"]).replace("Z", "+00:00"))
    return PrintedTicket(
        hall_name=str(view["hall"]["name"]),
        queue_name=str(view["queue_name"]),
        item_name=item_name,
        number=str(view["number"]),
        people_ahead=int(view.get("people_ahead") or 0),
        estimated_wait_minutes=view.get("estimated_wait_minutes"),
        issued_at=issued_at.astimezone(ZoneInfo(timezone)),
        phone_url=phone_url,
        tips=TIPS[language],
        priority_label=PRIORITY_LABEL[language] if view.get("priority") else None,
        language=language,
    )
