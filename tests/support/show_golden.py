"""Print ESC/POS files command by command and line by line, to review a golden file.

python -m tests.support.show_golden tests/golden/*.bin
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.escpos_reader import read_escpos


def main(paths: list[str]) -> None:
    for name in paths:
        data = Path(name).read_bytes()
        printout = read_escpos(data)
        sys.stdout.write(f"== {name}: {len(data)} bytes\n")
        sys.stdout.write("commands: " + ", ".join(printout.commands) + "\n")
        for line in printout.lines:
            style = f"{line.align} {line.width}x{line.height}{' bold' if line.bold else ''}"
            sys.stdout.write(f"  {style:<16} {line.text}\n")
        for code in printout.qr_codes:
            sys.stdout.write(f"  QR {code.module_dots} dots/module, level {code.error_correction}: {code.content}\n")
        sys.stdout.write(f"  {'cut' if printout.cut else 'NOT CUT'}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
