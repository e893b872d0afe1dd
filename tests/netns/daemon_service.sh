#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# meshguard as a system service (docs/systemd.md), with two nodes in two
# namespaces that trust each other through authorized_keys:
#
#  (a) sd_notify: READY=1 (MAINPID, STATUS) only once the TUN, its address,
#      the UDP port, the UAPI and the control socket exist (the listener
#      freezes the daemon with SIGSTOP when READY=1 arrives and checks then);
#      SIGHUP -> RELOADING=1 + MONOTONIC_USEC, then READY=1; WATCHDOG=1 at
#      half $WATCHDOG_USEC; SIGTERM -> STOPPING=1 and exit 0. Logs: -v gives
#      debug lines, <N> prefixes when stderr is the $JOURNAL_STREAM.
#  (c) uid 0 with nothing but CAP_NET_ADMIN in the bounding set (setpriv):
#      the tunnel works, reload and stop too; an abstract @NOTIFY_SOCKET; -q
#      hides info lines; a JOURNAL_STREAM that is not our stderr: no prefixes;
#      --user without CAP_SETUID is refused before anything exists.
#  (b) --user: an unknown user, an unreadable config dir, a root-owned
#      state/, an unreadable authorized_keys/ are each refused with what to
#      do and leave nothing behind; then the daemon drops to a test user
#      (uid/gid in all four slots, CAP_NET_ADMIN alone, no_new_privs) before
#      READY=1, tunnels, reloads a new trusted key and stops on `down`.
#  (d) the unit file and the --user drop-in pass `systemd-analyze verify`;
#      the system calls a real run makes are inside their SystemCallFilter.
. "$(dirname "$0")/lib.sh"
nt_skip_unless_ready jq python3 ping socat setpriv useradd userdel

# Nothing of the caller's service manager or journal leaks into our daemons.
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID JOURNAL_STREAM

REPO=$(cd "$HERE/../.." && pwd)
TUSER=${NT_ID}u
TUSER_MADE=0

