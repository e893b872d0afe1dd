#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# org-keygen, org-sign (v1, v2, --expires, delegation), org-delegate,
# org-revoke, org-vouch, org-alias, cert show / cert verify.
MG=$1
. "$(dirname "$0")/lib.sh"

ADM=$T/admin N1=$T/n1 N2=$T/n2 V=$T/verifier
for d in "$N1" "$N2" "$V"; do "$MG" --config-dir "$d" keygen >/dev/null; done
cp "$N1/identity.pub" "$T/n1.pub"
cp "$N2/identity.pub" "$T/n2.pub"
WG2=$("$MG" --config-dir "$N2" export --wg)

CTX="org-sign without an org key"
run --config-dir "$ADM" org-sign "$T/n1.pub"
expect 1 "no org key found.*meshguard org-keygen"

CTX="org-keygen"
run --config-dir "$ADM" org-keygen
expect 0 "domain: +[0-9a-f]{6}\.mesh"
check "org.key is 0600" [ "$(mode_of "$ADM/org/org.key")" = 600 ]
ORG=$(cat "$ADM/org/org.pub")
DOMAIN=$(grep -oE '[0-9a-f]{6}\.mesh' <<<"$OUT" | head -1 | cut -d. -f1)
run --config-dir "$ADM" org-keygen
expect 1 "org key already exists.*--force"
check "org key unchanged" [ "$(cat "$ADM/org/org.pub")" = "$ORG" ]
cp "$ADM/org/org.key" "$T/org.key.good"
echo junk >"$ADM/org/org.key"
run --config-dir "$ADM" org-keygen
expect 1 "cannot be used: .*org.key: corrupt"
run --config-dir "$ADM" org-sign "$T/n1.pub"
expect 1 "org.key: corrupt"
cp "$T/org.key.good" "$ADM/org/org.key"
for m in 644 640 604 660; do
  chmod "$m" "$ADM/org/org.key"
  run --config-dir "$ADM" org-sign "$T/n1.pub"
  expect 1 "org/org.key is accessible by other users \(mode 0$m\).*Fix: chmod 600"
  run --config-dir "$ADM" org-keygen
  expect 1 "cannot be used: .*mode 0$m"
done
chmod 600 "$ADM/org/org.key"
check "no certificate written with an exposed org key" [ ! -e "$ADM/issued" ]

CTX="org-keygen --force"
mkdir -p "$T/forced"
"$MG" --config-dir "$T/forced" org-keygen >/dev/null
OLD=$(cat "$T/forced/org/org.pub")
run --config-dir "$T/forced" org-keygen --force
expect 0 "Org key pair generated"
check "org-keygen --force: a new key" [ "$(cat "$T/forced/org/org.pub")" != "$OLD" ]
check "org-keygen --force: org.key still 0600" [ "$(mode_of "$T/forced/org/org.key")" = 600 ]
check "org-keygen --force: the printed key is org.pub" grep -qF -- "$(cat "$T/forced/org/org.pub")" <<<"$OUT"
echo junk >"$T/forced/org/org.key"
run --config-dir "$T/forced" org-keygen --force
expect 0 "Org key pair generated"
run --config-dir "$T/forced" org-sign "$T/n1.pub" --name after-force
expect 0 "signed"

CTX="org-sign v1"
run --config-dir "$ADM" org-sign "$T/n1.pub" --name web-1 --expires 90d
expect 0 "version: +v1"
check "mesh name printed" grep -q "web-1\.$DOMAIN" <<<"$OUT"
C1=$ADM/issued/web-1.cert
check "314-byte file" [ "$(stat -c %s "$C1")" = 314 ]
CTX="org-sign v2"
run --config-dir "$ADM" org-sign "$T/n2.pub" --name web-2 --wg-pubkey "$WG2" --expires 2099-12-31
expect 0 "version: +v2"
C2=$ADM/issued/web-2.cert
run --config-dir "$ADM" org-sign "$T/n1.pub" --name web-3 --expires never
expect 0 "expires: +never"

CTX="--expires garbage is an error, never 'never'"
for bad in soon 90days 2030-02-30 -5d 1.5d ""; do
  run --config-dir "$ADM" org-sign "$T/n1.pub" --name x --expires "$bad"
  expect 2 "--expires"
done
run --config-dir "$ADM" org-sign "$T/n1.pub" --name x --expires 90
expect 2 "in the past"
run --config-dir "$ADM" org-sign "$T/n1.pub" --name x --expires 2001-01-01
expect 2 "in the past"
check "no certificate written by bad --expires" [ ! -e "$ADM/issued/x.cert" ]

