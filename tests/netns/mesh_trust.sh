#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Trust paths and reloads of a running mesh:
#   1. `up` with an empty trust store refuses (and says why) unless --open;
#   2. two nodes that trust each other by authorized_keys only form a mesh
#      and ping over IPv4 and IPv6;
#   3. a stock wireguard-go device, configured with `wg` as a static peer of
#      node 1 (peers/phone.conf), reaches node 1 and node 1 reaches it;
#   4. a third node with an org certificate that expires while everyone runs
#      is a member until its expiry second, then removed on every node;
#      renewed by the admin and copied over node.cert, it is back at once;
#   5. reload without restart: a broken file in authorized_keys/ is reported
#      with its path and the old state kept; removing node 2's key drops its
#      tunnel on node 1 (inotify); SIGHUP applies a restored key.
. "$(dirname "$0")/lib.sh"
. "$HERE/mesh_lib.sh"
nt_skip_unless_ready jq python3 ping b3sum wg wireguard-go

mesh_lan 4
for i in 1 2 3; do mesh_identity "$i"; done

# ---- 1. never silently open ----------------------------------------------------------------
out=$(MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 10 ip netns exec "${NS[1]}" "$MESHGUARD" \
	--config-dir "${CFG[1]}" up --interface "${IFN[1]}" 2>&1) && rc=0 || rc=$?
check "empty trust store: up refuses (rc=$rc)" test "$rc" -ne 0
check "...and says how to fix it" grep -q 'no trusted peers and no trusted orgs.*--open' <<<"$out"
check "...leaving no interface behind" sh -c "! ip -n ${NS[1]} link show ${IFN[1]} >/dev/null 2>&1"
nt_meshguard "${NS[1]}" "${CFG[1]}" "${IFN[1]}" --open
check "--open starts and the summary says the trust mode is open" \
	grep -q '^trust: open' "$NT_DIR/mg-${IFN[1]}.log"
mg "${NS[1]}" "${IFN[1]}" down >/dev/null
mv "$NT_DIR/mg-${IFN[1]}.log" "$NT_DIR/mg-${IFN[1]}-open.log"

# ---- 2. two nodes, authorized_keys only ------------------------------------------------------
mg_cli 1 trust "${CFG[2]}/identity.pub" --name bob >/dev/null
mg_cli 2 trust "${CFG[1]}/identity.pub" --name alice >/dev/null

# ---- 3. (set-up) wireguard-go in node 4's namespace, a static peer of node 1 ---------------
WGGO_IF=${NT_ID}w
(umask 077 && wg genkey >"$NT_DIR/phone.key")
PHONE_PUB=$(wg pubkey <"$NT_DIR/phone.key")
PHONE4=10.98.0.4
mkdir -p "${CFG[1]}/peers"
printf '# a plain WireGuard device\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n' \
	"$PHONE_PUB" "$PHONE4" >"${CFG[1]}/peers/phone.conf"

for i in 1 2; do mesh_start "$i"; done
check "startup summary: identity, interface, port, trust mode, seeds" sh -c "
	grep -q '^meshguard .* up: identity ${ID[2]}' '$NT_DIR/mg-${IFN[2]}.log' &&
	grep -q '^interface ${IFN[2]}, UDP port $MESH_PORT, mesh ${M4[2]}/16' '$NT_DIR/mg-${IFN[2]}.log' &&
	grep -q '^trust: authorized_keys (1 authorized keys' '$NT_DIR/mg-${IFN[2]}.log' &&
	grep -q '^seeds: ${UL4[1]}:$MESH_PORT' '$NT_DIR/mg-${IFN[2]}.log'"
check "authorized_keys only: nodes 1 and 2 meet" wait_until 20 mesh_converged "1 2"
check "trust path is the authorized key, named by its file" \
	test "$(mesh_member_field 1 2 '[.trust, .name] | @tsv')" = "$(printf 'key\tbob')"
check "nodes 1 and 2 ping over IPv4 and IPv6" mesh_ping_all "1 2"

nt_wggo "${NS[4]}" "$WGGO_IF"
ip netns exec "${NS[4]}" wg set "$WGGO_IF" private-key "$NT_DIR/phone.key" listen-port 51820 \
	peer "$(mesh_wg_key 1)" endpoint "${UL4[1]}:$MESH_PORT" allowed-ips "${M4[1]}/32" persistent-keepalive 5
ip -n "${NS[4]}" addr add "$PHONE4/32" dev "$WGGO_IF"
ip -n "${NS[4]}" link set "$WGGO_IF" mtu 1420 up
ip -n "${NS[4]}" route add "${M4[1]}/32" dev "$WGGO_IF"
check "wireguard-go (static peer of node 1) pings node 1's mesh address" ping_ok "${NS[4]}" "${M4[1]}"
check "node 1 pings the wireguard-go device" ping_ok "${NS[1]}" "$PHONE4"
check "node 1's status lists the static peer by its file name, with a handshake" \
	test "$(mesh_status 1 | jq -r --arg k "$PHONE_PUB" '.peers[] | select(.public_key == $k) | [.name, .source, (.last_handshake > 0)] | @tsv')" = \
	"$(printf 'phone\tstatic\ttrue')"
check "wg show on wireguard-go: a handshake with node 1" \
	sh -c "ip netns exec ${NS[4]} wg show $WGGO_IF latest-handshakes | awk '{exit !(\$2 > 0)}'"

