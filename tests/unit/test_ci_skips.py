"""CI must never pass with the screens untested: a skip there is a failure."""

from __future__ import annotations

import pytest

SKIPPING = """
import pytest

def test_needs_chromium():
    pytest.skip("/usr/bin/chromium is not installed")
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", "failed"), ("", "skipped")], ids=["ci", "developer"])
def test_a_skip_fails_only_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    monkeypatch.setenv("CI", ci)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest_inprocess("-p", "tests.support.ci")
    result.assert_outcomes(**{outcome: 1})
    if ci:
        result.stdout.fnmatch_lines(["*skipped under CI=true*chromium is not installed*"])
