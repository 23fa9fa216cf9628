"""A tiny raw WebSocket client for bad-input tests: the HTTP upgrade done by
hand and frames built by hand (RFC 6455), over a plain blocking socket with
deadlines on every read. Loopback only.

permessage-deflate (RFC 7692) by hand too: `RawConn.handshake_deflate()` offers
it and, if the server accepts, `read_message()` inflates RSV1 messages;
`Deflate` compresses with zlib (raw deflate, wbits -15, the trailing
00 00 ff ff stripped) for frames built with `rsv=RSV1`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import time
import zlib

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA

RSV1 = 0x4  # the `rsv` argument of build_frame: RSV1 alone ("compressed", RFC 7692)
DEFLATE_TAIL = b"\x00\x00\xff\xff"


class Closed(Exception):
    """The peer closed the TCP connection (EOF or reset)."""


class ReadTimeout(Exception):
    pass


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def build_frame(opcode: int, payload: bytes = b"", *, fin: bool = True,
                mask: bool = True, rsv: int = 0,
                length: int | None = None) -> bytes:
    """One frame. `length` overrides the declared payload length (to announce
    a large frame and send only its header)."""
    n = len(payload) if length is None else length
    head = bytearray([(0x80 if fin else 0) | (rsv & 0x7) << 4 | (opcode & 0xF)])
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 1 << 16:
        head.append(mbit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    head += key
    return bytes(head) + mask_bytes(payload, key)


def mask_bytes(data: bytes, key: bytes) -> bytes:
    if not data:
        return b""
    n = len(data)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


# ---- permessage-deflate (RFC 7692) ---------------------------------------------

def deflate_payload(data: bytes, level: int = 6) -> bytes:
    """One message compressed on its own (no context takeover): raw deflate,
    sync-flushed, the trailing 00 00 ff ff removed (RFC 7692 section 7.2.1)."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(DEFLATE_TAIL)
    return out[:-4]


def parse_extensions(header: str | None) -> list[tuple[str, dict[str, str | None]]]:
    """`Sec-WebSocket-Extensions` -> [(name, {param: value or None})], lowercased
    names, quotes removed (RFC 6455 section 9.1; no commas inside values)."""
    out = []
    for element in (header or "").split(","):
        parts = [p.strip() for p in element.split(";")]
        if not parts[0]:
            continue
        params: dict[str, str | None] = {}
        for p in parts[1:]:
            k, eq, v = p.partition("=")
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] == '"':
                v = v[1:-1]
            params[k.strip().lower()] = v if eq else None
        out.append((parts[0].lower(), params))
    return out


class Deflate:
    """Both directions of an agreed permessage-deflate, client side."""

    def __init__(self, params: dict[str, str | None]):
        self.params = params
        # Our compressor: reset per message when the server asked for it.
        self.client_no_context_takeover = "client_no_context_takeover" in params
        self.server_no_context_takeover = "server_no_context_takeover" in params
        self._c = None
        self._d = None

    def compress(self, data: bytes) -> bytes:
        if self._c is None or self.client_no_context_takeover:
            bits = int(self.params.get("client_max_window_bits") or 15)
            self._c = zlib.compressobj(6, zlib.DEFLATED, -max(bits, 9))
        out = self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(DEFLATE_TAIL)
        return out[:-4]

    def decompress(self, payload: bytes, max_size: int = 256 << 20) -> bytes:
        if self._d is None or self.server_no_context_takeover:
            self._d = zlib.decompressobj(-15)
        out = self._d.decompress(payload + DEFLATE_TAIL, max_size)
        assert not self._d.unconsumed_tail, f"server message inflates past {max_size} bytes"
        return out


class HTTPResponse:
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]],
                 raw: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.raw = raw

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self) -> str:
        return f"<HTTPResponse {self.status} {self.reason} {self.headers}>"


