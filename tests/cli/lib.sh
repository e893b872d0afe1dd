# SPDX-License-Identifier: MIT
# Shared helpers for the CLI shell tests. Source it after setting MG to the
# meshguard binary. Every test runs in its own temporary directory, removed
# on exit (also on failure).
set -uo pipefail

MG=${MG:-${1:-}}
[ -x "$MG" ] || { echo "usage: $0 /path/to/meshguard"; exit 2; }
unset MESHGUARD_CONFIG_DIR  # tests always pass --config-dir

T=$(mktemp -d /tmp/mgtrust-cli-XXXXXX)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
FAILS=0
CHECKS=0

# run ARGS...: runs meshguard, sets $OUT, $ERR, $RC.
run() {
  "$MG" "$@" >"$T/.out" 2>"$T/.err"
  RC=$?
  OUT=$(cat "$T/.out")
  ERR=$(cat "$T/.err")
}

fail() {
  FAILS=$((FAILS + 1))
  echo "FAIL: $*"
  echo "  last command rc=$RC"
  echo "  stdout: ${OUT:0:600}"
  echo "  stderr: ${ERR:0:600}"
}

# expect RC [pattern-in-stdout-or-stderr]: checks the last run.
expect() {
  local want=$1 pat=${2:-}
  CHECKS=$((CHECKS + 1))
  if [ "$RC" -ne "$want" ]; then
    fail "${CTX:-} expected exit $want"
    return
  fi
  if [ -n "$pat" ] && ! grep -qiE -- "$pat" <<<"$OUT$ERR"; then
    fail "${CTX:-} expected output matching /$pat/"
  fi
}

# check DESCRIPTION COMMAND...: a plain assertion.
check() {
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if ! "$@"; then
    FAILS=$((FAILS + 1))
    echo "FAIL: $what"
  fi
}

# not COMMAND...: succeeds when COMMAND fails (for `check`).
not() { ! "$@"; }

# No leftovers of atomic writes (".name.tmpXXXXXX") anywhere under DIR.
no_temp_files() {
  [ -z "$(find "$1" -name '.*.tmp*' 2>/dev/null)" ]
}

# Mode of a file as octal digits ("600").
mode_of() { stat -c %a "$1"; }

finish() {
  echo "$(basename "$0"): $CHECKS checks, $FAILS failures"
  [ "$FAILS" -eq 0 ]
  exit $?
}
