#!/usr/bin/env python3
"""Relay floor: what loopback TCP and epoll alone cost per relayed message on this machine.

`switchboard serve` spends ~42 µs of CPU per relayed message at 20,000 msg/s with
10,000 conversations (README, "Cost per relayed message, and saturation"; measured by
bench_relay.py), and the target is ≤ 15 µs and ≥ 100,000 relayed msg/s on one core.
This script asks how much of that the kernel takes whatever the broker is written in.
It compiles loadtest/floor/relay_floor.c (cc -O2, into --scratch-path), a broker that
makes the real one's syscalls and nothing else: one level-triggered epoll loop, one
recv per readable socket per iteration, per customer message an ack to the customer and
an event to its agent (per agent reply, an ack to the agent and an event to the
customer), each connection's output written with one send at the end of the iteration.
No WebSocket framing, no JSON, no desk, no transcripts.

For each --rate it runs --runs short runs, each against a fresh floor broker pinned to
core 0 with the floor load generator (single-threaded, epoll, like switchboard-loadtest
relay) on core 1: --conversations customers, --agents agents, customer messages at
--rate in total, agents answering every --reply-every'th. The load generator samples the
broker's CPU (utime + stime from /proc/PID/stat) and its own at the start and end of
the measured window, as switchboard-loadtest does for bench_relay.py, and reads the
broker's own counts (recv, send, epoll_wait, events relayed) from a shared file.
Printed, per rate, medians: relayed msg/s as the clients received them and as the broker
counted them; the broker's CPU (% of its core) and its CPU per message it relayed (by its
own count); its syscalls per relayed message and the events each epoll_wait returned;
the load generator's CPU; how busy each core was (/proc/stat: the processes plus the
softirq work ksoftirqd took over); customer-to-agent latency, its median split at the
moment the broker read the message (the broker stamps its loop time into each event):
before it, the message waited for the broker; after it, for the load generator to read
the agent's socket; errors (any ack or event missing, duplicated or out of order after
up to 10 s of draining); and which side was saturated. Then, as bench_relay.py, the
saturation rate: the most relayed per second with p99 under --saturation-p99-ms. Raw
results: test-output/bench/floor.json.

How to read it: the broker µs/msg here is the floor under bench_relay.py's figure at
the same offered rate (both measure the broker's utime + stime the same way, on
loopback); what the Swift broker spends above it is its own work (WebSocket, JSON, desk,
transcripts, Swift). If the floor alone is near 15 µs, or the floor broker saturates
before 100,000 relayed msg/s, the target cannot be met with this syscall pattern on this
machine, only with fewer syscalls per message. "broker full" (its core busy
throughout, or every epoll_wait returning all 1024 events) marks the floor broker's
ceiling; there it batches (several messages of a customer in one recv and one ack send,
several events in one agent send), so its µs/msg falls while latency grows.

On loopback a send also runs the receiving socket's TCP input in the sender's softirq,
so the broker's CPU includes its clients' receive side, and the load generator's
includes the broker's: a client cannot be much cheaper than the broker it drives (here
about as dear per message). Past the broker's ceiling the load generator's core fills
too ("load generator full"; "backlog at the load generator" when messages then wait
longer in the agents' sockets than before the broker's read), and the clients' relayed
count falls short of the broker's own.

The machine may be shared: as in bench_relay.py, each run waits (--quiet-wait) until no
other process is busy, and a run during which other processes used more than
--max-other-cpu of a core is measured again (at most --retries times per rate). Every
process started is stopped by its PID at the end, on error and on Ctrl-C. Loopback only.

    python3 loadtest/bench_floor.py                              # 20k, 50k, 100k, 150k; 3 runs of 5 s
    python3 loadtest/bench_floor.py --runs 1 --duration 3        # quick look
    python3 loadtest/bench_floor.py --rate 20000 --conversations 1000
"""
import argparse, json, os, platform, select, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_relay import (ROOT, add_shared_machine_arguments, cpu_sample, measured_runs, median, others_cpu,  # noqa: E402
                         raise_fd_limit)