class RawConn:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.deflate: Deflate | None = None  # set when permessage-deflate was agreed
        self.last_message_compressed = False  # RSV1 on the last read_message()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "RawConn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- bytes ----------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReadTimeout("timed out waiting for data")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            raise ReadTimeout("timed out waiting for data") from None
        except (ConnectionResetError, BrokenPipeError) as e:
            raise Closed(f"connection reset: {e}") from None
        if not chunk:
            raise Closed("EOF")
        self.buf += chunk

    def read_exact(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            self._fill(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def wait_closed(self, timeout: float) -> float:
        """Read (and discard) until the peer closes; return seconds waited.
        Raises ReadTimeout if it is still open after `timeout`."""
        start = time.monotonic()
        deadline = start + timeout
        self.buf.clear()
        while True:
            try:
                self._fill(deadline)
            except Closed:
                return time.monotonic() - start
            self.buf.clear()

    # ---- HTTP -----------------------------------------------------------
    def read_http_response(self, timeout: float = 5.0) -> HTTPResponse:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 64 * 1024:
                raise AssertionError("HTTP response head larger than 64 KiB")
            try:
                self._fill(deadline)
            except Closed as e:
                raise AssertionError(
                    f"connection closed ({e}) before a complete HTTP response; "
                    f"got {bytes(self.buf[:200])!r}") from None
            except ReadTimeout:
                raise AssertionError(
                    f"no complete HTTP response within {timeout}s; "
                    f"got {bytes(self.buf[:200])!r}") from None
        end = self.buf.index(b"\r\n\r\n") + 4
        head = bytes(self.buf[:end])
        del self.buf[:end]
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise AssertionError(f"bad status line: {lines[0]!r}")
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            if not line:
                continue
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        resp = HTTPResponse(status, reason, headers, head)
        # Consume a body announced by Content-Length (bounded), if any.
        cl = resp.header("Content-Length")
        if cl and cl.isdigit() and 0 < int(cl) <= 1 << 20:
            try:
                self.read_exact(int(cl), deadline)
            except (Closed, ReadTimeout):
                pass
        return resp

    def handshake(self, path: str = "/", *, extra_headers: list[tuple[str, str]] = (),
                  timeout: float = 5.0) -> HTTPResponse:
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\n"
               f"Host: 127.0.0.1\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n")
        for k, v in extra_headers:
            req += f"{k}: {v}\r\n"
        req += "\r\n"
        self.send(req.encode())
        resp = self.read_http_response(timeout)
        assert resp.status == 101, f"upgrade refused: {resp!r}"
        assert (resp.header("Upgrade") or "").lower() == "websocket", resp
        assert "upgrade" in (resp.header("Connection") or "").lower(), resp
        assert resp.header("Sec-WebSocket-Accept") == accept_key(key), resp
        return resp

    def handshake_deflate(self, offer: str = "permessage-deflate", path: str = "/",
                          timeout: float = 5.0) -> HTTPResponse:
        """Upgrade offering `offer` in Sec-WebSocket-Extensions; if the server
        agrees to permessage-deflate, self.deflate handles RSV1 messages."""
        resp = self.handshake(path, extra_headers=[("Sec-WebSocket-Extensions", offer)],
                              timeout=timeout)
        agreed = parse_extensions(resp.header("Sec-WebSocket-Extensions"))
        assert len(agreed) <= 1, f"server accepted more than one extension: {resp!r}"
        if agreed:
            name, params = agreed[0]
            assert name == "permessage-deflate", f"server agreed to {name!r}, never offered"
            self.deflate = Deflate(params)
        return resp

    # ---- frames ---------------------------------------------------------
    def send_frame(self, opcode: int, payload: bytes = b"", **kw) -> None:
        self.send(build_frame(opcode, payload, **kw))

    def send_compressed(self, opcode: int, data: bytes, fragments: int = 1) -> None:
        """One message through the agreed deflate: RSV1 on its first frame only,
        the compressed bytes split over `fragments` frames."""
        assert self.deflate is not None, "permessage-deflate was not agreed"
        payload = self.deflate.compress(data)
        step = max(1, -(-len(payload) // fragments))
        chunks = [payload[i:i + step] for i in range(0, len(payload), step)] or [b""]
        for i, chunk in enumerate(chunks):
            self.send_frame(opcode if i == 0 else OP_CONT, chunk,
                            fin=i == len(chunks) - 1, rsv=RSV1 if i == 0 else 0)

    def read_raw_frame(self, timeout: float = 5.0) -> tuple[bool, int, int, bytes]:
        """(fin, rsv, opcode, payload) of the next server frame (unmasked)."""
        deadline = time.monotonic() + timeout
        b0, b1 = self.read_exact(2, deadline)
        fin, rsv, opcode = bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF
        assert not b1 & 0x80, "server sent a masked frame"
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self.read_exact(2, deadline))
        elif n == 127:
            (n,) = struct.unpack("!Q", self.read_exact(8, deadline))
        return fin, rsv, opcode, self.read_exact(n, deadline)

    def read_frame(self, timeout: float = 5.0) -> tuple[bool, int, bytes]:
        """(fin, opcode, payload) of the next server frame. Server frames must
        be unmasked and carry no RSV bits (RSV1 is allowed on the first frame
        of a data message once permessage-deflate is agreed: read_message)."""
        fin, rsv, opcode, payload = self.read_raw_frame(timeout)
        assert rsv == 0, f"server set RSV bits {rsv:#x} without an extension"
        return fin, opcode, payload

    def read_message(self, timeout: float = 10.0) -> tuple[int, bytes]:
        """Next data message, inflated if it came compressed (answers no pings;
        fails on a close frame)."""
        deadline = time.monotonic() + timeout
        opcode, parts, compressed = None, [], False
        while True:
            fin, rsv, op, payload = self.read_raw_frame(max(0.0, deadline - time.monotonic()))
            if op == OP_CLOSE:
                raise AssertionError(f"got close frame {parse_close(payload)} "
                                     "while waiting for a message")
            if rsv and (self.deflate is None or rsv != RSV1 or op not in (OP_TEXT, OP_BINARY)):
                raise AssertionError(
                    f"server set RSV bits {rsv:#x} on an opcode {op} frame "
                    f"(permessage-deflate {'agreed' if self.deflate else 'not agreed'}; "
                    "RSV1 belongs on the first frame of a data message only)")
            if op in (OP_PING, OP_PONG):
                continue
            if opcode is None:
                assert op in (OP_TEXT, OP_BINARY), f"unexpected opcode {op}"
                opcode, compressed = op, bool(rsv)
            else:
                assert op == OP_CONT, f"expected continuation, got opcode {op}"
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                self.last_message_compressed = compressed
                if compressed:
                    data = self.deflate.decompress(data)
                return opcode, data

    def expect_close(self, timeout: float = 5.0) -> tuple[int | None, str]:
        """Read frames until a close frame; return (code, reason). Data frames
        before it are skipped. Fails if the TCP connection ends first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                fin, op, payload = self.read_frame(max(0.0, deadline - time.monotonic()))
            except Closed as e:
                raise AssertionError(f"TCP connection closed without a close frame ({e})")
            except ReadTimeout:
                raise AssertionError(f"no close frame within {timeout}s") from None
            if op == OP_CLOSE:
                return parse_close(payload)

    def reply_close_and_wait(self, code: int = 1000, timeout: float = 5.0) -> None:
        """Answer the server's close frame and wait until it drops TCP."""
        try:
            self.send_frame(OP_CLOSE, close_payload(code))
        except OSError:
            return  # already gone: fine
        try:
            self.wait_closed(timeout)
        except ReadTimeout:
            raise AssertionError(
                f"server did not close the TCP connection within {timeout}s "
                "after the closing handshake") from None


def parse_close(payload: bytes) -> tuple[int | None, str]:
    if len(payload) < 2:
        return None, ""
    (code,) = struct.unpack("!H", payload[:2])
    return code, payload[2:].decode("utf-8", "replace")
