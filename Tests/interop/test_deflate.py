"""permessage-deflate (RFC 7692) against `switchboard echo`.

Python `websockets` with compression on and off, against the per-connection
mode (context takeover) and the shared mode (`--deflate-shared`: one
compressor per event loop, so the server answers with server_no_context_takeover
and client_no_context_takeover); the negotiated Sec-WebSocket-Extensions seen
with a raw socket; and bad compressed input built by hand (zlib, wbits -15,
trailing 00 00 ff ff stripped): a compression bomb (1009), RSV1 without
negotiation or in the wrong place (1002), corrupt deflate data (1007). The
fixture's teardown checks a fresh client still gets an echo after every test.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
import zlib

import pytest
from websockets.extensions.permessage_deflate import (ClientPerMessageDeflateFactory,
                                                      PerMessageDeflate)
from websockets.sync.client import connect

from rawws import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, RSV1, RawConn,
                   close_payload, deflate_payload, parse_extensions)

MIB = 1024 * 1024
KOREAN = "안녕하세요! 배송이 언제 오나요? 주문번호 2024-0001, 상품명: 무선 이어폰 🎧"
# Chat-like text that compresses well, with Korean in it.
CHAT = "\n".join(f"[{i:04d}] 고객: {KOREAN} / 상담원: 네, 확인해 드리겠습니다. ({i % 7})"
                 for i in range(400))

MODES = {
    "per-connection": (),
    "shared": ("--deflate-shared",),
}
MODE = pytest.mark.parametrize("mode", list(MODES))
COMPRESSION = pytest.mark.parametrize("compression", ["deflate", None],
                                      ids=["deflate", "no-compression"])


def open_ws(srv, compression="deflate", extensions=None, path="/deflate",
            max_size=4 * MIB):
    kw = {}
    if extensions is not None:
        kw["extensions"] = extensions
        compression = None  # the given factories instead of the default offer
    return connect(f"{srv.url}{path.lstrip('/')}", open_timeout=5, close_timeout=5,
                   compression=compression, max_size=max_size, ping_interval=None,
                   ssl=srv.client_ssl, **kw)


def agreed_deflate(ws) -> PerMessageDeflate | None:
    found = [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]
    return found[0] if found else None


def response_extensions(ws):
    return parse_extensions(ws.response.headers.get("Sec-WebSocket-Extensions"))


def exchange_everything(ws) -> None:
    """Korean text, binary, empty, large, and fragmented messages, each echoed."""
    for msg in [KOREAN, "", "a", CHAT, "한" * 50_000]:
        ws.send(msg)
        got = ws.recv(timeout=10)
        assert isinstance(got, str) and got == msg
    for msg in [bytes(range(256)) * 4, b"", os.urandom(70_000), b"\x00" * 300_000,
                CHAT.encode() + b"\xff\xfe"]:
        ws.send(msg)
        got = ws.recv(timeout=10)
        assert isinstance(got, bytes) and got == msg
    # Fragmented: websockets sends an iterable as one message in several frames
    # (compressed as one stream, RSV1 on the first frame only).
    ws.send(["안녕", "하세요, ", "조각난 ", "메시지 ", CHAT[:5000]])
    assert ws.recv(timeout=10) == "안녕하세요, 조각난 메시지 " + CHAT[:5000]
    parts = [os.urandom(1000), b"\x00" * 100_000, CHAT.encode()]
    ws.send(parts)
    assert ws.recv(timeout=10) == b"".join(parts)


# --------------------------------------------------------------------------
# Python websockets, compression on and off, both modes
# --------------------------------------------------------------------------

@MODE
@COMPRESSION
def test_python_websockets_echo(start_server, mode, compression):
    srv = start_server(*MODES[mode])
    with open_ws(srv, compression) as ws:
        pmd = agreed_deflate(ws)
        if compression is None:
            assert pmd is None
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None, (
                "server answered with an extension nobody offered")
        else:
            assert pmd is not None, (
                f"deflate offered but not agreed: {ws.response.headers!r}")
            if mode == "shared":
                assert pmd.remote_no_context_takeover, "shared mode: server_no_context_takeover"
                assert pmd.local_no_context_takeover, "shared mode: client_no_context_takeover"
            else:
                assert not pmd.remote_no_context_takeover
                assert not pmd.local_no_context_takeover
        exchange_everything(ws)


@MODE
@pytest.mark.parametrize("offer", [
    pytest.param(dict(client_max_window_bits=True), id="bare-client_max_window_bits"),
    pytest.param(dict(server_max_window_bits=10), id="server_max_window_bits=10"),
    pytest.param(dict(client_max_window_bits=9), id="client_max_window_bits=9"),
    pytest.param(dict(server_no_context_takeover=True, client_no_context_takeover=True),
                 id="no_context_takeover-both"),
    pytest.param(dict(server_max_window_bits=8, client_max_window_bits=9,
                      server_no_context_takeover=True), id="smallest-windows"),
])
def test_python_websockets_offers(start_server, mode, offer):
    """websockets checks the server's answer against its own offer (and fails
    the handshake on a bad one) and then decompresses with the agreed window."""
    srv = start_server(*MODES[mode])
    factory = ClientPerMessageDeflateFactory(compress_settings={"memLevel": 5}, **offer)
    with open_ws(srv, extensions=[factory]) as ws:
        assert agreed_deflate(ws) is not None, ws.response.headers
        exchange_everything(ws)


@pytest.mark.server_args("--threads", "1", "--deflate-shared")
def test_shared_mode_interleaved_clients(server):
    """One loop, one shared compressor: messages of several connections,
    interleaved, must not leak into each other's streams."""
    rng = random.Random(7)
    with contextlib.ExitStack() as stack:
        conns = [stack.enter_context(open_ws(server)) for _ in range(8)]
        for ws in conns:
            assert agreed_deflate(ws) is not None
        for round_ in range(20):
            sent = []
            for i, ws in enumerate(conns):
                msg = f"{round_}:{i} " + CHAT[rng.randrange(len(CHAT) - 3000):][:rng.randrange(1, 3000)]
                ws.send(msg)
                sent.append(msg)
            for ws, msg in zip(conns, sent):
                assert ws.recv(timeout=10) == msg


