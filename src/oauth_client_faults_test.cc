// OAuthClient when the token endpoint or the token store fails during a
// refresh (the end-to-end side is test/e2e/28-oauth-faults.test.mjs).
//
// The HTTP fake answers synchronously from Start(): discovery documents for
// one MCP server and its authorization server, and a scripted token
// endpoint. The AS advertises no PKCE S256, so a sign-in attempt ends at
// once with a recognisable reason ("PKCE") instead of opening a browser:
// that is how these tests see "the client fell back to a new sign-in".
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "oauth_client.h"

namespace mcpr {
namespace {

constexpr char kServerUrl[] = "https://mcp.example.com/mcp";
constexpr char kPrmUrl[] = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
constexpr char kAsMetadataUrl[] = "https://as.example.com/.well-known/oauth-authorization-server";
constexpr char kTokenUrl[] = "https://as.example.com/token";
constexpr char kPrm[] = R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"]})";
constexpr char kAsMetadata[] =
    R"({"issuer":"https://as.example.com","authorization_endpoint":"https://as.example.com/authorize",)"
    R"("token_endpoint":"https://as.example.com/token","response_types_supported":["code"],)"
    R"("code_challenge_methods_supported":["plain"]})";
constexpr char kClientInfo[] =
    R"({"redirect_uris":["http://localhost:1234/oauth/callback"],"client_id":"cid",)"
    R"("token_endpoint_auth_method":"none","issuer":"https://as.example.com"})";

/// What the fake token endpoint answers: an HTTP response, or a transport
/// error (kind != kNone: no response at all).
struct Answer {
  long status = 200;
  std::string body;
  HttpError::Kind kind = HttpError::Kind::kNone;
  std::string error;
};

Answer Json(long status, std::string body) { return Answer{status, std::move(body), HttpError::Kind::kNone, ""}; }
Answer Broken(HttpError::Kind kind, std::string error) { return Answer{0, "", kind, std::move(error)}; }
Answer Tokens(const std::string& access, const std::string& refresh) {
  return Json(200, R"({"access_token":")" + access + R"(","token_type":"Bearer","expires_in":3600,"refresh_token":")" +
                       refresh + R"("})");
}

/// The value of `key` in a form-encoded body (no percent-decoding needed here).
std::string FormValue(const std::string& body, const std::string& key) {
  const std::string k = key + "=";
  for (std::size_t at = 0; at < body.size();) {
    std::size_t end = body.find('&', at);
    if (end == std::string::npos) end = body.size();
    if (body.compare(at, k.size(), k) == 0) return body.substr(at + k.size(), end - at - k.size());
    at = end + 1;
  }
  return {};
}

class ScriptedHttp : public HttpClient {
 public:
  std::function<Answer(const HttpRequest&)> token;  // the token endpoint
  std::vector<std::string> refresh_tokens_sent;     // refresh_token of each token request

  Id Start(HttpRequest request, HttpCallbacks cb) override {
    Answer a = Json(404, "{}");
    if (request.url == kPrmUrl) {
      a = Json(200, kPrm);
    } else if (request.url == kAsMetadataUrl) {
      a = Json(200, kAsMetadata);
    } else if (request.url == kTokenUrl) {
      refresh_tokens_sent.push_back(FormValue(request.body, "refresh_token"));
      a = token ? token(request) : Json(500, "no script");
    }
    if (a.kind == HttpError::Kind::kNone) {
      HttpResponseHead head;
      head.status = a.status;
      head.headers = {{"content-type", "application/json"}};
      if (cb.on_head) cb.on_head(head);
      if (cb.on_body && !a.body.empty()) cb.on_body(a.body);
    }
    HttpError e;
    e.kind = a.kind;
    e.message = a.error;
    cb.on_done(e);
    return ++next_;
  }
  void Cancel(Id) override {}
  void SetIdleTimeout(Id, Millis) override {}
  std::size_t active() const override { return 0; }

