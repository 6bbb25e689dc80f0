// Drives npm mcp-remote 0.15.1's OWN storage code (dist/chunk-*.js, as installed under
// test/e2e/node_modules) so the native store can be checked against it byte for byte.
// Only public exports of the chunk are used: NodeOAuthClientProvider (its saveTokens, tokens,
// refreshTokens, takeRefreshLease, saveClientInformation, clientInformation, saveDiscoveryState,
// saveCodeVerifier, codeVerifier, discoveryState, useAuthorizationState), hasUsableTokens and
// the SDK's zod schemas. Nothing of npm's is copied here.
//
//   node npm-store.mjs golden <outdir>          regenerate test/store-compat/golden/*
//   node npm-store.mjs write <hash> <what>...   npm writes into $MCP_REMOTE_CONFIG_DIR
//        what: code | minimal | refresh | restamp | client | flow:<state> | lease
//   node npm-store.mjs read <hash> [state]      npm reads; prints one JSON line on stdout
//   node npm-store.mjs try-lease <hash>         npm tries to take the refresh lease; prints JSON
//
// $STORE_COMPAT_NOW (epoch ms, default 1795537800000) replaces Date.now(), so every write is
// deterministic. The chunk logs on stderr ("[pid] Error reading ..."), which the C++ test reads.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NOW = Number(process.env.STORE_COMPAT_NOW ?? 1795537800000);
Date.now = () => NOW;

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'e2e', 'node_modules', 'mcp-remote', 'dist');
const chunk = fs.readdirSync(dist).find((f) => /^chunk-.*\.js$/.test(f) &&
  fs.readFileSync(path.join(dist, f), 'utf8').includes('NodeOAuthClientProvider'));
const npm = await import(path.join(dist, chunk));
const { NodeOAuthClientProvider, hasUsableTokens, OAuthTokensSchema, OAuthClientInformationFullSchema } = npm;

// ---- fixed inputs, mirrored in src/token_store_test.cc (namespace golden) ----
const ISSUER = 'https://auth.example.com';
const SERVER_URL = 'https://mcp.example.com/mcp';
const STATIC_SCOPE = 'mcp:read mcp:write';
// A token response as a server might send it: keys in no particular order, an unknown key,
// expires_in as a string (the SDK coerces it).
const CODE_RESPONSE = {
  token_type: 'Bearer', scope: 'mcp:read', refresh_token: 'rt-1', ext_expires_in: 7200,
  expires_in: '3600', id_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.', access_token: 'at-1\u00e9"\\/\n',
};
const MINIMAL_RESPONSE = { access_token: 'at-4', token_type: 'Bearer', expires_in: 0 };
const REFRESH_RESPONSE = { expires_in: 1800, access_token: 'at-2', token_type: 'bearer' };
const RESTAMP_STORED = {
  token_type: 'Bearer', access_token: 'at-3', refresh_token: 'rt-3', expires_at: 1795538400000,
  requested_scope: 'old scope',
};
const DCR_RESPONSE = {
  client_id: 'client-123', client_secret: 'secret-xyz', client_id_issued_at: 1795537800,
  client_secret_expires_at: 0, registration_access_token: 'dropped-by-the-sdk',
  redirect_uris: ['http://localhost:3335/oauth/callback'], token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  client_name: 'MCP CLI Client', client_uri: 'https://github.com/modelcontextprotocol/mcp-cli',
  logo_uri: '', scope: 'openid email profile', software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d',
  software_version: '0.15.1', contacts: [],
};
const FLOW_STATE = '3f1c2a9e-5b7d-4e21-9c0a-1d2e3f4a5b6c';
const FLOW_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const DISCOVERY = {
  authorizationServerUrl: 'https://auth.example.com/',
  resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
  resourceMetadata: { resource: 'https://mcp.example.com/mcp', authorization_servers: ['https://auth.example.com/'], scopes_supported: [] },
  authorizationServerMetadata: {
    issuer: 'https://auth.example.com', authorization_endpoint: 'https://auth.example.com/authorize',
    token_endpoint: 'https://auth.example.com/token', response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'], authorization_response_iss_parameter_supported: true, x: { y: null, z: 1.5 },
  },
};

function provider(hash, extra = {}) {
  return new NodeOAuthClientProvider({
    serverUrl: SERVER_URL, serverUrlHash: hash, callbackPort: 3335, host: 'localhost',
    skipResourceParameter: true, ...extra,
  });
}
const storeDir = () => path.join(process.env.MCP_REMOTE_CONFIG_DIR, 'mcp-remote-v1');

// The SDK's auth() after an authorization-code exchange: saveTokens({...OAuthTokensSchema.parse(json), issuer}).
async function writeCode(hash) {
  const p = provider(hash, { staticOAuthClientMetadata: { scope: STATIC_SCOPE } });
  await p.saveTokens({ ...OAuthTokensSchema.parse(CODE_RESPONSE), issuer: ISSUER });
}

