"""Chat traffic that goes on through faults, and the ledger that proves what it lost.

The clients behave as the widget and the console do (protocol/README.md, "Delivery
guarantees"; web-clients.md): a shopper resumes with her token and last seq on
whichever node answers, an agent signs in again and fetches what each conversation
missed, a `send` refused with `unavailable` or cut off by a lost connection is sent
again with the same id, and a gap in the seqs is filled with `fetch_history`. Every
shopper holds conversations one after another (start_chat, some messages, the agent
answers each and ends the conversation once all are answered), so routing goes on
through every fault as well as the relay.

The ledger keeps what was sent, what was acknowledged (with its seq) and what each
side was handed, and `verify` checks it against the transcripts read from a node:
every acked message stored exactly once, at its seq, with no gap, and handed to the
other side; no conversation held by two agents; no agent over its capacity.

Used by test_cluster_faults.py (50 conversations, one fault each) and by
loadtest/chaos.py (the soak). Loopback only; everything stops when `stop()` is called.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

SUBPROTOCOL = "switchboard.v1"
ANSWER_SECONDS = 30   # a request unanswered this long on an open connection is a problem


class Lost(Exception):
    """The connection went away before the answer came."""


@dataclass
class Ledger:
    sent: dict[tuple[str, str], str] = field(default_factory=dict)            # (conversation, id) -> text
    acked: dict[tuple[str, str], tuple[int, str, str]] = field(default_factory=dict)  # -> (seq, text, sender role)
    handed: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)  # (conversation, receiving role) -> seq -> text
    holder: dict[str, str] = field(default_factory=dict)                       # conversation -> agent handle
    joined: set[str] = field(default_factory=set)   # conversations whose shopper was told an agent joined
    problems: list[str] = field(default_factory=list)
    double_assignments: list[str] = field(default_factory=list)
    refused: int = 0          # `unavailable` answers (sent again later)
    reconnects: int = 0
    longest_outage: float = 0.0
    contacts: int = 0         # start_chat that went through
    gap_fetches: int = 0
    journal: list[str] = field(default_factory=list)   # connections and their ends, for reading after a failure

    def note(self, text: str) -> None:
        if len(self.journal) < 100_000:
            self.journal.append(f"{time.strftime('%H:%M:%S')}.{int(time.time() * 1000) % 1000:03d} {text}")

    def problem(self, text: str) -> None:
        if len(self.problems) < 200:
            self.problems.append(text)

    def hand(self, conversation: str, role: str, seq: int, text: str) -> None:
        held = self.handed.setdefault((conversation, role), {})
        if seq in held and held[seq] != text:
            self.problem(f"{conversation}: seq {seq} handed to the {role} as two different messages")
        held[seq] = text

    def ack(self, conversation: str, id_: str, seq: int, text: str, role: str) -> None:
        earlier = self.acked.get((conversation, id_))
        if earlier and earlier[0] != seq:
            self.problem(f"{conversation}: {id_} acked at seq {earlier[0]} and again at {seq}")
        self.acked[(conversation, id_)] = (seq, text, role)


class Client:
    """One WebSocket client that reconnects to any live node and re-sends until answered."""

    role = ""

    def __init__(self, traffic: "Traffic", name: str):
        self.traffic = traffic
        self.name = name
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.waiting: dict[str, asyncio.Future] = {}
        self.reconnecting = asyncio.Lock()
        self.lost_at: float | None = None
        self.node = ""
        self.requests = 0
        self.tasks: set[asyncio.Task] = set()
        self.closing = False
        self.histories: dict[str, dict] = {}   # the last `history` of each conversation

    def hello(self) -> dict:
        raise NotImplementedError

    def welcomed(self, welcome: dict) -> None:
        pass

    def event(self, event: dict) -> None:
        raise NotImplementedError

    def other(self, message: dict) -> None:
        """A message that is not an event, a history or an answer (e.g. `assigned`)."""

    def acknowledged(self, ack: dict) -> None:
        """An ack, before its request's waiter hears of it."""

    def dispatch(self, message: dict) -> None:
        kind = message["type"]
        if kind in ("agent_joined", "message", "conversation_ended", "transferred"):
            self.event(message)
        elif kind == "history":
            for event in message["events"]:
                self.event(event)
            self.histories[message["conversation"]] = message
        elif kind in ("ack", "error"):
            if kind == "ack":
                self.acknowledged(message)
            self.answered(message)
        else:
            self.other(message)

    def spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def connect(self) -> None:
        """Connects and says hello to a live node, trying them in a random order and then
        again with backoff (0.2 s doubling to 2 s), as the widget does behind a balancer."""
        delay = 0.2
        while not self.closing:
            nodes = list(self.traffic.live_nodes().items())
            random.shuffle(nodes)
            for name, srv in nodes:
                try:
                    ws = await asyncio.wait_for(connect(srv.ws_url(self.role), subprotocols=[SUBPROTOCOL],
                                                        max_size=None, open_timeout=5, ping_interval=None), 6)
                except Exception:
                    continue
                try:
                    await ws.send(json.dumps(self.hello(), ensure_ascii=False))
                    answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
                except Exception:
                    await ws.close()
                    continue
                if answer["type"] == "welcome":
                    self.ws, self.node = ws, name
                    self.traffic.ledger.note(f"{self.name} welcome on {name} resumed={answer.get('resumed')}")
                    if self.lost_at is not None:
                        self.traffic.ledger.reconnects += 1
                        outage = time.monotonic() - self.lost_at
                        self.traffic.ledger.longest_outage = max(self.traffic.ledger.longest_outage, outage)
                        self.lost_at = None
                    self.reader = asyncio.get_running_loop().create_task(self.read(ws))
                    self.welcomed(answer)
                    return
                await ws.close()
                if answer.get("code") != "unavailable":   # 4013: the node could not look the session up yet
                    self.traffic.ledger.problem(f"{self.name}: hello refused on {name}: {answer}")
                    if answer.get("fatal") and answer.get("code") != "unavailable":
                        raise Lost(f"{self.name}: {answer.get('code')}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def read(self, ws) -> None:
        try:
            async for text in ws:
                self.dispatch(json.loads(text))
        except Exception:
            pass
        finally:
            if self.ws is ws and not self.closing:
                self.traffic.ledger.note(f"{self.name} lost its connection to {self.node} ({ws.close_code})")
                self.ws = None
                self.lost_at = time.monotonic()
                for future in self.waiting.values():
                    if not future.done():
                        future.set_exception(Lost())
                        future.exception()   # retrieved: its request may have given up on it already
                self.waiting.clear()
                if not self.closing:   # at once, as the widget and the console do, not at the next send
                    self.spawn(self.ensure_connected())

    def answered(self, message: dict) -> None:
        future = self.waiting.pop(message.get("id"), None)
        if future is not None and not future.done():
            future.set_result(message)

    async def ensure_connected(self) -> None:
        async with self.reconnecting:
            if self.ws is None:
                await self.connect()

    async def request(self, message: dict) -> dict:
        """Sends until answered: again on the next connection when this one is lost, and
        after `retry_after_ms` when refused with `unavailable`. The answer (ack or error)."""
        while True:
            if self.closing:
                raise Lost(f"{self.name} is closing")
            await self.ensure_connected()
            ws = self.ws
            if ws is None:
                continue
            future = asyncio.get_running_loop().create_future()
            self.waiting[message["id"]] = future
            try:
                await ws.send(json.dumps(message, ensure_ascii=False))
                answer = await asyncio.wait_for(future, ANSWER_SECONDS)
            except (Lost, asyncio.CancelledError) as e:
                if isinstance(e, asyncio.CancelledError):
                    raise
                await self.drop(ws)
                continue
            except asyncio.TimeoutError:
                self.traffic.ledger.problem(f"{self.name}: no answer to {message['type']} {message['id']} "
                                            f"in {ANSWER_SECONDS} s on {self.node}")
                await self.drop(ws)
                continue
            except Exception:
                await self.drop(ws)
                continue
            if answer["type"] == "error" and answer["code"] == "unavailable":
                self.traffic.ledger.refused += 1
                await asyncio.sleep(max(answer.get("retry_after_ms", 500), 50) / 1000)
                continue
            return answer

    async def drop(self, ws) -> None:
        """Closes `ws` (if still ours) and waits for its reader to notice."""
        try:
            await asyncio.wait_for(ws.close(), 2)
        except Exception:
            pass
        if self.ws is ws:
            self.ws = None
            self.lost_at = self.lost_at or time.monotonic()

    def next_id(self, prefix: str) -> str:
        self.requests += 1
        return f"{prefix}{self.requests}"

    async def close(self) -> None:
        self.closing = True
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.ws is not None:
            ws, self.ws = self.ws, None
            try:
                await asyncio.wait_for(ws.close(), 2)
            except Exception:
                pass
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)


