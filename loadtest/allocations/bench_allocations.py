#!/usr/bin/env python3
"""Heap allocations per echoed message in `switchboard echo` (STYLE habit 2).

Builds a small LD_PRELOAD counter (malloc_count.c), runs the release server twice —
echoing N and then 2N messages over one connection — and prints
(allocations(2N) - allocations(N)) / N: the steady-state allocations per message,
with start-up and connection set-up cancelled out. Plain and with permessage-deflate.

    python3 loadtest/allocations/bench_allocations.py [--messages 20000]
"""
import argparse, os, signal, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER = os.path.join(ROOT, ".build/release/switchboard")
sys.path.insert(0, os.path.join(ROOT, "Tests/interop"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count_allocations(library, messages, deflate):
    from websockets.sync.client import connect
    port = free_port()
    out = tempfile.NamedTemporaryFile(delete=False).name
    env = dict(os.environ, LD_PRELOAD=library, MALLOC_COUNT_FILE=out)
    proc = subprocess.Popen([SERVER, "echo", "--port", str(port), "--threads", "1", "--log-level", "error"], env=env,
                            stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        with connect(f"ws://127.0.0.1:{port}/", compression="deflate" if deflate else None) as ws:
            for i in range(messages):
                text = f"배송 문의 드립니다, order {i:08d}: where is my parcel?"
                ws.send(text)
                assert ws.recv(timeout=10) == text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    with open(out) as f:
        return int(f.read().strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    library = os.path.join(tempfile.gettempdir(), "switchboard_malloc_count.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", library, os.path.join(HERE, "malloc_count.c"), "-ldl"], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "switchboard"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    for deflate in (False, True):
        n = args.messages
        a = count_allocations(library, n, deflate)
        b = count_allocations(library, 2 * n, deflate)
        print(f"{'deflate' if deflate else 'plain':>8}: {a} allocations for {n} echoes, {b} for {2 * n}: "
              f"{(b - a) / n:.3f} allocations per echoed message", flush=True)


if __name__ == "__main__":
    main()
