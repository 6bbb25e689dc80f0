#include "oauth_client.h"

#include <boost/json.hpp>

#include <chrono>
#include <limits>

#include "browser.h"
#include "callback_server.h"
#include "coordinator.h"
#include "crypto.h"
#include "jwt.h"
#include "oauth_scope.h"
#include "server_hash.h"
#include "url.h"
#include "www_authenticate.h"

#ifndef MCPR_VERSION
#define MCPR_VERSION "0.0.0"
#endif

namespace mcpr {

namespace json = boost::json;

namespace {

constexpr Millis kDiscoveryTimeout{5000};
constexpr Millis kTokenTimeout{30000};
constexpr std::size_t kMaxOAuthBody = 1 << 20;
constexpr Millis kSignInTimeout{300000};  // the person in the browser has 5 minutes
// A refresh that failed for a transient reason is not tried again before
// sending for this long; the 401 that follows reuses its outcome.
constexpr std::int64_t kProactiveRetryMs = 10000;
// Transient refresh failures in a row after which a browser sign-in is tried.
constexpr int kTransientRefreshFailuresBeforeSignIn = 3;
constexpr char kSoftwareId[] = "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d";  // npm mcp-remote's

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// When the bearer presented for `t` is due for renewal (epoch ms); nullopt
// when its expiry is unknown. The credential on the wire decides (npm's
// bearerExpiresAt, §1.8.10): with --use-id-token that is the id_token, whose
// JWT exp (and iat) can differ from the access token's expires_in. It is
// read from the token itself, so tokens loaded from the store or written by
// a sibling are judged like the ones this process received. npm's 60 s
// margin, but never more than half the credential's lifetime: a 3-second
// token is renewed at 1.5 s, not before every single request (which would
// trip the token-storm brake within seconds).
std::optional<std::int64_t> RenewalDueMs(const StoredTokens& t, bool use_id_token) {
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1000;
  std::optional<std::int64_t> expires_at = t.expires_at_ms;
  std::optional<std::int64_t> lifetime_ms;
  if (t.expires_in && *t.expires_in > 0 && *t.expires_in < kMaxSeconds) lifetime_ms = *t.expires_in * 1000;
  // When the tokens arrived (expires_at - expires_in), if both are known.
  std::optional<std::int64_t> received_ms;
  if (t.expires_at_ms && lifetime_ms) received_ms = *t.expires_at_ms - *lifetime_ms;
  if (use_id_token && t.id_token && !t.id_token->empty()) {
    std::optional<std::int64_t> exp = JwtExpiry(*t.id_token);
    if (exp && *exp > -kMaxSeconds && *exp < kMaxSeconds) {
      expires_at = *exp * 1000;
      std::optional<std::int64_t> iat = JwtNumericDate(*t.id_token, "iat");
      lifetime_ms.reset();
      if (iat && *iat > -kMaxSeconds && *iat < *exp) {
        lifetime_ms = (*exp - *iat) * 1000;
      } else if (received_ms && *expires_at > *received_ms) {
        lifetime_ms = *expires_at - *received_ms;  // no iat: measured from receipt instead
      }
    }
  }
  if (!expires_at) return std::nullopt;
  std::int64_t margin = TokenStore::kExpiryMarginMs;
  if (lifetime_ms) margin = std::min(margin, *lifetime_ms / 2);
  return *expires_at - margin;
}

}  // namespace

std::int64_t OAuthClient::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

OAuthClient::OAuthClient(EventLoop& loop, HttpClient& http, Logger& log, const Options& options, FileSystem& fs,
                         std::string store_dir, std::string server_hash)
    : loop_(loop),
      http_(http),
      log_(log),
      options_(options),
      store_(fs, log, std::move(store_dir), std::move(server_hash)) {
  // A pre-registered client (--static-oauth-client-info) is known up front.
  if (!options_.static_oauth_client_info.empty()) {
    json::error_code ec;
    json::value v = json::parse(options_.static_oauth_client_info, ec);
    if (!ec && v.is_object()) {
      const auto& o = v.as_object();
      client_id_ = Str(o, "client_id");
      client_secret_ = Str(o, "client_secret");
      private_key_pem_ = Str(o, "private_key_pem");
      signing_alg_ = Str(o, "signing_algorithm");
      auth_method_ = Str(o, "token_endpoint_auth_method");
      client_from_static_ = !client_id_.empty();
    }
  }
  LoadStoredTokens();
}

OAuthClient::~OAuthClient() {
  if (coordinator_) coordinator_->Release();
  if (sign_in_timer_) loop_.CancelTimer(sign_in_timer_);
}

void OAuthClient::LoadStoredTokens() {
  tokens_ = LoadNewerTokens();
  if (tokens_) log_.Debug("Loaded stored tokens");
}

std::optional<StoredTokens> OAuthClient::LoadNewerTokens() {
  std::optional<StoredTokens> stored = store_.Load();
  if (stored && ignored_disk_tokens_ && stored->raw_json == *ignored_disk_tokens_) return std::nullopt;
  return stored;
}

void OAuthClient::IgnoreDiskTokens() {
  std::optional<StoredTokens> stored = store_.Load();
  ignored_disk_tokens_ = stored ? stored->raw_json : std::string();
}

// ---------------------------------------------------------------- headers

std::optional<std::string> OAuthClient::AuthorizationHeader() {
  if (!tokens_ || tokens_->access_token.empty()) return std::nullopt;
  if (options_.use_id_token) {
    if (tokens_->id_token && !tokens_->id_token->empty()) return "Bearer " + *tokens_->id_token;
    if (!warned_no_id_token_) {  // npm's wording, once per process (§1.3)
      warned_no_id_token_ = true;
      log_.Warn(
          "Warning: --use-id-token was passed but the authorization server issued no ID token, so the access token "
          "is being sent instead. An ID token is only returned when `openid` is among the requested scopes.");
    }
  }
  return "Bearer " + tokens_->access_token;
}

bool OAuthClient::WantsRefreshBeforeSend() {
  if (busy_ || !tokens_) return false;
  // Just failed: send the stored token (the server's 401 decides), instead
  // of refreshing again for the very messages that waited for that attempt.
  if (proactive_failed_at_ms_ != 0 && NowMs() - proactive_failed_at_ms_ < kProactiveRetryMs) return false;
  bool renewable = (tokens_->refresh_token && !tokens_->refresh_token->empty()) || options_.client_credentials;
  std::optional<std::int64_t> due = RenewalDueMs(*tokens_, options_.use_id_token);
  return renewable && due && NowMs() >= *due;
}

void OAuthClient::RefreshBeforeSend(Done done) {
  waiters_.push_back(std::move(done));
  if (busy_) return;
  busy_ = true;
  if (options_.client_credentials) {
    Discover([this](bool ok, std::string why) {
      if (!ok) return Finish(false, why);
      ClientCredentialsFlow();
    });
    return;
  }
  Refresh([this](bool ok, bool transient, std::string why) {
    // A failed proactive refresh is not fatal: the stored token is sent and
    // the server's 401 drives the reactive path (npm does the same). The
    // line is Info: if that 401 comes, its failure is the one reported.
    if (!ok) {
      log_.Info("Proactive token refresh failed ({}); trying the stored token", why);
      proactive_failed_at_ms_ = NowMs();
      proactive_transient_why_ = transient ? why : std::string();
    }
    Finish(true, {});
  });
}

// ---------------------------------------------------------------- 401 / 403

void OAuthClient::OnUnauthorized(const SendResult& result, Done done) {
  waiters_.push_back(std::move(done));
  if (busy_) return;
  busy_ = true;
  Begin(&result);
}

void OAuthClient::Finish(bool ok, const std::string& why) {
  busy_ = false;
  force_sign_in_ = false;
  if (sign_in_timer_) loop_.CancelTimer(sign_in_timer_);
  sign_in_timer_ = 0;
  RetireCoordinator();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w(ok, why);
}

void OAuthClient::Begin(const SendResult* result) {
  BearerChallenge challenge;
  if (result) challenge = FindBearer({result->www_authenticate});
  std::string header_prm = challenge.resource_metadata;
  if (!challenge.scope.empty()) challenge_scope_ = challenge.scope;

  if (result && result->status == 403) {
    if (challenge.error != "insufficient_scope") return Finish(false, "the server refused access (HTTP 403)");
    // Step-up (spec "Step-Up Authorization Flow"): ask for the union of what
    // we asked before and what the server wants, a bounded number of times.
    if (++step_ups_ > 2) return Finish(false, "the server still requires more scope after re-authorization");
    challenge_scope_ = UnionScopes(requested_scope_, challenge.scope);
    force_sign_in_ = true;
    log_.Info("The server requires additional scope; signing in again");
  }
  if (!header_prm.empty()) prm_url_ = header_prm;

  if (!force_sign_in_ && !options_.client_credentials && tokens_ && tokens_->refresh_token &&
      !tokens_->refresh_token->empty()) {
    std::string proactive_why = std::move(proactive_transient_why_);
    proactive_transient_why_.clear();
    if (!proactive_why.empty() && NowMs() - proactive_failed_at_ms_ < kProactiveRetryMs) {
      // The refresh before this request failed moments ago (it may have
      // waited the whole deadline): do not make the host wait twice.
      return AfterTransientRefreshFailure(proactive_why);
    }
    Refresh([this](bool ok, bool transient, std::string why) {
      if (ok) return Finish(true, {});
      if (transient) return AfterTransientRefreshFailure(why);
      log_.Info("Token refresh failed ({}); signing in again", why);
      SignIn();
    });
    return;
  }
  SignIn();
}

void OAuthClient::AfterTransientRefreshFailure(const std::string& why) {
  if (transient_refresh_failures_ >= kTransientRefreshFailuresBeforeSignIn) {
    // It keeps failing: perhaps this server never refreshes. A sign-in is
    // the way out then (and the brakes bound it if the server is down).
    log_.Info("Token refresh failed {} times in a row ({}); signing in again", transient_refresh_failures_, why);
    transient_refresh_failures_ = 0;
    return SignIn();
  }
  Finish(false, "could not refresh the access token (" + why + "); the sign-in is kept, please retry");
}

// ---------------------------------------------------------------- HTTP helpers

void OAuthClient::Fetch(HttpRequest request, FetchDone done) {
  std::weak_ptr<int> alive = alive_;
  auto result = std::make_shared<Fetched>();
  HttpCallbacks cb;
  cb.on_head = [result](const HttpResponseHead& head) {
    result->status = head.status;
    for (const auto& [k, v] : head.headers)
      if (k == "www-authenticate") result->www_authenticate.push_back(v);
  };
  cb.on_body = [result](std::string_view chunk) {
    if (result->body.size() + chunk.size() > kMaxOAuthBody) return false;
    result->body.append(chunk);
    return true;
  };
  cb.on_done = [alive, result, done = std::move(done)](const HttpError& e) {
    if (alive.expired()) return;
    if (!e.ok() && (result->status == 0 || e.kind != HttpError::Kind::kAborted)) {
      result->error = e.kind == HttpError::Kind::kAborted ? "response too large" : e.message;
    }
    done(std::move(*result));
  };
  http_.Start(std::move(request), std::move(cb));
}

void OAuthClient::AddClientAuth(FormParams* params, std::vector<std::pair<std::string, std::string>>* headers,
                                const std::string& token_url) {
  if (auth_method_ == "client_secret_basic" && !client_secret_.empty()) {
    headers->emplace_back("Authorization", BasicAuthorization(client_id_, client_secret_));
    return;
  }
  params->emplace_back("client_id", client_id_);
  if (auth_method_ == "client_secret_post" && !client_secret_.empty()) {
    params->emplace_back("client_secret", client_secret_);
  } else if (auth_method_ == "private_key_jwt" && !private_key_pem_.empty()) {
    std::int64_t now = NowMs() / 1000;
    // RFC 7523 §3: aud identifies the AS; its issuer is the identifier
    // servers check (the token endpoint URL is the fallback).
    std::string aud = as_.issuer.empty() ? token_url : as_.issuer;
    json::object claims{{"iss", client_id_}, {"sub", client_id_}, {"aud", aud},
                        {"iat", now},        {"exp", now + 300},  {"jti", RandomUuidV4()}};
    std::string err;
    auto jwt = SignJwt(private_key_pem_, signing_alg_.empty() ? "ES256" : signing_alg_, "",
                       json::serialize(claims), &err);
    if (jwt) {
      params->emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      params->emplace_back("client_assertion", *jwt);
    } else {
      log_.Error("Could not sign the client assertion: {}", err);
    }
  }
}

void OAuthClient::PostForm(const std::string& url, FormParams params, bool with_client_auth, FetchDone done) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  for (const auto& h : options_.headers)  // npm sends custom headers on OAuth requests too
    if (h.name != "Authorization" && h.name != "authorization") req.headers.emplace_back(h.name, h.value);
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  if (with_client_auth) AddClientAuth(&params, &req.headers, url);
  req.body = FormEncode(params);
  req.connect_timeout = options_.connect_timeout.value_or(Millis(10000));
  req.headers_timeout = kTokenTimeout;
  req.total_timeout = kTokenTimeout;
  Fetch(std::move(req), std::move(done));
}

