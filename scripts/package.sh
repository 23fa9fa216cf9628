#!/usr/bin/env bash
# A release tarball: the broker built in release mode with the Swift runtime linked
# statically (--static-swift-stdlib), the example configuration, a systemd unit
# (checked with systemd-analyze verify where available) and a README:
#   bash scripts/package.sh        ->  dist/switchboard-VERSION-linux-x86_64.tar.gz
# The build has its own scratch directory (.build-static), so it neither disturbs nor
# is disturbed by the ordinary release build; a second run only relinks what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VERSION=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/ChatServer/BuildInfo.swift)
[[ -n "$VERSION" ]] || { echo "package.sh: no version in Sources/ChatServer/BuildInfo.swift" >&2; exit 1; }
ARCH=$(uname -m)
[[ "$ARCH" == x86_64 ]] || echo "package.sh: note: building on $ARCH, the name says x86_64 only when it is" >&2
NAME="switchboard-$VERSION-linux-$ARCH"

echo "package: building switchboard $VERSION (release, --static-swift-stdlib)"
swift build -c release --product switchboard --static-swift-stdlib --scratch-path .build-static 2>&1 | tail -n 1
BIN="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/switchboard"

# The Swift runtime must not be a shared library the target machine lacks.
if ldd "$BIN" | grep -q 'libswift'; then
  echo "package.sh: $BIN still links Swift shared libraries:" >&2; ldd "$BIN" | grep libswift >&2; exit 1
fi
got=$("$BIN" --version)
[[ "$got" == "$VERSION" ]] || { echo "package.sh: the binary says $got, not $VERSION" >&2; exit 1; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/$NAME"
cp "$BIN" "$STAGE/$NAME/switchboard"
strip "$STAGE/$NAME/switchboard" 2>/dev/null || true
cp protocol/examples/switchboard.toml "$STAGE/$NAME/switchboard.toml"
cp packaging/switchboard.service "$STAGE/$NAME/switchboard.service"
sed "s/VERSION/$VERSION/" packaging/README.md > "$STAGE/$NAME/README.md"

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify wants ExecStart's binary to exist: check a copy pointing at the staged one.
  check="$STAGE/switchboard.service"
  sed "s#/opt/switchboard/switchboard#$STAGE/$NAME/switchboard#" packaging/switchboard.service > "$check"
  if ! out=$(systemd-analyze verify "$check" 2>&1); then
    echo "package.sh: systemd-analyze verify failed:" >&2; echo "$out" >&2; exit 1
  fi
  # It also reports problems without failing: any line about the unit is one.
  if grep -F "switchboard.service" <<<"$out" >&2; then
    echo "package.sh: systemd-analyze verify reported the lines above" >&2; exit 1
  fi
  echo "package: systemd-analyze verify: switchboard.service ok"
else
  echo "package: systemd-analyze not found; the unit was not verified (scripts/setup.sh installs systemd)"
fi

mkdir -p dist
tar -C "$STAGE" -czf "dist/$NAME.tar.gz" "$NAME"
echo "package: dist/$NAME.tar.gz ($(du -h "dist/$NAME.tar.gz" | cut -f1))"
