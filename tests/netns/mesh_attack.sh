#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An attacker on the mesh's LAN. Nodes 1-3 are an honest org mesh (node 1 is
# the org admin and the seed); node 4's namespace is the attacker, which
# knows every public key (org, identities, WireGuard keys) and every address,
# and tries in turn, with a fresh identity and config directory each time,
# seeding at all three honest nodes (1 and 2 by address, 3 by key@address):
#   a) its own identity and no certificate (it trusts the org itself, and
#      configures the honest nodes' WireGuard keys as static peers so that it
#      initiates WireGuard handshakes to them) -> "unknown identity";
#   b) a real certificate from the real org that has expired -> "certificate
#      expired";
#   c) forged certificates -> "bad signature": one signed by the attacker's
#      own org key but claiming the real org, and node 2's real certificate
#      with the attacker's identity patched in;
#   d) a valid certificate from an org the mesh does not trust -> "org not
#      trusted";
#   e) replay: gossip and WireGuard datagrams captured in node 2's namespace
#      while the mesh formed are resent to their original destinations, from
#      the attacker's own address and then with the original (spoofed) source
#      addresses. Every honest node counts them as replays (SWIM rx_replay,
#      WireGuard drop_replay/drop_no_peer) and nothing changes: no handshake,
#      no session, no member moved, membership unchanged.
# After every attempt, on every honest node: no member entry for the
# attacker's identity, no WireGuard peer or handshake with its key, a
# "member <id> denied: <reason>" log line, SWIM's rx_untrusted count rises;
# the attacker itself has no member, no handshake and pings nothing. The
# honest mesh still pings every pair at the end.
. "$(dirname "$0")/lib.sh"
. "$HERE/mesh_lib.sh"
nt_skip_unless_ready jq python3 ping b3sum wg tcpdump

HONEST="1 2 3"
HOLD=${MESH_ATTACK_HOLD:-3} # seconds each attacker keeps trying after its first denial
NETTOOL=$HERE/nettool.py

mesh_lan 4
for i in $HONEST; do mesh_identity "$i"; done
mesh_org_init
for i in $HONEST; do mesh_org_member "$i" "node$i" --expires 1d; done
for i in $HONEST; do WG[i]=$(mesh_wg_key "$i"); done

# ---- the attacker's slot (node 4): one config directory and interface per attempt -----------

# atk_use X: node 4 becomes attacker X (config dir atk-X, interface ...xX).
atk_use() {
	CFG[4]=$NT_DIR/atk-$1
	IFN[4]=${NT_ID}x$1
	ID[4]=$(cat "${CFG[4]}/identity.pub")
	read -r "M4[4]" "M6[4]" < <(python3 "$NETTOOL" meshaddr "${ID[4]}")
	ATK_WG=$(mesh_wg_key 4)
	ATK_SID=${ID[4]:0:8}
}
# atk_new X: a fresh identity for attacker X.
atk_new() {
	CFG[4]=$NT_DIR/atk-$1
	mesh_identity 4
	atk_use "$1"
}
# atk_start: seeds node 1 and 2 by address (HELLO first) and node 3 by key.
atk_start() {
	mesh_start 4 --seed "${UL4[2]}:$MESH_PORT" --seed "${ID[3]}@${UL4[3]}:$MESH_PORT"
}
atk_stop() {
	mesh_stop 4
	wait_until 5 sh -c "! ip -n ${NS[4]} link show ${IFN[4]} >/dev/null 2>&1" ||
		die "attacker interface ${IFN[4]} still there after stop"
}
honest_log() { echo "$NT_DIR/mg-${IFN[$1]}.log"; }

# Is the attacker visible on honest node i? Prints what it found.
atk_seen_by() { # i
	local st
	st=$(mesh_status "$1") || {
		echo "node $1: no status"
		return 0
	}
	if [ "$(jq --arg id "${ID[4]}" '[.members[] | select(.identity == $id)] | length' <<<"$st")" != 0 ]; then
		echo "node $1 has a member entry: $(jq -c --arg id "${ID[4]}" '.members[] | select(.identity == $id)' <<<"$st")"
	fi
	if [ "$(jq --arg k "$ATK_WG" '[.peers[] | select(.public_key == $k)] | length' <<<"$st")" != 0 ]; then
		echo "node $1 has a WireGuard peer for the attacker (status)"
	fi
	if ! mesh_no_peer_key "$1" "$ATK_WG"; then
		echo "node $1: wg show lists the attacker's key as a peer"
	fi
	if ip netns exec "${NS[$1]}" wg show "${IFN[$1]}" latest-handshakes | grep -qF "$ATK_WG"; then
		echo "node $1: wg show has a handshake with the attacker's key"
	fi
	return 0
}
atk_absent_on() { test -z "$(atk_seen_by "$1")"; }

