#!/usr/bin/env bash
# Builds with warnings as errors and runs every test: unit tests (ctest),
# end-to-end tests against real MCP servers (test/e2e), and the official
# conformance suite (test/conformance). Prints one closing line
# "total: N passed, M failed" (N, M = test cases / scenarios).
# Run scripts/install-deps.sh first on a fresh machine.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD_DIR:-build}"
log() { printf '\n=== %s\n' "$*"; }

passed=0; failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

log "build ($BUILD, -Werror)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCPR_WERROR=ON >/dev/null || exit 1
ninja -C "$BUILD" || exit 1

log "unit tests"
out=$(ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 120 2>&1); rc=$?
printf '%s\n' "$out" | tail -n 15
total=$(printf '%s\n' "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p')
nfail=$(printf '%s\n' "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p')
if [ -z "$total" ]; then add 0 1; else add $((total - nfail)) "$nfail"; fi
[ $rc -eq 0 ] || [ "${nfail:-1}" -gt 0 ] || add 0 1

log "end-to-end tests"
out=$(MCP_REMOTE_BIN="$BUILD/mcp-remote" MCP_REMOTE_CLIENT_BIN="$BUILD/mcp-remote-client" test/e2e/run.sh 2>&1); rc=$?
printf '%s\n' "$out" | grep -E '^(not ok|ok|# (tests|pass|fail))' | tail -n 80
p=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -1)
f=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -1)
add "${p:-0}" "${f:-1}"
[ $rc -eq 0 ] || [ "${f:-1}" -gt 0 ] || add 0 1

log "conformance suite"
out=$(MCP_REMOTE_BIN="$BUILD/mcp-remote" test/conformance/run.sh 2>&1); rc=$?
printf '%s\n' "$out" | tail -n 40
line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
add "${p:-0}" "${f:-1}"
[ $rc -eq 0 ] || [ "${f:-1}" -gt 0 ] || add 0 1

echo
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
