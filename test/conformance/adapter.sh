#!/usr/bin/env bash
# Conformance adapter: starts the stdio proxy under test for one scenario.
#   adapter.sh [extra proxy flags...] <server-url>      (the URL is the last argument)
# Env: MCP_REMOTE_BIN (default <repo>/build/mcp-remote), MCP_CONFORMANCE_SCENARIO,
#      MCP_CONFORMANCE_CONTEXT (JSON), CONFORMANCE_TMP (where the fresh config dir goes).
# stdin/stdout are the proxy's (exec), so the host driver talks to the proxy directly.
set -euo pipefail
REPO="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"

if [ "$#" -lt 1 ]; then echo "usage: adapter.sh [flags...] <server-url>" >&2; exit 2; fi
url="${!#}"
extra=("${@:1:$#-1}")

bin="${MCP_REMOTE_BIN:-$REPO/build/mcp-remote}"
case "$bin" in /*) ;; *) bin="$REPO/$bin" ;; esac

# A fresh token store per run (mcp-remote §1.5), and the headless browser stand-in.
MCP_REMOTE_CONFIG_DIR="$(mktemp -d "${CONFORMANCE_TMP:-${TMPDIR:-/tmp}}/mcp-remote-cfg.XXXXXX")"
export MCP_REMOTE_CONFIG_DIR
export BROWSER="$REPO/test/conformance/fake-browser"

# client_id / client_secret from the scenario context, as --static-oauth-client-info JSON.
static_info() {
  "$REPO/scripts/node22" -e '
    const c = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || "{}");
    const o = {};
    if (c.client_id !== undefined) o.client_id = c.client_id;
    if (c.client_secret !== undefined) o.client_secret = c.client_secret;
    process.stdout.write(JSON.stringify(o));'
}

flags=()
case "${MCP_CONFORMANCE_SCENARIO:-}" in
  auth/basic-cimd)
    flags+=(--client-metadata-url https://conformance-test.local/client-metadata.json) ;;
  auth/pre-registration)
    flags+=(--static-oauth-client-info "$(static_info)") ;;
  auth/client-credentials-*)
    flags+=(--client-credentials --static-oauth-client-info "$(static_info)") ;;
esac

echo "[adapter] ${MCP_CONFORMANCE_SCENARIO:-?}: $bin $url ${flags[*]:-} ${extra[*]:-}" >&2
exec "$bin" "$url" ${flags[@]+"${flags[@]}"} ${extra[@]+"${extra[@]}"}
