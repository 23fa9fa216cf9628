"""Bad input over raw sockets: protocol errors get the right close codes, bad
HTTP gets the right status, slow or silent clients are dropped, and the server
keeps serving (the fixture's teardown checks that a fresh client still gets an
echo after every test here, then stops the server by PID).
"""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from rawws import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawConn,
                   ReadTimeout, build_frame, close_payload)

MIB = 1024 * 1024


def upgraded(server) -> RawConn:
    conn = RawConn(server.port)
    conn.handshake("/raw")
    return conn


# --------------------------------------------------------------------------
# The raw client itself works (so failures below are about the server)
# --------------------------------------------------------------------------

def test_raw_client_echo_and_ping(server):
    with upgraded(server) as c:
        c.send_frame(OP_TEXT, "원시 소켓".encode())
        assert c.read_message() == (OP_TEXT, "원시 소켓".encode())
        c.send_frame(OP_BINARY, b"\x00\xff" * 100)
        assert c.read_message() == (OP_BINARY, b"\x00\xff" * 100)
        c.send_frame(OP_PING, b"are you there")
        fin, op, payload = c.read_frame()
        assert (fin, op, payload) == (True, OP_PONG, b"are you there")
        c.send_frame(OP_CLOSE, close_payload(1000, "bye"))
        code, _ = c.expect_close()
        assert code == 1000, "the server must echo the close code"
        c.wait_closed(5)


def test_valid_utf8_split_across_fragments(server):
    data = "한국어 텍스트".encode()
    with upgraded(server) as c:
        # Split in the middle of a 3-byte code point: still valid as a message.
        c.send_frame(OP_TEXT, data[:4], fin=False)
        c.send_frame(OP_PING, b"interleaved")  # control frame between fragments
        c.send_frame(OP_CONT, data[4:5], fin=False)
        c.send_frame(OP_CONT, data[5:], fin=True)
        fin, op, payload = c.read_frame()
        assert (op, payload) == (OP_PONG, b"interleaved")
        assert c.read_message() == (OP_TEXT, data)


# --------------------------------------------------------------------------
# Protocol errors -> close codes
# --------------------------------------------------------------------------

def test_unmasked_frame_gets_1002(server):
    with upgraded(server) as c:
        c.send_frame(OP_TEXT, b"not masked", mask=False)
        code, _ = c.expect_close()
        assert code == 1002
        c.reply_close_and_wait(1002)


@pytest.mark.parametrize("frames", [
    pytest.param([(OP_TEXT, b"abc\xff\xfedef", True)], id="single-frame"),
    pytest.param([(OP_TEXT, b"\xed\xa0\x80", True)], id="utf16-surrogate"),
    pytest.param([(OP_TEXT, b"\xc0\xaf", True)], id="overlong"),
    pytest.param([(OP_TEXT, "가나".encode(), False), (OP_CONT, b"\x80\x80", True)],
                 id="bad-continuation-fragment"),
    pytest.param([(OP_TEXT, "가".encode() + b"\xea\xb0", True)], id="truncated-at-end"),
    pytest.param([(OP_TEXT, b"ok", False), (OP_CONT, b"\xea", False),
                  (OP_CONT, b"\xb0", True)], id="truncated-across-fragments"),
])
def test_invalid_utf8_gets_1007(server, frames):
    with upgraded(server) as c:
        for op, payload, fin in frames:
            c.send_frame(op, payload, fin=fin)
        code, _ = c.expect_close()
        assert code == 1007
        c.reply_close_and_wait(1007)


@pytest.mark.server_args("--max-message-size", "1048576")
def test_message_at_the_limit_is_echoed(server):
    blob = os.urandom(MIB)
    with upgraded(server) as c:
        c.send_frame(OP_BINARY, blob)
        assert c.read_message(timeout=20) == (OP_BINARY, blob)


def _expect_1009(c: RawConn, rest: bytes) -> None:
    """Wait for 1009; if the server wants the announced payload first, send it."""
    try:
        code, _ = c.expect_close(timeout=3)
    except AssertionError:
        try:
            c.send(rest)
        except OSError:
            pass
        code, _ = c.expect_close(timeout=5)
    assert code == 1009
    c.reply_close_and_wait(1009)


