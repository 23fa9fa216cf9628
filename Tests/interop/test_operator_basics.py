"""What an operator expects of a server they run (issue 17): a version, `/metrics`
that a Prometheus server accepts (`promtool check metrics`, from Debian's
`prometheus` package, which scripts/setup.sh installs), real histograms of the
waits, and the standard `process_*` figures.

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_operator_basics.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

import test_broker as tb
from broker_proc import broker_config
from switchboard_proc import switchboard_bin
from test_broker import broker, start_broker  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")
VERSION = "0.2.0"


def promtool() -> str:
    path = shutil.which("promtool")
    # Not a skip: CI runs on a fresh machine where scripts/setup.sh installs it.
    assert path, "promtool not found: run scripts/setup.sh (it installs Debian's prometheus package)"
    return path


def test_version_is_printed_and_in_build_info(broker):
    out = subprocess.run([str(switchboard_bin()), "--version"], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and out.stdout.strip() == VERSION
    _, metrics = tb.get(broker, "/metrics")
    assert re.search(r'^switchboard_build_info\{version="%s",swift="[0-9.]+"\} 1$' % re.escape(VERSION), metrics, re.M)


def test_metrics_pass_promtool_under_traffic(start_broker):
    srv = start_broker(broker_config(agents=[tb.MINJI], supervisors=[tb.LEAD], extra=tb.FAST))
    minji = tb.agent(srv, tb.MINJI)
    chats = []
    for i in range(3):  # three chats served (waits, answers, handle times)
        c, conversation, _ = tb.chat_with(srv, minji)
        minji.send(type="send", id=f"r{i}", conversation=conversation, text="확인해 드릴게요.")
        minji.next("ack", id=f"r{i}")
        chats.append((c, conversation))
    for i, (c, conversation) in enumerate(chats[:2]):
        minji.send(type="end", id=f"e{i}", conversation=conversation)
        minji.next("ack", id=f"e{i}")
        minji.next("conversation_ended", conversation=conversation)
    bad, _ = tb.customer(srv, language="ko")
    bad.send_raw("{not json")  # an error counted by code
    bad.next("error")
    time.sleep(1.3)  # the statistics are recomputed once a second
    status, metrics = tb.get(srv, "/metrics")
    assert status == 200
    checked = subprocess.run([promtool(), "check", "metrics"], input=metrics, capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"promtool: {checked.stdout}{checked.stderr}"
    # Real histograms: the three served waits in the centre's +Inf bucket.
    assert "# TYPE switchboard_wait_seconds histogram" in metrics
    assert 'switchboard_wait_seconds_bucket{queue="*",channel="chat",le="+Inf"} 3' in metrics
    assert 'switchboard_handle_seconds_count{queue="orders",channel="chat"} 2' in metrics
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                 "process_max_fds", "process_start_time_seconds"):
        value = re.search(r"^%s ([0-9.e+]+)$" % name, metrics, re.M)
        assert value and float(value.group(1)) > 0, name
    start = float(re.search(r"^process_start_time_seconds ([0-9.e+]+)$", metrics, re.M).group(1))
    assert abs(start - time.time()) < 600  # started a moment ago, on the epoch's scale


def test_hash_secret_asks_without_echo_on_a_terminal():
    import base64
    import hashlib
    import os
    import pty
    secret = "터미널 secret 42"
    pid, fd = pty.fork()
    if pid == 0:  # the child: hash-secret on the pseudo-terminal
        os.execv(str(switchboard_bin()), [str(switchboard_bin()), "hash-secret", "--iterations", "1000"])
    import select
    import signal
    screen = b""
    deadline = time.monotonic() + 20  # bounded: a hang fails the test, it does not stall the run

    def read_some() -> bytes:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"hash-secret said nothing more within 20 s; so far: {screen!r}"
        try:
            return os.read(fd, 1024)
        except OSError:  # EIO: the child closed the terminal
            return b""

    try:
        while b"Secret (not shown): " not in screen:
            chunk = read_some()
            assert chunk, screen
            screen += chunk
        os.write(fd, secret.encode() + b"\n")
        while chunk := read_some():
            screen += chunk
    finally:
        until = time.monotonic() + 5
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > until:
                os.kill(pid, signal.SIGKILL)  # our own child, by its pid
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0, screen
    text = screen.decode()
    assert secret not in text, "the secret was echoed"
    line = next(l for l in text.splitlines() if l.startswith("pbkdf2-sha256$"))
    _, iterations, salt, digest = line.strip().split("$")
    pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    assert hashlib.pbkdf2_hmac("sha256", secret.encode(), pad(salt), int(iterations), 32) == pad(digest)


def test_hash_secret_still_reads_a_pipe():
    out = subprocess.run([str(switchboard_bin()), "hash-secret", "--iterations", "1000"], input="piped secret\n",
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and out.stdout.startswith("pbkdf2-sha256$1000$") and out.stderr == ""


def test_log_format_json_writes_one_object_per_line(start_broker):
    import json
    srv = start_broker(broker_config(agents=[tb.MINJI], extra=tb.FAST), "--log-format", "json")
    srv.stop()
    logged = [line for line in srv.output_tail(400).splitlines() if line.startswith("{")]
    assert logged, srv.output_tail()
    for line in logged:
        entry = json.loads(line)
        assert set(entry) >= {"ts", "level", "label", "message"} and entry["ts"].endswith("Z")
    assert any(e["message"].startswith("transcripts: ") for e in map(json.loads, logged))
    assert any("shutting down" in json.loads(line)["message"] for line in logged)
    bad = subprocess.run([str(switchboard_bin()), "serve", "--log-format", "xml"], capture_output=True, text=True, timeout=20)
    assert bad.returncode != 0 and "--log-format must be text or json" in bad.stderr
