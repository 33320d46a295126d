"""A device revoked while its screen is on the wall goes blank at once, in Chromium
against gunicorn's eventlet worker, with nothing else to make it: no call is made, and
the periodic credential re-check is off on this server. What closes it is the counter
`queue-server device revoke` moves in the same transaction, which the server's timer
reads every round (`jobs.Jobs.close_revoked_links`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import issue, serve_and_finish, window_do
from tests.e2e.screens import ScreenPage, add_hall_screen
from tests.e2e.test_device_access import REFUSED_TOKEN, queue_server
from tests.support.live import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("instance"), environment={"QUEUE_CREDENTIAL_RECHECK_SECONDS": "0"})
    with live.running() as running:
        yield running


def test_a_revoked_screen_goes_blank_at_once_while_the_others_carry_on(
    server: LiveServer,
    open_screen: Callable[..., ScreenPage],
    sign_in: Callable[[LiveServer, str], requests.Session],
) -> None:
    device_id, token = add_hall_screen(server, "e2e 吊销即黑屏")
    doomed = open_screen(server, "hall", token)
    window = open_screen(server, "window", server.tokens["window_screen"])
    expect(doomed.by_testid("hall-name")).to_have_text("示范区政务服务中心")

    assert f"device {device_id} revoked" in queue_server(server, "device", "revoke", str(device_id))

    expect(doomed.by_testid("token-error-message")).to_have_text(REFUSED_TOKEN)
    expect(doomed.by_testid("hall")).to_be_hidden()
    expect(doomed.by_testid("hall-name")).to_have_text("")
    assert doomed.errors == []

    # the window screen of the same hall was not touched: it shows the next call
    guide, clerk = sign_in(server, "guide"), sign_in(server, "clerk1")
    ticket = issue(server, guide, queue="comprehensive")
    window_do(server, clerk, 1, "open-window")
    window_do(server, clerk, 1, "call-next")
    expect(window.by_testid("serving-number")).to_have_text(ticket["number"])
    expect(window.by_testid("token-error")).to_be_hidden()
    serve_and_finish(server, clerk, 1)
    window_do(server, clerk, 1, "close-window")

    kept = queue_server(server, "audit", "--action", "device_revoked").splitlines()[-1]
    assert f"operator  demo  device_revoked  {device_id}" in kept and "e2e 吊销即黑屏" in kept
