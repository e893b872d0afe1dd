#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# meshguard <-> wireguard-go (configured with stock wg) in two namespaces:
#   handshakes initiated from either side, ping over IPv4 and IPv6 inside the
#   tunnel, an IPv6 underlay, iperf3 TCP both ways, `wg show` against meshguard
#   (handshake time, transfer counters), `wg set` and `wg syncconf` taking
#   effect, `meshguard status`, packets with a wrong inner source dropped, a
#   replayed data packet dropped, preshared keys (one side only fails, both
#   sides work), `meshguard down` removing everything.
. "$(dirname "$0")/lib.sh"
nt_skip_unless_ready wireguard-go wg iperf3 jq python3 tcpdump ping

nt_two_hosts
PORT_A=51821
PORT_B=51820
nt_mg_and_wggo
log "meshguard $IF_A: $PUB_A $M4 $M6"
check "interface MTU 1420 and up" sh -c "ip -n $NS_A link show $IF_A | grep -q 'mtu 1420.*UP\|UP.*mtu 1420'"
check "route 10.99.0.0/16 via the interface" sh -c "ip -n $NS_A route show 10.99.0.0/16 | grep -q 'dev $IF_A'"
check "route fd99:6d67::/64 via the interface" sh -c "ip -n $NS_A -6 route show fd99:6d67::/64 | grep -q 'dev $IF_A'"
check "route for the static peer's AllowedIPs" sh -c "ip -n $NS_A route show $T_B4 | grep -q 'dev $IF_A'"
check "UAPI socket directory is 0700" test "$(stat -c %a /var/run/wireguard)" = 700
check "control socket mode 0660" test "$(stat -c %a "$NT_DIR/run/$IF_A.sock")" = 660

# ---- 1. meshguard initiates (wireguard-go does not know its endpoint yet) ----------------
check "meshguard-initiated handshake: ping 10.98.0.2" ping_ok "$NS_A" "$T_B4"
check "wireguard-go learned meshguard's endpoint" \
	sh -c "ip netns exec $NS_B wg show $IF_B endpoints | grep -q '$UL_A:$PORT_A'"
hs_tx=$(mg_counter "$NS_A" "$IF_A" tx_initiation)
hs_rx=$(mg_counter "$NS_A" "$IF_A" rx_response)
check "meshguard sent the initiation (tx_initiation=$hs_tx) and consumed the response (rx_response=$hs_rx)" \
	test "$hs_tx" -ge 1 -a "$hs_rx" -ge 1
check "ping IPv6 inside the tunnel A->B" ping_ok "$NS_A" "$T_B6"
check "ping IPv4 B->A" ping_ok "$NS_B" "$M4"
check "ping IPv6 B->A" ping_ok "$NS_B" "$M6"

# ---- 2. wireguard-go initiates: a fresh peer entry on its side ---------------------------
rx_hs0=$(mg_counter "$NS_A" "$IF_A" rx_initiation)
tx_r0=$(mg_counter "$NS_A" "$IF_A" tx_response)
inB wg set "$IF_B" peer "$PUB_A" remove
inB wg set "$IF_B" peer "$PUB_A" allowed-ips "$M4/32,$M6/128" endpoint "$UL_A:$PORT_A"
check "wireguard-go-initiated handshake: ping from B" ping_ok "$NS_B" "$M4"
rx_hs1=$(mg_counter "$NS_A" "$IF_A" rx_initiation)
tx_r1=$(mg_counter "$NS_A" "$IF_A" tx_response)
check "meshguard answered an initiation (initiations in $rx_hs0 -> $rx_hs1, responses out $tx_r0 -> $tx_r1)" \
	test "$rx_hs1" -gt "$rx_hs0" -a "$tx_r1" -gt "$tx_r0"
check "rx/tx_handshake are the sums of the split counters" test \
	"$(mg_counter "$NS_A" "$IF_A" rx_handshake)" -eq \
	"$(($(mg_counter "$NS_A" "$IF_A" rx_initiation) + $(mg_counter "$NS_A" "$IF_A" rx_response)))"

