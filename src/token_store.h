// TokenStore: the on-disk OAuth store shared with npm mcp-remote 0.15.1
// (mcp-remote-behaviour.md §1.5, §1.6, §1.8.10-11). Users run our binary
// and npm's side by side, so a sign-in made by either must be usable by the
// other, and neither may break the other's files.
//
// Layout: <store_dir> = ${MCP_REMOTE_CONFIG_DIR:-~/.mcp-auth}/mcp-remote-v1
// (server_hash.h StoreDir), every file named <hash>_<name>:
//   tokens.json                     token response + issuer, expires_at, requested_scope
//   client_info.json                RFC 7591 registration + issuer
//   code_verifier_<state>.txt       PKCE verifier, plain text, no newline
//   discovery_state_<state>.json    {authorizationServerUrl, resourceMetadataUrl?,
//                                    resourceMetadata?, authorizationServerMetadata?}
//   refresh_in_progress.json        refresh lease {"pid", "nonce", "at"}
// JSON is written as JS `JSON.stringify(value, null, 2)`: two-space indent,
// `"key": value`, `[]`/`{}` when empty, JS number and string formatting, NO
// trailing newline, and the key order npm's SDK produces (zod schema order,
// then spread order):
//   code exchange: access_token, id_token?, token_type, expires_in?, scope?,
//                  refresh_token?, issuer?, expires_at?, requested_scope?
//   refresh:       refresh_token (the redeemed one, replaced in place when the
//                  response rotates it), then as above. npm's proactive
//                  refresh writes no issuer; we write it when given one.
//   re-stamp:      the stored fields in schema order, then issuer.
//   client_info:   OAuthClientMetadataSchema keys, OAuthClientInformationSchema
//                  keys, issuer; unknown keys dropped, logo_uri/tos_uri ""
//                  dropped (the SDK's zod parse does both).
// Reading follows npm's schemas: a file that is not JSON or fails the schema
// is treated as missing with one warning ("Error reading tokens.json: ...")
// per distinct problem, not one per request as npm does. Field names and
// reasons are logged, never token, secret or verifier values.
//
// Guarantees: every file is replaced atomically (FileSystem::WriteFileAtomic:
// temp file 0600, fsync, rename; the old file survives any failure and no
// temp file is left behind); files are 0600 and the store directory is
// created 0700 on first write. A failed write is one warning, or, when the
// caller passes `error`, the reason goes there for the caller to report. The
// refresh lease is created with its full contents in one step (link), so
// unlike npm's "wx" write it is never seen empty; a stale lease (age >= 30 s
// or dead pid) is moved aside and checked before it is deleted, so two takers
// cannot delete each other's fresh lease.
//
// Compatibility is proven by src/token_store_test.cc: our bytes equal the
// golden files in test/store-compat/golden/, which npm's own code wrote
// (test/store-compat/README.md), and, when Node is installed, live round
// trips in both directions through npm's provider (test/store-compat/npm-store.mjs).
//
// Not thread-safe; one TokenStore per server hash per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filesystem.h"
#include "log.h"
#include "oauth_messages.h"  // TokenResponse

namespace mcpr {

/// <hash>_tokens.json as read back (OAuthTokensWithExpiresAtSchema).
struct StoredTokens {
  std::string access_token;
  std::string token_type;
  std::optional<std::string> refresh_token;
  std::optional<std::string> id_token;
  std::optional<std::string> scope;
  std::optional<std::string> issuer;
  std::optional<std::string> requested_scope;
  std::optional<int64_t> expires_in;     // seconds, floored
  std::optional<int64_t> expires_at_ms;  // epoch ms, floored
  std::string raw_json;                  // the file as read
};

/// <hash>_client_info.json as read back (the SDK's client information plus
/// "issuer"). Only the fields the OAuth code needs are broken out.
struct StoredClientInfo {
  std::string client_id;
  std::optional<std::string> client_secret;
  std::optional<std::string> token_endpoint_auth_method;
  std::optional<std::string> scope;
  std::vector<std::string> redirect_uris;
  std::optional<std::string> issuer;
  std::string raw_json;
};

/// What discovery found for one sign-in (SEP-2352 issuer binding). The two
/// metadata documents are JSON object texts; their members keep their order
/// (written pretty-printed, read back as compact JSON.stringify text).
struct DiscoveryState {
  std::string authorization_server_url;
  std::optional<std::string> resource_metadata_url;
  std::optional<std::string> resource_metadata_json;
  std::optional<std::string> authorization_server_metadata_json;
};

class TokenStore {
 public:
  static constexpr int64_t kExpiryMarginMs = 60'000;           // TOKEN_EXPIRY_MARGIN_MS
  static constexpr int64_t kLeaseMs = 30'000;                  // REFRESH_LEASE_MS
  static constexpr int64_t kAbandonedFlowAgeMs = 10 * 60'000;  // ABANDONED_FLOW_AGE_MS
  /// A lease file that does not parse is taken for one being written (npm
  /// creates it empty, then writes) until it is this old.
  static constexpr int64_t kLeaseWriteGraceMs = 2'000;

