"""The one error shape: RFC 9457 problem details, for HTTP bodies and socket acks alike."""

from __future__ import annotations

from typing import Any

from queue_server.domain.errors import DomainError

PROBLEM_TYPE_BASE = "https://hall-queue.invalid/problems/"  # stable names, not fetched
CONTENT_TYPE = "application/problem+json"


RESERVED = frozenset({"type", "title", "status", "detail", "code", "instance"})


def problem(status: int, code: str, title: str, detail: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A problem body; `extra` members (e.g. `field`) never shadow the standard ones."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in (extra or {}).items() if v is not None and k not in RESERVED})
    return body


def from_domain_error(error: DomainError) -> dict[str, Any]:
    return problem(error.status, error.code, error.title, error.detail, error.extra)
