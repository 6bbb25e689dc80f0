#!/usr/bin/env bash
# Benchmark entry point: direct SDK client vs npm mcp-remote 0.15.1 vs the native mcp-remote, side
# by side against the same local fixture server, in one run. Prints a Markdown report on stdout
# and writes it to docs/benchmark.md (progress goes to stderr).
#
# Usage: bench/run.sh [--build] [--no-build] [--json] [--time-limit S] [bench.mjs flags…]
#   --build         configure (if needed) and build build/mcp-remote with the README's command
#                   first (default: only when build/mcp-remote does not exist)
#   --no-build      never build; fail if build/mcp-remote is missing
#   --json          also measure the fixture in --mode json (same as --modes sse,json)
#   --time-limit S  hard limit for the measuring part in seconds (default 330; the run is killed,
#                   with every process it started, when it is exceeded). The benchmark paces its
#                   optional extra rounds to finish ~60 s before this limit.
#   other flags are passed to bench/bench.mjs (e.g. --quick, --rounds N, --modes sse,json,
#   --ours PATH, --out PATH, --no-write, --keep-env); see the header of bench/bench.mjs.
# Env: MCP_REMOTE_BIN overrides the binary measured as "ours".
#
# Every process the benchmark starts (fixture server, proxies) is in one process group, which is
# stopped on exit, failure, timeout or Ctrl-C.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

orig_cmd="bench/run.sh"
for a in "$@"; do orig_cmd+=" $a"; done
build=auto
limit=330
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=yes ;;
    --no-build) build=no ;;
    --json) pass+=(--modes sse,json) ;;
    --time-limit) limit="$2"; shift ;;
    *) pass+=("$1") ;;
  esac
  shift
done

say() { echo "[run.sh] $*" >&2; }
started=$(date +%s)

# 1. Node 22 + pinned npm packages (idempotent; npm ci from the lockfile only when needed).
NODE22="$("$REPO/scripts/setup-node.sh")"

# 2. The binary under test.
OURS="${MCP_REMOTE_BIN:-$REPO/build/mcp-remote}"
notes=()
if [ -n "${MCP_REMOTE_BIN:-}" ]; then
  [ -x "$OURS" ] || { say "MCP_REMOTE_BIN=$OURS is not executable"; exit 2; }
elif [ "$build" = yes ] || { [ "$build" = auto ] && [ ! -x "$OURS" ]; }; then
  say "building build/mcp-remote (cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C build mcp-remote)"
  if { [ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2; } &&
     timeout -k 10 600 ninja -C build mcp-remote >&2; then
    notes+=(--note "Built with \`ninja -C build mcp-remote\` just before this run.")
  elif [ -x "$OURS" ]; then
    say "WARNING: the build failed; measuring the existing build/mcp-remote"
    notes+=(--note "The build failed just before this run; the existing build/mcp-remote was measured.")
  else
    say "the build failed and there is no build/mcp-remote"; exit 2
  fi
elif [ ! -x "$OURS" ]; then
  say "$OURS not found (run with --build)"; exit 2
fi

# 3. The benchmark, in its own process group, bounded by `timeout`.
budget=$(( limit > 120 ? limit - 60 : limit / 2 ))
set -m                       # background jobs get their own process group (pgid = job pid)
timeout -k 10 "$limit" "$NODE22" --expose-gc "$REPO/bench/bench.mjs" --ours "$OURS" --budget-s "$budget" \
  --command "$orig_cmd" ${notes[@]+"${notes[@]}"} ${pass[@]+"${pass[@]}"} </dev/null &
job=$!
set +m

cleanup() {
  trap - EXIT INT TERM HUP
  if kill -0 -- "-$job" 2>/dev/null; then
    say "stopping the benchmark (process group $job)"
    kill -TERM -- "-$job" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 -- "-$job" 2>/dev/null || break
      sleep 0.3
    done
    kill -KILL -- "-$job" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP

set +e
wait "$job"
rc=$?
set -e
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  say "the benchmark exceeded its ${limit} s limit and was stopped"
fi
say "finished in $(( $(date +%s) - started )) s (exit $rc)"
exit "$rc"
