#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `meshguard up` with no --interface and no --listen-port, and no
# MESHGUARD_RUNTIME_DIR: the defaults of issue 3, at their real paths.
#
#   TUN mg0 (MTU 1420), UDP 51821 for IPv4 and IPv6, the control socket
#   /run/meshguard/mg0.sock (root:root, mode 0660, its directory not
#   world-writable), the UAPI socket /var/run/wireguard/mg0.sock; `status`
#   and `down` without --interface reach it; `down` removes all of it.
#
# Every other test passes --interface and MESHGUARD_RUNTIME_DIR so that runs
# never collide, which is exactly why the defaults need their own test. To
# use the real paths without touching the host's (another meshguard mg0 may
# run there), the daemon runs in a fresh network namespace *and* a private
# mount namespace with an empty tmpfs on /run (/var/run is a link to it):
# nothing it creates is visible outside, and it must create /run/meshguard
# itself. Root only (netns suite); uses tests/netns/lib.sh for the rest.

inner() { # cfg_dir log_file: runs inside the new netns and mount namespace
	local cfg=$1 logf=$2 peer=$3 rc st
	say() { echo "$1: $2"; }
	chk() { # description command...
		local what=$1
		shift
		if "$@" >/dev/null 2>&1; then say ok "$what"; else say FAIL "$what"; fi
	}
	until_ok() { # seconds command...
		local n=$(($1 * 10))
		shift
		until "$@" >/dev/null 2>&1; do
			n=$((n - 1))
			[ "$n" -gt 0 ] || return 1
			sleep 0.1
		done
	}
	mount -t tmpfs -o mode=0755 meshguard-test-run /run || { say FAIL "tmpfs on /run"; return 1; }
	[ -e /var/run/wireguard ] || [ -e /run/meshguard ] && { say FAIL "/run is not empty"; return 1; }
	unset MESHGUARD_RUNTIME_DIR

	# A global, not a local: the EXIT trap runs after inner() has returned.
	"$MESHGUARD" --config-dir "$cfg" up >"$logf" 2>&1 &
	DAEMON=$!
	trap 'stop_daemon' EXIT
	trap 'exit 143' TERM INT
	if ! until_ok 15 test -S /run/meshguard/mg0.sock; then
		say FAIL "meshguard up made /run/meshguard/mg0.sock"
		return 1
	fi
	say ok "meshguard up made /run/meshguard/mg0.sock"
	chk "the control socket is a socket owned by root:root, mode 0660" \
		test "$(stat -c '%F %U:%G %a' /run/meshguard/mg0.sock)" = "socket root:root 660"
	chk "/run/meshguard is root's and not group/world-writable (mode $(stat -c %a /run/meshguard))" \
		test "$(stat -c '%U %a' /run/meshguard)" = "root 755"
	chk "the UAPI socket is /var/run/wireguard/mg0.sock" until_ok 5 test -S /var/run/wireguard/mg0.sock
	chk "a TUN device named mg0" sh -c "ip -d link show dev mg0 | grep -qw tun"
	chk "mg0 has MTU 1420" sh -c "ip link show dev mg0 | grep -qw 'mtu 1420'"
	chk "mg0 is up" sh -c "ip link show dev mg0 | grep -q 'UP'"
	chk "UDP 51821 is bound on IPv4" sh -c "ss -ulnH 'sport = :51821' | awk '{print \$4}' | grep -qx '0.0.0.0:51821'"
	chk "UDP 51821 is bound on IPv6" sh -c "ss -ulnH 'sport = :51821' | awk '{print \$4}' | grep -qE '^\\[::\\]:51821$|^\\*:51821$'"
	chk "nothing else: no UDP 51820" sh -c "! ss -ulnH 'sport = :51820' | grep -q ."

	st=$(timeout 10 "$MESHGUARD" status --json 2>&1)
	chk "status without --interface reaches mg0 (interface $(jq -r .interface <<<"$st" 2>/dev/null))" \
		test "$(jq -r '.interface, .listen_port, .mtu' <<<"$st" | tr '\n' ' ')" = "mg0 51821 1420 "
	chk "status reports the default UAPI socket" \
		test "$(jq -r .uapi_socket <<<"$st")" = /var/run/wireguard/mg0.sock
	chk "wg show mg0 (through the default UAPI path) sees port 51821 and the static peer" \
		sh -c "command -v wg >/dev/null || exit 0; test \"\$(wg show mg0 listen-port) \$(wg show mg0 peers)\" = '51821 $peer'"

	chk "down without --interface is accepted" timeout 10 "$MESHGUARD" down
	rc=0
	until_ok 10 sh -c "! kill -0 $DAEMON" || rc=1
	chk "the daemon exited" test "$rc" = 0
	wait "$DAEMON"
	rc=$?
	trap - EXIT
	chk "with status 0 (got $rc)" test "$rc" = 0
	chk "mg0 is gone" sh -c "! ip link show dev mg0"
	chk "the control socket is gone" test ! -e /run/meshguard/mg0.sock
	chk "the UAPI socket is gone" test ! -e /var/run/wireguard/mg0.sock
	chk "the port is released" sh -c "! ss -ulnH 'sport = :51821' | grep -q ."
}

DAEMON=
stop_daemon() {
	[ -n "$DAEMON" ] || return 0
	kill -TERM "$DAEMON" 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$DAEMON" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$DAEMON" 2>/dev/null
}

if [ "${1:-}" = --inner ]; then
	inner "$2" "$3" "$4"
	exit 0
fi

. "$(dirname "$0")/../netns/lib.sh"
nt_skip_unless_ready unshare mount ss jq python3 stat
NS=${NT_ID}d
nt_netns "$NS"
CFG=$NT_DIR/cfg
nt_identity "$CFG" >/dev/null
# One static peer (no endpoint), so that the node has someone to trust.
PEER_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.98.0.2/32\n' "$PEER_KEY" >"$CFG/peers/other.conf"
# The host's own mg0 socket, if one runs there, must be left exactly as it is.
host_sock() { stat -c '%i %Y' /run/meshguard/mg0.sock 2>/dev/null || echo none; }
HOST_BEFORE=$(host_sock)

# One process tree in both namespaces; bounded, and its own EXIT trap stops the daemon.
timeout 60 ip netns exec "$NS" unshare --mount --propagation private \
	bash "$0" --inner "$CFG" "$NT_DIR/mg-default.log" "$PEER_KEY" >"$NT_DIR/inner.txt" 2>&1 &
INNER=$!
NT_PIDS+=("$INNER")
wait "$INNER" || true
while IFS= read -r line; do
	case $line in
	"ok: "*) ok "${line#ok: }" ;;
	"FAIL: "*) bad "${line#FAIL: }" ;;
	*) log "$line" ;;
	esac
done <"$NT_DIR/inner.txt"
check "every check ran" test "$(grep -cE '^(ok|FAIL): ' "$NT_DIR/inner.txt")" -ge 20
check "the host's /run/meshguard/mg0.sock was not touched ($HOST_BEFORE)" test "$(host_sock)" = "$HOST_BEFORE"
