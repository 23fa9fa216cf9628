#!/usr/bin/env python3
"""Relay benchmark: chat messages through the broker, customer to agent and back.

Builds release binaries, writes a broker configuration with --agents agents of
chat_capacity enough for the largest conversation count (`switchboard-loadtest relay
--write-config`, the secret hashed once by `switchboard hash-secret`), then for each
conversation count runs --runs short runs, each against a fresh `switchboard serve
--threads 1` pinned to core 0 with the load generator pinned to core 1, and prints the
medians: relayed messages per second, customer-to-agent latency p50/p99/p99.9, and CPU
of both. Raw results go to test-output/bench/relay.json. Loopback only; every run is
bounded and stops by itself.

The machine may be shared: before each run the script waits (--quiet-wait) until no
other process is busy, and the load tester reports how much CPU everything else on the
machine used during the measurement; a run where that exceeds --max-other-cpu is
measured again (at most --retries times; the contended attempts stay in the JSON).

    python3 loadtest/bench_relay.py                       # the README's figures
    python3 loadtest/bench_relay.py --runs 1 --duration 3 --conversations 1000   # quick look

Target (issue 4): p99 relay latency under 5 ms at 20,000 relayed messages/s with 10,000
concurrent conversations, without errors.
"""
import argparse, json, math, os, platform, resource, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "test-output", "bench", "relay.json")


