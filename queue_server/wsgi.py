"""Entry point for gunicorn's eventlet worker (see the Procfile):

    gunicorn --worker-class queue_server.workers.EventletWorker --workers 1 queue_server.wsgi:app

The async mode is set here, explicitly, for the production worker; QUEUE_ASYNC_MODE=gevent
(with `--worker-class queue_server.workers.GeventWorker`) is the supported alternative.
"""

from __future__ import annotations

import logging
import os

from queue_server.app import create_app

os.environ.setdefault("QUEUE_ASYNC_MODE", "eventlet")
logging.basicConfig(
    level=os.environ.get("QUEUE_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)

app = create_app()
