"""An idle WebSocket survives the server's idle ping.

Regression: the send timeout was measured from the connection's last write, so when an
idle connection's ping was queued (after --idle-ping seconds of silence) and the send
timeout was not longer than that silence, the ping counted as "unsent for 30 s" the
moment it was queued and the server dropped a healthy connection (close 1008, "the
peer is not reading"). Found by `switchboard-loadtest contact-center`, whose pooled
customer connections sat idle for half a minute. The timeout now counts from when
bytes start waiting.
"""

from __future__ import annotations

import time

from websockets.sync.client import connect

from switchboard_proc import EchoServer


def test_idle_connection_is_pinged_not_dropped(tmp_path):
    srv = EchoServer(["--idle-ping", "1", "--send-timeout", "1"], log_path=tmp_path / "echo.log").start()
    try:
        with connect(f"ws://127.0.0.1:{srv.port}/", open_timeout=5, close_timeout=5, ping_interval=None) as ws:
            ws.send("before")
            assert ws.recv(timeout=5) == "before"
            time.sleep(3.5)  # silent long enough for at least two pings, each answered
            ws.send("after")
            assert ws.recv(timeout=5) == "after"
        assert "the peer is not reading" not in srv.output()
    finally:
        problems = srv.stop()
    assert not problems, problems
