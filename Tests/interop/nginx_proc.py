"""nginx (Debian's package) in front of broker nodes, from docs/nginx-cluster.conf with
its ports swapped for the test's: a free listening port and the nodes' ports. Runs in
the foreground under a prefix directory of its own; stopped by PID.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from switchboard_proc import HOST, REPO_ROOT, free_port, tcp_connectable

DOCUMENTED = REPO_ROOT / "docs" / "nginx-cluster.conf"


class NginxError(Exception):
    pass


def nginx_bin() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if path is None:
        raise NginxError("nginx is not installed: run `bash scripts/setup.sh` (Debian package nginx)")
    return path


def config_for(listen: int, upstreams: list[int]) -> str:
    """The documented file with the test's ports; everything else as written."""
    text = DOCUMENTED.read_text(encoding="utf-8")
    pattern = re.compile(r"^(\s*server )127\.0\.0\.1:\d+([^\n]*)\n", flags=re.M)
    servers = pattern.findall(text)
    assert len(servers) == 3, "docs/nginx-cluster.conf should list three upstream nodes"
    indent, options = servers[0]
    text = pattern.sub("", text)
    lines = "".join(f"{indent}127.0.0.1:{port}{options}\n" for port in upstreams)
    text = text.replace("upstream switchboard {\n", "upstream switchboard {\n" + lines, 1)
    text, listens = re.subn(r"^(\s*)listen 8080;", rf"\g<1>listen {HOST}:{listen};", text, flags=re.M)
    assert listens == 1, "docs/nginx-cluster.conf should listen on 8080"
    return text


class Nginx:
    def __init__(self, directory: Path, upstreams: list[int]):
        self.directory = directory
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "logs").mkdir(exist_ok=True)
        self.config = directory / "nginx.conf"
        self.config.write_text(config_for(self.port, upstreams), encoding="utf-8")
        self.proc: subprocess.Popen | None = None

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def ws_url(self, role: str) -> str:
        return f"ws://{HOST}:{self.port}/v1/ws/{role}"

    def start(self, timeout: float = 10.0) -> "Nginx":
        log = open(self.directory / "nginx.log", "a", encoding="utf-8")
        self.proc = subprocess.Popen(
            [nginx_bin(), "-p", str(self.directory), "-c", str(self.config), "-e", str(self.directory / "logs" / "error.log"),
             "-g", f"daemon off; pid {self.directory / 'nginx.pid'};"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NginxError(f"nginx exited with {self.proc.returncode}: "
                                 f"{(self.directory / 'nginx.log').read_text()}"
                                 f"{(self.directory / 'logs' / 'error.log').read_text() if (self.directory / 'logs' / 'error.log').exists() else ''}")
            if tcp_connectable(HOST, self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise NginxError(f"nginx did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
