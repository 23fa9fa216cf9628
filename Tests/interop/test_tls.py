"""TLS (wss://) through OpenSSL in `switchboard echo --tls-cert --tls-key`.

The certificates come from a throwaway CA made for the test session
(testca.py); clients verify the server against that CA only. Covered: Python
`websockets` over wss:// with compression on and off; the TLS parameters
(TLS 1.2 minimum, ALPN http/1.1); clients that stall mid-handshake, send
garbage or plain HTTP; SIGHUP reloading the certificate (and keeping the old
one when the new files are bad). The fixture's teardown checks that a fresh
wss:// client still gets an echo, then stops the server by PID.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import ssl
import termios
import threading
import time
import warnings

import pytest
from websockets.exceptions import InvalidHandshake, InvalidMessage
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.sync.client import connect

from rawws import OP_BINARY, RawConn, build_frame

HOST = "127.0.0.1"
MIB = 1024 * 1024
KOREAN = "안녕하세요! 배송이 언제 오나요? 주문번호 2024-0001, 상품명: 무선 이어폰 🎧"
CHAT = "\n".join(f"[{i:04d}] 고객: {KOREAN} / 상담원: 네, 확인해 드리겠습니다."
                 for i in range(300))

VARIANTS = {
    # id: (server arguments, client compression)
    "deflate": ((), "deflate"),
    "deflate-shared": (("--deflate-shared",), "deflate"),
    "no-compression": ((), None),
    "server-no-deflate": (("--no-deflate",), "deflate"),
}


def open_wss(srv, compression="deflate", path="/tls", max_size=4 * MIB, ssl_ctx=None):
    return connect(f"wss://{HOST}:{srv.port}{path}", open_timeout=5, close_timeout=5,
                   compression=compression, max_size=max_size, ping_interval=None,
                   ssl=ssl_ctx or srv.client_ssl)


def tls_connect(srv, ctx: ssl.SSLContext, server_hostname: str | None = HOST,
                timeout: float = 5.0) -> ssl.SSLSocket:
    raw = socket.create_connection((HOST, srv.port), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


def peer_cert_der(srv, ctx: ssl.SSLContext) -> bytes:
    with tls_connect(srv, ctx) as s:
        return s.getpeercert(binary_form=True)


def client_hello(max_version: ssl.TLSVersion | None = None) -> bytes:
    """The bytes of a real ClientHello (Python's OpenSSL, via memory BIOs)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if max_version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with contextlib.suppress(ssl.SSLWantReadError):
        obj.do_handshake()
    hello = outgoing.read()
    assert hello[:1] == b"\x16" and len(hello) > 60, f"not a ClientHello: {hello[:16]!r}"
    return hello


# --------------------------------------------------------------------------
# Python websockets over wss://
# --------------------------------------------------------------------------

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_wss_echo(start_tls_server, variant):
    args, compression = VARIANTS[variant]
    srv = start_tls_server(*args)
    assert srv.printed_listening_line(timeout=2)
    assert "(wss," in srv.output(), f"listening line should say wss: {srv.output_tail()}"
    with open_wss(srv, compression) as ws:
        deflate = [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]
        expect_deflate = compression == "deflate" and "--no-deflate" not in args
        assert bool(deflate) == expect_deflate, ws.response.headers
        for msg in [KOREAN, "", CHAT, "한" * (MIB // 3)]:
            ws.send(msg)
            assert ws.recv(timeout=10) == msg
        for msg in [bytes(range(256)), b"", os.urandom(70_000), os.urandom(MIB),
                    b"\x00" * MIB]:
            ws.send(msg)
            got = ws.recv(timeout=20)
            assert isinstance(got, bytes) and got == msg
        ws.send(["조각", "난 ", "메시지"])
        assert ws.recv(timeout=5) == "조각난 메시지"
        # Many in flight: the server's TLS writes queue up behind each other.
        msgs = [f"{i} {KOREAN}" for i in range(300)]
        for m in msgs:
            ws.send(m)
        assert [ws.recv(timeout=10) for _ in msgs] == msgs
        ws.close(1000, "done")
        assert ws.close_code == 1000


@pytest.mark.parametrize("compression", ["deflate", None], ids=["deflate", "no-compression"])
def test_wss_16_mib(tls_server, compression):
    size = 16 * MIB
    with open_wss(tls_server, compression, max_size=size + 1024) as ws:
        blob = os.urandom(size)
        ws.send(blob)
        assert ws.recv(timeout=60) == blob
        text = ("가나다라마바사 chat 채팅 " * (size // 40))[: size // 3]
        ws.send(text)
        assert ws.recv(timeout=60) == text


@pytest.mark.server_args("--threads", "2")
def test_wss_many_clients(tls_server):
    with contextlib.ExitStack() as stack:
        conns = [stack.enter_context(open_wss(tls_server, "deflate" if i % 2 else None))
                 for i in range(30)]
        for round_ in range(3):
            for i, ws in enumerate(conns):
                ws.send(f"{round_}:{i} {KOREAN}")
            for i, ws in enumerate(conns):
                assert ws.recv(timeout=10) == f"{round_}:{i} {KOREAN}"


def test_tls_parameters(tls_server, test_ca, server_cert):
    ctx = test_ca.client_context()
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with tls_connect(tls_server, ctx) as s:
        assert s.version() in ("TLSv1.2", "TLSv1.3"), s.version()
        assert s.selected_alpn_protocol() == "http/1.1", (
            f"ALPN: server picked {s.selected_alpn_protocol()!r} from h2, http/1.1")
        assert s.getpeercert(binary_form=True) == server_cert.der
    # Verified by name too: localhost is in the certificate.
    with tls_connect(tls_server, ctx, server_hostname="localhost") as s:
        assert s.getpeercert(binary_form=True) == server_cert.der
    # TLS 1.2 exactly is accepted.
    ctx12 = test_ca.client_context()
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with tls_connect(tls_server, ctx12) as s:
        assert s.version() == "TLSv1.2"


def test_tls_1_1_is_refused(tls_server):
    hello = client_hello(max_version=ssl.TLSVersion.TLSv1_1)
    # Record header 16 03 0x, handshake header (4), then client_version.
    assert hello[9:11] == b"\x03\x02", "the test's ClientHello should top out at TLS 1.1"
    with socket.create_connection((HOST, tls_server.port), timeout=5) as s:
        s.sendall(hello)
        got = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            got += chunk
        else:
            pytest.fail("server kept a TLS 1.1 client open for 5 s")
    # Either nothing or a fatal alert (21) - never a ServerHello (22).
    assert got[:1] in (b"", b"\x15"), f"TLS 1.1 hello got {got[:16].hex()}"


def test_client_without_the_ca_fails_verification(tls_server):
    # Sanity of the set-up: the system's trust store does not know the test CA.
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_connect(tls_server, ssl.create_default_context()).close()


# --------------------------------------------------------------------------
# Decrypted bytes left inside OpenSSL
# --------------------------------------------------------------------------

class ServerStalled(AssertionError):
    pass


def _process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def _unsent(sock: socket.socket) -> int:
    """Bytes in our send queue the peer has not acknowledged (SIOCOUTQ)."""
    return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4), "little")


def _raw_conn(srv, tls: bool) -> RawConn:
    c = RawConn(srv.port)
    if tls:
        c.sock = srv.client_ssl.wrap_socket(c.sock, server_hostname=HOST)
    c.handshake("/raw-burst")
    return c




@pytest.mark.parametrize("transport", [
    pytest.param("ws", id="ws-control"),
    pytest.param("wss", id="wss"),
])
@pytest.mark.parametrize("small", [1, 100, 5000])
def test_burst_ending_inside_a_record_at_the_read_buffer_boundary(start_server,
                                                                  start_tls_server,
                                                                  transport, small):
    """A small message (its own TLS record) and then a 256 KiB frame (16 full
    16 KiB records) arrive together: a reader that fills a 256 KiB (or 128, 64,
    32, 16 KiB) buffer stops `small`+6 bytes short of the end, inside the last
    record. The server is paused (SIGSTOP, by PID) while the burst is queued so
    that it all sits in the kernel when reading starts. Plain ws:// is the
    control: there the kernel holds the rest and epoll reports it."""
    tls = transport == "wss"
    args = ("--threads", "1", "--no-deflate")
    srv = start_tls_server(*args) if tls else start_server(*args)
    big = os.urandom(256 * 1024 - 14)  # frame: 2 + 8 + 4 header bytes + payload
    assert len(build_frame(OP_BINARY, big)) == 256 * 1024
    first = os.urandom(small)
    for _attempt in range(5):
        with _raw_conn(srv, tls) as c:
            # Grow the server's receive window so the burst fits in it at once.
            for _ in range(2):
                blob = os.urandom(4 * MIB)
                c.send(build_frame(OP_BINARY, blob))
                assert c.read_message(timeout=20) == (OP_BINARY, blob)
            os.kill(srv.pid, signal.SIGSTOP)
            try:
                deadline = time.monotonic() + 3
                while _process_state(srv.pid) != "T" and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert _process_state(srv.pid) == "T", "server did not stop"
                c.send(build_frame(OP_BINARY, first))
                c.send(build_frame(OP_BINARY, big))
                while _unsent(c.sock) and time.monotonic() < deadline:
                    time.sleep(0.01)
                queued_whole = _unsent(c.sock) == 0
            finally:
                os.kill(srv.pid, signal.SIGCONT)
            try:
                assert c.read_message(timeout=3) == (OP_BINARY, first)
                assert c.read_message(timeout=3) == (OP_BINARY, big)
            except Exception as e:  # noqa: BLE001
                if queued_whole:
                    raise ServerStalled(
                        f"echo of a {small}-byte + 256 KiB burst over {transport} never "
                        f"came ({type(e).__name__}: {e})") from None
                continue  # not a clean trial (window too small): try again
            if queued_whole:
                return
    pytest.fail("could not queue the whole burst in the server's receive buffer in 5 tries")


# --------------------------------------------------------------------------
# Stalled, garbage and plain-HTTP clients
# --------------------------------------------------------------------------

HANDSHAKE_TIMEOUT = 2.0


def _watch_until_closed(sock: socket.socket, good, limit: float) -> tuple[float | None, int, bytes]:
    """Wait for `sock` to be closed by the server (EOF or reset) while `good`
    (a wss client) keeps echoing every 0.2 s. Returns (seconds until closed or
    None, echoes done, bytes the server sent on `sock`)."""
    start = time.monotonic()
    echoes, got = 0, b""
    sock.settimeout(0.2)
    while time.monotonic() - start < limit:
        try:
            chunk = sock.recv(4096)
            if not chunk:
                return time.monotonic() - start, echoes, got
            got += chunk
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start, echoes, got
        msg = f"echo {echoes} 에코"
        good.send(msg)
        assert good.recv(timeout=5) == msg, "the good wss client's echo went wrong"
        echoes += 1
    return None, echoes, got


@pytest.mark.server_args("--handshake-timeout", str(HANDSHAKE_TIMEOUT))
@pytest.mark.parametrize("sent", ["half-client-hello", "record-header-only", "nothing"])
def test_stalled_tls_handshake_is_dropped(tls_server, sent):
    hello = client_hello()
    data = {"half-client-hello": hello[:len(hello) // 2],
            "record-header-only": hello[:5],
            "nothing": b""}[sent]
    with open_wss(tls_server, "deflate") as good, \
            socket.create_connection((HOST, tls_server.port), timeout=5) as stalled:
        good.send("before")
        assert good.recv(timeout=5) == "before"
        if data:
            stalled.sendall(data)
        waited, echoes, _ = _watch_until_closed(stalled, good, HANDSHAKE_TIMEOUT + 6)
        assert waited is not None, (
            f"server kept a stalled TLS handshake ({sent}) open for "
            f"{HANDSHAKE_TIMEOUT + 6:g} s (--handshake-timeout {HANDSHAKE_TIMEOUT:g})")
        assert waited <= HANDSHAKE_TIMEOUT + 2, f"dropped after {waited:.2f}s"
        assert waited >= HANDSHAKE_TIMEOUT - 0.5, (
            f"dropped after {waited:.2f}s: before the handshake deadline")
        assert echoes >= 5, "the good client was not exercised while the other stalled"
        good.send("after")
        assert good.recv(timeout=5) == "after"


@pytest.mark.server_args("--handshake-timeout", str(HANDSHAKE_TIMEOUT))
def test_tls_done_but_no_http_request_is_dropped(tls_server):
    with open_wss(tls_server) as good, \
            tls_connect(tls_server, tls_server.client_ssl) as silent:
        waited, echoes, _ = _watch_until_closed(silent, good, HANDSHAKE_TIMEOUT + 6)
        assert waited is not None, "a TLS client that never sent its HTTP request stayed open"
        assert waited <= HANDSHAKE_TIMEOUT + 2, f"dropped after {waited:.2f}s"
        assert echoes >= 3


@pytest.mark.server_args("--handshake-timeout", "10")
@pytest.mark.parametrize("data", [
    pytest.param(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", id="plain-http-get"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n", id="plain-websocket-upgrade"),
    pytest.param(b"\x16\x03\x01\x00\x05\xff\xff\xff\xff\xff", id="bad-handshake-record"),
    pytest.param(bytes(range(256)) * 4, id="binary-garbage"),
])
def test_non_tls_input_is_closed(tls_server, data):
    """Closed promptly (well before the 10 s handshake timeout), never answered
    in plain HTTP, and other wss clients are unaffected."""
    with open_wss(tls_server) as good, \
            socket.create_connection((HOST, tls_server.port), timeout=5) as bad:
        with contextlib.suppress(OSError):
            bad.sendall(data)
        waited, _, got = _watch_until_closed(bad, good, 5)
        assert waited is not None, "server kept a non-TLS client open for 5 s"
        assert not got.startswith(b"HTTP/"), f"plain HTTP answer on the TLS port: {got[:60]!r}"
        assert got[:1] in (b"", b"\x15"), f"expected nothing or a TLS alert, got {got[:16].hex()}"
        good.send(KOREAN)
        assert good.recv(timeout=5) == KOREAN


def test_ws_client_against_wss_port_fails_cleanly(tls_server):
    start = time.monotonic()
    with pytest.raises((InvalidHandshake, InvalidMessage, OSError, EOFError, TimeoutError)):
        with connect(f"ws://{HOST}:{tls_server.port}/", open_timeout=5, close_timeout=2,
                     compression=None):
            pass
    assert time.monotonic() - start < 5.5


# --------------------------------------------------------------------------
# SIGHUP: certificate reload
# --------------------------------------------------------------------------

def _install(cert, live) -> None:
    """Copy `cert`'s files over the live paths (each replaced atomically)."""
    for src, dst in ((cert.cert_path, live.cert_path), (cert.key_path, live.key_path)):
        tmp = dst.with_name(dst.name + ".tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)


def _sighup(srv) -> None:
    # Not srv.signal(): that marks the server as stopped on purpose.
    assert srv.alive()
    os.kill(srv.pid, signal.SIGHUP)


def _wait_for_cert(srv, ctx, der: bytes, timeout: float = 5.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        got = peer_cert_der(srv, ctx)
        if got == der or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


@pytest.fixture
def live_cert(test_ca, tmp_path):
    """A certificate at paths the test may overwrite (the server's --tls-cert)."""
    return test_ca.issue(tmp_path / "live")


def test_sighup_reloads_certificate(start_tls_server, test_ca, live_cert, tmp_path):
    srv = start_tls_server(cert=live_cert)
    ctx = test_ca.client_context()
    first_der = live_cert.der
    assert peer_cert_der(srv, ctx) == first_der
    with open_wss(srv) as old_ws:
        old_ws.send("before reload")
        assert old_ws.recv(timeout=5) == "before reload"
        assert old_ws.socket.getpeercert(binary_form=True) == first_der

        new = test_ca.issue(tmp_path / "second")
        assert new.spki_sha256_b64 != live_cert.spki_sha256_b64
        _install(new, live_cert)
        _sighup(srv)
        got = _wait_for_cert(srv, ctx, new.der)
        assert got == new.der, "new connections still get the old certificate after SIGHUP"
        assert srv.alive()
        assert "could not reload TLS" not in srv.output(), srv.output_tail()

        # The open connection is untouched and keeps working.
        for msg in ["after reload", KOREAN, "한" * 20_000]:
            old_ws.send(msg)
            assert old_ws.recv(timeout=5) == msg
        old_ws.send(os.urandom(MIB))
        assert len(old_ws.recv(timeout=10)) == MIB

        # A new wss client over the new certificate echoes.
        with open_wss(srv) as new_ws:
            assert new_ws.socket.getpeercert(binary_form=True) == new.der
            new_ws.send(CHAT)
            assert new_ws.recv(timeout=5) == CHAT


BAD_FILES = ["garbage-cert", "empty-cert", "truncated-cert", "key-of-another-cert",
             "garbage-key", "missing-cert"]


@pytest.mark.parametrize("bad", BAD_FILES)
def test_sighup_with_bad_files_keeps_old_certificate(start_tls_server, test_ca, live_cert,
                                                     tmp_path, bad):
    srv = start_tls_server(cert=live_cert)
    ctx = test_ca.client_context()
    with open_wss(srv) as old_ws:
        other = test_ca.issue(tmp_path / "other")
        pem = live_cert.cert_path.read_bytes()
        if bad == "garbage-cert":
            live_cert.cert_path.write_bytes(b"-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n"
                                            b"-----END CERTIFICATE-----\nnot a cert\n")
        elif bad == "empty-cert":
            live_cert.cert_path.write_bytes(b"")
        elif bad == "truncated-cert":
            live_cert.cert_path.write_bytes(pem[: len(pem) // 2])
        elif bad == "key-of-another-cert":
            shutil.copyfile(other.cert_path, live_cert.cert_path)  # key stays: mismatch
        elif bad == "garbage-key":
            live_cert.key_path.write_bytes(os.urandom(300))
        elif bad == "missing-cert":
            live_cert.cert_path.unlink()
        mark = srv.output_line_count()
        _sighup(srv)
        line = srv.wait_for_output("could not reload TLS", timeout=5, start_line=mark)
        assert line is not None, (
            f"no 'could not reload TLS' error after SIGHUP with a bad file ({bad}):\n"
            f"{srv.output_tail()}")
        assert srv.alive(), f"server died on a bad certificate reload:\n{srv.output_tail()}"
        # The old certificate is still served to new connections...
        for _ in range(3):
            assert peer_cert_der(srv, ctx) == live_cert.der
        with open_wss(srv) as ws:
            ws.send(KOREAN)
            assert ws.recv(timeout=5) == KOREAN
        # ...and the open connection keeps working.
        old_ws.send("still here")
        assert old_ws.recv(timeout=5) == "still here"

        # Good files again: the next SIGHUP takes them.
        fixed = test_ca.issue(tmp_path / "fixed")
        _install(fixed, live_cert)
        _sighup(srv)
        assert _wait_for_cert(srv, ctx, fixed.der) == fixed.der, (
            "a good certificate after a failed reload was not picked up")
        old_ws.send("still here after the fix")
        assert old_ws.recv(timeout=5) == "still here after the fix"


def test_sighup_storm_while_clients_connect(start_tls_server, test_ca, live_cert, tmp_path):
    """Certificate swaps racing with handshakes: no crash, no failed client."""
    srv = start_tls_server("--threads", "2", cert=live_cert)
    certs = [test_ca.issue(tmp_path / f"storm{i}") for i in range(2)]
    allowed = {live_cert.der} | {c.der for c in certs}
    stop = threading.Event()
    errors: list[str] = []
    done = [0]

    def client_loop() -> None:
        while not stop.is_set():
            try:
                with open_wss(srv, "deflate") as ws:
                    assert ws.socket.getpeercert(binary_form=True) in allowed
                    ws.send(KOREAN)
                    assert ws.recv(timeout=5) == KOREAN
                done[0] += 1
            except Exception as e:  # noqa: BLE001
                errors.append(f"{type(e).__name__}: {e}")
                return

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(30):
            _install(certs[i % 2], live_cert)
            _sighup(srv)
            time.sleep(0.05)
    finally:
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    assert not errors, errors
    assert srv.alive()
    assert done[0] >= 10, f"only {done[0]} client sessions completed"
    assert _wait_for_cert(srv, test_ca.client_context(), certs[1].der) == certs[1].der
