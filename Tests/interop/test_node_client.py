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


def run_node(url: str, *args: str, env: dict[str, str] | None = None):
    cmd = [node_binary(), "--experimental-websocket", str(HERE / "node_echo.mjs"), url, *args]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=90,
                             env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"node client hung: {e}")
    assert res.returncode == 0, (
        f"node client failed ({res.returncode})\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")
    assert "OK" in res.stdout
    return res


@pytest.mark.parametrize("path", ["/", "/chat/ws?lang=ko"])
def test_node_builtin_websocket(server, path):
    run_node(f"ws://127.0.0.1:{server.port}{path}")


# undici offers permessage-deflate by itself (with the bare client_max_window_bits);
# the echo server agrees unless --no-deflate. Messages over 1 MiB (the 16 MiB one)
# come back uncompressed; the rest compressed (echo's --deflate-min-size is 0).
@pytest.mark.parametrize("args,expected", [
    pytest.param((), "permessage-deflate", id="per-connection"),
    pytest.param(("--deflate-shared",), "permessage-deflate", id="shared"),
    pytest.param(("--no-deflate",), "", id="no-deflate"),
])
def test_node_negotiates_permessage_deflate(start_server, args, expected):
    srv = start_server(*args)
    res = run_node(f"ws://127.0.0.1:{srv.port}/deflate", f"--extensions={expected}")
    if expected:
        assert "permessage-deflate" in res.stdout, res.stdout


def test_node_over_wss_with_deflate(start_tls_server, test_ca):
    srv = start_tls_server()
    run_node(f"wss://127.0.0.1:{srv.port}/tls", "--extensions=permessage-deflate",
             env={"NODE_EXTRA_CA_CERTS": str(test_ca.cert_path)})
