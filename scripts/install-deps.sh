#!/usr/bin/env bash
# Installs everything the build and the tests need on a Debian bookworm
# machine (run as root, or with sudo available), and builds the minimal static
# libcurl into .deps/curl. Idempotent: packages that
# are already there are not reinstalled, and the pinned npm packages are
# installed only when test/e2e/package-lock.json changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl xz-utils patch
  libcurl4-openssl-dev libssl-dev libfmt-dev libboost-json1.81-dev
  libgtest-dev libgmock-dev googletest
  clang libclang-rt-14-dev        # libFuzzer + sanitizer runtimes
  iproute2 util-linux             # unshare -n + ip: loopback-only namespaces for the conformance suite
  procps                          # ps/pgrep in tests
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The minimal static libcurl the binaries link (scripts/build-curl.sh: Debian's
# own curl source and patches, HTTP/HTTPS + OpenSSL only). If it cannot be
# fetched, the build falls back to the system libcurl installed above.
bash scripts/build-curl.sh

# Node 22 (for the conformance suite) and the pinned test servers come from
# the npm lockfile; see scripts/setup-node.sh.
if [ -x scripts/setup-node.sh ] || [ -f scripts/setup-node.sh ]; then
  bash scripts/setup-node.sh
fi
