"""Start and stop a `switchboard echo` process for the interop tests and the
Autobahn runner.

The binary is $SWITCHBOARD_BIN, or `.build/release/switchboard` relative to the
repository root. The server is started on a free loopback port, we wait for
its "listening on 127.0.0.1:PORT" line (and a TCP connect), and it is stopped
by its PID (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def switchboard_bin() -> Path:
    env = os.environ.get("SWITCHBOARD_BIN")
    path = Path(env) if env else Path(".build/release/switchboard")
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tcp_connectable(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ServerError(RuntimeError):
    pass


class EchoServer:
    """One `switchboard echo` process on a free port."""

    def __init__(self, extra_args: list[str] | tuple[str, ...] = (), *,
                 log_path: Path | None = None, startup_timeout: float = 20.0,
                 client_ssl=None):
        self.extra_args = [str(a) for a in extra_args]
        # An ssl.SSLContext that trusts the server's certificate when it serves
        # wss:// (--tls-cert/--tls-key); None for plain ws://.
        self.client_ssl = client_ssl
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self._log = None
        self.stopped_by_us = False

    # ---- properties -------------------------------------------------------
    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def scheme(self) -> str:
        return "wss" if self.client_ssl is not None else "ws"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{HOST}:{self.port}/"

    def printed_listening_line(self, timeout: float = 0.0) -> bool:
        return self._ready.wait(timeout)

    def output(self) -> str:
        return "".join(self._lines)

    def output_tail(self, n: int = 40) -> str:
        return "".join(self._lines[-n:])

    def wait_for_output(self, needle: str, timeout: float, start_line: int = 0) -> str | None:
        """The first output line (from line `start_line` on) containing `needle`,
        waiting up to `timeout` seconds for it; None if it does not appear."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self._lines[start_line:]:
                if needle in line:
                    return line
            if time.monotonic() >= deadline or not self.alive():
                return None
            time.sleep(0.05)

    def output_line_count(self) -> int:
        return len(self._lines)

    # ---- start ------------------------------------------------------------
    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        needle = f"listening on {HOST}:{self.port}"
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            self._lines.append(line)
            if self._log is not None:
                try:
                    self._log.write(line)
                    self._log.flush()
                except ValueError:  # log closed at teardown
                    pass
            if needle in line:
                self._ready.set()

    def start(self, attempts: int = 3) -> "EchoServer":
        binary = switchboard_bin()
        if not binary.exists():
            raise ServerError(
                f"switchboard binary not found at {binary} "
                "(build it with `swift build -c release --product switchboard` "
                "or set SWITCHBOARD_BIN)")
        last_error = ""
        for _ in range(attempts):
            self.port = free_port()
            cmd = [str(binary), "echo", "--port", str(self.port), "--host", HOST,
                   *self.extra_args]
            self._lines = []
            self._ready.clear()
            if self.log_path is not None and self._log is None:
                self._log = open(self.log_path, "a", encoding="utf-8")
            if self._log is not None:
                self._log.write(f"$ {' '.join(cmd)}\n")
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=REPO_ROOT)
            self._reader = threading.Thread(target=self._pump, daemon=True)
            self._reader.start()
            deadline = time.monotonic() + self.startup_timeout
            connectable_since = None
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if connectable_since is None and tcp_connectable(HOST, self.port):
                    connectable_since = time.monotonic()
                if connectable_since is not None:
                    if self._ready.is_set():
                        return self
                    # Accepting connections but no "listening on" line (yet):
                    # perhaps stdout is block-buffered into our pipe. Go on
                    # after a grace period; test_prints_listening_line fails.
                    if time.monotonic() - connectable_since > 2.0:
                        return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                # Printed nothing in time (or not connectable): give up on it.
                self._kill()
                raise ServerError(
                    f"server did not report 'listening on {HOST}:{self.port}' and "
                    f"accept connections within {self.startup_timeout}s\n"
                    f"output:\n{self.output_tail()}")
            self._reader.join(timeout=2)
            last_error = (f"server exited with {self.proc.returncode} during start-up"
                          f"\noutput:\n{self.output_tail()}")
            # Possibly lost a race for the port: try another one.
        raise ServerError(last_error)

    # ---- stop -------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        """Send `sig` to the server by PID (a test stopping it on purpose)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.stopped_by_us = True
            os.kill(self.proc.pid, sig)

    def wait(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, grace: float = 10.0) -> list[str]:
        """Stop the server by PID; return a list of problems (empty = clean).

        Problems: it had already exited (crashed) before we stopped it, it
        exited non-zero on SIGTERM, or it ignored SIGTERM for `grace` seconds.
        """
        problems: list[str] = []
        if self.proc is None:
            return problems
        rc = self.proc.poll()
        if rc is not None and not self.stopped_by_us:
            problems.append(f"server (pid {self.proc.pid}) exited on its own with "
                            f"status {rc} before teardown")
        elif rc is not None and rc != 0:
            problems.append(f"server (pid {self.proc.pid}) exited with status {rc} "
                            "after being signalled (expected 0)")
        elif rc is None:
            self.stopped_by_us = True
            os.kill(self.proc.pid, signal.SIGTERM)
            rc = self.wait(grace)
            if rc is None:
                problems.append(f"server (pid {self.proc.pid}) still running {grace}s "
                                "after SIGTERM; killed")
                self._kill()
                rc = self.proc.returncode
            elif rc != 0:
                problems.append(f"server (pid {self.proc.pid}) exited with status {rc} "
                                "after SIGTERM (expected 0)")
        self.returncode = rc
        if self._reader is not None:
            self._reader.join(timeout=2)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        return problems
