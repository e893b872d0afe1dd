#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keygen, export, export --wg, id / config show: files, modes, refusals.
MG=$1
. "$(dirname "$0")/lib.sh"

D=$T/node
CTX=keygen
run --config-dir "$D" keygen
expect 0 "public key:"
check "identity.key is 0600" [ "$(mode_of "$D/identity.key")" = 600 ]
check "identity.key is 88 base64 chars + newline" [ "$(wc -c <"$D/identity.key")" = 89 ]
check "identity.pub is 44 chars + newline" [ "$(wc -c <"$D/identity.pub")" = 45 ]
check "config dir is private" [ "$(mode_of "$D")" = 700 ]
PUB=$(cat "$D/identity.pub")

CTX=export
run --config-dir "$D" export
expect 0
check "export prints identity.pub" [ "$OUT" = "$PUB" ]
run export --config-dir "$D" --wg
expect 0
WG=$OUT
check "export --wg is a different 44-char key" [ "${#WG}" = 44 -a "$WG" != "$PUB" ]
MESHGUARD_CONFIG_DIR=$D run export
expect 0
check "MESHGUARD_CONFIG_DIR is honoured" [ "$OUT" = "$PUB" ]

CTX=id
run --config-dir "$D" id
expect 0 "mesh IPv4: +10\.99\."
check "id shows the WireGuard key" grep -q -- "$WG" <<<"$OUT"
run --config-dir "$D" config show
expect 0 "mesh IPv6: +fd99:6d67:"
run --config-dir "$D" config
expect 2 "usage: meshguard config show"

CTX="keygen refuses an existing identity"
run --config-dir "$D" keygen
expect 1 "already exists.*--force"
check "the refusal names the existing key" grep -qF -- "$PUB" <<<"$ERR"
check "identity unchanged" [ "$(cat "$D/identity.pub")" = "$PUB" ]

CTX="keygen refuses a corrupt identity"
cp "$D/identity.key" "$T/good.key"
printf 'not a key\n' >"$D/identity.key"
run --config-dir "$D" keygen
expect 1 "cannot be used: .*identity.key: corrupt key file"
check "corrupt identity not overwritten" grep -q "not a key" "$D/identity.key"
CTX="export of a corrupt identity"
run --config-dir "$D" export
expect 1 "identity.key: corrupt"

CTX="keygen refuses an unreadable identity"
rm -f "$D/identity.key" && mkdir "$D/identity.key"
run --config-dir "$D" keygen
expect 1 "cannot be used: .*identity.key"
rmdir "$D/identity.key"
cp "$T/good.key" "$D/identity.key"

CTX="keygen with only identity.pub present"
mv "$D/identity.key" "$T/moved.key"
run --config-dir "$D" keygen
expect 1 "identity.pub exists without identity.key"
mv "$T/moved.key" "$D/identity.key"

CTX="truncated, oversized, wrong-length, garbage identity.key"
for content in "$(head -c 40 "$T/good.key")" "$(cat "$T/good.key")AAAA" \
               "$(head -c 87 "$T/good.key")" "$(head -c 3000 /dev/urandom | base64 -w0)"; do
  printf '%s\n' "$content" >"$D/identity.key"
  run --config-dir "$D" export
  expect 1 "identity.key: corrupt key file"
done
cp "$T/good.key" "$D/identity.key"

CTX="secret key readable or writable by group or others"
for m in 644 640 604 660 620 602 666; do
  chmod "$m" "$D/identity.key"
  run --config-dir "$D" export
  expect 1 "identity.key is accessible by other users \(mode 0$m\).*Fix: chmod 600 .*identity.key"
  check "mode $m: nothing printed on stdout" [ -z "$OUT" ]
  run --config-dir "$D" id
  expect 1 "mode 0$m"
done
chmod 400 "$D/identity.key"
run --config-dir "$D" export
expect 0
chmod 600 "$D/identity.key"