// ---------------------------------------------------------------- discovery

void OAuthClient::Discover(std::function<void(bool, std::string)> done) {
  if (discovered_) return done(true, {});
  if (!options_.token_endpoint.empty()) {
    // --token-endpoint (client credentials): no discovery at all (§1.3).
    ParsedUrl u;
    std::string err;
    ParseUrl(options_.token_endpoint, &u, &err);
    as_ = AuthServerMetadata{};
    as_.issuer = Origin(u);
    as_.token_endpoint = options_.token_endpoint;
    as_url_ = as_.issuer;
    discovered_ = true;
    return done(true, {});
  }
  DiscoverPrm(ProtectedResourceMetadataUrls(options_.server_url, prm_url_), 0, std::move(done));
}

void OAuthClient::DiscoverPrm(std::vector<std::string> urls, std::size_t i,
                              std::function<void(bool, std::string)> done) {
  if (i >= urls.size()) {
    // No PRM: a 2025-03-26 server. Its origin is the authorization base URL.
    ParsedUrl u;
    std::string err;
    ParseUrl(options_.server_url, &u, &err);
    as_url_ = Origin(u);
    log_.Debug("No protected resource metadata; using {} as the authorization server", as_url_);
    return DiscoverAs(AuthServerMetadataUrls(as_url_), 0, as_url_, std::move(done));
  }
  HttpRequest req;
  req.url = urls[i];
  req.headers = {{"Accept", "application/json"}, {"MCP-Protocol-Version", "2025-11-25"}};
  req.connect_timeout = kDiscoveryTimeout;
  req.headers_timeout = kDiscoveryTimeout;
  req.total_timeout = kDiscoveryTimeout;
  Fetch(std::move(req), [this, urls, i, done = std::move(done)](Fetched f) mutable {
    ProtectedResourceMetadata prm;
    std::string err;
    if (f.error.empty() && f.status == 200 && ParsePrm(f.body, &prm, &err)) {
      if (!ResourceMatches(prm.resource, options_.server_url)) {
        return done(false, "the protected resource metadata is for another resource (" + prm.resource + ")");
      }
      prm_ = prm;
      prm_url_ = urls[i];
      as_url_ = prm.authorization_servers.front();
      log_.Debug("Protected resource metadata from {}", urls[i]);
      return DiscoverAs(AuthServerMetadataUrls(as_url_), 0, as_url_, std::move(done));
    }
    DiscoverPrm(std::move(urls), i + 1, std::move(done));
  });
}

