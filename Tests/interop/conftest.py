"""Fixtures: a `switchboard echo` server per test on a free loopback port.

    def test_x(server): ...                       # default arguments
    @pytest.mark.server_args("--max-message-size", "1048576")
    def test_y(server): ...                       # with extra arguments
    def test_z(start_server): s = start_server("--threads", "2")
    def test_w(tls_server): ...                   # wss:// with a certificate from
                                                  # the session's throwaway test CA
    def test_v(start_tls_server): s = start_tls_server("--deflate-shared")

At teardown every server is checked to still be serving (a fresh client gets
an echo), then stopped by its PID with SIGTERM; the test fails if the server
crashed, exited non-zero, or did not exit in time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from switchboard_proc import EchoServer, ServerError  # noqa: E402
from testca import ServerCert, TestCA  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "server_args(*args): extra command-line arguments for the echo server")


def assert_still_echoes(srv: EchoServer) -> None:
    """A fresh, well-behaved client gets an echo (the server keeps serving)."""
    from websockets.sync.client import connect

    with connect(f"{srv.url}still-serving", open_timeout=5, close_timeout=5,
                 compression=None, ssl=srv.client_ssl) as ws:
        ws.send("still there? 아직 있나요?")
        assert ws.recv(timeout=5) == "still there? 아직 있나요?"
        ws.send(b"\x00\x01\xfe\xff")
        assert ws.recv(timeout=5) == b"\x00\x01\xfe\xff"


@pytest.fixture
def start_server(request, tmp_path):
    servers: list[EchoServer] = []

    def start(*extra_args: str, client_ssl=None) -> EchoServer:
        log = tmp_path / f"server-{len(servers)}.log"
        srv = EchoServer(list(extra_args), log_path=log, client_ssl=client_ssl)
        try:
            srv.start()
        except ServerError as e:
            pytest.fail(f"could not start the echo server: {e}", pytrace=False)
        servers.append(srv)
        return srv

    yield start

    problems: list[str] = []
    for srv in servers:
        mine: list[str] = []
        if srv.alive() and not srv.stopped_by_us:
            try:
                assert_still_echoes(srv)
            except Exception as e:  # noqa: BLE001
                mine.append(f"server on port {srv.port} no longer echoes to a "
                            f"fresh client: {type(e).__name__}: {e}")
        mine += srv.stop()
        if mine:
            mine.append(f"server output (tail):\n{srv.output_tail()}")
        problems += mine
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def server(request, start_server) -> EchoServer:
    marker = request.node.get_closest_marker("server_args")
    args = marker.args if marker else ()
    return start_server(*args)


# ---- TLS: a throwaway CA per test session ------------------------------------

@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> TestCA:
    return TestCA.create(tmp_path_factory.mktemp("test-ca"))


@pytest.fixture(scope="session")
def server_cert(test_ca, tmp_path_factory) -> ServerCert:
    """A certificate for 127.0.0.1/localhost signed by `test_ca`."""
    return test_ca.issue(tmp_path_factory.mktemp("server-cert") / "server")


@pytest.fixture
def start_tls_server(start_server, test_ca, server_cert):
    """start_tls_server(*args, cert=server_cert): `switchboard echo` serving
    wss:// with `cert`; the teardown's fresh client verifies it against the CA."""

    def start(*extra_args: str, cert: ServerCert | None = None) -> EchoServer:
        cert = cert or server_cert
        return start_server("--tls-cert", str(cert.cert_path), "--tls-key",
                            str(cert.key_path), *extra_args,
                            client_ssl=test_ca.client_context())

    return start


@pytest.fixture
def tls_server(request, start_tls_server) -> EchoServer:
    marker = request.node.get_closest_marker("server_args")
    args = marker.args if marker else ()
    return start_tls_server(*args)