# --------------------------------------------------------------------------
# Negotiation, seen on the wire
# --------------------------------------------------------------------------

def negotiate(port: int, offer: str | None):
    with RawConn(port) as c:
        headers = [("Sec-WebSocket-Extensions", offer)] if offer is not None else []
        resp = c.handshake("/negotiate", extra_headers=headers)
        return resp, parse_extensions(resp.header("Sec-WebSocket-Extensions"))


def only_pmd(resp, agreed):
    assert len(agreed) == 1, f"expected exactly one extension: {resp!r}"
    name, params = agreed[0]
    assert name == "permessage-deflate", resp
    known = {"server_no_context_takeover", "client_no_context_takeover",
             "server_max_window_bits", "client_max_window_bits"}
    assert set(params) <= known, f"unknown parameter in the answer: {resp!r}"
    for p in ("server_no_context_takeover", "client_no_context_takeover"):
        assert params.get(p, None) is None, f"{p} takes no value: {resp!r}"
    for p in ("server_max_window_bits", "client_max_window_bits"):
        if p in params:
            v = params[p]
            assert v is not None and v.isdigit() and not v.startswith("0") and 8 <= int(v) <= 15, (
                f"{p} needs a value 8..15 in a server's answer: {resp!r}")
    return params


@MODE
def test_negotiate_plain_offer(start_server, mode):
    srv = start_server(*MODES[mode])
    params = only_pmd(*negotiate(srv.port, "permessage-deflate"))
    # The client did not offer client_max_window_bits: the server must not send it.
    assert "client_max_window_bits" not in params
    assert "server_max_window_bits" not in params
    if mode == "shared":
        assert "server_no_context_takeover" in params
        assert "client_no_context_takeover" in params
    else:
        assert "server_no_context_takeover" not in params


@MODE
def test_negotiate_browser_offer(start_server, mode):
    # What Chromium and Node send: the bare client_max_window_bits (no value).
    srv = start_server(*MODES[mode])
    resp, agreed = negotiate(srv.port, "permessage-deflate; client_max_window_bits")
    params = only_pmd(resp, agreed)
    assert "server_max_window_bits" not in params
    if mode == "shared":
        assert {"server_no_context_takeover", "client_no_context_takeover"} <= set(params)


@MODE
def test_negotiate_server_max_window_bits_10(start_server, mode):
    srv = start_server(*MODES[mode])
    resp, agreed = negotiate(srv.port, "permessage-deflate; server_max_window_bits=10")
    params = only_pmd(resp, agreed)
    # RFC 7692 7.1.2.1: the server must answer with a value <= the requested one.
    assert "server_max_window_bits" in params, resp
    assert int(params["server_max_window_bits"]) <= 10, resp


