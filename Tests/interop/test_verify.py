"""Tamper evidence through the real broker and the `switchboard verify` and
`switchboard verify-export` commands (issue 18): an untouched store verifies; one
flipped byte in a segment file makes `verify` exit 1 naming the record (segment
file, offset, conversation, seq); a customer's export (text, HTML, JSON) verifies
against the store and an edited one does not; a SIGKILL mid-write still verifies
after recovery.

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_verify.py
"""

from __future__ import annotations

import re
import subprocess
import threading

import pytest
from websockets.exceptions import ConnectionClosed

from broker_proc import broker_config
from switchboard_proc import switchboard_bin
from test_broker import FAST, LEAD, MINJI, agent, eventually
from test_transcripts import MANY, basic, brokers, http, sigkill, start_chats  # noqa: F401  (fixture)

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(switchboard_bin()), *args], capture_output=True, text=True, timeout=60)


def chat(srv, minji, n: int = 5) -> tuple[str, str]:
    (c, conversation, session), = start_chats(srv, minji, 1)
    for i in range(n):
        c.send(type="send", id=f"m{i}", text=f"메시지 {i}: 배송 문의")
        c.next("ack", id=f"m{i}")
        minji.next("message", conversation=conversation)
    return conversation, session


def segments(data):
    return sorted((data / "transcripts").glob("*.seg"))


def test_untouched_store_verifies_and_a_flipped_byte_is_named(brokers, tmp_path):
    srv = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST), "--fsync", "always")
    minji = agent(srv, MINJI)
    conversation, _ = chat(srv, minji)
    data = tmp_path / "data"

    # While the broker runs: safe to read beside it.
    ok = run("verify", "--data-dir", str(data))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("ok: ") and "chain head" in ok.stdout
    assert srv.stop() == []

    seg = segments(data)[-1]
    whole = seg.read_bytes()
    # The third message's text, in the middle of the segment.
    at = whole.index("메시지 2".encode())
    for position in (at, at - 30, whole.index(b"\xff\x00\x52\x43", at - 200)):
        broken = bytearray(whole)
        broken[position] ^= 0x01
        seg.write_bytes(bytes(broken))
        bad = run("verify", "--data-dir", str(data))
        assert bad.returncode == 1, bad.stdout + bad.stderr
        line = next(l for l in bad.stdout.splitlines() if l.startswith("BROKEN: "))
        m = re.match(r"BROKEN: (\S+\.seg) offset (\d+): conversation (c-\d+-\d+) seq (\d+): ", line)
        assert m, line
        assert m.group(1) == seg.name and m.group(3) == conversation
        assert int(m.group(2)) <= position < int(m.group(2)) + 200
    seg.write_bytes(whole)
    assert run("verify", "--data-dir", str(data)).returncode == 0

    # Usage: exit 2.
    assert run("verify").returncode == 2
    assert run("verify", "--data-dir", str(tmp_path / "nowhere")).returncode == 2


def test_a_customers_export_verifies_against_the_store(brokers, tmp_path):
    srv = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST), "--fsync", "always")
    minji = agent(srv, MINJI)
    conversation, session = chat(srv, minji, 3)
    data = tmp_path / "data"
    path = f"/v1/conversations/{conversation}/transcript"
    exports = {}
    for suffix in (".txt", ".html", ""):
        status, _, body = http(srv, path + suffix, headers={"Authorization": f"Bearer {session}"})
        assert status == 200
        exports[suffix] = body
    assert b"Chain head: " + conversation.encode() in exports[".txt"]
    assert b'"chain":{"conversation":"' + conversation.encode() in exports[""]
    for suffix, body in exports.items():
        f = tmp_path / f"export{suffix or '.json'}"
        f.write_bytes(body)
        ok = run("verify-export", str(f), "--data-dir", str(data))
        assert ok.returncode == 0, (suffix, ok.stdout + ok.stderr)
        # One changed word: refused.
        f.write_bytes(body.replace("배송".encode(), "환불".encode(), 1))
        bad = run("verify-export", str(f), "--data-dir", str(data))
        assert bad.returncode == 1 and "MISMATCH" in bad.stdout, bad.stdout + bad.stderr
    # Later events do not spoil an earlier export.
    c_more = minji
    c_more.send(type="send", id="later", conversation=conversation, text="추가 답변")
    c_more.next("ack", id="later")
    f = tmp_path / "export.txt"
    f.write_bytes(exports[".txt"])
    assert run("verify-export", str(f), "--data-dir", str(data)).returncode == 0
    # The standard-tools recipe of protocol/storage.md agrees with the broker.
    recipe_head = recompute_with_standard_tools(data)
    ok = run("verify", "--data-dir", str(data))
    assert recipe_head in ok.stdout
    f.write_text("not an export")
    assert run("verify-export", str(f), "--data-dir", str(data)).returncode == 2


