#!/bin/sh
# Every benchmark with its defaults, then a summary (about 4 minutes on 2 cores).
# PYTHON defaults to the python on PATH: run it from the project's virtualenv.
set -eu
cd "$(dirname "$0")/.."
exec "${PYTHON:-python}" -m bench "$@"
