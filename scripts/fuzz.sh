#!/usr/bin/env bash
# Fuzz the parsers with libFuzzer under AddressSanitizer.
#   scripts/fuzz.sh --smoke            30 s per target (part of the test command)
#   scripts/fuzz.sh --seconds 600      10 minutes per target (before resolving transport work)
#   scripts/fuzz.sh --seconds 60 http  one target only (http, frames, deflate, protocol, segments, privacy, zones, resp, cluster or commands)
# Crashes are written to test-output/fuzz/<target>/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) seconds=30 ;;
    --seconds) seconds="$2"; shift ;;
    http|frames|deflate|protocol|segments|privacy|zones|resp|cluster|commands) targets+=("$1") ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=(http frames deflate protocol segments privacy zones resp cluster commands)

status=0
for target in "${targets[@]}"; do
  product="fuzz-$target"
  echo "== building $product with -sanitize=fuzzer,address"
  # Two separate -sanitize flags reach swiftc as two flags and the last one wins, which
  # silently drops coverage (or ASan). So SwiftPM's --sanitize=fuzzer links libFuzzer's
  # main, and one combined -sanitize=fuzzer,address (appended last) instruments.
  swift build -c debug --product "$product" --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
    --scratch-path .build-fuzz 2>&1 | grep -vE 'Cannot export local symbol' | tail -n 1
  probe=$(.build-fuzz/debug/"$product" -runs=1 2>&1 || true)
  if ! grep -q "inline 8-bit counters" <<<"$probe"; then
    echo "FUZZ BUILD BROKEN: $product has no coverage instrumentation"; status=1; continue
  fi
  out="test-output/fuzz/$target"
  corpus="$out/corpus"
  mkdir -p "$corpus"
  cp -n Tests/fuzz-corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzzing $target for ${seconds}s (corpus $corpus)"
  if ! .build-fuzz/debug/"$product" "$corpus" -max_total_time="$seconds" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$out/" -print_final_stats=1 > "$out/log.txt" 2>&1; then
    echo "FUZZ FAILURE in $target: see $out/log.txt"; tail -n 30 "$out/log.txt"; status=1
  else
    grep -E '^#[0-9]+.*DONE' "$out/log.txt" | tail -n 1 || true
    echo "$target: clean for ${seconds}s"
  fi
done
exit $status
