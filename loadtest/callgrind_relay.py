#!/usr/bin/env python3
"""Instructions the broker spends per relayed chat message, counted by callgrind.

CPU time on a shared machine is noisy; an instruction count is not. This runs
`switchboard serve --threads 1` under `valgrind --tool=callgrind` (instrumentation off
while it starts and while the load tester signs in and pairs everyone), lets
`switchboard-loadtest relay` play a light steady load, then counts a window of
--window seconds: instrumentation on, counters zeroed, the broker's own
`switchboard_messages_relayed_total` read from /metrics at both ends, counters dumped.
It prints the broker's instructions (all threads: I/O loop, domain thread, transcript
writer) per relayed message in that window, and a function profile's top entries.

The rate is low because callgrind runs the broker some 50-100 times slower; at a low
rate fewer messages share a loop iteration, a wakeup or a write than at 20,000/s, so
the figure is an upper bound for the busy broker. It is for comparing two versions of
the broker with the same command, not for converting into microseconds.

    python3 loadtest/callgrind_relay.py                 # builds, ~2 minutes
    python3 loadtest/callgrind_relay.py --no-build --top 30
"""
import argparse, json, os, re, shutil, signal, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_relay  # noqa: E402  (build, fd limit)

ROOT = bench_relay.ROOT


def relayed_total(port):
    """The broker's own count of relayed chat messages (/metrics)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as response:
        text = response.read().decode()
    match = re.search(r"^switchboard_messages_relayed_total(?:\{[^}]*\})? (\d+)", text, re.M)
    if not match:
        raise RuntimeError("switchboard_messages_relayed_total is missing from /metrics")
    return int(match.group(1))


def without_debug_info(binary, workdir):
    """A copy of the broker without DWARF: Debian's valgrind (3.19) cannot read the DWARF 5
    that Swift's clang writes and gives up; the symbol table it keeps names the functions."""
    copy = os.path.join(workdir, "switchboard-nodebug")
    subprocess.run(["objcopy", "--strip-debug", binary, copy], check=True)
    return copy


def start_broker_under_callgrind(binary, config, workdir, out_file, fsync):
    # Valgrind needs up to a minute or two before the broker listens.
    return bench_relay.start_broker(without_debug_info(binary, workdir), config, workdir, "callgrind", fsync,
                                    launcher=("valgrind", "--tool=callgrind", "--instr-atstart=no",
                                              f"--callgrind-out-file={out_file}"),
                                    startup_seconds=120)


# ServiceDesk.tick() (mangled): the desk's quarter-second tick, whose once-a-second
# statistics cost the same at 100 messages/s as at 20,000.
DESK_TICK = "ServiceDeskC4tickyyF"


def inclusive_instructions(dump, symbol):
    """Instructions spent in `symbol` and everything it called, from the dump."""
    annotate = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", dump],
                              capture_output=True, text=True)
    for line in annotate.stdout.splitlines():
        match = re.match(r"^\s*([\d,]+) \(", line)
        if match and symbol in line:
            return int(match.group(1).replace(",", ""))
    return 0