void OAuthClient::DiscoverAs(std::vector<std::string> urls, std::size_t i, std::string issuer,
                             std::function<void(bool, std::string)> done) {
  if (i >= urls.size()) {
    if (prm_) return done(false, "no authorization server metadata found for " + issuer);
    // 2025-03-26: no metadata -> default endpoints under the origin.
    as_ = LegacyDefaultMetadata(options_.server_url);
    as_from_metadata_ = false;
    discovered_ = true;
    log_.Debug("No authorization server metadata; using the default endpoints");
    return done(true, {});
  }
  HttpRequest req;
  req.url = urls[i];
  req.headers = {{"Accept", "application/json"}, {"MCP-Protocol-Version", "2025-11-25"}};
  req.connect_timeout = kDiscoveryTimeout;
  req.headers_timeout = kDiscoveryTimeout;
  req.total_timeout = kDiscoveryTimeout;
  Fetch(std::move(req), [this, urls, i, issuer, done = std::move(done)](Fetched f) mutable {
    if (f.error.empty() && f.status == 200) {
      AuthServerMetadata md;
      std::string err;
      AsMetadataOptions opts;
      opts.allow_insecure_http = true;  // endpoint checks below allow http only to loopback
      if (ParseAuthServerMetadata(f.body, issuer, &md, &err, opts)) {
        as_ = std::move(md);
        as_from_metadata_ = true;
        discovered_ = true;
        log_.Debug("Authorization server metadata from {}", urls[i]);
        return done(true, {});
      }
      log_.Warn("Ignoring authorization server metadata from {}: {}", urls[i], err);
    }
    DiscoverAs(std::move(urls), i + 1, std::move(issuer), std::move(done));
  });
}

bool OAuthClient::PkceSupported(std::string* why) const {
  if (!as_from_metadata_) return true;  // no metadata at all (2025-03-26 defaults)
  if (!as_.has_code_challenge_methods || !Contains(as_.code_challenge_methods_supported, "S256")) {
    *why = "the authorization server does not advertise PKCE S256 (code_challenge_methods_supported)";
    return false;
  }
  return true;
}

std::string OAuthClient::Resource() const {
  if (options_.disable_resource_parameter) return {};
  if (options_.resource) return *options_.resource;
  if (prm_ && !prm_->resource.empty()) return prm_->resource;  // verbatim (npm adds a slash)
  if (!options_.token_endpoint.empty()) return {};
  return options_.server_url;
}