def recompute_with_standard_tools(data) -> str:
    """protocol/storage.md's recipe (dd, openssl) as a script: the chain head."""
    script = r'''
set -eu
prev=$(printf '%064d' 0)
for seg in "$1"/*.seg; do
  size=$(stat -c %s "$seg"); off=48
  while [ $off -lt $size ]; do
    len=$(od -An -tu4 -j $((off + 4)) -N4 "$seg" | tr -d ' ')
    link=$( { printf '%s' "$prev" | xxd -r -p; dd if="$seg" bs=1 skip=$((off + 4)) count=$((40 + len)) status=none; } \
            | openssl dgst -sha256 -r | cut -c1-64)
    stored=$(dd if="$seg" bs=1 skip=$((off + 44 + len)) count=32 status=none | xxd -p -c 64)
    [ "$link" = "$stored" ] || { echo "broken at $seg offset $off" >&2; exit 1; }
    prev=$link; off=$((off + 76 + len))
  done
done
echo "$prev"
'''
    out = subprocess.run(["bash", "-c", script, "recipe", str(data / "transcripts")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_sigkill_mid_write_still_verifies(brokers, tmp_path):
    srv = brokers(broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST), "--fsync", "5ms")
    minji = agent(srv, MANY)
    chats = start_chats(srv, minji, 3)
    sent = {conversation: 0 for _, conversation, _ in chats}

    def flood(c, conversation):
        try:
            for n in range(100_000):
                c.send(type="send", id=f"f-{n}", text=f"flood {n} " + "가" * 50)
                sent[conversation] = n
        except (ConnectionClosed, OSError):
            pass

    threads = [threading.Thread(target=flood, args=(c, conv), daemon=True) for c, conv, _ in chats]
    for t in threads:
        t.start()
    assert eventually(lambda: all(n > 200 for n in sent.values()), timeout=20)
    sigkill(srv)
    for t in threads:
        t.join(timeout=10)
    data = tmp_path / "data"
    # Before recovery a torn tail is a note, not a break; after a restart the chain goes on.
    first = run("verify", "--data-dir", str(data))
    assert first.returncode == 0, first.stdout + first.stderr
    again = brokers(broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST))
    minji = agent(again, MANY)
    chat(again, minji, 2)
    ok = run("verify", "--data-dir", str(data))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "torn" not in ok.stdout


def test_subject_access_and_erasure_keep_the_chain_verifiable(brokers, tmp_path):
    srv = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST), "--fsync", "always")
    minji = agent(srv, MINJI)
    conversation, session = chat(srv, minji, 2)
    staff = basic(LEAD["login"], LEAD["secret"])
    data = tmp_path / "data"

    # Everything held about the session: staff only.
    status, _, body = http(srv, f"/v1/conversations/{conversation}/subject", headers=staff)
    assert status == 200, body
    doc = __import__("json").loads(body)
    assert doc["conversation"] == conversation and doc["session"]["conversations"] == [conversation]
    assert doc["session"]["pre_chat"]["name"] == "고객0" and doc["session"]["left_messages"] == []
    texts = [e.get("text") for e in doc["transcripts"][0]["events"]]
    assert "메시지 0: 배송 문의" in texts
    assert http(srv, f"/v1/conversations/{conversation}/subject", headers={"Authorization": f"Bearer {session}"})[0] == 401
    assert http(srv, f"/v1/conversations/{conversation}/subject", headers=staff, method="POST")[0] == 405

    # Erasure waits for the end of the conversation.
    assert http(srv, f"/v1/conversations/{conversation}/erase", headers=staff, method="POST")[0] == 409
    minji.send(type="end", id="e1", conversation=conversation)
    minji.next("ack", id="e1")
    status, _, body = http(srv, f"/v1/conversations/{conversation}/erase", headers=staff, method="POST")
    if status == 503:  # the last records were still being written: as the answer says, again
        __import__("time").sleep(1)
        status, _, body = http(srv, f"/v1/conversations/{conversation}/erase", headers=staff, method="POST")
    assert status == 200, body
    erased = __import__("json").loads(body)
    events = http(srv, f"/v1/conversations/{conversation}/transcript", headers=staff)[2]
    events = __import__("json").loads(events)["events"]
    assert events[-1]["type"] == "erased" and events[-1]["through_seq"] == erased["erased_through"]
    customer_texts = [e["text"] for e in events if e["type"] == "message" and e["from"] == "customer"]
    assert customer_texts and all(t == "[erased]" for t in customer_texts)
    assert "by lead.choi" in srv.output()
    # The words are gone from the segment files too, not only from what is served.
    stored = b"".join(p.read_bytes() for p in segments(data))
    assert "메시지 0: 배송 문의".encode() not in stored and "배송 문의".encode() not in stored
    assert b'"rewritten":"' in stored

    # The chain records the erasure instead of breaking; an export after it verifies.
    ok = run("verify", "--data-dir", str(data))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    status, _, body = http(srv, f"/v1/conversations/{conversation}/transcript.txt", headers=staff)
    f = tmp_path / "after-erasure.txt"
    f.write_bytes(body)
    ok = run("verify-export", str(f), "--data-dir", str(data))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # After a restart the erasure still holds.
    assert srv.stop() == []
    again = brokers(broker_config(agents=[MINJI], supervisors=[LEAD], extra=FAST))
    events = __import__("json").loads(http(again, f"/v1/conversations/{conversation}/transcript", headers=staff)[2])["events"]
    assert all(e["text"] == "[erased]" for e in events if e["type"] == "message" and e["from"] == "customer")


def test_hold_command(tmp_path):
    data = tmp_path / "data"
    (data / "transcripts").mkdir(parents=True)
    held = run("hold", "c-3-9", "--data-dir", str(data))
    assert held.returncode == 0 and "c-3-9 held" in held.stdout
    assert (data / "transcripts" / "holds").read_text() == "c-3-9\n"
    released = run("hold", "c-3-9", "--release", "--data-dir", str(data))
    assert released.returncode == 0 and (data / "transcripts" / "holds").read_text() == ""
    assert run("hold", "nonsense", "--data-dir", str(data)).returncode == 2