# The test user goes after the daemons (userdel refuses a user with processes).
svc_cleanup() {
	local rc=$? pid i
	set +e
	for pid in "${NT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for i in $(seq 1 50); do
		local alive=0
		for pid in "${NT_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for pid in "${NT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	[ "$TUSER_MADE" = 1 ] && { userdel "$TUSER" || log "could not delete user $TUSER"; }
	(exit "$rc")
	nt_cleanup
}
trap svc_cleanup EXIT

nt_two_hosts
IF_A=${NT_ID}s
IF_B=${NT_ID}t
CFG_A=$NT_DIR/a
CFG_B=$NT_DIR/b
CTL_A=$NT_DIR/run/$IF_A.sock
UAPI_A=/var/run/wireguard/$IF_A.sock
mkdir -p "$NT_DIR/run"
for c in "$CFG_A" "$CFG_B"; do "$MESHGUARD" --config-dir "$c" keygen >/dev/null; done
"$MESHGUARD" --config-dir "$CFG_A" trust "$CFG_B/identity.pub" --name bob >/dev/null
"$MESHGUARD" --config-dir "$CFG_B" trust "$CFG_A/identity.pub" --name alice >/dev/null
A4=$("$MESHGUARD" --config-dir "$CFG_A" id | awk '/^mesh IPv4:/ {print $NF}')
B4=$("$MESHGUARD" --config-dir "$CFG_B" id | awk '/^mesh IPv4:/ {print $NF}')
[ -n "$A4" ] && [ -n "$B4" ] || die "no mesh addresses from 'meshguard id'"

# ---- helpers ---------------------------------------------------------------------------

# The service manager's end of sd_notify: one line per datagram,
# "<CLOCK_MONOTONIC us>\t<sender pid>\t<sender uid>\t<message, '|' for newlines>".
# On the first READY=1 it stops the sender (SIGSTOP), runs the check command
# with DAEMON_PID set, logs "CHECK\t<rc>\t<output>", and lets it go on.
cat >"$NT_DIR/notify.py" <<'EOF'
import os, select, signal, socket, struct, subprocess, sys, time
addr, out, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
on_ready = sys.argv[4] if len(sys.argv) > 4 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
if not addr.startswith("@"):
    os.chmod(addr, 0o666)  # a daemon that dropped to another user still reaches us
f = open(out, "a", buffering=1)
f.write("LISTENING\n")
deadline, checked = time.monotonic() + timeout, False
while time.monotonic() < deadline:
    if not select.select([s], [], [], 0.5)[0]:
        continue
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    now = int(time.monotonic() * 1e6)
    pid = uid = -1
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, uid, _ = struct.unpack("iII", data[:12])
    text = msg.decode(errors="replace")
    f.write(f"{now}\t{pid}\t{uid}\t{text.replace(chr(10), '|')}\n")
    if on_ready and not checked and "READY=1" in text.split("\n") and pid > 0:
        checked = True
        os.kill(pid, signal.SIGSTOP)
        try:
            p = subprocess.run(on_ready, shell=True, capture_output=True, text=True,
                               timeout=20, env=dict(os.environ, DAEMON_PID=str(pid)))
            f.write(f"CHECK\t{p.returncode}\t{(p.stdout + p.stderr).strip().replace(chr(10), ' | ')}\n")
        finally:
            os.kill(pid, signal.SIGCONT)
EOF

# What must exist when READY=1 is sent: ready_check.sh ns ifname ctl uapi mesh_v4 uid
cat >"$NT_DIR/ready_check.sh" <<'EOF'
ns=$1 ifn=$2 ctl=$3 uapi=$4 v4=$5 uid=$6 bad=0
no() { echo "not ready: $*"; bad=1; }
socat -u OPEN:/dev/null "UNIX-CONNECT:$ctl" 2>/dev/null || no "control socket $ctl"
socat -u OPEN:/dev/null "UNIX-CONNECT:$uapi" 2>/dev/null || no "UAPI socket $uapi"
ip -n "$ns" -4 -o addr show dev "$ifn" 2>/dev/null | grep -q " $v4/16 " || no "TUN $ifn with $v4/16"
ip -n "$ns" -4 route show 10.99.0.0/16 dev "$ifn" 2>/dev/null | grep -q . || no "mesh route"
ip netns exec "$ns" ss -ulnH 'sport = :51821' | grep -q . || no "UDP port 51821"
[ "$(awk '/^Uid:/ {print $2}' "/proc/$DAEMON_PID/status")" = "$uid" ] || no "uid $uid"
exit $bad
EOF

# notify_listen name addr [ns] [on-ready command]: start a listener; sets NTF (its log).
notify_listen() {
	local name=$1 addr=$2 ns=${3:-} cmd=${4:-}
	local wrap=()
	NTF=$NT_DIR/notify-$name.log
	: >"$NTF"
	[ -n "$ns" ] && wrap=(ip netns exec "$ns")
	"${wrap[@]}" python3 "$NT_DIR/notify.py" "$addr" "$NTF" 240 ${cmd:+"$cmd"} &
	NT_PIDS+=($!)
	wait_until 5 grep -q LISTENING "$NTF" || die "notify listener $name did not start"
}

# Messages received (one per line, without the timestamp/pid/uid columns).
notes() { awk -F'\t' '$1 != "LISTENING" && $1 != "CHECK" {print $4}' "$1"; }
# notified file KEY=VALUE [n]: at least n (default 1) messages carry this assignment.
notified() {
	test "$(notes "$1" | tr '|' '\n' | grep -cxF "$2")" -ge "${3:-1}"
}
# ready_field file column: a column (2 pid, 3 uid, 4 message) of the first READY=1.
ready_field() { awk -F'\t' -v c="$2" '$4 ~ /(^|\|)READY=1(\||$)/ {print $c; exit}' "$1"; }
# The on-ready check's exit status (column 2) and output (3), once it has run.
ready_check() { awk -F'\t' -v c="$2" '$1 == "CHECK" {print $c}' "$1"; }
ready_checked() { grep -q '^CHECK' "$1"; }

# svc_start ns cfg ifname logfile [up options...]: meshguard up in the
# background with the environment in SVC_ENV and the command prefix in
# SVC_WRAP (both arrays, may be empty). Sets SVC_PID (the daemon itself: every
# wrapper execs).
SVC_ENV=() SVC_WRAP=() SVC_GLOBAL=()
svc_start() {
	local ns=$1 cfg=$2 ifn=$3 logf=$4
	shift 4
	env MESHGUARD_RUNTIME_DIR="$NT_DIR/run" "${SVC_ENV[@]}" ip netns exec "$ns" \
		"${SVC_WRAP[@]}" "$MESHGUARD" "${SVC_GLOBAL[@]}" --config-dir "$cfg" \
		up --interface "$ifn" "$@" >>"$logf" 2>&1 &
	SVC_PID=$!
	NT_PIDS+=("$SVC_PID")
}

# The control socket answers, and it is this daemon's (a stale socket file
# from a daemon that dropped privileges may still be there).
answers() { # ns ifname pid
	test "$(mg "$1" "$2" status --json 2>/dev/null | jq -r .pid)" = "$3"
}
# (bash reaps its background jobs at once, so a stopped daemon is no zombie)
gone() { ! kill -0 "$1" 2>/dev/null; }
no_iface() { ! ip -n "$1" link show "$2" >/dev/null 2>&1; }
# proc_field pid Field: a line of /proc/pid/status, its values separated by single spaces.
proc_field() { awk -v k="$2:" '$1 == k {$1 = ""; print substr($0, 2)}' "/proc/$1/status"; }

# up_fails ifname logfile [up options...]: a start-up that must fail; prints its exit status.
up_fails() {
	local ifn=$1 logf=$2
	shift 2
	MESHGUARD_RUNTIME_DIR="$NT_DIR/run" timeout 20 ip netns exec "$NS_A" "${SVC_WRAP[@]}" \
		"$MESHGUARD" --config-dir "$CFG_A" up --interface "$ifn" "$@" >"$logf" 2>&1 && echo 0 || echo $?
}
left_nothing() { # ifname
	no_iface "$NS_A" "$1" && test ! -e "/var/run/wireguard/$1.sock" -a ! -e "$NT_DIR/run/$1.sock"
}

tunnel_ok() { ping_ok "$NS_A" "$B4" && ping_ok "$NS_B" "$A4"; }

# ---- B: a plain root daemon, the other end of every tunnel ------------------------------
LOG_B=$NT_DIR/mg-$IF_B.log
svc_start "$NS_B" "$CFG_B" "$IF_B" "$LOG_B" --advertise "$UL_B:51821"
PID_B=$SVC_PID
wait_until 15 answers "$NS_B" "$IF_B" "$PID_B" || die "B did not start"

# ---- (a) sd_notify, -v, journald priority prefixes -------------------------------------------
log "(a) root daemon under a notify socket, -v, stderr as the journal stream"
mkdir -m 0711 "$NT_DIR/ntf"
notify_listen a "$NT_DIR/ntf/a.sock" "" \
	"sh $NT_DIR/ready_check.sh $NS_A $IF_A $CTL_A $UAPI_A $A4 0"
LOG_A=$NT_DIR/mg-$IF_A.log
: >"$LOG_A"
SVC_ENV=(NOTIFY_SOCKET="$NT_DIR/ntf/a.sock" WATCHDOG_USEC=400000
	JOURNAL_STREAM="$(stat -c '%d:%i' "$LOG_A")")
SVC_GLOBAL=(-v)
svc_start "$NS_A" "$CFG_A" "$IF_A" "$LOG_A" --advertise "$UL_A:51821" --seed "$UL_B:51821"
PID_A=$SVC_PID
SVC_ENV=() SVC_GLOBAL=()
wait_until 15 ready_checked "$NTF" || die "no READY=1 (see $NTF)"
check "READY=1 carries MAINPID=$PID_A" notified "$NTF" "MAINPID=$PID_A"
check "READY=1 came from the daemon's pid" test "$(ready_field "$NTF" 2)" = "$PID_A"
check "at READY=1: TUN, address, route, UDP port, UAPI, control socket ($(ready_check "$NTF" 3))" \
	test "$(ready_check "$NTF" 2)" = 0
check "READY=1 has a STATUS= naming the interface" grep -q "STATUS=$IF_A: " <<<"$(ready_field "$NTF" 4)"
check "WATCHDOG=1 every 200 ms (WATCHDOG_USEC=400000)" wait_until 3 notified "$NTF" WATCHDOG=1 5
check "the control socket answers" answers "$NS_A" "$IF_A" "$PID_A"
check "tunnel A <-> B" wait_until 20 tunnel_ok

n_ready=$(notes "$NTF" | grep -c 'READY=1')
kill -HUP "$PID_A"
reloaded() { test "$(notes "$NTF" | grep -c 'READY=1')" -gt "$n_ready"; }
check "SIGHUP: READY=1 again after the reload" wait_until 5 reloaded
reload_msg=$(notes "$NTF" | grep 'RELOADING=1' | head -1)
check "SIGHUP: RELOADING=1 with MONOTONIC_USEC ($reload_msg)" grep -q 'MONOTONIC_USEC=[0-9]' <<<"$reload_msg"
# The listener stamps arrival with the same clock (CLOCK_MONOTONIC).
check "MONOTONIC_USEC is the daemon's monotonic clock (within 2 s of arrival)" python3 - "$NTF" <<'EOF'
import sys
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) == 4 and "RELOADING=1" in f[3].split("|"):
        v = int([a for a in f[3].split("|") if a.startswith("MONOTONIC_USEC=")][0].split("=")[1])
        sys.exit(0 if abs(int(f[0]) - v) < 2_000_000 else 1)
