"""`switchboard-loadtest contact-center` against a real broker, small and fast: a
scenario file, the configuration writer, the agents' sign-in, Poisson arrivals with
handle and think times, and the report (JSON and HTML).

The waits are checked without statistical luck: the load tester replays its own
arrivals and handle times through an exact first-come-first-served line with the
run's servers (chat: agents × chat capacity; voice: one call per agent), and every
measured wait must match its replayed wait up to network and scheduling time. A
broker that served out of order, gave an agent more than its capacity or started a
clock at the wrong moment misses by whole handle times (here 60 shift seconds, 150 ms
real). The schedule comes from a fixed seed, so these runs replay the same traffic.

Needs the load tester next to the broker binary (`swift build -c release --product
switchboard-loadtest`) or SWITCHBOARD_LOADTEST_BIN; skipped otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from broker_proc import BrokerServer
from switchboard_proc import HOST, ServerError, switchboard_bin
from test_relay_loadtest import loadtest_bin

# 2 agents holding 2 chats or 1 call; 1.5 Erlangs of 1-minute contacts (a phone line
# at 75%); 40 contacts, 400× faster than real time (a call lasts 150 real ms): about
# 4 s per run.
SCENARIO = """
name = "interop"
seed = 7
contacts = 40
time_scale = 400
warm_up = 0
batches = 4

[center]
queue = "orders"
agents_per_queue = 2
chat_capacity = 2

[arrivals]
per_hour = 90

[handle_time]
distribution = "exponential"
mean = 60

