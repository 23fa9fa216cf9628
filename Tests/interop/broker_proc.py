"""Start and stop a `switchboard serve` process (the chat broker) for the broker
interop tests, with a configuration file written for the test.

Like `switchboard_proc.EchoServer` (which it extends): a free loopback port, wait
for the "listening on 127.0.0.1:PORT" line, stop by PID with SIGTERM.
Staff secrets are hashed here with Python's hashlib (PBKDF2-HMAC-SHA256), in the
broker's `pbkdf2-sha256$ITERATIONS$SALT$HASH` form, so the tests also check that
the two implementations agree.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import threading
import time
from pathlib import Path

from switchboard_proc import (HOST, REPO_ROOT, EchoServer, ServerError, free_port,
                              switchboard_bin, tcp_connectable)

SUBPROTOCOL = "switchboard.v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hash_secret(secret: str, iterations: int = 1000) -> str:
    """The configuration-file form of a secret (what `switchboard hash-secret` prints)."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations, 32)
    return f"pbkdf2-sha256${iterations}${b64url(salt)}${b64url(digest)}"


def toml_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def broker_config(*, agents=(), supervisors=(), extra: str = "") -> str:
    """A TOML configuration: `agents` are dicts with handle, name, secret and optional
    skills / chat_capacity; `supervisors` dicts with login, name, secret. Either may
    give `iterations` for its hash (default 1000, the least the broker accepts)."""
    lines = [extra]
    for a in agents:
        lines.append("[[agents]]")
        lines.append(f"handle = {toml_string(a['handle'])}")
        lines.append(f"name = {toml_string(a.get('name', a['handle']))}")
        if "skills" in a:
            lines.append("skills = [" + ", ".join(toml_string(s) for s in a["skills"]) + "]")
        if "chat_capacity" in a:
            lines.append(f"chat_capacity = {a['chat_capacity']}")
        lines.append(f"secret = {toml_string(hash_secret(a['secret'], a.get('iterations', 1000)))}")
    for s in supervisors:
        lines.append("[[supervisors]]")
        lines.append(f"login = {toml_string(s['login'])}")
        lines.append(f"name = {toml_string(s.get('name', s['login']))}")
        lines.append(f"secret = {toml_string(hash_secret(s['secret'], s.get('iterations', 1000)))}")
    return "\n".join(lines) + "\n"


class BrokerServer(EchoServer):
    """One `switchboard serve --config FILE` process on a free port."""

    def __init__(self, config_path: Path, extra_args=(), **kwargs):
        super().__init__(list(extra_args), **kwargs)
        self.config_path = config_path

    def ws_url(self, role: str) -> str:
        return f"ws://{HOST}:{self.port}/v1/ws/{role}"

    def http_url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def start(self, attempts: int = 3) -> "BrokerServer":
        binary = switchboard_bin()
        if not binary.exists():
            raise ServerError(f"switchboard binary not found at {binary} (build it or set SWITCHBOARD_BIN)")
        last_error = ""
        for _ in range(attempts):
            self.port = free_port()
            cmd = [str(binary), "serve", "--port", str(self.port), "--host", HOST,
                   "--config", str(self.config_path),
                   "--data-dir", str(self.config_path.parent / "data"), *self.extra_args]
            self._lines = []
            self._ready.clear()
            if self.log_path is not None and self._log is None:
                self._log = open(self.log_path, "a", encoding="utf-8")
            if self._log is not None:
                self._log.write(f"$ {' '.join(cmd)}\n")
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, cwd=REPO_ROOT)
            self._reader = threading.Thread(target=self._pump, daemon=True)
            self._reader.start()
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self._ready.is_set() and tcp_connectable(HOST, self.port):
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                self._kill()
                raise ServerError(f"broker did not report 'listening on {HOST}:{self.port}' in time\n"
                                  f"output:\n{self.output_tail()}")
            self._reader.join(timeout=2)
            last_error = f"broker exited with {self.proc.returncode} during start-up\noutput:\n{self.output_tail()}"
        raise ServerError(last_error)


def run_serve_expecting_failure(config_path: Path, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """`switchboard serve --config FILE` that must refuse to start: its exit and output."""
    return subprocess.run([str(switchboard_bin()), "serve", "--port", "0", "--host", HOST,
                           "--config", str(config_path), "--data-dir", str(config_path.parent / "data")],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
