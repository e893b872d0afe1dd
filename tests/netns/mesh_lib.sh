# shellcheck shell=bash
# Helpers for the multi-node mesh tests (sourced after lib.sh, not run).
#
# Topology built by mesh_lan N (addresses exist only inside the namespaces):
#
#   ${NT_ID}h  (hub)  bridge ${NT_ID}br
#     ├── veth ── ${NT_ID}n1   192.168.242.1/24  fd00:242::1/64
#     ├── veth ── ${NT_ID}n2   192.168.242.2/24  fd00:242::2/64
#     └── ...     ${NT_ID}nN
#
# Node i (1-based) has: NS[i] namespace, IFN[i] interface (also the name of
# its runtime paths), CFG[i] config directory, UL4[i]/UL6[i] underlay
# addresses, and once it has an identity ID[i] (identity key, base64),
# M4[i]/M6[i] (mesh addresses), NAME[i] (certificate name).
#
# Every node listens on MESH_PORT (51821) in its own namespace. Node 1 is the
# org admin (org/org.key in its config directory) and the seed.

MESH_PORT=51821
NS=() IFN=() CFG=() UL4=() UL6=() ID=() M4=() M6=() NAME=() PID=()

mesh_lan() { # N
	local n=$1 i hub=${NT_ID}h br=${NT_ID}br
	nt_netns "$hub"
	ip -n "$hub" link add "$br" type bridge
	ip -n "$hub" link set "$br" up
	for i in $(seq 1 "$n"); do
		NS[i]=${NT_ID}n$i
		IFN[i]=${NT_ID}m$i
		CFG[i]=$NT_DIR/n$i
		UL4[i]=192.168.242.$i
		UL6[i]=fd00:242::$i
		nt_netns "${NS[i]}"
		ip link add "${NT_ID}v$i" netns "${NS[i]}" type veth peer name "${NT_ID}p$i" netns "$hub"
		ip -n "$hub" link set "${NT_ID}p$i" master "$br" up
		ip -n "${NS[i]}" addr add "${UL4[i]}/24" dev "${NT_ID}v$i"
		ip -n "${NS[i]}" addr add "${UL6[i]}/64" dev "${NT_ID}v$i" nodad
		ip -n "${NS[i]}" link set "${NT_ID}v$i" up
	done
	for i in $(seq 2 "$n"); do
		wait_until 5 ip netns exec "${NS[i]}" ping -c1 -W1 "${UL4[1]}" ||
			die "underlay: node $i cannot reach node 1"
	done
}

# mg_cli i args...: the meshguard CLI in node i's config directory (no daemon).
mg_cli() {
	local i=$1
	shift
	"$MESHGUARD" --config-dir "${CFG[i]}" "$@"
}

# mesh_identity i: a fresh identity for node i (meshguard keygen); sets ID, M4, M6.
mesh_identity() {
	local i=$1
	mkdir -p "${CFG[i]}"
	chmod 700 "${CFG[i]}"
	mg_cli "$i" keygen >/dev/null
	ID[i]=$(cat "${CFG[i]}/identity.pub")
	read -r "M4[i]" "M6[i]" < <(python3 "$HERE/nettool.py" meshaddr "${ID[i]}")
}

# mesh_org_init: node 1 creates the org key.
mesh_org_init() {
	mg_cli 1 org-keygen >/dev/null
	ORG_PUB=$(cat "${CFG[1]}/org/org.pub")
}

# mesh_org_member i name [org-sign options...]: the admin (node 1) signs node
# i's certificate; node i installs it as node.cert and trusts the org.
mesh_org_member() {
	local i=$1 name=$2
	shift 2
	NAME[i]=$name
	cp "${CFG[i]}/identity.pub" "$NT_DIR/$name.pub"
	mg_cli 1 org-sign "$NT_DIR/$name.pub" --name "$name" --out "$NT_DIR/$name.cert" --force "$@" >/dev/null
	cp "$NT_DIR/$name.cert" "${CFG[i]}/node.cert"
	mg_cli "$i" trust --org "$ORG_PUB" --name acme >/dev/null
}