sys.exit(1)
EOF
check "RELOADING=1 comes before the second READY=1" \
	test "$(notes "$NTF" | grep -E 'RELOADING=1|READY=1' | sed -n 2p | grep -c RELOADING=1)" = 1

kill -TERM "$PID_A"
wait_until 10 gone "$PID_A" || die "A did not stop"
check "SIGTERM: STOPPING=1" notified "$NTF" STOPPING=1
wait "$PID_A" && rc=0 || rc=$?
check "SIGTERM: exit status 0 ($rc)" test "$rc" = 0
check "-v: debug lines in the log" grep -q '^<7>debug: ' "$LOG_A"
check "journal stream: info lines carry <6>" grep -q '^<6>meshguard .* up: identity' "$LOG_A"
check "journal stream: every line has a priority prefix" sh -c "! grep -v '^<[3467]>' '$LOG_A'"
check "without -v: no debug lines (B)" sh -c "! grep -q 'debug:' '$LOG_B'"

# ---- (c) uid 0, bounding set = CAP_NET_ADMIN ------------------------------------------------
log "(c) uid 0 with only CAP_NET_ADMIN (setpriv), abstract notify socket, -q"
notify_listen c "@${NT_ID}-notify-c" "$NS_A"
LOG_C=$NT_DIR/mg-$IF_A-c.log
: >"$LOG_C"
SVC_WRAP=(setpriv --bounding-set=-all,+net_admin --inh-caps=-all --no-new-privs --)
SVC_ENV=(NOTIFY_SOCKET="@${NT_ID}-notify-c" JOURNAL_STREAM=0:0)
SVC_GLOBAL=(-q)
svc_start "$NS_A" "$CFG_A" "$IF_A" "$LOG_C" --advertise "$UL_A:51821" --seed "$UL_B:51821"
PID_C=$SVC_PID
SVC_ENV=() SVC_GLOBAL=()
check "READY=1 over an abstract socket, MAINPID=$PID_C" wait_until 15 notified "$NTF" "MAINPID=$PID_C"
check "uid 0" test "$(proc_field "$PID_C" Uid)" = "0 0 0 0"
for f in CapEff CapPrm CapBnd; do
	check "$f is CAP_NET_ADMIN alone" test "$(proc_field "$PID_C" $f)" = 0000000000001000
