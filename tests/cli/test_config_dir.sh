#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Where the configuration lives: --config-dir, else $MESHGUARD_CONFIG_DIR,
# else /etc/meshguard for root, else $XDG_CONFIG_HOME/meshguard (an absolute
# XDG_CONFIG_HOME only), else ~/.config/meshguard. Checked with `export`,
# which only reads, and `keygen`, which creates the directory (0700).
MG=$1
. "$(dirname "$0")/lib.sh"

A=$T/a B=$T/b
"$MG" --config-dir "$A" keygen >/dev/null
"$MG" --config-dir "$B" keygen >/dev/null
PA=$(cat "$A/identity.pub") PB=$(cat "$B/identity.pub")

CTX="--config-dir beats MESHGUARD_CONFIG_DIR"
MESHGUARD_CONFIG_DIR=$B run --config-dir "$A" export
expect 0
check "--config-dir DIR wins" [ "$OUT" = "$PA" ]
MESHGUARD_CONFIG_DIR=$B run export --config-dir="$A"
expect 0
check "--config-dir=DIR after the command wins" [ "$OUT" = "$PA" ]
MESHGUARD_CONFIG_DIR=$B run export
expect 0
check "MESHGUARD_CONFIG_DIR alone is used" [ "$OUT" = "$PB" ]
run --config-dir= export
expect 2 "--config-dir requires a directory"

# run_env VAR=VALUE... -- ARGS...: meshguard with exactly that environment
# (plus PATH), as the current user.
run_env() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env -i PATH=/usr/bin:/bin "${envs[@]}" "$MG" "$@" >"$T/.out" 2>"$T/.err"
  RC=$?
  OUT=$(cat "$T/.out") ERR=$(cat "$T/.err")
}

if [ "$(id -u)" -eq 0 ]; then
  CTX="root: /etc/meshguard, whatever XDG_CONFIG_HOME and HOME say"
  X=$T/rootxdg H=$T/roothome
  "$MG" --config-dir "$X/meshguard" keygen >/dev/null
  "$MG" --config-dir "$H/.config/meshguard" keygen >/dev/null
  for extra in "" "MESHGUARD_CONFIG_DIR="; do
    run_env ${extra:+"$extra"} XDG_CONFIG_HOME="$X" HOME="$H" -- export
    if [ -r /etc/meshguard/identity.pub ] && [ -r /etc/meshguard/identity.key ]; then
      expect 0
      check "root${extra:+ ($extra)}: the key of /etc/meshguard" \
        [ "$OUT" = "$(cat /etc/meshguard/identity.pub)" ]
    else
      expect 1 "/etc/meshguard"
    fi
    check "root${extra:+ ($extra)}: not the XDG identity" not grep -qF -- "$(cat "$X/meshguard/identity.pub")" <<<"$OUT"
    check "root${extra:+ ($extra)}: not the HOME identity" not grep -qF -- "$(cat "$H/.config/meshguard/identity.pub")" <<<"$OUT"
  done
fi

# The non-root rules, as an unprivileged user: as nobody (from a copy of the
# binary nobody can reach) when we are root, else as ourselves.
U=$T/user
mkdir -p "$U"
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || { echo "setpriv missing: non-root rules not checked"; finish; }
  chmod 755 "$T"
  cp "$MG" "$T/meshguard-copy" && chmod 755 "$T/meshguard-copy"
  chown 65534:65534 "$U"
  as_user() { (cd "$U" && setpriv --reuid=65534 --regid=65534 --clear-groups "$@"); }
  USER_MG=$T/meshguard-copy
else
  as_user() { (cd "$U" && "$@"); }
  USER_MG=$MG
fi
# run_user VAR=VALUE... -- ARGS...
run_user() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  as_user env -i PATH=/usr/bin:/bin "${envs[@]}" "$USER_MG" "$@" >"$T/.out" 2>"$T/.err"
  RC=$?
  OUT=$(cat "$T/.out") ERR=$(cat "$T/.err")
}

CTX="user: \$XDG_CONFIG_HOME/meshguard"
run_user HOME="$U/home" XDG_CONFIG_HOME="$U/xdg" -- keygen
expect 0 "saved to: +$U/xdg/meshguard/"
check "identity created under XDG_CONFIG_HOME" [ -f "$U/xdg/meshguard/identity.key" ]
check "the directory is private (0700)" [ "$(mode_of "$U/xdg/meshguard")" = 700 ]
check "identity.key is 0600" [ "$(mode_of "$U/xdg/meshguard/identity.key")" = 600 ]
check "nothing under HOME" [ ! -e "$U/home" ]
PX=$(cat "$U/xdg/meshguard/identity.pub")
run_user HOME="$U/home" XDG_CONFIG_HOME="$U/xdg" -- export
expect 0
check "export reads XDG_CONFIG_HOME" [ "$OUT" = "$PX" ]

CTX="user: ~/.config/meshguard when XDG_CONFIG_HOME is unset, empty or relative"
run_user HOME="$U/home" -- keygen
expect 0 "saved to: +$U/home/\.config/meshguard/"
PH=$(cat "$U/home/.config/meshguard/identity.pub")
check "HOME and XDG identities differ" [ "$PH" != "$PX" ]
for xdg in "" "rel/cfg" "./xdg"; do
  run_user HOME="$U/home" XDG_CONFIG_HOME="$xdg" -- export
  expect 0
  check "XDG_CONFIG_HOME='$xdg' is ignored" [ "$OUT" = "$PH" ]
done
check "no relative directory was created" [ ! -e "$U/rel" ]

CTX="user: MESHGUARD_CONFIG_DIR and --config-dir beat XDG"
run_user HOME="$U/home" XDG_CONFIG_HOME="$U/xdg" MESHGUARD_CONFIG_DIR="$U/home/.config/meshguard" -- export
expect 0
check "MESHGUARD_CONFIG_DIR beats XDG_CONFIG_HOME" [ "$OUT" = "$PH" ]
run_user HOME="$U/home" MESHGUARD_CONFIG_DIR="$U/home/.config/meshguard" -- --config-dir "$U/xdg/meshguard" export
expect 0
check "--config-dir beats MESHGUARD_CONFIG_DIR" [ "$OUT" = "$PX" ]

CTX="user: an identity.key the user cannot read"
XK=$U/xdg/meshguard/identity.key
chmod 000 "$XK"
run_user HOME="$U/home" XDG_CONFIG_HOME="$U/xdg" -- keygen
expect 1 "identity file exists in .* but cannot be used: .*identity.key: Permission denied.*--force"
check "unreadable identity not overwritten" [ "$(mode_of "$XK")" = 0 ]
check "identity.pub kept" [ "$(cat "$U/xdg/meshguard/identity.pub")" = "$PX" ]
# export needs only the public key: identity.pub serves it
run_user HOME="$U/home" XDG_CONFIG_HOME="$U/xdg" -- export
expect 0
check "export falls back to identity.pub" [ "$OUT" = "$PX" ]
chmod 600 "$XK"

CTX="user: no HOME, no XDG_CONFIG_HOME"
run_user -- export
expect 1 "cannot find a config directory.*--config-dir"

check "no temporary files left" no_temp_files "$T"
finish