# mesh_start i [extra up options...]: start node i's daemon, announcing its
# underlay address; every node but 1 uses node 1 as its seed. Sets PID[i].
mesh_start() {
	local i=$1 seed=()
	shift
	[ "$i" -ne 1 ] && seed=(--seed "${UL4[1]}:$MESH_PORT")
	nt_meshguard "${NS[i]}" "${CFG[i]}" "${IFN[i]}" --listen-port "$MESH_PORT" \
		--advertise "${UL4[i]}:$MESH_PORT" "${seed[@]}" "$@"
	PID[i]=$MG_PID
}

# mesh_stop i: SIGTERM and wait (bounded) until the daemon is gone.
mesh_stop() {
	local i=$1
	kill -TERM "${PID[i]}" 2>/dev/null || true
	wait_until 10 sh -c "! kill -0 ${PID[i]} 2>/dev/null" || die "node $i did not stop"
}

# mesh_kill i: SIGKILL (no goodbye), wait until the process is gone.
mesh_kill() {
	local i=$1
	kill -KILL "${PID[i]}" 2>/dev/null || true
	wait_until 5 sh -c "! kill -0 ${PID[i]} 2>/dev/null" || die "node $i survived SIGKILL"
}

# mesh_status i: node i's status reply (JSON).
mesh_status() {
	mg "${NS[$1]}" "${IFN[$1]}" status --json
}

# mesh_member_field i j jq-expr: a field of node i's member record for node j
# (empty when i does not know j).
mesh_member_field() {
	mesh_status "$1" | jq -r --arg id "${ID[$2]}" ".members[] | select(.identity == \$id) | $3"
}

# mesh_sees i j: node i has node j as an alive member with a WireGuard peer.
mesh_sees() {
	test "$(mesh_member_field "$1" "$2" '[.state, .peer] | @tsv')" = "$(printf 'alive\ttrue')"
}

# mesh_converged "i j k...": every listed node sees every other listed node.
mesh_converged() {
	local i j
	for i in $1; do
		for j in $1; do
			[ "$i" = "$j" ] && continue
			mesh_sees "$i" "$j" || return 1
		done
	done
}

# mesh_has_peer i j: node i has a WireGuard peer for node j (its converted key).
mesh_has_peer() {
	test "$(mesh_member_field "$1" "$2" '.peer')" = true
}

# mesh_no_peer_key i wgkey: node i has no WireGuard peer with this public key.
mesh_no_peer_key() {
	! ip netns exec "${NS[$1]}" wg show "${IFN[$1]}" peers | grep -qxF "$2"
}

# mesh_ping i j 4|6: node i pings node j's mesh address through the tunnel.
mesh_ping() {
	local dst
	if [ "$3" = 4 ]; then dst=${M4[$2]}; else dst=${M6[$2]}; fi
	ping_ok "${NS[$1]}" "$dst"
}

# mesh_ping_all "i j k...": every ordered pair over IPv4 and IPv6, all at
# once; logs the failures, returns non-zero if any.
mesh_ping_all() {
	local i j fam k pids=() what=() bad=0
	for i in $1; do
		for j in $1; do
			[ "$i" = "$j" ] && continue
			for fam in 4 6; do
				mesh_ping "$i" "$j" "$fam" &
				pids+=($!)
				what+=("IPv$fam node $i -> node $j")
			done
		done
	done
	for k in "${!pids[@]}"; do
		if ! wait "${pids[k]}"; then
			log "ping ${what[k]} failed"
			bad=1
		fi
	done
	return "$bad"
}

# mesh_wg_key i: node i's WireGuard public key.
mesh_wg_key() {
	mg_cli "$1" export --wg
}
