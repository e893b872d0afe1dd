#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tunnel throughput: meshguard against wireguard-go, measured in the same run
# on the same rig.
#
#   netns A  veth 192.168.241.1  <->  netns B  veth 192.168.241.2
#   meshguard  A 10.99.x.y  <== UDP 51821 ==>  B 10.99.x.y   (static peers)
#   wireguard-go  A 10.88.0.1  <== UDP 51820 ==>  B 10.88.0.2  (configured with wg)
#
# Both tunnels are up for the whole run; iperf3 (TCP, one stream, A -> B and
# B -> A with -R) goes through one of them at a time, alternating, REPS times.
# Printed per implementation and direction: median Gbit/s, CPU seconds of
# both daemons per run (utime+stime from /proc) and per GB delivered; then
# the peak RSS (VmHWM) of every daemon and the meshguard/wireguard-go ratio.
#
#   sudo MESHGUARD=build-release/cli/meshguard bench/throughput.sh
#   DURATION=10 REPS=5 TCP_CC=cubic OUT=/tmp/bench.txt ...
#
# A test-only helper rig: it reuses tests/netns/lib.sh (namespaces with unique
# names, recorded PIDs, cleanup on exit).
set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NT_NAME=throughput
MESHGUARD=${MESHGUARD:-$ROOT/build/cli/meshguard}
. "$ROOT/tests/netns/lib.sh"
nt_skip_unless_ready wireguard-go wg iperf3 jq python3 ping

DURATION=${DURATION:-10}
REPS=${REPS:-5}
TCP_CC=${TCP_CC:-}
CC_ARGS=()
[ -z "$TCP_CC" ] || CC_ARGS=(-C "$TCP_CC")
HZ=$(getconf CLK_TCK)

nt_two_hosts
# ---- meshguard tunnel ----------------------------------------------------------------
MG_A=${NT_ID}m
MG_B=${NT_ID}n
CFG_A=$NT_DIR/a
CFG_B=$NT_DIR/b
WG_PUB_A=$(nt_identity "$CFG_A")
WG_PUB_B=$(nt_identity "$CFG_B")
read -r A4 _ < <(python3 "$HERE/nettool.py" meshaddr "$(cat "$CFG_A/identity.pub")")
read -r B4 _ < <(python3 "$HERE/nettool.py" meshaddr "$(cat "$CFG_B/identity.pub")")
printf '[Peer]\nPublicKey = %s\nEndpoint = %s:51821\nAllowedIPs = %s/32\n' "$WG_PUB_B" "$UL_B" "$B4" \
	>"$CFG_A/peers/b.conf"
printf '[Peer]\nPublicKey = %s\nEndpoint = %s:51821\nAllowedIPs = %s/32\n' "$WG_PUB_A" "$UL_A" "$A4" \
	>"$CFG_B/peers/a.conf"
nt_meshguard "$NS_B" "$CFG_B" "$MG_B" -q
PID_MG_B=$MG_PID
nt_meshguard "$NS_A" "$CFG_A" "$MG_A" -q
PID_MG_A=$MG_PID

# ---- wireguard-go tunnel ---------------------------------------------------------------
WG_A=${NT_ID}w
WG_B=${NT_ID}v
(umask 077 && wg genkey >"$NT_DIR/wa.key" && wg genkey >"$NT_DIR/wb.key")
nt_wggo "$NS_A" "$WG_A"
PID_WG_A=$WG_PID
nt_wggo "$NS_B" "$WG_B"
PID_WG_B=$WG_PID
inA wg set "$WG_A" private-key "$NT_DIR/wa.key" listen-port 51820 \
	peer "$(wg pubkey <"$NT_DIR/wb.key")" allowed-ips 10.88.0.2/32 endpoint "$UL_B:51820"
inB wg set "$WG_B" private-key "$NT_DIR/wb.key" listen-port 51820 \
	peer "$(wg pubkey <"$NT_DIR/wa.key")" allowed-ips 10.88.0.1/32 endpoint "$UL_A:51820"
inA ip addr add 10.88.0.1/24 dev "$WG_A"
inB ip addr add 10.88.0.2/24 dev "$WG_B"
inA ip link set "$WG_A" mtu 1420 up
inB ip link set "$WG_B" mtu 1420 up

wait_until 15 ping_ok "$NS_A" "$B4" || die "meshguard tunnel does not come up"
wait_until 15 ping_ok "$NS_A" 10.88.0.2 || die "wireguard-go tunnel does not come up"
nt_iperf_server

cpu_ticks() { # pid: utime+stime of all threads
	local s
	s=$(cat "/proc/$1/stat")
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $((${12} + ${13}))
}