// Scope selection (spec "Scope Selection Strategy"; §1.8.3 minus npm's
// default scope): pinned > challenge (or the step-up union) > PRM > none.
std::string OAuthClient::BaseScope() const {
  ScopeInputs si;
  if (!options_.static_oauth_client_metadata.empty()) {
    json::error_code ec;
    json::value v = json::parse(options_.static_oauth_client_metadata, ec);
    if (!ec && v.is_object()) si.pinned_scope = Str(v.as_object(), "scope");
  }
  si.challenge_scope = challenge_scope_;
  if (prm_) {
    si.prm_scopes_supported = prm_->scopes_supported;
    si.prm_has_scopes_supported = prm_->has_scopes_supported;
  }
  return SelectScope(si);
}

// ---------------------------------------------------------------- tokens

bool OAuthClient::SaveTokens(const TokenResponse& response, const std::string* redeemed_refresh) {
  if (!token_brake_.Allow(NowMs())) {
    log_.Error("Stopped after {} token exchanges in 30s; check that the server's audience and scopes match",
               token_brake_.limit());
    return false;
  }
  std::string err;
  std::optional<std::string> issuer = as_.issuer.empty() ? std::nullopt : std::optional<std::string>(as_.issuer);
  bool ok = redeemed_refresh
                ? store_.SaveRefreshed(response, *redeemed_refresh, NowMs(), requested_scope_, issuer, &err)
                : store_.Save(response, NowMs(), requested_scope_, issuer, &err);
  if (ok) {
    ignored_disk_tokens_.reset();
    save_failure_reported_ = false;
  } else {
    // The atomic write left the old file as it was; these tokens live on in
    // memory, and that older file must not be read back over them (its
    // refresh token may already be used up by the rotation).
    IgnoreDiskTokens();
    if (!save_failure_reported_) {
      log_.Warn("Could not save the new tokens ({}); using them in memory until mcp-remote exits", err);
      save_failure_reported_ = true;
    } else {
      log_.Debug("Could not save the new tokens ({})", err);
    }
  }
  transient_refresh_failures_ = 0;
  proactive_failed_at_ms_ = 0;
  proactive_transient_why_.clear();
  StoredTokens t;
  t.access_token = response.access_token;
  t.token_type = response.token_type;
  if (!response.refresh_token.empty()) {
    t.refresh_token = response.refresh_token;
  } else if (redeemed_refresh) {
    t.refresh_token = *redeemed_refresh;
  }
  if (!response.id_token.empty()) t.id_token = response.id_token;
  if (!response.scope.empty()) t.scope = response.scope;
  t.expires_in = response.expires_in;
  if (response.expires_in && *response.expires_in > 0) t.expires_at_ms = NowMs() + *response.expires_in * 1000;
  tokens_ = std::move(t);
  return true;
}

void OAuthClient::HandleTokenError(const Fetched& f, const char* what) {
  OAuthError e;
  ParseOAuthError(static_cast<int>(f.status), f.body, &e);
  if (e.error == "invalid_client" || e.error == "unauthorized_client") {
    if (!client_from_static_ && !registration_retried_) {
      // The AS forgot our registration: register again, once (§1.8.10).
      registration_retried_ = true;
      log_.Info("The authorization server no longer knows this client; registering again");
      store_.DeleteClientInfo();
      store_.Delete();
      tokens_.reset();
      client_id_.clear();
      client_secret_.clear();
      return SignIn();
    }
  }
  Finish(false, std::string(what) + " failed: " + (f.error.empty() ? e.message : f.error));
}

void OAuthClient::Refresh(RefreshDone done) {
  // Every attempt's outcome passes here: count the transient failures.
  RefreshDone counted = [this, done = std::move(done)](bool ok, bool transient, std::string why) {
    if (ok) {
      transient_refresh_failures_ = 0;
    } else if (transient) {
      ++transient_refresh_failures_;
    }
    done(ok, transient, std::move(why));
  };
  Discover([this, done = std::move(counted)](bool ok, std::string why) mutable {
    if (!ok) return done(false, false, why);
    // Re-read: a sibling may have rotated the refresh token (§1.8.10).
    if (auto fresh = LoadNewerTokens()) tokens_ = fresh;
    if (!tokens_ || !tokens_->refresh_token) return done(false, false, "no refresh token");
    std::optional<StoredClientInfo> info = client_from_static_ ? std::nullopt : store_.LoadClientInfoFor(as_.issuer);
    if (info && client_id_.empty()) {
      client_id_ = info->client_id;
      client_secret_ = info->client_secret.value_or("");
      auth_method_ = info->token_endpoint_auth_method.value_or("none");
    }
    if (client_id_.empty()) return done(false, false, "no client registration for this authorization server");
    RefreshUnderLease(std::move(done));
  });
}

void OAuthClient::RefreshUnderLease(RefreshDone done) {
  TokenStore::LeaseDenial denial{};
  std::optional<std::string> nonce = store_.TryAcquireLease(NowMs(), &denial);
  if (!nonce && denial == TokenStore::LeaseDenial::kHeldByOther) {
    // Another process is redeeming the (single-use) refresh token: wait for
    // its result instead of burning the token twice (§1.6).
    log_.Debug("Another instance is refreshing the token; waiting for it");
    return WaitForSiblingRefresh(tokens_->access_token, 0, std::move(done));
  }
  std::string redeemed = *tokens_->refresh_token;
  FormParams p{{"grant_type", "refresh_token"}, {"refresh_token", redeemed}};
  std::string scope = tokens_->scope.value_or(tokens_->requested_scope.value_or(""));
  if (!scope.empty()) p.emplace_back("scope", scope);  // Entra ID needs it (AADSTS90009)
  if (std::string r = Resource(); !r.empty()) p.emplace_back("resource", r);
  log_.Info("Refreshing the access token");
  PostForm(as_.token_endpoint, std::move(p), true,
           [this, nonce, redeemed, done = std::move(done)](Fetched f) mutable {
             if (nonce) store_.ReleaseLease(*nonce);
             OnRefreshAnswer(f, redeemed, std::move(done));
           });
}

