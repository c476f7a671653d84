#!/usr/bin/env bash
# Installs the Debian packages of scripts/system-packages.txt that are missing.
#
# Quiet and exit 0 when everything is present. As root, installs what is missing with apt-get
# (running `apt-get update` first, only then). Not as root, or without apt-get, prints what to
# install and exits 0 unless HULLGUARD_REQUIRE_SYSTEM_PACKAGES=1 or CI=true: the live tests then
# skip with the reason, except in CI where they must run.
set -euo pipefail

list=${1:-"$(dirname "$0")/system-packages.txt"}
packages=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  read -r name _ <<<"$line" || true
  [ -n "${name:-}" ] && packages+=("$name")
done <"$list"

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

strict=0
if [ "${HULLGUARD_REQUIRE_SYSTEM_PACKAGES:-0}" = 1 ] || [ "${CI:-}" = true ]; then
  strict=1
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system packages missing: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  if [ "$strict" = 1 ]; then
    exit 1
  fi
  echo "continuing: the live tests that need them will skip" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Installing docker.io must not start the host's own daemon (bridges, iptables): tests start a
# private one. Without a policy already in place, deny service starts for the install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
echo "installing system packages: ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
