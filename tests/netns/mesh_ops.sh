#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Operating the mesh: `meshguard ping` and the human `status` table, on three
# nodes with org certificates (node 1 is the admin and the seed).
#
#   1. ping by name, mesh IPv4, mesh IPv6 and identity prefix: replies with
#      RTTs, the path is direct, and the echoes really crossed WireGuard;
#   2. bad targets: unknown name, too short a prefix, this node itself;
#   3. a member routed through another peer (a `wg set` static route) is
#      reported as not direct; a non-member address routed by a runtime
#      peer as such; a peer without a session as such, the path shown again
#      after the handshake; a dead member as having no path;
#   4. no CAP_NET_RAW: refused with the reason, then an unprivileged ping
#      socket once ping_group_range allows it; a gossip-only daemon refused;
#   5. `status`: one aligned row per member (name, identity, state, trust,
#      mesh IPs, endpoint), the header, folding on a narrow terminal; a
#      node killed with SIGKILL shows as dead within a bound.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mesh_lib.sh"
nt_skip_unless_ready jq python3 wg awk

mesh_lan 3
for i in 1 2 3; do mesh_identity "$i"; done
mesh_org_init
for i in 1 2 3; do mesh_org_member "$i" "node-$i"; done
for i in 1 2 3; do mesh_start "$i"; done
wait_until 30 mesh_converged "1 2 3" || die "the three nodes did not converge in 30 s"
# A first handshake that reached a node before it admitted us is retried 5 s
# later: wait for every session so that the RTT checks below are about ping.
sessions() {
	local i j
	for i in 1 2 3; do
		for j in 1 2 3; do
			[ "$i" = "$j" ] || [ "$(mesh_member_field "$i" "$j" .session)" = true ] || return 1
		done
	done
}
wait_until 30 sessions || die "no WireGuard session between every pair in 30 s"
for i in 1 2 3; do WG[i]=$(mesh_wg_key "$i"); done

# mgping i args...: `meshguard ping` against node i's daemon, in node i's namespace.
# Prints stdout and stderr together; the exit status is meshguard's.
mgping() {
	local i=$1
	shift
	mg "${NS[i]}" "${IFN[i]}" ping --interval 0.2 --timeout 2 "$@" 2>&1
}
run_ping() { # i args...: sets OUT and RC
	OUT=$(mgping "$@") && RC=0 || RC=$?
}
re() { sed 's/[].[*^$()+?{}|\\]/\\&/g' <<<"$1"; } # a literal as an extended regex
show_out() { sed 's/^/    | /' <<<"$OUT" >&2; } # what the failing check saw
has() { # pattern...: $OUT matches every one
	local p
	for p; do grep -qE -- "$p" <<<"$OUT" || { show_out; return 1; }; done
}
lacks() { ! grep -qE -- "$1" <<<"$OUT" || { show_out; return 1; }; }
rc_is() { test "$RC" = "$1" || { show_out; return 1; }; }
peer_tx() { # i j: node i's tx byte count towards node j's WireGuard peer
	mesh_member_field "$1" "$2" .tx_bytes
}

# ---- 1. ping by name, IPv4, IPv6, identity prefix -----------------------------------------------
tx0=$(peer_tx 1 2)
run_ping 1 node-2 --count 3
check "ping by name: exit 0 (rc=$RC)" rc_is 0
check "ping by name: resolves to node 2's mesh IPv4" \
	has "^PING node-2 \($(re "${M4[2]}")\) on ${IFN[1]}, identity $(re "${ID[2]:0:8}")"
check "ping by name: three replies with RTTs" \
	test "$(grep -cE "bytes from $(re "${M4[2]}"): seq=[123] time=[0-9]+\.[0-9]{3} ms" <<<"$OUT")" = 3
check "ping by name: the path is direct to node 2's endpoint, with a session" \
	has "^path: direct to $(re "${UL4[2]}"):$MESH_PORT \(WireGuard session, handshake [0-9]+[smh] ago\)"
check "ping by name: summary and rtt min/avg/max" \
	has "^3 sent, 3 received, 0% loss" "^rtt min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms"
tx1=$(peer_tx 1 2)
# Three 84-byte echoes are 3 x 116 bytes of WireGuard data at least.
check "the echoes went through node 2's WireGuard peer (tx $tx0 -> $tx1 bytes)" test "$((tx1 - tx0))" -ge 348