# For HOLD seconds, sample every honest node; fail at the first sighting.
hold_absent() {
	local deadline=$((SECONDS + HOLD)) i seen
	while [ "$SECONDS" -lt "$deadline" ]; do
		for i in $HONEST; do
			seen=$(atk_seen_by "$i")
			if [ -n "$seen" ]; then
				log "$seen"
				return 1
			fi
		done
		sleep 0.2
	done
}

denied_on() { # i reason: node i logged why it denied the current attacker
	grep -qF "member $ATK_SID denied: $2" "$(honest_log "$1")"
}
denied_everywhere() { # reason
	local i
	for i in $HONEST; do denied_on "$i" "$1" || return 1; done
}

# The attacker's own view: no member at all, never a WireGuard handshake
# answered, no session.
atk_alone() {
	local st
	st=$(mesh_status 4) || return 1
	test "$(jq '.members | length' <<<"$st")" = 0 &&
		test "$(jq '.counters.rx_handshake' <<<"$st")" = 0 &&
		test "$(jq '[.peers[] | select(.session)] | length' <<<"$st")" = 0
}

# The attacker pings every honest mesh address (IPv4 and IPv6) at once; true
# if none answers.
atk_cannot_ping() {
	local j dst p pids=() answered=0
	for j in $HONEST; do
		for dst in "${M4[j]}" "${M6[j]}"; do
			timeout 6 ip netns exec "${NS[4]}" ping -n -q -c 2 -i 0.3 -W 1 "$dst" >/dev/null 2>&1 &
			pids+=($!)
		done
	done
	for p in "${pids[@]}"; do
		if wait "$p"; then answered=$((answered + 1)); fi
	done
	[ "$answered" = 0 ] || log "the attacker got $answered ping replies"
	[ "$answered" = 0 ]
}

swim_ctr() { mesh_status "$1" | jq -r ".swim.$2"; }
wg_ctr() { mesh_status "$1" | jq -r ".counters.$2"; }

# One attempt: start the attacker, wait (bounded) for every honest node to
# log the denial with `reason`, keep it trying for HOLD seconds, then check.
attempt() { # label reason
	local label=$1 reason=$2 i
	declare -A untrusted0
	for i in $HONEST; do untrusted0[$i]=$(swim_ctr "$i" rx_untrusted); done
	atk_start
	check "$label: every honest node logs 'member $ATK_SID denied: $reason'" \
		wait_until 15 denied_everywhere "$reason"
	for i in $HONEST; do
		denied_on "$i" "$reason" || log "node $i log: $(grep -F "member $ATK_SID" "$(honest_log "$i")" | head -3)"
	done
	check "$label: for ${HOLD}s no honest node shows a member entry, peer or handshake for it" hold_absent
	for i in $HONEST; do
		check "$label: node $i has no member entry, no WireGuard peer, no handshake for it" atk_absent_on "$i"
		check "$label: node $i counted its gossip as untrusted (rx_untrusted ${untrusted0[$i]} -> $(swim_ctr "$i" rx_untrusted))" \
			test "$(swim_ctr "$i" rx_untrusted)" -gt "${untrusted0[$i]}"
	done
	check "$label: the attacker has no member, no handshake, no session" atk_alone
	check "$label: the attacker pings no honest mesh address (IPv4, IPv6)" atk_cannot_ping
	check "$label: the honest nodes still see each other" mesh_converged "$HONEST"
}

# ---- prepared before the mesh starts ---------------------------------------------------------

# b) A real certificate from the real org that expires one second after signing.
atk_new b
mg_cli 4 trust --org "$ORG_PUB" --name acme >/dev/null
SIGN_T=$(date +%s)
cp "${CFG[4]}/identity.pub" "$NT_DIR/atk-b.pub"
mg_cli 1 org-sign "$NT_DIR/atk-b.pub" --name intruder-b --expires 1s --out "$NT_DIR/atk-b.cert" >/dev/null
cp "$NT_DIR/atk-b.cert" "${CFG[4]}/node.cert"

