#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Coverage-guided fuzzing of the gossip receive path with libFuzzer (clang):
#
#   ./scripts/fuzz.sh [SECONDS]      # default 300; corpus kept in build-fuzz/corpus
#
# Crashes are saved as build-fuzz/crash-*; replay one under the ordinary
# sanitizer build with build-asan/tests/swim/fuzz-swim-replay FILE.
# (The test suite runs the same target on generated inputs every time,
# without clang: the swim-fuzz-replay test.)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
command -v clang >/dev/null || { echo "fuzz.sh: needs clang (apt-get install --no-install-recommends clang)" >&2; exit 2; }
if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Dnetns_tests=false -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C build-fuzz tests/swim/fuzz-swim
mkdir -p build-fuzz/corpus
cd build-fuzz
exec ./tests/swim/fuzz-swim -max_total_time="$secs" -max_len=1500 -print_final_stats=1 corpus