CTX="bad --wg-pubkey and --name"
run --config-dir "$ADM" org-sign "$T/n2.pub" --name x --wg-pubkey "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
expect 1 "invalid WireGuard key.*all-zero"
run --config-dir "$ADM" org-sign "$T/n2.pub" --name x --wg-pubkey "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
expect 1 "small-order"
run --config-dir "$ADM" org-sign "$T/n2.pub" --name x --wg-pubkey "nonsense"
expect 1 "invalid WireGuard key"
for name in ../x a/b .x "$(printf 'x%.0s' {1..33})"; do
  run --config-dir "$ADM" org-sign "$T/n2.pub" --name "$name"
  expect 2 "--name"
done
run --config-dir "$ADM" org-sign "$T/n2.pub" --name web-1
expect 1 "web-1.cert exists and is not a certificate for this node"
run --config-dir "$ADM" org-sign "$T/n1.pub" --name web-1 --expires 30d
expect 0 "signed"
run --config-dir "$ADM" org-sign "$T/n1.pub" --name web-1 --expires 90d --bogus
expect 2 "unknown option '--bogus'"

CTX="cert show"
run --config-dir "$V" cert show "$C2"
expect 0 "mesh name: +web-2\.$DOMAIN\.mesh"
check "cert show has the org key" grep -qF -- "org:           $ORG" <<<"$OUT"
for field in "version: +2" "node: +" "name: +web-2" "issued: +20" "expires: +2099-12-31" \
             "flags: +0x00" "org sig: +[0-9a-f]{16}\.\.\. \(valid\)" "mesh address: +10\.99\." \
             "NOT trusted|not trusted here" "verdict: +NOT VALID here: org not trusted"; do
  check "cert show has /$field/" grep -qE -- "$field" <<<"$OUT"
done
check "cert show has the WireGuard key" grep -qF -- "$WG2" <<<"$OUT"

CTX="cert verify against the local trust store"
run --config-dir "$V" cert verify "$C1"
expect 1 "not valid here: org not trusted"
"$MG" --config-dir "$V" trust --org "$ADM/org/org.pub" --name acme >/dev/null
run --config-dir "$V" cert verify "$C1"
expect 0 "valid: org certificate 'web-1' from org"
run --config-dir "$V" cert verify "$C1" --at 31d
expect 1 "certificate expired on"
run --config-dir "$V" cert verify "$C1" --at garbage
expect 2 "--at"
run --config-dir "$V" cert show "$C1"
expect 0 "verdict: +org certificate 'web-1'"

