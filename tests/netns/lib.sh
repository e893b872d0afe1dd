# shellcheck shell=bash
# Shared helpers for the network-namespace tests (sourced, not run).
#
# Every script: skips (exit 77) unless root and the tools are there; names
# its namespaces and interfaces with a per-run id so that parallel runs and
# other daemons never collide (/var/run/wireguard is shared by all
# namespaces); records the PIDs it starts and kills only those; bounds every
# wait; and cleans everything up in an EXIT trap, on success or failure.
#
# Topology built by nt_two_hosts (addresses exist only inside the namespaces):
#
#   $NS_A  veth $VA  192.168.241.1/24 fd00:241::1/64  <->  $NS_B  veth $VB  .2 / ::2
#
# Environment: MESHGUARD (path of the binary, set by meson), NT_PREFIX (name
# prefix, default "mgt"), NT_KEEP=1 keeps the work directory for inspection.

set -Eeuo pipefail

NT_NAME=${NT_NAME:-$(basename "$0" .sh)}
NT_PREFIX=${NT_PREFIX:-mgt}
NT_ID=${NT_PREFIX}$(printf '%05d' $(($$ % 100000)))
NT_DIR=$(mktemp -d "/tmp/${NT_ID}-XXXXXX")
NT_PIDS=()
NT_NETNS=()
NT_FAILED=0
NT_CHECKS=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

UL_A=192.168.241.1
UL_B=192.168.241.2
UL6_A=fd00:241::1
UL6_B=fd00:241::2

log() { printf '[%s %s] %s\n' "$NT_NAME" "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "FATAL: $*"
	exit 1
}

nt_skip_unless_ready() {
	if [ "$(id -u)" -ne 0 ]; then
		log "SKIP: needs root (network namespaces, TUN)"
		exit 77
	fi
	local c
	for c in ip timeout "$@"; do
		command -v "$c" >/dev/null 2>&1 || {
			log "SKIP: $c not installed"
			exit 77
		}
	done
	[ -c /dev/net/tun ] || {
		log "SKIP: no /dev/net/tun"
		exit 77
	}
	[ -n "${MESHGUARD:-}" ] && [ -x "$MESHGUARD" ] || die "MESHGUARD must point at the meshguard binary"
}

# ---- cleanup -----------------------------------------------------------------------

