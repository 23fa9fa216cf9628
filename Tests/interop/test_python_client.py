"""A real client nobody here wrote: Python `websockets` against `switchboard echo`.

Each test runs with and without permessage-deflate offered (the server may or
may not accept it; the echo must be right either way).
"""

from __future__ import annotations

import contextlib
import os

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

KOREAN = "안녕하세요! 배송이 언제 오나요? 주문번호 2024-0001, 상품명: 무선 이어폰 🎧"

COMPRESSION = pytest.mark.parametrize("compression", ["deflate", None],
                                      ids=["deflate-offered", "no-compression"])


def open_ws(server, path="/", compression="deflate", max_size=2**20):
    return connect(f"ws://127.0.0.1:{server.port}{path}", open_timeout=5,
                   close_timeout=5, compression=compression, max_size=max_size,
                   ping_interval=None)


def test_prints_listening_line(server):
    # The harness also starts on a successful TCP connect, so check the line
    # itself here (stdout into a pipe is block-buffered unless flushed).
    assert server.printed_listening_line(timeout=2), (
        f"no 'listening on 127.0.0.1:{server.port}' line on stdout; got:\n"
        f"{server.output_tail()}")


@COMPRESSION
@pytest.mark.parametrize("path", ["/", "/echo", "/any/path?x=1&y=%ED%95%9C"])
def test_text_ascii_and_korean(server, compression, path):
    with open_ws(server, path, compression) as ws:
        for msg in ["hello", "", KOREAN, "한" * 10_000, "mixed 한글 and ASCII\n\t\u00e9"]:
            ws.send(msg)
            got = ws.recv(timeout=10)
            assert isinstance(got, str), "text must be echoed as text"
            assert got == msg


@COMPRESSION
def test_binary(server, compression):
    with open_ws(server, compression=compression) as ws:
        for msg in [b"", bytes(range(256)), os.urandom(125), os.urandom(126),
                    os.urandom(65535), os.urandom(65536), KOREAN.encode() + b"\xff"]:
            ws.send(msg)
            got = ws.recv(timeout=10)
            assert isinstance(got, bytes), "binary must be echoed as binary"
            assert got == msg


@COMPRESSION
def test_fragmented_messages(server, compression):
    with open_ws(server, compression=compression) as ws:
        # An iterable is sent as one message in several frames.
        ws.send(["안녕", "하세요", ", ", "fragmented ", "world"])
        assert ws.recv(timeout=10) == "안녕하세요, fragmented world"
        ws.send([b"\x00" * 10, b"\x01" * 1000, b"\x02" * 70000])
        assert ws.recv(timeout=10) == b"\x00" * 10 + b"\x01" * 1000 + b"\x02" * 70000
        # Many tiny fragments.
        parts = [f"{i:03d}|" for i in range(300)]
        ws.send(parts)
        assert ws.recv(timeout=10) == "".join(parts)


@COMPRESSION
def test_16_mib_messages(server, compression):
    size = 16 * 1024 * 1024
    with open_ws(server, compression=compression, max_size=size + 1024) as ws:
        blob = os.urandom(size)
        ws.send(blob)
        assert ws.recv(timeout=60) == blob
        text = ("가나다라마바사아자차카타파하 abcdefghij " * (size // 52 + 1))[: size // 3]
        assert len(text.encode()) > 8 * 1024 * 1024
        ws.send(text)
        assert ws.recv(timeout=60) == text


def test_many_messages_in_flight(server):
    with open_ws(server, compression=None) as ws:
        msgs = [f"message {i} 메시지" for i in range(500)]
        for m in msgs:
            ws.send(m)
        assert [ws.recv(timeout=10) for _ in msgs] == msgs


@COMPRESSION
def test_ping_pong(server, compression):
    with open_ws(server, compression=compression) as ws:
        for payload in [b"ping-1", b"", "핑".encode()]:
            pong = ws.ping(payload)
            assert pong.wait(5), "no pong within 5 s"
        # Pings between messages do not disturb the echo.
        ws.send("after ping")
        assert ws.recv(timeout=5) == "after ping"


@COMPRESSION
def test_close_handshake_1000(server, compression):
    with open_ws(server, compression=compression) as ws:
        ws.send("bye")
        assert ws.recv(timeout=5) == "bye"
        ws.close(1000, "done")
        assert ws.close_code == 1000, f"server answered close with {ws.close_code}"
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=1)


def test_many_clients(server):
    with contextlib.ExitStack() as stack:
        conns = [stack.enter_context(open_ws(server, compression=None)) for _ in range(50)]
        for i, ws in enumerate(conns):
            ws.send(f"client {i}")
        for i, ws in enumerate(conns):
            assert ws.recv(timeout=10) == f"client {i}"


@pytest.mark.server_args("--threads", "2")
def test_two_threads(server):
    with contextlib.ExitStack() as stack:
        conns = [stack.enter_context(open_ws(server, compression=None)) for _ in range(20)]
        for round_ in range(5):
            for i, ws in enumerate(conns):
                ws.send(f"{round_}:{i}")
            for i, ws in enumerate(conns):
                assert ws.recv(timeout=10) == f"{round_}:{i}"