def build(scratch):
    print(f"== building release binaries (switchboard, switchboard-loadtest) in {scratch}", flush=True)
    for product in ("switchboard", "switchboard-loadtest"):
        subprocess.run(["nice", "swift", "build", "-c", "release", "--product", product, "--scratch-path", scratch],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def binaries(args):
    """The release switchboard and switchboard-loadtest in --scratch-path, built unless --no-build."""
    scratch = os.path.join(ROOT, args.scratch_path)
    if not args.no_build:
        build(scratch)
    return os.path.join(scratch, "release", "switchboard"), os.path.join(scratch, "release", "switchboard-loadtest")


def write_config(loadtest, switchboard, path, agents, capacity):
    """A broker configuration with the load test's agents (`relay --write-config`)."""
    subprocess.run([loadtest, "relay", "--write-config", path, "--agents", str(agents), "--capacity", str(capacity),
                    "--switchboard", switchboard, "--quiet"], check=True)


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and needed > hard:
        sys.exit(f"bench_relay: {needed} file descriptors are needed per process, the hard limit is {hard}; "
                 f"use fewer --conversations or --agents")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def start_broker(binary, config, workdir, run_name, fsync=None, launcher=("taskset", "-c", "0"), startup_seconds=20):
    """`switchboard serve --threads 1` under `launcher` (pinned to core 0 by default);
    returns the process, its port and its log once it says where it listens."""
    log_path = os.path.join(workdir, f"{run_name}.serve.log")
    data = os.path.join(workdir, f"{run_name}.data")
    log = open(log_path, "wb")
    proc = subprocess.Popen([*launcher, binary, "serve", "--port", "0", "--threads", "1", "--config", config,
                             "--data-dir", data, "--log-level", "warning"] + (["--fsync", fsync] if fsync else []),
                            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    log.close()
    deadline = time.time() + startup_seconds
    while time.time() < deadline:
        with open(log_path, "rb") as f:
            text = f.read().decode(errors="replace")
        for line in text.splitlines():
            if " listening on " in line:
                address = line.split(" listening on ")[1].split()[0]
                return proc, int(address.rsplit(":", 1)[1]), log_path
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited with {proc.returncode}:\n{text}")
        time.sleep(0.05)
    stop_broker(proc)
    raise RuntimeError(f"broker did not say where it listens within {startup_seconds} s")


def stop_broker(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_sample():
    """{pid: (name, CPU ticks so far)} for every process (children's threads included)."""
    ticks = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            ticks[int(pid)] = (name, int(fields[11]) + int(fields[12]))
        except (OSError, ValueError, IndexError):
            pass
    return ticks


def others_cpu(before, after, seconds, exclude):
    """CPU (% of a core) that processes other than `exclude` used between two samples:
    a process that started in between counts with all it used. Processes that both
    started and ended in between are not seen."""
    hz = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid, (name, t) in after.items():
        if pid in exclude:
            continue
        delta = t - before[pid][1] if pid in before else t
        if delta > 0:
            used[name] = used.get(name, 0) + delta
    top = sorted(used.items(), key=lambda kv: -kv[1])
    total = sum(used.values()) / hz / seconds * 100
    return total, [{"name": n, "cpu_pct": round(t / hz / seconds * 100, 1)} for n, t in top[:5]]


def busy_processes():
    """Other processes using CPU right now (a shared machine): a short sample of /proc."""
    sample = cpu_sample
    before = sample()
    time.sleep(1)
    after = sample()
    hz = os.sysconf("SC_CLK_TCK")
    busy = []
    for pid, (name, t) in after.items():
        if pid in before and pid != os.getpid():
            pct = (t - before[pid][1]) / hz * 100
            if pct >= 5:
                busy.append({"pid": pid, "name": name, "cpu_pct": round(pct)})
    return sorted(busy, key=lambda p: -p["cpu_pct"])


def wait_for_quiet(seconds):
    """On a shared machine, waits (at most `seconds`) until no other process uses 20% of
    a core or more, so that runs are not measured beside someone's build. Returns the
    busy processes of the last sample (recorded with the run)."""
    deadline = time.time() + seconds
    while True:
        others = busy_processes()
        if not any(p["cpu_pct"] >= 20 for p in others) or time.time() >= deadline:
            return others
        print("      waiting for a quieter machine: " + ", ".join(f"{p['name']} {p['cpu_pct']}%" for p in others[:3]),
              flush=True)
        time.sleep(4)


def add_shared_machine_arguments(parser, retries, quiet_wait):
    """The options every benchmark that measures again on a busy machine takes."""
    parser.add_argument("--max-other-cpu", type=float, default=15,
                        help="a run during which other processes used more than this %% of a core is measured again")
    parser.add_argument("--retries", type=int, default=retries, help="contended runs measured again, at most, per case")
    parser.add_argument("--quiet-wait", type=float, default=quiet_wait,
                        help="seconds to wait before each run for other processes to go idle (a shared machine)")


def measured_runs(args, label, running, measure_once, show):
    """One case's runs on a shared machine: each waits for a quiet machine first
    (--quiet-wait); `measure_once(attempt)` returns the run's result (with
    `other_cpu_pct` and `other_processes`: what every other process used meanwhile) or
    raises RuntimeError or TimeoutExpired (a failed run). A run during which others used
    more than --max-other-cpu of a core is measured again, at most --retries times (the
    attempt is kept in the raw results); `show(run, r, note)` prints a kept one.
    Returns (kept runs, discarded contended runs, failed runs)."""
    runs, discarded, failures = [], [], 0
    attempt = 0
    while len(runs) + failures < args.runs:
        attempt += 1
        number = len(runs) + failures + 1
        others = wait_for_quiet(args.quiet_wait)
        load = os.getloadavg()[0]
        print(f"  {label} run {number}: running ({running})…", flush=True)
        try:
            r = measure_once(attempt)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"  {label} run {number}: FAILED: {e}", flush=True)
            failures += 1
            continue
        r["busy_before"] = others
        r["loadavg_before"] = round(load, 2)
        other = r.get("other_cpu_pct") or 0
        if other > args.max_other_cpu and len(discarded) < args.retries:
            # Someone else's work shared the cores during the measurement: not this
            # build's figure.
            print(f"  {label} run {number}: other processes used {other:.0f}% of a core during the measurement "
                  f"({', '.join(p['name'] for p in r.get('other_processes', [])[:3])}); measuring again", flush=True)
            discarded.append(r)
            continue
        runs.append(r)
        note = f"  [CONTENDED: other processes {other:.0f}% of a core]" if other > args.max_other_cpu else ""
        show(number, r, note)
        if r.get("errors"):
            print("      " + r["summary"].replace("\n", "\n      "), flush=True)
    return runs, discarded, failures


def broker_us_per_message(r):
    """Broker CPU (its own utime+stime, all threads) per relayed message, in µs."""
    if not r.get("server_cpu_pct") or not r.get("relayed_per_sec"):
        return None
    return r["server_cpu_pct"] / 100 * 1e6 / r["relayed_per_sec"]


def run_loadtest(binary, port, broker_pid, args, conversations, rate):
    """Runs one load test; returns its JSON result, with `other_cpu_pct`: what every
    other process on the machine used meanwhile (% of a core)."""
    cmd = ["taskset", "-c", "1", binary, "relay", "--url", f"ws://127.0.0.1:{port}", "--conversations", str(conversations),
           "--agents", str(args.agents), "--rate", str(rate), "--reply-every", str(args.reply_every),
           "--duration", str(args.duration), "--warmup", str(args.warmup), "--server-pid", str(broker_pid),
           "--json", "--quiet"]
    budget = 300 + args.duration + args.warmup
    before, started = cpu_sample(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Sample again just before it ends (its own process must still be there to exclude it).
    time.sleep(max(0.0, args.warmup + args.duration - 0.5))
    after, seconds = cpu_sample(), time.monotonic() - started
    try:
        stdout, stderr = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    lines = stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"load test failed ({proc.returncode}):\n{stdout}\n{stderr}")
    result = json.loads(lines[-1])
    result["summary"] = "\n".join(lines[:-1])
    other, top = others_cpu(before, after, seconds, {broker_pid, proc.pid, os.getpid()})
    result["other_cpu_pct"] = round(other, 1)
    result["other_processes"] = top
    return result


def median(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--rate", type=float, nargs="+", default=[20_000],
                        help="customer messages per second, all conversations; several rates: a saturation search "
                             "(each is run, the table says which kept p99 under --saturation-p99-ms)")
    parser.add_argument("--saturation-p99-ms", type=float, default=50,
                        help="with several rates: the highest relayed rate whose p99 stays under this is the saturation rate")
    parser.add_argument("--reply-every", type=int, default=10, help="agents answer every n'th customer message")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--scratch-path", default=".build-relay", help="swift build --scratch-path (relative to the repo)")
    parser.add_argument("--fsync", default=None,
                        help="the broker's transcript fsync policy (always, never or <N>ms; default: the broker's, every 5 ms)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries already built")
    parser.add_argument("--output", default=OUTPUT)
    add_shared_machine_arguments(parser, retries=6, quiet_wait=180)
    args = parser.parse_args()

    switchboard, loadtest = binaries(args)
    if os.cpu_count() < 2 or not shutil.which("taskset"):
        sys.exit("bench_relay: needs two cores and taskset (util-linux)")

    largest = max(args.conversations)
    capacity = math.ceil(largest / args.agents)
    if capacity > 1000:
        sys.exit("bench_relay: more than 1000 chats per agent; raise --agents")
    # Each side holds every connection (conversations + agents) plus a few of its own.
    limit = raise_fd_limit(largest + args.agents + 64)

    workdir = tempfile.mkdtemp(prefix="switchboard-relay-")
    config = os.path.join(workdir, "relay.toml")
    write_config(loadtest, switchboard, config, args.agents, capacity)
    print(f"== relay: broker (--threads 1) on core 0, load generator on core 1; {args.agents} agents × {capacity} chats; "
          f"{', '.join(f'{r:.0f}' for r in args.rate)} customer msg/s, agents answer every {args.reply_every}th; {args.warmup:g} s warm-up + "
          f"{args.duration:g} s per run, {args.runs} runs; transcripts fsync {args.fsync or 'default (5ms)'}; "
          f"fd limit {limit[0]}; work dir {workdir}", flush=True)

    report = {"command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
              "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
              "agents": args.agents, "capacity": capacity, "rate": args.rate, "reply_every": args.reply_every,
              "duration": args.duration, "warmup": args.warmup, "runs": args.runs, "fsync": args.fsync or "5ms",
              "results": {}}
    failures = 0
    cases = [(c, rate) for c in args.conversations for rate in args.rate]
    for conversations, rate in cases:
        # One key per case: the conversation count, and the rate when several are run.
        key = str(conversations) if len(args.rate) == 1 else f"{conversations}@{rate:.0f}"
        label = f"{conversations:>6} conversations" + (f" @ {rate:>7.0f}/s" if len(args.rate) > 1 else "")

        def measure_once(attempt):
            proc, port, log_path = start_broker(switchboard, config, workdir, f"c{conversations}-attempt{attempt}", args.fsync)
            try:
                r = run_loadtest(loadtest, port, proc.pid, args, conversations, rate)
            finally:
                stop_broker(proc)
            with open(log_path, "rb") as f:
                r["broker_log_tail"] = f.read().decode(errors="replace").splitlines()[-20:]
            r["broker_us_per_message"] = broker_us_per_message(r)
            return r

        def show(run, r, note):
            if r["client_cpu_pct"] >= 90:
                note = "  [load generator saturated its core]" + note
            if r["busy_before"]:
                note = "  [busy before: " + ", ".join(f"{p['name']} {p['cpu_pct']}%" for p in r["busy_before"][:3]) + "]" + note
            per = "–" if r["broker_us_per_message"] is None else f"{r['broker_us_per_message']:.1f}"
            print(f"  {label} run {run}: relayed {r['relayed_per_sec']:>8.0f} msg/s  broker {per} µs/msg  "
                  f"c→a p50 {r['c2a_p50_us'] / 1000:6.2f} ms  p99 {r['c2a_p99_us'] / 1000:7.2f} ms  "
                  f"p99.9 {r['c2a_p999_us'] / 1000:7.2f} ms  cpu broker {r['server_cpu_pct'] or 0:.0f}% "
                  f"loadtest {r['client_cpu_pct']:.0f}%  loop stall {r['loop_stall_max_us'] / 1000:.1f} ms  "
                  f"errors {r['errors']}{note}", flush=True)

        runs, discarded, failed = measured_runs(args, label, f"{args.warmup + args.duration:g} s", measure_once, show)
        failures += failed
        report["results"][key] = {
            "conversations": conversations,
            "rate": rate,
            "broker_us_per_message_median": median(runs, "broker_us_per_message"),
            "relayed_per_sec_median": median(runs, "relayed_per_sec"),
            "customer_sent_per_sec_median": median(runs, "customer_sent_per_sec"),
            "c2a_p50_us_median": median(runs, "c2a_p50_us"),
            "c2a_p99_us_median": median(runs, "c2a_p99_us"),
            "c2a_p999_us_median": median(runs, "c2a_p999_us"),
            "a2c_p99_us_median": median(runs, "a2c_p99_us"),
            "server_cpu_pct_median": median(runs, "server_cpu_pct"),
            "client_cpu_pct_median": median(runs, "client_cpu_pct"),
            "loop_stall_max_us_median": median(runs, "loop_stall_max_us"),
            "setup_seconds_median": median(runs, "setup_seconds"),
            "errors_total": sum(r["errors"] for r in runs),
            "other_cpu_pct_max": max((r.get("other_cpu_pct") or 0 for r in runs), default=None),
            "runs": runs,
            "discarded_contended_runs": discarded,
        }

    print(f"\nRelay, medians of {args.runs} runs (agents answer every {args.reply_every}th; broker µs/msg: "
          f"its CPU time per relayed message)")
    print("| conversations | offered msg/s | relayed msg/s | broker µs/msg | c→a p50 | c→a p99 | c→a p99.9 | broker CPU | "
          "load generator CPU | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, m in report["results"].items():
        if m["relayed_per_sec_median"] is None:
            print(f"| {m['conversations']:,} | {m['rate']:,.0f} | failed | | | | | | | |")
            continue
        # A figure missing from every run (a measurement that failed) prints as "–".
        ms = lambda key: "–" if m[key] is None else f"{m[key] / 1000:.2f} ms"
        pct = lambda key: "–" if m[key] is None else f"{m[key]:.0f}%"
        per = "–" if m["broker_us_per_message_median"] is None else f"{m['broker_us_per_message_median']:.1f}"
        print(f"| {m['conversations']:,} | {m['rate']:,.0f} | {m['relayed_per_sec_median']:,.0f} | {per} | "
              f"{ms('c2a_p50_us_median')} | {ms('c2a_p99_us_median')} | {ms('c2a_p999_us_median')} | "
              f"{pct('server_cpu_pct_median')} | {pct('client_cpu_pct_median')} | {m['errors_total']} |")
    if len(args.rate) > 1:
        # Saturation: the most relayed per second with p99 under the bound and no errors.
        for conversations in args.conversations:
            ok = [m for m in report["results"].values() if m["conversations"] == conversations
                  and m["relayed_per_sec_median"] and m["c2a_p99_us_median"] is not None
                  and m["c2a_p99_us_median"] < args.saturation_p99_ms * 1000 and m["errors_total"] == 0]
            best = max(ok, key=lambda m: m["relayed_per_sec_median"], default=None)
            if best is None:
                print(f"saturation, {conversations:,} conversations: no rate kept p99 under {args.saturation_p99_ms:g} ms")
                continue
            limit = " (the load generator's core was full: the broker may go further)" \
                if (best["client_cpu_pct_median"] or 0) >= 90 else ""
            print(f"saturation, {conversations:,} conversations: {best['relayed_per_sec_median']:,.0f} relayed msg/s with "
                  f"p99 {best['c2a_p99_us_median'] / 1000:.1f} ms < {args.saturation_p99_ms:g} ms, broker CPU "
                  f"{best['server_cpu_pct_median'] or 0:.0f}%{limit}")
            report.setdefault("saturation", {})[str(conversations)] = best["relayed_per_sec_median"]
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    print(f"\nraw results: {os.path.relpath(args.output, ROOT)}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
