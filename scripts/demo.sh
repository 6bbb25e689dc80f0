#!/usr/bin/env bash
# Builds mcp-remote and runs it against the bundled local example servers,
# all on 127.0.0.1 (nothing outside this machine is used):
#   1. an OAuth-protected MCP server with its own authorization server
#      (test/fixtures/auth-server.mjs, built on the official TypeScript SDK;
#      its authorization page approves automatically). mcp-remote-client
#      discovers the authorization server, registers, opens the "browser"
#      (test/conformance/fake-browser, a headless stand-in for the person
#      who clicks "approve"), receives the code on its loopback callback,
#      stores the tokens, lists the tools and calls one;
#   2. mcp-remote as a stdio proxy: a scripted host session (initialize,
#      tools/list, tools/call) piped through it; it reuses the stored
#      tokens, so no browser opens this time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build mcp-remote mcp-remote-client >/dev/null

work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
scripts/node22 test/fixtures/auth-server.mjs >"$work/server.out" 2>"$work/server.err" &
server=$!
for _ in $(seq 100); do grep -q LISTENING "$work/server.out" && break; sleep 0.1; done
port=$(awk '/LISTENING/ {print $2}' "$work/server.out")
[ -n "$port" ] || { echo "demo: the example server did not start" >&2; exit 1; }
url="http://127.0.0.1:$port/mcp"
export MCP_REMOTE_CONFIG_DIR="$work/mcp-auth"      # a fresh token store for the demo
export BROWSER="$PWD/test/conformance/fake-browser"
export FAKE_BROWSER_LOG="$work/browser.log"

echo "== 1. mcp-remote-client $url --call echo '{\"text\":\"hello\"}'   (signs in)"
build/mcp-remote-client "$url" --call echo '{"text":"hello"}'
echo "   browser opened $(wc -l <"$FAKE_BROWSER_LOG" 2>/dev/null || echo 0) time(s); token store:"
ls -l "$MCP_REMOTE_CONFIG_DIR"/mcp-remote-v1 | sed 's/^/   /'

echo
echo "== 2. a host session piped through: mcp-remote $url   (reuses the tokens)"
{
  echo '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"demo-host","version":"1.0"}}}'
  echo '{"jsonrpc":"2.0","method":"notifications/initialized"}'
  echo '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
  echo '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}}'
  sleep 1
} | build/mcp-remote "$url"
echo "   browser opened $(wc -l <"$FAKE_BROWSER_LOG") time(s) in total"
