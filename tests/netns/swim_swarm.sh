#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SWIM with real processes: 32 `meshguard up --gossip-only` daemons on the
# loopback of one namespace, distinct ports, org certificates, one seed.
#   1. all 32 converge: every node sees 31 alive members;
#   2. one is killed (SIGKILL): every other node declares it dead;
#   3. one is revoked by the org (org-revoke in the admin node's config
#      directory): every other node drops it;
#   4. the seed is killed, and a node restarted while its only seed is down
#      rejoins from its member cache.
# Times are taken from the daemons' own logs (one "joined"/"dead"/"removed"
# line per member), so the status socket is asked only for final checks.
. "$(dirname "$0")/lib.sh"
nt_skip_unless_ready jq

N=${SWARM_N:-32}
BASE_PORT=52000
NS=${NT_ID}s
nt_netns "$NS"
ORG=$NT_DIR/org
"$MESHGUARD" -q --config-dir "$ORG" org-keygen
ORG_PUB=$ORG/org/org.pub

node() { printf 'n%02d' "$1"; }              # certificate name
ifn() { printf '%sg%02d' "$NT_ID" "$1"; }    # interface (runtime path) name
cfg() { printf '%s/%s' "$NT_DIR" "$(node "$1")"; }
port() { echo $((BASE_PORT + $1)); }
declare -A PID

for i in $(seq 1 "$N"); do
	d=$(cfg "$i")
	"$MESHGUARD" -q --config-dir "$d" keygen
	"$MESHGUARD" -q --config-dir "$ORG" org-sign "$d/identity.pub" --name "$(node "$i")" \
		--out "$d/node.cert" --force
	"$MESHGUARD" -q --config-dir "$d" trust --org "$ORG_PUB" --name acme
done
# Node 1 is also the org admin: a revocation signed there is spread by its daemon.
cp -r "$ORG/org" "$(cfg 1)/org"

start() { # i
	local i=$1 seed=()
	[ "$i" -ne 1 ] && seed=(--seed "127.0.0.1:$(port 1)")
	nt_meshguard "$NS" "$(cfg "$i")" "$(ifn "$i")" --gossip-only --listen-port "$(port "$i")" \
		--advertise "127.0.0.1:$(port "$i")" "${seed[@]}"
	PID[$i]=$MG_PID
}
logf() { echo "$NT_DIR/mg-$(ifn "$1").log"; }