nt_cleanup() {
	local rc=$? pid ns i
	trap - EXIT
	set +e
	for pid in "${NT_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for i in $(seq 1 50); do
		local alive=0
		for pid in "${NT_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for pid in "${NT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	for ns in "${NT_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -f /var/run/wireguard/"${NT_ID}"*.sock
	# A sanitizer report from any daemon (the ASan build) fails the test.
	if grep -lE 'Sanitizer|runtime error:' "$NT_DIR"/mg-*.log >/dev/null 2>&1; then
		log "FAIL: sanitizer report in $(grep -lE 'Sanitizer|runtime error:' "$NT_DIR"/mg-*.log | tr '\n' ' ')"
		NT_FAILED=$((NT_FAILED + 1))
	fi
	if [ "$rc" -ne 0 ] || [ "$NT_FAILED" -ne 0 ]; then
		log "daemon logs (tail):"
		for f in "$NT_DIR"/*.log; do
			[ -e "$f" ] || continue
			echo "--- $f" >&2
			tail -n 25 "$f" >&2
		done
	fi
	if [ "${NT_KEEP:-0}" = 1 ]; then log "kept $NT_DIR"; else rm -rf "$NT_DIR"; fi
	if [ "$rc" -eq 0 ] && [ "$NT_FAILED" -ne 0 ]; then rc=1; fi
	# (The demo, which sources this file, makes no checks: no tally for it.)
	[ "$NT_CHECKS" -eq 0 ] && [ "$rc" -eq 0 ] || log "$NT_CHECKS checks, $NT_FAILED failed (exit $rc)"
	exit "$rc"
}
trap nt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- checks -------------------------------------------------------------------------

ok() {
	NT_CHECKS=$((NT_CHECKS + 1))
	log "ok: $*"
}
bad() {
	NT_CHECKS=$((NT_CHECKS + 1))
	NT_FAILED=$((NT_FAILED + 1))
	log "FAIL: $*"
}
check() { # description command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# Poll until a command succeeds, at most $1 seconds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ---- topology -------------------------------------------------------------------------

nt_netns() { # name
	ip netns add "$1"
	NT_NETNS+=("$1")
	ip -n "$1" link set lo up
}

nt_two_hosts() {
	NS_A=${NT_ID}a
	NS_B=${NT_ID}b
	VA=${NT_ID}va
	VB=${NT_ID}vb
	nt_netns "$NS_A"
	nt_netns "$NS_B"
	ip link add "$VA" netns "$NS_A" type veth peer name "$VB" netns "$NS_B"
	ip -n "$NS_A" addr add "$UL_A/24" dev "$VA"
	ip -n "$NS_B" addr add "$UL_B/24" dev "$VB"
	ip -n "$NS_A" addr add "$UL6_A/64" dev "$VA" nodad
	ip -n "$NS_B" addr add "$UL6_B/64" dev "$VB" nodad
	ip -n "$NS_A" link set "$VA" up
	ip -n "$NS_B" link set "$VB" up
	wait_until 5 ip netns exec "$NS_A" ping -c1 -W1 "$UL_B" || die "underlay does not answer"
}

inA() { ip netns exec "$NS_A" "$@"; }
inB() { ip netns exec "$NS_B" "$@"; }

# ---- meshguard ---------------------------------------------------------------------------

# Write an identity into a config dir; prints "<wg public key base64>".
nt_identity() { # config_dir
	mkdir -p "$1/peers"
	chmod 700 "$1"
	python3 "$HERE/nettool.py" identity "$1"
}

# Start meshguard in a namespace: nt_meshguard ns config_dir ifname [args...]
# Sets MG_PID. Waits for the UAPI and control sockets.
nt_meshguard() {
	local ns=$1 cfg=$2 ifn=$3
	shift 3
	MESHGUARD_RUNTIME_DIR="$NT_DIR/run" ip netns exec "$ns" "$MESHGUARD" --config-dir "$cfg" \
		up --interface "$ifn" "$@" >"$NT_DIR/mg-$ifn.log" 2>&1 &
	MG_PID=$!
	NT_PIDS+=("$MG_PID")
	if ! wait_until 10 test -S "$NT_DIR/run/$ifn.sock"; then
		die "meshguard $ifn did not start (see $NT_DIR/mg-$ifn.log)"
	fi
	wait_until 5 test -S "/var/run/wireguard/$ifn.sock" || die "no UAPI socket for $ifn"
}

mg() { # ns ifname command args... : meshguard control client
	local ns=$1 ifn=$2
	shift 2
	MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 ip netns exec "$ns" "$MESHGUARD" "$@" --interface "$ifn"
}

mg_counter() { # ns ifname counter
	mg "$1" "$2" status --json | jq -r ".counters.$3"
}

mesh_ip() { # ns ifname 4|6
	local fam=$3
	ip -n "$1" -"$fam" -o addr show dev "$2" scope global | awk '{print $4}' | cut -d/ -f1 | head -1
}

# ---- wireguard-go ---------------------------------------------------------------------------

# nt_wggo ns ifname: start wireguard-go in the foreground; sets WG_PID.
nt_wggo() {
	local ns=$1 ifn=$2
	WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error ip netns exec "$ns" wireguard-go -f "$ifn" \
		>"$NT_DIR/wggo-$ifn.log" 2>&1 &
	WG_PID=$!
	NT_PIDS+=("$WG_PID")
	wait_until 10 test -S "/var/run/wireguard/$ifn.sock" || die "wireguard-go $ifn did not start"
	wait_until 5 ip -n "$ns" link show "$ifn" || die "wireguard-go made no interface $ifn"
}

# The standard pair: meshguard in $NS_A (interface $IF_A, static peer file
# peers/wggo.conf) and wireguard-go in $NS_B (interface $IF_B, key in
# $NT_DIR/b.key, tunnel addresses $T_B4 and $T_B6 outside the mesh prefix),
# each configured with the other's key; wireguard-go does not know meshguard's
# endpoint, so the first handshake is meshguard's. Sets CFG, PUB_A, PUB_B, M4,
# M6. Environment for meshguard (MESHGUARD_TEST_TIME_SCALE) passes through.
nt_mg_and_wggo() {
	IF_A=${NT_ID}m
	IF_B=${NT_ID}w
	T_B4=10.98.0.2
	T_B6=fd98::2
	CFG=$NT_DIR/cfg
	PUB_A=$(nt_identity "$CFG")
	(umask 077 && wg genkey >"$NT_DIR/b.key")
	PUB_B=$(wg pubkey <"$NT_DIR/b.key")
	printf '# the wireguard-go side, a plain WireGuard peer\n[Peer]\nPublicKey = %s\nEndpoint = %s:51820\nAllowedIPs = %s/32, %s/128\n' \
		"$PUB_B" "$UL_B" "$T_B4" "$T_B6" >"$CFG/peers/wggo.conf"
	nt_meshguard "$NS_A" "$CFG" "$IF_A"
	M4=$(mesh_ip "$NS_A" "$IF_A" 4)
	M6=$(mesh_ip "$NS_A" "$IF_A" 6)
	[ -n "$M4" ] && [ -n "$M6" ] || die "meshguard has no mesh addresses"
	nt_wggo "$NS_B" "$IF_B"
	inB wg set "$IF_B" private-key "$NT_DIR/b.key" listen-port 51820 \
		peer "$PUB_A" allowed-ips "$M4/32,$M6/128"
	inB ip addr add "$T_B4/32" dev "$IF_B"
	inB ip -6 addr add "$T_B6/128" dev "$IF_B" nodad
	inB ip link set "$IF_B" mtu 1420 up
	inB ip route add 10.99.0.0/16 dev "$IF_B"
	inB ip -6 route add fd99:6d67::/64 dev "$IF_B"
}

# iperf3 server in $NS_B for the rest of the test.
nt_iperf_server() {
	ip netns exec "$NS_B" iperf3 -s >/dev/null 2>&1 &
	NT_PIDS+=($!)
	wait_until 5 sh -c "ip netns exec $NS_B ss -ltnH 'sport = :5201' | grep -q LISTEN" || die "no iperf3 server"
}

# iperf3 through the tunnel: iperf_run ns_client server_ip seconds [args...] -> Mbit/s
iperf_run() {
	local ns=$1 dst=$2 secs=$3
	shift 3
	timeout $((secs + 20)) ip netns exec "$ns" iperf3 -c "$dst" -t "$secs" -J "$@" 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second // 0 | ./1e6 | floor'
}

ping_ok() { # ns dst [args]
	local ns=$1 dst=$2
	shift 2
	timeout 15 ip netns exec "$ns" ping -n -q -c 3 -i 0.2 -W 2 "$@" "$dst" >/dev/null 2>&1
}
