#!/usr/bin/env bash
# The broker built with AddressSanitizer (+ LeakSanitizer at exit), and every interop
# test run against it.
#   scripts/sanitize.sh                      every interop test
#   scripts/sanitize.sh -k transcripts       extra arguments go to pytest
# A sanitizer report makes the broker exit non-zero, which the tests' teardown checks,
# so any report fails the run. Leak suppressions (a dependency's, not ours):
# scripts/lsan-suppressions.txt. Not part of the test command (it takes minutes).
#
# No ThreadSanitizer mode: on Linux, Swift's Synchronization.Mutex is built on futexes
# TSan does not see, so it reports every Mutex-guarded access as a race (tried on
# 2026-11-26: its two reports were both between accesses inside withLock).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

case "${1:-}" in
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
esac
scratch=".build-asan"

bash scripts/setup.sh >/dev/null
echo "== building switchboard with -sanitize=address in $scratch"
swift build --product switchboard -Xswiftc -sanitize=address --scratch-path "$scratch" 2>&1 | tail -n 1
# The interop tests also drive the release load tester.
swift build -c release --product switchboard-loadtest 2>&1 | tail -n 1

export SWITCHBOARD_BIN="$ROOT/$scratch/debug/switchboard"
export SWITCHBOARD_LOADTEST_BIN="$ROOT/.build/release/switchboard-loadtest"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan-suppressions.txt:print_suppressions=0:${LSAN_OPTIONS:-}"
echo "== interop tests against $SWITCHBOARD_BIN"
exec "$ROOT/.venv/bin/python" -m pytest -q Tests/interop "$@"
