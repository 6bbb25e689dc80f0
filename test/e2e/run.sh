#!/usr/bin/env bash
# Runs the end-to-end suite with Node 22's test runner, one file at a time, under a global timeout.
#   test/e2e/run.sh                       # all test/e2e/*.test.mjs
#   test/e2e/run.sh test/e2e/05-*.mjs     # some files
# Env: MCP_REMOTE_BIN (default build/mcp-remote), MCP_REMOTE_CLIENT_BIN, E2E_TIMEOUT (s, default 900),
#      E2E_DEBUG=1 to echo fixture/proxy stderr.
# Against npm's mcp-remote: MCP_REMOTE_BIN=test/e2e/node_modules/.bin/mcp-remote test/e2e/run.sh
# Exit code = the test runner's (124 on global timeout).
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
"$REPO/scripts/setup-node.sh" >/dev/null || { echo "e2e: scripts/setup-node.sh failed" >&2; exit 2; }

bin="${MCP_REMOTE_BIN:-build/mcp-remote}"
if [ ! -x "$bin" ]; then
  echo "e2e: proxy binary '$bin' not found or not executable (set MCP_REMOTE_BIN)" >&2
fi

if [ "$#" -gt 0 ]; then files=("$@"); else files=(test/e2e/*.test.mjs); fi
# coreutils timeout signals its whole process group, so fixtures and proxies die with the runner.
timeout --kill-after=15 "${E2E_TIMEOUT:-900}" "$REPO/scripts/node22" --test --test-concurrency=1 \
  --test-timeout=180000 "${files[@]}"
