"""Wait statistics through the real broker (issue 5, protocol/README.md "Wait
statistics"): contacts with known, short waits (an agent comes on duty after a
delay), then `/v1/stats`, `/metrics` and the supervisor `snapshot` must show them;
estimated waits pushed to waiting customers and their error; a voice contact that
takes an agent's whole capacity.

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_wait_stats.py

Waits here are real time, so figures are checked against bounds (at least the time
slept, at most that plus a generous slack), never against exact values; the exact
arithmetic is covered by the ChatCore unit tests on a manual clock.
"""

from __future__ import annotations

import json
import re
import time

import pytest

import test_broker as tb
from broker_proc import broker_config
from test_broker import start_broker  # noqa: F401  (the fixture)

AGENT = {"handle": "ara.kim", "name": "김아라", "secret": "ara's secret", "skills": ["orders"], "chat_capacity": 1}
SLACK = 4.0  # seconds a loaded CI machine may add to a wait
pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")


def config(extra: str = "") -> str:
    return broker_config(agents=[AGENT], supervisors=[tb.LEAD],
                         extra=tb.FAST + "[statistics]\nservice_level_seconds = 1\nwindow_seconds = 600\n" + extra)


def stats(srv) -> dict:
    status, body = tb.get(srv, "/v1/stats")
    assert status == 200
    return json.loads(body)


def orders(s: dict) -> dict:
    return next(q for q in s["queues"] if q["queue"] == "orders")