OUTPUT = os.path.join(ROOT, "test-output", "bench", "floor.json")
SOURCE = os.path.join(ROOT, "loadtest", "floor", "relay_floor.c")

# Processes this script started and has not reaped yet: stopped by PID on any exit.
started = {}


def build(scratch):
    os.makedirs(scratch, exist_ok=True)
    binary = os.path.join(scratch, "relay_floor")
    print(f"== compiling {os.path.relpath(SOURCE, ROOT)} into {os.path.relpath(binary, ROOT)} (cc -O2)", flush=True)
    subprocess.run(["cc", "-O2", "-Wall", "-o", binary, SOURCE], check=True)
    return binary


def stop(proc, grace=5):
    """SIGTERM, then SIGKILL after `grace` seconds; by PID, this process only."""
    started.pop(proc.pid, None)
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def stop_all():
    for proc in list(started.values()):
        stop(proc)


def start_broker(binary, workdir, name, max_seconds, mode=("broker",), launcher=("taskset", "-c", "0")):
    """The floor broker, by default pinned to core 0 (taskset execs it: its PID is the
    broker's), or another `mode` of relay_floor that listens (a cluster node);
    returns the process, its port, its log and its counters' file."""
    log_path = os.path.join(workdir, f"{name}.broker.log")
    stats_path = os.path.join(workdir, f"{name}.broker.stats")
    log = open(log_path, "wb")
    proc = subprocess.Popen([*launcher, binary, *mode, "--port", "0", "--stats", stats_path,
                             "--max-seconds", str(int(max_seconds))],
                            stdout=subprocess.PIPE, stderr=log, cwd=workdir)
    log.close()
    started[proc.pid] = proc
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    line = proc.stdout.readline().decode(errors="replace") if ready else ""
    if " listening on " not in line:
        stop(proc)
        with open(log_path, "rb") as f:
            raise RuntimeError(f"the floor broker did not say where it listens within 10 s: {line!r} "
                               f"{f.read().decode(errors='replace')}")
    port = int(line.rsplit(":", 1)[1])
    return proc, port, log_path, stats_path


def run_load(binary, port, broker_pid, stats_path, args, rate):
    """One floor load run; returns its JSON result plus `other_cpu_pct`: what every
    other process on the machine used meanwhile (% of a core)."""
    cmd = ["taskset", "-c", "1", binary, "load", "--port", str(port), "--conversations", str(args.conversations),
           "--agents", str(args.agents), "--rate", str(rate), "--seconds", str(args.duration),
           "--warmup", str(args.warmup), "--reply-every", str(args.reply_every), "--server-pid", str(broker_pid),
           "--server-stats", stats_path, "--json", "--quiet"]
    budget = 60 + args.warmup + args.duration
    before, t0 = cpu_sample(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started[proc.pid] = proc
    try:
        # Sample again just before it ends (it must still be there to be excluded).
        time.sleep(max(0.0, args.warmup + args.duration - 0.3))
        after, seconds = cpu_sample(), time.monotonic() - t0
        stdout, stderr = proc.communicate(timeout=budget)
    finally:
        stop(proc)
    lines = stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"load generator failed ({proc.returncode}):\n{stdout}\n{stderr}")
    result = json.loads(lines[-1])
    result["summary"] = "\n".join(lines[:-1])
    # ksoftirqd/N runs the relay's own softirq work when there is too much to run on
    # the way out of a syscall: counted apart, not as someone else's load.
    softirq = {pid for pid, (name, _) in after.items() if name.startswith("ksoftirqd/")}
    other, top = others_cpu(before, after, seconds, {broker_pid, proc.pid, os.getpid()} | softirq)
    result["other_cpu_pct"] = round(other, 1)
    result["other_processes"] = top
    hz = os.sysconf("SC_CLK_TCK")
    result["ksoftirqd_cpu_pct"] = {after[pid][0]: round((after[pid][1] - before.get(pid, ("", 0))[1]) / hz / seconds * 100, 1)
                                   for pid in sorted(softirq)}
    return result


