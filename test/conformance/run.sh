#!/usr/bin/env bash
# Runs @modelcontextprotocol/conformance@0.1.16 client scenarios against the stdio proxy, through
# the in-repo host driver (driver.mjs) and adapter (adapter.sh), with Node 22, inside a private
# network namespace (scripts/netns-run.sh: the mocks listen on all interfaces).
#
#   test/conformance/run.sh                        # initialize tools_call elicitation-sep1034-client-defaults sse-retry
#   test/conformance/run.sh auth/metadata-default tools_call     # these scenarios, one run each
#   test/conformance/run.sh --suite all            # whole suite, baseline test/conformance/expected-failures.yml
# Options: -o DIR  keep results (checks.json, stdout/stderr per scenario) in DIR (default: temp, removed)
#          -v      print the full runner output
# Env: MCP_REMOTE_BIN (default build/mcp-remote; relative paths are taken from the repo root).
# Prints one line per scenario and finally "N passed, M failed" (scenarios). Exit 1 if any
# scenario failed (in suite mode: any failure not in the baseline, or a stale baseline entry).
set -uo pipefail
REPO="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
HERE="$REPO/test/conformance"
cd "$REPO"

"$REPO/scripts/setup-node.sh" >/dev/null || { echo "conformance: scripts/setup-node.sh failed" >&2; exit 2; }
NODE22="$REPO/scripts/node22"
CONF="$REPO/test/e2e/node_modules/@modelcontextprotocol/conformance/dist/index.js"
BASELINE="$HERE/expected-failures.yml"

suite=""
outdir=""
verbose=0
scenarios=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --suite) suite="${2:?--suite needs a value}"; shift 2 ;;
    -o) outdir="${2:?-o needs a directory}"; shift 2 ;;
    -v|--verbose) verbose=1; shift ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[ "${#scenarios[@]}" -gt 0 ] || scenarios=(initialize tools_call elicitation-sep1034-client-defaults sse-retry)

export MCP_REMOTE_BIN="${MCP_REMOTE_BIN:-build/mcp-remote}"
case "$MCP_REMOTE_BIN" in /*) ;; *) MCP_REMOTE_BIN="$REPO/$MCP_REMOTE_BIN" ;; esac
if [ ! -x "$MCP_REMOTE_BIN" ]; then
  echo "conformance: proxy '$MCP_REMOTE_BIN' is not an executable file (set MCP_REMOTE_BIN)" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CONFORMANCE_TMP="$work"          # adapter.sh puts its per-run config dirs here
[ -n "$outdir" ] || outdir="$work/results"
mkdir -p "$outdir"

command_str="$NODE22 $HERE/driver.mjs $HERE/adapter.sh"
strip() { sed 's/\x1b\[[0-9;]*m//g'; }

passed=0
failed=0

if [ -n "$suite" ]; then
  log="$work/suite.log"
  start=$(date +%s)
  timeout --kill-after=10 900 "$REPO/scripts/netns-run.sh" "$NODE22" "$CONF" client \
    --command "$command_str" --suite "$suite" --expected-failures "$BASELINE" -o "$outdir" >"$log" 2>&1
  rc=$?
  [ "$verbose" = 1 ] && strip <"$log"
  expected="$(sed -n 's/^[[:space:]]*-[[:space:]]*\([^#[:space:]]*\).*/\1/p' "$BASELINE")"
  in_baseline() { grep -qxF -- "$1" <<<"$expected"; }
  summary="$(strip <"$log" | sed -n '/=== SUITE SUMMARY ===/,$p')"
  if [ -z "$summary" ]; then
    echo "conformance: no suite summary (runner exit $rc); last output:" >&2
    strip <"$log" | tail -40 >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  xfail=0
  while IFS= read -r line; do
    case "$line" in
      "✓ "*|"✗ "*) ;;
      *) continue ;;
    esac
    mark="${line%% *}"
    rest="${line#* }"
    name="${rest%%:*}"
    detail="${rest#*: }"
    if [ "$mark" = "✓" ]; then
      if in_baseline "$name"; then
        echo "FAIL  $name ($detail; listed in expected-failures.yml but passes: remove it)"; failed=$((failed + 1))
      else
        echo "PASS  $name ($detail)"; passed=$((passed + 1))
      fi
    else
      if in_baseline "$name"; then
        echo "XFAIL $name ($detail; expected)"; xfail=$((xfail + 1))
      else
        echo "FAIL  $name ($detail)"; failed=$((failed + 1))
      fi
    fi
  done <<<"$summary"
  strip <"$log" | grep -E '^Total:' || true
  echo "($xfail expected failures from test/conformance/expected-failures.yml; runner exit $rc; $(( $(date +%s) - start )) s)"
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "FAIL  (runner exit $rc without a failing scenario line)"; fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
fi

for sc in "${scenarios[@]}"; do
  safe="${sc//\//_}"
  log="$work/$safe.log"
  start=$EPOCHREALTIME
  timeout --kill-after=10 120 "$REPO/scripts/netns-run.sh" "$NODE22" "$CONF" client \
    --command "$command_str" --scenario "$sc" -o "$outdir" >"$log" 2>&1
  rc=$?
  secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  [ "$verbose" = 1 ] && strip <"$log"
  checks="$(strip <"$log" | grep -E '^Passed: ' | tail -1)"
  if [ "$rc" -eq 0 ]; then
    echo "PASS  $sc (${checks:-no check summary}, ${secs} s)"
    passed=$((passed + 1))
  else
    echo "FAIL  $sc (${checks:-no check summary}, exit $rc, ${secs} s)"
    failed=$((failed + 1))
    strip <"$log" | grep -E 'FAILURE|WARNING|\[driver\] (FAILED|done)|Client (timed out|exited)' | sed 's/^/      /' | head -20
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