def until(srv, check, timeout: float = 5.0) -> dict:
    """/v1/stats once `check` holds on it (the figures are recomputed once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        s = stats(srv)
        if check(s):
            return s
        if time.monotonic() > deadline:
            raise AssertionError(f"/v1/stats never got there: {json.dumps(s)[:2000]}")
        time.sleep(0.1)


def start(srv, channel: str | None = None, **fields):
    c, _ = tb.customer(srv, language="ko")
    extra = {"channel": channel} if channel else {}
    c.send(type="start_chat", id="s", queue="orders", **extra, **fields)
    c.next("ack", id="s")
    return c, c.next("queued", queue="orders")


def take(staff) -> dict:
    """The next `assigned`, and the events that follow it (the pre-chat message if
    any, then `agent_joined`)."""
    assigned = staff.next("assigned")
    while staff.recv()["type"] != "agent_joined":
        pass
    return assigned


def end(staff, conversation: str) -> None:
    staff.send(type="end", id="e-" + conversation, conversation=conversation)
    staff.next("ack", id="e-" + conversation)
    staff.next("conversation_ended", conversation=conversation)


def test_known_waits_reach_stats_metrics_and_the_snapshot(start_broker):
    srv = start_broker(config())
    ara = tb.agent(srv, AGENT, available=False)
    ara.send(type="set_status", id="away", status="away")  # on duty, taking nothing yet
    ara.next("ack", id="away")
    t0 = time.monotonic()
    first, q1 = start(srv, first_message="배송 문의")
    second, q2 = start(srv)
    assert (q1["place"], q2["place"]) == (1, 2)
    time.sleep(1.5)  # both wait at least 1.5 s: past the 1 s service level
    ara.send(type="set_status", id="on", status="available")
    ara.next("ack", id="on")
    c1 = take(ara)["conversation"]
    first_wait = time.monotonic() - t0
    ara.send(type="send", id="r1", conversation=c1, text="안녕하세요, 김아라입니다.")
    ara.next("ack", id="r1")
    third, _ = start(srv)  # waits behind second, then gives up
    third.send(type="end", id="bye")
    third.next("ack", id="bye")
    end(ara, c1)
    c2 = take(ara)["conversation"]
    end(ara, c2)

    s = until(srv, lambda s: orders(s)["wait"]["chat"]["run"]["wait"]["count"] == 2
              and orders(s)["wait"]["chat"]["run"]["abandoned"]["total"] == 1
              and s["stats"]["phone"]["shadow"]["pending"] == 0)
    run = orders(s)["wait"]["chat"]["run"]
    assert run["arrivals"] == 3
    assert 1500 <= run["wait"]["p50_ms"] <= (first_wait + SLACK) * 1000
    assert 1500 <= run["wait"]["mean_ms"] <= (first_wait + SLACK) * 1000
    assert run["wait"]["p99_ms"] >= run["wait"]["p50_ms"]
    assert run["service_level"] == 0  # nobody assigned within 1 s
    assert run["abandoned"] == {"total": 1, "left": 1, "timed_out": 0, "closed": 0}
    assert run["abandonment_rate"] == pytest.approx(1 / 3)
    assert run["speed_of_answer"]["count"] == 1  # only the first got a message
    assert run["speed_of_answer"]["mean_ms"] >= run["wait"]["p50_ms"] - 20
    assert run["handle"]["count"] == 2
    assert orders(s)["wait"]["chat"]["window"]["wait"]["count"] == 2
    assert orders(s)["wait"]["voice"]["run"]["arrivals"] == 0
    assert "longest_wait_ms" not in orders(s)  # nobody waits now
    center = s["stats"]
    assert center["service_level_threshold_ms"] == 1000
    assert center["window_ms"] == 600_000
    assert center["wait"]["chat"]["run"]["wait"]["count"] == 2
    assert center["agents"]["on_duty"] == 1
    assert 0 < center["agents"]["run"]["occupancy"] <= 1
    assert center["agents"]["run"]["concurrency"] == pytest.approx(1)
    phone = center["phone"]
    assert phone["agents_on_duty"] == 1
    assert phone["arrivals_per_hour"] > 0
    # One agent, one chat at a time: the phone line is this very line, so the shadow
    # answers the two served contacts and loses the one who left.
    assert phone["shadow"]["run"]["wait"]["count"] + phone["shadow"]["run"]["abandoned"] == 3
    assert phone["measured"]["run"]["wait"]["count"] == 2
    recent = s["recent_contacts"]  # per contact: the real wait and the phone's
    assert len(recent) == 3
    assert [r["abandoned"] for r in recent].count(True) == 1
    for r in recent:
        assert r["queue"] == "orders" and r["channel"] == "chat" and r["contact"].startswith("k-")
        assert r["shadow_wait_ms"] >= 0 and isinstance(r["shadow_abandoned"], bool)
        assert ("wait_ms" in r) != r["abandoned"]
    if "erlang_c" in phone:
        assert 0 <= phone["erlang_c"]["wait_probability"] <= 1

    status, metrics = tb.get(srv, "/metrics")
    assert status == 200
    assert 'switchboard_wait_seconds_count{queue="orders",channel="chat"} 2' in metrics
    assert 'switchboard_contacts_arrived_total{queue="orders",channel="chat"} 3' in metrics
    assert 'switchboard_contacts_abandoned_total{queue="orders",channel="chat",reason="left"} 1' in metrics
    assert 'switchboard_service_level{queue="orders",channel="chat",span="run"} 0' in metrics
    # A real histogram: cumulative buckets ending in +Inf = count, and the exact sum.
    assert 'switchboard_wait_seconds_bucket{queue="orders",channel="chat",le="+Inf"} 2' in metrics
    buckets = [int(m.group(2)) for m in re.finditer(
        r'^switchboard_wait_seconds_bucket\{queue="orders",channel="chat",le="([0-9.]+)"\} ([0-9]+)$', metrics, re.M)]
    assert len(buckets) >= 10 and buckets == sorted(buckets) and buckets[-1] <= 2
    total = re.search(r'^switchboard_wait_seconds_sum\{queue="orders",channel="chat"\} ([0-9.]+)$', metrics, re.M)
    assert total and float(total.group(1)) == pytest.approx(run["wait"]["mean_ms"] * 2 / 1000, abs=0.002)
    assert re.search(r'^switchboard_agent_occupancy\{span="run"\} [0-9.]+$', metrics, re.M)
    assert re.search(r'^switchboard_shadow_pending\{queue="\*"\} 0$', metrics, re.M)
    for line in metrics.splitlines():  # every sample line is NAME{LABELS} NUMBER
        if line and not line.startswith("#"):
            assert re.fullmatch(r'[a-z_]+(\{[^}]*\})? (-?[0-9.e+-]+|NaN)', line), line

    lead = tb.supervisor(srv)
    lead.send(type="get_snapshot", id="g")
    snapshot = lead.next("snapshot")
    queue = next(q for q in snapshot["queues"] if q["queue"] == "orders")
    assert queue["wait"]["chat"]["run"] == run
    assert snapshot["stats"]["agents"]["on_duty"] == 1
    assert snapshot["stats"]["phone"]["shadow"]["pending"] == 0


def test_estimated_waits_are_pushed_and_their_error_published(start_broker):
    srv = start_broker(config())
    ara = tb.agent(srv, AGENT)
    # One served contact: a handle time of about a second, the estimator's first clue.
    warmup, q = start(srv)
    assert q.get("estimated_wait_ms") == 0  # taken at once
    w = take(ara)["conversation"]
    time.sleep(1.0)
    end(ara, w)
    time.sleep(1.2)  # the tick counts the agents' places once a second

    busy, _ = start(srv)
    b = take(ara)["conversation"]
    second, q2 = start(srv)
    third, q3 = start(srv)
    assert (q2["place"], q3["place"]) == (1, 2)
    # No departure from a busy line yet: handle time (~1 s) over one place, per place.
    assert 500 <= q2["estimated_wait_ms"] <= 1000 * (1 + SLACK)
    assert q3["estimated_wait_ms"] >= q2["estimated_wait_ms"]
    time.sleep(0.5)
    end(ara, b)
    c2 = take(ara)["conversation"]
    moved = third.next("place_in_line", place=1, timeout=5)
    assert "estimated_wait_ms" in moved
    end(ara, c2)
    c3 = take(ara)["conversation"]
    end(ara, c3)

    s = until(srv, lambda s: orders(s)["wait"]["chat"]["run"]["wait"]["count"] == 4)
    run = orders(s)["wait"]["chat"]["run"]
    at_enqueue = run["estimate_error_at_enqueue"]
    assert at_enqueue["count"] == 2  # second and third (the others were taken at once)
    assert run["estimate_error"]["count"] >= 3  # third was told twice
    assert at_enqueue["p50_ms"] <= (1 + SLACK) * 1000
    assert run["estimate_error"]["p90_ms"] >= run["estimate_error"]["p50_ms"]
    status, metrics = tb.get(srv, "/metrics")
    assert re.search(r'^switchboard_estimate_error_seconds\{queue="orders",channel="chat",estimates="at_enqueue",'
                     r'quantile="0.9"\} [0-9.]+$', metrics, re.M)


def test_a_call_takes_the_agents_whole_capacity(start_broker):
    agent = dict(AGENT, chat_capacity=3)
    srv = start_broker(broker_config(agents=[agent], supervisors=[tb.LEAD], extra=tb.FAST))
    ara = tb.agent(srv, agent)
    caller, q = start(srv, channel="voice", name="이서준")
    assert q["place"] == 1
    assigned = take(ara)
    assert assigned["channel"] == "voice"
    call = assigned["conversation"]
    lead = tb.supervisor(srv)
    lead.send(type="get_snapshot", id="g")
    held = lead.next("snapshot")["agents"][0]
    assert (held["handle"], held["chats"], held["calls"]) == (agent["handle"], 0, 1)
    # Call notes are allowed on a voice conversation.
    ara.send(type="send", id="note", conversation=call, text="배송지 변경 요청")
    ara.next("ack", id="note")

    chatter, q = start(srv)  # the agent has 3 chat places, but the call holds them all
    assert q["place"] == 1
    with pytest.raises(TimeoutError):
        ara.next("assigned", timeout=1.0)
    s = until(srv, lambda s: orders(s)["waiting_chats"] == 1 and orders(s).get("longest_wait_ms", 0) >= 500)
    assert orders(s)["waiting_calls"] == 0

    caller.send(type="end", id="hangup")  # the caller hangs up
    while not (m := caller.recv())["type"] == "ack":  # after agent_joined and the note
        assert m["type"] in ("agent_joined", "message"), m
    ara.next("conversation_ended", conversation=call, reason="customer_left")
    assigned = take(ara)
    assert assigned["channel"] == "chat"
    # The snapshot asked for now shows nobody waiting and so no longest wait, even
    # though the once-a-second figures may still remember the chat that waited.
    lead.send(type="get_snapshot", id="now")
    while not ((m := lead.recv())["type"] == "ack" and m.get("id") == "now"):
        if m["type"] == "snapshot":
            latest = m
    assert orders(latest)["waiting_chats"] == 0 and "longest_wait_ms" not in orders(latest)
    s = until(srv, lambda s: orders(s)["wait"]["chat"]["run"]["wait"]["count"] == 1
              and orders(s)["wait"]["voice"]["run"]["handle"]["count"] == 1)
    voice = orders(s)["wait"]["voice"]["run"]
    assert voice["arrivals"] == 1
    assert voice["wait"]["count"] == 1
    assert voice["speed_of_answer"] == voice["wait"]  # a call is answered when picked up
    assert orders(s)["wait"]["chat"]["run"]["wait"]["mean_ms"] >= 1000
