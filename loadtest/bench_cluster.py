#!/usr/bin/env python3
"""Cluster benchmark: chat messages between the nodes of a cluster, beside one node alone.

Builds release binaries, starts a redis-server on a free loopback port (AOF on,
`--appendfsync always` unless told otherwise) and three `switchboard serve --cluster`
nodes on it, all with the same configuration (`switchboard-loadtest relay
--write-config`, plus `[cluster]`). `switchboard-loadtest relay` then opens
--conversations customers spread over the nodes in turn and signs --agents agents in
spread the same way, shifted by one node, so most conversations have their customer
and their agent on different nodes (the centre routes to any free agent: about two
thirds of them, as with three nodes behind a balancer). Customers
send --rate messages/s in all; agents answer every --reply-every'th. Each run prints
the customer-to-agent latency (p50/p99/p99.9), the Redis commands per relayed message
(from `INFO commandstats` over the measured seconds; target ≤ 2), the CPU of the nodes
and of Redis per relayed message; then the same load on one node without Redis.
Medians of --runs runs; raw results in test-output/bench/cluster.json. Loopback only;
every run is bounded and stops by itself.

    python3 loadtest/bench_cluster.py                          # the README's figures
    python3 loadtest/bench_cluster.py --runs 1 --conversations 1000 --rate 2000 --duration 3   # quick look

Targets (issue "Cluster"): cross-node p99 < 10 ms at 10,000 customer msgs/s with 10,000
conversations; the single node within 10% of bench_relay.py's figures.
"""
import argparse, json, math, os, platform, shutil, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_relay import (ROOT, binaries, cpu_sample, median, raise_fd_limit, start_broker, stop_broker,  # noqa: E402
                         wait_for_quiet, write_config)

OUTPUT = os.path.join(ROOT, "test-output", "bench", "cluster.json")
NODES = ("north", "east", "west")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(workdir, appendfsync):
    redis = shutil.which("redis-server")
    if not redis:
        sys.exit("bench_cluster: redis-server is not installed (bash scripts/setup.sh installs it)")
    port = free_port()
    data = os.path.join(workdir, f"redis-{port}")
    os.makedirs(data)
    proc = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--dir", data, "--appendonly", "yes",
                             "--appendfsync", appendfsync, "--save", "", "--protected-mode", "yes"],
                            stdout=open(os.path.join(data, "redis.log"), "wb"), stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            if redis_call(port, "PING") == "PONG":
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("bench_cluster: redis-server did not answer within 10 s")


