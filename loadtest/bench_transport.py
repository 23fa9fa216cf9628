#!/usr/bin/env python3
"""Transport benchmark: switchboard echo vs. a SwiftNIO WebSocket echo server.

Runs both servers under the same load, one after the other, each pinned to one core
with the load generator pinned to the other, at each connection count, several runs,
and prints medians and the ratio. Then measures resident memory per idle connection.
Loopback only; every run is bounded and stops by itself.

    python3 loadtest/bench_transport.py                     # the README's figures
    python3 loadtest/bench_transport.py --runs 1 --duration 3 --idle 2000   # quick look
"""
import argparse, json, os, resource, signal, socket, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWITCHBOARD = os.path.join(ROOT, ".build/release/switchboard")
LOADTEST = os.path.join(ROOT, ".build/release/switchboard-loadtest")
NIO = os.path.join(ROOT, "loadtest/nio-echo/.build/release/nio-echo")


def build():
    print("== building release binaries (switchboard, switchboard-loadtest, nio-echo)", flush=True)
    for product in ("switchboard", "switchboard-loadtest"):
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["swift", "build", "-c", "release", "--package-path", "loadtest/nio-echo"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def start_server(name, port, core):
    if name == "switchboard":
        cmd = [SWITCHBOARD, "echo", "--port", str(port), "--threads", "1", "--log-level", "warning"]
    else:
        cmd = [NIO, "--port", str(port), "--threads", "1"]
    proc = subprocess.Popen(["taskset", "-c", str(core)] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def loadtest(args, port, server_pid, core, extra):
    cmd = ["taskset", "-c", str(core), LOADTEST] + extra + ["--url", f"ws://127.0.0.1:{port}/", "--server-pid", str(server_pid),
                                                           "--json", "--quiet"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", default="100,1000", help="comma-separated connection counts")
    parser.add_argument("--inflight", type=int, default=8, help="messages in flight per connection (same for both)")
    parser.add_argument("--size", type=int, default=20, help="message bytes")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=int, default=10000, help="idle connections for the memory figure (0: skip)")
    parser.add_argument("--servers", default="switchboard,nio")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--output", default=os.path.join(ROOT, "test-output/bench/transport.json"))
    args = parser.parse_args()
    if not args.no_build:
        build()
    if os.cpu_count() < 2:
        sys.exit("needs 2 cores: one for the server, one for the load generator")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    servers = args.servers.split(",")
    results = {"inflight": args.inflight, "size": args.size, "duration": args.duration, "runs": args.runs, "throughput": {}, "idle": {}}
    print(f"== echo throughput: servers pinned to core 0, load generator to core 1, {args.size}-byte text, "
          f"{args.inflight} in flight per connection, {args.duration:g} s per run, {args.runs} runs", flush=True)
    for connections in [int(c) for c in args.connections.split(",")]:
        per_server = {name: [] for name in servers}
        for run in range(args.runs):
            for name in servers:  # interleaved, so slow drift on a shared machine hits both
                port = free_port()
                proc = start_server(name, port, 0)
                try:
                    r = loadtest(args, port, proc.pid, 1, ["transport", "--connections", str(connections), "--size", str(args.size),
                                                           "--inflight", str(args.inflight), "--duration", str(args.duration)])
                finally:
                    stop_server(proc)
                per_server[name].append(r)
                print(f"  {connections:>5} conns run {run + 1}: {name:<11} {r['messages_per_sec']:>10.0f} msg/s  "
                      f"p50 {r['rtt_p50_us']:>7.0f} us  p99 {r['rtt_p99_us']:>7.0f} us  "
                      f"cpu server {r['server_cpu_pct']:.0f}% loadtest {r['client_cpu_pct']:.0f}%  errors {r['errors']}", flush=True)
        summary = {}
        for name, runs in per_server.items():
            summary[name] = {
                "messages_per_sec_median": statistics.median(r["messages_per_sec"] for r in runs),
                "rtt_p50_us_median": statistics.median(r["rtt_p50_us"] for r in runs),
                "rtt_p99_us_median": statistics.median(r["rtt_p99_us"] for r in runs),
                "rtt_p999_us_median": statistics.median(r["rtt_p999_us"] for r in runs),
                "server_cpu_pct_median": statistics.median(r["server_cpu_pct"] for r in runs),
                "client_cpu_pct_median": statistics.median(r["client_cpu_pct"] for r in runs),
                "runs": runs,
            }
        results["throughput"][connections] = summary
    if args.idle > 0:
        print(f"== memory per idle connection at {args.idle} connections", flush=True)
        for name in servers:
            port = free_port()
            proc = start_server(name, port, 0)
            try:
                time.sleep(0.5)
                r = loadtest(args, port, proc.pid, 1, ["idle", "--connections", str(args.idle)])
            finally:
                stop_server(proc)
            results["idle"][name] = r
            print(f"  {name:<11} {r['bytes_per_connection']:>8.0f} bytes per idle connection "
                  f"(RSS {r['rss_before_bytes'] // 1024} -> {r['rss_after_bytes'] // 1024} KiB)", flush=True)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(results, f, indent=2)
    print("\n== summary (medians)")
    print(f"| connections | switchboard msg/s | SwiftNIO msg/s | ratio | switchboard p99 | SwiftNIO p99 |")
    print(f"|---|---|---|---|---|---|")
    for connections, summary in results["throughput"].items():
        sb, nio = summary.get("switchboard"), summary.get("nio")
        if sb and nio:
            ratio = sb["messages_per_sec_median"] / max(1, nio["messages_per_sec_median"])
            print(f"| {connections} | {sb['messages_per_sec_median']:.0f} | {nio['messages_per_sec_median']:.0f} | {ratio:.2f}x | "
                  f"{sb['rtt_p99_us_median']:.0f} us | {nio['rtt_p99_us_median']:.0f} us |")
    for name, r in results["idle"].items():
        print(f"idle memory, {name}: {r['bytes_per_connection']:.0f} bytes per connection ({r['bytes_per_connection'] / 1024:.2f} KiB)")
    print(f"(raw results: {os.path.relpath(args.output, ROOT)})")


if __name__ == "__main__":
    main()
