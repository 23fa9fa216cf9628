"""The release tarball (issue 17): `scripts/package.sh` builds the broker with the Swift
runtime linked statically and packs dist/switchboard-VERSION-linux-x86_64.tar.gz with
the example configuration, a systemd unit (checked by the script with
`systemd-analyze verify`) and a README. Unpacked in a clean directory with an empty
environment, the binary says its version and serves.

    .venv/bin/python -m pytest -q Tests/interop/test_package.py

The script builds in its own scratch directory (.build-static): a few minutes the first
time, seconds afterwards.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
import time
import urllib.request

from switchboard_proc import HOST, REPO_ROOT, free_port, tcp_connectable

VERSION = re.search(r'static let version = "([^"]+)"',
                    (REPO_ROOT / "Sources/ChatServer/BuildInfo.swift").read_text(encoding="utf-8")).group(1)
NAME = f"switchboard-{VERSION}-linux-x86_64"


def test_the_tarball_runs_from_a_clean_directory(tmp_path):
    built = subprocess.run(["bash", "scripts/package.sh"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "systemd-analyze verify: switchboard.service ok" in built.stdout, built.stdout
    tarball = REPO_ROOT / "dist" / f"{NAME}.tar.gz"
    with tarfile.open(tarball) as t:
        names = sorted(t.getnames())
        t.extractall(tmp_path, filter="data")
    assert names == [NAME, f"{NAME}/README.md", f"{NAME}/switchboard", f"{NAME}/switchboard.service",
                     f"{NAME}/switchboard.toml"]
    home = tmp_path / NAME
    binary = home / "switchboard"
    assert "libswift" not in subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    version = subprocess.run(["./switchboard", "--version"], cwd=home, env={}, capture_output=True, text=True, timeout=20)
    assert version.returncode == 0 and version.stdout.strip() == VERSION, version
    assert VERSION in (home / "README.md").read_text(encoding="utf-8")
    assert "ExecStart=/opt/switchboard/switchboard serve" in (home / "switchboard.service").read_text(encoding="utf-8")

    # It serves, with the web pages built in, from the unpacked directory.
    port = free_port()
    proc = subprocess.Popen(["./switchboard", "serve", "--port", str(port), "--data-dir", "data"], cwd=home, env={},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not tcp_connectable(HOST, port):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        for path in ("/healthz", "/console"):
            with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as r:
                assert r.status == 200, path
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
    assert (home / "data" / "staff.toml").exists()