run_ping 1 "${M4[3]}" --count 2
check "ping by mesh IPv4: exit 0 (rc=$RC)" rc_is 0
check "ping by mesh IPv4: named node-3, direct, replies" \
	has "^PING node-3 \($(re "${M4[3]}")\)" "^path: direct to $(re "${UL4[3]}"):$MESH_PORT" "^2 sent, 2 received"

run_ping 2 "${M6[3]}" --count 2
check "ping by mesh IPv6: exit 0 (rc=$RC)" rc_is 0
check "ping by mesh IPv6: replies from ${M6[3]}, direct" \
	has "bytes from ${M6[3]}: seq=1 time=" "^path: direct to $(re "${UL4[3]}"):$MESH_PORT"

run_ping 3 "${ID[1]:0:12}" --count 2
check "ping by identity prefix: exit 0 (rc=$RC)" rc_is 0
check "ping by identity prefix: node-1, direct" has "^PING node-1 \($(re "${M4[1]}")\)" "^path: direct"

run_ping 1 node-3 -6 --count 1
check "ping -6 by name uses the IPv6 mesh address (rc=$RC)" has "^PING node-3 \(${M6[3]}\)" "^1 sent, 1 received"

J=$(mg "${NS[1]}" "${IFN[1]}" ping node-2 --count 2 --interval 0.2 --json) && RC=0 || RC=$?
check "ping --json: exit 0 (rc=$RC)" rc_is 0
check "ping --json: counts, path, address, identity" \
	test "$(jq -r '[.sent, .received, .path.kind, .path.direct, .path.session, .address, .identity] | @tsv' <<<"$J")" = \
	"$(printf '2\t2\tdirect\ttrue\ttrue\t%s\t%s' "${M4[2]}" "${ID[2]}")"
check "ping --json: the path is node 2's WireGuard key, RTTs are positive" \
	test "$(jq -r --arg k "${WG[2]}" '(.path.peer == $k) and (.rtt_ms.min > 0) and (.replies | length == 2)' <<<"$J")" = true

# ---- 2. bad targets -------------------------------------------------------------------------------
run_ping 1 no-such-node --count 1
check "unknown name: exit 1 (rc=$RC)" rc_is 1
check "unknown name: says so and lists the members" \
	has "no-such-node: no member on ${IFN[1]} has this name" "node-2 \($(re "${ID[2]:0:8}")" "node-3 \("
check "unknown name: nothing was sent" lacks "^PING"
run_ping 1 "${ID[2]:0:3}" --count 1
check "a 3-character identity prefix is not enough (rc=$RC)" rc_is 1
check "...and the message says why" has "prefixes need 4 characters"
run_ping 1 node-1 --count 1
check "pinging this node itself is refused (rc=$RC)" rc_is 1
check "...as itself" has "this node itself"
run_ping 1 10.99.255.254 --count 1
check "an address no member has and no peer routes: refused (rc=$RC)" rc_is 1
check "...saying so" has "no member has this mesh address"
run_ping 1 "${M4[2]}" -6 --count 1
check "-6 with an IPv4 address is a usage error (rc=$RC)" rc_is 2
run_ping 1 node-2 --count 0
check "--count 0 is a usage error (rc=$RC)" rc_is 2
check "...naming the option" has "--count: '0'"

# ---- 3. not direct: node 1 routes node 3's IPv4 through node 2 -----------------------------------
# An operator's static route through a third node, set at runtime through the
# UAPI. Node 2 does not forward, so the echoes go unanswered: exit 1.
ip netns exec "${NS[2]}" sysctl -qw net.ipv4.ip_forward=0
ip netns exec "${NS[1]}" wg set "${IFN[1]}" peer "${WG[2]}" allowed-ips "${M4[2]}/32,${M6[2]}/128,${M4[3]}/32"
run_ping 1 node-3 -4 --count 2 --timeout 1
check "via another peer: reported as not direct" \
	has "^path: via peer node-2 at $(re "${UL4[2]}"):$MESH_PORT, not direct: that peer routes $(re "${M4[3]}")/32"
