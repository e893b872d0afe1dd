#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The mesh end to end, five nodes with org certificates on one LAN, node 1
# the org admin and the only seed:
#   1. every pair pings over IPv4 and IPv6 through WireGuard;
#   2. a node killed with SIGKILL is declared dead everywhere and its peer
#      removed; restarted, it rejoins and pings;
#   3. `org-revoke` on the admin node: every node drops the revoked node's
#      tunnel (the time it takes is measured and printed); restarted with the
#      same certificate, it is refused by everyone and the log says why;
#   4. with the seed down, a restarted node rejoins the members it knew from
#      its member cache.
. "$(dirname "$0")/lib.sh"
. "$HERE/mesh_lib.sh"
nt_skip_unless_ready jq python3 ping b3sum wg

ALL="1 2 3 4 5"
mesh_lan 5
for i in $ALL; do mesh_identity "$i"; done
mesh_org_init
for i in $ALL; do mesh_org_member "$i" "node$i" --expires 1d; done
WG5=$(mesh_wg_key 5)

# ---- 1. five nodes, one seed ------------------------------------------------------------
t0=$SECONDS
for i in $ALL; do mesh_start "$i" ${MESH_UP_ARGS:-}; done
wait_until 30 mesh_converged "$ALL" || die "the five nodes did not converge in 30 s"
ok "five nodes converged in $((SECONDS - t0)) s (every node sees four alive members with peers)"
check "every node trusts the others through the org" \
	test "$(for i in $ALL; do mesh_status "$i" | jq -r '.members[].trust'; done | sort -u)" = org
check "members are named by their certificates" \
	test "$(mesh_member_field 2 3 .name)" = node3
check "peers carry only the mesh /32 and /128" \
	test "$(mesh_status 1 | jq -r --arg k "$WG5" '.peers[] | select(.public_key == $k) | .allowed_ips | sort | join(",")')" = \
	"$(printf '%s\n' "${M4[5]}/32" "${M6[5]}/128" | sort | paste -sd,)"
check "every pair pings over IPv4 and IPv6" mesh_ping_all "$ALL"
check "sessions everywhere after the pings" \
	test "$(for i in $ALL; do mesh_status "$i" | jq -r '.members[].session'; done | sort -u)" = true

# ---- 2. SIGKILL: dead everywhere, peer removed; restart: back -----------------------------
WG4=$(mesh_wg_key 4)
dead_and_gone() { # i: node i declared node 4 dead and has no peer for it
	test "$(mesh_member_field "$1" 4 .state)" = dead && mesh_no_peer_key "$1" "$WG4"
}
all_dead_and_gone() { for i in 1 2 3 5; do dead_and_gone "$i" || return 1; done; }
mesh_kill 4
t0=$SECONDS
check "node 4 killed: dead on every node, its peer removed" wait_until 30 all_dead_and_gone
log "declared dead everywhere $((SECONDS - t0)) s after SIGKILL"
check "the others still ping each other" mesh_ping_all "1 2 3 5"
mesh_start 4 ${MESH_UP_ARGS:-}
check "node 4 restarted: everyone sees it alive again" wait_until 30 mesh_converged "$ALL"
four_pings() { for j in 1 2 3 5; do mesh_ping 4 "$j" 4 && mesh_ping "$j" 4 6 || return 1; done; }
check "node 4 pings everyone and everyone pings it" four_pings

# ---- 3. revocation by the org admin --------------------------------------------------------
tunnel_gone() { # i: node i has no peer for node 5 and no alive member entry
	mesh_no_peer_key "$1" "$WG5" && [ "$(mesh_member_field "$1" 5 .state)" != alive ]
}
all_gone() { for i in 1 2 3 4; do tunnel_gone "$i" || return 1; done; }
t0=$(date +%s%N)
mg_cli 1 org-revoke "$NT_DIR/node5.pub" --reason admin-removed >/dev/null
check "revocation: every node dropped node 5's tunnel" wait_until 20 all_gone
REVOKE_MS=$((($(date +%s%N) - t0) / 1000000))
log "revocation took effect on all four nodes ${REVOKE_MS} ms after org-revoke (inotify, gossip, trust re-check)"
echo "revocation_ms=$REVOKE_MS" >>"${MESH_FIGURES:-/dev/null}"
check "node 5 no longer reaches node 2" sh -c "! timeout 5 ip netns exec ${NS[5]} ping -n -q -c 2 -W 1 ${M4[2]} >/dev/null 2>&1"
check "the revocation spread to node 3's store" sh -c "ls ${CFG[3]}/state/orgmsg/ | grep -q ."
check "node 3 logs the removal and why" \
	grep -qF "member ${ID[5]:0:8} (node5) removed: revoked by the org" "$NT_DIR/mg-${IFN[3]}.log"
check "the rest of the mesh still pings" mesh_ping_all "1 2 3 4"

# The same certificate cannot come back.
mesh_stop 5
rm -rf "${CFG[5]}/state"
mv "$NT_DIR/mg-${IFN[5]}.log" "$NT_DIR/mg-${IFN[5]}-before.log"
mesh_start 5
sleep 5
check "node 5 restarted with its revoked certificate: no node lists it alive or gives it a peer" all_gone
check "...and node 2 logs why" \
	wait_until 10 grep -qF "member ${ID[5]:0:8} denied: revoked by the org" "$NT_DIR/mg-${IFN[2]}.log"
check "...and node 5 has no members" \
	test "$(mesh_status 5 | jq '[.members[] | select(.state == "alive")] | length')" = 0
mesh_stop 5

# ---- 4. the seed is down: a restarted node rejoins from its member cache ---------------------
WG1=$(mesh_wg_key 1)
left_and_gone() { # i: node i saw node 1 leave and removed its peer
	test "$(mesh_member_field "$1" 1 .state)" = left && mesh_no_peer_key "$1" "$WG1"
}
mesh_stop 1
left_everywhere() { left_and_gone 2 && left_and_gone 4; }
# No waiting: a graceful stop tells the members before the process exits.
check "node 1 stopped (SIGTERM): by then nodes 2 and 4 list it as left, peer removed" left_everywhere
mesh_stop 3
check "node 3 saved its member cache" test -s "${CFG[3]}/state/members.cache"
mesh_start 3 # its only --seed (node 1) is down
check "node 3 rejoined nodes 2 and 4 without its seed" wait_until 30 mesh_converged "2 3 4"
check "node 3 logs the cached members" grep -Eq 'member cache: [1-9][0-9]* cached members to try' "$NT_DIR/mg-${IFN[3]}.log"
check "node 3 pings nodes 2 and 4 over IPv4 and IPv6" mesh_ping_all "2 3 4"

log "$NT_CHECKS checks, $NT_FAILED failed"
[ "$NT_FAILED" -eq 0 ]