// What the token endpoint said to a refresh. Only a definite refusal of the
// grant loses it; everything that is not an answer keeps it (transient).
void OAuthClient::OnRefreshAnswer(const Fetched& f, const std::string& redeemed, RefreshDone done) {
  if (!f.error.empty()) return done(false, true, f.error);  // unreachable, reset, timeout
  TokenResponse tr;
  std::string err;
  OAuthError e;
  bool is_oauth_error = false;
  if (f.status == 200) {
    if (ParseTokenResponse(f.body, &tr, &err)) {
      if (!SaveTokens(tr, &redeemed)) return done(false, false, "token storm");
      log_.Info("Access token refreshed");
      return done(true, false, {});
    }
    // Some servers (GitHub) answer errors with 200: those are refusals too.
    is_oauth_error = ParseOAuthError(200, f.body, &e);
    if (!is_oauth_error) return done(false, true, "invalid token response: " + err);
  } else {
    is_oauth_error = ParseOAuthError(static_cast<int>(f.status), f.body, &e);
  }
  bool server_trouble = f.status >= 500 || f.status == 429 || f.status == 408;
  if (!is_oauth_error) return done(false, server_trouble, e.message);
  const bool refusal = e.error == "invalid_grant" || e.error == "invalid_client" || e.error == "unauthorized_client";
  // A 5xx/429/408 is trouble on the server's side whatever error code its
  // body carries, unless that code refuses the grant or the client.
  if (e.error == "server_error" || e.error == "temporarily_unavailable" || (server_trouble && !refusal))
    return done(false, true, e.message);
  if (e.error == "invalid_grant") {
    // The grant is gone (expired, revoked, already used): a new sign-in.
    if (!store_.Delete()) IgnoreDiskTokens();
    tokens_.reset();
  } else if (e.error == "invalid_client" || e.error == "unauthorized_client") {
    // The AS forgot our registration: drop it and the tokens; the
    // sign-in that follows registers again (§1.8.10).
    if (!store_.Delete()) IgnoreDiskTokens();
    tokens_.reset();
    if (!client_from_static_) {
      store_.DeleteClientInfo();
      client_id_.clear();
      client_secret_.clear();
      auth_method_.clear();
    }
  }
  done(false, false, e.message);
}

void OAuthClient::WaitForSiblingRefresh(std::string old_access, int polls, RefreshDone done) {
  std::weak_ptr<int> alive = alive_;
  loop_.AddTimer(Millis(200), [this, alive, old_access, polls, done = std::move(done)]() mutable {
    if (alive.expired()) return;
    auto fresh = LoadNewerTokens();
    if (fresh && fresh->access_token != old_access) {
      tokens_ = fresh;
      return done(true, false, {});
    }
    if (!store_.LeaseHeldByOther(NowMs())) return RefreshUnderLease(std::move(done));
    if (polls > 150) return done(false, true, "timed out waiting for another instance's refresh");
    WaitForSiblingRefresh(old_access, polls + 1, std::move(done));
  });
}

// ---------------------------------------------------------------- sign-in

void OAuthClient::SignIn() {
  if (!sign_in_brake_.Allow(NowMs()))
    return Finish(false, "stopped after 5 sign-in attempts within 30 s");
  Discover([this](bool ok, std::string why) {
    if (!ok) return Finish(false, why);
    if (!options_.idp_token_endpoint.empty()) return CrossAppAccessFlow();
    if (options_.client_credentials) return ClientCredentialsFlow();
    std::string pkce_why;
    if (!PkceSupported(&pkce_why)) return Finish(false, pkce_why);
    if (options_.device_code) return DeviceFlow();
    AuthorizationCodeFlow();
  });
}

std::string OAuthClient::ChooseAuthMethod() const {
  const auto& m = as_.token_endpoint_auth_methods_supported;
  if (m.empty() || Contains(m, "none")) return "none";
  if (Contains(m, "client_secret_post")) return "client_secret_post";
  if (Contains(m, "client_secret_basic")) return "client_secret_basic";
  return "none";
}

