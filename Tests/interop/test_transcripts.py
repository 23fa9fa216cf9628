"""Transcripts on disk through the real broker (issue 6, "How it is checked"):
crash recovery under `--fsync always` and an interval, resume served from the ring
and from disk, the read-back endpoints (auth, JSON, text, HTML, CORS), and a data
directory that cannot be written.

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_transcripts.py
"""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed

from broker_proc import BrokerServer, broker_config
from test_broker import FAST, LEAD, MINJI, Peer, agent, customer, eventually

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")

MANY = {**MINJI, "chat_capacity": 8}


@pytest.fixture
def brokers(tmp_path):
    """Starts brokers on one configuration (so one data directory); stops the live ones."""
    started: list[BrokerServer] = []

    def start(config: str, *args: str) -> BrokerServer:
        path = tmp_path / "switchboard.toml"
        path.write_text(config, encoding="utf-8")
        srv = BrokerServer(path, args, log_path=tmp_path / f"broker-{len(started)}.log")
        srv.start()
        started.append(srv)
        return srv

    yield start
    problems = []
    for srv in started:
        if srv.alive():
            problems += srv.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def sigkill(srv: BrokerServer) -> None:
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait(timeout=10)


def http(srv: BrokerServer, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(srv.http_url(path), method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def basic(login: str, secret: str) -> dict:
    token = base64.b64encode(f"{login}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def staff_transcript(srv: BrokerServer, conversation: str) -> dict:
    status, _, body = http(srv, f"/v1/conversations/{conversation}/transcript", headers=basic(LEAD["login"], LEAD["secret"]))
    assert status == 200, body
    return json.loads(body)


def start_chats(srv: BrokerServer, staff: Peer, count: int) -> list[tuple[Peer, str, str]]:
    """`count` customers whose chats `staff` holds: (customer, conversation, session)."""
    chats = []
    for i in range(count):
        c, welcome = customer(srv, language="ko")
        c.send(type="start_chat", id="s1", queue="orders", name=f"고객{i}")
        c.next("ack", id="s1")
        c.next("queued")
        joined = c.next("agent_joined", seq=1)
        staff.next("assigned", conversation=joined["conversation"])
        staff.next("agent_joined", conversation=joined["conversation"])
        chats.append((c, joined["conversation"], welcome["session"]))
    return chats


def drain(peer: Peer, stop: threading.Event) -> threading.Thread:
    """Reads and drops whatever `peer` receives until the connection ends."""
    def run():
        try:
            while not stop.is_set():
                try:
                    peer.ws.recv(timeout=0.2)
                except TimeoutError:
                    pass
        except (ConnectionClosed, OSError):
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def crash_mid_stream(brokers, fsync: str) -> None:
    srv = brokers(broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST), "--fsync", fsync)
    minji = agent(srv, MANY)
    chats = start_chats(srv, minji, 4)
    stop = threading.Event()
    drain(minji, stop)
    acked: dict[str, list[tuple[int, str]]] = {conversation: [] for _, conversation, _ in chats}

    def send_until_killed(c: Peer, conversation: str) -> None:
        n = 0
        try:
            while True:
                n += 1
                c.send(type="send", id=f"m-{n}", text=f"message {n} of {conversation}")
                while True:
                    reply = c.recv(timeout=10)
                    if reply["type"] == "ack" and reply["id"] == f"m-{n}":
                        acked[conversation].append((reply["seq"], f"m-{n}"))
                        break
                    assert reply["type"] not in ("error",), reply
        except (ConnectionClosed, OSError, TimeoutError):
            pass

    senders = [threading.Thread(target=send_until_killed, args=(c, conv), daemon=True) for c, conv, _ in chats]
    for t in senders:
        t.start()
    assert eventually(lambda: all(len(a) >= 20 for a in acked.values()), timeout=20), {k: len(v) for k, v in acked.items()}
    sigkill(srv)
    stop.set()
    for t in senders:
        t.join(timeout=10)

    again = brokers(broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST), "--fsync", fsync)
    for conversation, messages in acked.items():
        transcript = staff_transcript(again, conversation)
        stored = [(e["seq"], e["client_id"]) for e in transcript["events"] if e["type"] == "message"]
        ids = [client_id for _, client_id in stored]
        assert len(ids) == len(set(ids)), "a message is stored twice"
        assert [e["seq"] for e in transcript["events"]] == list(range(1, len(transcript["events"]) + 1))
        missing = [m for m in messages if m not in stored]
        assert not missing, f"acknowledged but lost after SIGKILL ({fsync}): {missing[:5]}"
        # What was acknowledged is a prefix of what is stored (at most the one in
        # flight when the process died follows it).
        assert stored[:len(messages)] == messages
        assert len(stored) - len(messages) <= 1


# ---- crash recovery ------------------------------------------------------------------

def test_every_acknowledged_message_survives_sigkill_under_always(brokers):
    crash_mid_stream(brokers, "always")


def test_every_acknowledged_message_survives_sigkill_under_an_interval(brokers):
    # The interval policy acknowledges once the write reached the OS (protocol/storage.md):
    # a process crash loses nothing acknowledged; only an OS crash may lose the last interval.
    crash_mid_stream(brokers, "5ms")


def test_conversation_ids_of_a_new_run_never_repeat_an_old_one(brokers):
    srv = brokers(broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST))
    minji = agent(srv, MANY)
    (_, first, _), = start_chats(srv, minji, 1)
    sigkill(srv)
    again = brokers(broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST))
    minji = agent(again, MANY)
    (_, second, _), = start_chats(again, minji, 1)
    assert first != second
    assert staff_transcript(again, first)["events"][0]["type"] == "agent_joined"
    assert staff_transcript(again, second)["conversation"] == second


