"""The domain package stays pure: no Flask, no sqlite, no socketio, no network."""

from __future__ import annotations

import ast
from pathlib import Path

import queue_server.domain

FORBIDDEN = (
    "flask",
    "flask_socketio",
    "socketio",
    "engineio",
    "sqlite3",
    "sqlite_utils",
    "eventlet",
    "gevent",
    "requests",
    "socket",
    "queue_server.storage",
    "queue_server.services",
    "queue_server.api",
    "queue_server.realtime",
)


def test_domain_modules_import_nothing_impure() -> None:
    folder = Path(queue_server.domain.__file__).parent
    offenders = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    assert offenders == []
    assert len(list(folder.glob("*.py"))) >= 8  # the walk really read the package