@pytest.mark.parametrize("offer", [
    "permessage-deflate; x-unknown-parameter",
    "permessage-deflate; foo=1",
    "permessage-deflate; server_max_window_bits=16",
    "permessage-deflate; server_max_window_bits=7",
    "permessage-deflate; server_max_window_bits",       # needs a value
    "permessage-deflate; client_max_window_bits=010",   # leading zero
    "permessage-deflate; server_no_context_takeover=1",  # takes no value
    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    "x-webkit-deflate-frame",
])
def test_negotiate_declines_bad_offers(server, offer):
    resp, agreed = negotiate(server.port, offer)
    assert resp.status == 101
    assert resp.header("Sec-WebSocket-Extensions") is None, (
        f"an offer it cannot honour must be declined (no extension header): {resp!r}")


def test_negotiate_falls_back_to_the_next_offer(server):
    resp, agreed = negotiate(server.port,
                             "permessage-deflate; x-unknown, permessage-deflate; "
                             "client_max_window_bits")
    params = only_pmd(resp, agreed)
    assert "client_max_window_bits" in params, (
        f"the second (acceptable) offer should have been taken: {resp!r}")


@pytest.mark.server_args("--no-deflate")
def test_no_deflate_declines(server):
    resp, agreed = negotiate(server.port, "permessage-deflate; client_max_window_bits")
    assert resp.header("Sec-WebSocket-Extensions") is None, resp
    with open_ws(server) as ws:
        assert agreed_deflate(ws) is None
        ws.send(KOREAN)
        assert ws.recv(timeout=5) == KOREAN


# --------------------------------------------------------------------------
# What the server sends, seen on the wire
# --------------------------------------------------------------------------

def deflate_conn(srv, offer="permessage-deflate") -> RawConn:
    c = RawConn(srv.port)
    c.handshake_deflate(offer, "/raw-deflate")
    assert c.deflate is not None, "permessage-deflate was not agreed"
    return c


@MODE
def test_raw_compressed_echo(start_server, mode):
    """Our own compressed frames (with context takeover unless the server said
    client_no_context_takeover) are echoed; the echo comes compressed (RSV1,
    echo's --deflate-min-size is 0) and inflates with a fresh decompressor per
    message when the server announced server_no_context_takeover."""
    srv = start_server(*MODES[mode])
    with deflate_conn(srv) as c:
        for i in range(5):
            c.send_compressed(OP_TEXT, CHAT.encode())
            assert c.read_message() == (OP_TEXT, CHAT.encode())
            assert c.last_message_compressed, f"echo {i} came back uncompressed"
        c.send_compressed(OP_BINARY, b"\x00" * 200_000, fragments=7)
        assert c.read_message() == (OP_BINARY, b"\x00" * 200_000)
        # An uncompressed message (RSV1 clear) is fine on a deflate connection.
        c.send_frame(OP_TEXT, KOREAN.encode())
        assert c.read_message() == (OP_TEXT, KOREAN.encode())
        c.send_compressed(OP_TEXT, b"x")
        assert c.read_message() == (OP_TEXT, b"x")
        assert c.last_message_compressed, "--deflate-min-size is 0 for echo"
        c.send_frame(OP_CLOSE, close_payload(1000))
        assert c.expect_close()[0] == 1000


def test_context_takeover_shrinks_repeats(server):
    # Incompressible on its own, and short enough for the repeat to fall inside
    # a small window (zlib reaches back 2^bits - 262 bytes).
    block = os.urandom(1500)
    with deflate_conn(server) as c:
        sizes = []
        for _ in range(2):
            c.send_compressed(OP_BINARY, block)
            fin, rsv, op, payload = c.read_raw_frame()
            assert fin and rsv == RSV1 and op == OP_BINARY
            assert c.deflate.decompress(payload) == block
            sizes.append(len(payload))
    assert sizes[1] < sizes[0] // 4, (
        f"per-connection mode should keep its context: {sizes[0]} then {sizes[1]} bytes")


