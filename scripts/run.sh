#!/usr/bin/env bash
# Run the broker, doing its own set-up on a fresh machine of this kind:
#   bash scripts/run.sh [--host H] [--port P] [--config FILE] [--data-dir DIR] [--threads N] ...
# Arguments go to `switchboard serve` (defaults: port 8080, data in ./data).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --apt
swift build -c release --product switchboard
exec .build/release/switchboard serve "$@"