def redis_call(port, *words):
    """One command, inline, on a fresh connection; the reply's text (enough for PING and INFO)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("*%d\r\n" % len(words) + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if data.startswith(b"+") and data.endswith(b"\r\n"):
                return data[1:-2].decode()
            if data.startswith(b"$"):
                header, _, rest = data.partition(b"\r\n")
                if len(rest) >= int(header[1:]) + 2:
                    return rest[:int(header[1:])].decode()
        return data.decode()


def command_calls(port):
    """{command: calls} from INFO commandstats."""
    calls = {}
    for line in redis_call(port, "INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, _, fields = line[len("cmdstat_"):].partition(":")
            calls[name] = int(dict(f.split("=") for f in fields.split(","))["calls"])
    return calls


def run_once(loadtest, args, customer_urls, agent_urls, watched, redis_port=None):
    """One load test against `customer_urls`/`agent_urls`; samples CPU of `watched`
    pids (and Redis's commandstats) over the measured seconds."""
    cmd = [loadtest, "relay", "--conversations", str(args.conversations), "--agents", str(args.agents),
           "--rate", str(args.rate), "--reply-every", str(args.reply_every), "--duration", str(args.duration),
           "--warmup", str(args.warmup), "--json"]
    for url in customer_urls:
        cmd += ["--customer-url", url]
    for url in agent_urls:
        cmd += ["--agent-url", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The measured seconds begin `warmup` after the load tester says the conversations are
    # open and end when it says "measured": CPU and Redis's counters are sampled then.
    marks = {}

    def follow_progress():
        for line in proc.stderr:
            if "conversations open after" in line:
                marks["sending"] = time.monotonic()
            elif "measured; draining" in line:
                marks["measured"] = time.monotonic()
            marks.setdefault("log", []).append(line.rstrip())
    reader = threading.Thread(target=follow_progress, daemon=True)
    reader.start()

    def sample():
        ticks = cpu_sample()
        return (time.monotonic(), {pid: ticks.get(pid, ("", 0))[1] for pid in watched},
                command_calls(redis_port) if redis_port else {})

    first = last = None
    deadline = time.monotonic() + 600 + args.warmup + args.duration
    while proc.poll() is None and time.monotonic() < deadline:
        if first is None and "sending" in marks and time.monotonic() >= marks["sending"] + args.warmup:
            first = sample()
        if first is not None and last is None and "measured" in marks:
            last = sample()
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
    stdout = proc.stdout.read()
    proc.wait(timeout=30)
    reader.join(timeout=5)
    lines = stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{") or first is None or last is None:
        raise RuntimeError(f"load test failed ({proc.returncode}):\n{stdout}\n" + "\n".join(marks.get("log", [])[-20:]))
    result = json.loads(lines[-1])
    result["summary"] = "\n".join(lines[:-1])
    seconds = max(0.5, last[0] - first[0])
    hz = os.sysconf("SC_CLK_TCK")
    relayed = result["relayed_per_sec"] * seconds
    result["window_seconds"] = round(seconds, 2)
    result["cpu_pct"] = {str(pid): round((last[1][pid] - first[1][pid]) / hz / seconds * 100, 1) for pid in watched}
    if redis_port:
        delta = {name: last[2].get(name, 0) - first[2].get(name, 0) for name in last[2]}
        delta = {k: v for k, v in delta.items() if v > 0}
        result["redis_calls"] = delta
        chat = sum(v for k, v in delta.items() if k not in ("ping", "info"))
        result["redis_commands_per_message"] = chat / relayed if relayed else None
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=99, help="agents in all (a multiple of three: the same on each node)")
    parser.add_argument("--rate", type=float, default=10_000, help="customer messages per second, all conversations")
    parser.add_argument("--reply-every", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--appendfsync", default="always", choices=("always", "everysec", "no"))
    parser.add_argument("--fsync", choices=("always", "interval", "never"), default=None,
                        help="the nodes' [transcripts] fsync (default: the broker's, interval)")
    parser.add_argument("--scratch-path", default=".build-relay")
    parser.add_argument("--snapshot-every", type=int, default=None,
                        help="[cluster] snapshot_every for the nodes (default: the broker's, 10,000 log entries)")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-single", action="store_true", help="skip the single node beside it")
    parser.add_argument("--quiet-wait", type=float, default=120)
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args()

    switchboard, loadtest = binaries(args)
    capacity = math.ceil(args.conversations / args.agents) + 1
    limit = raise_fd_limit(args.conversations + args.agents + 64)
    workdir = tempfile.mkdtemp(prefix="switchboard-cluster-")
    base = os.path.join(workdir, "relay.toml")
    write_config(loadtest, switchboard, base, args.agents, capacity)
    print(f"== cluster: 3 nodes + redis-server (appendfsync {args.appendfsync}) and the load generator on "
          f"{os.cpu_count()} cores; {args.conversations:,} conversations, {args.agents} agents × {capacity}; "
          f"{args.rate:,.0f} customer msg/s, agents answer every {args.reply_every}th; {args.warmup:g} s warm-up + "
          f"{args.duration:g} s per run, {args.runs} runs; fd limit {limit[0]}; work dir {workdir}", flush=True)
    report = {"command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
              "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
              "conversations": args.conversations, "agents": args.agents, "rate": args.rate,
              "appendfsync": args.appendfsync, "cluster": [], "single": []}

    for run in range(1, args.runs + 1):
        wait_for_quiet(args.quiet_wait)
        redis, redis_port = start_redis(workdir, args.appendfsync)
        nodes = []
        try:
            for name in NODES:
                config = os.path.join(workdir, f"{name}-{run}.toml")
                with open(base) as f, open(config, "w") as out:
                    out.write(f.read() + f'\n[cluster]\nredis = "redis://127.0.0.1:{redis_port}"\nnode_name = "{name}"\n'
                              + (f"snapshot_every = {args.snapshot_every}\n" if args.snapshot_every else ""))
                nodes.append(start_broker(switchboard, config, workdir, f"{name}-{run}", fsync=args.fsync, launcher=()))
            time.sleep(3)  # a lease holder, and every node reading the log
            urls = [f"ws://127.0.0.1:{port}" for _, port, _ in nodes]
            r = run_once(loadtest, args, urls, urls[1:] + urls[:1], [p.pid for p, _, _ in nodes] + [redis.pid], redis_port)
        finally:
            for proc, _, _ in nodes:
                stop_broker(proc)
            stop_broker(redis)
        node_cpu = sum(r["cpu_pct"][str(p.pid)] for p, _, _ in nodes)
        r["nodes_us_per_message"] = node_cpu / 100 * 1e6 / r["relayed_per_sec"] if r["relayed_per_sec"] else None
        r["redis_us_per_message"] = r["cpu_pct"][str(redis.pid)] / 100 * 1e6 / r["relayed_per_sec"] if r["relayed_per_sec"] else None
        report["cluster"].append(r)
        print(f"  cluster run {run}: relayed {r['relayed_per_sec']:>7.0f} msg/s  c→a p50 {r['c2a_p50_us'] / 1000:5.2f} ms  "
              f"p99 {r['c2a_p99_us'] / 1000:6.2f} ms  p99.9 {r['c2a_p999_us'] / 1000:6.2f} ms  "
              f"Redis {r['redis_commands_per_message'] or 0:.2f} cmds/msg ({', '.join(f'{k} {v:,}' for k, v in sorted(r['redis_calls'].items(), key=lambda kv: -kv[1])[:4])})  "
              f"CPU/msg nodes {r['nodes_us_per_message'] or 0:.0f} µs, Redis {r['redis_us_per_message'] or 0:.0f} µs  "
              f"errors {r['errors']}", flush=True)
        if r["errors"]:
            print("      " + r["summary"].replace("\n", "\n      "), flush=True)

        if args.no_single:
            continue
        wait_for_quiet(args.quiet_wait)
        proc, port, _ = start_broker(switchboard, base, workdir, f"single-{run}", fsync=args.fsync, launcher=())
        try:
            url = f"ws://127.0.0.1:{port}"
            s = run_once(loadtest, args, [url], [url], [proc.pid])
        finally:
            stop_broker(proc)
        s["node_us_per_message"] = s["cpu_pct"][str(proc.pid)] / 100 * 1e6 / s["relayed_per_sec"] if s["relayed_per_sec"] else None
        report["single"].append(s)
        print(f"  single run {run}: relayed {s['relayed_per_sec']:>7.0f} msg/s  c→a p50 {s['c2a_p50_us'] / 1000:5.2f} ms  "
              f"p99 {s['c2a_p99_us'] / 1000:6.2f} ms  p99.9 {s['c2a_p999_us'] / 1000:6.2f} ms  "
              f"CPU/msg node {s['node_us_per_message'] or 0:.0f} µs  errors {s['errors']}", flush=True)

    def row(name, runs, per_key):
        if not runs:
            return
        ms = lambda key: f"{median(runs, key) / 1000:.2f} ms"
        redis = median(runs, "redis_commands_per_message")
        per = median(runs, per_key)
        print(f"| {name} | {median(runs, 'relayed_per_sec'):,.0f} | {ms('c2a_p50_us')} | {ms('c2a_p99_us')} | "
              f"{ms('c2a_p999_us')} | {'–' if redis is None else f'{redis:.2f}'} | {'–' if per is None else f'{per:.0f} µs'} | "
              f"{sum(r['errors'] for r in runs)} |")
    print(f"\nCluster beside one node, medians of {args.runs} runs ({args.conversations:,} conversations, "
          f"{args.rate:,.0f} customer msg/s; Redis appendfsync {args.appendfsync})")
    print("| | relayed msg/s | c→a p50 | c→a p99 | c→a p99.9 | Redis cmds/msg | CPU/msg (all nodes) | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    row("3 nodes + Redis", report["cluster"], "nodes_us_per_message")
    row("1 node, no Redis", report["single"], "node_us_per_message")
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    print(f"\nraw results: {os.path.relpath(args.output, ROOT)}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(r["errors"] for r in report["cluster"] + report["single"]) else 0


if __name__ == "__main__":
    sys.exit(main())