done
check "tunnel A <-> B with only CAP_NET_ADMIN" wait_until 20 tunnel_ok
kill -HUP "$PID_C"
check "SIGHUP: reloaded (READY=1 again)" wait_until 5 notified "$NTF" READY=1 2
check "...and the daemon is still there" answers "$NS_A" "$IF_A" "$PID_C"
rc=$(up_fails "${NT_ID}n" "$NT_DIR/nocap.log" --user nobody)
check "--user without CAP_SETUID/SETGID/SETPCAP: refused (rc=$rc)" \
	grep -q 'lack CAP_SETUID CAP_SETGID CAP_SETPCAP' "$NT_DIR/nocap.log"
check "...before anything was created" left_nothing "${NT_ID}n"
SVC_WRAP=()
kill -TERM "$PID_C"
wait_until 10 gone "$PID_C" || die "the CAP_NET_ADMIN-only daemon did not stop"
wait "$PID_C" && rc=0 || rc=$?
check "SIGTERM: STOPPING=1" notified "$NTF" STOPPING=1
check "SIGTERM: exit status 0 ($rc)" test "$rc" = 0
check "-q: no info lines" sh -c "! grep -Eq 'up: identity|stopping|reload' '$LOG_C'"
check "a JOURNAL_STREAM that is not our stderr: no <N> prefixes" sh -c "! grep -q '^<[0-9]>' '$LOG_C'"

