"""Announcements rendered offline by Debian's espeak-ng, for screens whose browser has
no Chinese voice. Files are cached by text, language and rate; the cache is bounded."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

VOICES = {"zh-CN": "cmn", "zh-TW": "cmn", "en": "en"}
BASE_WORDS_PER_MINUTE = {"cmn": 150, "en": 160}  # espeak-ng's 175 is hurried for a hall


class SpeechUnavailable(RuntimeError):
    """No espeak-ng on this machine, or it failed."""


class SpeechRenderer:
    def __init__(self, cache_dir: Path, executable: str = "espeak-ng", max_files: int = 2000) -> None:
        self.cache_dir = cache_dir
        self.executable = executable
        self.max_files = max_files

    def available(self) -> bool:
        return shutil.which(self.executable) is not None

    def render(self, text: str, language: str, rate: float) -> Path:
        """A WAV file saying `text`; rendered once, then served from the cache."""
        voice = VOICES[language]
        speed = round(BASE_WORDS_PER_MINUTE[voice] * rate)
        key = hashlib.sha256(f"{voice}|{speed}|{text}".encode()).hexdigest()[:32]
        target = self.cache_dir / f"{key}.wav"
        if target.exists():
            return target
        if not self.available():
            raise SpeechUnavailable(f"{self.executable} is not installed")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=self.cache_dir, suffix=".part")
        os.close(fd)
        try:
            subprocess.run(
                [self.executable, "-v", voice, "-s", str(speed), "-w", partial, text],
                check=True,
                capture_output=True,
                timeout=20,
            )
            os.replace(partial, target)  # atomic: a concurrent reader sees all or nothing
        except (subprocess.SubprocessError, OSError) as error:
            log.error("espeak-ng failed: %s", error)
            raise SpeechUnavailable(str(error)) from error
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self._trim()
        return target

    def _trim(self) -> None:
        files = sorted(self.cache_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime)
        for stale in files[: max(0, len(files) - self.max_files)]:
            stale.unlink(missing_ok=True)
