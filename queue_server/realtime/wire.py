"""The JSON codec of Socket.IO packets, with a guard against payloads nested too deep.

python-socketio decodes each packet with `json.loads`; a payload nested some thousands of
levels deep raises `RecursionError` there, before any handler runs, so the client got
no answer at all. Decoded here instead, such a packet becomes the event `MALFORMED`,
which the catch-all handler answers with a problem like any other refusal.
"""

from __future__ import annotations

import json
from typing import Any

MALFORMED = "malformed_message"

dumps = json.dumps


def loads(text: str | bytes, **kwargs: Any) -> Any:
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        return [MALFORMED]
