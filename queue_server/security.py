"""Security headers on every answer the server gives: API, pages, static files, errors and
the Socket.IO transport alike.

They are added by a WSGI middleware around the whole application (Flask and the
Socket.IO endpoint in front of it), so no route, error handler or static file can leave
them out; a header an answer sets itself is kept.

- `Content-Security-Policy`: pages load scripts, styles, images and fonts only from this
  server, hold no inline script, inline style or inline event handler, and talk only to
  this server (HTTP and the Socket.IO websocket, `ws:`/`wss:` of the same host named
  explicitly for browsers that do not count them as `'self'`). Every other answer (JSON,
  audio, scripts, style sheets) gets a policy that allows nothing at all.
- `frame-ancestors 'none'` and `X-Frame-Options: DENY`: no page can be framed (clickjacking).
- `X-Content-Type-Options: nosniff`: a JSON body is never run as a script.
- `Referrer-Policy: no-referrer`: a screen's address never leaves the page. The device
  token travels in the fragment and lives in localStorage; this keeps any address out of
  other servers' logs too.
- `Cross-Origin-Opener-Policy` / `Cross-Origin-Resource-Policy: same-origin`: another
  site can neither hold a handle on our window nor embed our answers.
- `Permissions-Policy`: the screens use no camera, microphone, location, payment or
  device ports; nothing on the page may ask for them.
- `Cache-Control: no-store` on API answers that do not say otherwise (the sign-in answer
  carries the CSRF token; snapshots are live state). The spoken calls keep their own.

Strict-Transport-Security belongs to whatever terminates TLS in front of the server
(docs/operations.md); halls often serve plain HTTP on their intranet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'{websocket}; media-src 'self' blob:; manifest-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)
# Anything that is not a page: nothing may load or run in its context.
DATA_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "hid",
        "display-capture",
    )
)

# The same on every answer.
HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
)

# A Host header that may go into the policy as it is: a name or an address, and a port.
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def content_security_policy(content_type: str, host: str | None) -> str:
    """The policy for an answer of `content_type` to a request for `host`."""
    if content_type.split(";")[0].strip().lower() != "text/html":
        return DATA_POLICY
    websocket = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return PAGE_POLICY.format(websocket=websocket)


def headers_for(path: str, content_type: str, host: str | None, present: Iterable[str]) -> list[tuple[str, str]]:
    """The security headers an answer lacks, given the names of those it has."""
    have = {name.lower() for name in present}
    wanted = [*HEADERS, ("Content-Security-Policy", content_security_policy(content_type, host))]
    if path.startswith("/api/"):
        wanted.append(("Cache-Control", "no-store"))
    return [(name, value) for name, value in wanted if name.lower() not in have]


class SecurityHeaders:
    """WSGI middleware: every answer of `app` gets the headers it does not set itself."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        host = environ.get("HTTP_HOST")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            headers = [*headers, *headers_for(path, content_type, host, (k for k, _ in headers))]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, start)
