"""loadtest/bench_floor.py, small and short: the C floor broker and its load generator
compile with the machine's `cc`, relay every message once and in order, and the driver
writes its figures, so the floor the README compares the Swift broker with does not rot.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_floor_relays_every_message_once_and_reports_its_cost(tmp_path):
    output = tmp_path / "floor.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "loadtest" / "bench_floor.py"), "--rate", "2000", "--conversations", "200",
         "--agents", "10", "--runs", "1", "--duration", "1", "--warmup", "0.5", "--quiet-wait", "0",
         "--retries", "0", "--scratch-path", str(tmp_path / "build"), "--output", str(output)],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "broker µs/msg" in run.stdout
    results = json.loads(output.read_text(encoding="utf-8"))["results"]["2000"]
    assert results["errors_total"] == 0, results
    assert results["relayed_per_sec_median"] > 1500 and results["broker_us_per_message_median"] > 0, results