RES=$NT_DIR/results.tsv
: >"$RES"
# one_run impl dir: iperf3 through one tunnel; appends "impl dir Mbit/s cpu_s bytes"
one_run() {
	local impl=$1 dir=$2 dst pa pb a0 b0 a1 b1 json args=()
	if [ "$impl" = meshguard ]; then dst=$B4 pa=$PID_MG_A pb=$PID_MG_B; else dst=10.88.0.2 pa=$PID_WG_A pb=$PID_WG_B; fi
	[ "$dir" = "B->A" ] && args=(-R)
	a0=$(cpu_ticks "$pa")
	b0=$(cpu_ticks "$pb")
	json=$(timeout $((DURATION + 30)) ip netns exec "$NS_A" iperf3 -c "$dst" -t "$DURATION" -J \
		"${args[@]}" "${CC_ARGS[@]}" 2>/dev/null) || true
	a1=$(cpu_ticks "$pa")
	b1=$(cpu_ticks "$pb")
	jq -r --arg i "$impl" --arg d "$dir" --arg cpu "$(((a1 - a0) + (b1 - b0)))" --arg hz "$HZ" \
		'[$i, $d, (.end.sum_received.bits_per_second // 0) / 1e6, ($cpu|tonumber) / ($hz|tonumber),
		  (.end.sum_received.bytes // 0), (.end.sum_sent.retransmits // 0)] | @tsv' <<<"$json" >>"$RES"
	log "$(tail -1 "$RES")"
}

log "meshguard $("$MESHGUARD" version), $(wireguard-go --version | head -1); ${REPS}x${DURATION}s per case"
for rep in $(seq 1 "$REPS"); do
	for dir in "A->B" "B->A"; do
		one_run meshguard "$dir"
		one_run wireguard-go "$dir"
	done
done

# Where packets were lost, for the record (not part of the comparison).
drops() {
	local ns
	for ns in "$NS_A" "$NS_B"; do
		printf '%s: UdpRcvbufErrors %s, TUN tx_dropped mg %s wg %s; meshguard %s\n' "$ns" \
			"$(ip netns exec "$ns" nstat -asz UdpRcvbufErrors | awk '/Rcvbuf/{print $2}')" \
			"$(ip -n "$ns" -s -j link show dev "$([ "$ns" = "$NS_A" ] && echo "$MG_A" || echo "$MG_B")" | jq '.[0].stats64.tx.dropped')" \
			"$(ip -n "$ns" -s -j link show dev "$([ "$ns" = "$NS_A" ] && echo "$WG_A" || echo "$WG_B")" | jq '.[0].stats64.tx.dropped')" \
			"$(mg "$ns" "$([ "$ns" = "$NS_A" ] && echo "$MG_A" || echo "$MG_B")" status --json |
				jq -c '.counters | {udp_tx_dropped, udp_tx_errors, tun_tx_errors, udp_rx_batches, udp_rx, tun_rx}')"
	done
}
rss() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
RSS_MG="$(rss "$PID_MG_A") $(rss "$PID_MG_B")"
RSS_WG="$(rss "$PID_WG_A") $(rss "$PID_WG_B")"
DROPS=$(drops)

median() { sort -g | awk '{v[NR]=$1} END{ if (NR==0) print 0; else print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2 }'; }
field() { # impl dir column
	awk -F'\t' -v i="$1" -v d="$2" -v c="$3" '$1==i && $2==d {print $c}' "$RES"
}

report() {
	local impl dir med lo hi cpu gb
	echo "machine: $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo) x $(nproc), kernel $(uname -r)"
	echo "run: $(date -u +%Y-%m-%dT%H:%MZ), iperf3 TCP 1 stream, ${DURATION}s x $REPS reps per case," \
		"congestion control ${TCP_CC:-$(ip netns exec "$NS_A" sysctl -n net.ipv4.tcp_congestion_control)}"
	echo
	printf '%-13s %-5s %11s %13s %10s %9s %9s\n' impl dir "median Gbps" "min..max" "CPU s/run" "CPU s/GB" retrans
	for impl in meshguard wireguard-go; do
		for dir in "A->B" "B->A"; do
			med=$(field "$impl" "$dir" 3 | median)
			lo=$(field "$impl" "$dir" 3 | sort -g | head -1)
			hi=$(field "$impl" "$dir" 3 | sort -g | tail -1)
			cpu=$(field "$impl" "$dir" 4 | awk '{s+=$1} END{print s/NR}')
			gb=$(field "$impl" "$dir" 5 | awk '{s+=$1} END{print s/1e9}')
			printf '%-13s %-5s %11.3f %6.3f..%-6.3f %10.2f %9.1f %9s\n' "$impl" "$dir" \
				"$(awk -v m="$med" 'BEGIN{print m/1000}')" \
				"$(awk -v m="$lo" 'BEGIN{print m/1000}')" "$(awk -v m="$hi" 'BEGIN{print m/1000}')" \
				"$cpu" "$(awk -v c="$cpu" -v g="$gb" -v n="$REPS" 'BEGIN{print (g>0) ? c*n/g : 0}')" \
				"$(field "$impl" "$dir" 6 | median)"
		done
	done
	echo
	echo "peak RSS (VmHWM, kB): meshguard A/B $RSS_MG; wireguard-go A/B $RSS_WG"
	for dir in "A->B" "B->A"; do
		awk -v d="$dir" -v m="$(field meshguard "$dir" 3 | median)" -v w="$(field wireguard-go "$dir" 3 | median)" \
			'BEGIN{printf "ratio meshguard/wireguard-go %s: %.2f\n", d, (w>0) ? m/w : 0}'
	done
	echo
	echo "losses over the whole run:"
	echo "$DROPS"
}
report | tee "${OUT:-/dev/null}"
