#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# trust, trust --org, trust list, untrust / revoke: files, names, bad keys,
# bad key files, refusals, nothing half-written.
MG=$1
. "$(dirname "$0")/lib.sh"

A=$T/a
"$MG" --config-dir "$A" keygen >/dev/null
for n in bob carol dave; do
  "$MG" --config-dir "$T/$n" keygen >/dev/null
  cp "$T/$n/identity.pub" "$T/$n.pub"
done
BOB=$(cat "$T/bob.pub") CAROL=$(cat "$T/carol.pub") DAVE=$(cat "$T/dave.pub")

CTX="trust a key file"
run --config-dir "$A" trust "$T/bob.pub"
expect 0 "Peer 'bob' trusted \(mesh 10\.99\."
check "authorized_keys/bob.pub holds the key" [ "$(cat "$A/authorized_keys/bob.pub")" = "$BOB" ]
run --config-dir "$A" trust "$T/bob.pub"
expect 0 "Peer 'bob' is already trusted"
run --config-dir "$A" trust "$BOB"
expect 0 "Peer 'bob' is already trusted"

CTX="rename with --name"
run --config-dir "$A" trust "$T/bob.pub" --name robert
expect 0 "renamed from 'bob' to 'robert'"
check "old file gone, new file there" [ ! -e "$A/authorized_keys/bob.pub" -a -e "$A/authorized_keys/robert.pub" ]

CTX="a literal key gets a name from the key"
run --config-dir "$A" trust "$CAROL"
expect 0 "Peer 'peer-[0-9a-f]{8}' trusted"

CTX="a name used by another key"
run --config-dir "$A" trust "$T/dave.pub" --name robert
expect 1 "name 'robert' is already used by another key.*--force"
check "robert still bob" [ "$(cat "$A/authorized_keys/robert.pub")" = "$BOB" ]
run --config-dir "$A" trust "$T/dave.pub" --name robert --force
expect 0 "Peer 'robert' trusted"
check "robert is now dave" [ "$(cat "$A/authorized_keys/robert.pub")" = "$DAVE" ]

CTX="bad literal keys"
before=$(ls "$A/authorized_keys" | wc -l)
for bad in "${BOB:0:43}" "${BOB}A" "${BOB:0:20}!${BOB:21}" "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" \
           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "7P///////////////////////////////////////38=" \
           "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "${BOB:0:42}p="; do
  run --config-dir "$A" trust "$bad"
  expect 1 "invalid public key|No such file"
done
# trust_refuses ARG PATTERN...: `trust ARG` fails (exit 1) with PATTERN.
trust_refuses() {
  run --config-dir "$A" trust "$1"
  expect 1 "$2"
}
trust_refuses "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "small-order key"
trust_refuses "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "all-zero key"
trust_refuses "7f///////////////////////////////////////38=" "non-canonical"
trust_refuses "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "not a point on the curve"
trust_refuses "${BOB:0:43}" "wrong length"
check "nothing added by bad keys" [ "$(ls "$A/authorized_keys" | wc -l)" = "$before" ]

CTX="bad key files"
printf '%s' "${BOB:0:30}" >"$T/trunc.pub"
head -c 5000 /dev/zero | tr '\0' 'A' >"$T/big.pub"
head -c 64 /dev/urandom >"$T/garbage.pub"
printf '%s\n%s\n' "$BOB" "$CAROL" >"$T/two.pub"
: >"$T/empty.pub"
printf '# comment\n\n%s\n' "${BOB}x" >"$T/line3.pub"
trust_refuses "$T/trunc.pub" "trunc.pub:1: wrong length"
trust_refuses "$T/big.pub" "big.pub: too large"
trust_refuses "$T/garbage.pub" "garbage.pub"
trust_refuses "$T/two.pub" "two.pub:2: more than one key"
trust_refuses "$T/empty.pub" "empty.pub: no key in the file"
trust_refuses "$T/line3.pub" "line3.pub:3: wrong length"
trust_refuses "$T/missing.pub" "missing.pub.*No such file"
check "nothing added by bad files" [ "$(ls "$A/authorized_keys" | wc -l)" = "$before" ]

CTX="names that are paths"
for name in ../evil a/b .hidden -x "two words" 012345678901234567890123456789012 "a..b" ""; do
  run --config-dir "$A" trust "$T/bob.pub" --name "$name"
  expect 2 "--name"
