#!/usr/bin/env python3
"""Run the Autobahn TestSuite cases (through kosoku) against `switchboard echo`.

    python Tests/interop/run_autobahn.py            # sections 1-10 (no 8: there is none)
    python Tests/interop/run_autobahn.py --all      # 1-13: adds 12 and 13 (permessage-deflate)
    python Tests/interop/run_autobahn.py -i '9.*' -x '9.7.*'   # own selection

Starts `$SWITCHBOARD_BIN echo --threads 2` (default .build/release/switchboard) on a
free loopback port, runs `kosoku -p 2 -o OUTDIR 127.0.0.1:PORT -i ...`, stops the
server by PID, reads OUTDIR/index.json and prints a summary: counts per behavior
and the id of every case that is not OK.

Exit status: 1 if any case is FAILED (behavior FAILED or ERROR, or a failed
closing handshake: behaviorClose FAILED / WRONG CODE / UNCLEAN / FAILED BY
CLIENT), if a case is UNIMPLEMENTED with --all, if kosoku wrote no report or ran
too long, or if the server crashed or did not exit 0 on SIGTERM; else 0.

kosoku's report (Autobahn's own format), in OUTDIR:
  index.json   {agent: {case_id: {"behavior", "behaviorClose", "duration" (ms),
                "remoteCloseCode", "reportfile"}}}
  <agent>_case_<id with _>.json  one per case: description, expectation, result,
                resultClose, received, wirelog, close codes, httpRequest/Response, ...
  index.html and one .html per case (the same, for a browser).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from switchboard_proc import REPO_ROOT, EchoServer, ServerError  # noqa: E402

# Autobahn has no section 8 or 11: kosoku rejects a pattern that matches nothing.
DEFAULT_SECTIONS = [1, 2, 3, 4, 5, 6, 7, 9, 10]
ALL_SECTIONS = DEFAULT_SECTIONS + [12, 13]

BEHAVIORS = ["OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED", "ERROR"]
ACCEPTABLE = {"OK", "NON-STRICT", "INFORMATIONAL"}
BAD_CLOSE = {"FAILED", "WRONG CODE", "UNCLEAN", "FAILED BY CLIENT"}


def case_key(case_id: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in case_id.split(".")]


def kosoku_command() -> list[str]:
    here = Path(sys.executable).parent / "kosoku"
    if here.exists():
        return [str(here)]
    found = shutil.which("kosoku")
    if found:
        return [found]
    # Same code as the console script.
    return [sys.executable, "-c", "from kosoku._cli import main; main()"]


def compact(ids: list[str], width: int = 100) -> str:
    lines, line = [], ""
    for cid in ids:
        piece = cid if not line else " " + cid
        if len(line) + len(piece) > width:
            lines.append(line)
            line = cid
        else:
            line += piece
    if line:
        lines.append(line)
    return "\n".join("    " + ln for ln in lines)


def summarize(outdir: Path, strict_unimplemented: bool) -> tuple[bool, str]:
    index_path = outdir / "index.json"
    index = json.loads(index_path.read_text())
    cases: dict[str, dict] = {}
    for agent, per_agent in index.items():
        for cid, entry in per_agent.items():
            cases[cid] = dict(entry, agent=agent)
    out: list[str] = []
    agents = ", ".join(sorted(index)) or "(none)"
    out.append(f"Autobahn (kosoku) results: {len(cases)} cases, agent: {agents}")
    out.append(f"report: {outdir / 'index.html'}  (per case: {outdir}/<agent>_case_<id>.json)")

    counts = Counter(c["behavior"] for c in cases.values())
    for b in BEHAVIORS + sorted(set(counts) - set(BEHAVIORS)):
        if counts.get(b) or b in BEHAVIORS[:5]:
            out.append(f"  {b:<14} {counts.get(b, 0):>4}")
    close_counts = Counter(c["behaviorClose"] for c in cases.values())
    out.append("  closing handshake: " + ", ".join(
        f"{k} {v}" for k, v in sorted(close_counts.items(), key=lambda kv: -kv[1])))

    by_behavior: dict[str, list[str]] = {}
    for cid in sorted(cases, key=case_key):
        by_behavior.setdefault(cases[cid]["behavior"], []).append(cid)
    for b, ids in by_behavior.items():
        if b == "OK":
            continue
        out.append(f"{b} ({len(ids)}):")
        out.append(compact(ids))
    bad_close = [cid for cid in sorted(cases, key=case_key)
                 if cases[cid]["behavior"] in ACCEPTABLE
                 and cases[cid]["behaviorClose"] in BAD_CLOSE]
    if bad_close:
        out.append(f"behavior acceptable but closing handshake failed ({len(bad_close)}):")
        out.append(compact([f"{cid}[{cases[cid]['behaviorClose']}]" for cid in bad_close]))

    failing = [cid for cid in sorted(cases, key=case_key)
               if cases[cid]["behavior"] in ("FAILED", "ERROR")
               or cases[cid]["behaviorClose"] in BAD_CLOSE
               or (strict_unimplemented and cases[cid]["behavior"] == "UNIMPLEMENTED")]
    # Details of the failing cases (UNIMPLEMENTED ones are listed above) from
    # their own report files.
    detailed = [cid for cid in failing if cases[cid]["behavior"] != "UNIMPLEMENTED"]
    for cid in detailed[:40]:
        c = cases[cid]
        detail = ""
        try:
            rep = json.loads((outdir / c["reportfile"]).read_text())
            detail = f" {rep.get('result', '')} | close: {rep.get('resultClose', '')}"
        except (OSError, ValueError, KeyError):
            pass
        out.append(f"  x {cid}: {c['behavior']}/{c['behaviorClose']} "
                   f"(remote close {c.get('remoteCloseCode')}){detail}")
    if len(detailed) > 40:
        out.append(f"  ... and {len(detailed) - 40} more")
    return (not failing and bool(cases)), "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--all", action="store_true",
                    help="sections 1-13 (adds 12.* and 13.*, permessage-deflate); "
                         "UNIMPLEMENTED then counts as a failure")
    ap.add_argument("-i", "--include", action="append", metavar="CASE",
                    help="own case selection instead of the sections (repeatable)")
    ap.add_argument("-x", "--exclude", action="append", metavar="CASE",
                    help="cases to leave out (repeatable)")
    ap.add_argument("-p", "--parallelism", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="server --threads")
    ap.add_argument("-o", "--outdir", default=None,
                    help="report directory (default: reports/autobahn[-all] in the repo)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds before kosoku is stopped (default 1200, 2400 with --all)")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument for `switchboard echo` (repeatable)")
    args = ap.parse_args()

    if args.include:
        patterns = args.include
    else:
        patterns = [f"{s}.*" for s in (ALL_SECTIONS if args.all else DEFAULT_SECTIONS)]
    outdir = Path(args.outdir) if args.outdir else (
        REPO_ROOT / "reports" / ("autobahn-all" if args.all else "autobahn"))
    outdir = outdir.resolve()
    timeout = args.timeout or (2400.0 if args.all else 1200.0)

    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)

    server_log = outdir / "server.log"
    server = EchoServer(["--threads", str(args.threads), *args.server_arg],
                        log_path=server_log)
    try:
        server.start()
    except ServerError as e:
        print(f"run_autobahn: could not start the echo server: {e}", file=sys.stderr)
        return 1
    print(f"run_autobahn: switchboard echo pid {server.pid} on 127.0.0.1:{server.port}",
          flush=True)

    cmd = [*kosoku_command(), "-p", str(args.parallelism), "-o", str(outdir)]
    for p in patterns:
        cmd += ["-i", p]
    for x in args.exclude or []:
        cmd += ["-x", x]
    cmd.append(f"127.0.0.1:{server.port}")
    print("run_autobahn: $ " + " ".join(cmd), flush=True)

    problems: list[str] = []
    kosoku_log = outdir / "kosoku.log"
    started = time.monotonic()
    with open(kosoku_log, "w") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, cwd=outdir.parent,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            problems.append(f"kosoku still running after {timeout:.0f}s: stopped")
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: only its processes
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
    elapsed = time.monotonic() - started
    print(f"run_autobahn: kosoku exited {rc} after {elapsed:.1f}s "
          f"(log: {kosoku_log})", flush=True)

    if not server.alive():
        problems.append(f"the echo server died during the run (status {server.proc.returncode})")
    t0 = time.monotonic()
    problems += server.stop()
    print(f"run_autobahn: server stopped (status {server.returncode}) in "
          f"{time.monotonic() - t0:.1f}s", flush=True)
    if problems:
        tail = server.output_tail(20)
        if tail:
            problems.append("server output (tail):\n" + tail)

    ok = False
    if (outdir / "index.json").exists():
        ok, text = summarize(outdir, strict_unimplemented=args.all)
        print(text)
    else:
        problems.append("kosoku wrote no index.json")
        print("kosoku output (tail):")
        print("\n".join(kosoku_log.read_text(errors="replace").splitlines()[-30:]))

    for p in problems:
        print(f"run_autobahn: PROBLEM: {p}")
    verdict = ok and not problems
    print(f"run_autobahn: {'PASS' if verdict else 'FAIL'} "
          f"({', '.join(patterns)}; {elapsed:.0f}s)")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