CTX="identity.key as a symbolic link"
mv "$D/identity.key" "$T/real.key"
ln -s "$T/real.key" "$D/identity.key"
run --config-dir "$D" export
expect 0
check "export through the link" [ "$OUT" = "$(cat "$D/identity.pub")" ]
chmod 644 "$T/real.key"
run --config-dir "$D" export
expect 1 "mode 0644.*chmod 600"
rm "$T/real.key"
run --config-dir "$D" export
expect 1 "identity.key: a symbolic link to a missing file"
run --config-dir "$D" keygen
expect 1 "cannot be used: .*symbolic link to a missing file"
rm "$D/identity.key"
cp "$T/good.key" "$D/identity.key"

CTX="identity.pub of another key"
cp "$D/identity.pub" "$T/good.pub"
"$MG" --config-dir "$T/other" keygen >/dev/null
cp "$T/other/identity.pub" "$D/identity.pub"
run --config-dir "$D" export
expect 1 "identity.pub does not match identity.key"
cp "$T/good.pub" "$D/identity.pub"

CTX="keygen --force replaces"
run --config-dir "$D" keygen --force
expect 0 "generated"
check "new key differs" [ "$(cat "$D/identity.pub")" != "$PUB" ]
check "still 0600" [ "$(mode_of "$D/identity.key")" = 600 ]
run --config-dir "$D" export
expect 0
check "export matches the new .pub" [ "$OUT" = "$(cat "$D/identity.pub")" ]

CTX="fixed identity (upstream-trust-cli.md §9.2.1, seed S1 = RFC 8032 test 1)"
S1=$T/s1
mkdir -p "$S1"
printf 'nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==\n' >"$S1/identity.key"
chmod 600 "$S1/identity.key"
run --config-dir "$S1" export
expect 0
check "export = the S1 public key" [ "$OUT" = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" ]
run --config-dir "$S1" export --wg
expect 0
check "export --wg = the S1 WireGuard key (Ed25519 -> X25519)" [ "$OUT" = "2F4H7CKwrYgVN8L0TWYtGhQ8+DDFespDBdhcepD2ti4=" ]
run --config-dir "$S1" id
expect 0
for want in "config dir: +$S1\$" "public key: +11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" \
            "WireGuard key: +2F4H7CKwrYgVN8L0TWYtGhQ8\+DDFespDBdhcepD2ti4=" \
            "mesh IPv4: +10\.99\.108\.49\$" "mesh IPv6: +fd99:6d67::6c31:412:68f4:7160\$" \
            "trusted: +0 peer\(s\), 0 org\(s\)" "nothing is trusted yet"; do
  check "id shows /$want/" grep -qE -- "$want" <<<"$OUT"
done
# The pair S2 key + S1 public half is a torn file: refused.
printf 'TM0Imyj/ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U+4pvvXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==\n' >"$S1/identity.key"
run --config-dir "$S1" export
expect 1 "corrupt key file \(its public half does not match its seed\)"

CTX="no identity"
run --config-dir "$T/empty" export
expect 1 "no identity found.*meshguard keygen"

CTX="bad options"
run --config-dir "$D" keygen --forse
expect 2 "unknown option '--forse'"
run --config-dir "$D" export extra
expect 2 "unexpected argument"
run --config-dir
expect 2 "requires a directory"

CTX="unwritable config dir"
run --config-dir /proc/mgtrust-$$/cfg keygen
expect 1 "cannot create config directory /proc/"
mkdir -p "$T/ro"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  # root ignores permission bits: run as nobody, from a copy of the binary
  # that nobody can reach (the build tree may sit under a private home).
  chmod 755 "$T" "$T/ro"
  cp "$MG" "$T/meshguard-copy" && chmod 755 "$T/meshguard-copy"
  RC=0; OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$T/meshguard-copy" --config-dir "$T/ro" keygen 2>&1) || RC=$?
  ERR=
else
  chmod 555 "$T/ro"
  run --config-dir "$T/ro" keygen
fi
expect 1 "cannot write .*identity.key: Permission denied"
check "nothing left in the unwritable dir" [ -z "$(ls -A "$T/ro")" ]

check "no temporary files left" no_temp_files "$T"
finish
