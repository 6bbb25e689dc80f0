#!/usr/bin/env bash
# Builds mcp-remote and runs it against the bundled local example server
# (test/fixtures/server.mjs, an MCP server built on the official TypeScript
# SDK, listening on 127.0.0.1 only). Shows:
#   1. mcp-remote-client listing the server's tools and calling one;
#   2. mcp-remote as a stdio proxy: a scripted host session (initialize,
#      tools/list, tools/call) piped through it, responses printed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build mcp-remote mcp-remote-client >/dev/null

out=$(mktemp); trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
scripts/node22 test/fixtures/server.mjs --mode sse >"$out" 2>/dev/null &
server=$!
for _ in $(seq 100); do grep -q LISTENING "$out" && break; sleep 0.1; done
port=$(awk '/LISTENING/ {print $2}' "$out")
[ -n "$port" ] || { echo "demo: the example server did not start" >&2; exit 1; }
url="http://127.0.0.1:$port/mcp"

echo "== mcp-remote-client $url --call echo '{\"message\":\"hello\"}'"
build/mcp-remote-client "$url" --call echo '{"message":"hello"}'

echo
echo "== a host session piped through: mcp-remote $url"
{
  echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"demo-host","version":"1.0"}}}'
  echo '{"jsonrpc":"2.0","method":"notifications/initialized"}'
  echo '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}'
  sleep 1
} | build/mcp-remote "$url" --silent