 private:
  Id next_ = 0;
};

/// RealFileSystem whose token writes fail (read-only store, full disk); the
/// refresh lease and everything else still work.
class TokenWritesFail : public RealFileSystem {
 public:
  int err = EROFS;

 protected:
  int SysOpen(const char* path, int flags, int mode) override {
    if ((flags & O_CREAT) != 0 && std::strstr(path, "_tokens.json") != nullptr) {
      errno = err;
      return -1;
    }
    return RealFileSystem::SysOpen(path, flags, mode);
  }
};

class RefreshFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mcpr-refresh-faults-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    log_.CaptureForTest(&logged_);
    options_.server_url = kServerUrl;
    Write("h_client_info.json", kClientInfo);
    WriteTokens(3600 * 1000);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    FsStatus st;
    ASSERT_TRUE(RealFileSystem().WriteFileAtomic(dir_ + "/" + name, text, &st)) << st.message;
  }
  /// tokens.json holding AT1/RT1, expiring `expires_in_ms` from now.
  void WriteTokens(std::int64_t expires_in_ms) {
    Write("h_tokens.json", R"({"access_token":"AT1","token_type":"Bearer","expires_in":3600,"refresh_token":"RT1",)"
                           R"("issuer":"https://as.example.com","expires_at":)" +
                               std::to_string(OAuthClient::NowMs() + expires_in_ms) + "}");
  }
  std::string TokensFile() const {
    FsStatus st;
    return RealFileSystem().ReadFile(dir_ + "/h_tokens.json", &st).value_or("<missing>");
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::unique_ptr<OAuthClient> Client(FileSystem& fs) {
    return std::make_unique<OAuthClient>(loop_, http_, log_, options_, fs, dir_, "h");
  }
  std::unique_ptr<OAuthClient> Client() { return Client(fs_); }

  struct Outcome {
    bool called = false;
    bool ok = false;
    std::string why;
  };
  // The fake answers synchronously, so the whole attempt runs inside the call.
  static Outcome Unauthorized(OAuthClient& c) {
    Outcome o;
    SendResult r;
    r.outcome = SendOutcome::kUnauthorized;
    r.status = 401;
    r.www_authenticate = R"(Bearer error="invalid_token")";
    c.OnUnauthorized(r, [&o](bool ok, const std::string& why) { o = {true, ok, why}; });
    return o;
  }
  static Outcome RefreshBeforeSend(OAuthClient& c) {
    Outcome o;
    c.RefreshBeforeSend([&o](bool ok, const std::string& why) { o = {true, ok, why}; });
    return o;
  }
  std::size_t Count(const std::string& needle) const {
    std::size_t n = 0;
    for (std::size_t p = logged_.find(needle); p != std::string::npos; p = logged_.find(needle, p + 1)) ++n;
    return n;
  }

  std::string dir_;
  EventLoop loop_;
  ScriptedHttp http_;
  Logger log_;
  std::string logged_;
  RealFileSystem fs_;
  Options options_;
};

