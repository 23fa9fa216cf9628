"""Left messages are records (issue 17): a message a customer leaves with nobody on
duty is written to the transcript store before the customer hears it was received,
survives a SIGKILL of the broker, is handed to the first agent on duty after the
restart, and reads back like a transcript (`m-BOOT-N`).

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_left_messages.py
"""

from __future__ import annotations

import json
import re
import time

import pytest

from broker_proc import broker_config
from test_broker import FAST, LEAD, MINJI, agent, customer, eventually
from test_transcripts import basic, brokers, http, sigkill  # noqa: F401  (brokers: the fixture)

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")
TEXT = "교환 신청하고 싶어요. 사이즈가 맞지 않습니다.\n연락 부탁드립니다."


def pending(srv) -> int:
    """Left messages not yet handed to an agent (/metrics, published every tick)."""
    time.sleep(0.3)
    _, _, body = http(srv, "/metrics")
    m = re.search(rb'^switchboard_queue_pending_messages\{queue="returns"\} ([0-9]+)$', body, re.M)
    return int(m.group(1))


def leave_message(srv, text: str) -> None:
    c, _ = customer(srv, language="ko")
    c.send(type="start_chat", id="s1", queue="returns", name="김하늘", order_number="2026050412345",
           product="린넨 셔츠 M", first_message="교환하고 싶어요")
    c.next("ack", id="s1")
    offered = c.next("leave_message_offered")
    assert offered["reason"] == "unattended"  # open all hours, but nobody on duty
    c.send(type="leave_message", id="l1", text=text, reply_to="haneul@example.com")
    c.next("ack", id="l1")
    c.next("message_stored")
    c.close()


@pytest.mark.parametrize("fsync", ["always", "5ms"])
def test_a_left_message_survives_sigkill_and_reaches_the_agent(brokers, fsync):
    config = broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST)
    srv = brokers(config, "--fsync", fsync)
    leave_message(srv, TEXT)
    leave_message(srv, "두 번째 메시지: 배송지를 바꾸고 싶어요.")
    sigkill(srv)  # no shutdown: only what was on disk when "received" went out counts

    again = brokers(config, "--fsync", fsync)
    assert pending(again) == 2
    minji = agent(again, MINJI)
    first = minji.next("left_message")
    second = minji.next("left_message")
    assert [first["text"], second["text"]] == [TEXT, "두 번째 메시지: 배송지를 바꾸고 싶어요."]
    assert first["queue"] == "returns" and first["reply_to"] == "haneul@example.com"
    assert first["customer"]["name"] == "김하늘" and first["customer"]["order_number"] == "2026050412345"
    assert first["left_at"] <= second["left_at"]
    minji.close()

    # Read back like any transcript: the message, then the agent it went to.
    assert eventually(lambda: pending(again) == 0)
    # The records are m-BOOT-N: the first run's boot (1 on a fresh data directory) and
    # the message's number in that run; the agent was told which.
    assert [first["record"], second["record"]] == ["m-1-1", "m-1-2"]
    status, _, body = http(again, "/v1/conversations/m-1-1/transcript", headers=basic(LEAD["login"], LEAD["secret"]))
    assert status == 200, body
    assert http(again, "/v1/conversations/m-1-2/transcript", headers=basic(LEAD["login"], LEAD["secret"]))[0] == 200
    assert http(again, "/v1/conversations/m-1-3/transcript", headers=basic(LEAD["login"], LEAD["secret"]))[0] == 404
    events = json.loads(body)["events"]
    assert [e["type"] for e in events] == ["message_left", "agent_joined"]
    assert events[0]["text"] == TEXT and events[0]["customer"]["product"] == "린넨 셔츠 M"
    assert events[1]["agent_name"] == MINJI["name"]
    status, headers, text = http(again, f"/v1/conversations/{events[0]['conversation']}/transcript.txt",
                                 headers=basic(LEAD["login"], LEAD["secret"]))
    assert status == 200 and TEXT.split("\n")[0] in text.decode("utf-8")

    # Handed over once: a third start neither re-delivers nor loses anything.
    again.stop()
    third = brokers(config, "--fsync", fsync)
    time.sleep(0.5)  # the gauges are published every quarter second
    assert pending(third) == 0