check "via another peer: no reply, exit 1 (rc=$RC)" rc_is 1
check "...with the loss in the summary" has "^2 sent, 0 received, 100% loss"
run_ping 1 node-3 -6 --count 1
check "...while node 3's IPv6 is still direct (rc=$RC)" has "^path: direct" "^1 sent, 1 received"
ip netns exec "${NS[1]}" wg set "${IFN[1]}" peer "${WG[3]}" allowed-ips "${M4[3]}/32,${M6[3]}/128"
run_ping 1 node-3 -4 --count 1
check "route restored: direct again (rc=$RC)" has "^path: direct" "^1 sent, 1 received"

# A runtime WireGuard peer (no endpoint) routing a mesh address nobody derives:
# pingable by address, described as a peer that is not a member, and listed
# by `status` under the other WireGuard peers. Its echoes cannot leave node 1.
X4=10.99.250.250
for i in 1 2 3; do [ "${M4[i]}" != "$X4" ] || X4=10.99.250.251; done
XKEY=$(wg genkey | wg pubkey)
ip netns exec "${NS[1]}" wg set "${IFN[1]}" peer "$XKEY" allowed-ips "$X4/32"
run_ping 1 "$X4" --count 1 --timeout 0.5
check "a non-member address routed by a runtime peer: described as such" \
	has "^path: WireGuard peer $(re "${XKEY:0:8}") at \(no endpoint\) routes $(re "$X4")/32; $(re "$X4") is not a mesh member"
check "...and unanswered: exit 1 (rc=$RC)" rc_is 1
OUT=$(mg "${NS[1]}" "${IFN[1]}" status)
check "status lists it under the other WireGuard peers" \
	has '^other WireGuard peers: 1$' "^peer: $(re "$XKEY")$" "^  allowed ips: $(re "$X4")/32$"
ip netns exec "${NS[1]}" wg set "${IFN[1]}" peer "$XKEY" remove

# No session: node 1 forgets node 2's peer and gets it back without keys. The
# first echo is queued while it starts a handshake, then answered.
ip netns exec "${NS[1]}" wg set "${IFN[1]}" peer "${WG[2]}" remove
ip netns exec "${NS[1]}" wg set "${IFN[1]}" peer "${WG[2]}" endpoint "${UL4[2]}:$MESH_PORT" \
	allowed-ips "${M4[2]}/32,${M6[2]}/128"
run_ping 1 node-2 --count 2
check "no session yet: said so before the first echo" \
	has "^path: direct to $(re "${UL4[2]}"):$MESH_PORT \(no WireGuard session yet: the first echo starts a handshake\)"
check "...the echoes are answered once the handshake is done (rc=$RC)" has "^2 sent, 2 received"
check "...and the path is shown again with the new session" \
	has "^path now: direct to $(re "${UL4[2]}"):$MESH_PORT \(WireGuard session, handshake [0-9]s ago\)"

# ---- 4. permissions and gossip-only daemons -----------------------------------------------------
if command -v setpriv >/dev/null; then
	# Root without CAP_NET_RAW: no raw socket; ping sockets need ping_group_range.
	noraw_ping() {
		OUT=$(MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 ip netns exec "${NS[1]}" \
			setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
			"$MESHGUARD" ping node-2 --count 2 --interval 0.2 --interface "${IFN[1]}" 2>&1) && RC=0 || RC=$?
	}
	ip netns exec "${NS[1]}" sysctl -qw net.ipv4.ping_group_range="1 0"
	noraw_ping
	check "no CAP_NET_RAW, no ping sockets: refused (rc=$RC)" rc_is 1
	check "...with the reason" has "not permitted to send ICMP echo.*CAP_NET_RAW.*ping_group_range = 1 0"
	ip netns exec "${NS[1]}" sysctl -qw net.ipv4.ping_group_range="0 0"
	noraw_ping
	check "no CAP_NET_RAW, ping sockets allowed: replies through a ping socket (rc=$RC)" \
		has ", ping socket$" "^2 sent, 2 received"
	ip netns exec "${NS[1]}" sysctl -qw net.ipv4.ping_group_range="1 0"
else
	log "setpriv missing: the ping-socket fallback is not tested"
fi

# A gossip-only daemon in node 1's namespace, with its own identity (--open, no seed).
IF_G=${NT_ID}g
CFG_G=$NT_DIR/gossip
mkdir -p "$CFG_G" && chmod 700 "$CFG_G"
"$MESHGUARD" --config-dir "$CFG_G" keygen >/dev/null
nt_meshguard "${NS[1]}" "$CFG_G" "$IF_G" --gossip-only --open --listen-port 0
OUT=$(mg "${NS[1]}" "$IF_G" ping node-2 --count 1 2>&1) && RC=0 || RC=$?
check "gossip-only daemon: ping refused (rc=$RC)" rc_is 1
check "...because there is no tunnel" has "gossip-only \(no TUN"
mg "${NS[1]}" "$IF_G" down >/dev/null