class Conversations:
    """What one client holds of its conversations: events by seq and its own acked seqs,
    with a gap filled by `fetch_history` (after a short wait: an ack may come after a
    later event of the other side)."""

    def __init__(self, client: Client, role: str):
        self.client = client
        self.role = role
        self.held: dict[str, set[int]] = {}
        self.fetching: set[str] = set()

    def hold(self, conversation: str, seq: int) -> None:
        self.held.setdefault(conversation, set()).add(seq)

    def contiguous(self, conversation: str) -> int:
        held, n = self.held.get(conversation, set()), 0
        while n + 1 in held:
            n += 1
        return n

    def last(self, conversation: str) -> int:
        return max(self.held.get(conversation, {0}))

    def check_gap(self, conversation: str) -> None:
        if self.last(conversation) > self.contiguous(conversation) and conversation not in self.fetching:
            self.fetching.add(conversation)
            self.client.spawn(self.fill(conversation))

    async def fill(self, conversation: str) -> None:
        try:
            await asyncio.sleep(0.5)
            if self.last(conversation) > self.contiguous(conversation):
                self.client.traffic.ledger.gap_fetches += 1
                await self.fetch(conversation, self.contiguous(conversation))
        finally:
            self.fetching.discard(conversation)

    async def fetch(self, conversation: str, after: int) -> None:
        while True:
            ask = {"type": "fetch_history", "id": self.client.next_id("h"), "after_seq": after}
            if self.role == "agent":
                ask["conversation"] = conversation
            self.client.histories.pop(conversation, None)
            answer = await self.client.request(ask)
            if answer["type"] != "ack":
                if answer.get("code") not in ("not_assigned", "unknown_conversation", "invalid_state"):
                    self.client.traffic.ledger.problem(f"{self.client.name}: fetch_history {conversation}: {answer}")
                return
            history = self.client.histories.get(conversation)   # answers come in order: the history first
            if not history or not history.get("more") or not history["events"]:
                return
            after = history["events"][-1]["seq"]


