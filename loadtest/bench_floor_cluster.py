#!/usr/bin/env python3
"""Cluster relay floor: what three nodes that do nothing but the cluster relay's syscalls
and Redis commands cost, and how fast they relay, on this machine.

bench_cluster.py measures three `switchboard serve --cluster` nodes on one redis-server
(AOF, `--appendfsync always`) with the load generator on the same two cores; the target
is a cross-node c→a p99 under 10 ms at 10,000 customer msg/s. This script asks whether
even nodes with no work of their own could meet it. It compiles
loadtest/floor/relay_floor.c (cc -O2, into --scratch-path) and runs, per run, a fresh
redis-server started as bench_cluster.py starts it (a free loopback port, AOF on,
--appendfsync as given, no RDB), three `relay_floor node`s on it and the floor load
generator, none of them pinned (bench_cluster.py pins nothing either).

A floor node is the floor broker (bench_floor.py: one epoll loop, one recv per readable
socket, one send per connection per iteration) plus the cluster relay's Redis traffic
(Sources/ChatServer/ConversationRelay.swift): each message read is appended to its
conversation's stream (`XADD PREFIX:conv:ID MAXLEN ~ 4096 0-SEQ e <event> k <client id>
t <ms>`), the iteration's XADDs in one write; on each reply the node delivers the event
if the recipient is its own, acks the sender and adds the entry to a batch, published
once at the end of the iteration (`PUBLISH PREFIX:conv-events`); every node is
subscribed on a second connection and delivers the other nodes' entries to its own
clients. The load generator spreads customers over the nodes in turn and agents the
same way shifted by one node, as bench_cluster.py, and gives customer i agent
(i / 3) % A, so that a third of the conversations stay on one node, as with the real
centre (i % A with 99 agents would make every conversation cross); it checks that every
ack and event arrives once and in order.

Printed per run and as medians: relayed msg/s (as the clients received them), c→a
latency p50/p99/p99.9 (all conversations, same-node ones included, as bench_cluster.py),
the nodes' CPU in all and per relayed message, Redis's CPU per message, Redis commands
per message (INFO commandstats over the measured window, as bench_cluster.py), the load
generator's CPU, how busy the machine was (both cores, of 200%), errors. Raw results:
test-output/bench/floor-cluster.json. Like bench_floor.py, each run waits (--quiet-wait)
for a quiet machine and a run during which other processes used more than
--max-other-cpu of a core is measured again (at most --retries times per rate). Every
process started is stopped by its PID; each node also stops by itself after its budget.

    python3 loadtest/bench_floor_cluster.py                              # 10,000/s, always, 3 runs of 10 s
    python3 loadtest/bench_floor_cluster.py --appendfsync everysec
    python3 loadtest/bench_floor_cluster.py --rate 5000 20000 --runs 1
    python3 loadtest/bench_floor_cluster.py --one-script                 # each node iteration's XADDs + PUBLISH in one EVALSHA

--one-script asks what one Redis iteration per cross-node message would give: each node
sends, at the end of its loop iteration, one EVALSHA that does the iteration's XADDs
(redis.pcall each: a refused seq is reported per entry) and then one PUBLISH of the
stored entries, so Redis stores and publishes them in one event-loop iteration (one AOF
fsync under `always`) instead of two. Redis 7 counts the commands a script runs in INFO
commandstats too (cmdstat_xadd, cmdstat_publish), so cmds/msg then includes them as
well as the EVALSHA.
"""
import argparse, json, os, platform, shutil, signal, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_relay import (ROOT, add_shared_machine_arguments, cpu_sample, measured_runs, median, others_cpu,  # noqa: E402
                         raise_fd_limit)
from bench_cluster import command_calls, start_redis  # noqa: E402
from bench_floor import build, fmt, start_broker, started, stop, stop_all  # noqa: E402

OUTPUT = os.path.join(ROOT, "test-output", "bench", "floor-cluster.json")
NODES = 3


