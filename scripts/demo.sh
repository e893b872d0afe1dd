#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# meshguard demo: a live mesh of five nodes, each in its own network
# namespace on one virtual LAN, all with real TUN devices, real UDP and the
# real binary.
#
#   1. build (installs the Debian packages it needs);
#   2. five identities; node 1 is also the org admin: it creates the org key
#      and signs a certificate for every node; every node trusts the org;
#   3. node 1 starts alone; nodes 2-5 start with node 1 as their only seed;
#   4. wait until every node sees the four others (gossip) and has a
#      WireGuard peer for each;
#   5. `meshguard status` on one node, then every pair pings over IPv4 and
#      IPv6 through the tunnels, and `meshguard ping` by name;
#   6. the admin revokes node 5: every node drops its tunnel.
#
# Everything (namespaces, daemons, files) is removed at the end, also on
# failure or Ctrl-C. Exit status 0 only if every pair could ping.
#
#   sudo ./scripts/demo.sh          (MESHGUARD_BUILD_DIR picks the build directory,
#                                    NT_KEEP=1 keeps the config directories and logs)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, TUN devices): sudo $0" >&2
	exit 1
fi

BUILD=${MESHGUARD_BUILD_DIR:-build}
STEP=0
step() {
	STEP=$((STEP + 1))
	printf '\n\033[1m== %d. %s\033[0m\n' "$STEP" "$*"
}
say() { printf '   %s\n' "$*"; }
show() { printf '\033[2m%s\033[0m\n' "$*"; } # a command, as the user would type it

step "Build"
./scripts/install-deps.sh
if [ ! -d "$BUILD" ]; then
	meson setup "$BUILD" -Dbuildtype=release >/dev/null
fi
ninja -C "$BUILD" >/dev/null
export MESHGUARD=$PWD/$BUILD/cli/meshguard
say "built $MESHGUARD ($("$MESHGUARD" version))"

# The namespace plumbing is the test suite's (tests/netns/lib.sh, mesh_lib.sh):
# unique names, bounded waits, and an EXIT trap that stops every daemon and
# deletes every namespace.
NT_NAME=demo NT_PREFIX=mgdemo
. tests/netns/lib.sh
. tests/netns/mesh_lib.sh
for c in ip jq python3 ping b3sum wg; do
	command -v "$c" >/dev/null || die "$c is missing (scripts/install-deps.sh installs it)"
done

N=5
ALL=$(seq -s ' ' 1 $N)

# mgn i args...: meshguard in node i's config directory, printed first.
mgn() {
	local i=$1
	shift
	show "[node$i]\$ meshguard $*"
	mg_cli "$i" "$@"
}
# mgd i args...: a control command against node i's running daemon.
mgd() {
	local i=$1
	shift
	show "[node$i]\$ meshguard $* --interface ${IFN[i]}"
	mg "${NS[i]}" "${IFN[i]}" "$@"
}

step "Five hosts: network namespaces on one virtual LAN (192.168.242.0/24)"
mesh_lan $N
for i in $ALL; do say "node$i: namespace ${NS[i]}, address ${UL4[i]}, ${UL6[i]}"; done

step "Every node creates its identity; its WireGuard key and mesh addresses follow from it"
for i in $ALL; do
	mesh_identity "$i"
	say "node$i: $(mg_cli "$i" export)  ${M4[i]}  ${M6[i]}"
done
mgn 1 id | sed 's/^/   /'

step "Node 1 is the org admin: it creates the org key and signs every node's certificate"
mgn 1 org-keygen | sed 's/^/   /'
ORG_PUB=$(cat "${CFG[1]}/org/org.pub")
for i in $ALL; do
	NAME[i]=node$i
	cp "${CFG[i]}/identity.pub" "$NT_DIR/node$i.pub"
	mgn 1 org-sign "$NT_DIR/node$i.pub" --name "node$i" --expires 1d \
		--out "$NT_DIR/node$i.cert" >/dev/null
	cp "$NT_DIR/node$i.cert" "${CFG[i]}/node.cert"
	mgn "$i" trust --org "$ORG_PUB" --name demo-org >/dev/null
done
say "each node now holds node.cert and trusts the org key"

step "Start the daemons: node 1 alone, nodes 2-5 with node 1 as their only seed"
t0=$SECONDS
for i in $ALL; do
	seed=""
	[ "$i" -ne 1 ] && seed=" --seed ${UL4[1]}:$MESH_PORT"
	show "[node$i]\$ meshguard up --interface ${IFN[i]} --advertise ${UL4[i]}:$MESH_PORT$seed &"
	mesh_start "$i"
done
say "first lines of node 2's log:"
sed -n '1,6p' "$NT_DIR/mg-${IFN[2]}.log" | sed 's/^/     | /'

step "Wait until every node sees the four others alive, each with a WireGuard peer"
wait_until 30 mesh_converged "$ALL" || die "the mesh did not converge within 30 s"
say "converged $((SECONDS - t0)) s after the first start"

step "What node 3 sees"
mgd 3 status | sed 's/^/   /'

step "Every pair pings over IPv4 and IPv6 through WireGuard"
fails=0
printf '   %-8s' "from\\to"
for j in $ALL; do printf '%-18s' "node$j"; done
printf '\n'
for i in $ALL; do
	printf '   %-8s' "node$i"
	for j in $ALL; do
		if [ "$i" = "$j" ]; then
			printf '%-18s' "-"
			continue
		fi
		cell=""
		for fam in 4 6; do
			if mesh_ping "$i" "$j" "$fam"; then cell+="v$fam ok "; else cell+="v$fam FAIL "; fails=$((fails + 1)); fi
		done
		printf '%-18s' "$cell"
	done
	printf '\n'
done
[ "$fails" -eq 0 ] && say "all $((N * (N - 1) * 2)) pings answered" || say "$fails pings failed"

step "Round-trip time by name, and whether the path is direct"
mgd 2 ping node5 --count 3 | sed 's/^/   /' || true

step "The admin revokes node 5: every node drops its tunnel"
WG5=$(mesh_wg_key 5)
gone_everywhere() {
	local i
	for i in 1 2 3 4; do mesh_no_peer_key "$i" "$WG5" || return 1; done
}
t_rev=$(date +%s%N)
mgn 1 org-revoke "$NT_DIR/node5.pub" --reason admin-removed | sed 's/^/   /'
if wait_until 20 gone_everywhere; then
	say "nodes 1-4 removed node 5's tunnel $((($(date +%s%N) - t_rev) / 1000000)) ms after org-revoke"
else
	say "node 5 was not removed everywhere within 20 s"
	fails=$((fails + 1))
fi
grep -h "removed: revoked" "$NT_DIR/mg-${IFN[3]}.log" | sed 's/^/     node 3 | /'
if mesh_ping 5 2 4; then
	say "node 5 can still reach node 2 (unexpected)"
	fails=$((fails + 1))
else
	say "node 5 can no longer reach anyone"
fi

step "Done"
say "stopping the daemons and deleting the namespaces"
[ "$fails" -eq 0 ]