class Shopper(Client):
    """A customer: one contact after another until the traffic stops."""

    role = "customer"

    def __init__(self, traffic: "Traffic", n: int):
        super().__init__(traffic, f"shopper{n}")
        self.n = n
        self.token: str | None = None
        self.conversation: str | None = None
        self.joined = asyncio.Event()
        self.ended = asyncio.Event()
        self.book = Conversations(self, "customer")
        self.past: set[str] = set()   # conversations of earlier contacts

    def hello(self) -> dict:
        if self.token is None:
            return {"type": "hello", "language": "ko"}
        message = {"type": "hello", "session": self.token}
        if self.conversation:
            message["last_seq"] = self.book.last(self.conversation)
        return message

    def welcomed(self, welcome: dict) -> None:
        if self.token is not None and not welcome.get("resumed"):
            self.traffic.ledger.problem(f"{self.name}: the session was not resumed on {self.node}")
        self.token = welcome["session"]

    def event(self, event: dict) -> None:
        conversation, seq, kind = event["conversation"], event["seq"], event["type"]
        if kind == "message":
            # Counted as handed to her whichever of her contacts it belongs to: when the
            # traffic stops right after her last message's ack, she moves on (`past`) while
            # the agent's answer is still under way, and it reaches her a moment later.
            # Counted only for the current contact, it was "lost" (1 run in 6 of
            # test_cluster_faults.py[redis_killed] once acks came a thread hop sooner).
            self.traffic.ledger.hand(conversation, "customer", seq, event["text"])
        if conversation in self.past:
            return   # an earlier contact's, e.g. in the history a resume sends before the new one is joined
        if kind == "agent_joined" and conversation != self.conversation:
            if self.joined.is_set():
                self.traffic.ledger.double_assignments.append(
                    f"{self.name}: joined in {conversation} while in {self.conversation}")
            self.conversation = conversation
            self.joined.set()
            self.traffic.ledger.joined.add(conversation)
        if conversation != self.conversation:
            return   # an earlier contact's event, e.g. in a late history page
        self.book.hold(conversation, seq)
        if kind == "conversation_ended":
            self.ended.set()
        self.book.check_gap(conversation)

    async def live(self) -> None:
        traffic = self.traffic
        await self.ensure_connected()
        contact = 0
        while not traffic.stopping:
            contact += 1
            self.conversation = None
            self.joined.clear()
            self.ended.clear()
            answer = await self.request({"type": "start_chat", "id": f"s{contact}", "queue": traffic.queue,
                                         "name": f"고객{self.n}"})
            if answer["type"] == "error" and answer["code"] != "invalid_state":  # invalid_state: the first try went through
                traffic.ledger.problem(f"{self.name}: start_chat refused: {answer}")
                await asyncio.sleep(1)
                continue
            traffic.ledger.contacts += 1
            while not self.joined.is_set() and not traffic.stopping:
                await self.wait(self.joined, 0.5)
            if not self.joined.is_set():
                await self.request({"type": "end", "id": f"e{contact}"})
                return
            conversation = self.conversation
            for i in range(traffic.messages_per_conversation):
                await asyncio.sleep(traffic.interval * random.uniform(0.5, 1.5))
                if traffic.stopping or self.ended.is_set():
                    return
                id_, text = f"c{contact}-{i}", f"고객{self.n}의 {contact}번째 문의 {i}"
                traffic.ledger.sent[(conversation, id_)] = text
                answer = await self.request({"type": "send", "id": id_, "text": text})
                if answer["type"] == "ack":
                    traffic.ledger.ack(conversation, id_, answer["seq"], text, "customer")
                    self.book.hold(conversation, answer["seq"])
                else:
                    traffic.ledger.problem(f"{self.name}: send refused: {answer}")
            while not self.ended.is_set() and not traffic.stopping:
                await self.wait(self.ended, 0.5)
            if self.ended.is_set() and self.book.last(conversation) > self.book.contiguous(conversation):
                await self.book.fetch(conversation, self.book.contiguous(conversation))
            self.past.add(conversation)

    @staticmethod
    async def wait(event: asyncio.Event, seconds: float) -> None:
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except asyncio.TimeoutError:
            pass


