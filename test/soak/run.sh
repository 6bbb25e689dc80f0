#!/usr/bin/env bash
# Soak test entry point: 100,000 `tools/call echo` with 32 in flight through the native proxy
# against the fixture server (test/soak/soak.mjs), in fixture mode json and then sse, under a hard
# time limit. Prints a Markdown summary and writes it to docs/soak.md (progress on stderr).
#
# Usage: test/soak/run.sh [--time-limit S] [soak.mjs flags…]
#   --time-limit S   hard limit for the whole run in seconds (default 600). soak.mjs stops itself
#                    at S; coreutils timeout kills the process group at S+30 as a last resort.
#   other flags go to test/soak/soak.mjs, e.g. --modes json (json only), --calls 20000,
#   --conc 32, --no-write, --out PATH (see the header of test/soak/soak.mjs).
# Env: MCP_REMOTE_BIN = the binary under test (default build/mcp-remote; it is not built here).
# Exit code: 0 all checks passed, 1 a check failed, 2 setup error, 124 time limit.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"

limit=600
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time-limit) limit="$2"; shift ;;
    *) pass+=("$1") ;;
  esac
  shift
done
have_modes=no
for a in "${pass[@]+"${pass[@]}"}"; do case "$a" in --modes|--mode) have_modes=yes ;; esac; done
[ "$have_modes" = yes ] || pass=(--modes json,sse "${pass[@]+"${pass[@]}"}")

"$REPO/scripts/setup-node.sh" >/dev/null || { echo "soak: scripts/setup-node.sh failed" >&2; exit 2; }
bin="${MCP_REMOTE_BIN:-$REPO/build/mcp-remote}"
[ -x "$bin" ] || { echo "soak: proxy binary '$bin' not found or not executable (set MCP_REMOTE_BIN)" >&2; exit 2; }

cmd="test/soak/run.sh --time-limit $limit"
for a in "${pass[@]}"; do cmd+=" $a"; done

# coreutils timeout runs the soak in its own process group and signals the whole group, so the
# fixture server and the proxy die with it even if soak.mjs cannot clean up itself.
timeout --kill-after=15 "$((limit + 30))" "$REPO/scripts/node22" "$REPO/test/soak/soak.mjs" \
  --bin "$bin" --time-limit "$limit" --command "$cmd" "${pass[@]}"
rc=$?
[ "$rc" -eq 124 ] && echo "soak: killed by the hard time limit ($((limit + 30)) s)" >&2
exit "$rc"
