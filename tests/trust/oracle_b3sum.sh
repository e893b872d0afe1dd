#!/usr/bin/env bash
# BLAKE3 against an independent implementation: Debian's b3sum (the Rust
# reference crate) on random inputs of lengths around every block, chunk
# and tree boundary. Usage: oracle_b3sum.sh TRUST_TOOL
set -euo pipefail
tool=$1
command -v b3sum >/dev/null || { echo "b3sum not installed (apt-get install b3sum)"; exit 77; }
tmp=$(mktemp -d /tmp/mgtrust-b3-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
for len in 0 1 2 31 32 33 63 64 65 127 128 129 1000 1023 1024 1025 2047 2048 2049 \
           3072 3073 4095 4096 4097 8191 8192 8193 65536 65537 100000 1048576 1048577; do
  head -c "$len" /dev/urandom >"$tmp/in"
  ours=$("$tool" b3 "$tmp/in" | cut -d' ' -f2)
  theirs=$(b3sum --no-names "$tmp/in")
  n=$((n + 1))
  if [ "$ours" != "$theirs" ]; then
    echo "MISMATCH len=$len ours=$ours b3sum=$theirs"
    fail=1
  fi
done
echo "blake3 vs b3sum: $n inputs compared"
exit $fail