class Agent(Client):
    """An agent: takes what the centre assigns, answers every customer message, and ends
    a conversation once it has answered all of them."""

    role = "agent"

    def __init__(self, traffic: "Traffic", account: dict):
        super().__init__(traffic, account["handle"])
        self.account = account
        self.open: set[str] = set()
        self.answered_seqs: dict[str, set[int]] = {}
        self.replies_acked: dict[str, int] = {}
        self.ending: set[str] = set()
        self.ends: dict[str, str] = {}   # request id -> conversation being ended
        self.book = Conversations(self, "agent")

    def hello(self) -> dict:
        return {"type": "hello", "login": self.account["handle"], "secret": self.account["secret"]}

    def welcomed(self, welcome: dict) -> None:
        if not welcome.get("resumed"):
            self.open.clear()
        self.spawn(self.request({"type": "set_status", "id": self.next_id("st"), "status": "available"}))

    def event(self, event: dict) -> None:
        conversation, seq = event["conversation"], event["seq"]
        self.book.hold(conversation, seq)
        if event["type"] == "message" and event.get("from") == "customer":
            self.traffic.ledger.hand(conversation, "agent", seq, event["text"])
            if not self.traffic.stopping and seq not in self.answered_seqs.setdefault(conversation, set()):
                self.answered_seqs[conversation].add(seq)
                self.spawn(self.reply(conversation, seq, event["text"]))
        elif event["type"] == "conversation_ended":
            self.open.discard(conversation)
        self.book.check_gap(conversation)

    def other(self, message: dict) -> None:
        if message["type"] == "assigned":
            conversation = message["conversation"]
            self.traffic.ledger.note(f"{self.name} assigned {conversation} on {self.node}")
            earlier = self.traffic.ledger.holder.setdefault(conversation, self.name)
            if earlier != self.name:
                self.traffic.ledger.double_assignments.append(f"{conversation}: assigned to {earlier} and {self.name}")
            self.open.add(conversation)
            if len(self.open) > self.account.get("chat_capacity", 3):
                self.traffic.ledger.problem(f"{self.name}: holds {len(self.open)} chats, capacity "
                                            f"{self.account.get('chat_capacity', 3)}")
            self.spawn(self.book.fetch(conversation, self.book.last(conversation)))

    def acknowledged(self, ack: dict) -> None:
        if ack.get("id") in self.ends:
            # Here, not where the request is awaited: the next `assigned` may be read first.
            self.open.discard(self.ends.pop(ack["id"]))

    async def reply(self, conversation: str, seq: int, text: str) -> None:
        traffic = self.traffic
        # Unique per agent, not only per conversation: acks are matched by id alone.
        id_, answer_text = f"r{seq}@{conversation}", f"답변: {text}"
        traffic.ledger.sent[(conversation, id_)] = answer_text
        answer = await self.request({"type": "send", "id": id_, "conversation": conversation, "text": answer_text})
        if answer["type"] != "ack":
            if answer.get("code") not in ("not_assigned", "unknown_conversation"):   # ended meanwhile: not stored
                traffic.ledger.problem(f"{self.name}: reply refused: {answer}")
            traffic.ledger.sent.pop((conversation, id_), None)
            return
        traffic.ledger.ack(conversation, id_, answer["seq"], answer_text, "agent")
        self.book.hold(conversation, answer["seq"])
        self.replies_acked[conversation] = self.replies_acked.get(conversation, 0) + 1
        if (self.replies_acked[conversation] >= traffic.messages_per_conversation
                and conversation not in self.ending and not traffic.stopping):
            self.ending.add(conversation)
            id_ = self.next_id("end")
            self.ends[id_] = conversation
            await self.request({"type": "end", "id": id_, "conversation": conversation})


