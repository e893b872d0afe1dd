#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# IPv4 mesh-address collisions (16 bits of hash): two identities that derive
# the same 10.99.x.y are found by brute force, trust each other through
# authorized_keys and meet by gossip. The smaller identity key keeps the
# address on both sides' view; the other node drops it from its interface,
# both log the collision, `status` shows it, and IPv6 keeps working. When
# the winner leaves, the loser takes its address back.
. "$(dirname "$0")/lib.sh"
nt_skip_unless_ready jq python3 ping b3sum

nt_two_hosts
IF_A=${NT_ID}x
IF_B=${NT_ID}y
CFG_A=$NT_DIR/a
CFG_B=$NT_DIR/b

# Two seeds whose identity keys map to the same mesh IPv4 address (birthday
# bound on 16 bits: a few hundred keys). Prints "<v4> <winner a|b>".
read -r V4 WINNER < <(python3 - "$CFG_A" "$CFG_B" <<'EOF'
import base64, os, subprocess, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

def v4(pk):
    h = subprocess.run(["b3sum", "--raw", "-l", "2"], input=pk, capture_output=True,
                       check=True).stdout
    a, b = h[0], h[1]
    b = 1 if b == 0 else 254 if b == 255 else b
    a = 1 if a == 0 else a
    return f"10.99.{a}.{b}"

def write(d, seed, pk):
    os.makedirs(os.path.join(d, "peers"), mode=0o700, exist_ok=True)
    os.chmod(d, 0o700)
    fd = os.open(os.path.join(d, "identity.key"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(seed + pk).decode() + "\n")
    with open(os.path.join(d, "identity.pub"), "w") as f:
        f.write(base64.b64encode(pk).decode() + "\n")

seen = {}
for _ in range(20000):
    seed = os.urandom(32)
    pk = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    a = v4(pk)
    if a in seen:
        (s1, p1) = seen[a]
        write(sys.argv[1], s1, p1)
        write(sys.argv[2], seed, pk)
        print(a, "a" if p1 < pk else "b")
        sys.exit(0)
    seen[a] = (seed, pk)
sys.exit(1)
EOF
) || die "no colliding identities found"
log "colliding identities on $V4; winner (smaller key): $WINNER"

"$MESHGUARD" --config-dir "$CFG_A" trust "$(cat "$CFG_B/identity.pub")" --name bob >/dev/null
"$MESHGUARD" --config-dir "$CFG_B" trust "$(cat "$CFG_A/identity.pub")" --name alice >/dev/null

nt_meshguard "$NS_A" "$CFG_A" "$IF_A" --advertise "$UL_A:51821"
PID_A=$MG_PID
check "A holds $V4 while alone" sh -c "ip -n $NS_A -4 -o addr show dev $IF_A | grep -q '$V4/16'"
nt_meshguard "$NS_B" "$CFG_B" "$IF_B" --advertise "$UL_B:51821" --seed "$UL_A:51821"
PID_B=$MG_PID

if [ "$WINNER" = a ]; then
	W_NS=$NS_A W_IF=$IF_A L_NS=$NS_B L_IF=$IF_B W_PID=$PID_A
else
	W_NS=$NS_B W_IF=$IF_B L_NS=$NS_A L_IF=$IF_A W_PID=$PID_B
fi
joined() { # ns ifname
	test "$(mg "$1" "$2" status --json | jq '[.members[] | select(.state=="alive" and .peer)] | length')" = 1
}
wait_until 15 joined "$NS_A" "$IF_A" && wait_until 15 joined "$NS_B" "$IF_B" || die "A and B did not meet"

lost() { ! ip -n "$L_NS" -4 -o addr show dev "$L_IF" | grep -q "$V4/16"; }
check "the loser removed $V4 from its interface" wait_until 5 lost
check "the winner keeps $V4" sh -c "ip -n $W_NS -4 -o addr show dev $W_IF | grep -q '$V4/16'"
check "both sides log the collision" \
	wait_until 5 sh -c "grep -q 'ipv4 collision' '$NT_DIR/mg-$IF_A.log' && grep -q 'ipv4 collision' '$NT_DIR/mg-$IF_B.log'"
ws=$(mg "$W_NS" "$W_IF" status --json)
ls=$(mg "$L_NS" "$L_IF" status --json)
check "winner's status: collision, address kept" test "$(jq -r '.ipv4_collision.kept' <<<"$ws")" = true
check "loser's status: collision, address given up" test "$(jq -r '.ipv4_collision.kept' <<<"$ls")" = false
check "loser's status shows no mesh IPv4" test "$(jq -r '.mesh_ipv4' <<<"$ls")" = null
check "winner's member view of the loser has no IPv4" \
	test "$(jq -r '.members[0].mesh_ipv4' <<<"$ws")" = null
check "loser's member view of the winner keeps $V4" \
	test "$(jq -r '.members[0].mesh_ipv4' <<<"$ls")" = "$V4"
check "loser's WireGuard peer (the winner) routes $V4/32" \
	test "$(jq -r '[.peers[0].allowed_ips[]] | index("'"$V4"'/32") != null' <<<"$ls")" = true
check "winner's WireGuard peer (the loser) has only its /128" \
	test "$(jq -r '[.peers[0].allowed_ips[]] | length' <<<"$ws")" = 1

W6=$(mesh_ip "$W_NS" "$W_IF" 6)
L6=$(mesh_ip "$L_NS" "$L_IF" 6)
check "IPv6 loser -> winner" ping_ok "$L_NS" "$W6"
check "IPv6 winner -> loser" ping_ok "$W_NS" "$L6"

# ---- the winner leaves: the address is free again -----------------------------------------
kill -TERM "$W_PID"
wait_until 10 sh -c "! kill -0 $W_PID 2>/dev/null" || die "the winner did not stop"
regained() { ip -n "$L_NS" -4 -o addr show dev "$L_IF" | grep -q "$V4/16"; }
check "the loser takes $V4 back once the winner left" wait_until 10 regained
check "...and logs it" grep -q 'ipv4 collision resolved' "$NT_DIR/mg-$L_IF.log"
check "loser's status: no collision any more" \
	test "$(mg "$L_NS" "$L_IF" status --json | jq -r '.ipv4_collision')" = null

log "$NT_CHECKS checks, $NT_FAILED failed"
[ "$NT_FAILED" -eq 0 ]
