// OAuthClient: mcp-remote's OAuth 2.1 client (MCP authorization spec
// 2025-11-25, with the 2026-07-28 deltas; mcp-remote §1.8). It implements
// the proxy's Authenticator seam: a header for every request, and recovery
// when the server answers 401/403.
//
// Flow on a 401 (or at start-up for --client-credentials):
//   1. refresh, if a refresh token is stored (single-flight in the process,
//      and across processes through the store's lease, §1.6);
//   2. otherwise sign in:
//      discovery   PRM (challenge URL, path-inserted, root) -> resource check
//                  -> AS metadata in the spec's order with the issuer check;
//                  no PRM: the 2025-03-26 rules (origin metadata, then
//                  /authorize, /token, /register)
//      PKCE        refuse an AS whose metadata lacks S256
//      client      --static-oauth-client-info > CIMD (--client-metadata-url,
//                  when the AS supports it) > stored registration for this
//                  issuer and redirect URI > DCR (application_type native,
//                  auth method none > post > basic from metadata)
//      grant       authorization code (browser; the callback listener is up
//                  before the browser opens), device code, or
//                  client credentials (secret basic/post or private_key_jwt)
//      scope       pinned > challenge > PRM scopes_supported > omitted;
//                  offline_access only when the AS lists it; on 403
//                  insufficient_scope the union of old and new, at most twice
//      resource    --resource, else PRM's `resource` verbatim, else the
//                  server URL; never with --disable-resource-parameter
//      callback    state compared in constant time (the callback server),
//                  RFC 9207 iss checked against the issuer recorded before
//                  the redirect
//   3. tokens are saved in npm's store format (shared with npm mcp-remote).
// Loop brakes: 5 sign-ins or 20 token writes within 30 s stop the attempts.
// Error recovery: invalid_grant on refresh -> drop tokens, sign in again;
// invalid_client -> drop the registration and tokens, register again (once).
// A refresh that fails for a transient reason (no answer, reset, timeout,
// HTTP 5xx/429/408, server_error / temporarily_unavailable, or a 200 that is
// not a token response) keeps the grant and fails the waiting requests
// instead: a new sign-in needs the same token endpoint, so a browser tab
// would not help (npm opens one). After 3 such failures in a row the browser
// sign-in is tried anyway (an endpoint that never refreshes). One host
// request costs at most one token-endpoint deadline (30 s): a failed refresh
// before sending is not repeated for the 401 that follows, nor before the
// next 10 s. Tokens that cannot be saved (read-only store, full disk) are
// used from memory, and the older tokens.json is not read back over them.
// Bearer: the access token, or with --use-id-token the id_token, renewed on
// its own JWT exp; without one the access token is sent (warned once).
// Secrets (tokens, codes, verifiers, client secrets) are never logged.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authenticator.h"
#include "browser.h"
#include "event_loop.h"
#include "filesystem.h"
#include "http.h"
#include "log.h"
#include "oauth_messages.h"
#include "oauth_metadata.h"
#include "options.h"
#include "token_store.h"

namespace mcpr {

class CallbackServer;
class Coordinator;

class OAuthClient : public Authenticator {
 public:
  OAuthClient(EventLoop& loop, HttpClient& http, Logger& log, const Options& options, FileSystem& fs,
              std::string store_dir, std::string server_hash);
  ~OAuthClient() override;

  // AuthProvider
  std::optional<std::string> AuthorizationHeader() override;
  // Authenticator
  void OnUnauthorized(const SendResult& result, Done done) override;
  bool WantsRefreshBeforeSend() override;
  void RefreshBeforeSend(Done done) override;

  /// Milliseconds since the epoch (system clock; token expiry is wall time).
  static std::int64_t NowMs();

  /// A confined process opens the browser through this helper (browser.h);
  /// nullptr (the default) spawns the opener directly.
  void set_browser_broker(BrowserBroker* broker) { browser_broker_ = broker; }

 private:
  BrowserBroker* browser_broker_ = nullptr;

  struct Fetched {
    long status = 0;
    std::string body;
    std::string error;  // transport error, "" if an HTTP answer arrived
    std::vector<std::string> www_authenticate;
  };
  using FetchDone = std::function<void(Fetched)>;

  // Plumbing.
  void Fetch(HttpRequest request, FetchDone done);
  void PostForm(const std::string& url, FormParams params, bool with_client_auth, FetchDone done);
  void AddClientAuth(FormParams* params, std::vector<std::pair<std::string, std::string>>* headers,
                     const std::string& token_url);
  void Finish(bool ok, const std::string& why);

