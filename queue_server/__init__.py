"""hall-queue: the queue-and-counter service for government service halls.

`create_app` (queue_server.app) is imported on first use, not here: gunicorn's master
imports `queue_server.workers` before it forks, and the eventlet worker must monkey-patch
before Flask and its context locals exist.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from queue_server.app import create_app

        return create_app
    raise AttributeError(name)