# ---- (b) --user ------------------------------------------------------------------------------
log "(b) --user $TUSER"
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
	--user-group "$TUSER" || die "cannot create user $TUSER"
TUSER_MADE=1
T_UID=$(id -u "$TUSER")
T_GID=$(id -g "$TUSER")
chmod 711 "$NT_DIR" # the user walks through to its config dir and the notify socket

rc=$(up_fails "$IF_A" "$NT_DIR/nouser.log" --user "${NT_ID}nobody")
check "unknown user: exit status 1" test "$rc" = 1
check "unknown user: says so ($(head -1 "$NT_DIR/nouser.log"))" \
	grep -q "user ${NT_ID}nobody: no such user" "$NT_DIR/nouser.log"
check "unknown user: no interface, no sockets" left_nothing "$IF_A"

rc=$(up_fails "$IF_A" "$NT_DIR/nodir.log" --user "$TUSER")
check "config dir unreadable by the user: refused (rc=$rc) with the fix" \
	grep -qF "chgrp $TUSER $CFG_A && chmod g+rx $CFG_A" "$NT_DIR/nodir.log"
check "...and nothing was created" left_nothing "$IF_A"
chgrp "$TUSER" "$CFG_A" && chmod g+rx "$CFG_A"

# state/ is root's: the root daemons above wrote the member cache there.
rc=$(up_fails "$IF_A" "$NT_DIR/nostate.log" --user "$TUSER")
check "state/ not the user's: refused (rc=$rc) with the fix" \
	grep -qF "chown -R $TUSER:$TUSER $CFG_A/state" "$NT_DIR/nostate.log"
check "...and nothing was created" left_nothing "$IF_A"
chown -R "$TUSER:$TUSER" "$CFG_A/state"

rc=$(up_fails "$IF_A" "$NT_DIR/nokeys.log" --user "$TUSER")
check "authorized_keys/ unreadable by the user: refused (rc=$rc), naming it" \
	grep -q "as user $TUSER: $CFG_A/authorized_keys: cannot read directory" "$NT_DIR/nokeys.log"
check "...and nothing was created" left_nothing "$IF_A"
chgrp "$TUSER" "$CFG_A/authorized_keys" && chmod g+rx "$CFG_A/authorized_keys"

notify_listen b "$NT_DIR/ntf/b.sock" "" \
	"sh $NT_DIR/ready_check.sh $NS_A $IF_A $CTL_A $UAPI_A $A4 $T_UID"
LOG_U=$NT_DIR/mg-$IF_A-user.log
: >"$LOG_U"
SVC_ENV=(NOTIFY_SOCKET="$NT_DIR/ntf/b.sock")
svc_start "$NS_A" "$CFG_A" "$IF_A" "$LOG_U" --advertise "$UL_A:51821" --seed "$UL_B:51821" \
	--user "$TUSER"
PID_U=$SVC_PID
SVC_ENV=()
wait_until 15 ready_checked "$NTF" || die "--user: no READY=1 (see $LOG_U)"
check "READY=1 only after the drop, with everything up ($(ready_check "$NTF" 3))" \
	test "$(ready_check "$NTF" 2)" = 0
check "READY=1 sent by uid $T_UID" test "$(ready_field "$NTF" 3)" = "$T_UID"
check "READY=1 carries MAINPID=$PID_U" notified "$NTF" "MAINPID=$PID_U"
check "Uid: $T_UID in all four slots" test "$(proc_field "$PID_U" Uid)" = "$T_UID $T_UID $T_UID $T_UID"
check "Gid: $T_GID in all four slots" test "$(proc_field "$PID_U" Gid)" = "$T_GID $T_GID $T_GID $T_GID"
check "no supplementary groups" test -z "$(proc_field "$PID_U" Groups)"
for f in CapEff CapPrm CapBnd; do
	check "$f is CAP_NET_ADMIN alone (0x1000)" test "$(proc_field "$PID_U" $f)" = 0000000000001000
