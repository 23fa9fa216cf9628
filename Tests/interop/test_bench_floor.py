"""loadtest/bench_floor.py and bench_floor_cluster.py, small and short: the C floor broker,
its cluster nodes (also with --one-script) and its load generator compile with the machine's `cc`, relay every
message once and in order, and the drivers write their figures, so the floors the README
compares the Swift broker and cluster with do not rot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed (bash scripts/setup.sh)")
def test_the_cluster_floor_relays_every_message_once_through_redis(tmp_path):
    """loadtest/bench_floor_cluster.py: three C nodes on a real redis-server, customers and
    agents spread over them; every ack and event arrives once and in order, and the
    figures the README's cluster floor quotes are there."""
    output = tmp_path / "floor-cluster.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "loadtest" / "bench_floor_cluster.py"), "--rate", "1000", "--conversations", "300",
         "--agents", "9", "--runs", "1", "--duration", "1", "--warmup", "0.5", "--quiet-wait", "0", "--retries", "0",
         "--scratch-path", str(tmp_path / "build"), "--output", str(output)],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Redis cmds/msg" in run.stdout
    results = json.loads(output.read_text(encoding="utf-8"))["results"]["1000"]
    assert results["errors_total"] == 0, results
    assert results["relayed_per_sec_median"] > 750, results
    # Per message: its XADD, and its share of one PUBLISH per node iteration.
    assert 1 <= results["redis_commands_per_message_median"] <= 2.5, results


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed (bash scripts/setup.sh)")
def test_the_cluster_floor_with_one_script_per_iteration_relays_every_message_once(tmp_path):
    """bench_floor_cluster.py --one-script: each node's iteration goes to Redis as one
    EVALSHA (its XADDs, then one PUBLISH of the stored entries); still every ack and event
    once and in order, and the nodes publish nothing themselves. No speed asked."""
    output = tmp_path / "floor-cluster-one-script.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "loadtest" / "bench_floor_cluster.py"), "--one-script", "--rate", "1000",
         "--conversations", "300", "--agents", "9", "--runs", "1", "--duration", "2", "--warmup", "0.5",
         "--quiet-wait", "0", "--retries", "0", "--scratch-path", str(tmp_path / "build"), "--output", str(output)],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "one script per iteration" in run.stdout
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["one_script"] is True
    results = report["results"]["1000"]
    assert results["errors_total"] == 0, results
    assert results["relayed_per_sec_median"] > 750, results
    calls = results["runs"][0]["redis_calls"]
    # One script call per node iteration, and only the scripts publish (Redis 7 counts
    # the XADDs and PUBLISHes a script runs in commandstats).
    assert calls.get("evalsha", 0) + calls.get("eval", 0) > 0, calls
    assert calls.get("xadd", 0) > 0, calls
    assert calls.get("publish", 0) <= calls.get("evalsha", 0) + calls.get("eval", 0), calls
