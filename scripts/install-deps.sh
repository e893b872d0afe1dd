#!/usr/bin/env bash
# Installs every Debian package meshguard needs to build, test, benchmark and
# run its demo. Safe to re-run: it only calls apt-get when something is missing.
set -euo pipefail

PKGS=(
  # build
  build-essential meson ninja-build pkg-config
  libsodium-dev libuv1-dev libb2-dev libmnl-dev libcmocka-dev libjansson-dev libcap-ng-dev
  # tests: independent oracles and the foreign WireGuard peer
  python3 python3-cryptography b3sum
  wireguard-go wireguard-tools
  # network namespaces, traffic and inspection
  iproute2 iputils-ping nftables iperf3 socat jq procps tcpdump util-linux
  # the service tests: systemd-analyze verify of the unit, its system calls
  # under strace, a throw-away user (useradd), setpriv (util-linux)
  systemd strace passwd
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (sudo $0) to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# --no-install-recommends: wireguard-tools would otherwise pull a kernel image.
apt-get install -y -q --no-install-recommends "${missing[@]}"
