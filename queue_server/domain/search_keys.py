"""Search keys for names in Chinese: the pinyin initials (`bdcdj` for 不动产登记) and the
full pinyin (`budongchandengji`), so that a guide finds an item by typing `bdc`.

Pure: pypinyin's readings come from its own dictionary, phrase by phrase (银行 reads
yin hang, 长大 zhang da), not from a table of our own. That dictionary costs a process
about 55 MiB, so pypinyin is imported at the first name read: the process that imports a
hall file stores its names' keys (`storage.search_keys`) and a server reads them. ASCII letters and digits in a
name stay as they are, lower-cased; punctuation and spaces are dropped, so that
企业开办“一件事” is `qykbyjs`. `ü` is written `v`, as a pinyin keyboard types it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from queue_server.domain.hall import HallSpec

_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def names_of(spec: HallSpec) -> set[str]:
    """Every name of a hall file that the catalogue gives search keys: its queues', items'
    and bundles'."""
    return {q.name for q in spec.queues} | {i.name for i in spec.items} | {b.name for b in spec.bundles}


@dataclass(frozen=True)
class SearchKeys:
    initials: str  # one letter per Chinese character, each ASCII word whole
    pinyin: str  # every syllable in full, no spaces


@lru_cache(maxsize=8192)
def search_keys(name: str) -> SearchKeys:
    """The keys of one name; cached, as a hall's names repeat on every catalogue read."""
    from pypinyin import Style, lazy_pinyin  # its dictionary loads here (module docstring)

    initials: list[str] = []
    syllables: list[str] = []
    position = 0
    for run in _HAN_RUN.finditer(name):
        _ascii_words(name[position : run.start()], initials, syllables)
        # a whole run at once, so that pypinyin reads it phrase by phrase
        for syllable in lazy_pinyin(run.group(), style=Style.NORMAL, v_to_u=False, errors="ignore"):
            syllable = syllable.lower().replace("ü", "v")
            if syllable.isascii() and syllable.isalpha():
                syllables.append(syllable)
                initials.append(syllable[0])
        position = run.end()
    _ascii_words(name[position:], initials, syllables)
    return SearchKeys(initials="".join(initials), pinyin="".join(syllables))


def _ascii_words(text: str, initials: list[str], syllables: list[str]) -> None:
    """Letters and digits that were in the name already count whole in both keys."""
    for word in _ASCII_WORD.findall(text.lower()):
        initials.append(word)
        syllables.append(word)
