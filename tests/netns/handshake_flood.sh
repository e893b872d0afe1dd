#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A handshake flood against meshguard while an established session carries
# an iperf3 stream: initiations with a valid MAC1 (so they pass the cheap
# check and would cost a Diffie-Hellman each) arrive from another address far
# faster than they can be processed. meshguard must go "under load" and answer
# with cookie replies instead of doing the public-key work. The flooder then
# plays by the rules: it decrypts the cookie (XChaCha20-Poly1305, AD = the
# mac1 it sent) and sends initiations with a valid MAC2, which pass the
# under-load check and must be stopped by the per-source rate limiter. The
# existing tunnel keeps flowing in every second of the flood.
. "$(dirname "$0")/lib.sh"
nt_skip_unless_ready wireguard-go wg iperf3 jq python3 ping

nt_two_hosts
FLOOD_SRC=192.168.241.3
FLOOD_SECS=6
# Initiations per second. Each costs the receiver one Diffie-Hellman if it is
# processed (about 20k/s would take a whole core here), so this is a flood;
# it is paced because the attacker shares the machine's two CPUs with both
# daemons and iperf3 (unpaced, Python alone takes one of them).
FLOOD_RATE=${FLOOD_RATE:-40000}

nt_mg_and_wggo
inB ip addr add "$FLOOD_SRC/24" dev "$VB"
check "tunnel up before the flood" ping_ok "$NS_A" "$T_B4"

nt_iperf_server

# The stream: 2 s alone, then FLOOD_SECS under the flood, then 1 s after.
DUR=$((FLOOD_SECS + 3))
timeout $((DUR + 20)) ip netns exec "$NS_A" iperf3 -c "$T_B4" -t "$DUR" -i 1 -J >"$NT_DIR/iperf.json" 2>&1 &
IPERF=$!
NT_PIDS+=("$IPERF")
sleep 2
before=$(mg "$NS_A" "$IF_A" status --json)
# The flood comes from its own address (the rate limiter is per source).
timeout $((FLOOD_SECS + 10)) ip netns exec "$NS_B" python3 "$HERE/nettool.py" flood \
	"$UL_A" 51821 "$PUB_A" "$FLOOD_SECS" "$FLOOD_RATE" "$FLOOD_SRC" >"$NT_DIR/flood.txt" 2>&1 || true
wait "$IPERF" || true
log "flood: $(cat "$NT_DIR/flood.txt")"

flood_field() { awk -v k="$1" '/^sent/{for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1)}' "$NT_DIR/flood.txt"; }
sent=$(flood_field sent)
cookies=$(flood_field cookies)
opened=$(flood_field opened)
mac2=$(flood_field mac2)
badcookies=$(flood_field bad)
st=$(mg "$NS_A" "$IF_A" status --json)
delta() { jq -n --argjson a "$before" --argjson b "$st" "\$b.counters.$1 - \$a.counters.$1"; }
tx_cookie=$(delta tx_cookie)
ratelimited=$(delta drop_ratelimit)
processed=$(delta drop_decrypt) # garbage initiations that reached the public-key work
rcvbuf=$(ip netns exec "$NS_A" nstat -asz UdpRcvbufErrors Udp6RcvbufErrors | awk '/Rcvbuf/{s+=$2} END{print s+0}')
log "UDP receive-buffer drops at meshguard: $rcvbuf"
log "counters: $(jq -c '.counters | {rx_handshake, tx_handshake, tx_cookie, drop_mac, drop_ratelimit, drop_queue_full, drop_decrypt, handshake_queue_len}' <<<"$st")"
check "the flood was a flood ($sent initiations in ${FLOOD_SECS}s)" test "${sent:-0}" -gt $((FLOOD_SECS * FLOOD_RATE / 2))
check "meshguard sent cookie replies (counter $tx_cookie)" test "${tx_cookie:-0}" -gt 0
check "the flooder received cookie replies ($cookies)" test "${cookies:-0}" -gt 0
check "the flooder decrypted cookies ($opened, $badcookies that did not decrypt)" \
	test "${opened:-0}" -ge 1 -a "${badcookies:-1}" = 0
check "most of the flood carried a valid MAC2 ($mac2 of $sent)" test $((${mac2:-0} * 10)) -ge $((${sent:-0} * 8))
# Of the MAC2 initiations that reached meshguard (the rest overflowed its socket
# buffer), the rate limiter (20/s, burst 5) must have stopped most: only while the
# under-load state lapses (1 s after the queue last held an eighth of its size)
# are handshakes queued unchecked again, and that refills the queue at once.
reached=$((${mac2:-0} - rcvbuf))
check "the rate limiter dropped most of the MAC2 initiations ($ratelimited of $reached that reached it; $rcvbuf overflowed the socket)" \
	test "${ratelimited:-0}" -gt 0 -a $((${ratelimited:-0} * 10)) -ge $((reached * 8))
check "few of them cost public-key work ($processed processed)" \
	test $((${processed:-0} * 10)) -le "${ratelimited:-0}"

# Every 1-second interval of the stream, flood included, moved data.
jq -r '.intervals[].sum.bits_per_second / 1e6 | floor' "$NT_DIR/iperf.json" >"$NT_DIR/intervals.txt" || true
log "iperf3 Mbit/s per second: $(tr '\n' ' ' <"$NT_DIR/intervals.txt")"
n=$(wc -l <"$NT_DIR/intervals.txt")
min=$(sort -n "$NT_DIR/intervals.txt" | head -1)
ref=$(head -2 "$NT_DIR/intervals.txt" | sort -n | tail -1)
# seconds 3..(2+FLOOD_SECS) of the stream are the flooded ones
flooded=$(sed -n "3,$((2 + FLOOD_SECS))p" "$NT_DIR/intervals.txt" | awk '{s+=$1} END{print (NR ? int(s/NR) : 0)}')
check "the stream ran through the flood ($n intervals)" test "$n" -ge "$DUR"
check "it never stalled: every second moved data (slowest ${min:-0} Mbit/s)" test "${min:-0}" -ge 1
check "under the flood it kept at least a tenth of its rate (${flooded:-0} of ${ref:-0} Mbit/s)" \
	test $((${flooded:-0} * 10)) -ge "${ref:-1}"
check "the session survived the flood" ping_ok "$NS_A" "$T_B4"