# ---- 3. IPv6 underlay ----------------------------------------------------------------------
inA wg set "$IF_A" peer "$PUB_B" endpoint "[$UL6_B]:$PORT_B"
inB wg set "$IF_B" peer "$PUB_A" endpoint "[$UL6_A]:$PORT_A"
check "tunnel over an IPv6 underlay" ping_ok "$NS_A" "$T_B4"
check "meshguard sends from its IPv6 socket" \
	sh -c "ip netns exec $NS_B wg show $IF_B endpoints | grep -q '\[$UL6_A\]:$PORT_A'"
inA wg set "$IF_A" peer "$PUB_B" endpoint "$UL_B:$PORT_B"
inB wg set "$IF_B" peer "$PUB_A" endpoint "$UL_A:$PORT_A"
ping_ok "$NS_A" "$T_B4" || true

# ---- 4. iperf3 TCP both ways ------------------------------------------------------------------
nt_iperf_server
up=$(iperf_run "$NS_A" "$T_B4" 3)
check "iperf3 TCP meshguard -> wireguard-go: $up Mbit/s" test "${up:-0}" -gt 10
down=$(iperf_run "$NS_A" "$T_B4" 3 -R)
check "iperf3 TCP wireguard-go -> meshguard: $down Mbit/s" test "${down:-0}" -gt 10

# ---- 5. wg show against meshguard -------------------------------------------------------------
dump=$(inA wg show "$IF_A" dump | sed -n 2p)
hs=$(cut -f5 <<<"$dump")
rx=$(cut -f6 <<<"$dump")
tx=$(cut -f7 <<<"$dump")
now=$(date +%s)
check "wg show: peer listed" test "$(cut -f1 <<<"$dump")" = "$PUB_B"
check "wg show: latest handshake within the last minute ($hs)" test $((now - hs)) -lt 60
check "wg show: transfer counters rx=$rx tx=$tx" test "$rx" -gt 1000000 -a "$tx" -gt 1000000
check "wg show: endpoint" test "$(cut -f3 <<<"$dump")" = "$UL_B:$PORT_B"
check "wg show: listening port" test "$(inA wg show "$IF_A" listen-port)" = "$PORT_A"
check "wg show: public key is the identity's" test "$(inA wg show "$IF_A" public-key)" = "$PUB_A"
check "wg showconf works" sh -c "ip netns exec $NS_A wg showconf $IF_A | grep -q 'PublicKey = $PUB_B'"

# ---- 6. meshguard status ----------------------------------------------------------------------
st=$(mg "$NS_A" "$IF_A" status --json)
check "status --json: interface and port" test "$(jq -r '.interface, .listen_port' <<<"$st" | tr '\n' ' ')" = "$IF_A $PORT_A "
check "status --json: peer name, endpoint, bytes" \
	test "$(jq -r ".peers[] | select(.public_key == \"$PUB_B\") | [.name, .endpoint, (.rx_bytes > 0), (.last_handshake > 0)] | @tsv" <<<"$st")" = "$(printf 'wggo\t%s\ttrue\ttrue' "$UL_B:$PORT_B")"
check "status (text) shows the peer" sh -c "MESHGUARD_RUNTIME_DIR=$NT_DIR/run ip netns exec $NS_A $MESHGUARD status --interface $IF_A | grep -q 'latest handshake: .* ago'"

# ---- 7. wg set / wg syncconf take effect --------------------------------------------------------
inA wg set "$IF_A" peer "$PUB_B" allowed-ips "$T_B4/32"
check "wg set allowed-ips: IPv6 no longer routed to the peer" sh -c "! timeout 5 ip netns exec $NS_A ping -n -c 2 -W 1 $T_B6 >/dev/null 2>&1"
check "wg set allowed-ips: IPv4 still flows" ping_ok "$NS_A" "$T_B4"
inA wg showconf "$IF_A" >"$NT_DIR/sync.conf"
sed -i "s|^AllowedIPs = .*|AllowedIPs = $T_B4/32, $T_B6/128\nPersistentKeepalive = 7|" "$NT_DIR/sync.conf"
inA wg syncconf "$IF_A" "$NT_DIR/sync.conf"
check "wg syncconf: IPv6 flows again" ping_ok "$NS_A" "$T_B6"
check "wg syncconf: keepalive applied" test "$(inA wg show "$IF_A" persistent-keepalive | cut -f2)" = 7
check "wg syncconf kept the private key" test "$(inA wg show "$IF_A" public-key)" = "$PUB_A"

