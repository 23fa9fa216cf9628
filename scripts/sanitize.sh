#!/usr/bin/env bash
# The broker built with a sanitizer, and the interop tests run against it.
#   scripts/sanitize.sh                      AddressSanitizer (+ LeakSanitizer at exit), every interop test
#   scripts/sanitize.sh thread               ThreadSanitizer instead
#   scripts/sanitize.sh address -k transcripts   extra arguments go to pytest
# A sanitizer report makes the broker exit non-zero, which the tests' teardown checks,
# so any report fails the run. Leak suppressions (a dependency's, not ours):
# scripts/lsan-suppressions.txt. Not part of the test command (it takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

sanitizer=address
case "${1:-}" in
  address|thread) sanitizer="$1"; shift ;;
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
esac
scratch=".build-${sanitizer/address/asan}"
scratch="${scratch/thread/tsan}"

bash scripts/setup.sh >/dev/null
echo "== building switchboard with -sanitize=$sanitizer in $scratch"
swift build --product switchboard -Xswiftc "-sanitize=$sanitizer" --scratch-path "$scratch" 2>&1 | tail -n 1
# The interop tests also drive the release load tester.
swift build -c release --product switchboard-loadtest 2>&1 | tail -n 1

export SWITCHBOARD_BIN="$ROOT/$scratch/debug/switchboard"
export SWITCHBOARD_LOADTEST_BIN="$ROOT/.build/release/switchboard-loadtest"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan-suppressions.txt:print_suppressions=0:${LSAN_OPTIONS:-}"
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:${TSAN_OPTIONS:-}"
echo "== interop tests against $SWITCHBOARD_BIN"
exec "$ROOT/.venv/bin/python" -m pytest -q Tests/interop "$@"