class Traffic:
    """`conversations` shoppers and the `agents` (dicts as in broker_config) on the nodes
    `live_nodes()` returns ({name: BrokerServer}, re-read at every connect)."""

    def __init__(self, live_nodes, agents, conversations: int, *, queue: str = "orders",
                 messages_per_conversation: int = 8, interval: float = 0.4):
        self.live_nodes = live_nodes
        self.ledger = Ledger()
        self.queue = queue
        self.messages_per_conversation = messages_per_conversation
        self.interval = interval
        self.stopping = False
        self.accounts = list(agents)
        self.agents = [Agent(self, a) for a in agents]
        self.shoppers = [Shopper(self, n) for n in range(conversations)]
        self.lives: list[asyncio.Task] = []
        self.lease_moves = 0
        self.watcher: asyncio.Task | None = None

    async def start(self) -> None:
        for agent in self.agents:
            await agent.ensure_connected()
        self.lives = [asyncio.get_running_loop().create_task(s.live()) for s in self.shoppers]
        self.watcher = asyncio.get_running_loop().create_task(self.watch_lease())

    async def watch_lease(self) -> None:
        """Counts lease moves (epoch changes) seen on any live node, twice a second."""
        epoch = None
        while not self.stopping:
            for srv in list(self.live_nodes().values()):
                try:
                    seen = (await asyncio.to_thread(http_json, srv, "/v1/cluster"))["lease"]["epoch"]
                except Exception:
                    continue
                if seen and epoch is not None and seen > epoch:
                    self.lease_moves += 1
                epoch = max(epoch or 0, seen or 0)
                break
            await asyncio.sleep(0.5)

    async def stop(self, settle_seconds: float = 30) -> None:
        """Stops new messages, lets the ones under way be answered, then waits (up to
        `settle_seconds`) until every acked message was handed to the other side."""
        self.stopping = True
        done, pending = await asyncio.wait(self.lives, timeout=ANSWER_SECONDS * 2)
        for task in pending:
            task.cancel()
            self.ledger.problem("a shopper did not finish its last request in time")
        for task in done:
            if task.exception() is not None:
                self.ledger.problem(f"a shopper failed: {task.exception()!r}")
        for agent in self.agents:   # replies under way
            if agent.tasks:
                await asyncio.wait(list(agent.tasks), timeout=ANSWER_SECONDS)
        deadline = time.monotonic() + settle_seconds
        while time.monotonic() < deadline and self.undelivered():
            await asyncio.sleep(0.2)
        if self.watcher:
            self.watcher.cancel()

    def undelivered(self) -> list[tuple[str, str]]:
        """Acked messages the other side does not hold yet."""
        missing = []
        for (conversation, id_), (seq, text, sender) in self.ledger.acked.items():
            other = "agent" if sender == "customer" else "customer"
            if self.ledger.handed.get((conversation, other), {}).get(seq) != text:
                missing.append((conversation, id_))
        return missing

    async def close(self) -> None:
        for client in self.shoppers + self.agents:
            await client.close()

    async def verify(self) -> dict:
        """Checks the ledger against the transcripts (read from any live node) and returns
        the report: sent, acked, delivered, lost, duplicated, double assignments, …"""
        ledger = self.ledger
        by_conversation: dict[str, list[tuple[str, int, str]]] = {}
        for (conversation, id_), (seq, text, _) in ledger.acked.items():
            by_conversation.setdefault(conversation, []).append((id_, seq, text))
        lost, duplicated, gaps = [], [], []
        account = self.accounts[0]
        limit = asyncio.Semaphore(8)

        async def check(conversation: str, acked: list[tuple[str, int, str]]) -> None:
            async with limit:
                events = await asyncio.to_thread(transcript, self.live_nodes(), conversation, account)
            if events is None:
                lost.extend(f"{conversation}/{id_}: no transcript" for id_, _, _ in acked)
                return
            seqs = [e["seq"] for e in events]
            if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
                gaps.append(conversation)
            stored: dict[str, list[dict]] = {}
            for e in events:
                if e["type"] == "message" and e.get("client_id"):
                    stored.setdefault(e["client_id"], []).append(e)
            for id_, seq, text in acked:
                found = stored.get(id_, [])
                if len(found) > 1:
                    duplicated.append(f"{conversation}/{id_}: stored {len(found)} times")
                if not any(e["seq"] == seq and e["text"] == text for e in found):
                    lost.append(f"{conversation}/{id_}: acked at seq {seq}, not in the transcript there")

        await asyncio.gather(*(check(c, a) for c, a in by_conversation.items()))
        undelivered = self.undelivered()
        # Assigned to an agent, but its shopper never heard `agent_joined`: the event a
        # decision makes was never written (protocol/cluster.md, "Failures", the gap left).
        never_joined = sorted(set(ledger.holder) - ledger.joined)
        return {
            "conversations": len({c for c, _ in ledger.acked}),
            "contacts": ledger.contacts,
            "sent": len(ledger.sent),
            "acked": len(ledger.acked),
            "delivered": len(ledger.acked) - len(undelivered),
            "lost": len(lost) + len(undelivered),
            "duplicated": len(duplicated),
            "double_assignments": len(ledger.double_assignments),
            "gaps": len(gaps),
            "never_joined": len(never_joined),
            "refused_unavailable": ledger.refused,
            "reconnects": ledger.reconnects,
            "longest_outage_s": round(ledger.longest_outage, 2),
            "lease_moves": self.lease_moves,
            "gap_fetches": ledger.gap_fetches,
            "problems": ledger.problems[:20] + [f"lost: {x}" for x in lost[:10]]
                        + [f"undelivered: {c}/{i}" for c, i in undelivered[:10]] + duplicated[:10]
                        + ledger.double_assignments[:10] + [f"gap in {c}" for c in gaps[:10]]
                        + [f"assigned, never joined: {c}" for c in never_joined[:10]],
        }