void OAuthClient::EnsureClient(const std::string& redirect_uri, std::function<void(bool, std::string)> done) {
  if (client_from_static_) {
    if (auth_method_.empty()) {
      const auto& m = as_.token_endpoint_auth_methods_supported;
      if (!private_key_pem_.empty()) {
        auth_method_ = "private_key_jwt";
      } else if (client_secret_.empty()) {
        auth_method_ = "none";
      } else if (m.empty() || Contains(m, "client_secret_basic")) {
        auth_method_ = "client_secret_basic";
      } else {
        auth_method_ = Contains(m, "client_secret_post") ? "client_secret_post" : "client_secret_basic";
      }
    }
    return done(true, {});
  }
  if (!options_.client_metadata_url.empty() && as_.client_id_metadata_document_supported) {
    client_id_ = options_.client_metadata_url;  // SEP-991: the URL is the client id
    client_secret_.clear();
    auth_method_ = "none";
    return done(true, {});
  }
  if (auto info = store_.LoadClientInfoFor(as_.issuer)) {
    bool redirect_ok = redirect_uri.empty() || Contains(info->redirect_uris, redirect_uri);
    if (redirect_ok && !info->client_id.empty()) {
      client_id_ = info->client_id;
      client_secret_ = info->client_secret.value_or("");
      auth_method_ = info->token_endpoint_auth_method.value_or("none");
      client_from_store_ = true;
      return done(true, {});
    }
    log_.Info("The stored client registration does not match this redirect URI; registering again");
    store_.DeleteClientInfo();
  }
  if (as_from_metadata_ && as_.registration_endpoint.empty())
    return done(false, "Incompatible auth server: does not support dynamic client registration");
  std::string endpoint = as_.registration_endpoint;

  json::object body;
  body["redirect_uris"] = redirect_uri.empty() ? json::array() : json::array{json::string(redirect_uri)};
  body["token_endpoint_auth_method"] = ChooseAuthMethod();
  if (options_.client_credentials) {
    body["grant_types"] = json::array{"client_credentials"};
  } else if (options_.device_code) {
    body["grant_types"] = json::array{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"};
  } else {
    body["grant_types"] = json::array{"authorization_code", "refresh_token"};
  }
  body["response_types"] = json::array{"code"};
  body["client_name"] = options_.program == "mcp-remote-client" ? "MCP CLI Client" : "MCP CLI Proxy";
  body["client_uri"] = "https://github.com/modelcontextprotocol/mcp-cli";
  body["software_id"] = kSoftwareId;
  body["software_version"] = MCPR_VERSION;
  if (!options_.static_oauth_client_metadata.empty()) {
    json::error_code ec;
    json::value extra = json::parse(options_.static_oauth_client_metadata, ec);
    if (!ec && extra.is_object())
      for (const auto& [k, v] : extra.as_object()) body[k] = v;
  }
  if (!requested_scope_.empty()) body["scope"] = requested_scope_;
  body["application_type"] = "native";

  HttpRequest req;
  req.method = "POST";
  req.url = endpoint;
  for (const auto& h : options_.headers)
    if (h.name != "Authorization" && h.name != "authorization") req.headers.emplace_back(h.name, h.value);
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "application/json");
  req.body = json::serialize(body);
  req.headers_timeout = kTokenTimeout;
  req.total_timeout = kTokenTimeout;
  log_.Info("Registering this client with the authorization server");
  Fetch(std::move(req), [this, done = std::move(done)](Fetched f) {
    if (!f.error.empty()) return done(false, "client registration failed: " + f.error);
    if (f.status != 200 && f.status != 201) {
      OAuthError e;
      ParseOAuthError(static_cast<int>(f.status), f.body, &e);
      return done(false, "client registration failed: " + e.message);
    }
    json::error_code ec;
    json::value v = json::parse(f.body, ec);
    if (ec || !v.is_object() || Str(v.as_object(), "client_id").empty())
      return done(false, "client registration failed: the response has no client_id");
    json::object& o = v.as_object();
    client_id_ = Str(o, "client_id");
    client_secret_ = Str(o, "client_secret");
    auth_method_ = Str(o, "token_endpoint_auth_method");
    if (auth_method_.empty()) auth_method_ = client_secret_.empty() ? "none" : "client_secret_basic";
    o["issuer"] = as_.issuer;  // credentials are bound to this AS (2026-07-28)
    std::string err;
    if (!store_.SaveClientInfo(json::serialize(o), &err)) log_.Warn("Could not save the client registration: {}", err);
    done(true, {});
  });
}

void OAuthClient::AuthorizationCodeFlow() {
  if (as_.authorization_endpoint.empty()) return Finish(false, "the authorization server has no authorization_endpoint");
  // Multi-instance coordination (§1.6): one instance per server runs the
  // browser sign-in on the callback port; the others wait for its tokens.
  // The listener is up before any browser opens (npm races here, B.6).
  CoordinatorOptions co;
  co.server_url_hash = store_.hash();
  co.port = options_.callback_port > 0 ? options_.callback_port : DefaultCallbackPort(store_.hash());
  co.strict = options_.callback_port_strict;
  co.auth_timeout = Millis(options_.auth_timeout_s * 1000LL);
  co.server.callback_path = options_.callback_path;
  co.server.auth_success_url = options_.auth_success_url;
  co.server.redirect_host = options_.host;
  RetireCoordinator();
  coordinator_ = std::make_unique<Coordinator>(loop_, http_, log_, co, [this] {
    // A step-up needs new scope: a sibling's tokens will not do. Nor will
    // the very tokens that sent us here (a refresh that keeps failing):
    // only tokens a sibling wrote since count.
    if (force_sign_in_) return false;
    const std::optional<StoredTokens> stored = LoadNewerTokens();
    if (!stored) return false;
    if (tokens_ && !tokens_->raw_json.empty() && stored->raw_json == tokens_->raw_json) return false;
    return TokenStore::Usable(*stored, NowMs());
  });
  std::weak_ptr<int> alive = alive_;
  coordinator_->Start([this, alive](const CoordinatorOutcome& outcome) {
    if (alive.expired()) return;
    switch (outcome.role) {
      case CoordinatorRole::kTokensAvailable:
        log_.Info("Using the tokens another instance obtained");
        LoadStoredTokens();
        return Finish(true, {});
      case CoordinatorRole::kFailed:
        return Finish(false, outcome.error);
      case CoordinatorRole::kLeader:
        return LeaderSignIn();
    }
  });
}

void OAuthClient::RetireCoordinator() {
  if (!coordinator_) return;
  coordinator_->Release();
  // We may be inside one of its callbacks: destroy it on a later turn.
  std::shared_ptr<Coordinator> dying(std::move(coordinator_));
  loop_.Post([dying] {});
}

void OAuthClient::LeaderSignIn() {
  CallbackServer& server = coordinator_->server();
  std::weak_ptr<int> alive = alive_;
  server.SetCodeHandler([this, alive](const CallbackResult& r) {
    if (alive.expired()) return;
    OnCallbackCode(r.code, r.state, r.iss, r.has_iss);
  });
  server.SetErrorHandler([this, alive](const CallbackError& e) {
    if (alive.expired()) return;
    Finish(false, "authorization was denied: " + e.description);
  });
  pending_redirect_ = "http://" + options_.host + ":" + std::to_string(server.port()) + options_.callback_path;

  requested_scope_ = AddOfflineAccess(BaseScope(), as_, {"authorization_code", "refresh_token"});

  EnsureClient(pending_redirect_, [this](bool ok, std::string why) {
    if (!ok) return Finish(false, why);
    StartAuthorization(/*allow_preflight=*/true);
  });
}

