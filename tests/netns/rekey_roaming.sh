#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# meshguard <-> wireguard-go: a rekey observed without losing the session, and
# roaming both ways.
#
#   rekey    meshguard runs with MESHGUARD_TEST_TIME_SCALE=20 (test only: every
#            protocol timer divided by 20, so REKEY_AFTER_TIME is 6 s and
#            REJECT_AFTER_TIME 9 s). It initiates, then a steady ping runs for
#            longer than two key lifetimes: new handshakes happen, the
#            handshake time moves, and no ping is lost.
#   roaming  wireguard-go changes its listen port (a NAT rebinding as seen by
#            meshguard): its next authenticated packet moves meshguard's
#            endpoint and replies follow. Then meshguard changes its own port
#            through `wg set` and wireguard-go follows it the same way.
. "$(dirname "$0")/lib.sh"
nt_skip_unless_ready wireguard-go wg jq python3 ping

nt_two_hosts
MESHGUARD_TEST_TIME_SCALE=20 nt_mg_and_wggo
check "the test time scale is announced in the log" grep -q 'TEST TIME SCALE' "$NT_DIR/mg-$IF_A.log"

# ---- rekey -------------------------------------------------------------------------------------
check "first handshake (meshguard initiates)" ping_ok "$NS_A" "$T_B4"
hs0=$(inA wg show "$IF_A" latest-handshakes | cut -f2)
tx0=$(mg_counter "$NS_A" "$IF_A" tx_handshake)
# 20 s at 10 pings a second: more than three 6-second key lifetimes.
timeout 40 ip netns exec "$NS_A" ping -n -q -i 0.1 -c 200 -W 1 "$T_B4" >"$NT_DIR/ping.txt" 2>&1 || true
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$NT_DIR/ping.txt")
hs1=$(inA wg show "$IF_A" latest-handshakes | cut -f2)
tx1=$(mg_counter "$NS_A" "$IF_A" tx_handshake)
check "rekeyed under traffic: handshakes sent $tx0 -> $tx1" test "$tx1" -ge $((tx0 + 2))
check "handshake time moved ($hs0 -> $hs1)" test "$hs1" -gt "$hs0"
check "no ping lost across the rekeys (loss ${loss:-?}%)" test "${loss:-100}" = 0
check "wireguard-go agrees: recent handshake" \
	test $(($(date +%s) - $(inB wg show "$IF_B" latest-handshakes | cut -f2))) -lt 10

# ---- roaming: the peer moves -------------------------------------------------------------------
check "endpoint before roaming" test "$(inA wg show "$IF_A" endpoints | cut -f2)" = "$UL_B:51820"
inB wg set "$IF_B" listen-port 51830
check "traffic from the new port gets answers" ping_ok "$NS_B" "$M4"
check "meshguard's endpoint followed the peer to :51830" \
	test "$(inA wg show "$IF_A" endpoints | cut -f2)" = "$UL_B:51830"
check "meshguard-originated traffic reaches the new port" ping_ok "$NS_A" "$T_B4"

# ---- roaming: meshguard moves ------------------------------------------------------------------
inA wg set "$IF_A" listen-port 51840
check "wg set listen-port rebinds meshguard" \
	sh -c "ip netns exec $NS_A ss -ulnH 'sport = :51840' | grep -q 51840"
check "the old port is released" sh -c "! ip netns exec $NS_A ss -ulnH 'sport = :51821' | grep -q 51821"
check "traffic from meshguard's new port gets answers" ping_ok "$NS_A" "$T_B4"
check "wireguard-go's endpoint followed meshguard to :51840" \
	test "$(inB wg show "$IF_B" endpoints | cut -f2)" = "$UL_A:51840"
check "status reports the new port" test "$(mg "$NS_A" "$IF_A" status --json | jq .listen_port)" = 51840

kill -TERM "$MG_PID"
check "SIGTERM: daemon exits" wait_until 5 sh -c "! kill -0 $MG_PID 2>/dev/null"
check "SIGTERM: interface and sockets removed" \
	sh -c "! ip -n $NS_A link show $IF_A >/dev/null 2>&1 && test ! -e /var/run/wireguard/$IF_A.sock && test ! -e $NT_DIR/run/$IF_A.sock"
