"""ID numbers: checked, then kept only as a keyed hash so that one person holds at most
one waiting ticket per queue without the number ever being stored or logged."""

from __future__ import annotations

import hashlib
import hmac
import re

from queue_server.domain.errors import InvalidInput

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{6,20}$")  # passports, HK/Macau/Taiwan permits


def normalise_id_number(raw: str) -> str:
    """Upper-case, strip blanks; an 18-character resident ID must pass its checksum."""
    text = re.sub(r"\s", "", raw).upper()
    if len(text) == 18 and text[:17].isdigit():
        total = sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS, strict=True))
        if _CHECK[total % 11] != text[17]:
            raise InvalidInput("身份证号码校验位不正确，请核对后重新输入", field="id_number")
        return text
    if not _OTHER_DOCUMENT.match(text):
        raise InvalidInput("证件号码格式不正确：应为 18 位身份证号或 6–20 位字母数字证件号", field="id_number")
    return text


def id_digest(id_number: str, secret: bytes) -> str:
    """Keyed hash: equal for the same person, useless to anyone without the server key."""
    return hmac.new(secret, normalise_id_number(id_number).encode(), hashlib.sha256).hexdigest()