void OAuthClient::StartAuthorization(bool allow_preflight) {
  if (!coordinator_) return Finish(false, "the sign-in was cancelled");
  pending_state_ = RandomUuidV4();
  pending_verifier_ = RandomBase64Url(32);
  std::string challenge = Base64Url(Sha256(pending_verifier_));
  store_.SaveCodeVerifier(pending_state_, pending_verifier_);  // kept in memory too; the store warns
  DiscoveryState ds;
  ds.authorization_server_url = as_url_;
  if (!prm_url_.empty()) ds.resource_metadata_url = prm_url_;
  if (!as_.raw_json.empty()) ds.authorization_server_metadata_json = as_.raw_json;
  store_.SaveDiscoveryState(pending_state_, ds);

  FormParams p{{"response_type", "code"},
               {"client_id", client_id_},
               {"code_challenge", challenge},
               {"code_challenge_method", "S256"},
               {"redirect_uri", pending_redirect_},
               {"state", pending_state_}};
  if (!requested_scope_.empty()) p.emplace_back("scope", requested_scope_);
  if (requested_scope_.find("offline_access") != std::string::npos) p.emplace_back("prompt", "consent");
  if (std::string r = Resource(); !r.empty()) p.emplace_back("resource", r);
  for (const auto& kv : options_.authorize_params) {
    bool replaced = false;
    for (auto& q : p)
      if (q.first == kv.first) {
        q.second = kv.second;
        replaced = true;
      }
    if (!replaced) p.push_back(kv);
  }
  std::string url = BuildAuthorizeUrl(as_.authorization_endpoint, p);

  if (allow_preflight && client_from_store_) {
    // A cached registration may be unknown to the AS by now (it forgot its
    // clients): ask before sending a person to an error page (§1.8.7).
    HttpRequest req;
    req.url = url;
    req.follow_redirects = false;
    req.headers = {{"Accept", "application/json"}};
    req.connect_timeout = kDiscoveryTimeout;
    req.headers_timeout = kDiscoveryTimeout;
    req.total_timeout = kDiscoveryTimeout;
    Fetch(std::move(req), [this, url](Fetched f) {
      OAuthError e;
      if (f.error.empty() && (f.status == 400 || f.status == 401) && ParseOAuthError(static_cast<int>(f.status), f.body, &e) &&
          (e.error == "invalid_client" || e.error == "unauthorized_client")) {
        log_.Info("The authorization server no longer knows this client; registering again");
        store_.DeleteCodeVerifier(pending_state_);
        store_.DeleteDiscoveryState(pending_state_);
        store_.DeleteClientInfo();
        client_from_store_ = false;
        client_id_.clear();
        client_secret_.clear();
        auth_method_.clear();
        return EnsureClient(pending_redirect_, [this](bool ok, std::string why) {
          if (!ok) return Finish(false, why);
          StartAuthorization(false);
        });
      }
      OpenAuthorizationPage(url);
    });
    return;
  }
  OpenAuthorizationPage(url);
}

void OAuthClient::OpenAuthorizationPage(const std::string& url) {
  if (!coordinator_) return Finish(false, "the sign-in was cancelled");
  coordinator_->server().ExpectState(pending_state_);
  std::string browser_err;
  if (!OpenBrowser(url, log_, &browser_err, &loop_, browser_broker_))
    log_.Warn("Could not open a browser automatically ({}). Please open the URL above.", browser_err);
  std::weak_ptr<int> still = alive_;
  sign_in_timer_ = loop_.AddTimer(kSignInTimeout, [this, still] {
    if (still.expired()) return;
    sign_in_timer_ = 0;
    Finish(false, "the sign-in in the browser was not completed within 5 minutes");
  });
}

void OAuthClient::OnCallbackCode(const std::string& code, const std::string& state, const std::string& iss,
                                 bool has_iss) {
  if (state != pending_state_) return;  // the callback server already checked it in constant time
  // RFC 9207 (spec 2026-07-28 "Authorization Response Validation").
  bool advertised = as_.authorization_response_iss_parameter_supported;
  if ((advertised && !has_iss) || (has_iss && iss != as_.issuer)) {
    if (coordinator_) coordinator_->server().Complete(state, false);
    return Finish(false, has_iss ? "the authorization response came from another issuer (iss mismatch)"
                                 : "the authorization response lacks the iss parameter");
  }
  ExchangeCode(code, state);
}

void OAuthClient::ExchangeCode(const std::string& code, const std::string& state) {
  FormParams p{{"grant_type", "authorization_code"},
               {"code", code},
               {"code_verifier", pending_verifier_},
               {"redirect_uri", pending_redirect_}};
  if (std::string r = Resource(); !r.empty()) p.emplace_back("resource", r);
  PostForm(as_.token_endpoint, std::move(p), true, [this, state](Fetched f) {
    bool ok = f.error.empty() && f.status == 200;
    TokenResponse tr;
    std::string err;
    if (ok && !ParseTokenResponse(f.body, &tr, &err)) ok = false;
    store_.DeleteCodeVerifier(state);
    store_.DeleteDiscoveryState(state);
    if (!ok) {
      if (coordinator_) coordinator_->server().Complete(state, false);
      if (!err.empty()) return Finish(false, "token exchange failed: invalid token response: " + err);
      return HandleTokenError(f, "token exchange");
    }
    bool saved = SaveTokens(tr, nullptr);
    if (coordinator_) coordinator_->server().Complete(state, saved);
    if (!saved) return Finish(false, "token storm");
    log_.Info("Signed in");
    Finish(true, {});
  });
}

// ---------------------------------------------------------------- other grants

void OAuthClient::ChooseStaticAuthMethod() {
  if (!auth_method_.empty()) return;
  const auto& m = as_.token_endpoint_auth_methods_supported;
  if (!private_key_pem_.empty()) {
    auth_method_ = "private_key_jwt";
  } else if (!m.empty() && !Contains(m, "client_secret_basic") && Contains(m, "client_secret_post")) {
    auth_method_ = "client_secret_post";
  } else {
    auth_method_ = "client_secret_basic";
  }
}

