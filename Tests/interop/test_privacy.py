"""Personal numbers masked before anything is stored or relayed (issue 18): a shopper
sends a card number and a resident registration number; the agent, the transcript
read back, the segment files (their bytes) and the broker's log hold only the masked
forms; the customer is told once per kind, in their language; /metrics counts it.

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_privacy.py
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from broker_proc import broker_config
from test_broker import FAST, LEAD, MINJI, agent, customer
from test_transcripts import brokers, staff_transcript  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")

CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"
RRN = "900101-1234568"
SECRET_PARTS = [CARD_DIGITS, "1111 1111 1111 1111", RRN, "1234568", "010-9876-5432", "9876"]


def test_card_and_resident_number_are_masked_everywhere(brokers, tmp_path):
    srv = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST), "--fsync", "always")
    minji = agent(srv, MINJI)
    c, _ = customer(srv, language="ko")
    c.send(type="start_chat", id="s1", queue="orders", first_message=f"카드 {CARD} 로 결제했어요")
    notice = c.next("privacy_notice", kind="card")  # before the answer to the request
    assert "카드 번호" in notice["text"]
    c.next("ack", id="s1")
    c.next("queued")
    first = c.next("message", seq=1)
    assert first["text"] == "카드 **** **** **** 1111 로 결제했어요"
    conversation = c.next("agent_joined", seq=2)["conversation"]
    minji.next("assigned", conversation=conversation)
    assert minji.next("message", seq=1)["text"] == "카드 **** **** **** 1111 로 결제했어요"
    minji.next("agent_joined", seq=2)

    c.send(type="send", id="m1", text=f"주민번호는 {RRN}, 연락처 010-9876-5432 예요. 카드는 {CARD_DIGITS}")
    kinds = {c.next("privacy_notice")["kind"], c.next("privacy_notice")["kind"]}
    assert kinds == {"rrn", "phone"}  # the card was told already: once per kind
    ack = c.next("ack", id="m1", seq=3)
    assert ack["text"].startswith("주민번호는 900101-1******")  # the stored form, for the customer's screen
    masked = "주민번호는 900101-1******, 연락처 010-****-5432 예요. 카드는 ************1111"
    assert minji.next("message", seq=3)["text"] == masked

    # An agent reading a number back is masked too.
    minji.send(type="send", id="r1", conversation=conversation, text=f"{RRN} 확인했습니다")
    assert "text" not in minji.next("ack", id="r1", seq=4)  # agents' acks: unchanged (nobody is told)
    assert c.next("message", seq=4)["text"] == "900101-1****** 확인했습니다"

    doc = staff_transcript(srv, conversation)
    texts = [e.get("text", "") for e in doc["events"]]
    assert texts[0] == "카드 **** **** **** 1111 로 결제했어요" and texts[2] == masked

    with urllib.request.urlopen(srv.http_url("/metrics"), timeout=10) as r:
        metrics = r.read().decode()
    assert 'switchboard_privacy_masked_total{kind="card"} 2' in metrics
    assert 'switchboard_privacy_masked_total{kind="rrn"} 2' in metrics
    assert 'switchboard_privacy_masked_total{kind="email"} 0' in metrics

    # Nothing unmasked on disk or in the log.
    assert srv.stop() == []
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert "900101-1******".encode() in stored
    log = srv.output()
    for secret in SECRET_PARTS:
        assert secret.encode() not in stored, secret
        assert secret not in log, secret


def test_english_notice_and_kinds_switched_off(brokers):
    srv = brokers(broker_config(agents=[MINJI], extra=FAST + "[privacy]\nphone = false\n"))
    agent(srv, MINJI)
    c, _ = customer(srv, language="en")
    c.send(type="start_chat", id="s1", queue="orders", first_message="call 010-9876-5432, card 5500-0000-0000-0004")
    notice = c.next("privacy_notice", kind="card")
    c.next("ack", id="s1")
    assert notice["text"].startswith("For your safety")
    c.next("queued")
    assert c.next("message", seq=1)["text"] == "call 010-9876-5432, card ****-****-****-0004"
