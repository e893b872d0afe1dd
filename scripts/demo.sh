#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
echo "demo: not available yet" >&2
exit 1