def derive(r):
    """Per-message figures: the broker's CPU time and syscalls per message it relayed,
    by its own count (events it sent on) over the window. Below saturation that is the
    clients' count too; above it, a load generator that cannot read as fast as the
    broker sends would count fewer and inflate the broker's cost per message."""
    b = r.get("broker")
    cpu = r.get("server_cpu_pct")
    relayed = b["events_out"] if b else r["relayed_per_sec"] * r["seconds"]
    r["broker_relayed_per_sec"] = relayed / r["seconds"]
    r["broker_us_per_message"] = cpu / 100 * 1e6 * r["seconds"] / relayed if cpu is not None and relayed else None
    if b and relayed:
        r["broker_syscalls_per_message"] = (b["recvs"] + b["sends"] + b["iterations"] + b["epoll_ctls"]) / relayed
        r["broker_sends_per_message"] = b["sends"] / relayed
        r["broker_events_per_wait"] = b["events"] / b["iterations"] if b["iterations"] else None
    return r


def full(r):
    """Which side had no time to spare: the broker when every epoll_wait came back with
    all 1024 events it has room for (it never caught up) or its core (its own time and
    the softirq work ksoftirqd took over) was busy throughout, the load generator when
    its core was; and where the median
    customer message waited longer: before the broker read it, or after (in the agent's
    socket, for the load generator to read)."""
    sides = []
    if (r.get("broker_events_per_wait") or 0) >= 900 or (r.get("core0_busy_pct") or 0) >= 97:
        sides.append("broker")
    if (r.get("core1_busy_pct") or 0) >= 97:
        sides.append("load generator")
    if not sides:
        return ""
    behind = "broker" if r["c2a_before_broker_p50_ms"] >= r["c2a_after_broker_p50_ms"] else "load generator"
    return " and ".join(sides) + f" full; backlog at the {behind}"