# ---- the honest mesh, captured from node 2's namespace as it forms ---------------------------
PCAP=$NT_DIR/mesh.pcap
ip netns exec "${NS[2]}" tcpdump -n -i "${NT_ID}v2" -Z root -U -w "$PCAP" "udp port $MESH_PORT" \
	>/dev/null 2>"$NT_DIR/tcpdump.err" &
TCPDUMP_PID=$!
NT_PIDS+=("$TCPDUMP_PID")
wait_until 10 grep -q 'listening on' "$NT_DIR/tcpdump.err" || die "tcpdump did not start: $(cat "$NT_DIR/tcpdump.err")"

t0=$SECONDS
for i in $HONEST; do mesh_start "$i"; done
wait_until 30 mesh_converged "$HONEST" || die "the honest mesh did not converge in 30 s"
ok "honest mesh of three converged in $((SECONDS - t0)) s"
check "the honest mesh pings every pair over IPv4 and IPv6" mesh_ping_all "$HONEST"
sleep 1
kill -INT "$TCPDUMP_PID"
wait_until 5 sh -c "! kill -0 $TCPDUMP_PID 2>/dev/null" || die "tcpdump did not stop"
log "captured $(tcpdump -n -r "$PCAP" 2>/dev/null | wc -l) datagrams on node 2's link"

# ---- a) its own identity, no certificate; static WireGuard peers for the honest nodes -------
atk_new a
mkdir -p "${CFG[4]}/peers"
mg_cli 4 trust --org "$ORG_PUB" --name acme >/dev/null
for j in $HONEST; do
	printf '[Peer]\nPublicKey = %s\nEndpoint = %s:%s\nAllowedIPs = %s/32, %s/128\n' \
		"${WG[j]}" "${UL4[j]}" "$MESH_PORT" "${M4[j]}" "${M6[j]}" >"${CFG[4]}/peers/node$j.conf"
done
declare -A nopeer0
for i in $HONEST; do nopeer0[$i]=$(wg_ctr "$i" drop_no_peer); done
attempt "a) no certificate" "unknown identity"
atk_hs_refused() {
	local i
	for i in $HONEST; do
		[ "$(wg_ctr "$i" drop_no_peer)" -gt "${nopeer0[$i]}" ] || return 1
	done
}
check "a) the attacker's WireGuard initiations reach every honest node and are dropped (no peer)" \
	wait_until 10 atk_hs_refused
check "a) ...and the attacker never received a handshake response" \
	test "$(mesh_status 4 | jq '.counters.rx_handshake')" = 0
check "a) ...its static peers have no session and no handshake" \
	test "$(mesh_status 4 | jq '[.peers[] | select(.session or .last_handshake != 0)] | length')" = 0
log "a) honest drop_no_peer: $(for i in $HONEST; do printf '%s->%s ' "${nopeer0[$i]}" "$(wg_ctr "$i" drop_no_peer)"; done)"
atk_stop

# ---- b) the expired certificate ------------------------------------------------------------
atk_use b
check "b) the certificate was valid when signed (node 1 verifies it at the signing time)" \
	mg_cli 1 cert verify "$NT_DIR/atk-b.cert" --at "$SIGN_T"
out=$(mg_cli 1 cert verify "$NT_DIR/atk-b.cert" 2>&1) && rc=0 || rc=$?
check "b) ...and has expired now (cert verify: rc=$rc, '$out')" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q expired"
attempt "b) expired certificate" "certificate expired"
atk_stop

# ---- c) forged certificates ------------------------------------------------------------------
# c1: the attacker's own org key signs a certificate that names the real org.
atk_new c
mg_cli 4 trust --org "$ORG_PUB" --name acme >/dev/null
mg_cli 4 org-keygen >/dev/null
mg_cli 4 org-sign "${CFG[4]}/identity.pub" --name intruder-c --expires 1d --out "$NT_DIR/atk-c.own.cert" >/dev/null
python3 "$NETTOOL" certsign "$NT_DIR/atk-c.own.cert" "${CFG[4]}/node.cert" "${CFG[4]}/org/org.key" "$ORG_PUB"
out=$(mg_cli 1 cert verify "${CFG[4]}/node.cert" 2>&1) && rc=0 || rc=$?
check "c1) node 1 (the org admin) rejects the forged certificate offline (rc=$rc, '$out')" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'bad signature'"
attempt "c1) certificate claiming the real org, signed by another key" "bad signature"
atk_stop