# ---- resume -----------------------------------------------------------------------------

def test_resume_gets_every_missed_event_once_from_ring_and_disk(brokers):
    # A 4 KiB ring holds a dozen events: most of the 60 missed ones come from disk.
    srv = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST + "[transcripts]\nring_bytes = 4096\n"))
    minji = agent(srv, MINJI)
    (c, conversation, session), = start_chats(srv, minji, 1)
    c.send(type="send", id="before", text="hello")
    c.next("ack", id="before", seq=2)
    minji.next("message", seq=2)
    c.close()
    for n in range(60):
        minji.send(type="send", id=f"mj-{n}", conversation=conversation, text=f"reply {n} " + "가" * 40)
        minji.next("ack", id=f"mj-{n}", seq=n + 3)
    def ring_events() -> int:
        metrics = http(srv, "/metrics")[2].decode()
        return int(next(l.split()[1] for l in metrics.splitlines() if l.startswith("switchboard_transcripts_ring_events ")))
    # Events leave the ring once synced (a few ms after their acks under the interval).
    assert eventually(lambda: ring_events() < 60, timeout=5)
    again, welcome = customer(srv, session=session, last_seq=2)
    assert welcome["resumed"] is True
    history = again.next("history", conversation=conversation, more=False)
    assert [e["seq"] for e in history["events"]] == list(range(3, 63))
    assert [e["text"] for e in history["events"]] == [f"reply {n} " + "가" * 40 for n in range(60)]
    # A message re-sent after the reconnect (same client id) is not stored twice.
    again.send(type="send", id="before", text="hello")
    assert again.next("ack", id="before")["duplicate"] is True
    again.send(type="fetch_history", id="h", after_seq=60)
    assert [e["seq"] for e in again.next("history")["events"]] == [61, 62]


# ---- read-back -------------------------------------------------------------------------

ORIGIN = "https://shop.example"