done
for f in CapInh CapAmb; do
	check "$f is empty" test "$(proc_field "$PID_U" $f)" = 0000000000000000
done
check "NoNewPrivs: 1" test "$(proc_field "$PID_U" NoNewPrivs)" = 1
check "the log says so" grep -q "running as user $TUSER (uid $T_UID, gid $T_GID) with CAP_NET_ADMIN only" "$LOG_U"
check "tunnel A <-> B after the drop" wait_until 20 tunnel_ok

# A new trusted key, written by root: inotify, reload as the user.
"$MESHGUARD" --config-dir "$NT_DIR/carol" keygen >/dev/null
"$MESHGUARD" --config-dir "$CFG_A" trust "$NT_DIR/carol/identity.pub" --name carol >/dev/null
check "reload after the drop applies the new key" wait_until 10 grep -q 'reload: 2 authorized keys' "$LOG_U"
check "...and notifies RELOADING=1 then READY=1 as the user" wait_until 5 notified "$NTF" READY=1 2
check "...and RELOADING=1 was sent" notified "$NTF" RELOADING=1
check "the tunnel still works after the reload" tunnel_ok

out=$(mg "$NS_A" "$IF_A" down 2>&1) && rc=0 || rc=$?
check "meshguard down: exit status 0 ($out)" test "$rc" = 0
check "...the daemon is gone" wait_until 10 gone "$PID_U"
check "...after a clean stop" grep -q '^stopped$' "$LOG_U"
check "...STOPPING=1" notified "$NTF" STOPPING=1
check "...the interface is gone" no_iface "$NS_A" "$IF_A"
check "the member cache was saved by the user" test "$(stat -c %U "$CFG_A/state/members.cache")" = "$TUSER"

# ---- (d) the unit files --------------------------------------------------------------------
# filter.py ALLOW... [-- DENY...]: the system call names a SystemCallFilter= lets through.
cat >"$NT_DIR/filter.py" <<'EOF'
import subprocess, sys
groups, cur = {}, None
text = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                      check=True).stdout
for line in text.splitlines():
    if line.startswith("@"):
        cur = groups.setdefault(line.split()[0], [])
    elif cur is not None and line.strip() and not line.strip().startswith("#"):
        cur.append(line.strip())
def expand(name):
    return set().union(*map(expand, groups[name])) if name.startswith("@") else {name}
args = sys.argv[1:]
cut = args.index("--") if "--" in args else len(args)
allow = set().union(*map(expand, args[:cut]))
deny = set().union(set(), *map(expand, args[cut + 1:]))
print("\n".join(sorted(allow - deny)))
EOF

# unit_filter file: the file's SystemCallFilter= lines as filter.py arguments
# (the last empty assignment resets, a "~" line denies).
unit_filter() {
	sed -n 's/^SystemCallFilter=//p' "$1" | awk '
		$0 == "" { allow = ""; deny = ""; next }
		/^~/ { sub(/^~/, ""); deny = deny " " $0; next }
		{ allow = allow " " $0 }
		END { print allow " --" deny }'
}

reloads_seen() { test "$(grep -c '^reload: ' "$1")" -ge "$2"; }