done
mkdir -p "$T/sub" && cp "$T/bob.pub" "$T/sub/../b@d.pub" 2>/dev/null
run --config-dir "$A" trust "$T/b@d.pub"
expect 2 "cannot name the peer after.*pass --name"
check "no file escaped the config dir" [ ! -e "$T/evil.pub" -a ! -e "$A/evil.pub" ]

CTX="trust --org"
"$MG" --config-dir "$T/org" org-keygen >/dev/null
run --config-dir "$A" trust --org "$T/org/org/org.pub" --name acme
expect 0 "Org 'acme' trusted \(domain: [0-9a-f]{6}\.mesh\)"
run --config-dir "$A" trust "$T/org/org/org.pub" --org
expect 0 "Org 'acme' is already trusted"
"$MG" --config-dir "$T/org2" org-keygen >/dev/null
run --config-dir "$A" trust --org "$(cat "$T/org2/org/org.pub")"
expect 0 "Org '[0-9a-f]{6}' trusted"

CTX="trust list"
run --config-dir "$A" trust list
expect 0 "Trusted peers \(2\)"
check "list shows names, keys, addresses" grep -qE "robert +[A-Za-z0-9+/]{43}= +10\.99\.[0-9]+\.[0-9]+ +fd99:6d67:" <<<"$OUT"
check "list shows orgs with domains" grep -qE "acme +[A-Za-z0-9+/]{43}= +[0-9a-f]{6}\.mesh" <<<"$OUT"
run --config-dir "$A" trust list --name x
expect 2 "takes no options"
run --config-dir "$T/empty-dir" trust list
expect 0 "Nothing is trusted yet"

CTX="a bad file in the store is named with its line"
printf '\n\nnot-a-key\n' >"$A/authorized_keys/zz.pub"
run --config-dir "$A" trust list
expect 1 "authorized_keys/zz.pub:3: wrong length"
run --config-dir "$A" id
expect 0 "trust store: +error: .*zz.pub:3"
run --config-dir "$A" untrust zz
expect 0 "Peer 'zz' is no longer trusted"   # a broken file can be untrusted by name
check "zz.pub removed" [ ! -e "$A/authorized_keys/zz.pub" ]

CTX="untrust"
run --config-dir "$A" untrust robert
expect 0 "Peer 'robert' is no longer trusted"
check "file removed" [ ! -e "$A/authorized_keys/robert.pub" ]
run --config-dir "$A" untrust "$CAROL"
expect 0 "Peer 'peer-[0-9a-f]{8}' is no longer trusted"
run --config-dir "$A" untrust robert
expect 1 "no trusted peer with the name or key 'robert'"
run --config-dir "$A" untrust ../../identity
expect 1 "no trusted peer"
check "identity untouched" [ -e "$A/identity.key" ]
run --config-dir "$A" trust "$T/bob.pub"
run --config-dir "$A" revoke bob
expect 0 "Peer 'bob' is no longer trusted"
run --config-dir "$A" untrust acme
expect 1 "no trusted peer"
run --config-dir "$A" untrust acme --org
expect 0 "Org 'acme' is no longer trusted"
run --config-dir "$A" untrust
expect 2 "missing argument"

CTX="thousands of entries (no fixed caps), listed fast"
M=$T/many
python3 - "$M" <<'PY'
import base64, os, sys
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives import serialization
raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
for sub, ext, n in (("authorized_keys", "pub", 3000), ("trusted_orgs", "org", 300)):
    os.makedirs(os.path.join(sys.argv[1], sub), exist_ok=True)
    for i in range(n):
        k = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(*raw)
        with open(os.path.join(sys.argv[1], sub, f"k{i}.{ext}"), "w") as f:
            f.write(base64.b64encode(k).decode() + "\n")
PY
start=$(date +%s%N)
run --config-dir "$M" trust list
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "trust list of 3300 entries: ${ms} ms"
expect 0 "Trusted peers \(3000\)"
check "all orgs listed" grep -q "Trusted orgs (300)" <<<"$OUT"
check "the last peer is listed" grep -qE "^  k2999 " <<<"$OUT"
run --config-dir "$M" trust "$T/bob.pub"
expect 0 "Peer 'bob' trusted"
run --config-dir "$M" untrust bob
expect 0

check "no temporary files left" no_temp_files "$T"
finish