@pytest.mark.server_args("--max-message-size", "1048576")
def test_oversized_frame_gets_1009(server):
    size = 2 * MIB
    with upgraded(server) as c:
        # Announce a 2 MiB frame; send the header only (a good server rejects it
        # from the header alone) and the payload only if it waits for it.
        payload = os.urandom(size)
        frame = build_frame(OP_BINARY, payload)
        header_len = len(frame) - size
        c.send(frame[:header_len])
        _expect_1009(c, frame[header_len:])


@pytest.mark.server_args("--max-message-size", "1048576")
def test_oversized_fragmented_message_gets_1009(server):
    part = 400 * 1024  # three fragments of 400 KiB: 1.2 MiB > 1 MiB
    with upgraded(server) as c:
        c.send_frame(OP_BINARY, os.urandom(part), fin=False)
        c.send_frame(OP_CONT, os.urandom(part), fin=False)
        last = build_frame(OP_CONT, os.urandom(part), fin=True)
        header_len = len(last) - part
        c.send(last[:header_len])
        _expect_1009(c, last[header_len:])


@pytest.mark.server_args("--max-message-size", "1048576")
def test_oversized_text_message_gets_1009(server):
    text = ("가" * (MIB // 3 + 10)).encode()  # just over 1 MiB of valid UTF-8
    with upgraded(server) as c:
        frame = build_frame(OP_TEXT, text)
        header_len = len(frame) - len(text)
        c.send(frame[:header_len])
        _expect_1009(c, frame[header_len:])


# --------------------------------------------------------------------------
# Bad HTTP before the upgrade
# --------------------------------------------------------------------------

def _request(port: int, data: bytes):
    c = RawConn(port)
    c.send(data)
    return c, c.read_http_response(timeout=5)


@pytest.mark.parametrize("garbage,statuses", [
    pytest.param(b"HELLO THERE\r\n\r\n", {400}, id="words"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n",
                 {400}, id="tls-client-hello"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", {400},
                 id="bad-header-line"),
    pytest.param(b"GET / HTTX/1.1\r\nHost: x\r\n\r\n", {400}, id="bad-protocol"),
    # Well-formed but unsupported: 505 is the more precise answer.
    pytest.param(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", {400, 505}, id="http-9.9"),
])
def test_garbage_gets_400_and_close(server, garbage, statuses):
    c, resp = _request(server.port, garbage)
    with c:
        assert resp.status in statuses, resp
        c.wait_closed(5)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_non_get_gets_405(server, method):
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    req = (f"{method} / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
           "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
    c, resp = _request(server.port, req.encode())
    with c:
        assert resp.status == 405, resp
        allow = [m.strip().upper() for m in (resp.header("Allow") or "").split(",")]
        assert "GET" in allow, f"405 without `Allow: GET` (RFC 9110 15.5.6): {resp!r}"


def test_plain_get_gets_426(server):
    c, resp = _request(server.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    with c:
        assert resp.status == 426, resp
        assert resp.header("Sec-WebSocket-Version") == "13", resp


@pytest.mark.parametrize("version", ["8", "12", "14"])
def test_wrong_version_gets_426(server, version):
    req = ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           f"Sec-WebSocket-Version: {version}\r\n\r\n")
    c, resp = _request(server.port, req.encode())
    with c:
        assert resp.status == 426, resp
        assert "13" in [v.strip() for v in (resp.header("Sec-WebSocket-Version") or "").split(",")], resp


@pytest.mark.parametrize("shape", ["one-big-header", "many-headers", "long-request-line"])
def test_huge_headers_get_431(server, shape):
    path, extra, statuses = "/", "", {431}
    if shape == "one-big-header":
        extra = f"X-Big: {'a' * 20_000}\r\n"
    elif shape == "many-headers":
        extra = "".join(f"X-H{i}: {'b' * 90}\r\n" for i in range(220))  # ~22 KiB
    else:
        path, statuses = "/" + "p" * 20_000, {414}  # the request line's own limit, not the head's
    req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           f"Sec-WebSocket-Version: 13\r\n{extra}\r\n")
    c, resp = _request(server.port, req.encode())
    with c:
        assert resp.status in statuses, resp


KEY = "dGhlIHNhbXBsZSBub25jZQ=="
UPGRADE_FIELDS = ("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n")


def _timed_request(port: int, data: bytes):
    """Sends `data` and reads the answer: (response, seconds it took)."""
    start = time.monotonic()
    c, resp = _request(port, data)
    return c, resp, time.monotonic() - start


@pytest.mark.parametrize("request_bytes", [
    pytest.param(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n" + UPGRADE_FIELDS.encode() + b"\r\n",
                 id="two-hosts"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: a b\r\n" + UPGRADE_FIELDS.encode() + b"\r\n", id="host-with-space"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: user@127.0.0.1\r\n" + UPGRADE_FIELDS.encode() + b"\r\n",
                 id="host-with-userinfo"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n" + UPGRADE_FIELDS.encode() + b"\r\n",
                 id="host-port-too-big"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + UPGRADE_FIELDS.encode()
                 + b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n", id="two-keys"),
    pytest.param(b"GET / HTTP/1.1\nHost: 127.0.0.1\n" + UPGRADE_FIELDS.replace("\r\n", "\n").encode() + b"\n",
                 id="bare-lf"),
    pytest.param(b"GET / HTTP/1.1\n", id="bare-lf-request-line-only"),
])
def test_conformance_violations_get_400_at_once(server, request_bytes):
    """Issue 15, item 8 (RFC 9112 §3.2, §2.2; RFC 6455 §11.3.1): two `Host` fields, a
    `Host` that is no host, and two `Sec-WebSocket-Key` fields each got 101 from the
    outside attacker; a request with bare-LF line ends got nothing until the 5 s
    handshake timeout (408). Each gets 400 at once (well under a second) and a close."""
    c, resp, took = _timed_request(server.port, request_bytes)
    with c:
        assert resp.status == 400, resp
        assert took < 1.0, f"400 after {took:.2f} s: the server waited for more bytes"
        c.wait_closed(5)


def test_request_line_over_8_kib_gets_414_whatever_its_length(server):
    """Issue 15, item 8: a request line of 20,000 bytes sent whole got 431 (the head's
    16 KiB limit) instead of the documented 414 for a request line over 8 KiB."""
    for length in (8 * 1024 + 1, 12_000, 20_000, 40_000):
        path = "/" + "p" * (length - len("GET  HTTP/1.1") - 1)
        line = f"GET {path} HTTP/1.1"
        assert len(line) == length
        c, resp, took = _timed_request(server.port, f"{line}\r\nHost: 127.0.0.1\r\n{UPGRADE_FIELDS}\r\n".encode())
        with c:
            assert resp.status == 414, f"request line of {length} bytes: {resp!r}"
            assert took < 1.0


def test_absolute_form_target_upgrades(server):
    """Issue 15, item 8: `GET http://host/path HTTP/1.1` (RFC 9112 §3.2.2, which a server
    MUST accept) was refused with 400. It upgrades like `GET /path`."""
    with RawConn(server.port) as c:
        c.send(f"GET http://127.0.0.1:{server.port}/absolute HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               f"{UPGRADE_FIELDS}\r\n".encode())
        resp = c.read_http_response(timeout=5)
        assert resp.status == 101, resp
        c.send_frame(OP_TEXT, "절대 형식".encode())
        assert c.read_message() == (OP_TEXT, "절대 형식".encode())
        c.send_frame(OP_CLOSE, close_payload(1000))
        code, _ = c.expect_close()
        assert code == 1000


# --------------------------------------------------------------------------
# Slow and silent clients
# --------------------------------------------------------------------------

@pytest.mark.server_args("--handshake-timeout", "1")
@pytest.mark.parametrize("sent", [
    pytest.param(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs", id="partial-request"),
    pytest.param(b"", id="silent"),
])
def test_handshake_timeout_closes_connection(server, sent):
    with RawConn(server.port) as c:
        if sent:
            c.send(sent)
        try:
            waited = c.wait_closed(timeout=6)
        except ReadTimeout:
            pytest.fail("server kept a stalled handshake open for 6 s "
                        "(--handshake-timeout 1)")
        assert waited <= 3.0, f"closed after {waited:.2f}s, expected ~1 s"
        assert waited >= 0.5, f"closed after {waited:.2f}s: before the 1 s handshake timeout"


def _tcp_state(sock: socket.socket) -> int:
    # struct tcp_info starts with u8 tcpi_state; 1 == TCP_ESTABLISHED (Linux).
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


@pytest.mark.server_args("--send-timeout", "2")
def test_non_reading_client_is_dropped_while_others_echo(server):
    send_timeout = 2.0
    frame = build_frame(OP_BINARY, os.urandom(256 * 1024))
    cap = 1024 * MIB  # an echo server with no backpressure would swallow this
    with RawConn(server.port) as hog, connect(
            f"ws://127.0.0.1:{server.port}/good", open_timeout=5, close_timeout=5,
            compression=None, ping_interval=None) as good:
        hog.handshake("/hog")
        hog.sock.setblocking(False)
        view, off, total = memoryview(frame), 0, 0
        start = last_progress = time.monotonic()
        stalled_at = closed_at = None
        next_echo, echoes, echoes_while_stalled = start, 0, 0
        while True:
            now = time.monotonic()
            assert now - start < 45, "test loop ran too long"
            try:
                n = hog.sock.send(view[off:])
                off, total, last_progress = (off + n) % len(frame), total + n, now
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed_at = now
                break
            assert total < cap, (
                f"server accepted {total >> 20} MiB from a client that never reads: "
                "no backpressure")
            if stalled_at is None and now - last_progress > 1.0:
                stalled_at = last_progress
            if _tcp_state(hog.sock) != 1:
                closed_at = now
                break
            if stalled_at is not None and now - stalled_at > send_timeout + 8:
                break
            if now >= next_echo:
                msg = f"echo {echoes} 에코"
                good.send(msg)
                assert good.recv(timeout=5) == msg, "good client's echo went wrong"
                echoes += 1
                if stalled_at is not None:
                    echoes_while_stalled += 1
                next_echo = now + 0.2
            time.sleep(0.005)

        if closed_at is None:
            # Perhaps the server closed with a FIN still queued behind our full
            # receive window: reading reveals it. (A server that never closed
            # just resumes echoing and the read times out.)
            hog.sock.setblocking(True)
            try:
                hog.wait_closed(10)
                closed_at = time.monotonic()
            except ReadTimeout:
                pytest.fail(f"server never closed a client that stopped reading "
                            f"(sent {total >> 20} MiB, stalled since "
                            f"{time.monotonic() - (stalled_at or start):.1f}s)")
            late = True
        else:
            late = False

        ref = stalled_at if stalled_at is not None else start
        assert late or closed_at - ref <= send_timeout + 6, (
            f"non-reading client closed {closed_at - ref:.1f}s after it stalled "
            f"(--send-timeout {send_timeout:g})")
        assert not late, "server closed the non-reading client only after it read again"
        assert echoes >= 5, "the good client was not exercised"
        # The good client still works after the hog is gone.
        good.send("after the hog")
        assert good.recv(timeout=5) == "after the hog"


# --------------------------------------------------------------------------
# Graceful shutdown
# --------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_closes_connections_with_1001_and_exits_0(server, sig):
    with connect(f"ws://127.0.0.1:{server.port}/", open_timeout=5, close_timeout=5,
                 compression=None, ping_interval=None) as ws, upgraded(server) as raw:
        ws.send("before shutdown")
        assert ws.recv(timeout=5) == "before shutdown"
        # The raw client is mid-message when the signal arrives.
        raw.send_frame(OP_TEXT, b"half a mess", fin=False)
        time.sleep(0.2)
        server.signal(sig)
        code, _ = raw.expect_close(timeout=5)
        assert code == 1001, f"raw client got close code {code}"
        raw.reply_close_and_wait(1001)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
        assert info.value.rcvd is not None, "no close frame from the server"
        assert info.value.rcvd.code == 1001
    rc = server.wait(8)
    assert rc is not None, "server still running 8 s after the signal"
    assert rc == 0, f"server exited with status {rc}"


# --------------------------------------------------------------------------
# The broker: absolute-form routing, CORS without an allowlist, bad config files
# --------------------------------------------------------------------------

@pytest.fixture
def broker(tmp_path):
    from broker_proc import BrokerServer
    path = tmp_path / "switchboard.toml"
    path.write_text("", encoding="utf-8")
    srv = BrokerServer(path, (), log_path=tmp_path / "broker.log")
    srv.start()
    yield srv
    problems = srv.stop()
    assert not problems, problems


def _broker_answer(srv, data: bytes):
    """Sends one request and reads to the close: (status, headers as a dict, body)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.sendall(data)
        raw = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ")[1]), headers, body


def test_broker_routes_an_absolute_form_target_by_its_path(broker):
    """Issue 15, item 8 (RFC 9112 §3.2.2): `GET http://host/healthz` was refused with
    400; it is routed by its path (200 `ok`), and `Host` still has to be there and valid."""
    status, _, body = _broker_answer(broker, f"GET http://127.0.0.1:{broker.port}/healthz HTTP/1.1\r\n"
                                             f"Host: 127.0.0.1:{broker.port}\r\nConnection: close\r\n\r\n".encode())
    assert (status, body) == (200, b"ok\n")
    status, _, _ = _broker_answer(broker, b"GET http://127.0.0.1/healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status == 400


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_transcripts_without_an_allowlist_do_not_grant_any_origin(broker, origin, method):
    """Issue 15, item 8: with no `[security] allowed_origins`, transcript answers
    reflected any `Origin` — also `null` (sandboxed frames, file: pages) — in
    `Access-Control-Allow-Origin`, so every page on the web was told it may read them.
    Without an allowlist no origin is granted: the broker's own pages are same-origin
    and need no CORS; a shop on another origin must be listed."""
    status, headers, _ = _broker_answer(broker, f"{method} /v1/conversations/c-1-1/transcript.txt HTTP/1.1\r\n"
                                                f"Host: 127.0.0.1:{broker.port}\r\nOrigin: {origin}\r\n"
                                                "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
                                                "Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n".encode())
    assert status == (204 if method == "OPTIONS" else 401), headers
    assert "access-control-allow-origin" not in headers, headers


def _refused(tmp_path, name: str, data: bytes):
    from broker_proc import run_serve_expecting_failure
    path = tmp_path / name
    path.write_bytes(data)
    start = time.monotonic()
    result = run_serve_expecting_failure(path)
    return result, time.monotonic() - start


@pytest.mark.parametrize("data,where,why", [
    pytest.param(b'[security]\n# shops\x00\nallowed_origins = ["https://shop.example"]\n',
                 "line 2, column 8", "U+0000", id="nul-before-the-allowlist"),
    pytest.param(b"[limits]\r\nmax_text_length = 10\r\nmax_txet_length = 20\r\n",
                 "line 3", "max_txet_length", id="crlf-unknown-key"),
    pytest.param(b"[limits]\r\nmax_text_length = 10\r\nbroken = \r\n", "line 3", "TOML syntax", id="crlf-syntax"),
    pytest.param(b'[[queues]]\nkey = "orders"\nname = "\xea\xb0\x80\xff"\n', "line 3, column 10", "UTF-8",
                 id="invalid-utf8"),
    pytest.param(b"[limits]\rmax_text_length = 10\n", "line 1", "CR", id="bare-cr"),
])
def test_a_bad_configuration_file_is_refused_with_line_and_reason(tmp_path, data, where, why):
    """Issue 15, item 6 (40 bad config files from outside): a NUL byte ended parsing
    silently (an `allowed_origins` after it was ignored and a forbidden origin got 101);
    CRLF files reported wrong or no line numbers; invalid UTF-8 had no line. Each stops
    the start (non-zero exit, quickly) naming the file, the line and the reason."""
    result, took = _refused(tmp_path, "bad.toml", data)
    assert result.returncode != 0, result.stdout + result.stderr
    assert took < 10, f"took {took:.1f} s to refuse"
    assert "bad.toml" in result.stderr and where in result.stderr and why in result.stderr, result.stderr


def test_a_directory_as_the_configuration_file_is_refused(tmp_path):
    """Issue 15, item 6: `--config DIR` read as an empty file and served on defaults."""
    from broker_proc import run_serve_expecting_failure
    directory = tmp_path / "conf.d"
    directory.mkdir()
    result = run_serve_expecting_failure(directory)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "conf.d" in result.stderr and "directory" in result.stderr, result.stderr
