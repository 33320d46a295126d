"""hall-queue: the queue-and-counter service for government service halls."""

from __future__ import annotations

from queue_server.app import create_app

__all__ = ["create_app"]