# ---- 8. wrong inner source: dropped by cryptokey routing -----------------------------------------
drops0=$(mg_counter "$NS_A" "$IF_A" drop_allowedips)
inB ip addr add 10.98.0.99/32 dev "$IF_B"
timeout 10 ip netns exec "$NS_B" ping -n -q -c 3 -i 0.2 -W 1 -I 10.98.0.99 "$M4" >/dev/null 2>&1 && spoof_ok=1 || spoof_ok=0
drops1=$(mg_counter "$NS_A" "$IF_A" drop_allowedips)
check "wrong inner source gets no answer" test "$spoof_ok" = 0
check "wrong inner source counted as dropped ($drops0 -> $drops1)" test "$drops1" -ge $((drops0 + 3))

# ---- 9. a replayed data packet is dropped -----------------------------------------------------------
timeout 15 ip netns exec "$NS_A" tcpdump -i "$VA" -n -U -c 6 -w "$NT_DIR/data.pcap" \
	"udp and src host $UL_B and src port $PORT_B and greater 100" >/dev/null 2>"$NT_DIR/tcpdump.log" &
TCPD=$!
NT_PIDS+=("$TCPD")
wait_until 5 grep -q listening "$NT_DIR/tcpdump.log" || die "tcpdump did not start"
ping_ok "$NS_B" "$M4" -c 6
wait "$TCPD" 2>/dev/null || true
rep0=$(mg_counter "$NS_A" "$IF_A" drop_replay)
rx_before=$(inA wg show "$IF_A" transfer | cut -f2)
n=$(ip netns exec "$NS_B" python3 "$HERE/nettool.py" replay "$NT_DIR/data.pcap" "$UL_A" "$PORT_A")
sleep 0.5
rep1=$(mg_counter "$NS_A" "$IF_A" drop_replay)
check "replayed $n captured data packets: all dropped ($rep0 -> $rep1)" test "$n" -ge 1 -a "$rep1" -ge $((rep0 + n))
check "replayed packets did not move the endpoint" test "$(inA wg show "$IF_A" endpoints | cut -f2)" = "$UL_B:$PORT_B"

# ---- 9b. preshared keys (Noise_IKpsk2's psk) -----------------------------------------------------------
# wireguard-go forgets the peer and starts over with a PSK that meshguard does
# not have: its handshakes fail. Once meshguard has the same PSK (wg set over
# the UAPI), they succeed.
wg genpsk >"$NT_DIR/psk"
inB wg set "$IF_B" peer "$PUB_A" remove
inB wg set "$IF_B" peer "$PUB_A" preshared-key "$NT_DIR/psk" allowed-ips "$M4/32,$M6/128" endpoint "$UL_A:$PORT_A"
check "PSK on one side only: no tunnel" sh -c "! timeout 8 ip netns exec $NS_B ping -n -q -c 3 -i 0.5 -W 1 $M4 >/dev/null 2>&1"
inA wg set "$IF_A" peer "$PUB_B" preshared-key "$NT_DIR/psk"
check "wg show preshared-keys reads it back from meshguard" test "$(inA wg show "$IF_A" preshared-keys | cut -f2)" = "$(cat "$NT_DIR/psk")"
check "same PSK on both sides: the tunnel works again" wait_until 15 ping_ok "$NS_B" "$M4"
check "...with a fresh handshake" test $(( $(date +%s) - $(inA wg show "$IF_A" latest-handshakes | cut -f2) )) -lt 20

# ---- 10. meshguard down -----------------------------------------------------------------------------
mg "$NS_A" "$IF_A" down >/dev/null
check "down: daemon exited" wait_until 5 sh -c "! kill -0 $MG_PID 2>/dev/null"
check "down: interface removed" sh -c "! ip -n $NS_A link show $IF_A >/dev/null 2>&1"
check "down: UAPI socket removed" test ! -e "/var/run/wireguard/$IF_A.sock"
check "down: control socket removed" test ! -e "$NT_DIR/run/$IF_A.sock"
check "clean exit logged" grep -q '^stopped' "$NT_DIR/mg-$IF_A.log"