# count_logs PATTERN NODES...: how many of these nodes' logs contain PATTERN (fixed string).
count_logs() {
	local pat=$1 n=0 i
	shift
	for i in "$@"; do grep -qF -- "$pat" "$(logf "$i")" 2>/dev/null && n=$((n + 1)); done
	echo "$n"
}
# all_logs PATTERN NODES...: every one of these nodes' logs contains PATTERN.
all_logs() {
	local pat=$1
	shift
	[ "$(count_logs "$pat" "$@")" -eq $# ]
}
# all_logs_twice PATTERN NODES...: ...at least twice.
all_logs_twice() {
	local pat=$1 i
	shift
	for i in "$@"; do [ "$(grep -cF -- "$pat" "$(logf "$i")")" -ge 2 ] || return 1; done
}
# everyone_joined: every node logged a "joined" line for each of the N-1 others.
# One awk over all logs (not a grep per pair), so that polling is cheap
# enough not to slow the daemons it measures.
everyone_joined() {
	local files=() i
	for i in $(seq 1 "$N"); do files+=("$(logf "$i")"); done
	awk -v n="$N" '
		FNR == 1 { f++ }
		match($0, /\(n[0-9]+\) joined/) { k = f SUBSEP substr($0, RSTART, RLENGTH); if (!(k in seen)) { seen[k] = 1; c[f]++ } }
		END { for (i = 1; i <= n; i++) if (c[i] < n - 1) exit 1 }
	' "${files[@]}"
}
alive_count() { # i: members node i lists as alive
	mg "$NS" "$(ifn "$1")" status --json | jq '[.members[] | select(.state == "alive")] | length'
}
others() { # all nodes but those given
	local i
	for i in $(seq 1 "$N"); do [[ " $* " == *" $i "* ]] || echo "$i"; done
}

# ---- 1. convergence -----------------------------------------------------------------------
t0=$SECONDS
for i in $(seq 1 "$N"); do start "$i"; done
log "$N daemons started in $((SECONDS - t0)) s"
t1=$SECONDS
check "every node logged 'joined' for the $((N - 1)) others" wait_until 60 everyone_joined
log "converged $((SECONDS - t0)) s after the first start, $((SECONDS - t1)) s after the last"
bad_view=0
for i in $(seq 1 "$N"); do
	c=$(alive_count "$i")
	[ "$c" = $((N - 1)) ] || { log "node $i lists $c alive members"; bad_view=1; }
done
check "status: every node lists $((N - 1)) alive members" test "$bad_view" = 0
check "trust paths: every member admitted through the org" \
	test "$(mg "$NS" "$(ifn 5)" status --json | jq -r '[.members[].trust] | unique | join(",")')" = org

# ---- 2. a crash -------------------------------------------------------------------------
KILLED=17
kill -KILL "${PID[$KILLED]}"
t0=$SECONDS
# shellcheck disable=SC2046
check "node $KILLED killed: every other node declares it dead" \
	wait_until 60 all_logs "($(node $KILLED)) dead" $(others $KILLED)
log "dead everywhere $((SECONDS - t0)) s after SIGKILL"
check "...and status agrees on node 2" \
	test "$(mg "$NS" "$(ifn 2)" status --json | jq -r --arg n "$(node $KILLED)" '.members[] | select(.name == $n) | .state')" = dead

# ---- 3. a revocation by the org ----------------------------------------------------------
REVOKED=9
t0=$(date +%s%N)
"$MESHGUARD" -q --config-dir "$(cfg 1)" org-revoke "$(cfg $REVOKED)/identity.pub" --reason admin-removed
# shellcheck disable=SC2046
check "node $REVOKED revoked: every other live node drops it" \
	wait_until 30 all_logs "($(node $REVOKED)) removed: revoked by the org" $(others $KILLED $REVOKED)
log "revocation applied on all $((N - 2)) other live nodes $((($(date +%s%N) - t0) / 1000000)) ms after org-revoke"
not_alive_anywhere() {
	local i
	for i in $(others $KILLED $REVOKED); do
		[ "$(mg "$NS" "$(ifn "$i")" status --json | jq -r --arg n "$(node $REVOKED)" \
			'[.members[] | select(.name == $n and .state == "alive")] | length')" = 0 ] || return 1
	done
}
check "...no node lists it alive" not_alive_anywhere

# ---- 4. the seed is gone: a restart rejoins from the member cache --------------------------
RESTARTED=20
kill -KILL "${PID[1]}"
kill -TERM "${PID[$RESTARTED]}"
wait_until 10 sh -c "! kill -0 ${PID[$RESTARTED]} 2>/dev/null" || die "node $RESTARTED did not stop"
# shellcheck disable=SC2046
check "node $RESTARTED stopped: the others saw it leave" \
	wait_until 30 all_logs "($(node $RESTARTED)) left" $(others 1 $KILLED $REVOKED $RESTARTED)
check "node $RESTARTED saved its member cache" test -s "$(cfg $RESTARTED)/state/members.cache"
mv "$(logf $RESTARTED)" "$NT_DIR/mg-$(ifn $RESTARTED)-before.log"
start "$RESTARTED" # its only --seed, node 1, is dead
LIVE=$(others 1 $KILLED $REVOKED $RESTARTED | wc -l)
t0=$SECONDS
rejoined() { [ "$(alive_count $RESTARTED)" = "$LIVE" ]; }
check "node $RESTARTED rejoined the $LIVE live members without its seed" wait_until 60 rejoined
log "rejoined $((SECONDS - t0)) s after the restart"
# shellcheck disable=SC2046
check "...and they all logged it joining again" \
	wait_until 30 all_logs_twice "($(node $RESTARTED)) joined" $(others 1 $KILLED $REVOKED $RESTARTED)
check "...starting from its member cache" grep -Eq '^member cache: [1-9][0-9]* cached members to try' "$(logf $RESTARTED)"

log "$NT_CHECKS checks, $NT_FAILED failed"
[ "$NT_FAILED" -eq 0 ]
