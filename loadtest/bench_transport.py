#!/usr/bin/env python3
"""Transport benchmark: switchboard echo vs. a SwiftNIO WebSocket echo server.

Runs both servers under the same load, one after the other, each pinned to one core
with the load generator pinned to the other, at each connection count, several runs,
and prints medians and the ratio: over plain TCP, over TLS (switchboard's OpenSSL vs.
swift-nio-ssl), and with permessage-deflate (switchboard alone: NIO has no deflate).
Then measures resident memory per idle connection, with and without deflate.
Loopback only; every run is bounded and stops by itself.

    python3 loadtest/bench_transport.py                     # the README's figures
    python3 loadtest/bench_transport.py --runs 1 --duration 3 --idle 2000   # quick look
    python3 loadtest/bench_transport.py --suites tls        # one part only
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


def make_certificate(directory):
    os.makedirs(directory, exist_ok=True)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "30", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


def start_server(name, port, core, extra=()):
    """name: switchboard or nio; extra: (flag, value) pairs such as --tls-cert."""
    if name == "switchboard":
        cmd = [SWITCHBOARD, "echo", "--port", str(port), "--threads", "1", "--log-level", "warning"]
    else:
        cmd = [NIO, "--port", str(port), "--threads", "1"]
    cmd += list(extra)
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
    scheme = "wss" if getattr(args, "_tls", False) else "ws"
    cmd = ["taskset", "-c", str(core), LOADTEST] + extra + ["--url", f"{scheme}://127.0.0.1:{port}/", "--server-pid", str(server_pid),
                                                           "--json", "--quiet"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def throughput(args, title, variants, connection_counts, client_extra=()):
    """variants: list of (label, server name, server extra args). Interleaved runs."""
    print(f"== {title}: servers pinned to core 0, load generator to core 1, {args.size}-byte text, "
          f"{args.inflight} in flight per connection, {args.duration:g} s per run, {args.runs} runs", flush=True)
    table = {}
    for connections in connection_counts:
        per_variant = {label: [] for label, _, _ in variants}
        for run in range(args.runs):
            for label, name, extra in variants:  # interleaved, so slow drift on a shared machine hits all
                port = free_port()
                proc = start_server(name, port, 0, extra)
                try:
                    r = loadtest(args, port, proc.pid, 1, ["transport", "--connections", str(connections), "--size", str(args.size),
                                                           "--inflight", str(args.inflight), "--duration", str(args.duration)] + list(client_extra))
                finally:
                    stop_server(proc)
                per_variant[label].append(r)
                print(f"  {connections:>5} conns run {run + 1}: {label:<22} {r['messages_per_sec']:>10.0f} msg/s  "
                      f"p50 {r['rtt_p50_us']:>7.0f} us  p99 {r['rtt_p99_us']:>7.0f} us  "
                      f"cpu server {r['server_cpu_pct']:.0f}% loadtest {r['client_cpu_pct']:.0f}%  errors {r['errors']}", flush=True)
        table[connections] = {label: {
            "messages_per_sec_median": statistics.median(r["messages_per_sec"] for r in runs),
            "rtt_p50_us_median": statistics.median(r["rtt_p50_us"] for r in runs),
            "rtt_p99_us_median": statistics.median(r["rtt_p99_us"] for r in runs),
            "rtt_p999_us_median": statistics.median(r["rtt_p999_us"] for r in runs),
            "server_cpu_pct_median": statistics.median(r["server_cpu_pct"] for r in runs),
            "client_cpu_pct_median": statistics.median(r["client_cpu_pct"] for r in runs),
            "runs": runs} for label, runs in per_variant.items()}
    return table


def print_table(title, table, a, b):
    print(f"\n{title} (medians)")
    print(f"| connections | {a} msg/s | {b} msg/s | ratio | {a} p99 | {b} p99 | {a} server CPU | loadtest CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for connections, summary in table.items():
        x, y = summary.get(a), summary.get(b)
        if x and y:
            ratio = x["messages_per_sec_median"] / max(1, y["messages_per_sec_median"])
            print(f"| {connections} | {x['messages_per_sec_median']:.0f} | {y['messages_per_sec_median']:.0f} | {ratio:.2f}x | "
                  f"{x['rtt_p99_us_median']:.0f} us | {y['rtt_p99_us_median']:.0f} us | {x['server_cpu_pct_median']:.0f}% | "
                  f"{x['client_cpu_pct_median']:.0f}% |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suites", default="plain,tls,deflate,idle", help="comma-separated: plain, tls, deflate, idle")
    parser.add_argument("--connections", default="100,1000", help="comma-separated connection counts")
    parser.add_argument("--inflight", type=int, default=8, help="messages in flight per connection (same for every server)")
    parser.add_argument("--size", type=int, default=20, help="message bytes")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=int, default=10000, help="idle connections for the memory figures")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--output", default=os.path.join(ROOT, "test-output/bench/transport.json"))
    args = parser.parse_args()
    suites = set(args.suites.split(","))
    if not args.no_build:
        build()
    if os.cpu_count() < 2:
        sys.exit("needs 2 cores: one for the server, one for the load generator")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    counts = [int(c) for c in args.connections.split(",")]
    cert, key = make_certificate(os.path.join(ROOT, "test-output/bench/tls"))
    tls = ("--tls-cert", cert, "--tls-key", key)
    results = {"inflight": args.inflight, "size": args.size, "duration": args.duration, "runs": args.runs}
    if "plain" in suites:
        results["plain"] = throughput(args, "echo throughput over TCP", [("switchboard", "switchboard", ()), ("nio", "nio", ())], counts)
    if "tls" in suites:
        args._tls = True
        results["tls"] = throughput(args, "echo throughput over TLS", [("switchboard", "switchboard", tls), ("nio", "nio", tls)], counts)
        args._tls = False
    if "deflate" in suites:
        saved = args.size
        args.size = 200
        results["deflate"] = throughput(args, "switchboard echo with permessage-deflate (200-byte chat text)",
                                        [("plain", "switchboard", ("--no-deflate",)),
                                         ("deflate", "switchboard", ("--deflate-min-size", "0")),
                                         ("deflate-shared", "switchboard", ("--deflate-shared", "--deflate-min-size", "0"))],
                                        counts[:1], client_extra=("--deflate",))
        args.size = saved
    if "idle" in suites and args.idle > 0:
        print(f"== memory per idle connection at {args.idle} connections", flush=True)
        results["idle"] = {}
        for label, name, extra, client in [("switchboard", "switchboard", (), []), ("nio", "nio", (), []),
                                           ("switchboard deflate (context takeover, after one message)", "switchboard", (), ["--deflate", "--exchange-one"]),
                                           ("switchboard deflate (shared per loop, after one message)", "switchboard", ("--deflate-shared",), ["--deflate", "--exchange-one"])]:
            port = free_port()
            proc = start_server(name, port, 0, extra)
            try:
                time.sleep(0.5)
                r = loadtest(args, port, proc.pid, 1, ["idle", "--connections", str(args.idle)] + client)
            finally:
                stop_server(proc)
            results["idle"][label] = r
            print(f"  {label:<58} {r['bytes_per_connection']:>8.0f} bytes per connection "
                  f"(RSS {r['rss_before_bytes'] // 1024} -> {r['rss_after_bytes'] // 1024} KiB)", flush=True)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(results, f, indent=2)
    print("\n== summary")
    if "plain" in results:
        print_table("echo over TCP: switchboard vs SwiftNIO", results["plain"], "switchboard", "nio")
    if "tls" in results:
        print_table("echo over TLS: switchboard (OpenSSL) vs SwiftNIO (swift-nio-ssl)", results["tls"], "switchboard", "nio")
    if "deflate" in results:
        for connections, summary in results["deflate"].items():
            print(f"\ndeflate at {connections} connections, 200-byte text (medians): " + ", ".join(
                f"{label} {v['messages_per_sec_median']:.0f} msg/s (p99 {v['rtt_p99_us_median']:.0f} us)" for label, v in summary.items()))
    for label, r in results.get("idle", {}).items():
        print(f"idle memory, {label}: {r['bytes_per_connection']:.0f} bytes per connection ({r['bytes_per_connection'] / 1024:.2f} KiB)")
    print(f"(raw results: {os.path.relpath(args.output, ROOT)})")


if __name__ == "__main__":
    main()
