"""Transcripts when the disk misbehaves, through the real broker (issue 15, items 1
and 2): a data directory on a real 2 MiB tmpfs that fills, frees and fills again, and
a flipped byte in a real segment found at the next start.

The full-disk test mounts a tmpfs itself (`mount -t tmpfs`, so it needs root); where
mounting is refused it is skipped with the reason, and only then.

    SWITCHBOARD_BIN=$PWD/.build/release/switchboard .venv/bin/python -m pytest -q Tests/interop/test_transcript_faults.py
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from broker_proc import BrokerServer, broker_config
from test_broker import FAST, LEAD, Peer, agent, eventually
from test_transcripts import MANY, brokers, drain, http, staff_transcript, start_chats  # noqa: F401 (brokers: fixture)

pytestmark = pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager")

# About 12 KB of chat per message, as in the attack: 3,990 Hangul syllables (3 bytes
# each in UTF-8) stay within the 4,000-character limit; each record holds ~12.1 KB.
TEXT = "가" * 3990


@pytest.fixture
def tmpfs_data(tmp_path):
    """A 2 MiB tmpfs mounted where the brokers of this test keep their data."""
    mount_point = tmp_path / "data"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and mount(2)): {result.stderr.strip() or result.returncode}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(directory: Path, leave: int) -> Path:
    """A file that takes all but about `leave` bytes of the file system's free space."""
    filler = directory / "filler"
    stat = os.statvfs(directory)
    size = max(0, stat.f_bavail * stat.f_frsize - leave)
    with open(filler, "wb") as f:
        chunk = b"\0" * 65536
        written = 0
        try:
            while written < size:
                written += f.write(chunk[:min(len(chunk), size - written)])
        except OSError:
            pass
    return filler


def healthz(srv: BrokerServer) -> int:
    return http(srv, "/healthz")[0]


def test_no_message_is_acknowledged_before_it_is_written_on_a_full_tmpfs(brokers, tmpfs_data):
    """Issue 15, item 1. The attack: the data directory on a 2 MiB tmpfs, ~12 KB chat
    messages; the disk filled, freed, filled again; two messages were acknowledged while
    their 24,220 bytes were still pending, were never written, and were missing after
    the restart ("torn record … cut"); SIGTERM exited 0 without a word.

    Here: a 2 MiB tmpfs, a filler file leaving ~60 KB, 12 KB messages from two
    customers at once, so two are in flight when the disk fills. Every acknowledged
    message must be in the transcript after a restart; a message whose write failed
    gets no ack (its send waits) until the disk has room; a SIGTERM while records are
    still unwritten logs how many and exits 74 (EX_IOERR)."""
    config = broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST)
    srv = brokers(config)
    minji = agent(srv, MANY)
    chats = start_chats(srv, minji, 2)
    stop = threading.Event()
    drain(minji, stop)
    acked: dict[str, list[str]] = {conversation: [] for _, conversation, _ in chats}
    held: dict[str, str] = {}
    counter = 0

    def round_of_sends(timeout: float) -> None:
        """One message from each customer whose last one was answered, sent together."""
        nonlocal counter
        sent = []
        for c, conversation, _ in chats:
            if conversation not in held:
                counter += 1
                ident = f"m-{counter}"
                c.send(type="send", id=ident, text=f"{ident} " + TEXT)
                sent.append((c, conversation, ident))
        for c, conversation, ident in sent:
            reply = answer(c, ident, timeout)
            if reply is None:
                held[conversation] = ident
            elif reply["type"] == "ack":
                acked[conversation].append(ident)
            else:
                assert reply["code"] == "rate_limited", reply

    def until_full() -> None:
        for _ in range(200):
            round_of_sends(timeout=2)
            if healthz(srv) == 503:
                return
        pytest.fail(f"the tmpfs never filled: {sum(map(len, acked.values()))} messages acknowledged")

    problems = []
    # Fill, free, fill again.
    filler = fill(tmpfs_data, leave=60_000)
    until_full()
    filler.unlink()
    # Held messages are written once there is room: their acks come then.
    for c, conversation, _ in chats:
        if conversation in held:
            ident = held.pop(conversation)
            reply = answer(c, ident, timeout=10)
            if reply is None or reply["type"] != "ack":
                problems.append(f"{ident} was not acknowledged once the disk had room: {reply}")
            else:
                acked[conversation].append(ident)
    assert eventually(lambda: healthz(srv) == 200, timeout=10)
    round_of_sends(timeout=5)
    filler = fill(tmpfs_data, leave=60_000)
    until_full()

    # SIGTERM while records are unwritten: a clear line and a non-zero exit.
    printed_before = len(srv.output())
    srv.signal(signal.SIGTERM)
    status = srv.wait(30)
    stop.set()
    assert status is not None, "the broker did not exit within 30 s of SIGTERM"
    srv._reader.join(timeout=5)  # the last lines, read after the exit
    output = srv.output()[printed_before:]
    if status != 74:
        problems.append(f"exit status {status} at a SIGTERM with unwritten records (expected 74)")
    if "not written" not in output:
        problems.append("no line says which records were not written:\n" + output)

    # Room again, a restart: every acknowledged message is there.
    filler.unlink()
    again = brokers(config)
    for conversation, messages in acked.items():
        stored = [e.get("client_id") for e in staff_transcript(again, conversation)["events"] if e["type"] == "message"]
        lost = [m for m in messages if m not in stored]
        if lost:
            problems.append(f"{conversation}: {len(lost)} of {len(messages)} acknowledged messages lost "
                            f"after the full disk and a restart: {lost}")
    assert not problems, "\n".join(problems)


