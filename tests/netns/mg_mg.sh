#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# meshguard <-> meshguard with static peers (peers/<name>.conf), plus the
# daemon's edges: mesh addresses derived from the identity as upstream does
# (checked against an independent BLAKE3), IPv4 and IPv6 through the tunnel,
# iperf3 both ways, a peer restarting, a gossip-only instance (no TUN), a
# second daemon refused for the same interface, and a bad peer file refused
# with its file and line while leaving nothing behind.
. "$(dirname "$0")/lib.sh"
nt_skip_unless_ready wg iperf3 jq python3 ping b3sum

nt_two_hosts
IF_A=${NT_ID}x
IF_B=${NT_ID}y

CFG_A=$NT_DIR/a
CFG_B=$NT_DIR/b
WG_A=$(nt_identity "$CFG_A")
WG_B=$(nt_identity "$CFG_B")
read -r A4 A6 < <(python3 "$HERE/nettool.py" meshaddr "$(cat "$CFG_A/identity.pub")")
read -r B4 B6 < <(python3 "$HERE/nettool.py" meshaddr "$(cat "$CFG_B/identity.pub")")
check "the node's WireGuard key is the identity's Montgomery form" \
	test "$(python3 "$HERE/nettool.py" wgpub "$(cat "$CFG_A/identity.pub")")" = "$WG_A"

cat >"$CFG_A/peers/bob.conf" <<EOF
[Peer]
PublicKey = $WG_B
Endpoint = $UL_B:51821
AllowedIPs = $B4/32, $B6/128
PersistentKeepalive = 25
EOF
# B knows A's key but not its address: it learns it from A's first packet.
cat >"$CFG_B/peers/alice.conf" <<EOF
[Peer]
PublicKey = $WG_A
AllowedIPs = $A4/32, $A6/128
EOF

# B first: A's first initiation (its keepalive starts at once) must find B up,
# or A waits REKEY_TIMEOUT (5 s) before retrying, as WireGuard does.
nt_meshguard "$NS_B" "$CFG_B" "$IF_B"
nt_meshguard "$NS_A" "$CFG_A" "$IF_A"
PID_A=$MG_PID
check "mesh IPv4 derived as upstream ($A4)" test "$(mesh_ip "$NS_A" "$IF_A" 4)" = "$A4"
check "mesh IPv6 derived as upstream ($A6)" test "$(mesh_ip "$NS_A" "$IF_A" 6)" = "$A6"
check "prefix lengths /16 and /64" \
	sh -c "ip -n $NS_A -o addr show dev $IF_A | grep -q '$A4/16' && ip -n $NS_A -o addr show dev $IF_A | grep -q '$A6/64'"

check "ping IPv4 A->B (A initiates)" ping_ok "$NS_A" "$B4"
check "ping IPv6 A->B" ping_ok "$NS_A" "$B6"
check "ping IPv4 B->A" ping_ok "$NS_B" "$A4"
check "ping IPv6 B->A" ping_ok "$NS_B" "$A6"
check "B learned A's endpoint by roaming" test "$(inB wg show "$IF_B" endpoints | cut -f2)" = "$UL_A:51821"

nt_iperf_server
up=$(iperf_run "$NS_A" "$B4" 2)
check "iperf3 TCP A->B: $up Mbit/s" test "${up:-0}" -gt 10
down=$(iperf_run "$NS_A" "$B6" 2 -R)
check "iperf3 TCP B->A over IPv6: $down Mbit/s" test "${down:-0}" -gt 10

st=$(mg "$NS_A" "$IF_A" status --json)
check "status: peer 'bob' with a handshake and traffic" \
	test "$(jq -r '.peers[0] | [.name, .source, (.last_handshake > 0), (.tx_bytes > 1000000), .persistent_keepalive] | @tsv' <<<"$st")" = "$(printf 'bob\tstatic\ttrue\ttrue\t25')"
check "status: our keys and addresses" \
	test "$(jq -r '[.public_key, .identity, .mesh_ipv4, .mesh_ipv6] | @tsv' <<<"$st")" = "$(printf '%s\t%s\t%s\t%s' "$WG_A" "$(cat "$CFG_A/identity.pub")" "$A4" "$A6")"

# ---- A restarts: B accepts the new process's handshake (a newer TAI64N timestamp) ---------------
kill -INT "$PID_A"
wait_until 5 sh -c "! kill -0 $PID_A 2>/dev/null" || die "A did not stop"
check "SIGINT: clean stop logged" grep -q 'stopping (SIGINT)' "$NT_DIR/mg-$IF_A.log"
nt_meshguard "$NS_A" "$CFG_A" "$IF_A"
check "tunnel back after a restart" ping_ok "$NS_B" "$A4"

