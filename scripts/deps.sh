#!/usr/bin/env bash
# Installs the Debian packages gatehouse needs to build, test and run.
# Idempotent: packages already installed are skipped, and `apt-get update` runs only when
# something is missing. Run as root (or with sudo available). Safe to run on every build.
set -euo pipefail

packages=(
  # build
  build-essential make cmake pkg-config clang libclang-rt-14-dev
  # libraries (see docs/dependencies.md)
  libsqlite3-dev libsodium-dev libjansson-dev libcsv-dev tzdata
  libmicrohttpd-dev libgnutls28-dev libinih-dev libzxcvbn-dev liboath-dev libqrencode-dev
  libldap2-dev libcurl4-gnutls-dev libcjose-dev liblua5.4-dev
  # tests
  libcmocka-dev python3 python3-pytest python3-requests python3-yaml python3-jsonschema python3-cryptography python3-aiosmtpd sqlite3
  oathtool slapd ldap-utils openssl chromium rsyslog rsyslog-gnutls
)
# Node.js and npm (the test OpenID provider, the console later): the machine's own when it
# has them (a Node.js from elsewhere bundles npm, and Debian's npm package would conflict).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# `scripts/deps.sh bench` adds what the benchmarks compare against.
if [ "${1:-}" = "bench" ]; then
  packages+=(wrk nginx-light curl)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# nginx (bench only), slapd and rsyslog (tests) must not start as system services: the
# tests and the benchmark run their own on 127.0.0.1. policy-rc.d exit 101 tells Debian's
# maintainer scripts not to start services.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  guard=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$guard" >/dev/null
  $sudo chmod 755 "$guard"
  trap '$sudo rm -f "$guard"' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