def callgrind_control(*args):
    subprocess.run(["callgrind_control", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def total_instructions(dump):
    """The `totals:` (or `summary:`) line of a callgrind dump: instructions executed."""
    with open(dump) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {dump}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--rate", type=float, default=150, help="customer messages per second, all conversations")
    parser.add_argument("--reply-every", type=int, default=10)
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before the counted window")
    parser.add_argument("--window", type=float, default=20, help="seconds counted")
    parser.add_argument("--fsync", default=None, help="the broker's transcript fsync policy (default: every 5 ms)")
    parser.add_argument("--top", type=int, default=15, help="functions of the profile to print (0: none)")
    parser.add_argument("--scratch-path", default=".build-relay")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--output", default=os.path.join(ROOT, "test-output", "bench", "callgrind-relay.json"))
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate"):
        if not shutil.which(tool):
            sys.exit(f"callgrind_relay: {tool} is missing (apt-get install valgrind)")

    scratch = os.path.join(ROOT, args.scratch_path)
    if not args.no_build:
        bench_relay.build(scratch)
    switchboard = os.path.join(scratch, "release", "switchboard")
    loadtest = os.path.join(scratch, "release", "switchboard-loadtest")
    bench_relay.raise_fd_limit(args.conversations + args.agents + 64)
    workdir = tempfile.mkdtemp(prefix="switchboard-callgrind-")
    config = os.path.join(workdir, "relay.toml")
    capacity = -(-args.conversations // args.agents)
    subprocess.run([loadtest, "relay", "--write-config", config, "--agents", str(args.agents), "--capacity",
                    str(capacity), "--switchboard", switchboard, "--quiet"], check=True)
    out_file = os.path.join(workdir, "callgrind.out")
    print(f"== broker under callgrind; {args.conversations} conversations, {args.agents} agents, {args.rate:g} customer "
          f"msg/s; {args.warmup:g} s of load, then {args.window:g} s counted; work dir {workdir}", flush=True)
    broker, port, log_path = start_broker_under_callgrind(switchboard, config, workdir, out_file, args.fsync)
    load = None
    try:
        # The load tester measures nothing here; it keeps a steady load going long enough.
        load = subprocess.Popen([loadtest, "relay", "--url", f"ws://127.0.0.1:{port}", "--conversations",
                                 str(args.conversations), "--agents", str(args.agents), "--rate", str(args.rate),
                                 "--reply-every", str(args.reply_every), "--warmup", "0",
                                 "--duration", str(args.warmup + args.window + 30), "--setup-timeout", "600",
                                 "--json"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Wait for the load: the relayed count starts to move once everyone is paired.
        deadline, first = time.time() + 600, relayed_total(port)
        while relayed_total(port) - first < args.rate and time.time() < deadline:
            if load.poll() is not None:
                raise RuntimeError("the load tester ended early:\n" + load.stdout.read())
            time.sleep(1)
        print(f"   load is flowing; warming up {args.warmup:g} s", flush=True)
        time.sleep(args.warmup)
        callgrind_control("-i", "on", str(broker.pid))
        callgrind_control("-z", str(broker.pid))
        before = relayed_total(port)
        started = time.monotonic()
        time.sleep(args.window)
        after = relayed_total(port)
        seconds = time.monotonic() - started
        callgrind_control("-d", "window", str(broker.pid))
        callgrind_control("-i", "off", str(broker.pid))
    finally:
        if load and load.poll() is None:
            load.send_signal(signal.SIGINT)
            try:
                load.wait(timeout=30)
            except subprocess.TimeoutExpired:
                load.kill()
        broker.send_signal(signal.SIGTERM)
        try:
            broker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            broker.kill()
    dumps = sorted(p for p in os.listdir(workdir) if p.startswith("callgrind.out") and p != "callgrind.out")
    dump = os.path.join(workdir, dumps[0]) if dumps else out_file
    instructions = total_instructions(dump)
    relayed = after - before
    if relayed <= 0:
        sys.exit("callgrind_relay: nothing was relayed in the counted window")
    per_message = instructions / relayed
    # The tick's work does not grow with the message rate; at the few hundred messages a
    # second callgrind allows it is a large share, at 20,000/s a negligible one.
    tick = inclusive_instructions(dump, DESK_TICK)
    per_message_without_tick = (instructions - tick) / relayed
    print(f"\nrelayed in the window: {relayed} ({relayed / seconds:.0f}/s under callgrind)")
    print(f"broker instructions:   {instructions:,}")
    print(f"per relayed message:   {per_message:,.0f} instructions")
    print(f"  without the desk's tick ({tick / seconds:,.0f} instructions/s at any rate): "
          f"{per_message_without_tick:,.0f}")
    result = {"command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]), "relayed": relayed,
              "seconds": round(seconds, 2), "instructions": instructions,
              "instructions_per_relayed_message": round(per_message),
              "desk_tick_instructions": tick,
              "instructions_per_relayed_message_without_tick": round(per_message_without_tick)}
    if args.top:
        annotate = subprocess.run(["callgrind_annotate", "--inclusive=no", dump], capture_output=True, text=True)
        lines = [l for l in annotate.stdout.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
        print(f"\ntop {args.top} functions by own instructions:")
        for line in lines[:args.top]:
            print("  " + line.strip()[:160])
        result["top"] = [l.strip() for l in lines[:args.top]]
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(result, f, indent=1)
    print(f"\nraw results: {os.path.relpath(args.output, ROOT)}")
    # The window's dump stays beside the JSON for `callgrind_annotate --tree=caller` or kcachegrind.
    kept = os.path.splitext(args.output)[0] + ".callgrind"
    shutil.copyfile(dump, kept)
    print(f"callgrind dump:  {os.path.relpath(kept, ROOT)}  (callgrind_annotate --tree=caller {os.path.relpath(kept, ROOT)})")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
