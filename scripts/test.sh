#!/usr/bin/env bash
# Run every test, doing its own set-up on a fresh machine of this kind:
#   1. set-up (apt packages, Python venv)       scripts/setup.sh
#   2. release build of the server              swift build -c release --product switchboard
#      and of the load tester                   swift build -c release --product switchboard-loadtest
#   3. unit tests (debug)                       swift test
#   4. fuzz smoke run (if scripts/fuzz.sh)      bash scripts/fuzz.sh --smoke
#   5. interop tests (Python, Node, raw)        pytest -q Tests/interop
#   6. Autobahn TestSuite via kosoku            python Tests/interop/run_autobahn.py --all
# Every stage runs unless one it depends on failed (no binary: no interop or
# Autobahn run); the script exits non-zero if any stage failed or was skipped
# for that reason.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
PY="$ROOT/.venv/bin/python"
export PYTHONUNBUFFERED=1
export SWITCHBOARD_BIN="${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}"

declare -a NAMES=() RESULTS=() TIMES=()
FAILED=0

heading() {
  printf '\n==============================================================\n'
  printf '== %s\n' "$*"
  printf '==============================================================\n'
}

# stage NAME COMMAND...: run it, record PASS/FAIL and its duration.
stage() {
  local name="$1"; shift
  heading "$name"
  printf '$ %s\n' "$*"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  local took=$((SECONDS - start))
  NAMES+=("$name"); TIMES+=("$took")
  if [[ $rc -eq 0 ]]; then
    RESULTS+=("PASS")
    printf -- '-- %s: PASS (%ss)\n' "$name" "$took"
  else
    RESULTS+=("FAIL (exit $rc)")
    FAILED=1
    printf -- '-- %s: FAIL (exit %s, %ss)\n' "$name" "$rc" "$took"
  fi
  return 0
}

skip() {
  local name="$1" why="$2"
  heading "$name"
  echo "skipped: $why"
  NAMES+=("$name"); RESULTS+=("SKIPPED ($why)"); TIMES+=(0)
}

last_ok() { [[ "${RESULTS[-1]}" == PASS ]]; }

stage "setup" bash scripts/setup.sh
setup_ok=0; last_ok && setup_ok=1

stage "build (release)" swift build -c release --product switchboard
build_ok=0; last_ok && build_ok=1

# The load tester too: Tests/interop/test_relay_loadtest.py runs its relay mode briefly.
stage "build (release, load tester)" swift build -c release --product switchboard-loadtest

stage "unit tests (swift test)" swift test

if [[ -f scripts/fuzz.sh ]]; then
  stage "fuzz smoke" bash scripts/fuzz.sh --smoke
else
  skip "fuzz smoke" "no scripts/fuzz.sh"
fi

if [[ $setup_ok -eq 1 && $build_ok -eq 1 ]]; then
  stage "interop tests (pytest)" "$PY" -m pytest -q Tests/interop
  stage "autobahn (kosoku, all sections 1-13)" "$PY" Tests/interop/run_autobahn.py --all
else
  skip "interop tests (pytest)" "set-up or build failed"; FAILED=1
  skip "autobahn (kosoku, all sections 1-13)" "set-up or build failed"; FAILED=1
fi

heading "summary"
npass=0; nfail=0
for i in "${!NAMES[@]}"; do
  printf '  %-36s %-40s %5ss\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
  case "${RESULTS[$i]}" in
    PASS) npass=$((npass + 1)) ;;
    FAIL*) nfail=$((nfail + 1)) ;;
  esac
done
echo "total time: ${SECONDS}s"
if [[ $FAILED -ne 0 ]]; then
  echo "RESULT: FAIL ($nfail stage(s) failed)"
  exit 1
fi
echo "RESULT: PASS (all $npass stages passed)"