@pytest.mark.parametrize("bits", [10, 9])
def test_server_max_window_bits_is_honoured(server, bits):
    # A random 2000-byte block twice: a matcher with a window above 2^bits
    # would refer back 2000 bytes; an inflater with a 2^bits window refuses that.
    block = os.urandom(2000)
    with deflate_conn(server, f"permessage-deflate; server_max_window_bits={bits}") as c:
        c.send_compressed(OP_BINARY, block + block)
        fin, rsv, op, payload = c.read_raw_frame()
        assert rsv == RSV1
        d = zlib.decompressobj(-bits)
        try:
            got = d.decompress(payload + b"\x00\x00\xff\xff")
        except zlib.error as e:
            pytest.fail(f"server compressed with a window larger than 2^{bits}: {e}")
        assert got == block + block


@pytest.mark.server_args("--deflate-min-size", "100")
def test_min_size_threshold(server):
    with deflate_conn(server) as c:
        for size, compressed in [(1, False), (99, False), (100, True), (5000, True)]:
            data = b"z" * size
            c.send_compressed(OP_BINARY, data)
            assert c.read_message() == (OP_BINARY, data)
            assert c.last_message_compressed == compressed, (
                f"{size}-byte message came back {'compressed' if c.last_message_compressed else 'plain'} "
                "with --deflate-min-size 100")


@pytest.mark.server_args("--max-message-size", str(4 * MIB))
def test_messages_over_1_mib_go_uncompressed(server):
    with deflate_conn(server) as c:
        for size, compressed in [(MIB, True), (MIB + 1, False), (3 * MIB, False)]:
            data = b"\x00" * size
            c.send_compressed(OP_BINARY, data)
            assert c.read_message(timeout=20) == (OP_BINARY, data)
            assert c.last_message_compressed == compressed, (
                f"{size}-byte message came back "
                f"{'compressed' if c.last_message_compressed else 'uncompressed'}")


# --------------------------------------------------------------------------
# Bad compressed input
# --------------------------------------------------------------------------

def vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/PID/status")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """100 MiB of zeros, deflated (about 100 KB)."""
    return deflate_payload(b"\x00" * (100 * MIB), level=9)


@MODE
@pytest.mark.parametrize("fragments", [1, 10])
def test_compression_bomb_gets_1009(start_server, mode, fragments, bomb):
    srv = start_server("--max-message-size", str(MIB), *MODES[mode])
    assert len(bomb) < 200_000, "100 MiB of zeros should compress to ~100 KB"
    hwm_before = vm_hwm_kib(srv.pid)
    with deflate_conn(srv) as c:
        start = time.monotonic()
        step = -(-len(bomb) // fragments)
        chunks = [bomb[i:i + step] for i in range(0, len(bomb), step)]
        try:
            for i, chunk in enumerate(chunks):
                c.send_frame(OP_BINARY if i == 0 else OP_CONT, chunk,
                             fin=i == len(chunks) - 1, rsv=RSV1 if i == 0 else 0)
        except OSError:
            pass  # the server may close before it has read every fragment
        code, reason = c.expect_close(timeout=5)
        took = time.monotonic() - start
        assert code == 1009, f"compression bomb got close {code} {reason!r}"
        assert took < 3.0, f"1009 took {took:.2f}s"
        c.reply_close_and_wait(1009)
    grew_mib = (vm_hwm_kib(srv.pid) - hwm_before) / 1024
    assert grew_mib < 32, (
        f"server peak memory grew by {grew_mib:.0f} MiB on a 100 MiB bomb "
        "(inflate is not bounded by --max-message-size)")
    # A fresh compressed client is served normally afterwards (the shared
    # decompressor, if any, was reset).
    with open_ws(srv) as ws:
        assert agreed_deflate(ws) is not None
        ws.send(CHAT)
        assert ws.recv(timeout=5) == CHAT


@MODE
def test_bomb_just_under_the_limit_is_echoed(start_server, mode):
    srv = start_server("--max-message-size", str(MIB), *MODES[mode])
    with deflate_conn(srv) as c:
        data = b"\x00" * MIB
        c.send_frame(OP_BINARY, deflate_payload(data, level=9), rsv=RSV1)
        assert c.read_message(timeout=10) == (OP_BINARY, data)


def test_rsv1_without_negotiation_gets_1002(server):
    with RawConn(server.port) as c:
        c.handshake("/no-deflate")  # nothing offered
        c.send_frame(OP_TEXT, deflate_payload(KOREAN.encode()), rsv=RSV1)
        code, _ = c.expect_close()
        assert code == 1002
        c.reply_close_and_wait(1002)


@pytest.mark.server_args("--no-deflate")
def test_rsv1_when_deflate_declined_gets_1002(server):
    with RawConn(server.port) as c:
        resp = c.handshake_deflate("permessage-deflate")
        assert resp.header("Sec-WebSocket-Extensions") is None
        c.send_frame(OP_BINARY, deflate_payload(b"hello hello"), rsv=RSV1)
        code, _ = c.expect_close()
        assert code == 1002
        c.reply_close_and_wait(1002)


@MODE
@pytest.mark.parametrize("where", ["continuation", "ping", "rsv2", "rsv3"])
def test_misplaced_rsv_bits_get_1002(start_server, mode, where):
    # RFC 7692 6.1: RSV1 only on the first frame of a data message; RSV2/RSV3
    # are not defined by permessage-deflate.
    srv = start_server(*MODES[mode])
    payload = deflate_payload(CHAT.encode())
    with deflate_conn(srv) as c:
        if where == "continuation":
            c.send_frame(OP_TEXT, payload[:10], fin=False, rsv=RSV1)
            c.send_frame(OP_CONT, payload[10:], fin=True, rsv=RSV1)
        elif where == "ping":
            c.send_frame(OP_PING, b"ping", rsv=RSV1)
        else:
            c.send_frame(OP_TEXT, payload, rsv=RSV1 | (2 if where == "rsv2" else 1))
        code, _ = c.expect_close()
        assert code == 1002
        c.reply_close_and_wait(1002)


def _fixed_huffman_far_reference() -> bytes:
    """A fixed-Huffman block: literal 'a', then <length 3, distance 32768>
    while far less history exists, even with context takeover from one short
    earlier message (zlib: "invalid distance too far back")."""
    bits = [0, 1, 0]                                 # BFINAL=0, BTYPE=01, LSB first
    bits += [int(b) for b in f"{0x30 + ord('a'):08b}"]  # literal: 8-bit code, MSB first
    bits += [int(b) for b in f"{257 - 256:07b}"]      # length code 257: length 3
    bits += [int(b) for b in f"{29:05b}"]             # distance code 29: 24577 + 13 bits
    bits += [1] * 13                                 # extra bits 8191: distance 32768
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(b << j for j, b in enumerate(bits[i:i + 8]))
                 for i in range(0, len(bits), 8))


CORRUPT = {
    # BTYPE 11 (reserved) in the first block header.
    "reserved-block-type": b"\xff\xff\xff\xff\xff\xff",
    # A stored block whose LEN and NLEN do not match.
    "stored-len-mismatch": b"\x00\x05\x00\x00\x00hello",
    # A back-reference before the start of the stream.
    "distance-too-far": _fixed_huffman_far_reference(),
}


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_corrupt_inputs_are_corrupt(kind):
    """The test data itself: Python's zlib refuses each of them."""
    with pytest.raises(zlib.error):
        zlib.decompressobj(-15).decompress(CORRUPT[kind] + b"\x00\x00\xff\xff")


@MODE
@pytest.mark.parametrize("kind", list(CORRUPT))
@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
def test_corrupt_deflate_gets_1007(start_server, mode, kind, opcode):
    srv = start_server("--threads", "1", *MODES[mode])
    # A well-behaved neighbour on the same loop (and, in shared mode, the same
    # decompressor) before and after the bad one.
    with open_ws(srv) as good, deflate_conn(srv) as c:
        good.send(CHAT)
        assert good.recv(timeout=5) == CHAT
        c.send_compressed(opcode, b"a good message first " * 10)
        assert c.read_message()[1] == b"a good message first " * 10
        c.send_frame(opcode, CORRUPT[kind], rsv=RSV1)
        code, reason = c.expect_close()
        assert code == 1007, f"corrupt deflate data ({kind}) got close {code} {reason!r}"
        c.reply_close_and_wait(1007)
        good.send(CHAT)
        assert good.recv(timeout=5) == CHAT
        good.send(b"\x00" * 50_000)
        assert good.recv(timeout=5) == b"\x00" * 50_000


def test_compressed_invalid_utf8_gets_1007(server):
    with deflate_conn(server) as c:
        c.send_frame(OP_TEXT, deflate_payload("가나".encode() + b"\xff\xfe"), rsv=RSV1)
        code, _ = c.expect_close()
        assert code == 1007
        c.reply_close_and_wait(1007)