# The system calls of one daemon's life under strace (start, tunnel, status,
# SIGHUP, an inotify reload, `wg show`, `down`), one name a line.
# strace_life name [up options...]
strace_life() {
	local name=$1 tr=$NT_DIR/strace-$1.txt logf=$NT_DIR/mg-strace-$1.log spid dpid
	shift
	: >"$logf"
	SVC_WRAP=(strace -f -qq -o "$tr" --)
	# LeakSanitizer (the ASan build) cannot run under ptrace.
	SVC_ENV=(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
	svc_start "$NS_A" "$CFG_A" "$IF_A" "$logf" --advertise "$UL_A:51821" --seed "$UL_B:51821" "$@"
	SVC_WRAP=() SVC_ENV=()
	spid=$SVC_PID
	wait_until 30 grep -q '^seeds: ' "$logf" || die "strace $name: no start-up (see $logf)"
	dpid=$(pgrep -P "$spid" | head -1)
	wait_until 15 answers "$NS_A" "$IF_A" "$dpid" || die "strace $name: no control socket"
	wait_until 30 tunnel_ok || log "strace $name: no tunnel"
	kill -HUP "$dpid"
	touch "$CFG_A/authorized_keys/not-a-key.txt"
	wait_until 5 reloads_seen "$logf" 2 || log "strace $name: no reload from inotify"
	rm -f "$CFG_A/authorized_keys/not-a-key.txt"
	if command -v wg >/dev/null; then ip netns exec "$NS_A" wg show "$IF_A" >/dev/null; fi
	mg "$NS_A" "$IF_A" down >/dev/null
	wait_until 15 gone "$spid" || die "strace $name: the daemon did not stop"
	sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p; s/^[0-9]+ +<\.\.\. ([a-z0-9_]+) resumed>.*/\1/p' "$tr" |
		sort -u
}

log "(d) systemd unit files"
if command -v systemd-analyze >/dev/null; then
	UD=$NT_DIR/units
	mkdir -p "$UD/meshguard@.service.d"
	# verify insists that ExecStart= exists: point it at the binary under test.
	sed "s#/usr/local/bin/meshguard#$MESHGUARD#" "$REPO/dist/systemd/meshguard@.service" \
		>"$UD/meshguard@.service"
	out=$(SYSTEMD_UNIT_PATH="$UD:" systemd-analyze verify "meshguard@$IF_A.service" 2>&1) && rc=0 || rc=$?
	check "systemd-analyze verify meshguard@.service: clean (rc=$rc${out:+: $out})" test "$rc" = 0 -a -z "$out"
	sed "s#/usr/local/bin/meshguard#$MESHGUARD#" "$REPO/dist/systemd/meshguard-user.conf" \
		>"$UD/meshguard@.service.d/user.conf"
	out=$(SYSTEMD_UNIT_PATH="$UD:" systemd-analyze verify "meshguard@$IF_A.service" 2>&1) && rc=0 || rc=$?
	check "...with the --user drop-in: clean (rc=$rc${out:+: $out})" test "$rc" = 0 -a -z "$out"
	echo 'ProtectSystem=stricter' >>"$UD/meshguard@.service.d/user.conf"
	out=$(SYSTEMD_UNIT_PATH="$UD:" systemd-analyze verify "meshguard@$IF_A.service" 2>&1) || true
	check "...and verify does catch a bad directive ($out)" grep -q 'user.conf:.*stricter' <<<"$out"

	# shellcheck disable=SC2046 # one argument per group name
	python3 "$NT_DIR/filter.py" $(unit_filter "$REPO/dist/systemd/meshguard@.service") \
		>"$NT_DIR/allowed-root.txt"
	# shellcheck disable=SC2046
	python3 "$NT_DIR/filter.py" $(unit_filter "$REPO/dist/systemd/meshguard-user.conf") \
		>"$NT_DIR/allowed-user.txt"
	if command -v strace >/dev/null; then
		strace_life root >"$NT_DIR/used-root.txt"
		chown -R "$TUSER:$TUSER" "$CFG_A/state"
		strace_life user --user "$TUSER" >"$NT_DIR/used-user.txt"
		log "system calls of a root run: $(tr '\n' ' ' <"$NT_DIR/used-root.txt")"
		extra=$(comm -23 "$NT_DIR/used-root.txt" "$NT_DIR/allowed-root.txt" | tr '\n' ' ')
		check "a root run stays inside the unit's SystemCallFilter (${extra:-nothing outside})" \
			test -z "$extra"
		extra=$(comm -23 "$NT_DIR/used-user.txt" "$NT_DIR/allowed-user.txt" | tr '\n' ' ')
		check "a --user run stays inside the drop-in's SystemCallFilter (${extra:-nothing outside})" \
			test -z "$extra"
		check "...and the check can fail: --user's setresuid is outside the base filter" \
			sh -c "grep -qx setresuid '$NT_DIR/used-user.txt' && ! grep -qx setresuid '$NT_DIR/allowed-root.txt'"
	else
		log "SKIP: strace is not installed: no system call check"
	fi
else
	log "SKIP (d): systemd-analyze is not installed (scripts/install-deps.sh installs it)"
fi
