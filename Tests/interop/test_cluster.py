"""Cluster membership and the routing lease (protocol/cluster.md): several
`switchboard serve --cluster redis://… --node-name …` nodes on one real redis-server.

What is checked here: every node sees every other one (`GET /v1/cluster`), exactly
one holds the routing lease and all agree on it and its epoch; a SIGKILLed holder is
replaced about one lease timeout later with a higher epoch; a Redis crash turns
`/healthz` to 503 with the reason and the nodes come back by themselves when Redis
does (AOF, so the epoch never goes backwards); two processes with one node name are
reported; bad cluster options stop the start with a clear message.
"""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from broker_proc import BrokerServer, broker_config
from redis_proc import RedisServer
from switchboard_proc import HOST, REPO_ROOT, switchboard_bin
from test_broker import FAST, JOON, LEAD, MINJI, Peer, agent, customer, start_broker, supervisor  # noqa: F401  (start_broker: the fixture)

LEASE_SECONDS = 2


def cluster_config(name: str, redis, extra: str = "", agents=(), supervisors=(), lease_seconds: int = LEASE_SECONDS) -> str:
    """`redis`: anything with a `url` (the server, or a FaultProxy in front of it)."""
    return broker_config(agents=agents, supervisors=supervisors, extra=f'[cluster]\nredis = "{redis.url}"\nnode_name = "{name}"\n'
                                              f"lease_timeout_seconds = {lease_seconds}\n{extra}")


