"""Entry point for gunicorn's eventlet worker (see the Procfile):

    gunicorn --worker-class queue_server.workers.EventletWorker --workers 1 queue_server.wsgi:app

The async mode is set here, explicitly, for the production worker; QUEUE_ASYNC_MODE=gevent
(with `--worker-class queue_server.workers.GeventWorker`) is the supported alternative.
"""

from __future__ import annotations

import gc
import logging
import os
import sys

# sqlite-utils imports pandas and numpy whenever they are installed (the tests' and
# benches' environment has them, for pyworkforce), only to store their types: the server
# never hands it such values, and the two would cost each worker about 45 MiB. Marked
# missing before anything imports sqlite-utils, so that a worker is the same wherever
# it is installed; a process that already has them keeps them.
for _unused in ("pandas", "numpy"):
    sys.modules.setdefault(_unused, None)  # type: ignore[arg-type]

from queue_server.app import create_app  # noqa: E402

os.environ.setdefault("QUEUE_ASYNC_MODE", "eventlet")
logging.basicConfig(
    level=os.environ.get("QUEUE_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)

app = create_app()

# What the imports and the app built lives as long as the worker: the cycle collector's
# full passes need not walk it again and again. Unfrozen, each full pass of an idle worker
# walked some 83,000 objects in 40 ms, all that time holding the hub and every screen;
# frozen, a pass walks only what came after (the links, the day's objects), and over
# an idle worker takes microseconds (docs/operations.md, "Memory").
gc.freeze()