[think_time]
mean = 10
"""

# Measured waits include two loopback hops and both event loops' scheduling; on a
# busy shared machine allow 30 real ms on average (12 shift seconds at 400×), a fifth
# of the 60-second handle time that a queueing mistake costs.
MEAN_DIFFERENCE_LIMIT = 0.030 * 400


@pytest.fixture
def center(tmp_path):
    binary = loadtest_bin()
    if not binary.exists():
        pytest.skip(f"no load tester at {binary} (swift build -c release --product switchboard-loadtest)")
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    config = tmp_path / "center.toml"
    subprocess.run([str(binary), "contact-center", "--scenario", str(scenario), "--write-config", str(config),
                    "--switchboard", str(switchboard_bin()), "--quiet"], check=True, timeout=60)
    text = config.read_text(encoding="utf-8")
    assert text.count("[[agents]]") == 2 and "chat_capacity = 2" in text and "voice_capacity = 1" in text
    srv = BrokerServer(config, log_path=tmp_path / "broker.log")
    try:
        srv.start()
    except ServerError as e:
        pytest.fail(f"could not start the broker with the written configuration: {e}", pytrace=False)
    yield binary, srv, scenario, tmp_path
    problems = srv.stop()
    assert not problems, problems


def play(binary: Path, srv: BrokerServer, scenario: Path, *extra: str) -> tuple[int, dict, str]:
    done = subprocess.run([str(binary), "contact-center", "--scenario", str(scenario),
                           "--url", f"ws://{HOST}:{srv.port}", "--json", "--quiet", *extra],
                          capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("{"), f"no JSON result:\n{done.stdout}\n{done.stderr}"
    return done.returncode, json.loads(lines[-1]), done.stdout + done.stderr


def check_run(run: dict, output: str) -> None:
    assert run["errors"] == 0 and run["failed"] == 0, output
    assert run["answered"] == 40 and run["abandoned"] == 0, output
    assert len(run["samples"]["wait"]) == 40
    assert run["own_replay"]["mean_abs_difference"] <= MEAN_DIFFERENCE_LIMIT, output
    # The handle times the agents kept are the schedule's (mean 60 s; 40 draws).
    assert 20 < run["measured_handle_time_mean"] < 150, output


def test_chat_and_voice_runs_on_one_seed_match_exact_replays_and_the_broker(center):
    binary, srv, scenario, tmp_path = center
    html = tmp_path / "report.html"
    rc, r, output = play(binary, srv, scenario, "--runs", "chat,voice", "--html-out", str(html))
    assert rc == 0, output
    assert r["errors"] == 0 and r["aborted"] is None, output
    chat, voice = r["runs"]
    assert chat["channel"] == "chat" and chat["own_replay"]["servers_per_queue"] == 4
    assert voice["channel"] == "voice" and voice["own_replay"]["servers_per_queue"] == 2
    check_run(chat, output)
    check_run(voice, output)
    # The same arrivals, the same agents: calls (one per agent) wait longer than chats.
    # Arrival times are the seed's in both runs (as sent: within 50 real ms = 20 shift s).
    assert max(abs(a - b) for a, b in zip(chat["samples"]["at"], voice["samples"]["at"])) <= 20, output
    assert voice["wait"]["mean"] > chat["wait"]["mean"], output
    # The chat run's contacts replayed one per agent wait like the voice run's replay
    # (same arrivals and handle times; each measured on its own run, so not exactly).
    assert abs(chat["phone_replay"]["wait"]["mean"] - voice["own_replay"]["mean_wait"]) <= 2 * MEAN_DIFFERENCE_LIMIT
    # Erlang C for the scenario: 2 agents, 1.5 Erlangs.
    assert r["erlang_c"]["agents"] == 2 and abs(r["erlang_c"]["load_erlangs"] - 1.5) < 1e-9
    assert abs(r["erlang_c"]["p_wait"] - 0.6429) < 1e-3 and abs(r["erlang_c"]["mean_wait"] - 77.14) < 0.01
    # The broker's own /v1/stats, per channel, read after each run: the same contacts,
    # and waits that differ from the load tester's only by the network hops (the
    # broker's clock starts later and stops earlier than the customer's).
    for run in (chat, voice):
        b = run["broker"]
        assert b["arrivals"] == 40 and b["answered"] == 40 and b["abandoned"] == 0, (run["channel"], b)
        assert -1.0 <= run["wait"]["mean"] - b["mean_wait"] <= MEAN_DIFFERENCE_LIMIT, (run["channel"], b, run["wait"])
        assert abs(run["measured_handle_time_mean"] - b["mean_handle_time"]) <= MEAN_DIFFERENCE_LIMIT, (run["channel"], b)
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2 and "Erlang C" in page
    assert "voice, measured" in page and "chat, measured" in page
    # A manager reads the plain words first, in Korean and English (issue 16): chat,
    # then the same inquiries by phone (the voice run), the statistics folded below.
    ko = re.search(r"채팅: 20초 안에 (\d+)% 응답</b> · 같은 문의가 전화였다면 (\d+)%, (\d+)명 포기", page)
    en = re.search(r"Chat: (\d+)% answered within 20 s</b> · the same inquiries by phone: (\d+)%, (\d+) gave up", page)
    assert ko and en, page[:2000]
    for m in (ko, en):
        chat_share, phone_share, gave_up = (int(g) for g in m.groups())
        assert abs(chat_share - chat["wait"]["service_level"] * 100) <= 0.51, m.group(0)
        assert abs(phone_share - voice["wait"]["service_level"] * 100) <= 0.51, m.group(0)
        assert gave_up == voice["abandoned"], m.group(0)
    assert ko.start() < page.index("<details>") < page.index("<svg")
    # The broker's shadow, read once drained: this run's part of it, nothing pending.
    assert chat["broker"]["shadow_pending"] == 0 and chat["broker"]["run_shadow_count"] is not None


def test_a_bad_scenario_is_refused_with_the_key(tmp_path):
    binary = loadtest_bin()
    if not binary.exists():
        pytest.skip(f"no load tester at {binary}")
    cases = {
        "unknown": (SCENARIO + "\nspeed = 3\n", "speed: unknown key"),
        "law": (SCENARIO.replace('distribution = "exponential"', 'distribution = "lognormal"'),
                "handle_time.sigma: is required for a log-normal law"),
        "range": (SCENARIO.replace("chat_capacity = 2", "chat_capacity = 0"), "center.chat_capacity: must be"),
        "syntax": (SCENARIO.replace("[center]", "[center"), "TOML syntax"),
        "missing": (SCENARIO.replace("[arrivals]\nper_hour = 90", ""), "arrivals: is required"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run([str(binary), "contact-center", "--scenario", str(path), "--url", f"ws://{HOST}:9"],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode != 0, name
        assert expected in done.stderr, (name, done.stderr)


def test_gives_up_when_agents_cannot_sign_in(center):
    binary, srv, scenario, _ = center
    rc, r, output = play(binary, srv, scenario, "--runs", "voice", "--agent-secret", "not-the-secret",
                         "--setup-timeout", "10")
    assert rc == 1, output
    assert "could not sign in" in (r["aborted"] or ""), output
    assert r["runs"] == []