def start_cluster(binary, workdir, name, args, budget):
    """redis-server and three floor nodes on it; returns (redis, its port, [(node, port, log, stats)])."""
    redis, redis_port = start_redis(workdir, args.appendfsync)
    started[redis.pid] = redis
    nodes = []
    for index in range(NODES):
        mode = ("node", "--redis-port", str(redis_port), "--node-index", str(index)) + (("--one-script",) if args.one_script else ())
        nodes.append(start_broker(binary, workdir, f"{name}-node{index}", budget, mode=mode, launcher=()))
    return redis, redis_port, nodes


def run_load(binary, redis, redis_port, nodes, args, rate):
    """One floor load run over the three nodes; returns its JSON result with Redis's
    command counts over the measured window and what other processes used meanwhile."""
    cmd = [binary, "load", "--port", ",".join(str(port) for _, port, _, _ in nodes),
           "--conversations", str(args.conversations), "--agents", str(args.agents), "--rate", str(rate),
           "--seconds", str(args.duration), "--warmup", str(args.warmup), "--reply-every", str(args.reply_every),
           "--server-pid", ",".join(str(proc.pid) for proc, _, _, _ in nodes),
           "--server-stats", ",".join(stats for _, _, _, stats in nodes), "--redis-pid", str(redis.pid),
           "--json", "--quiet", "--marks"]
    budget = 60 + args.warmup + args.duration
    before, t0 = cpu_sample(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started[proc.pid] = proc
    # The load says when its window opens and closes; Redis's counters are read then,
    # from this thread, so that the main one can sample the machine meanwhile.
    marks = {"log": []}

    def follow():
        for line in proc.stderr:
            if line.startswith("relay_floor load: measuring"):
                marks["first"] = command_calls(redis_port)
            elif line.startswith("relay_floor load: measured; draining"):
                marks["last"] = command_calls(redis_port)
            marks["log"].append(line.rstrip())
    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    try:
        # Sample again before it ends (it must still be there to be excluded).
        time.sleep(max(0.0, args.warmup + args.duration - 0.3))
        after, seconds = cpu_sample(), time.monotonic() - t0
        proc.wait(timeout=budget)
        stdout = proc.stdout.read()
    finally:
        stop(proc)
    reader.join(timeout=5)
    lines = stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{") or "first" not in marks or "last" not in marks:
        raise RuntimeError(f"load generator failed ({proc.returncode}):\n{stdout}\n" + "\n".join(marks["log"][-20:]))
    r = json.loads(lines[-1])
    r["summary"] = "\n".join(lines[:-1])
    delta = {k: v - marks["first"].get(k, 0) for k, v in marks["last"].items() if v > marks["first"].get(k, 0)}
    r["redis_calls"] = delta
    # ksoftirqd runs the relay's own softirq work; kworker and jbd2 mostly Redis's
    # fsyncs (the block layer's and the journal's side of `appendfsync always`): counted
    # apart, not as someone else's load.
    softirq = {pid for pid, (name, _) in after.items() if name.startswith("ksoftirqd/")}
    io = {pid for pid, (name, _) in after.items() if name.startswith(("kworker", "jbd2"))}
    mine = {proc.pid, os.getpid(), redis.pid} | {p.pid for p, _, _, _ in nodes} | softirq
    other, top = others_cpu(before, after, seconds, mine | io)
    r["other_cpu_pct"] = round(other, 1)
    r["other_processes"] = top
    hz = os.sysconf("SC_CLK_TCK")
    r["kernel_io_threads_cpu_pct"] = round(sum(after[pid][1] - before.get(pid, ("", 0))[1] for pid in io) / hz / seconds * 100, 1)
    return derive(r)


def derive(r):
    """Per relayed message (as the clients counted them, like bench_cluster.py): the
    nodes' CPU, Redis's CPU, Redis commands (INFO and PING are the driver's)."""
    relayed = r["relayed_per_sec"]
    per = lambda pct: pct / 100 * 1e6 / relayed if pct is not None and pct >= 0 and relayed else None
    r["nodes_us_per_message"] = per(r.get("server_cpu_pct"))
    r["redis_us_per_message"] = per(r.get("redis_cpu_pct"))
    chat = sum(v for k, v in r["redis_calls"].items() if k not in ("ping", "info"))
    r["redis_commands_per_message"] = chat / (relayed * r["seconds"]) if relayed else None
    r["machine_busy_pct"] = r["core0_busy_pct"] + r["core1_busy_pct"]
    b = r.get("broker")
    if b and b["publishes"]:
        r["entries_per_publish"] = b["published_entries"] / b["publishes"]
    return r


def line(label, r):
    calls = ", ".join(f"{k} {v:,}" for k, v in sorted(r["redis_calls"].items(), key=lambda kv: -kv[1])[:3])
    b = r.get("broker") or {}
    return (f"{label}: relayed {r['relayed_per_sec']:>7,.0f} msg/s  c→a p50 {r['c2a_p50_ms']:.2f} ms  "
            f"p99 {r['c2a_p99_ms']:.2f} ms  p99.9 {r['c2a_p999_ms']:.2f} ms  nodes {fmt(r.get('server_cpu_pct'), '.0f')}% "
            f"= {fmt(r['nodes_us_per_message'], '.1f')} µs/msg  Redis {fmt(r.get('redis_cpu_pct'), '.0f')}% = "
            f"{fmt(r['redis_us_per_message'], '.1f')} µs/msg, {fmt(r['redis_commands_per_message'], '.2f')} cmds/msg "
            f"({calls}; {fmt(r.get('entries_per_publish'), '.1f')} entries/PUBLISH, {b.get('refused', 0)} refused)  "
            f"load generator {r['client_cpu_pct']:.0f}%  kworker/jbd2 {r['kernel_io_threads_cpu_pct']:.0f}%  machine {r['machine_busy_pct']:.0f}% of 200%  errors {r['errors']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, nargs="+", default=[10_000],
                        help="customer messages per second, all conversations together; one line of the table each")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=99, help="agents in all (a multiple of three: the same on each node)")
    parser.add_argument("--reply-every", type=int, default=10, help="agents answer every n'th event they get (0: never)")
    parser.add_argument("--appendfsync", default="always", choices=("always", "everysec", "no"),
                        help="redis-server's AOF fsync policy (bench_cluster.py's default: always)")
    parser.add_argument("--one-script", action="store_true",
                        help="nodes send each iteration's XADDs and PUBLISH as one EVALSHA (relay_floor node --one-script)")
    parser.add_argument("--runs", type=int, default=3, help="runs per rate; the table shows medians")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before the measurement starts")
    parser.add_argument("--scratch-path", default=".build-floor", help="where relay_floor is compiled (relative to the repo)")
    parser.add_argument("--output", default=OUTPUT, help="raw results (JSON)")
    add_shared_machine_arguments(parser, retries=2, quiet_wait=120)
    args = parser.parse_args()

    if not shutil.which("cc"):
        sys.exit("bench_floor_cluster: needs cc")
    if not shutil.which("redis-server"):
        sys.exit("bench_floor_cluster: redis-server is not installed (bash scripts/setup.sh installs it)")
    limit = raise_fd_limit(args.conversations + args.agents + 64)
    binary = build(os.path.join(ROOT, args.scratch_path))
    workdir = tempfile.mkdtemp(prefix="switchboard-floor-cluster-")
    try:
        return measure(args, binary, workdir, limit)
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def measure(args, binary, workdir, limit):
    print(f"== cluster relay floor: {NODES} C nodes{' (one script per iteration)' if args.one_script else ''} + redis-server "
          f"(appendfsync {args.appendfsync}) + the C load generator, "
          f"unpinned on {os.cpu_count()} cores; {args.conversations:,} conversations, {args.agents} agents answering every "
          f"{args.reply_every}th; {', '.join(f'{r:,.0f}' for r in args.rate)} customer msg/s; {args.warmup:g} s warm-up + "
          f"{args.duration:g} s per run, {args.runs} runs; fd limit {limit[0]}; work dir {workdir}", flush=True)
    report = {"command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
              "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "appendfsync": args.appendfsync, "one_script": args.one_script,
              "conversations": args.conversations, "agents": args.agents, "reply_every": args.reply_every,
              "duration": args.duration, "warmup": args.warmup, "runs": args.runs, "results": {}}
    failures = 0
    node_budget = 120 + args.warmup + args.duration + 60  # a node outlives no run
    keys = ("relayed_per_sec", "c2a_p50_ms", "c2a_p99_ms", "c2a_p999_ms", "server_cpu_pct", "nodes_us_per_message",
            "redis_cpu_pct", "redis_us_per_message", "redis_commands_per_message", "client_cpu_pct", "machine_busy_pct",
            "entries_per_publish", "kernel_io_threads_cpu_pct")
    for rate in args.rate:
        label = f"{rate:>7,.0f}/s"

        def measure_once(attempt):
            redis, nodes = None, []
            try:
                redis, redis_port, nodes = start_cluster(binary, workdir, f"r{rate:.0f}-{attempt}", args, node_budget)
                r = run_load(binary, redis, redis_port, nodes, args, rate)
            finally:
                for proc, _, _, _ in nodes:
                    stop(proc)
                if redis is not None:
                    stop(redis, grace=20)
            for _, _, log_path, _ in nodes:
                with open(log_path, "rb") as f:
                    r.setdefault("node_logs", []).append(f.read().decode(errors="replace").splitlines()[-3:])
            return r

        runs, discarded, failed = measured_runs(args, label, f"{args.warmup + args.duration:g} s + connecting", measure_once,
                                                lambda run, r, note: print("  " + line(f"{label} run {run}", r) + note, flush=True))
        failures += failed
        result = {"rate": rate, "errors_total": sum(r["errors"] for r in runs),
                  "other_cpu_pct_max": max((r["other_cpu_pct"] for r in runs), default=None),
                  "runs": runs, "discarded_contended_runs": discarded}
        result.update({f"{k}_median": median(runs, k) for k in keys})
        report["results"][f"{rate:.0f}"] = result

    print(f"\nCluster relay floor ({NODES} C nodes{', one script per iteration' if args.one_script else ''}, "
          f"Redis appendfsync {args.appendfsync}), medians of {args.runs} runs; "
          f"{args.conversations:,} conversations, {args.agents} agents answering every {args.reply_every}th")
    print("| offered customer msg/s | relayed msg/s | c→a p50 | c→a p99 | c→a p99.9 | nodes CPU (all) | nodes µs/msg | "
          "Redis CPU | Redis µs/msg | Redis cmds/msg | load generator CPU | machine busy (of 200%) | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in report["results"].values():
        if m["relayed_per_sec_median"] is None:
            print(f"| {m['rate']:,.0f} | failed |" + " |" * 11)
            continue
        g = lambda key, pattern: fmt(m[f"{key}_median"], pattern)
        print(f"| {m['rate']:,.0f} | {g('relayed_per_sec', ',.0f')} | {g('c2a_p50_ms', '.2f')} ms | {g('c2a_p99_ms', '.2f')} ms | "
              f"{g('c2a_p999_ms', '.2f')} ms | {g('server_cpu_pct', '.0f')}% | {g('nodes_us_per_message', '.1f')} | "
              f"{g('redis_cpu_pct', '.0f')}% | {g('redis_us_per_message', '.1f')} | {g('redis_commands_per_message', '.2f')} | "
              f"{g('client_cpu_pct', '.0f')}% | {g('machine_busy_pct', '.0f')}% | {m['errors_total']} |")
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    print(f"\nraw results: {os.path.relpath(args.output, ROOT)}")
    errors = any(m["errors_total"] for m in report["results"].values())
    return 1 if failures or errors else 0


def on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nbench_floor_cluster: interrupted; stopping what it started", file=sys.stderr)
        sys.exit(130)
    finally:
        stop_all()
