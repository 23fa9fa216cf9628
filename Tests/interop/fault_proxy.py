"""A fault-injecting TCP proxy for the cluster failure tests (issue "Cluster failures"):
one node's link to Redis goes through it, and the test cuts, slows or resets that link
while the other nodes talk to Redis directly. Loopback only; its threads are daemons
and `close()` stops them.

    proxy = FaultProxy(redis.port).start()      # nodes use redis://127.0.0.1:{proxy.port}
    proxy.blackhole()   # a partition: nothing passes either way, connections stay open
    proxy.heal()        # what was held passes on; new connections work again
    proxy.delay(0.05)   # 50 ms added to every byte, each way (a slow link, not a slow one-way pipe)
    proxy.reset()       # every open connection closed with a TCP reset
    proxy.close()

A blackhole holds bytes rather than dropping them: TCP never loses bytes inside a
connection, so a healed link delivers late (or the node has given up on it by then
and reconnected). New connections made during a blackhole are accepted and held the
same way, as a SYN to a partitioned host would be retried until it gets through.
"""

from __future__ import annotations

import collections
import socket
import struct
import threading
import time

from switchboard_proc import HOST


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = HOST):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Condition()
        self.held = False
        self.latency = 0.0
        self.closed = False
        self.connections: list[tuple[socket.socket, socket.socket]] = []
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}"

    def start(self) -> "FaultProxy":
        self.listener.listen(64)
        threading.Thread(target=self._accept, name="fault-proxy-accept", daemon=True).start()
        return self

    # Faults.

    def blackhole(self) -> None:
        with self.lock:
            self.held = True

    def heal(self) -> None:
        with self.lock:
            self.held = False
            self.latency = 0.0
            self.lock.notify_all()

    def delay(self, seconds: float) -> None:
        with self.lock:
            self.latency = seconds
            self.lock.notify_all()

    def reset(self) -> None:
        with self.lock:
            pairs, self.connections = self.connections, []
        for pair in pairs:
            for s in pair:
                _abort(s)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify_all()
        try:
            self.listener.close()
        except OSError:
            pass
        self.reset()

    # Plumbing.

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _abort(client)
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections.append((client, server))
                self.accepted += 1
            for source, sink in ((client, server), (server, client)):
                line: collections.deque = collections.deque()
                threading.Thread(target=self._read, args=(source, sink, line), daemon=True).start()
                threading.Thread(target=self._write, args=(source, sink, line), daemon=True).start()

    def _read(self, source: socket.socket, sink: socket.socket, line: collections.deque) -> None:
        """Bytes from `source` enter the delay line stamped with when they may leave."""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            with self.lock:
                line.append((time.monotonic() + self.latency, data))
                self.lock.notify_all()
            if not data:
                return

    def _write(self, source: socket.socket, sink: socket.socket, line: collections.deque) -> None:
        """Sends what is due, unless the link is held; an empty chunk is the end."""
        while True:
            with self.lock:
                while not self.closed and (not line or self.held or line[0][0] > time.monotonic()):
                    timeout = None if (not line or self.held) else max(0.0, line[0][0] - time.monotonic())
                    self.lock.wait(timeout)
                if self.closed:
                    return
                _, data = line.popleft()
            if not data:
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                sink.sendall(data)
            except OSError:
                _abort(source)
                return


def _abort(s: socket.socket) -> None:
    """Closes with a TCP reset (linger 0), as a crashed peer or a middlebox would."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
