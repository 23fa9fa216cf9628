"""A real `redis-server` (Debian's package; scripts/setup.sh installs it) for the
cluster tests: a free loopback port, its own directory, AOF on with
`appendfsync always` (so a SIGKILL loses nothing Redis acknowledged), stopped by PID.

    redis = RedisServer(tmp_path / "redis"); redis.start()
    redis.kill(); redis.start()          # a crash and a restart on the same port
    redis.command("GET", "switchboard:lease")
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from switchboard_proc import HOST, free_port, tcp_connectable


class RedisError(Exception):
    pass


def redis_server_bin() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise RedisError("redis-server is not installed: run `bash scripts/setup.sh` (Debian package redis-server)")
    return path


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None, appendfsync: str = "always"):
        self.directory = directory
        self.port = port or free_port()
        self.appendfsync = appendfsync
        self.proc: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}"

    def start(self, timeout: float = 10.0) -> "RedisServer":
        log = open(self.directory / "redis.log", "a", encoding="utf-8")
        self.proc = subprocess.Popen(
            [redis_server_bin(), "--port", str(self.port), "--bind", HOST, "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "", "--daemonize", "no",
             "--protected-mode", "no", "--loglevel", "notice"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RedisError(f"redis-server exited with {self.proc.returncode}; see {self.directory / 'redis.log'}")
            if tcp_connectable(HOST, self.port) and self.ping():
                return self
            time.sleep(0.05)
        self.kill()
        raise RedisError(f"redis-server on port {self.port} did not come up in {timeout}s")

    def ping(self) -> bool:
        try:
            return self.command("PING") == "PONG"
        except (OSError, RedisError):   # e.g. LOADING: replaying its AOF after a restart
            return False

    def command(self, *args: str):
        """One command over a fresh connection; the reply decoded (RESP2, enough for tests)."""
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
            s.sendall(request.encode())
            reader = s.makefile("rb")
            return _read_reply(reader)

    def kill(self) -> None:
        """SIGKILL by PID and reap."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def _read_reply(reader):
    line = reader.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = reader.read(n + 2)[:n]
        return data.decode("utf-8", "replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(reader) for _ in range(n)]
    raise RedisError(f"unexpected reply {line!r}")
