"""Pinyin search keys: what a guide types to find a name."""

from __future__ import annotations

import pytest

from queue_server.domain.search_keys import search_keys


@pytest.mark.parametrize(
    ("name", "initials", "pinyin"),
    [
        ("不动产登记", "bdcdj", "budongchandengji"),
        ("企业开办“一件事”", "qykbyjs", "qiyekaibanyijianshi"),  # punctuation is not typed
        ("企业银行开户预约", "qyyhkhyy", "qiyeyinhangkaihuyuyue"),  # 银行: hang, read as a phrase
        ("绿色通道", "lstd", "lvsetongdao"),  # ü typed as v
        ("重庆户籍迁入", "cqhjqr", "chongqinghujiqianru"),  # 重庆: chong
        ("12345热线转办", "12345rxzb", "12345rexianzhuanban"),  # digits stay whole
        ("APP 办理指引", "appblzy", "appbanlizhiyin"),  # an English word stays whole, lower-cased
        ("", "", ""),
    ],
    ids=["plain", "quotes", "phrase-reading", "u-umlaut", "polyphone", "digits", "ascii-word", "empty"],
)
def test_keys_of_a_name(name: str, initials: str, pinyin: str) -> None:
    keys = search_keys(name)
    assert (keys.initials, keys.pinyin) == (initials, pinyin)
