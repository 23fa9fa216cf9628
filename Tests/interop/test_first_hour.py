"""The first hour of a new user (issue 17): `switchboard serve` with no configuration
on a fresh data directory opens around the clock, makes staff accounts with random
secrets, prints them once with the page addresses, and the printed account signs in
on /console in headless Chromium and answers a shopper's chat. A later start names
where the accounts are and never prints a secret again.

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_first_hour.py
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

import pytest

from switchboard_proc import HOST, free_port, switchboard_bin, tcp_connectable
from test_web_clients import (browsers, console_send, count_text, css, fill_prechat, open_widget,  # noqa: F401 (fixture)
                              set_status, shot, sign_in, visible, wait)

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")
ACCOUNT = re.compile(r"^\s+(agent|supervisor)\s+(\S+)\s+secret: (\S+)$")


class DemoBroker:
    """`switchboard serve --data-dir DIR` with no --config, stopped by PID."""

    def __init__(self, data_dir):
        self.port = free_port()
        self.proc = subprocess.Popen([str(switchboard_bin()), "serve", "--host", HOST, "--port", str(self.port),
                                      "--data-dir", str(data_dir)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        deadline = time.monotonic() + 30
        # The banner ends with the line about --config.
        while not any("--config FILE" in line for line in self.lines):
            line = self.proc.stdout.readline()
            assert line, "broker exited during start-up:\n" + "".join(self.lines)
            self.lines.append(line)
            assert time.monotonic() < deadline, "".join(self.lines)
        self._drain = threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True)
        self._drain.start()
        while not tcp_connectable(HOST, self.port):
            assert time.monotonic() < deadline
            time.sleep(0.05)

    def http_url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    @property
    def accounts(self) -> dict[str, tuple[str, str]]:
        found = {}
        for line in self.lines:
            m = ACCOUNT.match(line.rstrip("\n"))
            if m:
                found[m.group(2)] = (m.group(1), m.group(3))
        return found

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout=15)


@pytest.fixture
def demo(tmp_path):
    started: list[DemoBroker] = []

    def start() -> DemoBroker:
        b = DemoBroker(tmp_path / "data")
        started.append(b)
        return b

    yield start
    codes = [b.stop() for b in started]
    assert codes == [0] * len(codes)


def test_the_first_start_prints_accounts_once_and_pages(demo, tmp_path):
    first = demo()
    text = "".join(first.lines)
    accounts = first.accounts
    assert set(accounts) == {"minji.park", "joon.lee", "lead.choi"}
    assert accounts["lead.choi"][0] == "supervisor" and accounts["minji.park"][0] == "agent"
    secrets = [s for _, s in accounts.values()]
    assert len(set(secrets)) == 3 and all(len(s) >= 16 for s in secrets)
    for path in ("/", "/console", "/dashboard"):
        assert first.http_url(path) in text
    stored = (tmp_path / "data" / "staff.toml").read_text(encoding="utf-8")
    assert "pbkdf2-sha256$" in stored and not any(s in stored for s in secrets)
    assert oct((tmp_path / "data" / "staff.toml").stat().st_mode & 0o777) == "0o600"
    assert first.stop() == 0

    again = demo()
    text = "".join(again.lines)
    assert "staff.toml" in text and again.accounts == {}
    assert not any(s in text for s in secrets)


def test_the_printed_account_answers_a_shoppers_chat_in_chromium(demo, browsers):
    srv = demo()
    handle, (role, secret) = next((h, a) for h, a in srv.accounts.items() if a[0] == "agent")
    agent = browsers("first-hour-agent", 1360, 820)
    sign_in(agent, srv.http_url("/console"), {"handle": handle, "secret": secret})
    visible(agent, ".segmented")
    set_status(agent, "available")

    shopper = browsers("first-hour-shopper", 1280, 860)
    open_widget(shopper, srv)
    fill_prechat(shopper, "주문한 이어폰 배송이 언제 도착하나요?")
    css(shopper, ".sbw-prechat button[type=submit]").click()

    conv = visible(agent, ".conv-item")
    assert "김하늘" in conv.text
    visible(agent, ".msg-customer")
    console_send(agent, "안녕하세요, 고객님! 주문 확인해 드릴게요.")
    wait(shopper, lambda d: count_text(d, ".sbw-msg-agent .sbw-bubble", "주문 확인해 드릴게요") == 1,
         what="the agent's answer never reached the widget")
    shot(agent, "first-hour-console")
