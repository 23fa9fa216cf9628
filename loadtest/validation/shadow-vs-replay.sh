#!/usr/bin/env bash
# The broker's live shadow phone queue against the load tester's exact replay of the
# same contacts (issue 16). Starts one broker on loopback for all the seeds, plays the
# scenario with each seed as calls then as chats (the broker learns the callers'
# patience from the calls, as a center taking both does), and prints, per seed and run,
# the shadow's mean wait, the replay's and their ratio, then the median ratio per run.
#
#   loadtest/validation/shadow-vs-replay.sh SCENARIO TIME_SCALE SEED...
#   loadtest/validation/shadow-vs-replay.sh loadtest/scenarios/chat-vs-phone.toml 900 1 2 3 4 5
#
# Needs the release builds of `switchboard` and `switchboard-loadtest`. Loopback only;
# the broker is stopped by its PID when the script ends.
set -euo pipefail
scenario=$1 scale=$2; shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/.build/release
work=$(mktemp -d /tmp/shadow-vs-replay.XXXXXX)
port=${PORT:-$((20000 + RANDOM % 20000))}
"$bin/switchboard-loadtest" contact-center --scenario "$scenario" --write-config "$work/center.toml" --quiet
"$bin/switchboard" serve --host 127.0.0.1 --port "$port" --config "$work/center.toml" --data-dir "$work/data" \
    > "$work/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
for seed in "$@"; do
    "$bin/switchboard-loadtest" contact-center --scenario "$scenario" --url "ws://127.0.0.1:$port/" \
        --time-scale "$scale" --seed "$seed" --runs voice,chat --quiet --json-out "$work/seed-$seed.json" > "$work/seed-$seed.txt" || true
done
python3 - "$work" "$@" <<'PY'
import json, statistics, sys
work, seeds = sys.argv[1], sys.argv[2:]
ratios = {}
for seed in seeds:
    try:
        report = json.load(open(f"{work}/seed-{seed}.json"))
    except (OSError, ValueError) as e:
        print(f"seed {seed}: no report ({e})"); continue
    for run in report["runs"]:
        shadow, replay = run["broker"]["run_shadow_mean_wait"], run["phone_replay"]["wait"]["mean"]
        pending = run["broker"]["shadow_pending"]
        if shadow is None or not replay:
            print(f"seed {seed} {run['channel']}: shadow {shadow} replay {replay}: no ratio"); continue
        ratios.setdefault(run["channel"], []).append(shadow / replay)
        print(f"seed {seed} {run['channel']:5}: shadow mean {shadow:7.1f} s ({run['broker']['run_shadow_count']:.0f} answered, "
              f"{run['broker']['run_shadow_abandoned']:.0f} abandoned, {pending:.0f} pending); exact replay {replay:7.1f} s "
              f"({run['phone_replay']['abandoned']} abandoned); ratio {shadow / replay:.3f}")
for channel, r in ratios.items():
    print(f"{channel}: median ratio {statistics.median(r):.3f} over {len(r)} seeds (min {min(r):.3f}, max {max(r):.3f})")
PY
echo "reports in $work"