  // Steps.
  void Begin(const SendResult* result);
  void Discover(std::function<void(bool, std::string)> done);
  void DiscoverPrm(std::vector<std::string> urls, std::size_t i, std::function<void(bool, std::string)> done);
  void DiscoverAs(std::vector<std::string> urls, std::size_t i, std::string issuer,
                  std::function<void(bool, std::string)> done);
  // `transient`: the authorization server gave no usable answer (see the
  // header comment); false when it refused the grant or we cannot refresh.
  using RefreshDone = std::function<void(bool ok, bool transient, std::string why)>;
  void Refresh(RefreshDone done);
  void RefreshUnderLease(RefreshDone done);
  void OnRefreshAnswer(const Fetched& f, const std::string& redeemed, RefreshDone done);
  void WaitForSiblingRefresh(std::string old_access, int polls, RefreshDone done);
  void AfterTransientRefreshFailure(const std::string& why);
  void SignIn();
  void EnsureClient(const std::string& redirect_uri, std::function<void(bool, std::string)> done);
  void AuthorizationCodeFlow();
  void LeaderSignIn();
  void StartAuthorization(bool allow_preflight);
  void OpenAuthorizationPage(const std::string& url);
  void RetireCoordinator();
  void OnCallbackCode(const std::string& code, const std::string& state, const std::string& iss, bool has_iss);
  void ExchangeCode(const std::string& code, const std::string& state);
  void ClientCredentialsFlow();
  void CrossAppAccessFlow();
  void ChooseStaticAuthMethod();
  void DeviceFlow();
  void PollDevice(std::string device_code, int interval_s, std::int64_t deadline_ms);
  bool SaveTokens(const TokenResponse& response, const std::string* redeemed_refresh);
  void HandleTokenError(const Fetched& f, const char* what);

  std::string Resource() const;          // "" = do not send
  std::string BaseScope() const;
  std::string ChooseAuthMethod() const;  // for DCR
  bool PkceSupported(std::string* why) const;
  void LoadStoredTokens();
  /// tokens.json, unless its bytes are ones this process knows to be older
  /// than its tokens in memory (see ignored_disk_tokens_).
  std::optional<StoredTokens> LoadNewerTokens();
  void IgnoreDiskTokens();

  EventLoop& loop_;
  HttpClient& http_;
  Logger& log_;
  const Options& options_;
  TokenStore store_;
  std::optional<StoredTokens> tokens_;
  bool warned_no_id_token_ = false;  // --use-id-token met tokens without one (warned once)

  // Discovery results.
  bool discovered_ = false;
  std::optional<ProtectedResourceMetadata> prm_;
  std::string prm_url_;
  std::string as_url_;
  AuthServerMetadata as_;
  bool as_from_metadata_ = false;

  // The client registration in use.
  std::string client_id_;
  std::string client_secret_;
  std::string auth_method_;   // none | client_secret_post | client_secret_basic | private_key_jwt
  std::string private_key_pem_, signing_alg_;
  bool client_from_static_ = false;
  bool client_from_store_ = false;  // a cached DCR registration (pre-flighted before use)

  // The attempt in progress (one at a time; concurrent callers wait).
  bool busy_ = false;
  std::vector<Done> waiters_;
  std::string challenge_scope_;
  std::string requested_scope_;
  bool force_sign_in_ = false;
  bool registration_retried_ = false;
  int step_ups_ = 0;
  std::string pending_state_;
  std::string pending_verifier_;
  std::string pending_redirect_;
  EventLoop::TimerId sign_in_timer_ = 0;
  StormBrake sign_in_brake_ = StormBrake::SignIns();
  // Refresh failures: consecutive transient ones (reset by new tokens); the
  // last failed refresh before sending, and its reason when it was transient
  // (taken by the 401 that follows, so one request waits one deadline).
  int transient_refresh_failures_ = 0;
  std::int64_t proactive_failed_at_ms_ = 0;
  std::string proactive_transient_why_;
  // Raw tokens.json this process knows to be stale: newer tokens could not
  // be saved over it, or its refused grant could not be deleted.
  std::optional<std::string> ignored_disk_tokens_;
  bool save_failure_reported_ = false;
  StormBrake token_brake_ = StormBrake::TokenWrites();
  std::unique_ptr<Coordinator> coordinator_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace mcpr