// Cross-app access (SEP-990): the enterprise IdP turns the user's ID token
// into an ID-JAG (RFC 8693 token exchange), which the MCP server's AS
// redeems for an access token (RFC 7523 jwt-bearer grant). No browser.
void OAuthClient::CrossAppAccessFlow() {
  if (client_id_.empty()) return Finish(false, "cross-app access needs --static-oauth-client-info with a client_id");
  if (options_.idp_id_token.empty()) return Finish(false, "cross-app access needs --idp-id-token");
  ChooseStaticAuthMethod();
  requested_scope_ = BaseScope();
  FormParams p{{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
               {"requested_token_type", "urn:ietf:params:oauth:token-type:id-jag"},
               {"subject_token", options_.idp_id_token},
               {"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"},
               {"audience", as_.issuer}};
  if (std::string r = Resource(); !r.empty()) p.emplace_back("resource", r);
  if (!requested_scope_.empty()) p.emplace_back("scope", requested_scope_);
  if (!options_.idp_client_id.empty()) p.emplace_back("client_id", options_.idp_client_id);
  log_.Info("Exchanging the enterprise ID token for an authorization grant");
  PostForm(options_.idp_token_endpoint, std::move(p), false, [this](Fetched f) {
    if (!f.error.empty() || f.status != 200) {
      OAuthError e;
      ParseOAuthError(static_cast<int>(f.status), f.body, &e);
      return Finish(false, "the IdP token exchange failed: " + (f.error.empty() ? e.message : f.error));
    }
    json::error_code ec;
    json::value v = json::parse(f.body, ec);
    std::string jag = !ec && v.is_object() ? Str(v.as_object(), "access_token") : std::string();
    if (jag.empty()) return Finish(false, "the IdP token exchange returned no ID-JAG");
    FormParams q{{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", jag}};
    if (!requested_scope_.empty()) q.emplace_back("scope", requested_scope_);
    if (std::string r = Resource(); !r.empty()) q.emplace_back("resource", r);
    PostForm(as_.token_endpoint, std::move(q), true, [this](Fetched g) {
      if (!g.error.empty() || g.status != 200) return HandleTokenError(g, "JWT bearer grant");
      TokenResponse tr;
      std::string err;
      if (!ParseTokenResponse(g.body, &tr, &err)) return Finish(false, "invalid token response: " + err);
      if (!SaveTokens(tr, nullptr)) return Finish(false, "token storm");
      log_.Info("Obtained an access token (cross-app access)");
      Finish(true, {});
    });
  });
}

void OAuthClient::ClientCredentialsFlow() {
  if (client_id_.empty()) return Finish(false, "--client-credentials needs --static-oauth-client-info with a client_id");
  ChooseStaticAuthMethod();
  requested_scope_ = BaseScope();
  FormParams p{{"grant_type", "client_credentials"}};
  if (!requested_scope_.empty()) p.emplace_back("scope", requested_scope_);
  if (std::string r = Resource(); !r.empty()) p.emplace_back("resource", r);
  PostForm(as_.token_endpoint, std::move(p), true, [this](Fetched f) {
    if (!f.error.empty() || f.status != 200) return HandleTokenError(f, "client credentials grant");
    TokenResponse tr;
    std::string err;
    if (!ParseTokenResponse(f.body, &tr, &err)) return Finish(false, "invalid token response: " + err);
    if (!SaveTokens(tr, nullptr)) return Finish(false, "token storm");
    log_.Info("Obtained an access token (client credentials)");
    Finish(true, {});
  });
}

void OAuthClient::DeviceFlow() {
  if (as_.device_authorization_endpoint.empty())
    return Finish(false, "the authorization server does not support the device authorization grant");
  EnsureClient("", [this](bool ok, std::string why) {
    if (!ok) return Finish(false, why);
    requested_scope_ = AddOfflineAccess(BaseScope(), as_, {"refresh_token"});
    FormParams p;
    if (!requested_scope_.empty()) p.emplace_back("scope", requested_scope_);
    if (std::string r = Resource(); !r.empty()) p.emplace_back("resource", r);
    PostForm(as_.device_authorization_endpoint, std::move(p), true, [this](Fetched f) {
      if (!f.error.empty() || f.status != 200) return HandleTokenError(f, "device authorization");
      json::error_code ec;
      json::value v = json::parse(f.body, ec);
      if (ec || !v.is_object()) return Finish(false, "device authorization: invalid response");
      const auto& o = v.as_object();
      std::string device_code = Str(o, "device_code");
      std::string uri = Str(o, "verification_uri_complete");
      if (uri.empty()) uri = Str(o, "verification_uri");
      std::string user_code = Str(o, "user_code");
      int interval = o.contains("interval") && o.at("interval").is_int64() ? static_cast<int>(o.at("interval").as_int64()) : 5;
      std::int64_t expires = o.contains("expires_in") && o.at("expires_in").is_int64() ? o.at("expires_in").as_int64() : 1800;
      if (device_code.empty() || uri.empty()) return Finish(false, "device authorization: incomplete response");
      log_.Info("To authorize this client, visit: {}", uri);
      log_.Info("And enter the code: {}", user_code);
      log_.Info("Waiting for approval...");
      PollDevice(device_code, std::max(1, interval), NowMs() + expires * 1000);
    });
  });
}

void OAuthClient::PollDevice(std::string device_code, int interval_s, std::int64_t deadline_ms) {
  std::weak_ptr<int> alive = alive_;
  loop_.AddTimer(Millis(interval_s * 1000LL), [this, alive, device_code, interval_s, deadline_ms] {
    if (alive.expired()) return;
    if (NowMs() > deadline_ms) return Finish(false, "the device code expired before it was approved");
    FormParams p{{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"}, {"device_code", device_code}};
    if (std::string r = Resource(); !r.empty()) p.emplace_back("resource", r);
    PostForm(as_.token_endpoint, std::move(p), true, [this, device_code, interval_s, deadline_ms](Fetched f) {
      if (f.error.empty() && f.status == 200) {
        TokenResponse tr;
        std::string err;
        if (!ParseTokenResponse(f.body, &tr, &err)) return Finish(false, "invalid token response: " + err);
        if (!SaveTokens(tr, nullptr)) return Finish(false, "token storm");
        log_.Info("Signed in (device code)");
        return Finish(true, {});
      }
      OAuthError e;
      ParseOAuthError(static_cast<int>(f.status), f.body, &e);
      if (f.error.empty() && e.error == "authorization_pending") return PollDevice(device_code, interval_s, deadline_ms);
      if (f.error.empty() && e.error == "slow_down") return PollDevice(device_code, interval_s + 5, deadline_ms);
      if (!f.error.empty()) return PollDevice(device_code, interval_s, deadline_ms);  // transient
      Finish(false, "device authorization failed: " + e.message);
    });
  });
}

}  // namespace mcpr
