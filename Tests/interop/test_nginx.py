"""nginx in front of three cluster nodes, with the documented docs/nginx-cluster.conf
(only its ports changed): nginx accepts the file, requests reach every node, chat
WebSockets upgrade through it with the subprotocol, and a dead node is skipped.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request

from nginx_proc import Nginx, config_for, nginx_bin
from test_broker import SUBPROTOCOL
from test_cluster import cluster  # noqa: F401  (the fixture)
from websockets.sync.client import connect


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read().decode()


def test_nginx_accepts_the_documented_file(tmp_path):
    path = tmp_path / "nginx.conf"
    path.write_text(config_for(18080, [18081, 18082, 18083]), encoding="utf-8")
    done = subprocess.run([nginx_bin(), "-t", "-p", str(tmp_path), "-c", str(path), "-e", str(tmp_path / "error.log"),
                           "-g", f"pid {tmp_path / 'nginx.pid'};"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_through_nginx_every_node_serves_and_chats_upgrade(cluster, tmp_path):
    nodes = [cluster.start(name) for name in ("north", "east", "west")]
    nginx = Nginx(tmp_path / "nginx", [srv.port for srv in nodes]).start()
    try:
        seen = set()
        for _ in range(12):
            status, body = get(nginx.url("/v1/cluster"))
            assert status == 200
            seen.add(json.loads(body)["node"])
        assert seen == {"north", "east", "west"}, "round robin reaches every node"
        assert get(nginx.url("/healthz")) == (200, "ok\n")

        with connect(nginx.ws_url("customer"), subprotocols=[SUBPROTOCOL], open_timeout=10) as ws:
            assert ws.subprotocol == SUBPROTOCOL
            ws.send(json.dumps({"type": "hello"}))
            welcome = json.loads(ws.recv(timeout=10))
            assert welcome["type"] == "welcome" and welcome["role"] == "customer"

        # A node dies: nginx skips it and every request is still answered.
        cluster.kill("east")
        for _ in range(9):
            status, body = get(nginx.url("/v1/cluster"))
            assert status == 200 and json.loads(body)["node"] in {"north", "west"}
    finally:
        nginx.stop()
