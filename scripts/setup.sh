#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian 12 machine of the project's kind.
#   bash scripts/setup.sh           # apt packages + Python venv (.venv) for the tests
#                                   # (+ headless Chromium, its driver and a Korean font)
#   bash scripts/setup.sh --apt     # apt packages only (what running the broker needs)
# Installs only what is missing: apt-get runs only if a package is absent (dpkg -s),
# pip only if .venv does not already hold the pinned versions.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

APT_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --apt|--apt-only) APT_ONLY=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { printf 'setup: %s\n' "$*"; }

# ---- Debian packages --------------------------------------------------------
# tzdata: the IANA zones under /usr/share/zoneinfo that business hours are kept in.
APT_PACKAGES=(libssl-dev zlib1g-dev tzdata)
if [[ $APT_ONLY -eq 0 ]]; then
  # The venv needs python3-venv when the Debian python is the one used.
  APT_PACKAGES+=(python3-venv)
  # Headless Chromium for Tests/interop/test_chromium.py (driven by selenium
  # through chromedriver); fonts-nanum so Hangul renders (not empty boxes).
  APT_PACKAGES+=(chromium chromium-driver fonts-nanum)
  # The standard-tools recipe of protocol/storage.md ("Tamper evidence"), which
  # Tests/interop/test_verify.py runs: the openssl command and xxd.
  APT_PACKAGES+=(openssl xxd)
  # promtool (Debian's prometheus package) checks /metrics in the interop tests;
  # systemd-analyze (systemd) checks the packaged unit file.
  APT_PACKAGES+=(prometheus systemd)
  # redis-server (7.0) for the cluster's tests: each test starts its own on a free
  # loopback port (Tests/RedisClientTests, Tests/interop/test_cluster.py).
  APT_PACKAGES+=(redis-server)
  # nginx in front of three nodes (docs/nginx-cluster.conf, Tests/interop/test_nginx.py).
  APT_PACKAGES+=(nginx)
  # A C compiler for loadtest/bench_floor.py's relay_floor.c (Tests/interop/test_bench_floor.py).
  APT_PACKAGES+=(gcc libc6-dev)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$pkg")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "Debian packages present: ${APT_PACKAGES[*]}"
fi
if [[ $APT_ONLY -eq 0 ]]; then
  log "$(/usr/bin/chromium --version 2>/dev/null || echo 'WARNING: /usr/bin/chromium missing')"
fi

if [[ $APT_ONLY -eq 1 ]]; then
  exit 0
fi

# ---- Node 20 (preinstalled on this kind of machine) ---------------------------
if [[ -x /usr/bin/node ]] || command -v node >/dev/null 2>&1; then
  log "node $(node --version 2>/dev/null || /usr/bin/node --version)"
else
  log "WARNING: node not found (expected Node 20 at /usr/bin/node); the Node interop test will fail"
fi

# ---- Python venv for the interop tests and the Autobahn runner -----------------
REQ="$ROOT/Tests/interop/requirements.txt"
VENV="$ROOT/.venv"

pick_python() {
  local cand
  for cand in "${PYTHON:-}" python3 /usr/bin/python3; do
    [[ -n "$cand" ]] || continue
    if command -v "$cand" >/dev/null 2>&1 && \
       "$cand" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
         >/dev/null 2>&1; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

venv_ok() {
  [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1
}

# True when every `name==version` line of requirements.txt is installed in the venv.
reqs_satisfied() {
  "$VENV/bin/python" - "$REQ" <<'PY'
import re, sys
from importlib import metadata
ok = True
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)", line)
    if not m:
        print(f"setup: unpinned requirement: {line}", file=sys.stderr)
        ok = False
        continue
    name, want = m.groups()
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        have = None
    if have != want:
        print(f"setup: {name}: have {have}, want {want}", file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
PY
}

if ! venv_ok; then
  PY="$(pick_python)" || { echo "setup: no python3 >= 3.10 with venv found" >&2; exit 1; }
  log "creating venv at .venv with $PY ($("$PY" --version 2>&1))"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

if reqs_satisfied 2>/dev/null; then
  log "Python requirements already satisfied in .venv"
else
  log "installing Python requirements from Tests/interop/requirements.txt"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
  reqs_satisfied || { echo "setup: pinned versions not installed as required" >&2; exit 1; }
fi
"$VENV/bin/python" -c 'import websockets, kosoku, pytest, selenium, cryptography' \
  || { echo "setup: the venv cannot import websockets/kosoku/pytest/selenium/cryptography" >&2; exit 1; }
log "ok: $("$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
  | awk '$1 ~ /^(pytest|websockets|kosoku|selenium|cryptography)$/ {printf "%s %s  ", $1, $2}')"
