"""A real client nobody here wrote: Node 20's built-in WebSocket (undici)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def node_binary() -> str:
    for cand in (os.environ.get("NODE"), "/usr/bin/node", shutil.which("node")):
        if cand and Path(cand).exists():
            return cand
    pytest.fail("node (20) not found: expected /usr/bin/node", pytrace=False)


@pytest.mark.parametrize("path", ["/", "/chat/ws?lang=ko"])
def test_node_builtin_websocket(server, path):
    cmd = [node_binary(), "--experimental-websocket", str(HERE / "node_echo.mjs"),
           f"ws://127.0.0.1:{server.port}{path}"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"node client hung: {e}")
    assert res.returncode == 0, (
        f"node client failed ({res.returncode})\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")
    assert "OK" in res.stdout
