#!/usr/bin/env bash
# Builds meshguard twice (an optimized build and an ASan+UBSan build) and
# runs every test suite under the sanitizers: unit tests and vectors, CLI
# tests, simulations, and (as root) the network-namespace tests against
# wireguard-go. Exits non-zero if anything fails.
#
#   sudo ./scripts/test.sh                 # everything
#   sudo ./scripts/test.sh --suite unit    # extra args go to `meson test`
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

setup() { # dir, options...
  local dir=$1; shift
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

setup build -Dbuildtype=release
ninja -C build

setup build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1"
meson test -C build-asan --print-errorlogs --num-processes 2 "$@"
