"""Conversations across a cluster's nodes under load, with customers dropped and
resumed on another node (protocol/cluster.md, "Relay between nodes" and "Sessions on
any node").

Three nodes on one redis-server, an agent on each. Thirty customers spread over the
nodes each hold a conversation with an agent on another node: 200 messages each way.
Halfway, every customer drops and comes back on a different node with its token and
last seq, re-sending what was not acknowledged, as the widget does. Afterwards: each
side got every message of the other exactly once and in order, every ack's seq is the
seq the other side saw, the seqs of each conversation have no gap, every node keeps
the same transcript, and `/v1/stats` on every node agrees with what the clients did.
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect

from test_broker import FAST, SUBPROTOCOL
from test_cluster import cluster, get, wait_for  # noqa: F401  (cluster: the fixture)

CONVERSATIONS = 30
MESSAGES = 200
AGENTS = [{"handle": f"agent{n}", "name": f"상담원{n}", "secret": f"secret of agent {n}", "skills": ["orders"],
           "chat_capacity": 10} for n in range(3)]
NODES = ("east", "west", "north")


class Side:
    """One WebSocket client that keeps what it was told, by seq (as the widget and the
    console do), and the acks of its own messages."""

    def __init__(self, name: str):
        self.name = name
        self.ws = None
        self.events: dict[str, dict[int, dict]] = {}
        self.acks: dict[str, int] = {}
        self.waiting: dict[str, asyncio.Future] = {}
        self.assigned: asyncio.Queue = asyncio.Queue()
        self.reader: asyncio.Task | None = None
        self.welcome: asyncio.Future | None = None
        self.pages: list[dict] = []

    async def open(self, url: str, hello: dict) -> dict:
        self.ws = await connect(url, subprotocols=[SUBPROTOCOL], open_timeout=10, max_size=None)
        self.welcome = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self.read())
        await self.send(hello)
        return await asyncio.wait_for(self.welcome, 10)

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message, ensure_ascii=False))

    async def request(self, message: dict) -> dict:
        future = asyncio.get_running_loop().create_future()
        self.waiting[message["id"]] = future
        await self.send(message)
        return await asyncio.wait_for(future, 15)

    def keep(self, event: dict) -> None:
        self.events.setdefault(event["conversation"], {})[event["seq"]] = event

    async def read(self) -> None:
        try:
            async for text in self.ws:
                message = json.loads(text)
                kind = message["type"]
                if kind == "welcome" or (kind == "error" and not self.welcome.done()):
                    self.welcome.set_result(message)  # an error: the hello was refused
                elif kind in ("message", "agent_joined", "conversation_ended", "transferred", "rated"):
                    self.keep(message)
                elif kind == "history":
                    self.pages.append(message)
                    for event in message["events"]:
                        self.keep(event)
                elif kind == "assigned":
                    self.assigned.put_nowait(message)
                if kind in ("ack", "error") and message.get("id") in self.waiting:
                    self.waiting.pop(message["id"]).set_result(message)
                if kind == "ack" and "seq" in message:
                    self.acks[message["id"]] = message["seq"]
        except Exception:
            pass

    async def close(self) -> None:
        await self.ws.close()
        if self.reader:
            await self.reader

    def texts(self, conversation: str, sender: str) -> list[str]:
        held = self.events.get(conversation, {})
        return [held[s]["text"] for s in sorted(held) if held[s]["type"] == "message" and held[s]["from"] == sender]


async def send_all(side: Side, make, ids, conversation=None) -> None:
    """Sends messages one after another, each once acknowledged (a window of one keeps
    the order the same as the widget's)."""
    for n in ids:
        message = {"type": "send", "id": make(n)[0], "text": make(n)[1]}
        if conversation:
            message["conversation"] = conversation
        answer = await side.request(message)
        assert answer["type"] == "ack", answer


async def scenario(nodes: dict) -> dict:
    urls = {name: srv.ws_url("customer") for name, srv in nodes.items()}
    agent_urls = {name: srv.ws_url("agent") for name, srv in nodes.items()}
    agents = []
    for n, who in enumerate(AGENTS):
        side = Side(who["handle"])
        await side.open(agent_urls[NODES[n]], {"type": "hello", "id": "h", "login": who["handle"], "secret": who["secret"]})
        assert (await side.request({"type": "set_status", "id": "av", "status": "available"}))["type"] == "ack"
        agents.append(side)

    # Customers arrive one after another, on the nodes in turn; each is taken by an agent
    # on some node (the centre routes; most land on another node than the customer's).
    customers: list[tuple[Side, str, str]] = []   # side, home node, conversation
    for n in range(CONVERSATIONS):
        home = NODES[n % 3]
        side = Side(f"customer{n}")
        welcome = await side.open(urls[home], {"type": "hello", "language": "ko"})
        side.token = welcome["session"]
        answer = await side.request({"type": "start_chat", "id": "s", "queue": "orders", "name": f"고객{n}"})
        assert answer["type"] == "ack", answer
        customers.append((side, home, ""))

    # Which agent holds which conversation.
    holder: dict[str, Side] = {}
    while len(holder) < CONVERSATIONS:
        for agent in agents:
            while not agent.assigned.empty():
                holder[agent.assigned.get_nowait()["conversation"]] = agent
        await asyncio.sleep(0.02)
    # A customer learns its conversation from its events (agent_joined).
    async def conversation_of(side: Side) -> str:
        for _ in range(500):
            if side.events:
                return next(iter(side.events))
            await asyncio.sleep(0.02)
        raise AssertionError(f"{side.name} was never joined")
    customers = [(side, home, await conversation_of(side)) for side, home, _ in customers]
    assert {c for _, _, c in customers} == set(holder)

    def customer_text(n, i):
        return (f"c{i}", f"고객{n}의 메시지 {i}")

    def agent_text(n, i):
        return (f"a{n}-{i}", f"상담원이 고객{n}에게 {i}")

    async def run(n: int, side: Side, home: str, conversation: str) -> None:
        agent = holder[conversation]
        half = MESSAGES // 2
        # The first half both ways at once.
        await asyncio.gather(send_all(side, lambda i: customer_text(n, i), range(half)),
                             send_all(agent, lambda i: agent_text(n, i), range(half), conversation))
        # The customer drops; the agent goes on meanwhile; the customer comes back on another
        # node with its token and last seq, then both finish.
        last_seq = max(side.events[conversation])
        await side.close()
        writing = asyncio.create_task(send_all(agent, lambda i: agent_text(n, i), range(half, MESSAGES), conversation))
        away = NODES[(NODES.index(home) + 1) % 3]
        for _ in range(20):
            back = Side(side.name)
            back.events = side.events
            back.acks = side.acks
            welcome = await back.open(urls[away], {"type": "hello", "session": side.token, "last_seq": last_seq})
            if welcome["type"] == "welcome":
                break
            # As the widget does: `unavailable` (close 4013) means connect again shortly.
            assert welcome["code"] == "unavailable", welcome
            await back.close()
            await asyncio.sleep(0.25)
        assert welcome.get("resumed") is True, welcome
        await send_all(back, lambda i: customer_text(n, i), range(half, MESSAGES))
        await writing
        results[n] = (back, conversation, agent)

    results: dict[int, tuple[Side, str, Side]] = {}
    await asyncio.gather(*(run(n, side, home, conversation) for n, (side, home, conversation) in enumerate(customers)))

    # Everything said reaches the other side (live, or in the history after the resume).
    async def settled() -> bool:
        for _ in range(500):
            if all(len(back.texts(c, "agent")) == MESSAGES and len(agent.texts(c, "customer")) == MESSAGES
                   for back, c, agent in results.values()):
                return True
            await asyncio.sleep(0.02)
        return False
    await settled()
    outcome = {"results": results, "agents": agents}
    return outcome


def test_thirty_conversations_across_nodes_with_resumes_lose_and_double_nothing(cluster):
    nodes = {name: cluster.start(name, extra=FAST, agents=AGENTS) for name in NODES}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")

    async def main():
        outcome = await scenario(nodes)
        results, agents = outcome["results"], outcome["agents"]
        for n, (back, conversation, agent) in results.items():
            assert back.texts(conversation, "agent") == [f"상담원이 고객{n}에게 {i}" for i in range(MESSAGES)], n
            assert agent.texts(conversation, "customer") == [f"고객{n}의 메시지 {i}" for i in range(MESSAGES)], n
            # Seqs: 1 is agent_joined (no pre-chat message here), then 400 messages with no gap;
            # each side holds the other's events and the acks of its own.
            mine = {back.acks[f"c{i}"] for i in range(MESSAGES)}
            theirs = {agent.acks[f"a{n}-{i}"] for i in range(MESSAGES)}
            assert sorted(set(back.events[conversation]) | mine) == list(range(1, 2 * MESSAGES + 2)), n
            assert sorted(set(agent.events[conversation]) | theirs) == list(range(1, 2 * MESSAGES + 2)), n
            # Each ack's seq is where the other side saw that message.
            for i in range(MESSAGES):
                cid, text = (f"c{i}", f"고객{n}의 메시지 {i}")
                assert agent.events[conversation][back.acks[cid]]["text"] == text
            # The agent's acks are in its own map (one socket for all its conversations).
            for i in range(MESSAGES):
                assert back.events[conversation][agent.acks[f"a{n}-{i}"]]["text"] == f"상담원이 고객{n}에게 {i}"
        # The agent's node and the customer's new node keep the same whole transcript.
        async def transcript(side: Side, conversation: str, ask: dict) -> list[tuple]:
            events, after = [], 0
            while True:
                side.pages.clear()
                answer = await side.request(dict(ask, type="fetch_history", id=f"h{after}", after_seq=after))
                assert answer["type"] == "ack", answer
                page = side.pages[-1]
                events += [(e["seq"], e["type"], e.get("text")) for e in page["events"]]
                if not page["more"]:
                    return events
                after = events[-1][0]
        for back, conversation, agent in list(results.values())[:3]:
            seen_by_agent_node = await transcript(agent, conversation, {"conversation": conversation})
            assert [e[0] for e in seen_by_agent_node] == list(range(1, 2 * MESSAGES + 2))
            assert seen_by_agent_node == await transcript(back, conversation, {})
        # One set of figures on every node: 30 waits ended (all answered), nobody waiting, three agents on duty.
        def figures(srv):
            stats = json.loads(get(srv, "/v1/stats")[1])
            orders = {q["queue"]: q for q in stats["queues"]}["orders"]
            return (orders["waiting_chats"], orders["agents_on_duty"], orders["wait"]["chat"]["run"]["wait"]["count"])
        for srv in nodes.values():
            wait_for(lambda: figures(srv) == (0, 3, CONVERSATIONS), 10, f"{CONVERSATIONS} waits ended, none waiting, 3 on duty")
        # The relay's batches: every event and note went out in some node's PUBLISH, each
        # carrying one or more (/v1/cluster `relay`, updated each second).
        def published():
            relay = [json.loads(get(srv, "/v1/cluster")[1])["relay"] for srv in nodes.values()]
            return sum(r["batches_published"] for r in relay), sum(r["entries_published"] for r in relay)
        wait_for(lambda: published()[1] >= CONVERSATIONS * 2 * MESSAGES, 5, "every message published")
        batches, entries = published()
        assert 0 < batches <= entries, (batches, entries)
        for side in [r[0] for r in results.values()] + agents:
            await side.close()
        return results

    assert len(asyncio.run(main())) == CONVERSATIONS