# c2: node 2's real certificate with the attacker's identity patched in.
atk_new d
mg_cli 4 trust --org "$ORG_PUB" --name acme >/dev/null
python3 "$NETTOOL" certpatch "${CFG[2]}/node.cert" "${CFG[4]}/node.cert" 33 \
	"$(base64 -d <<<"${ID[4]}" | od -An -tx1 | tr -d ' \n')"
check "c2) the patched certificate differs from node 2's in the node field only" \
	test "$(cmp -l "${CFG[2]}/node.cert" "${CFG[4]}/node.cert" | awk '$1 < 34 || $1 > 65' | wc -l)" = 0
attempt "c2) node 2's certificate with the attacker's identity patched in" "bad signature"
atk_stop

# ---- d) a certificate from an org the mesh does not trust ------------------------------------
atk_new e
mg_cli 4 org-keygen >/dev/null
EVIL_ORG=$(cat "${CFG[4]}/org/org.pub")
mg_cli 4 org-sign "${CFG[4]}/identity.pub" --name intruder-e --expires 1d --out "$NT_DIR/atk-e.cert" >/dev/null
cp "$NT_DIR/atk-e.cert" "${CFG[4]}/node.cert"
mg_cli 4 trust --org "$EVIL_ORG" --name evil >/dev/null
check "d) the certificate is valid for its own org (the attacker's cert verify)" \
	mg_cli 4 cert verify "${CFG[4]}/node.cert"
attempt "d) certificate from an untrusted org" "org not trusted"
atk_stop

# ---- e) replay of captured gossip and WireGuard datagrams ------------------------------------
snapshot() { # tag: every honest node's status
	local i
	for i in $HONEST; do mesh_status "$i" >"$NT_DIR/snap-$1-$i.json"; done
}
delta() { # i tag0 tag1 jq-expr
	jq -n --slurpfile a "$NT_DIR/snap-$2-$1.json" --slurpfile b "$NT_DIR/snap-$3-$1.json" \
		"(\$b[0] | $4) - (\$a[0] | $4)"
}
members_of() { jq -c '[.members[] | {identity, state, swim_addr}] | sort_by(.identity)' "$NT_DIR/snap-$1-$2.json"; }
peers_of() { jq -c '[.peers[] | {public_key, endpoint, last_handshake}] | sort_by(.public_key)' "$NT_DIR/snap-$1-$2.json"; }
sent() { # replay-output dst kinds... : how many datagrams of these kinds went to dst
	local out=$1 dst=$2
	shift 2
	awk -v d="$dst" -v k=" $* " '$1 == d && index(k, " " $2 " ") { n += $3 } END { print n + 0 }' <<<"$out"
}