  TokenStore(FileSystem& fs, Logger& log, std::string store_dir, std::string hash);

  // ---- tokens ----

  /// nullopt if missing, unreadable or invalid (the latter two warn once).
  std::optional<StoredTokens> Load();

  /// After an authorization-code (or device / client-credentials) exchange:
  /// writes {...response, issuer, expires_at, requested_scope}, where
  /// `response` is the SDK's OAuthTokensSchema view of response.raw_json
  /// (unknown members dropped, expires_in coerced, values kept exactly) or,
  /// when raw_json is empty or does not satisfy that schema, the struct's
  /// fields (an empty string counts as absent). expires_at = now +
  /// expires_in*1000 when expires_in is non-zero. nullopt issuer or
  /// requested_scope leaves the key out. Sweeps stale flow files afterwards.
  bool Save(const TokenResponse& response, int64_t now_ms, const std::optional<std::string>& requested_scope,
            const std::optional<std::string>& issuer, std::string* error = nullptr);

  /// After a refresh_token grant: like Save, but the SDK's
  /// {refresh_token: redeemed, ...response}, so the refresh token survives a
  /// response that does not rotate it.
  bool SaveRefreshed(const TokenResponse& response, const std::string& redeemed_refresh_token, int64_t now_ms,
                     const std::optional<std::string>& requested_scope, const std::optional<std::string>& issuer,
                     std::string* error = nullptr);

  /// Re-saves stored tokens with an issuer stamp (the SDK's re-stamp of a
  /// pre-SEP-2352 file). The values come from stored.raw_json when it parses
  /// (so they survive exactly), else from the struct's fields.
  bool Restamp(const StoredTokens& stored, const std::string& issuer,
               const std::optional<std::string>& requested_scope, int64_t now_ms, std::string* error = nullptr);

  /// Removes tokens.json. True if it is gone (or was never there).
  bool Delete();

  /// §1.6 hasUsableTokens: the file is valid, and either expires_at is unset
  /// or more than 60 s away, or there is a (non-empty) refresh token.
  bool HasUsableTokens(int64_t now_ms);
  /// The same judgement of tokens already read.
  static bool Usable(const StoredTokens& tokens, int64_t now_ms);

  // ---- client registration ----

  std::optional<StoredClientInfo> LoadClientInfo();
  /// The registration, unless it is stamped for a different issuer (the
  /// SDK's issuersMatch: equal, or equal but for one trailing slash). A
  /// mismatch returns nullopt and leaves the file for the other server.
  std::optional<StoredClientInfo> LoadClientInfoFor(std::string_view issuer);
  /// `json_text`: the registration response object with "issuer" added.
  /// Refuses (writes nothing) what npm's schema would reject on read.
  bool SaveClientInfo(std::string_view json_text, std::string* error = nullptr);
  bool DeleteClientInfo();

  // ---- per-sign-in files, keyed by the OAuth state ----