# ---- 4. a certificate that expires while everyone runs -------------------------------------
mesh_org_init
for i in 1 2; do mg_cli "$i" trust --org "$ORG_PUB" --name acme >/dev/null; done
mesh_org_member 3 carol --expires 25s
# carol has a certificate; nodes 1 and 2 have none, so she trusts their keys.
mg_cli 3 trust "${CFG[1]}/identity.pub" --name alice >/dev/null
mg_cli 3 trust "${CFG[2]}/identity.pub" --name bob >/dev/null
EXPIRES=$(mg_cli 3 cert show "${CFG[3]}/node.cert" | sed -n 's/^ *expires: *//p' | head -1)
EXP_UNIX=$(python3 -c "
import struct,sys
d=open('${CFG[3]}/node.cert','rb').read()
print(struct.unpack_from('<q', d, 105)[0])  # expires_at, i64 LE (upstream-trust-cli.md §5)")
log "carol's certificate expires at $EXP_UNIX ($EXPIRES)"
mesh_start 3
check "node 3 (org certificate) joins nodes 1 and 2" wait_until 15 mesh_converged "1 2 3"
check "node 1 pings node 3 while its certificate is valid" mesh_ping 1 3 4
gone_3() { mesh_no_peer_key "$1" "$(mesh_wg_key 3)" && [ "$(mesh_member_field "$1" 3 .state)" != alive ]; }
wait_s=$((EXP_UNIX - $(date +%s) - 3))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
check "3 s before its expiry node 3 is still a member on node 1" mesh_sees 1 3
check "...and on node 2" mesh_sees 2 3
both_gone() { gone_3 1 && gone_3 2; }
wait_until 15 both_gone && removed_at=$(date +%s.%N) || removed_at=
check "at expiry, nodes 1 and 2 remove node 3 and its peer" test -n "$removed_at"
if [ -n "$removed_at" ]; then
	late=$(python3 -c "print(f'{$removed_at - $EXP_UNIX:.2f}')")
	log "removed ${late} s after the expiry second (both nodes, polled)"
	check "...within 2 s of the expiry second" python3 -c "import sys; sys.exit(0 if $removed_at - $EXP_UNIX < 2 else 1)"
fi
check "node 1 logs why" grep -qF "member ${ID[3]:0:8} (carol) removed: certificate expired" "$NT_DIR/mg-${IFN[1]}.log"
check "nodes 1 and 2 still ping each other" mesh_ping_all "1 2"

# ---- 4b. the admin renews the certificate: the running node presents it, and is back ---------
mg_cli 1 org-sign "$NT_DIR/carol.pub" --name carol --expires 1d --out "$NT_DIR/carol2.cert" >/dev/null
cp "$NT_DIR/carol2.cert" "${CFG[3]}/node.cert.new"
mv "${CFG[3]}/node.cert.new" "${CFG[3]}/node.cert"
check "node 3 reloads and presents its renewed certificate" \
	wait_until 10 grep -qF "reload: presenting the new node.cert ('carol')" "$NT_DIR/mg-${IFN[3]}.log"
check "...and nodes 1 and 2 admit it again, without a restart" wait_until 20 mesh_converged "1 2 3"
check "...and it pings" mesh_ping_all "1 3"

# ---- 5. reload ---------------------------------------------------------------------------------
printf 'not a key\n' >"${CFG[1]}/authorized_keys/broken.pub"
check "a broken key file: reload fails naming the file" \
	wait_until 10 grep -q "reload failed: .*authorized_keys/broken.pub" "$NT_DIR/mg-${IFN[1]}.log"
check "...and the old state is kept: node 2 still a member with a tunnel" mesh_sees 1 2
check "...and still pings" mesh_ping 1 2 4
rm "${CFG[1]}/authorized_keys/broken.pub"
mv "${CFG[1]}/authorized_keys/bob.pub" "$NT_DIR/bob.pub.saved"
gone_2() { mesh_no_peer_key 1 "$(mesh_wg_key 2)" && [ "$(mesh_member_field 1 2 .state)" != alive ]; }
check "untrusting node 2 (its file removed): node 1 drops its tunnel" wait_until 10 gone_2
check "...and logs it" grep -qF "member ${ID[2]:0:8} (bob) removed: unknown identity" "$NT_DIR/mg-${IFN[1]}.log"
check "...node 2 no longer reaches node 1" sh -c "! timeout 5 ip netns exec ${NS[2]} ping -n -q -c 2 -W 1 ${M4[1]} >/dev/null 2>&1"
check "the static wireguard-go peer is untouched" ping_ok "${NS[4]}" "${M4[1]}"
kill -STOP "${PID[1]}" # hold node 1 so that inotify cannot apply the file before SIGHUP
cp "$NT_DIR/bob.pub.saved" "${CFG[1]}/authorized_keys/bob.pub"
kill -HUP "${PID[1]}"
kill -CONT "${PID[1]}"
check "SIGHUP: the restored key is applied" wait_until 10 grep -q 'reload (SIGHUP)' "$NT_DIR/mg-${IFN[1]}.log"
check "...and node 2 is back with a tunnel" wait_until 20 mesh_converged "1 2"
check "...and pings" mesh_ping_all "1 2"

log "$NT_CHECKS checks, $NT_FAILED failed"
[ "$NT_FAILED" -eq 0 ]