CTX="tampered, truncated, wrong version, garbage certificates"
# tampered SRC OFFSET BYTE DEST: a copy of SRC with one byte replaced.
tampered() {
  cp "$1" "$4"
  printf "$3" | dd of="$4" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
for c in "0 \\x03 unsupported certificate version" "66 X bad signature" "100 X bad signature" \
         "180 \\x01 malformed: non-zero padding" "113 \\x04 malformed: unknown flag bits"; do
  read -r off byte want <<<"$c"
  tampered "$C1" "$off" "$byte" "$T/t.cert"
  run --config-dir "$V" cert verify "$T/t.cert"
  expect 1 "$want"
done
# every field of a direct v2 certificate (C2), as the verifier sees it
for c in "1 \\x00 org not trusted" "40 X bad signature|invalid identity key" "65 X bad signature" \
         "106 \\x77 bad signature" "120 X bad signature" "190 X bad signature|malformed" \
         "186 \\xff malformed: v2 certificate without a valid WireGuard key|bad signature" \
         "220 X malformed: direct certificate with issuer" "260 X malformed: direct certificate with issuer or grant" \
         "113 \\x01 malformed: delegated certificate without an issuer key"; do
  read -r off byte want <<<"$c"
  tampered "$C2" "$off" "$byte" "$T/t.cert"
  check "field at $off changed" not cmp -s "$C2" "$T/t.cert"
  run --config-dir "$V" cert verify "$T/t.cert"
  expect 1 "$want"
  verify_err=$ERR
  run --config-dir "$V" cert show "$T/t.cert"
  if grep -q malformed <<<"$verify_err"; then
    expect 1 "invalid certificate: malformed"
  else
    expect 0 "verdict: +NOT VALID here"
  fi
done
head -c 200 "$C1" >"$T/t.cert"
run --config-dir "$V" cert verify "$T/t.cert"
expect 1 "wrong size"
run --config-dir "$V" cert show "$T/t.cert"
expect 1 "not a certificate"
head -c 2000 /dev/urandom >"$T/t.cert"
run --config-dir "$V" cert verify "$T/t.cert"
expect 1 "not a certificate"
run --config-dir "$V" cert verify "$T/none.cert"
expect 1 "cannot read"
run --config-dir "$V" cert frobnicate "$C1"
expect 2 "usage: meshguard cert"

CTX="revocations: scoped to the org, applied from revoked/"
run --config-dir "$ADM" org-revoke "$T/n1.pub" --reason nonsense
expect 2 "--reason"
run --config-dir "$ADM" org-revoke "$T/n1.pub"
expect 0 "lamport: +1"
check "revoked/<hex16>.revoke is 138 bytes" [ "$(stat -c %s "$ADM"/revoked/*.revoke)" = 138 ]
"$MG" --config-dir "$T/other" org-keygen >/dev/null
run --config-dir "$T/other" org-revoke "$T/n1.pub" --reason key-compromised
expect 0 "final"
mkdir -p "$V/revoked"
cp "$T/other/revoked/"*.revoke "$V/revoked/other.revoke"
run --config-dir "$V" cert verify "$C1"
expect 0 "valid"   # another org's revocation does not touch acme's certificate
cp "$ADM/revoked/"*.revoke "$V/revoked/acme.revoke"
run --config-dir "$V" cert verify "$C1"
expect 1 "revoked by the org"
run --config-dir "$V" cert verify "$C2"
expect 0 "valid"
run --config-dir "$V" cert show "$V/revoked/acme.revoke"
expect 0 "type: +revocation \(0x42\)"
check "revocation shows reason and status" grep -qE "reason: +admin-removed \(2\)" <<<"$OUT"

CTX="org-vouch, final revocations, Lamport order"
run --config-dir "$ADM" org-vouch "$T/n1.pub"
expect 0 "lamport: +2"
check "vouch file is 137 bytes" [ "$(stat -c %s "$ADM"/vouched/*.vouch)" = 137 ]
run --config-dir "$ADM" org-revoke "$T/n1.pub" --reason compromised
expect 0 "lamport: +3"
run --config-dir "$ADM" org-vouch "$T/n1.pub"
expect 1 "key-compromised: that is final"
REV1=$(ls "$ADM"/revoked/*.revoke)
cp "$REV1" "$T/final.revoke"
run --config-dir "$ADM" org-revoke "$T/n1.pub" --reason admin-removed
expect 1 "key-compromised \(lamport 3\): that is final"
run --config-dir "$ADM" org-revoke "$T/n1.pub" --reason key-compromised
expect 0 "already revoked this node as key-compromised \(lamport 3\).*nothing to do"
check "the final revocation file is untouched" cmp -s "$REV1" "$T/final.revoke"
run --config-dir "$ADM" cert show "$ADM/vouched/"*.vouch
expect 0 "superseded here by a revocation with lamport 3"

CTX="org-alias"
run --config-dir "$ADM" org-alias ../x
expect 2 "alias"
run --config-dir "$ADM" org-alias acme
expect 0 "lamport: +4"
run --config-dir "$ADM" org-alias acme
expect 0 "already announced"
check "Lamport clock persisted" [ "$(cat "$ADM/state/lamport")" = 4 ]

CTX="delegation"
"$MG" --config-dir "$T/iss" org-keygen >/dev/null
run --config-dir "$ADM" org-delegate "$T/iss/org/org.pub"
expect 2 "must expire"
run --config-dir "$ADM" org-delegate "$T/iss/org/org.pub" --expires never
expect 2 "must expire"
run --config-dir "$ADM" org-delegate "$T/iss/org/org.pub" --expires 30d --name eu
expect 0 "Delegation granted"
G=$ADM/issued/eu.grant
check "grant file is 138 bytes" [ "$(stat -c %s "$G")" = 138 ]
run --config-dir "$V" cert show "$G"
expect 0 "Delegation grant"
run --config-dir "$T/iss" org-sign "$T/n2.pub" --name leaf --grant "$G" --expires 10d --wg-pubkey "$WG2"
expect 2 "expires with its grant"
run --config-dir "$T/iss" org-sign "$T/n2.pub" --name leaf --grant "$G"
expect 2 "--wg-pubkey is required"
run --config-dir "$T/other" org-sign "$T/n2.pub" --name leaf --grant "$G" --wg-pubkey "$WG2"
expect 1 "delegates to another key"
tampered "$G" 100 X "$T/bad.grant"
run --config-dir "$T/iss" org-sign "$T/n2.pub" --name leaf --grant "$T/bad.grant" --wg-pubkey "$WG2"
expect 1 "signature does not verify"
run --config-dir "$T/iss" org-sign "$T/n2.pub" --name leaf --grant "$G" --wg-pubkey "$WG2"
expect 0 "delegated"
L=$T/iss/issued/leaf.cert
run --config-dir "$V" cert verify "$L"
expect 0 "valid: org certificate 'leaf'.*delegated to"
run --config-dir "$V" cert show "$L"
expect 0 "grant sig: +[0-9a-f]{16}\.\.\. \(valid\)"
# a leaf whose grant was not signed by the org
tampered "$L" 260 X "$T/forged.cert"
run --config-dir "$V" cert verify "$T/forged.cert"
expect 1 "bad delegation grant"
# revoking the issuer revokes its leaves
run --config-dir "$ADM" org-revoke "$T/iss/org/org.pub"
cp "$ADM"/revoked/*.revoke "$V/revoked/"
run --config-dir "$V" cert verify "$L"
expect 1 "delegated issuer revoked by the org"

CTX="id shows the trust summary and node.cert"
cp "$C2" "$N2/node.cert"
"$MG" --config-dir "$N2" trust --org "$ADM/org/org.pub" >/dev/null
run --config-dir "$N2" id
expect 0 "node.cert: +org certificate 'web-2'"
check "its own WireGuard key: no warning" not grep -q "binds another WireGuard key" <<<"$OUT"
cp "$C2" "$N1/node.cert"
"$MG" --config-dir "$N1" trust --org "$ADM/org/org.pub" >/dev/null
run --config-dir "$N1" id
expect 0 "INVALID: issued for another identity"
check "no WireGuard warning for another identity's certificate" not grep -q "binds another" <<<"$OUT"
"$MG" --config-dir "$ADM" org-sign "$T/n1.pub" --name wrong-wg --wg-pubkey "$WG2" --out "$N1/node.cert" --force >/dev/null
run --config-dir "$N1" id
expect 0 "warning: it binds another WireGuard key than this node's"
"$MG" --config-dir "$ADM" keygen >/dev/null
run --config-dir "$ADM" config show
expect 0 "org admin key: +"
check "config show names the org key" grep -qF -- "$ORG" <<<"$OUT"

CTX="upstream org messages: 136-byte .vouch files, wall-clock Lamport values"
# upstream-trust-cli.md §9.2.4: org S2 revokes S1 (reason 2) and vouches for
# S3, both stamped with unix time 1700000000; the vouch file has no type byte.
hexfile() { python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes.fromhex(sys.argv[2]))' "$@"; }
UP_REVOKE=423d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660cd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a0200f1536500000000cbe1d40c21c41c647be194104e6ac563aa724634c6d961b03e5975f3095623350aee9336dff9a68322ea8e300e99eff9583c8049fc94987c8e3f8ccca3641802
UP_VOUCH=3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660cfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb91154890802500f1536500000000423080cd3af3ddc1a727ed1f3b02ee4d18357ace9904133a4d781f3b0d107c02c13510ae4defb7255e8733f7b8b8d43e018b6d89aa6e67b56dda4fd01bdb2c0a
U=$T/upstream
mkdir -p "$U/vouched" "$U/revoked"
hexfile "$U/vouched/fc51cd8e6218a1a3.vouch" "$UP_VOUCH"
check "the upstream vouch file is 136 bytes" [ "$(stat -c %s "$U/vouched/fc51cd8e6218a1a3.vouch")" = 136 ]
"$MG" --config-dir "$U" trust --org PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw= --name s2 >/dev/null
run --config-dir "$U" cert show "$U/vouched/fc51cd8e6218a1a3.vouch"
expect 0 "type: +vouch \(0x43\)"
for want in "node: +/FHNjmIYoaONpH7QAjDwWAgW7RO6MwOsXeuRFUiQgCU=" "lamport: +1700000000" \
            "org sig: +[0-9a-f]{16}\.\.\. \(valid\)" "status: +current \(held by this node\)"; do
  check "upstream vouch shows /$want/" grep -qE -- "$want" <<<"$OUT"
done
run --config-dir "$U" trust list
expect 0 "0 revocation\(s\), 1 vouch\(es\)"
# An admin whose revoked/ holds an upstream message: our Lamport clock
# continues above upstream's unix-time stamp (max(seen, local) + 1).
hexfile "$ADM/revoked/d75a980182b10ab7.revoke" "$UP_REVOKE"
run --config-dir "$ADM" org-vouch "$T/n2.pub"
expect 0 "lamport: +1700000001"
check "the clock file follows" [ "$(cat "$ADM/state/lamport")" = 1700000001 ]

check "no temporary files left" no_temp_files "$T"
check "org.key still 0600" [ "$(mode_of "$ADM/org/org.key")" = 600 ]
finish