  /// The states npm issues and accepts back: ^[A-Za-z0-9-]{1,64}$. Anything
  /// else is refused by every per-state method (no path tricks).
  static bool ValidState(std::string_view state);
  bool SaveCodeVerifier(std::string_view state, std::string_view verifier, std::string* error = nullptr);
  /// The verifier text as stored (npm reads it verbatim); nullopt if absent
  /// or empty.
  std::optional<std::string> LoadCodeVerifier(std::string_view state);
  bool DeleteCodeVerifier(std::string_view state);
  bool SaveDiscoveryState(std::string_view state, const DiscoveryState& discovery, std::string* error = nullptr);
  std::optional<DiscoveryState> LoadDiscoveryState(std::string_view state);
  bool DeleteDiscoveryState(std::string_view state);

  /// Deletes this hash's code_verifier_* and discovery_state_* files (npm's
  /// sweep) and its *.tmp leftovers (ours) whose mtime is at least 10 min
  /// before now. Returns how many were removed.
  int SweepStale(int64_t now_ms);

  // ---- cross-process refresh lease ----

  enum class LeaseDenial { kHeldByOther, kStoreUnusable };

  /// Takes <hash>_refresh_in_progress.json. Returns the nonce to release it
  /// with, or nullopt and why: another live holder, or a store that cannot
  /// be written (then npm refreshes uncoordinated, and so may the caller).
  std::optional<std::string> TryAcquireLease(int64_t now_ms, LeaseDenial* why = nullptr);
  /// Deletes the lease if it still carries `nonce`. True if it did.
  bool ReleaseLease(std::string_view nonce);
  /// A live lease that is not ours: valid, younger than 30 s, holder alive
  /// (or a lease still being written).
  bool LeaseHeldByOther(int64_t now_ms);

  /// The lease file's bytes, as npm's acquireConfigLease writes them.
  static std::string FormatLease(int64_t pid, std::string_view nonce, int64_t at_ms);

  std::string PathFor(std::string_view name) const;
  const std::string& store_dir() const { return store_dir_; }
  const std::string& hash() const { return hash_; }

 private:
  struct Lease;
  enum class LeaseState { kAbsent, kLive, kAbandoned };

  std::optional<std::string> ReadStoreFile(std::string_view name);
  void WarnOnce(std::string_view name, const std::string& reason);
  bool WriteStoreFile(std::string_view name, std::string_view data, std::string* error);
  bool DeleteStoreFile(std::string_view name);
  bool WriteTokens(const std::string& json, int64_t now_ms, std::string* error);
  LeaseState InspectLease(int64_t now_ms, std::string* bytes, std::optional<std::string>* nonce);
  bool RemoveIfUnchanged(const std::string& path, const std::string& expected, int64_t now_ms);

  FileSystem& fs_;
  Logger& log_;
  std::string store_dir_;
  std::string hash_;
  std::map<std::string, std::string, std::less<>> warned_;  // file name -> problem already reported
  std::optional<std::string> held_nonce_;
  int64_t grave_seq_ = 0;
};

/// The loop brakes of §1.8.11: at most `limit` events in any sliding window
/// of `window_ms` (an event at t stops counting at t + window_ms).
class StormBrake {
 public:
  StormBrake(std::size_t limit, int64_t window_ms) : limit_(limit), window_ms_(window_ms) {}
  /// 20 token writes per 30 s ("Stopped after 20 token exchanges in 30s").
  static StormBrake TokenWrites() { return StormBrake(20, 30'000); }
  /// 5 sign-ins started per 30 s.
  static StormBrake SignIns() { return StormBrake(5, 30'000); }

  /// Records an event at now_ms and returns true, or returns false (and
  /// records nothing) when the window is already full.
  bool Allow(int64_t now_ms);
  /// Whether Allow(now_ms) would refuse (npm's inTokenStorm).
  bool Tripped(int64_t now_ms);
  std::size_t limit() const { return limit_; }
  int64_t window_ms() const { return window_ms_; }

 private:
  void Prune(int64_t now_ms);

  std::size_t limit_;
  int64_t window_ms_;
  std::deque<int64_t> events_;
};

/// JSON.stringify(JSON.parse(json_text), null, 2), as Node prints it; nullopt
/// if the text is not JSON. Exposed for tests and other JS-compatible writers.
std::optional<std::string> JsonStringifyIndent2(std::string_view json_text);

}  // namespace mcpr
