#!/usr/bin/env python3
"""Chaos soak: a three-node cluster under chat traffic while its parts keep dying.

Starts a redis-server on a free loopback port (AOF, `appendfsync always` unless told
otherwise), a fault-injecting TCP proxy on one node's link to it (Tests/interop/
fault_proxy.py), and three `switchboard serve --cluster` nodes; then --conversations
shoppers and enough agents hold chats through them (Tests/interop/chat_traffic.py: the
clients resume on whichever node answers, send again with the same id after
`unavailable` or a lost connection, and fill gaps, as the widget and the console do;
every shopper holds one conversation after another). Meanwhile, from a seeded plan:

  - every --kill-every seconds a random node is SIGKILLed and started again
    --down seconds later;
  - Redis is SIGKILLed and started again --redis-restarts times, spread over the run;
  - the proxied link flaps: a blackhole, 50 ms of added latency or a reset, one every
    --flap-every seconds.

At the end the traffic stops and settles, every acked message is checked against the
transcripts, and a table is printed: messages sent, acked, delivered, lost (must be 0),
duplicated (0), double assignments (0), the longest client outage and the lease moves.
The exit status is 1 when anything was lost, doubled or assigned twice, or a shopper
was assigned but never told. Loopback only;
bounded; stops by itself; stops only the processes it started, by PID. Run it with the
test venv's Python (bash scripts/setup.sh makes it):

    .venv/bin/python loadtest/chaos.py --minutes 10                # the README's table
    .venv/bin/python loadtest/chaos.py --minutes 2 --conversations 300   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "interop"))
sys.path.insert(0, str(ROOT / "loadtest"))
try:
    import websockets  # noqa: F401
except ImportError:
    sys.exit("chaos: the Python package `websockets` is missing: run `bash scripts/setup.sh` and use .venv/bin/python")

from bench_relay import raise_fd_limit  # noqa: E402
from broker_proc import BrokerServer, broker_config  # noqa: E402
from chat_traffic import Traffic, command_log_check, http_json  # noqa: E402
from fault_proxy import FaultProxy  # noqa: E402
from redis_proc import RedisServer  # noqa: E402

NODES = ("north", "east", "west")
PROXIED = "north"   # the node whose link to Redis flaps
OUTPUT = ROOT / "test-output" / "chaos" / "chaos.json"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Prints progress every 10 s and the table at the end; raw results in "
                                            f"{OUTPUT.relative_to(ROOT)}.")
    parser.add_argument("--minutes", type=float, default=10, help="how long the faults go on (default 10)")
    parser.add_argument("--conversations", type=int, default=2000, help="shoppers chatting at once (default 2000)")
    parser.add_argument("--interval", type=float, default=10,
                        help="seconds between a shopper's messages, on average (default 10); each is answered")
    parser.add_argument("--messages", type=int, default=6, help="customer messages per conversation (default 6)")
    parser.add_argument("--kill-every", type=float, default=30, help="seconds between node kills (default 30)")
    parser.add_argument("--down", type=float, default=5, help="seconds a killed node stays down (default 5)")
    parser.add_argument("--redis-restarts", type=int, default=2, help="Redis kills and restarts (default 2)")
    parser.add_argument("--redis-down", type=float, default=3, help="seconds Redis stays down (default 3)")
    parser.add_argument("--flap-every", type=float, default=20, help="seconds between link faults (default 20)")
    parser.add_argument("--appendfsync", choices=("always", "everysec"), default="always",
                        help="Redis's AOF policy (default always: nothing acked may be lost)")
    parser.add_argument("--lease-timeout", type=float, default=3, help="the routing lease's timeout in s (default 3)")
    parser.add_argument("--seed", type=int, default=None, help="the fault plan's seed (default: random, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, data) afterwards")
    args = parser.parse_args()
    if not (0 < args.minutes <= 120):
        parser.error("--minutes must be in (0, 120]")
    if not (1 <= args.conversations <= 20_000):
        parser.error("--conversations must be 1–20,000")
    if args.interval <= 0 or args.kill_every <= args.down or args.down <= 0 or args.flap_every <= 0:
        parser.error("--interval, --down and --flap-every must be positive and --kill-every longer than --down")
    return args


class Cluster:
    """Redis, the proxy and the three nodes; restarts a node on a fresh port."""

    def __init__(self, workdir: Path, args):
        self.workdir = workdir
        self.args = args
        self.redis = RedisServer(workdir / "redis", appendfsync=args.appendfsync).start()
        self.proxy = FaultProxy(self.redis.port).start()
        self.agents = agents_for(args.conversations)
        self.nodes: dict[str, BrokerServer] = {}
        self.down: set[str] = set()

    def config(self, name: str) -> str:
        link = self.proxy.url if name == PROXIED else self.redis.url
        extra = (f'[cluster]\nredis = "{link}"\nnode_name = "{name}"\nlease_timeout_seconds = {self.args.lease_timeout:g}\n'
                 "[limits]\nmax_messages_per_second = 1000\nmessage_burst = 5000\n"
                 f'[[queues]]\nkey = "orders"\nname = "주문/배송"\nmax_waiting = {max(1000, self.args.conversations * 2)}\n')
        return broker_config(agents=self.agents, extra=extra)

    def start(self, name: str) -> None:
        directory = self.workdir / name
        directory.mkdir(exist_ok=True)
        path = directory / "switchboard.toml"
        path.write_text(self.config(name), encoding="utf-8")
        srv = BrokerServer(path, (), log_path=directory / "broker.log")
        srv.startup_timeout = 30
        srv.start()
        self.nodes[name] = srv
        self.down.discard(name)

    def kill(self, name: str) -> None:
        self.down.add(name)
        srv = self.nodes[name]
        srv.signal(signal.SIGKILL)
        srv.wait(10)

    def live(self) -> dict[str, BrokerServer]:
        return {n: s for n, s in self.nodes.items() if n not in self.down}

    def close(self) -> None:
        for name, srv in self.nodes.items():
            if name not in self.down:
                srv.stop()
        self.proxy.close()
        self.redis.stop()


def agents_for(conversations: int) -> list[dict]:
    """Enough agents for every shopper at once, 50 chats each at most."""
    count = max(2, -(-conversations * 5 // 4 // 50))
    capacity = max(3, -(-conversations * 5 // 4 // count))
    return [{"handle": f"agent{n}", "name": f"상담원{n}", "secret": f"secret of agent {n}", "skills": ["orders"],
             "chat_capacity": capacity} for n in range(count)]


async def faults(cluster: Cluster, args, rng: random.Random, deadline: float, tally: dict, say) -> None:
    """The fault plan: node kills, Redis restarts and link flaps, until `deadline`."""
    start = time.monotonic()
    span = deadline - start
    redis_at = sorted(start + span * (k + 1) / (args.redis_restarts + 1) for k in range(args.redis_restarts))
    next_kill = start + args.kill_every
    next_flap = start + args.flap_every / 2
    while time.monotonic() < deadline:
        now = time.monotonic()
        if redis_at and now >= redis_at[0]:
            redis_at.pop(0)
            say("Redis SIGKILLed")
            await asyncio.to_thread(cluster.redis.kill)
            await asyncio.sleep(args.redis_down)
            await asyncio.to_thread(cluster.redis.start)
            tally["redis_restarts"] += 1
            say("Redis started again")
        elif now >= next_kill:
            next_kill = now + args.kill_every
            victim = rng.choice(NODES)
            say(f"{victim} SIGKILLed")
            await asyncio.to_thread(cluster.kill, victim)
            tally["node_kills"] += 1
            await asyncio.sleep(args.down)
            await asyncio.to_thread(cluster.start, victim)
            say(f"{victim} started again")
        elif now >= next_flap:
            next_flap = now + args.flap_every
            kind = rng.choice(("blackhole", "delay", "reset"))
            tally["link_faults"] += 1
            if kind == "reset":
                say(f"{PROXIED}'s link to Redis reset")
                cluster.proxy.reset()
            else:
                seconds = rng.uniform(2, 5)
                say(f"{PROXIED}'s link to Redis: {kind} for {seconds:.1f} s")
                cluster.proxy.blackhole() if kind == "blackhole" else cluster.proxy.delay(0.05)
                await asyncio.sleep(seconds)
                cluster.proxy.heal()
        else:
            await asyncio.sleep(0.2)


async def soak(cluster: Cluster, args, rng: random.Random) -> dict:
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {text}", flush=True)

    traffic = Traffic(cluster.live, cluster.agents, args.conversations,
                      messages_per_conversation=args.messages, interval=args.interval)
    say(f"{len(cluster.agents)} agents signing in, {args.conversations} shoppers arriving")
    await traffic.start()
    tally = {"node_kills": 0, "redis_restarts": 0, "link_faults": 0}

    async def progress() -> None:
        while True:
            await asyncio.sleep(10)
            ledger = traffic.ledger
            epoch = "?"
            for srv in cluster.live().values():
                try:
                    epoch = (await asyncio.to_thread(http_json, srv, "/v1/cluster"))["lease"]["epoch"]
                    break
                except Exception:
                    continue
            say(f"sent {len(ledger.sent):,}, acked {len(ledger.acked):,}, contacts {ledger.contacts:,}, refused "
                f"{ledger.refused:,}, reconnects {ledger.reconnects:,}, nodes up {len(cluster.live())}, lease epoch {epoch}")

    reporter = asyncio.get_running_loop().create_task(progress())
    await asyncio.sleep(min(20, args.minutes * 60 / 4))   # arrivals settle before the first fault
    await faults(cluster, args, rng, time.monotonic() + args.minutes * 60, tally, say)
    say("faults over: stopping the traffic and letting it settle")
    await traffic.stop(settle_seconds=90)
    reporter.cancel()
    say("checking every acked message against the transcripts")
    report = await traffic.verify()
    await traffic.close()
    report.update(tally)
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def table(report: dict, args) -> str:
    rows = [("messages sent", report["sent"]), ("acked", report["acked"]), ("delivered", report["delivered"]),
            ("lost (must be 0)", report["lost"]), ("duplicated (0)", report["duplicated"]),
            ("double assignments (0)", report["double_assignments"]),
            ("assigned, the shopper never told (0)", report["never_joined"]),
            ("longest client outage", f"{report['longest_outage_s']} s"), ("lease moves", report["lease_moves"]),
            ("conversations", report["contacts"]), ("node kills", report["node_kills"]),
            ("Redis restarts", report["redis_restarts"]), ("link faults", report["link_faults"]),
            ("refused `unavailable` (sent again)", report["refused_unavailable"]),
            ("client reconnects", report["reconnects"]),
            ("command log entries (epochs)", f"{report['command_log']['entries']:,} ({report['command_log']['epochs']})"),
            ("command log: entries under an older epoch (0)", report["command_log"]["epoch_went_back"]),
            ("command log: number gaps (0)", report["command_log"]["number_gaps"])]
    lines = [f"| chaos soak: {args.minutes:g} min, {args.conversations:,} shoppers, appendfsync {args.appendfsync} | |",
             "|---|---:|"]
    lines += [f"| {name} | {value:,} |" if isinstance(value, int) else f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> int:
    args = arguments()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    random.seed(seed)
    binary = ROOT / ".build" / "release" / "switchboard"
    print(f"== building the release switchboard (seed {seed})", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "switchboard"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    os.environ.setdefault("SWITCHBOARD_BIN", str(binary))
    raise_fd_limit(args.conversations * 3 + 1024)
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-chaos-"))
    cluster = Cluster(workdir, args)
    try:
        for name in NODES:
            cluster.start(name)
        report = asyncio.run(soak(cluster, args, rng))
        report["command_log"] = command_log_check(cluster.redis)
    finally:
        cluster.close()
    report["seed"] = seed
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(table(report, args))
    print(f"\nseed {seed}; raw results in {OUTPUT.relative_to(ROOT)}; logs in {workdir}" + ("" if args.keep else " (removed)"))
    if report["problems"]:
        print("problems:\n  " + "\n  ".join(report["problems"]))
    if not args.keep:
        subprocess.run(["rm", "-rf", str(workdir)])
    log = report["command_log"]
    bad = (report["lost"] or report["duplicated"] or report["double_assignments"] or report["gaps"]
           or report["never_joined"] or log["epoch_went_back"] or log["number_gaps"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
