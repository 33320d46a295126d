"""The one error shape: RFC 9457 problem details, for HTTP bodies and socket acks alike."""

from __future__ import annotations

from typing import Any

from queue_server.domain.errors import DomainError

PROBLEM_TYPE_BASE = "https://hall-queue.invalid/problems/"  # stable names, not fetched
CONTENT_TYPE = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def from_domain_error(error: DomainError) -> dict[str, Any]:
    return problem(error.status, error.code, error.title, error.detail, **error.extra)