TEST_F(RefreshFaultsTest, TransientFailuresKeepTheGrantAndFailTheRequest) {
  const struct {
    const char* what;
    Answer answer;
  } cases[] = {
      {"HTTP 500, text", Json(500, "Internal Server Error")},
      {"HTTP 502, HTML", Json(502, "<html><body>Bad gateway</body></html>")},
      {"HTTP 503 server_error", Json(503, R"({"error":"server_error"})")},
      {"HTTP 400 temporarily_unavailable", Json(400, R"({"error":"temporarily_unavailable"})")},
      {"HTTP 429", Json(429, "slow down")},
      {"HTTP 500 with a non-refusal OAuth error", Json(500, R"({"error":"invalid_request"})")},
      {"HTTP 503 with an unknown OAuth error", Json(503, R"({"error":"backend_down"})")},
      {"200, HTML page", Json(200, "<!DOCTYPE html><html><body>Maintenance</body></html>")},
      {"200, not JSON", Json(200, "\x01 garbage {{{")},
      {"200, no access_token", Json(200, R"({"token_type":"Bearer","expires_in":3600})")},
      {"connection reset", Broken(HttpError::Kind::kNetwork, "Recv failure: Connection reset by peer")},
      {"timeout", Broken(HttpError::Kind::kTimeout, "Operation timed out after 30000 milliseconds")},
      {"unreachable", Broken(HttpError::Kind::kConnect, "Failed to connect")},
  };
  const std::string before = TokensFile();
  for (const auto& c : cases) {
    http_.token = [&](const HttpRequest&) { return c.answer; };
    http_.refresh_tokens_sent.clear();
    auto client = Client();
    Outcome o = Unauthorized(*client);
    ASSERT_TRUE(o.called) << c.what;
    EXPECT_FALSE(o.ok) << c.what;
    EXPECT_NE(o.why.find("could not refresh the access token"), std::string::npos) << c.what << ": " << o.why;
    EXPECT_EQ(o.why.find("PKCE"), std::string::npos) << c.what << ": no sign-in attempt";
    EXPECT_EQ(http_.refresh_tokens_sent, std::vector<std::string>{"RT1"}) << c.what;
    EXPECT_EQ(TokensFile(), before) << c.what;
    EXPECT_EQ(client->AuthorizationHeader(), "Bearer AT1") << c.what << ": the grant is kept in memory too";
    EXPECT_EQ(Names(), (std::vector<std::string>{"h_client_info.json", "h_tokens.json"})) << c.what;
  }
}

TEST_F(RefreshFaultsTest, OnlyARefusalDiscardsTheGrant) {
  // invalid_grant, also the 200-with-error form some servers (GitHub) use:
  // the tokens go, and a sign-in follows.
  for (const Answer& a : {Json(400, R"({"error":"invalid_grant"})"), Json(200, R"({"error":"invalid_grant"})")}) {
    WriteTokens(3600 * 1000);
    http_.token = [&](const HttpRequest&) { return a; };
    auto client = Client();
    Outcome o = Unauthorized(*client);
    EXPECT_FALSE(o.ok);
    EXPECT_NE(o.why.find("PKCE"), std::string::npos) << "signed in again: " << o.why;
    EXPECT_EQ(TokensFile(), "<missing>") << a.status;
    EXPECT_EQ(client->AuthorizationHeader(), std::nullopt);
  }
  // Another refusal (here invalid_scope) or a 4xx that is not OAuth: a
  // sign-in as before, but nothing says the grant is dead: it stays.
  for (const Answer& a : {Json(400, R"({"error":"invalid_scope"})"), Json(403, "<html>Forbidden</html>")}) {
    WriteTokens(3600 * 1000);
    const std::string before = TokensFile();
    http_.token = [&](const HttpRequest&) { return a; };
    auto client = Client();
    Outcome o = Unauthorized(*client);
    EXPECT_NE(o.why.find("PKCE"), std::string::npos) << o.why;
    EXPECT_EQ(TokensFile(), before) << a.status;
  }
}

TEST_F(RefreshFaultsTest, ThreeTransientFailuresInARowFallBackToSignIn) {
  auto client = Client();
  std::vector<Answer> script = {Json(500, "x"), Json(500, "x"), Tokens("AT2", "RT2"),  // success resets the count
                                Json(500, "x"), Json(500, "x"), Json(500, "x"), Json(500, "x")};
  std::size_t next = 0;
  http_.token = [&](const HttpRequest&) { return script.at(next++); };
  std::vector<std::string> outcomes;
  for (int i = 0; i < 7; ++i) {
    Outcome o = Unauthorized(*client);
    outcomes.push_back(o.ok ? "ok" : o.why.find("PKCE") != std::string::npos ? "sign-in" : "failed");
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{"failed", "failed", "ok", "failed", "failed", "sign-in", "failed"}));
  EXPECT_EQ(next, script.size()) << "every attempt asked the token endpoint once";
  EXPECT_EQ(Count("3 times in a row"), 1u) << logged_;
}