# ---- one interface name, one daemon ------------------------------------------------------------
out=$(MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 ip netns exec "$NS_A" "$MESHGUARD" \
	--config-dir "$CFG_A" up --interface "$IF_A" --listen-port 51999 2>&1) && rc=0 || rc=$?
check "a second daemon for the same interface is refused (rc=$rc)" test "$rc" -ne 0
check "...and the first one still works" ping_ok "$NS_A" "$B4"

# ---- gossip-only: the UDP port, no TUN --------------------------------------------------------
IF_C=${NT_ID}g
nt_meshguard "$NS_A" "$CFG_A" "$IF_C" --gossip-only --listen-port 51900
check "gossip-only: no interface created" sh -c "! ip -n $NS_A link show $IF_C >/dev/null 2>&1"
check "gossip-only: UDP port 51900 bound" sh -c "ip netns exec $NS_A ss -ulnH 'sport = :51900' | grep -q 51900"
check "gossip-only: status says so" test "$(mg "$NS_A" "$IF_C" status --json | jq -r '.tun, .listen_port' | tr '\n' ' ')" = "false 51900 "

# ---- the control socket's permissions --------------------------------------------------------
# Give the socket's group to an unprivileged user: it may ask for status but
# not stop the daemon (SO_PEERCRED: only root or the daemon's uid may).
# (Skipped where the binary is out of nobody's reach, e.g. under /root.)
if command -v setpriv >/dev/null && getent group nogroup >/dev/null && getent passwd nobody >/dev/null &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$MESHGUARD"; then
	chmod 755 "$NT_DIR"
	chgrp nogroup "$NT_DIR/run/$IF_C.sock"
	as_nobody() {
		HOME=/tmp MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 ip netns exec "$NS_A" \
			setpriv --reuid=nobody --regid=nogroup --clear-groups "$MESHGUARD" "$@" --interface "$IF_C"
	}
	status_as_nobody() { as_nobody status --json | jq -e '.ok' >/dev/null; }
	check "an unprivileged member of the socket's group may read status" status_as_nobody
	out=$(as_nobody down 2>&1) && rc=0 || rc=$?
	check "...but not stop the daemon (rc=$rc: $out)" test "$rc" -ne 0 -a -n "$(grep 'permission denied' <<<"$out")"
	check "...and the daemon is still there" test -S "$NT_DIR/run/$IF_C.sock"
	chmod 700 "$NT_DIR"
fi
mg "$NS_A" "$IF_C" down >/dev/null

# ---- a bad peer file: refused with its location, nothing left behind ----------------------------
CFG_BAD=$NT_DIR/bad
nt_identity "$CFG_BAD" >/dev/null
printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.99.0.1/33\n' "$WG_A" >"$CFG_BAD/peers/typo.conf"
IF_D=${NT_ID}d
out=$(MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 ip netns exec "$NS_A" "$MESHGUARD" \
	--config-dir "$CFG_BAD" up --interface "$IF_D" 2>&1) && rc=0 || rc=$?
check "bad peer file: exit status $rc" test "$rc" -ne 0
check "bad peer file: message names file and line ($out)" grep -q 'peers/typo.conf:3: AllowedIPs' <<<"$out"
check "bad peer file: no interface, no sockets" \
	sh -c "! ip -n $NS_A link show $IF_D >/dev/null 2>&1 && test ! -e /var/run/wireguard/$IF_D.sock && test ! -e $NT_DIR/run/$IF_D.sock"

# ---- one key in two files: refused, naming both -------------------------------------------------
rm "$CFG_BAD/peers/typo.conf"
printf '[Peer]\nPublicKey = %s\n' "$WG_A" >"$CFG_BAD/peers/one.conf"
printf '# again\n[Peer]\nPublicKey = %s\n' "$WG_A" >"$CFG_BAD/peers/two.conf"
out=$(MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 ip netns exec "$NS_A" "$MESHGUARD" \
	--config-dir "$CFG_BAD" up --interface "$IF_D" 2>&1) && rc=0 || rc=$?
check "a key in two peer files is refused ($out)" \
	test "$rc" -ne 0 -a -n "$(grep -F 'peers/two.conf:2: the same PublicKey as peers/one.conf:1' <<<"$out")"
