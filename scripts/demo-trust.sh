#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# meshguard trust tour: the key and certificate workflow, end to end, with
# real files and the real binary, no daemon and no root needed (the live
# mesh is scripts/demo.sh). Each node is a config directory under a
# temporary directory (removed at the end). Every command is printed before
# it runs.
#
#   admin   the org admin: org key, signs certificates, revokes
#   eu      a delegated issuer: signs certificates for the org under a grant
#   alice   a node with a v1 certificate
#   bob     a node with a v2 certificate (binds its WireGuard key)
#   dave    a node with a delegated certificate from eu
#   carol   a node that trusts the org, and judges the others
#
#   ./scripts/demo-trust.sh        (MESHGUARD_BUILD_DIR picks the build directory)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${MESHGUARD_BUILD_DIR:-build}
MG=$PWD/$BUILD/cli/meshguard
DEMO=
STEP=0

step() {
  STEP=$((STEP + 1))
  printf '\n\033[1m== %d. %s\033[0m\n' "$STEP" "$*"
}

say() { printf '   %s\n' "$*"; }

# mg NODE ARGS...: run meshguard in NODE's config directory, showing the command.
mg() {
  local node=$1; shift
  printf '\033[2m[%s]$ meshguard %s\033[0m\n' "$node" "$*"
  "$MG" --config-dir "$DEMO/$node" "$@"
}

# mg_expect_fail NODE ARGS...: the same, for a command that must fail.
mg_expect_fail() {
  local node=$1; shift
  printf '\033[2m[%s]$ meshguard %s\033[0m\n' "$node" "$*"
  local rc=0
  "$MG" --config-dir "$DEMO/$node" "$@" || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "demo: expected this command to fail" >&2
    exit 1
  fi
  say "(refused as expected, exit code $rc)"
}

# copy FROM-NODE FILE TO-NODE DEST: hand a file to another node (a running
# daemon carries certificates and org messages itself).
copy() {
  printf '\033[2m$ cp %s/%s %s/%s\033[0m\n' "$1" "$2" "$3" "$4"
  mkdir -p "$(dirname "$DEMO/$3/$4")"
  cp "$DEMO/$1/$2" "$DEMO/$3/$4"
}

# gossip FROM TO: hand FROM's org messages (revocations, vouches, aliases) to
# TO. Here a copy; between running daemons, the gossip carries them.
gossip() {
  local dir f
  for dir in revoked vouched aliases; do
    for f in "$DEMO/$1/$dir"/*; do
      [ -e "$f" ] || continue
      cmp -s "$f" "$DEMO/$2/$dir/$(basename "$f")" 2>/dev/null && continue
      copy "$1" "$dir/$(basename "$f")" "$2" "$dir/$(basename "$f")"
    done
  done
}

step_build() {
  step "Build"
  ./scripts/install-deps.sh
  if [ ! -d "$BUILD" ]; then
    meson setup "$BUILD" -Dbuildtype=release >/dev/null
  fi
  ninja -C "$BUILD" >/dev/null
  say "built $MG ($("$MG" version))"
  DEMO=$(mktemp -d /tmp/meshguard-demo-XXXXXX)
  trap 'rm -rf "$DEMO"' EXIT
  say "config directories under $DEMO"
}

step_identities() {
  step "Every node creates its identity (Ed25519; WireGuard key and mesh addresses follow from it)"
  for node in alice bob carol dave; do
    mg "$node" keygen
  done
  mg alice export
  mg alice export --wg
  say "identity.key is mode $(stat -c %a "$DEMO/alice/identity.key"); keygen never overwrites:"
  mg_expect_fail alice keygen
}

step_org() {
  step "The admin creates the org key"
  mg admin org-keygen
}

step_sign() {
  step "The admin signs certificates: v1 for alice, v2 (binding its WireGuard key) for bob"
  copy alice identity.pub admin alice.pub
  copy bob identity.pub admin bob.pub
  mg admin org-sign "$DEMO/admin/alice.pub" --name alice --expires 90d
  mg admin org-sign "$DEMO/admin/bob.pub" --name bob --wg-pubkey "$("$MG" --config-dir "$DEMO/bob" export --wg)"
  copy admin issued/alice.cert alice node.cert
  copy admin issued/bob.cert bob node.cert
  say "garbage for --expires is an error, never 'never expires':"
  mg_expect_fail admin org-sign "$DEMO/admin/alice.pub" --name alice --expires soon
}

step_trust() {
  step "carol judges alice's certificate before and after trusting the org"
  mg_expect_fail carol cert verify "$DEMO/alice/node.cert"
  copy admin org/org.pub carol acme.org
  mg carol trust --org "$DEMO/carol/acme.org" --name acme
  mg carol cert verify "$DEMO/alice/node.cert"
  mg carol cert show "$DEMO/bob/node.cert"
  say "in 100 days alice's certificate has expired:"
  mg_expect_fail carol cert verify "$DEMO/alice/node.cert" --at 100d
  mg carol trust list
}

step_delegate() {
  step "Delegation: the admin lets the 'eu' issuer sign for the org, for 30 days"
  mg eu org-keygen
  copy eu org/org.pub admin eu.pub
  mg admin org-delegate "$DEMO/admin/eu.pub" --expires 30d --name eu
  copy admin issued/eu.grant eu eu.grant
  copy dave identity.pub eu dave.pub
  mg eu org-sign "$DEMO/eu/dave.pub" --name dave --grant "$DEMO/eu/eu.grant" \
    --wg-pubkey "$("$MG" --config-dir "$DEMO/dave" export --wg)"
  copy eu issued/dave.cert dave node.cert
  mg carol cert verify "$DEMO/dave/node.cert"
}

step_revoke() {
  step "Revocations: the admin revokes alice, then the whole 'eu' issuer"
  mg admin org-revoke "$DEMO/admin/alice.pub" --reason admin-removed
  gossip admin carol
  mg_expect_fail carol cert verify "$DEMO/alice/node.cert"
  mg carol cert verify "$DEMO/bob/node.cert"
  mg admin org-revoke "$DEMO/admin/eu.pub" --reason key-compromised
  gossip admin carol
  say "revoking the issuer revokes every certificate it signed:"
  mg_expect_fail carol cert verify "$DEMO/dave/node.cert"
}

step_vouch() {
  step "Lamport order: a later vouch reinstates alice; key-compromised is final"
  mg admin org-vouch "$DEMO/admin/alice.pub"
  gossip admin carol
  mg carol cert verify "$DEMO/alice/node.cert"
  mg_expect_fail admin org-vouch "$DEMO/admin/eu.pub"
  mg admin org-alias acme
  gossip admin carol
  mg carol cert show "$DEMO/carol/vouched/$(ls "$DEMO/carol/vouched" | head -1)"
  mg carol id
}

summary() {
  step "Done"
  say "Every file above was written atomically (no temporary files left):"
  say "$(find "$DEMO" -name '.*tmp*' | wc -l) temporary files under $DEMO"
  say "Next: 'meshguard up' on each node turns these files into a live mesh (scripts/demo.sh)."
}

step_build
step_identities
step_org
step_sign
step_trust
step_delegate
step_revoke
step_vouch
summary
