"""Reads ESC/POS bytes back as a printer would, for tests.

`read_escpos(data)` walks the bytes command by command (only the commands a ticket
may use; any other control byte is an error) and returns what the paper would show:
each printed line with the style in force, the QR codes, whether the paper was cut,
and every command in order. In Chinese mode (`FS &`) bytes from 0x81 up are read as
GB18030 characters; outside it they are an error, because without `FS &` a printer
would print them as single-byte symbols.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10


class UnreadableEscpos(AssertionError):
    """Bytes a ticket should never contain."""


@dataclass(frozen=True)
class Line:
    text: str
    align: str
    bold: bool
    width: int
    height: int
    chinese_mode: bool


@dataclass(frozen=True)
class QrCode:
    content: str
    module_dots: int
    error_correction: str
    align: str


@dataclass
class Printout:
    lines: list[Line] = field(default_factory=list)
    qr_codes: list[QrCode] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # names in order, "text" for a run of text
    cut: bool = False

    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


def read_escpos(data: bytes) -> Printout:
    printout = Printout()
    align, bold, width, height, chinese = "left", False, 1, 1, False
    qr: dict[str, object] = {}
    text = bytearray()
    position = 0

    def take(count: int) -> bytes:
        nonlocal position
        if position + count > len(data):
            raise UnreadableEscpos(f"command cut short at byte {position}")
        chunk = data[position : position + count]
        position += count
        return chunk

    while position < len(data):
        if printout.cut:
            raise UnreadableEscpos(f"bytes after the cut at {position}: {data[position:]!r}")
        byte = take(1)[0]
        if byte == 0x0A:
            printout.lines.append(Line(text.decode("gb18030"), align, bold, width, height, chinese))
            printout.commands.append("LF")
            text.clear()
        elif byte == ESC:
            command = take(1)
            if command == b"@":
                align, bold, width, height, chinese = "left", False, 1, 1, False
                printout.commands.append("ESC @")
            elif command == b"a":
                align = {0: "left", 1: "center", 2: "right"}[take(1)[0]]
                printout.commands.append(f"ESC a {align}")
            elif command == b"E":
                bold = take(1)[0] == 1
                printout.commands.append(f"ESC E {int(bold)}")
            elif command == b"d":
                printout.commands.append(f"ESC d {take(1)[0]}")
            else:
                raise UnreadableEscpos(f"unknown command ESC {command!r} at {position - 2}")
        elif byte == GS:
            command = take(1)
            if command == b"!":
                size = take(1)[0]
                width, height = (size >> 4) + 1, (size & 0x0F) + 1
                printout.commands.append(f"GS ! {width}x{height}")
            elif command == b"V":
                mode = take(1)[0]
                if mode in (65, 66):
                    take(1)
                printout.cut = True
                printout.commands.append(f"GS V {mode}")
            elif command == b"(":
                if take(1) != b"k":
                    raise UnreadableEscpos(f"unknown command GS ( at {position - 3}")
                low, high = take(2)
                body = take(low + 256 * high)
                symbol, function, rest = body[0:1], body[1:2], body[2:]
                if symbol != b"1":
                    raise UnreadableEscpos(f"2D code {symbol!r} is not a QR code")
                printout.commands.append(f"GS ( k {function.decode()}")
                if function == b"A":
                    qr["model"] = rest[0] - 48
                elif function == b"C":
                    qr["module_dots"] = rest[0]
                elif function == b"E":
                    qr["error_correction"] = "LMQH"[rest[0] - 48]
                elif function == b"P":
                    qr["content"] = rest[1:].decode("utf-8")
                elif function == b"Q":
                    printout.qr_codes.append(
                        QrCode(
                            content=str(qr["content"]),
                            module_dots=int(qr["module_dots"]),  # type: ignore[call-overload]
                            error_correction=str(qr["error_correction"]),
                            align=align,
                        )
                    )
                else:
                    raise UnreadableEscpos(f"unknown QR function {function!r}")
            else:
                raise UnreadableEscpos(f"unknown command GS {command!r} at {position - 2}")
        elif byte == FS:
            command = take(1)
            if command == b"&":
                chinese = True
            elif command == b".":
                chinese = False
            else:
                raise UnreadableEscpos(f"unknown command FS {command!r} at {position - 2}")
            printout.commands.append(f"FS {command.decode()}")
        elif byte < 0x20 or byte == 0x7F:
            raise UnreadableEscpos(f"unexpected control byte {byte:#04x} at {position - 1}")
        elif byte < 0x80:
            text.append(byte)
            if printout.commands[-1:] != ["text"]:
                printout.commands.append("text")
        elif not chinese:
            raise UnreadableEscpos(f"byte {byte:#04x} at {position - 1} outside Chinese mode (no FS & before it)")
        else:
            # a GB18030 character: two bytes, or four when the second is a digit
            second = take(1)
            character = bytes([byte]) + second + (take(2) if 0x30 <= second[0] <= 0x39 else b"")
            character.decode("gb18030")  # raises on a malformed sequence
            text.extend(character)
            if printout.commands[-1:] != ["text"]:
                printout.commands.append("text")
    if text:
        raise UnreadableEscpos(f"text never printed (no LF after it): {bytes(text)!r}")
    return printout