def test_transcript_read_back_auth_formats_and_cors(brokers):
    srv = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST + f'[security]\nallowed_origins = ["{ORIGIN}"]\n'))
    minji = connect_with_origin(srv, "agent")
    minji.send(type="hello", id="a1", login=MINJI["handle"], secret=MINJI["secret"])
    minji.next("welcome", role="agent")
    minji.send(type="set_status", id="a2", status="available")
    minji.next("ack", id="a2")
    c, welcome = customer_with_origin(srv)
    c.send(type="start_chat", id="s1", queue="orders", first_message="<b>배송</b> 문의 & 환불")
    c.next("ack", id="s1")
    c.next("queued")
    c.next("message", seq=1)
    conversation = c.next("agent_joined", seq=2)["conversation"]
    minji.next("assigned", conversation=conversation)
    minji.next("message", seq=1)
    minji.next("agent_joined", seq=2)
    minji.send(type="send", id="r1", conversation=conversation, text="확인해 드릴게요")
    minji.next("ack", id="r1", seq=3)
    path = f"/v1/conversations/{conversation}/transcript"
    bearer = {"Authorization": f"Bearer {welcome['session']}", "Origin": ORIGIN}

    # Staff: JSON with Basic; any agent or supervisor; wrong or missing credentials 401.
    for login, secret in ((LEAD["login"], LEAD["secret"]), (MINJI["handle"], MINJI["secret"])):
        status, headers, body = http(srv, path, headers=basic(login, secret))
        assert status == 200 and headers["Content-Type"] == "application/json"
        doc = json.loads(body)
        assert doc["conversation"] == conversation and doc["first_seq"] == 1 and doc["last_seq"] == 3
        assert [e["type"] for e in doc["events"]] == ["message", "agent_joined", "message"]
    status, headers, _ = http(srv, path, headers=basic(LEAD["login"], "wrong"))
    assert status == 401 and "Basic" in headers["WWW-Authenticate"]
    assert http(srv, path)[0] == 401
    assert http(srv, path, headers={"Authorization": "Basic !!!"})[0] == 401
    assert http(srv, "/v1/conversations/c-99-1/transcript", headers=basic(LEAD["login"], LEAD["secret"]))[0] == 404
    assert http(srv, "/v1/conversations/nonsense/transcript", headers=basic(LEAD["login"], LEAD["secret"]))[0] == 404

    # The customer: text and HTML with the session token, CORS for the allowed origin.
    status, headers, body = http(srv, path + ".txt", headers=bearer)
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "attachment" in headers["Content-Disposition"]
    text = body.decode()
    # A Korean customer's conversation reads in Korean, in the centre's zone (named).
    assert text.startswith(f"상담 기록 {conversation}\n시간대: Asia/Seoul (UTC+09:00)\n")
    assert "고객: <b>배송</b> 문의 & 환불" in text and "박민지 (상담원): 확인해 드릴게요" in text
    status, headers, body = http(srv, path + ".html", headers=bearer)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    html = body.decode()
    assert "&lt;b&gt;배송&lt;/b&gt; 문의 &amp; 환불" in html and "<b>배송</b>" not in html
    status, _, body = http(srv, path, headers=bearer)
    assert status == 200 and json.loads(body)["last_seq"] == 3

    # Another customer's token may not read it; an unknown token is 401.
    _, other = customer_with_origin(srv)
    assert http(srv, path + ".txt", headers={"Authorization": f"Bearer {other['session']}"})[0] == 403
    assert http(srv, path + ".txt", headers={"Authorization": "Bearer " + "A" * 32})[0] == 401

    # Preflight: the allowed origin gets the CORS answer; another origin is refused.
    status, headers, _ = http(srv, path + ".txt", method="OPTIONS",
                              headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
                                       "Access-Control-Request-Headers": "authorization"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in headers["Access-Control-Allow-Headers"]
    assert "GET" in headers["Access-Control-Allow-Methods"]
    assert http(srv, path + ".txt", method="OPTIONS", headers={"Origin": "https://evil.example"})[0] == 403
    assert http(srv, path + ".txt", headers={**bearer, "Origin": "https://evil.example"})[0] == 403
    assert http(srv, path, method="POST", headers=bearer)[0] == 405


def connect_with_origin(srv: BrokerServer, role: str) -> Peer:
    from websockets.sync.client import connect
    from broker_proc import SUBPROTOCOL
    peer = Peer.__new__(Peer)
    peer.role = role
    peer.ws = connect(srv.ws_url(role), subprotocols=[SUBPROTOCOL], origin=ORIGIN, open_timeout=10)
    return peer


def customer_with_origin(srv: BrokerServer):
    peer = connect_with_origin(srv, "customer")
    peer.send(type="hello")
    return peer, peer.next("welcome", role="customer")


# ---- the disk fails ---------------------------------------------------------------------

def test_an_unwritable_data_directory_is_reported_and_the_broker_keeps_serving(brokers, tmp_path):
    # The data directory is a regular file: transcripts/ cannot be made under it.
    (tmp_path / "data").write_text("not a directory")
    srv = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST))
    status, _, body = http(srv, "/healthz")
    assert status == 503 and b"transcripts" in body
    assert "switchboard_transcripts_healthy 0" in http(srv, "/metrics")[2].decode()
    assert "transcripts" in srv.output_tail(80)
    # Chats still start and end; messages are refused with a clear error, not lost silently.
    minji = agent(srv, MINJI)
    c, _ = customer(srv)
    c.send(type="start_chat", id="s1", queue="orders")
    c.next("ack", id="s1")
    c.next("queued")
    conversation = c.next("agent_joined", seq=1)["conversation"]
    minji.next("assigned", conversation=conversation)
    minji.next("agent_joined", seq=1)
    c.send(type="send", id="m1", text="여보세요")
    error = c.next("error", id="m1", code="rate_limited", fatal=False)
    assert "transcript" in error["message"]
    # The disk comes back: the writer retries, health returns, messages are accepted.
    (tmp_path / "data").unlink()
    (tmp_path / "data").mkdir()
    assert eventually(lambda: http(srv, "/healthz")[0] == 200, timeout=10)
    c.send(type="send", id="m2", text="이제 되나요?")
    c.next("ack", id="m2", seq=2)
    minji.next("message", seq=2)
