"""Run a script in a fresh Python process and read what it found.

For what one test process cannot show about itself: what a server imports, what the
collector froze at start-up, green threads under a worker's own monkey-patching, an
allocator that must be loaded before the process starts. The script prints one JSON
object on its last line of output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def run_script(script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
    """`python -c script args...` (this interpreter; `env` replaces the environment when
    given); the JSON of its last line. Fails the test, with its stderr, if it fails."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