def command_log_check(redis, prefix: str = "switchboard") -> dict:
    """What the command log in Redis says (protocol/cluster.md, "What Redis holds"):
    how many entries it holds, the epochs they were written under, how often an entry
    came under an older epoch than the one before it (0: fencing held, so no two lease
    holders ever decided at once, which is what could assign a customer twice), and
    gaps or repeats in the entry numbers (0)."""
    entries, epochs, went_back, number_faults = 0, set(), 0, 0
    last_epoch = last_number = None
    start = "-"
    while True:
        page = redis.command("XRANGE", f"{prefix}:log", start, "+", "COUNT", "1000")
        if not page:
            break
        for entry_id, fields in page:
            values = dict(zip(fields[::2], fields[1::2]))
            epoch, number = int(values["e"]), int(values["n"])
            entries += 1
            epochs.add(epoch)
            if last_epoch is not None and epoch < last_epoch:
                went_back += 1
            if last_number is not None and number != last_number + 1:
                number_faults += 1
            last_epoch, last_number = epoch, number
        start = "(" + page[-1][0]
    return {"entries": entries, "epochs": len(epochs), "epoch_went_back": went_back, "number_gaps": number_faults}


def http_json(srv, path: str, auth: str | None = None) -> dict:
    request = urllib.request.Request(srv.http_url(path), headers={"Authorization": auth} if auth else {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def transcript(nodes: dict, conversation: str, account: dict) -> list[dict] | None:
    """A conversation's stored events from the first live node that answers."""
    auth = "Basic " + base64.b64encode(f"{account['handle']}:{account['secret']}".encode()).decode()
    for _ in range(3):
        for srv in nodes.values():
            try:
                return http_json(srv, f"/v1/conversations/{conversation}/transcript", auth)["events"]
            except (OSError, urllib.error.URLError, ValueError):
                continue
        time.sleep(1)
    return None
