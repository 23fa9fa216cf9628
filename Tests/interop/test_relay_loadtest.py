"""`switchboard-loadtest relay` against a real broker, small and short: the load
tester's configuration writer (which runs `switchboard hash-secret`), sign-in, pairing,
paced sends, replies, the seq checks and the polite end all work with the broker as
it is, so the benchmark (loadtest/bench_relay.py) does not rot as the protocol moves.

Needs the load tester next to the broker binary (`swift build -c release --product
switchboard-loadtest`) or SWITCHBOARD_LOADTEST_BIN; skipped otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from broker_proc import BrokerServer
from switchboard_proc import HOST, ServerError, switchboard_bin


def loadtest_bin() -> Path:
    env = os.environ.get("SWITCHBOARD_LOADTEST_BIN")
    return Path(env) if env else switchboard_bin().parent / "switchboard-loadtest"


@pytest.fixture
def relay_broker(tmp_path):
    binary = loadtest_bin()
    if not binary.exists():
        pytest.skip(f"no load tester at {binary} (swift build -c release --product switchboard-loadtest)")
    config = tmp_path / "relay.toml"
    subprocess.run([str(binary), "relay", "--write-config", str(config), "--agents", "4", "--capacity", "10",
                    "--switchboard", str(switchboard_bin()), "--quiet"], check=True, timeout=60)
    text = config.read_text(encoding="utf-8")
    assert text.count("[[agents]]") == 4 and "chat_capacity = 10" in text and "pbkdf2-sha256$1000$" in text
    srv = BrokerServer(config, log_path=tmp_path / "broker.log")
    try:
        srv.start()
    except ServerError as e:
        pytest.fail(f"could not start the broker with the written configuration: {e}", pytrace=False)
    yield binary, srv
    problems = srv.stop()
    assert not problems, problems


def relay(binary: Path, srv: BrokerServer, *extra: str) -> tuple[int, dict, str]:
    done = subprocess.run([str(binary), "relay", "--url", f"ws://{HOST}:{srv.port}", "--agents", "4",
                           "--server-pid", str(srv.pid), "--json", "--quiet", *extra],
                          capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("{"), f"no JSON result:\n{done.stdout}\n{done.stderr}"
    return done.returncode, json.loads(lines[-1]), done.stdout + done.stderr


def test_relay_runs_clean(relay_broker):
    binary, srv = relay_broker
    rc, r, output = relay(binary, srv, "--conversations", "30", "--rate", "300", "--duration", "1.5",
                          "--warmup", "0.5", "--reply-every", "3")
    assert rc == 0, output
    assert r["errors"] == 0, output
    assert r["conversations_open"] == 30
    assert r["c2a_per_sec"] > 200 and r["a2c_per_sec"] > 50, output
    assert r["c2a_p50_us"] > 0 and r["c2a_p99_us"] >= r["c2a_p50_us"]
    # Every conversation started, was joined by an agent and ended politely on both sides.
    for side in ("customers_received", "agents_received"):
        assert r[side]["agent_joined"] == 30 and r[side]["conversation_ended"] == 30, r[side]
    assert r["agents_received"]["assigned"] == 30
    assert r["unacked"] == 0 and r["undelivered"] == 0 and r["seq_missing"] == 0


def test_relay_gives_up_when_agents_cannot_sign_in(relay_broker):
    binary, srv = relay_broker
    rc, r, output = relay(binary, srv, "--conversations", "5", "--agent-secret", "not-the-secret",
                          "--duration", "1", "--setup-timeout", "20")
    assert rc == 1, output
    assert r["error_codes"].get("authentication_failed", 0) >= 1, output
    assert "could not sign in" in (r["aborted"] or ""), output
    assert r["relayed"] == 0


def test_agents_turned_away_by_a_busy_sign_in_line_try_again(tmp_path):
    """A sign-in line that holds one sign-in at a time turns most of 8 agents who
    sign in at once away as busy (`rate_limited`, close 4008, `retry_after_ms`); the
    load tester signs them in again when told instead of ending the run (it used to
    abort bench_relay.py on a loaded machine)."""
    binary = loadtest_bin()
    if not binary.exists():
        pytest.skip(f"no load tester at {binary}")
    config = tmp_path / "relay.toml"
    subprocess.run([str(binary), "relay", "--write-config", str(config), "--agents", "8", "--capacity", "5",
                    "--switchboard", str(switchboard_bin()), "--quiet"], check=True, timeout=60)
    text = config.read_text(encoding="utf-8")
    assert "[limits]\n" in text
    config.write_text(text.replace("[limits]\n", "[limits]\nsign_in_queue = 1\n", 1), encoding="utf-8")
    srv = BrokerServer(config, log_path=tmp_path / "broker.log")
    srv.start()
    try:
        done = subprocess.run([str(binary), "relay", "--url", f"ws://{HOST}:{srv.port}", "--agents", "8",
                               "--conversations", "16", "--rate", "100", "--duration", "1", "--warmup", "0.2",
                               "--server-pid", str(srv.pid), "--json", "--quiet"],
                              capture_output=True, text=True, timeout=120)
        output = done.stdout + done.stderr
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"\nsign-in retries: {r['sign_in_retries']}")
        assert done.returncode == 0, output
        assert r["aborted"] is None and r["conversations_open"] == 16, output
        assert r["sign_in_retries"] >= 1, output
    finally:
        problems = srv.stop()
    assert not problems, problems