// The same, for a response with nothing optional (expires_in 0 means "no expiry known").
async function writeMinimal(hash) {
  await provider(hash).saveTokens({ ...OAuthTokensSchema.parse(MINIMAL_RESPONSE), issuer: ISSUER });
}

// npm's proactive refresh, end to end: lease, re-read of the refresh token, the SDK's
// refreshAuthorization (a real POST to a loopback token endpoint), saveTokens, lease release.
async function writeRefresh(hash) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'rt-1') {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(REFRESH_RESPONSE));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const p = provider(hash, {
      authorizationServerMetadata: {
        issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`,
        response_types_supported: ['code'],
      },
    });
    const out = await p.refreshTokens('rt-1');
    if (!out) throw new Error('npm refresh failed');
  } finally {
    server.close();
  }
}

// The SDK's auth() finding an unstamped stored token: saveTokens({...await provider.tokens(), issuer}).
async function writeRestamp(hash) {
  fs.mkdirSync(storeDir(), { recursive: true });
  fs.writeFileSync(path.join(storeDir(), `${hash}_tokens.json`), JSON.stringify(RESTAMP_STORED, null, 2));
  const p = provider(hash);
  const stored = await p.tokens();
  await p.saveTokens({ ...stored, issuer: ISSUER });
}

// The SDK's registerClient + auth(): saveClientInformation({...OAuthClientInformationFullSchema.parse(json), issuer}).
async function writeClient(hash) {
  await provider(hash).saveClientInformation({ ...OAuthClientInformationFullSchema.parse(DCR_RESPONSE), issuer: ISSUER });
}

async function writeFlow(hash, state) {
  const p = provider(hash);
  p._state = state;
  await p.saveDiscoveryState(DISCOVERY);
  await p.saveCodeVerifier(FLOW_VERIFIER);
}

async function write(hash, what) {
  for (const w of what) {
    if (w === 'code') await writeCode(hash);
    else if (w === 'minimal') await writeMinimal(hash);
    else if (w === 'refresh') await writeRefresh(hash);
    else if (w === 'restamp') await writeRestamp(hash);
    else if (w === 'client') await writeClient(hash);
    else if (w.startsWith('flow:')) await writeFlow(hash, w.slice(5));
    else if (w === 'lease') {
      const nonce = await provider(hash).takeRefreshLease();
      if (!nonce) throw new Error('npm could not take the lease');
    } else throw new Error(`unknown write ${w}`);
  }
}

async function read(hash, state) {
  const out = {};
  out.hasUsableTokens = await hasUsableTokens(hash);
  out.tokens = (await provider(hash).tokens()) ?? null;  // first: tokens() may compare scopes
  out.clientInformation = (await provider(hash).clientInformation()) ?? null;
  if (state) {
    const p = provider(hash);
    p.useAuthorizationState(state);
    out.discoveryState = (await p.discoveryState()) ?? null;
    try { out.codeVerifier = await p.codeVerifier(); } catch (e) { out.codeVerifier = null; out.codeVerifierError = e.message; }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function golden(outdir) {
  const hash = '0123456789abcdef0123456789abcdef';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-store-golden-'));
  process.env.MCP_REMOTE_CONFIG_DIR = tmp;
  const take = (name, as) => {
    fs.copyFileSync(path.join(storeDir(), `${hash}_${name}`), path.join(outdir, as));
    fs.chmodSync(path.join(outdir, as), 0o644);  // test data; npm wrote the originals 0600
  };
  fs.mkdirSync(outdir, { recursive: true });
  try {
    await writeMinimal(hash); take('tokens.json', 'tokens_minimal.json');
    await writeCode(hash); take('tokens.json', 'tokens_code.json');
    await writeClient(hash); take('client_info.json', 'client_info.json');
    await writeRefresh(hash); take('tokens.json', 'tokens_refresh.json');
    await writeRestamp(hash); take('tokens.json', 'tokens_restamp.json');
    await writeFlow(hash, FLOW_STATE);
    take(`code_verifier_${FLOW_STATE}.txt`, 'code_verifier.txt');
    take(`discovery_state_${FLOW_STATE}.json`, 'discovery_state.json');
    await write(hash, ['lease']); take('refresh_in_progress.json', 'refresh_in_progress.json');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'golden') await golden(args[0] ?? path.join(here, 'golden'));
else if (cmd === 'write') await write(args[0], args.slice(1));
else if (cmd === 'read') await read(args[0], args[1]);
else if (cmd === 'try-lease') {
  const nonce = await provider(args[0]).takeRefreshLease();
  process.stdout.write(`${JSON.stringify({ acquired: !!nonce, nonce: nonce ?? null, pid: process.pid })}\n`);
} else {
  process.stderr.write('usage: npm-store.mjs golden <outdir> | write <hash> <what>... | read <hash> [state] | try-lease <hash>\n');
  process.exit(2);
}
