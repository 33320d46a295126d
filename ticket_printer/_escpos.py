"""python-escpos, imported once and cleanly.

Importing `escpos` has two side effects this package does not want: its capabilities
module calls `tempfile.mkdtemp()` at import (and caches a pickle there), leaving a new
folder in the temp directory of every process that imports it, and it calls
`logging.basicConfig()`, which a library must not do. Everything in this package
imports python-escpos through here: the folder is made inside a temporary directory
that is removed straight after, and any handler the import put on the root logger is
taken off again.

Import this module from the main thread at start-up (the server's app factory, the
agent's command), not from a request: `tempfile.tempdir` is process-wide while the
import runs.
"""

from __future__ import annotations

import logging
import tempfile

_root_handlers = list(logging.root.handlers)
with tempfile.TemporaryDirectory(prefix="ticket-printer-escpos-") as _scratch:
    _saved_tempdir = tempfile.tempdir
    tempfile.tempdir = _scratch
    try:
        from escpos import exceptions, printer
        from escpos.constants import QR_ECLEVEL_M
    finally:
        tempfile.tempdir = _saved_tempdir
for _handler in list(logging.root.handlers):
    if _handler not in _root_handlers:
        logging.root.removeHandler(_handler)

__all__ = ["QR_ECLEVEL_M", "exceptions", "printer"]
