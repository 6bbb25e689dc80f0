#!/usr/bin/env bash
# Builds with warnings as errors and runs every test:
#   1. unit tests (ctest, one GoogleTest binary)
#   2. end-to-end tests against real MCP servers and a real OAuth server (test/e2e)
#   3. the official conformance suite, all 26 client scenarios (test/conformance)
#   4. the same unit and end-to-end tests built with AddressSanitizer + UBSan
#   5. every libFuzzer target for a bounded time on its seed corpus
# Prints one closing line "total: N passed, M failed" (test cases, scenarios,
# fuzz targets). Run scripts/install-deps.sh first on a fresh machine.
# Env: SKIP_SANITIZE=1 / SKIP_FUZZ=1 skip stages 4 / 5; FUZZ_SECONDS (default 20).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD_DIR:-build}"
log() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }

passed=0; failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# ctest output -> counts
count_ctest() {
  local out=$1 total nfail
  total=$(printf '%s\n' "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p')
  nfail=$(printf '%s\n' "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p')
  if [ -z "$total" ]; then add 0 1; else add $((total - nfail)) "$nfail"; fi
}
# node --test output -> counts, and the details of every failure
count_node() {
  local out=$1 rc=$2 p f
  printf '%s\n' "$out" | grep -E '^(not ok|ok|# (tests|pass|fail|todo))' | tail -n 100
  printf '%s\n' "$out" | awk '/^not ok/{show=40} show>0{print; show--}' | grep -vE '^\s+at ' | head -n 200
  p=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -1)
  add "${p:-0}" "${f:-1}"
  [ "$rc" -eq 0 ] || [ "${f:-1}" -gt 0 ] || add 0 1
}

log "build ($BUILD, -Werror)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCPR_WERROR=ON >/dev/null || exit 1
ninja -C "$BUILD" || exit 1

log "unit tests"
out=$(ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 120 2>&1)
printf '%s\n' "$out" | grep -E 'Failed|\*\*\*|tests passed' | tail -n 30
count_ctest "$out"

log "end-to-end tests"
out=$(MCP_REMOTE_BIN="$BUILD/mcp-remote" MCP_REMOTE_CLIENT_BIN="$BUILD/mcp-remote-client" test/e2e/run.sh 2>&1); rc=$?
count_node "$out" $rc

log "conformance suite (all scenarios)"
out=$(MCP_REMOTE_BIN="$BUILD/mcp-remote" test/conformance/run.sh --suite all 2>&1); rc=$?
printf '%s\n' "$out" | tail -n 32
line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
add "${p:-0}" "${f:-1}"
[ $rc -eq 0 ] || [ "${f:-1}" -gt 0 ] || add 0 1

if [ "${SKIP_SANITIZE:-0}" != 1 ]; then
  log "AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMCPR_SANITIZE=ON -DMCPR_WERROR=ON >/dev/null || exit 1
  ninja -C build-asan || exit 1
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  log "unit tests under ASan/UBSan"
  out=$(ctest --test-dir build-asan --output-on-failure -j2 --timeout 300 2>&1)
  printf '%s\n' "$out" | grep -E 'Failed|ERROR: |runtime error|tests passed' | tail -n 30
  count_ctest "$out"
  log "end-to-end tests under ASan/UBSan"
  out=$(MCPR_SANITIZED=1 MCP_REMOTE_BIN=build-asan/mcp-remote MCP_REMOTE_CLIENT_BIN=build-asan/mcp-remote-client \
        test/e2e/run.sh 2>&1); rc=$?
  count_node "$out" $rc
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  log "fuzz targets, ${FUZZ_SECONDS:-20} s each (build-fuzz, clang)"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DMCPR_FUZZ=ON -DMCPR_TESTS=OFF >/dev/null || exit 1
  ninja -C build-fuzz || exit 1
  for fuzzer in build-fuzz/*_fuzzer; do
    name=$(basename "$fuzzer")
    corpus=$(mktemp -d)
    [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$corpus/"
    if fout=$("$fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=10 \
              -artifact_prefix="$corpus/" "$corpus" 2>&1); then
      echo "fuzz $name: ok ($(printf '%s\n' "$fout" | grep -oE 'Done [0-9]+ runs' | tail -1))"
      add 1 0
    else
      echo "fuzz $name: FAILED"; printf '%s\n' "$fout" | tail -n 40
      mkdir -p fuzz-failures && cp "$corpus"/crash-* "$corpus"/timeout-* "$corpus"/oom-* fuzz-failures/ 2>/dev/null
      add 0 1
    fi
    rm -rf "$corpus"
  done
fi

echo
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