def fmt(value, pattern, missing="–"):
    return missing if value is None else format(value, pattern)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, nargs="+", default=[20_000, 50_000, 100_000, 150_000],
                        help="customer messages per second, all conversations together; one line of the table each "
                             "(relayed = this plus the agents' replies)")
    parser.add_argument("--conversations", type=int, default=10_000, help="customer connections")
    parser.add_argument("--agents", type=int, default=100, help="agent connections; customer i is served by agent i %% agents")
    parser.add_argument("--reply-every", type=int, default=10, help="agents answer every n'th event they get (0: never)")
    parser.add_argument("--saturation-p99-ms", type=float, default=50,
                        help="the highest relayed rate whose customer-to-agent p99 stays under this is the saturation rate "
                             "(as in bench_relay.py)")
    parser.add_argument("--runs", type=int, default=3, help="runs per rate; the table shows medians")
    parser.add_argument("--duration", type=float, default=5, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before the measurement starts")
    parser.add_argument("--scratch-path", default=".build-floor", help="where relay_floor is compiled (relative to the repo)")
    parser.add_argument("--output", default=OUTPUT, help="raw results (JSON)")
    add_shared_machine_arguments(parser, retries=3, quiet_wait=120)
    args = parser.parse_args()

    if os.cpu_count() < 2 or not shutil.which("taskset") or not shutil.which("cc"):
        sys.exit("bench_floor: needs two cores, taskset (util-linux) and cc")
    # Each side holds every connection, plus a few of its own.
    limit = raise_fd_limit(args.conversations + args.agents + 64)
    binary = build(os.path.join(ROOT, args.scratch_path))

    workdir = tempfile.mkdtemp(prefix="switchboard-floor-")
    try:
        return measure(args, binary, workdir, limit)
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def measure(args, binary, workdir, limit):
    """Every rate's runs, the table, and the JSON; returns the exit status."""
    print(f"== relay floor: C broker on core 0, C load generator on core 1; {args.conversations:,} conversations, "
          f"{args.agents} agents answering every {args.reply_every}th; {', '.join(f'{r:,.0f}' for r in args.rate)} "
          f"customer msg/s; {args.warmup:g} s warm-up + {args.duration:g} s per run, {args.runs} runs; "
          f"fd limit {limit[0]}; work dir {workdir}", flush=True)
    report = {"command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
              "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
              "date": time.strftime("%Y-%m-%d %H:%M:%S"),
              "conversations": args.conversations, "agents": args.agents, "reply_every": args.reply_every,
              "duration": args.duration, "warmup": args.warmup, "runs": args.runs, "results": {}}
    failures = 0
    # A broker outlives no run: it stops by itself a while after the run's budget.
    broker_budget = 120 + args.warmup + args.duration + 60

    for rate in args.rate:
        label = f"{rate:>9,.0f}/s"

        def measure_once(attempt):
            proc = None
            try:
                proc, port, log_path, stats_path = start_broker(binary, workdir, f"r{rate:.0f}-attempt{attempt}", broker_budget)
                r = run_load(binary, port, proc.pid, stats_path, args, rate)
            finally:
                if proc is not None:
                    stop(proc)
            derive(r)
            with open(log_path, "rb") as f:
                r["broker_log"] = f.read().decode(errors="replace").splitlines()[-5:]
            return r

        def show(run, r, note):
            print(f"  {label} run {run}: relayed {r['relayed_per_sec']:>9,.0f} msg/s (broker's count "
                  f"{r['broker_relayed_per_sec']:,.0f})  broker {fmt(r['server_cpu_pct'], '.0f')}% "
                  f"= {fmt(r['broker_us_per_message'], '.2f')} µs/msg, {fmt(r.get('broker_syscalls_per_message'), '.2f')} "
                  f"syscalls/msg, {fmt(r.get('broker_events_per_wait'), '.0f')} events/wait  load generator "
                  f"{r['client_cpu_pct']:.0f}%  cores {r['core0_busy_pct']:.0f}%/{r['core1_busy_pct']:.0f}%  "
                  f"c→a p50 {r['c2a_p50_ms']:.2f} ms (before/after the broker's read {r['c2a_before_broker_p50_ms']:.2f}/"
                  f"{r['c2a_after_broker_p50_ms']:.2f}) p99 {r['c2a_p99_ms']:.2f} ms  errors {r['errors']}"
                  f"{'  [' + full(r) + ']' if full(r) else ''}{note}", flush=True)

        runs, discarded, failed = measured_runs(args, label, f"{args.warmup + args.duration:g} s", measure_once, show)
        failures += failed
        report["results"][f"{rate:.0f}"] = {
            "rate": rate,
            "relayed_per_sec_median": median(runs, "relayed_per_sec"),
            "broker_relayed_per_sec_median": median(runs, "broker_relayed_per_sec"),
            "server_cpu_pct_median": median(runs, "server_cpu_pct"),
            "broker_us_per_message_median": median(runs, "broker_us_per_message"),
            "broker_syscalls_per_message_median": median(runs, "broker_syscalls_per_message"),
            "broker_sends_per_message_median": median(runs, "broker_sends_per_message"),
            "broker_events_per_wait_median": median(runs, "broker_events_per_wait"),
            "client_cpu_pct_median": median(runs, "client_cpu_pct"),
            "core0_busy_pct_median": median(runs, "core0_busy_pct"),
            "core1_busy_pct_median": median(runs, "core1_busy_pct"),
            "c2a_p50_ms_median": median(runs, "c2a_p50_ms"),
            "c2a_before_broker_p50_ms_median": median(runs, "c2a_before_broker_p50_ms"),
            "c2a_after_broker_p50_ms_median": median(runs, "c2a_after_broker_p50_ms"),
            "c2a_p99_ms_median": median(runs, "c2a_p99_ms"),
            "errors_total": sum(r["errors"] for r in runs),
            # Saturated when most runs were: the median run's verdict.
            "saturated": sorted((full(r) for r in runs), key=len)[len(runs) // 2] if runs else "",
            "other_cpu_pct_max": max((r.get("other_cpu_pct") or 0 for r in runs), default=None),
            "runs": runs,
            "discarded_contended_runs": discarded,
        }

    print(f"\nRelay floor (C broker: the relay's syscalls, nothing else), medians of {args.runs} runs; "
          f"{args.conversations:,} conversations, {args.agents} agents answering every {args.reply_every}th")
    print("| offered customer msg/s | relayed msg/s (clients; broker's count) | broker CPU | broker µs/msg | "
          "broker syscalls/msg | broker events/wait | load generator CPU | core 0 / core 1 busy | "
          "c→a p50 (before / after the broker's read) | c→a p99 | errors | saturated |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for m in report["results"].values():
        if m["relayed_per_sec_median"] is None:
            print(f"| {m['rate']:,.0f} | failed | | | | | | | | | | |")
            continue
        ms = lambda key: fmt(m[key], ".2f")
        print(f"| {m['rate']:,.0f} | {m['relayed_per_sec_median']:,.0f}; {fmt(m['broker_relayed_per_sec_median'], ',.0f')} | "
              f"{fmt(m['server_cpu_pct_median'], '.0f')}% | {fmt(m['broker_us_per_message_median'], '.2f')} | "
              f"{fmt(m['broker_syscalls_per_message_median'], '.2f')} | {fmt(m['broker_events_per_wait_median'], '.0f')} | "
              f"{fmt(m['client_cpu_pct_median'], '.0f')}% | "
              f"{fmt(m['core0_busy_pct_median'], '.0f')}% / {fmt(m['core1_busy_pct_median'], '.0f')}% | "
              f"{ms('c2a_p50_ms_median')} ms ({ms('c2a_before_broker_p50_ms_median')} / {ms('c2a_after_broker_p50_ms_median')}) | "
              f"{ms('c2a_p99_ms_median')} ms | {m['errors_total']} | {m['saturated'] or '–'} |")
    # Saturation as bench_relay.py judges it: the most relayed per second whose p99 stays
    # under --saturation-p99-ms, without errors.
    ok = [m for m in report["results"].values() if m["relayed_per_sec_median"] and m["errors_total"] == 0
          and m["c2a_p99_ms_median"] is not None and m["c2a_p99_ms_median"] < args.saturation_p99_ms]
    best = max(ok, key=lambda m: m["relayed_per_sec_median"], default=None)
    if best is None:
        print(f"saturation: no rate kept p99 under {args.saturation_p99_ms:g} ms")
    else:
        print(f"saturation: {best['relayed_per_sec_median']:,.0f} relayed msg/s with p99 {best['c2a_p99_ms_median']:.1f} ms "
              f"< {args.saturation_p99_ms:g} ms (offered {best['rate']:,.0f}), broker CPU "
              f"{fmt(best['server_cpu_pct_median'], '.0f')}%, {fmt(best['broker_us_per_message_median'], '.2f')} µs/msg")
        report["saturation_relayed_per_sec"] = best["relayed_per_sec_median"]
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    print(f"\nraw results: {os.path.relpath(args.output, ROOT)}")
    return 1 if failures else 0


def on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    # Ctrl-C must reach us even when started from a shell that ignores it for
    # background jobs: the finally below is what stops the broker and load generator.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nbench_floor: interrupted; stopping what it started", file=sys.stderr)
        sys.exit(130)
    finally:
        stop_all()