replay_pass() { # label [spoof]
	local label=$1 out i ninit ndata nwg nhs dr
	snapshot before
	out=$(ip netns exec "${NS[4]}" timeout 30 python3 "$NETTOOL" replay-all "$PCAP" "$MESH_PORT" ${2:+"$2"})
	log "$label: replayed $(awk '{ n += $3 } END { print n + 0 }' <<<"$out") datagrams: $(tr '\n' ';' <<<"$out")"
	sleep 2
	snapshot after
	for i in $HONEST; do
		ninit=$(sent "$out" "${UL4[i]}" swim-init)
		ndata=$(sent "$out" "${UL4[i]}" swim-data)
		nwg=$(sent "$out" "${UL4[i]}" wg-init wg-resp wg-cookie wg-data)
		nhs=$(sent "$out" "${UL4[i]}" wg-init wg-data)
		dr=$(delta "$i" before after '.swim.rx_replay')
		log "$label: node $i got $ninit INIT, $ndata DATA, $nwg WireGuard: rx_replay +$dr," \
			"rx_rate_limited +$(delta "$i" before after '.swim.rx_rate_limited')," \
			"rx_auth_fail +$(delta "$i" before after '.swim.rx_auth_fail')," \
			"rx_bad_mac +$(delta "$i" before after '.swim.rx_bad_mac')," \
			"drop_replay +$(delta "$i" before after '.counters.drop_replay')," \
			"drop_no_peer +$(delta "$i" before after '.counters.drop_no_peer')," \
			"drop_decrypt +$(delta "$i" before after '.counters.drop_decrypt')"
		check "$label: node $i received replayed gossip ($ninit INIT, $ndata DATA)" test $((ninit + ndata)) -gt 0
		check "$label: node $i rejected every replayed DATA as a replay (rx_replay +$dr >= $ndata)" \
			test "$dr" -ge "$ndata"
		check "$label: node $i rejected every replayed INIT and DATA (rx_replay + rx_rate_limited >= $((ninit + ndata)))" \
			test "$(delta "$i" before after '.swim.rx_replay + .swim.rx_rate_limited')" -ge $((ninit + ndata))
		check "$label: node $i saw them as replays, not forgeries (rx_auth_fail, rx_bad_mac unchanged)" \
			test "$(delta "$i" before after '.swim.rx_auth_fail + .swim.rx_bad_mac')" = 0
		check "$label: node $i membership unchanged (identities, states, addresses)" \
			test "$(members_of before "$i")" = "$(members_of after "$i")"
		check "$label: node $i has no member at the attacker's address" \
			sh -c "! grep -qF '${UL4[4]}' '$NT_DIR/snap-after-$i.json'"
		if [ "$nwg" -gt 0 ]; then
			check "$label: node $i dropped or merely answered every replayed WireGuard datagram (drops + answered initiations >= $nwg)" \
				test "$(delta "$i" before after '.counters.drop_replay + .counters.drop_no_peer + .counters.drop_decrypt + .counters.rx_handshake')" -ge "$nwg"
		fi
		if [ "$nhs" -gt 0 ]; then
			check "$label: node $i counted replayed WireGuard initiations/data as replays (drop_replay > 0)" \
				test "$(delta "$i" before after '.counters.drop_replay')" -gt 0
		fi
		# An initiation that the node dropped when it first arrived (sent before
		# the node admitted its sender: drop_no_peer) was never consumed, so its
		# TAI64N timestamp is still fresh and it is answered, to the replayer's
		# address. That response is useless without the initiator's keys: no
		# session is confirmed, and the peer's endpoint does not move (an
		# initiation does not roam an endpoint that is already set).
		log "$label: node $i answered $(delta "$i" before after '.counters.rx_handshake') replayed initiations that it had never consumed"
		check "$label: node $i accepted no data (rx_data, tun_tx unchanged)" \
			test "$(delta "$i" before after '.counters.rx_data + .counters.tun_tx')" = 0
		check "$label: node $i WireGuard peers unchanged (keys, endpoints, last handshake: no new session)" \
			test "$(peers_of before "$i")" = "$(peers_of after "$i")"
		if [ "$(peers_of before "$i")" != "$(peers_of after "$i")" ]; then
			log "node $i peers before: $(peers_of before "$i")"
			log "node $i peers after:  $(peers_of after "$i")"
			log "node $i counters before: $(jq -c .counters "$NT_DIR/snap-before-$i.json")"
			log "node $i counters after:  $(jq -c .counters "$NT_DIR/snap-after-$i.json")"
		fi
	done
}

KINDS=$(python3 - "$PCAP" "$MESH_PORT" "$NETTOOL" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("nettool", sys.argv[3])
nt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nt)
kinds = {}
for fam, src, sport, dst, dport, p in nt.pcap_udp_datagrams(sys.argv[1]):
    if dport == int(sys.argv[2]):
        k = nt.datagram_kind(p)
        kinds[k] = kinds.get(k, 0) + 1
print(" ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
EOF
)
log "e) capture: $KINDS"
for k in swim-init swim-data wg-init wg-resp wg-data; do
	check "e) the capture holds $k datagrams" grep -qE "(^| )$k=[1-9]" <<<"$KINDS"
done
replay_pass "e1) replay from the attacker's address"
replay_pass "e2) replay with spoofed source addresses" spoof

# ---- the honest mesh at the end --------------------------------------------------------------
check "the honest mesh still pings every pair over IPv4 and IPv6" mesh_ping_all "$HONEST"
check "and every honest node still sees exactly the two others" \
	test "$(for i in $HONEST; do mesh_status "$i" | jq '.members | length'; done | sort -u)" = 2
for i in $HONEST; do
	check "node $i is still running" kill -0 "${PID[i]}"
done

log "$NT_CHECKS checks, $NT_FAILED failed"
[ "$NT_FAILED" -eq 0 ]