TEST_F(RefreshFaultsTest, AFailedRefreshBeforeSendingIsNotRepeatedForTheSameRequest) {
  WriteTokens(-1000);  // expired: refresh before sending
  auto client = Client();
  http_.token = [&](const HttpRequest&) { return Json(500, "Internal Server Error"); };
  ASSERT_TRUE(client->WantsRefreshBeforeSend());
  Outcome before = RefreshBeforeSend(*client);
  EXPECT_TRUE(before.called && before.ok) << "the stored token is sent anyway (npm)";
  // The messages that waited are flushed now: no second refresh for them
  // (this was an endless loop: refresh, flush, refresh, ...).
  EXPECT_FALSE(client->WantsRefreshBeforeSend());
  // Their 401 reports the failure without asking the endpoint again, so a
  // hanging endpoint costs one deadline per request, not two.
  Outcome after = Unauthorized(*client);
  EXPECT_FALSE(after.ok);
  EXPECT_NE(after.why.find("could not refresh the access token (HTTP 500"), std::string::npos) << after.why;
  EXPECT_EQ(http_.refresh_tokens_sent.size(), 1u);
  EXPECT_EQ(Count("Proactive token refresh failed"), 1u);
  // The next request asks again (and heals).
  http_.token = [&](const HttpRequest&) { return Tokens("AT2", "RT2"); };
  EXPECT_TRUE(Unauthorized(*client).ok);
  EXPECT_EQ(http_.refresh_tokens_sent, (std::vector<std::string>{"RT1", "RT1"}));
  EXPECT_EQ(client->AuthorizationHeader(), "Bearer AT2");
}

TEST_F(RefreshFaultsTest, UnsavedTokensLiveInMemoryAndTheStaleFileIsNotReadBack) {
  for (int err : {EROFS, ENOSPC, EACCES}) {
    WriteTokens(3600 * 1000);
    logged_.clear();
    http_.refresh_tokens_sent.clear();
    const std::string before = TokensFile();
    TokenWritesFail fs;
    fs.err = err;
    auto client = Client(fs);
    // A rotating endpoint: only the newest refresh token is accepted.
    std::string current = "RT1";
    int n = 1;
    http_.token = [&](const HttpRequest& r) {
      if (FormValue(r.body, "refresh_token") != current) return Json(400, R"({"error":"invalid_grant"})");
      ++n;
      current = "SECRET-RT" + std::to_string(n);
      return Tokens("SECRET-AT" + std::to_string(n), current);
    };
    for (int i = 0; i < 3; ++i) {
      Outcome o = Unauthorized(*client);
      EXPECT_TRUE(o.ok) << err << " refresh " << i << ": " << o.why;
    }
    EXPECT_EQ(http_.refresh_tokens_sent, (std::vector<std::string>{"RT1", "SECRET-RT2", "SECRET-RT3"}))
        << err << ": each refresh used the token in memory, not the stale RT1 on disk";
    EXPECT_EQ(client->AuthorizationHeader(), "Bearer SECRET-AT4");
    EXPECT_EQ(TokensFile(), before) << err;
    EXPECT_EQ(Names(), (std::vector<std::string>{"h_client_info.json", "h_tokens.json"})) << err;
    EXPECT_EQ(Count("Could not save the new tokens"), 1u) << err << ": one warning\n" << logged_;
    EXPECT_EQ(Count(std::strerror(err)), 1u) << err << ": it names the cause\n" << logged_;
    EXPECT_EQ(Count("Error writing"), 0u) << logged_;
    EXPECT_EQ(logged_.find("SECRET"), std::string::npos) << logged_;
  }
}

}  // namespace
}  // namespace mcpr
