"""Where a registered device is pointed: the page it opens, its token in the address's
fragment (which never reaches the server's logs), on the server as the hall reaches it.

`device_address("https://hall.example.cn", DeviceKind.HALL_SCREEN, "hqd_…")` →
`https://hall.example.cn/screens/hall#token=hqd_…`. A printer runs the printer agent and
the booking platform calls the API: neither opens a page (None).
"""

from __future__ import annotations

from queue_server.domain.access import DeviceKind

DEVICE_PAGES: dict[DeviceKind, str] = {
    DeviceKind.HALL_SCREEN: "/screens/hall",
    DeviceKind.WINDOW_SCREEN: "/screens/window",
    DeviceKind.KIOSK: "/kiosk",
    DeviceKind.REVIEW_PAD: "/pad",
}
MAX_DEVICE_NAME = 60


def device_address(base_url: str, kind: DeviceKind, token: str) -> str | None:
    """The page a device of `kind` opens with `token`, on `base_url` (no trailing slash);
    None for a device that opens no page."""
    page = DEVICE_PAGES.get(kind)
    return None if page is None else f"{base_url.rstrip('/')}{page}#token={token}"