# ---- 5. the human status table ------------------------------------------------------------------
OUT=$(mg "${NS[1]}" "${IFN[1]}" status)
check "status header: name, trust mode, member counts" \
	has '^  name: node-1$' '^  trust mode: org$' '^  members: 2 \(2 alive, 0 suspect, 0 dead, 0 left\)$'
check "status header: no IPv4 collision" lacks 'ipv4 collision'
check "status: a table header" has '^  NAME +IDENTITY +STATE +TRUST +MESH IPV4 +MESH IPV6 +ENDPOINT +HANDSHAKE +RX +TX$'
check "status: exactly one row per member" test "$(grep -cE '^  node-[0-9] ' <<<"$OUT")" = 2
for j in 2 3; do
	r=$(grep -E "^  node-$j " <<<"$OUT")
	read -r -a f <<<"$r"
	check "status row node-$j: identity, state, trust, mesh IPs, endpoint" \
		test "${f[*]:0:7}" = "node-$j ${ID[j]:0:8} alive org ${M4[j]} ${M6[j]} ${UL4[j]}:$MESH_PORT"
	check "status row node-$j: a recent handshake and traffic" \
		grep -qE ' [0-9]+[sm] ago +[0-9.]+ (B|KiB|MiB) +[0-9.]+ (B|KiB|MiB)$' <<<"$r"
done
aligned() { # every member row has its STATE and MESH IPV6 values under the header's
	awk '/^  NAME /{s=index($0,"STATE"); v=index($0,"MESH IPV6"); next}
	     /^  node-/{n++; if (substr($0,s,5)!="alive" || substr($0,v,4)!="fd99") bad=1}
	     END{exit bad || n != 2}' <<<"$OUT"
}
check "status: columns aligned" aligned
check "status: the node's own row is not in the table" lacks '^  node-1 '
check "status: member peers are not repeated as other WireGuard peers" lacks '^other WireGuard peers'
check "status -v: each member's trust path" \
	test "$(mg "${NS[1]}" "${IFN[1]}" -v status | grep -c "^    trust: org certificate 'node-[23]'")" = 2
if command -v script >/dev/null; then
	# On an 80-column terminal the wide columns fold onto a continuation line.
	NARROW=$(MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 script -qec \
		"stty cols 80; ip netns exec ${NS[1]} $MESHGUARD status --interface ${IFN[1]}" /dev/null | tr -d '\r')
	check "status on an 80-column terminal: rows fit" \
		test "$(grep -E '^  (NAME|node-)' <<<"$NARROW" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')" -le 80
	check "...and IPv6 and endpoint move to a continuation line" \
		grep -qE "^    ipv6 ${M6[2]}  endpoint $(re "${UL4[2]}"):$MESH_PORT$" <<<"$NARROW"
fi

# ---- 6. a node killed: dead in the table, no path ----------------------------------------------
t0=$SECONDS
mesh_kill 3
dead_row() { mg "${NS[1]}" "${IFN[1]}" status | grep -qE "^  node-3 +$(re "${ID[3]:0:8}") +dead +org "; }
check "node 3 killed: its row shows dead within 30 s" wait_until 30 dead_row
log "node 3 shown dead $((SECONDS - t0)) s after SIGKILL"
OUT=$(mg "${NS[1]}" "${IFN[1]}" status)
check "dead member: no handshake or byte counts (no WireGuard peer)" has "^  node-3 .* dead +org .* +- +- +-$"
check "status header counts the dead member" has '^  members: 2 \(1 alive, 0 suspect, 1 dead, 0 left\)$'
run_ping 1 node-3 --count 1 --timeout 0.5
check "ping a dead member: exit 1 (rc=$RC)" rc_is 1
check "...no path, and why" has "^path: none: no WireGuard peer routes $(re "${M4[3]}"); the member is dead"
run_ping 1 node-2 --count 1
check "...the live member still answers (rc=$RC)" rc_is 0

log "$NT_CHECKS checks, $NT_FAILED failed"
[ "$NT_FAILED" -eq 0 ]