def answer(c: Peer, ident: str, timeout: float) -> dict | None:
    """The `ack` or `error` for `ident`, or None if neither came in time."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            reply = c.recv(timeout=left)
        except TimeoutError:
            return None
        if reply.get("id") == ident and reply["type"] in ("ack", "error"):
            return reply


def metric(srv: BrokerServer, name: str) -> int:
    text = http(srv, "/metrics")[2].decode()
    return int(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


def test_a_flipped_byte_in_a_segment_costs_only_its_own_message(brokers, tmp_path):
    """Issue 15, item 2. The attack: one flipped byte mid-segment (a checksum mismatch)
    made recovery truncate 151 of 300 acknowledged records that were intact after it;
    a bad segment header removed all 300.

    Here: 300 acknowledged messages, SIGTERM, one byte flipped in message 150's
    record, a restart. The other 299 must read back; the damaged bytes must be kept
    beside the segment; the log, /metrics and recovery-<boot>.json must say exactly
    which event was lost. Then a flipped byte in the segment header: a restart keeps
    all 299 still."""
    config = broker_config(agents=[MANY], supervisors=[LEAD], extra=FAST)
    srv = brokers(config, "--fsync", "always")
    minji = agent(srv, MANY)
    (c, conversation, _), = start_chats(srv, minji, 1)
    stop = threading.Event()
    drain(minji, stop)
    seq_of = {}
    for n in range(1, 301):
        c.send(type="send", id=f"m-{n}", text=f"message {n} of 300")
        seq_of[n] = c.next("ack", id=f"m-{n}")["seq"]
    assert srv.stop() == []
    stop.set()

    transcripts = tmp_path / "data" / "transcripts"
    segment = sorted(transcripts.glob("*.seg"))[0]
    data = bytearray(segment.read_bytes())
    data[data.index(b"message 150 of 300")] ^= 0x01
    segment.write_bytes(bytes(data))

    again = brokers(config)
    stored = [e.get("client_id") for e in staff_transcript(again, conversation)["events"] if e["type"] == "message"]
    expected = [f"m-{n}" for n in range(1, 301) if n != 150]
    assert stored == expected, f"{len(stored)} of 300 messages read back after one flipped byte (expected 299)"
    reports = sorted(transcripts.glob("recovery-*.json"))
    assert reports, "no recovery report"
    report = json.loads(reports[-1].read_text())
    assert report["lost"] == [{"conversation": conversation, "seq": seq_of[150]}], report
    assert report["lost_records"] == 1
    kept = [transcripts / d["kept_in"] for d in report["damaged"]]
    assert len(kept) == 1 and b"lessage 150 of 300" in kept[0].read_bytes()  # the flipped 'm', kept as found
    assert metric(again, "switchboard_transcripts_recovery_lost_records") == 1
    assert again.wait_for_output("lost to damage", timeout=1) is not None
    assert again.stop() == []

    # A flipped byte in the segment header: nothing more is lost.
    data = bytearray(segment.read_bytes())
    data[2] ^= 0x10
    segment.write_bytes(bytes(data))
    third = brokers(config)
    stored = [e.get("client_id") for e in staff_transcript(third, conversation)["events"] if e["type"] == "message"]
    assert stored == expected, f"{len(stored)} of 299 messages read back after a flipped header byte"