def get(srv: BrokerServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(srv.http_url(path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def status(srv: BrokerServer) -> dict:
    code, body = get(srv, "/v1/cluster")
    assert code == 200, body
    return json.loads(body)


def wait_for(condition, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(step)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last})", pytrace=False)


def until(peer, type_: str, **fields) -> dict:
    """The peer's next message of `type_` carrying `fields`, past any others."""
    while True:
        message = peer.recv(timeout=10)
        if message["type"] == type_ and all(message.get(k) == v for k, v in fields.items()):
            return message


def resume(srv: BrokerServer, token: str, **hello) -> tuple[Peer, dict]:
    """A customer's `hello` with its session on `srv`, as the widget sends it: answered
    `unavailable` (close 4013, the node could not look the session up yet), it connects
    again after a moment."""
    for _ in range(20):
        peer = Peer(srv, "customer")
        peer.send(type="hello", session=token, **hello)
        answer = peer.recv(timeout=10)
        if answer["type"] == "welcome":
            return peer, answer
        assert answer["type"] == "error" and answer["code"] == "unavailable", answer
        assert peer.closed_with() == 4013
        time.sleep(0.25)
    pytest.fail("the session could not be looked up for 5 s", pytrace=False)


class Cluster:
    """Redis and the nodes of one test; stopped by PID at its end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.redis = RedisServer(tmp_path / "redis").start()
        self.nodes: dict[str, BrokerServer] = {}
        self.killed: set[str] = set()

    def start(self, name: str, extra: str = "", agents=(), supervisors=(), via=None,
              lease_seconds: int = LEASE_SECONDS) -> BrokerServer:
        """`via`: a FaultProxy this node reaches Redis through (the others go direct)."""
        directory = self.tmp_path / name
        directory.mkdir(exist_ok=True)
        path = directory / "switchboard.toml"
        path.write_text(cluster_config(name, via or self.redis, extra, agents, supervisors, lease_seconds), encoding="utf-8")
        srv = BrokerServer(path, (), log_path=directory / "broker.log")
        srv.start()
        self.nodes[name] = srv
        self.killed.discard(name)
        return srv

    def kill(self, name: str) -> None:
        srv = self.nodes[name]
        srv.signal(signal.SIGKILL)
        srv.wait(10)
        self.killed.add(name)

    def live(self) -> dict[str, BrokerServer]:
        return {n: s for n, s in self.nodes.items() if n not in self.killed}

    def agreed_holder(self) -> tuple[str, int] | None:
        """The lease holder and epoch when every live node reports the same one and
        exactly that node says it holds it; else None."""
        seen = {name: status(srv) for name, srv in self.live().items()}
        holders = {(s["lease"]["holder"], s["lease"]["epoch"]) for s in seen.values()}
        if len(holders) != 1:
            return None
        holder, epoch = holders.pop()
        here = [name for name, s in seen.items() if s["lease"]["held_here"]]
        return (holder, epoch) if here == [holder] else None

    def close(self) -> list[str]:
        problems = []
        for name, srv in self.nodes.items():
            if name in self.killed:
                continue
            problems += srv.stop()
        self.redis.stop()
        return problems


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    problems = c.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_three_nodes_see_each_other_and_agree_on_one_lease_holder(cluster):
    for name in ("north", "east", "west"):
        cluster.start(name)

    def everyone_sees_everyone():
        for srv in cluster.nodes.values():
            s = status(srv)
            if {n["name"] for n in s["nodes"] if n["alive"]} != {"north", "east", "west"}:
                return False
        return True

    wait_for(everyone_sees_everyone, 10, "every node to see all three")
    holder, epoch = wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    assert holder in cluster.nodes and epoch >= 1
    for name, srv in cluster.nodes.items():
        s = status(srv)
        assert s["mode"] == "cluster" and s["node"] == name
        assert s["redis"]["state"] == "up" and s["redis"]["address"] == f"{HOST}:{cluster.redis.port}"
        assert isinstance(s["redis"]["round_trip_ms"], (int, float)) and s["redis"]["round_trip_ms"] < 1000
        assert s["lease"]["timeout_ms"] == LEASE_SECONDS * 1000
        addresses = {n["name"]: n["address"] for n in s["nodes"]}
        assert addresses[name] == f"{HOST}:{srv.port}", "a node advertises the port it listens on"
        assert get(srv, "/healthz")[0] == 200
    # What Redis holds is what the nodes report.
    assert cluster.redis.command("GET", "switchboard:lease").startswith(f"{holder}@")
    assert int(cluster.redis.command("GET", "switchboard:epoch")) == epoch


def test_a_killed_lease_holder_is_replaced_with_a_higher_epoch(cluster):
    for name in ("north", "east", "west"):
        cluster.start(name)
    holder, epoch = wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    killed_at = time.monotonic()
    cluster.kill(holder)

    def replaced():
        agreed = cluster.agreed_holder()
        return agreed if agreed and agreed[0] != holder else None

    new_holder, new_epoch = wait_for(replaced, LEASE_SECONDS + 5, "another node to take the lease", step=0.02)
    took = time.monotonic() - killed_at
    assert new_epoch == epoch + 1, "each new holder gets the next fencing epoch"
    # The lease lasts LEASE_SECONDS from the dead holder's last renewal; the others
    # ask again as it runs out (ticks are 250 ms apart).
    assert took <= LEASE_SECONDS + 1.0, f"the lease took {took:.2f}s to move"
    survivor = status(cluster.nodes[new_holder])
    dead = {n["name"]: n for n in survivor["nodes"]}[holder]
    assert dead["alive"] is False

    # The dead node comes back under its name: it joins and does not take the lease.
    cluster.start(holder)
    wait_for(lambda: all(n["alive"] for n in status(cluster.nodes[holder])["nodes"]), 10, "the returning node to be seen")
    time.sleep(LEASE_SECONDS)
    assert cluster.agreed_holder() == (new_holder, new_epoch)


def test_a_redis_crash_makes_nodes_unhealthy_until_it_comes_back(cluster):
    for name in ("north", "east"):
        cluster.start(name)
    holder, epoch = wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    cluster.redis.kill()
    for srv in cluster.nodes.values():
        code, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(get(srv, "/healthz")), 5, "/healthz 503")
        assert "Redis" in body and "down" in body, body
        s = status(srv)
        assert s["redis"]["state"] == "down" and s["redis"]["reason"]
    # The holder stops acting as one once its lease would have run out.
    wait_for(lambda: not status(cluster.nodes[holder])["lease"]["held_here"], LEASE_SECONDS + 2, "the holder to let go")

    cluster.redis.start()
    for srv in cluster.nodes.values():
        wait_for(lambda: get(srv, "/healthz")[0] == 200, 10, "/healthz 200 after Redis returned")
    new_holder, new_epoch = wait_for(cluster.agreed_holder, 10, "a lease holder after the outage")
    # appendfsync always: the epoch counter survived the crash, so fencing epochs only grow.
    assert new_epoch > epoch


def test_two_processes_with_one_node_name_are_reported(cluster):
    first = cluster.start("twin")
    second_dir = cluster.tmp_path / "twin-2"
    second_dir.mkdir()
    path = second_dir / "switchboard.toml"
    path.write_text(cluster_config("twin", cluster.redis), encoding="utf-8")
    second = BrokerServer(path, (), log_path=second_dir / "broker.log").start()
    try:
        def conflict_reported():
            return any("conflict" in status(s) for s in (first, second))

        wait_for(conflict_reported, 10, "a node-name conflict in /v1/cluster")
        reporting = [s for s in (first, second) if "conflict" in status(s)]
        code, body = get(reporting[0], "/healthz")
        assert code == 503 and "--node-name" in body
    finally:
        second.stop()


def test_a_single_node_says_so(start_broker):
    srv = start_broker(broker_config(), "--node-name", "solo")
    s = status(srv)
    assert s["mode"] == "single" and s["node"] == "solo" and s["redis"] is None
    assert s["lease"] == {"holder": "solo", "epoch": 0, "held_here": True}
    assert [n["name"] for n in s["nodes"]] == ["solo"]


@pytest.mark.parametrize("args, message", [
    (["--cluster", "redis://redis.example:6379"], "IP address"),
    (["--cluster", "rediss://127.0.0.1:6379"], "not supported"),
    (["--cluster", "redis://127.0.0.1:6379", "--node-name", "no spaces"], "node name"),
])
def test_bad_cluster_options_stop_the_start(tmp_path, args, message):
    done = subprocess.run([str(switchboard_bin()), "serve", "--port", "0", "--data-dir", str(tmp_path), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, cwd=REPO_ROOT)
    assert done.returncode == 64, done
    assert message in done.stderr, done.stderr


def test_a_bad_cluster_section_names_its_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[cluster]\nredis = "redis://127.0.0.1:6379"\nnode_name = "a b"\n', encoding="utf-8")
    done = subprocess.run([str(switchboard_bin()), "serve", "--port", "0", "--config", str(path), "--data-dir", str(tmp_path)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, cwd=REPO_ROOT)
    assert done.returncode == 78, done
    assert "line 3" in done.stderr and "node_name" in done.stderr, done.stderr


# ---- one centre across nodes ------------------------------------------------------

def test_customers_on_any_node_are_served_in_arrival_order_by_an_agent_on_another(cluster):
    """One line per queue across the cluster: customers arriving on two nodes, one after
    another, are assigned to an agent on a third in the order they arrived; the agent's
    capacity holds; a freed slot goes to the customer who has waited longest, wherever."""
    staff = [dict(MINJI, chat_capacity=2)]
    nodes = {name: cluster.start(name, extra=FAST, agents=staff, supervisors=[LEAD]) for name in ("east", "west", "north")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["east"], MINJI)
    # A supervisor on another node sees her on duty and connected (the centre is the same there).
    lead = supervisor(nodes["north"])

    def minji_seen_from_north():
        lead.send(type="get_snapshot", id="g")
        while True:
            message = lead.recv(timeout=10)
            if message["type"] == "snapshot":
                return {a["handle"]: a for a in message["agents"]}[MINJI["handle"]]
    wait_for(lambda: (lambda a: a["status"] == "available" and a["connected"])(minji_seen_from_north()), 5,
             "the supervisor on another node to see minji available and connected")
    lead.close()

    customers = []
    for index, node in enumerate(["west", "north", "west", "north"]):
        c, _ = customer(nodes[node], language="ko")
        c.send(type="start_chat", id="s1", queue="orders", name=f"고객{index}", first_message=f"첫 메시지 {index}")
        c.next("ack", id="s1", timeout=10)
        customers.append(c)

    def next_assigned():
        """The agent's next assignment, past the events of the conversations it has."""
        while True:
            message = minji.recv(timeout=10)
            if message["type"] == "assigned":
                return message
            assert message["type"] in ("message", "agent_joined", "presence", "ack", "conversation_ended"), message

    # Capacity 2: the first two are assigned, in arrival order, and nobody else.
    first = next_assigned()
    second = next_assigned()
    def until(peer, type_):
        while True:
            message = peer.recv(timeout=10)
            if message["type"] == type_:
                return message
            assert message["type"] in ("queued", "message", "place", "estimate"), message

    for c in customers[:2]:
        until(c, "agent_joined")
    assert [first["customer"]["name"], second["customer"]["name"]] == ["고객0", "고객1"]
    # The other two wait, first in line the one who came first.
    assert until(customers[2], "queued")["place"] == 1
    assert until(customers[3], "queued")["place"] == 2

    # A freed slot goes to the customer who has waited longest (on another node).
    minji.send(type="end", id="e1", conversation=first["conversation"])
    third = next_assigned()
    assert third["customer"]["name"] == "고객2"

    # Every node keeps the whole centre: the same queue figures on each (connections are each node's own).
    def queue_figures(srv):
        stats = json.loads(get(srv, "/v1/stats")[1])
        return {q["queue"]: (q["waiting_chats"], q["waiting_calls"], q["agents_on_duty"], q["pending_messages"],
                             q.get("wait", {}).get("answered")) for q in stats["queues"]}

    # (Figures are published every quarter second.)
    for node in nodes.values():
        wait_for(lambda: queue_figures(node)["orders"][:3] == (1, 0, 1), 5, "one customer waiting and minji on duty")
    wait_for(lambda: len({json.dumps(queue_figures(n), sort_keys=True) for n in nodes.values()}) == 1, 5,
             "every node's /v1/stats to show the same queues")
    for c in customers + [minji]:
        c.close()


def test_a_conversation_between_nodes_relays_every_message_once_and_in_order(cluster):
    """The relay between nodes (Redis streams, off the routing path): a customer on one
    node and an agent on another hold a conversation. Each side gets the other's
    messages once, in seq order, with the same seqs the acks gave; a re-sent message is
    acknowledged as the duplicate it is; typing and receipts cross too; and both nodes
    keep the same transcript under the same conversation id."""
    east = cluster.start("east", extra=FAST, agents=[MINJI])
    west = cluster.start("west", extra=FAST, agents=[MINJI])
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(east, MINJI)
    shopper, _ = customer(west, language="ko")
    shopper.send(type="start_chat", id="s1", queue="orders", name="김고객", first_message="주문 문의합니다")
    shopper.next("ack", id="s1", timeout=10)

    assigned = until(minji, "assigned")
    conversation = assigned["conversation"]
    first = until(minji, "message")
    assert (first["seq"], first["text"], first["from"]) == (1, "주문 문의합니다", "customer")
    assert until(minji, "agent_joined")["seq"] == 2
    joined = until(shopper, "agent_joined")
    assert (joined["conversation"], joined["seq"]) == (conversation, 2)

    # Both ways, interleaved: every ack's seq is the one the other side sees.
    sent = []
    for n in range(20):
        shopper.send(type="send", id=f"c{n}", text=f"고객 메시지 {n}")
        minji.send(type="send", id=f"a{n}", conversation=conversation, text=f"상담원 답변 {n}")
        sent.append(("customer", f"c{n}", f"고객 메시지 {n}"))
        sent.append(("agent", f"a{n}", f"상담원 답변 {n}"))
    acked = {}
    seen_by_agent, seen_by_customer = [], []
    while len(acked) < 40 or len(seen_by_agent) < 20 or len(seen_by_customer) < 20:
        for peer, seen in ((minji, seen_by_agent), (shopper, seen_by_customer)):
            try:
                message = peer.recv(timeout=0.05)
            except TimeoutError:
                continue
            if message["type"] == "ack" and "seq" in message:
                assert message["conversation"] == conversation
                acked[message["id"]] = message["seq"]
            elif message["type"] == "message":
                seen.append(message)
            else:
                assert message["type"] in ("presence", "typing", "receipt"), message
    assert [m["text"] for m in seen_by_agent] == [f"고객 메시지 {n}" for n in range(20)]
    assert [m["text"] for m in seen_by_customer] == [f"상담원 답변 {n}" for n in range(20)]
    assert all(m["seq"] == acked[m["client_id"]] for m in seen_by_agent + seen_by_customer if "client_id" in m)
    assert sorted(acked.values()) == list(range(3, 43)), "gapless seqs after the pre-chat message and the join"
    for m in seen_by_agent:
        assert m["seq"] == acked[f"c{int(m['text'].split()[-1])}"]

    # A message re-sent (its ack missed) is stored once.
    shopper.send(type="send", id="c7", text="고객 메시지 7")
    again = until(shopper, "ack", id="c7")
    assert again["seq"] == acked["c7"] and again.get("duplicate") is True

    # Typing and receipts cross between the nodes.
    minji.send(type="typing", id="t1", conversation=conversation, active=True)
    assert until(shopper, "typing")["from"] == "agent"
    shopper.send(type="receipt", id="r1", kind="read", seq=42)
    receipt = until(minji, "receipt")
    assert (receipt["from"], receipt["seq"], receipt["kind"]) == ("customer", 42, "read")

    # Each node keeps the whole transcript, under the same id.
    for peer in (minji, shopper):
        if peer is minji:
            peer.send(type="fetch_history", id="h", conversation=conversation)
        else:
            peer.send(type="fetch_history", id="h")
        history = until(peer, "history")
        assert history["conversation"] == conversation
        assert [e["seq"] for e in history["events"]] == list(range(1, 43))

    # The end reaches both sides; Redis then keeps the conversation's stream a day, no longer.
    stream = f"switchboard:conv:{conversation}"
    assert cluster.redis.command("PTTL", stream) == -1, "a live conversation's stream does not expire"
    minji.send(type="end", id="e", conversation=conversation)
    assert until(shopper, "conversation_ended")["seq"] == 43
    ttl = wait_for(lambda: (lambda t: t if t > 0 else None)(cluster.redis.command("PTTL", stream)), 5, "an expiry on the stream")
    assert 23 * 3600 * 1000 < ttl <= 24 * 3600 * 1000
    minji.close()
    shopper.close()


def test_a_shopper_assigned_while_between_nodes_resumes_into_her_conversation(cluster):
    """A shopper waiting in line loses her node; before the centre takes it for lost an
    agent takes her, and no node has her connected to write the new conversation into
    her shared session. She comes back on another node: the centre says where her contact is, so she is resumed into
    the conversation — she gets `agent_joined` in the history and her messages go
    through (found by loadtest/chaos.py: such a shopper was told an agent joined, then
    refused every message as "no agent has joined yet")."""
    nodes = {name: cluster.start(name, extra=FAST, agents=[MINJI]) for name in ("north", "east", "west")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["north"], MINJI, available=False)
    minji.send(type="set_status", id="away", status="away")
    until(minji, "ack", id="away")
    shopper, welcome = customer(nodes["east"], language="ko")
    token = welcome["session"]
    shopper.send(type="start_chat", id="s1", queue="orders", name="김고객")
    shopper.next("ack", id="s1", timeout=10)
    until(shopper, "queued")
    # Her node dies: until it is taken for lost the centre has her as connected there.
    cluster.kill("east")
    minji.send(type="set_status", id="av", status="available")
    conversation = until(minji, "assigned")["conversation"]

    back, resumed = resume(nodes["west"], token)
    assert resumed["resumed"] is True
    history = until(back, "history")
    assert history["conversation"] == conversation
    assert [e["type"] for e in history["events"]] == ["agent_joined"]
    back.send(type="send", id="c1", text="배송이 늦어요")
    assert until(back, "ack", id="c1")["seq"] == 2
    assert until(minji, "message", seq=2)["text"] == "배송이 늦어요"
    back.close()
    minji.close()


def test_after_its_conversation_ended_a_shopper_resumes_anywhere_and_any_node_reads_it_whole(cluster):
    """A contact that finished is forgotten by the centre, but its session lives on (to
    rate, to start again), on any node: a shopper whose node dies after her conversation
    ended resumes on another node — welcomed as resumed, not as an unknown session —
    gets the end she missed, and starts a new chat. The ended conversation reads back
    whole from a node that never followed it (from the stream Redis keeps a day). Both
    were found by loadtest/chaos.py."""
    forgetful = FAST + "ended_contacts_kept = 0\n"   # a finished contact is forgotten at once
    nodes = {name: cluster.start(name, extra=forgetful, agents=[MINJI]) for name in ("north", "east", "west")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["north"], MINJI)
    shopper, welcome = customer(nodes["east"], language="ko")
    token = welcome["session"]
    shopper.send(type="start_chat", id="s1", queue="orders", name="김고객")
    shopper.next("ack", id="s1", timeout=10)
    conversation = until(minji, "assigned")["conversation"]
    until(shopper, "agent_joined")
    shopper.send(type="send", id="c1", text="환불 문의합니다")
    assert until(shopper, "ack", id="c1")["seq"] == 2
    until(minji, "message", seq=2)
    shopper.close()
    minji.send(type="send", id="a1", conversation=conversation, text="처리되었습니다")
    assert until(minji, "ack", id="a1")["seq"] == 3
    minji.send(type="end", id="e1", conversation=conversation)
    until(minji, "ack", id="e1")
    time.sleep(0.5)
    auth = "Basic " + base64.b64encode(f"{MINJI['handle']}:{MINJI['secret']}".encode()).decode()
    request = urllib.request.Request(nodes["west"].http_url(f"/v1/conversations/{conversation}/transcript"),
                                     headers={"Authorization": auth})
    with urllib.request.urlopen(request, timeout=10) as r:
        events = json.loads(r.read())["events"]
    assert [(e["seq"], e["type"]) for e in events] == [(1, "agent_joined"), (2, "message"), (3, "message"),
                                                       (4, "conversation_ended")]
    cluster.kill("east")

    back, resumed = resume(nodes["west"], token, last_seq=2)
    assert resumed["resumed"] is True
    history = until(back, "history")
    assert [e["type"] for e in history["events"]] == ["message", "conversation_ended"]
    back.send(type="start_chat", id="s2", queue="orders", name="김고객")
    assert until(back, "ack", id="s2")
    second = until(minji, "assigned")["conversation"]
    assert second != conversation
    assert until(back, "agent_joined")["conversation"] == second
    back.close()
    minji.close()


def test_a_customer_dropped_on_one_node_resumes_on_another_with_nothing_lost_or_doubled(cluster):
    """Sessions on any node: the widget's token is valid on every node. A customer on
    west drops; the agent on east writes meanwhile; the customer comes back on north
    with its token and last seq, is welcomed as resumed, gets exactly what it missed,
    and the conversation goes on from there."""
    nodes = {name: cluster.start(name, extra=FAST, agents=[MINJI]) for name in ("east", "west", "north")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["east"], MINJI)
    shopper, welcome = customer(nodes["west"], language="ko")
    token = welcome["session"]
    shopper.send(type="start_chat", id="s1", queue="orders", name="김고객", first_message="배송 문의")
    shopper.next("ack", id="s1", timeout=10)

    conversation = until(minji, "assigned")["conversation"]
    until(shopper, "agent_joined")
    shopper.send(type="send", id="c1", text="언제 오나요?")
    assert until(shopper, "ack", id="c1")["seq"] == 3
    minji.send(type="send", id="a1", conversation=conversation, text="확인해 보겠습니다")
    assert until(shopper, "message")["seq"] == 4
    shopper.close()

    # Written while the customer is away.
    for n in range(2, 6):
        minji.send(type="send", id=f"a{n}", conversation=conversation, text=f"답변 {n}")
        until(minji, "ack", id=f"a{n}")

    back, resumed = resume(nodes["north"], token, last_seq=4)
    assert resumed["resumed"] is True and resumed["session"] == token
    history = until(back, "history")
    assert history["conversation"] == conversation
    assert [(e["seq"], e.get("text")) for e in history["events"]] == [(5 + n, f"답변 {n + 2}") for n in range(4)]

    # The conversation goes on from the new node, both ways, with the next seqs.
    back.send(type="send", id="c2", text="감사합니다")
    assert until(back, "ack", id="c2")["seq"] == 9
    assert until(minji, "message", seq=9)["text"] == "감사합니다"
    minji.send(type="send", id="a6", conversation=conversation, text="좋은 하루 되세요")
    assert until(back, "message")["seq"] == 10
    # The earlier message re-sent from the new node is known there too.
    back.send(type="send", id="c1", text="언제 오나요?")
    again = until(back, "ack", id="c1")
    assert again["seq"] == 3 and again.get("duplicate") is True
    # The transcript reads back from any node: staff on west (the customer's first node, which
    # let the conversation go), the customer with its token on east (where it never was).
    def transcript(srv, authorization):
        request = urllib.request.Request(srv.http_url(f"/v1/conversations/{conversation}/transcript"),
                                         headers={"Authorization": authorization})
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())
    staff = "Basic " + base64.b64encode(f"{MINJI['handle']}:{MINJI['secret']}".encode()).decode()
    for srv, authorization in ((nodes["west"], staff), (nodes["east"], f"Bearer {token}"), (nodes["north"], staff)):
        events = wait_for(lambda: (lambda t: t if len(t["events"]) == 10 else None)(transcript(srv, authorization)), 5,
                          "the whole transcript")["events"]
        assert [e["seq"] for e in events] == list(range(1, 11))
        assert events[-1]["text"] == "좋은 하루 되세요"
    # A token no node wrote stays unknown everywhere.
    stranger = Peer(nodes["east"], "customer")
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    stranger.send(type="hello", session=forged)
    assert stranger.next("error")["code"] == "unknown_session"
    for peer in (minji, back, stranger):
        peer.close()


def test_forty_customers_on_two_nodes_are_paired_in_arrival_order_by_an_agent_on_a_third(cluster):
    """One line across the cluster, at the issue's size: forty customers arrive one after
    another, alternating between two nodes, while the only agent (on a third node) is
    on duty but away. When she comes on duty with ten chat places she gets the first ten in arrival
    order; each time she ends one, the next in line is hers — never more than ten at
    once, every customer exactly once."""
    staff = [dict(MINJI, chat_capacity=10)]
    nodes = {name: cluster.start(name, extra=FAST, agents=staff) for name in ("east", "west", "north")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["north"], MINJI, available=False)
    minji.send(type="set_status", id="away", status="away")  # on duty (so customers queue), taking nobody
    minji.next("ack", id="away")
    customers = []
    for index in range(40):
        c, _ = customer(nodes["west" if index % 2 == 0 else "east"], language="ko")
        c.send(type="start_chat", id="s1", queue="orders", name=f"고객{index}")
        c.next("ack", id="s1", timeout=10)
        customers.append(c)

    def waiting(srv):
        stats = json.loads(get(srv, "/v1/stats")[1])
        return {q["queue"]: q for q in stats["queues"]}["orders"]["waiting_chats"]
    for srv in nodes.values():
        wait_for(lambda: waiting(srv) == 40, 10, "forty waiting, as seen from every node")

    minji.send(type="set_status", id="on", status="available")
    held, order = [], []

    def next_assigned():
        message = until(minji, "assigned")
        order.append(message["customer"]["name"])
        held.append(message["conversation"])
        assert len(held) <= 10, "more chats than her capacity"
        return message

    for _ in range(10):
        next_assigned()
    assert order == [f"고객{i}" for i in range(10)]
    for n in range(30):
        minji.send(type="end", id=f"e{n}", conversation=held.pop(0))
        next_assigned()
    assert order == [f"고객{i}" for i in range(40)], order
    # Every customer was joined by her, once.
    for index, c in enumerate(customers):
        joined = until(c, "agent_joined")
        assert joined["agent_name"] == MINJI["name"], index
    for srv in nodes.values():
        wait_for(lambda: waiting(srv) == 0, 5, "nobody waiting")
    for c in customers + [minji]:
        c.close()


def test_a_session_that_cannot_be_looked_up_is_not_called_unknown(cluster):
    """While Redis is away, a node cannot look up a session another node wrote: the
    customer hears `unavailable` and close 4013 (connect again shortly) — never
    `unknown_session`, which would make the widget start afresh and lose its place.
    Once Redis is back the same token resumes there."""
    nodes = {name: cluster.start(name, extra=FAST, agents=[MINJI]) for name in ("east", "west")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["east"], MINJI, available=False)
    minji.send(type="set_status", id="away", status="away")
    minji.next("ack", id="away")
    shopper, welcome = customer(nodes["west"], language="ko")
    shopper.send(type="start_chat", id="s1", queue="orders", name="김고객")
    shopper.next("ack", id="s1", timeout=10)
    assert until(shopper, "queued")["place"] == 1
    time.sleep(0.3)  # the session's record is written
    shopper.close()

    cluster.redis.kill()
    wait_for(lambda: get(nodes["east"], "/healthz")[0] == 503, 5, "east to see Redis gone")
    refused = Peer(nodes["east"], "customer")
    refused.send(type="hello", session=welcome["session"])
    error = refused.next("error")
    assert (error["code"], error["fatal"], error["retry_after_ms"]) == ("unavailable", True, 1000), error
    assert refused.closed_with() == 4013

    cluster.redis.start()
    wait_for(lambda: get(nodes["east"], "/healthz")[0] == 200, 10, "east back on Redis")
    back, resumed = resume(nodes["east"], welcome["session"])
    assert resumed["resumed"] is True
    assert until(back, "queued")["place"] == 1, "still first in line"
    back.close()
    minji.close()


def test_nodes_start_from_the_latest_snapshot_and_the_log_stays_bounded(cluster):
    """Snapshots (protocol/cluster.md): with `snapshot_every = 10` the lease holder stores
    the centre every ten log entries and trims the log behind the one before. A node
    that joins later, and one that is killed and started again, load the latest
    snapshot instead of replaying the log, agree with the others on the line, and serve
    on: a customer from before the restart resumes on the restarted node and is served
    in its place in line."""
    extra = "snapshot_every = 10\n" + FAST  # [cluster] comes first in the file
    staff = [dict(MINJI, chat_capacity=2)]
    nodes = {name: cluster.start(name, extra=extra, agents=staff) for name in ("east", "west")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["west"], MINJI)
    customers = []
    for index in range(24):
        c, welcome = customer(nodes["east"], language="ko")
        c.send(type="start_chat", id="s1", queue="orders", name=f"고객{index}")
        c.next("ack", id="s1", timeout=10)
        customers.append((c, welcome["session"]))
    held = [until(minji, "assigned")["conversation"] for _ in range(2)]

    def waiting(srv):
        stats = json.loads(get(srv, "/v1/stats")[1])
        # A node just started may not have published its first figures yet.
        return {q["queue"]: q for q in stats["queues"]}.get("orders", {}).get("waiting_chats")
    log_entries = int(cluster.redis.command("GET", "switchboard:log-count"))
    assert log_entries >= 25  # her going available, then the arrivals
    snapshot_at = int(wait_for(lambda: cluster.redis.command("HGET", "switchboard:snapshot", "number"), 10, "a snapshot"))
    assert snapshot_at >= 10
    # Snapshots are encoded off the loop: the second one (which trims) may come a little later.
    wait_for(lambda: int(cluster.redis.command("XLEN", "switchboard:log")) < log_entries, 10, "the log trimmed")

    # A node that joins now starts from the snapshot.
    north = cluster.start("north", extra=extra, agents=staff)
    wait_for(lambda: waiting(north) == 22, 10, "the line as north sees it")
    assert north.wait_for_output("started from the snapshot at log entry", 5) is not None

    # East dies with its 22 customers waiting; started again, it loads the snapshot.
    cluster.kill("east")
    for c, _ in customers:
        c.close()
    east = cluster.start("east", extra=extra, agents=staff)
    wait_for(lambda: waiting(east) == 22, 10, "the line as the restarted east sees it")
    assert east.wait_for_output("started from the snapshot at log entry", 5) is not None
    for srv in (nodes["west"], north):
        assert waiting(srv) == 22

    # The third customer resumes on the restarted node and is next when a place frees.
    third, resumed = resume(east, customers[2][1])
    assert resumed["resumed"] is True
    minji.send(type="end", id="e1", conversation=held[0])
    assert until(minji, "assigned")["customer"]["name"] == "고객2"
    assert until(third, "agent_joined")["agent_name"] == MINJI["name"]
    for srv in (east, nodes["west"], north):
        wait_for(lambda: waiting(srv) == 21, 5, "one fewer waiting, on every node")
    # The wait statistics came with the snapshot: every node counts every arrival and
    # answer since the start, not only those after the snapshot it started from.
    def run_figures(srv):
        stats = json.loads(get(srv, "/v1/stats")[1])
        run = {q["queue"]: q for q in stats["queues"]}["orders"]["wait"]["chat"]["run"]
        return run["arrivals"], run["wait"]["count"]
    for srv in (east, nodes["west"], north):
        wait_for(lambda: run_figures(srv) == (24, 3), 5, "24 arrivals and 3 answered, on every node")
    # /v1/cluster tells each node's place in the log and its latest snapshot.
    entries = int(cluster.redis.command("GET", "switchboard:log-count"))
    for srv in (east, north):
        log = wait_for(lambda: (lambda l: l if l["applied_entry"] == entries else None)(status(srv)["log"]), 5,
                       "the node's place in the log")
        assert 10 <= log["snapshot_entry"] <= entries
    third.close()
    minji.close()


def test_a_killed_nodes_customers_and_agents_get_their_grace_periods(cluster):
    """Node loss: a node SIGKILLed holds customers and an agent. About two lease timeouts
    later the lease holder logs the process as lost, and every replica disconnects
    whom it still held, so their grace periods run as when a connection drops on one
    node. A waiting customer who resumes on another node within it keeps their place
    in line; one who never comes back ends their conversation as timed out, which frees
    the agent for the next in line; the lost agent goes off duty when their grace ends."""
    extra = FAST + "[grace]\ncustomer_seconds = 4\nagent_seconds = 4\n"
    staff = [dict(MINJI, chat_capacity=1), dict(JOON, skills=["returns"])]
    nodes = {name: cluster.start(name, extra=extra, agents=staff) for name in ("east", "west", "north")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    minji = agent(nodes["north"], MINJI)
    joon = agent(nodes["west"], JOON)  # on duty for returns, where nobody writes

    def start(srv, name):
        c, welcome = customer(srv, language="ko")
        c.send(type="start_chat", id="s1", queue="orders", name=name)
        c.next("ack", id="s1", timeout=10)
        return c, welcome["session"]
    gone, _ = start(nodes["west"], "떠난고객")
    conversation = until(minji, "assigned")["conversation"]
    until(gone, "agent_joined")
    second, second_token = start(nodes["west"], "돌아온고객")
    third, _ = start(nodes["east"], "세번째고객")

    def figures(srv):
        stats = json.loads(get(srv, "/v1/stats")[1])
        return {q["queue"]: q for q in stats["queues"]}["orders"]["waiting_chats"], stats["stats"]["agents"]["on_duty"]
    for srv in nodes.values():
        wait_for(lambda: figures(srv) == (2, 2), 10, "two waiting, two agents on duty")

    cluster.kill("west")
    killed_at = time.monotonic()
    for peer in (gone, second, joon):
        peer.close()
    # The second customer comes back on east at once: it claims its place there.
    back, resumed = resume(nodes["east"], second_token)
    assert resumed["resumed"] is True

    # The customer who never came back: lost, then timed out; her agent takes the next.
    # (The end is an event of that conversation, written by the lease holder; the next
    # assignment is told by her own node: across conversations either may come first.)
    seen = {}
    while len(seen) < 2:
        message = minji.recv(timeout=20)
        if message["type"] in ("conversation_ended", "assigned"):
            seen[message["type"]] = message
    assert seen["conversation_ended"]["conversation"] == conversation
    assert seen["conversation_ended"]["reason"] == "customer_timed_out"
    assert time.monotonic() - killed_at >= 4, "not before the customer's grace period"
    assert seen["assigned"]["customer"]["name"] == "돌아온고객"
    until(back, "agent_joined")
    # The lost agent went off duty when his grace ended; one waiting, on every live node.
    for srv in (nodes["east"], nodes["north"]):
        wait_for(lambda: figures(srv) == (1, 1), 20, "one waiting and one agent on duty")
    for peer in (minji, back, third):
        peer.close()


def test_a_message_left_on_one_node_reaches_an_agent_on_another_with_where_to_answer(cluster):
    """Leave-a-message across nodes: with nobody on duty a customer on east is offered
    "leave a message" and leaves one with where to answer it; the message lives in the
    replicated centre, so when an agent comes on duty on west she is handed it there,
    with the text, the customer's details and `reply_to`; every node counts it pending
    until then. (The record `m-BOOT-N` stays with the node it was left on.)"""
    nodes = {name: cluster.start(name, extra=FAST, agents=[MINJI]) for name in ("east", "west")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    c, _ = customer(nodes["east"], language="ko")
    c.send(type="start_chat", id="s1", queue="returns", name="김하늘", order_number="2026050412345")
    c.next("ack", id="s1", timeout=10)
    assert until(c, "leave_message_offered")["reason"] == "unattended"
    c.send(type="leave_message", id="l1", text="교환하고 싶어요. 연락 주세요.", reply_to="010-2345-6789")
    until(c, "ack", id="l1")
    until(c, "message_stored")
    c.close()

    def pending(srv):
        status = json.loads(get(srv, "/v1/stats")[1])
        return {q["queue"]: q for q in status["queues"]}["returns"]["pending_messages"]
    for srv in nodes.values():
        wait_for(lambda: pending(srv) == 1, 5, "one message pending, on every node")

    minji = agent(nodes["west"], MINJI)
    left = until(minji, "left_message")
    assert left["text"] == "교환하고 싶어요. 연락 주세요." and left["queue"] == "returns"
    assert left["reply_to"] == "010-2345-6789"
    assert left["customer"]["name"] == "김하늘" and left["customer"]["order_number"] == "2026050412345"
    for srv in nodes.values():
        wait_for(lambda: pending(srv) == 0, 5, "handed over, on every node")
    minji.close()


def test_every_node_reports_the_clusters_connections(cluster):
    """One set of figures: `/v1/stats` on any node counts every node's connections and
    customer sessions (summed through Redis once a second), and says this node's own
    under `node`; a node that dies drops out of the sum."""
    nodes = {name: cluster.start(name, extra=FAST, agents=[MINJI]) for name in ("east", "west")}
    wait_for(cluster.agreed_holder, 10, "one agreed lease holder")
    peers = [customer(nodes["east"], language="ko")[0] for _ in range(3)]
    peers += [customer(nodes["west"], language="ko")[0] for _ in range(2)]
    peers.append(agent(nodes["west"], MINJI))

    def counts(srv):
        stats = json.loads(get(srv, "/v1/stats")[1])
        return stats["connections"], stats["customer_sessions"], stats.get("node")
    for srv in nodes.values():
        wait_for(lambda: (lambda c: c[:2] == ({"customer": 5, "agent": 1, "supervisor": 0}, 5))(counts(srv)), 10,
                 "the cluster's counts on every node")
    east = counts(nodes["east"])[2]
    assert east["connections"] == {"customer": 3, "agent": 0, "supervisor": 0} and east["customer_sessions"] == 3
    assert east["nodes_counted"] == 2
    cluster.kill("west")
    wait_for(lambda: counts(nodes["east"])[0] == {"customer": 3, "agent": 0, "supervisor": 0}, 3 * LEASE_SECONDS + 5,
             "the dead node's counts left out")
    for peer in peers[:3]:
        peer.close()
