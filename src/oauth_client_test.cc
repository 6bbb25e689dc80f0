// OAuthClient: the bearer it presents and when it renews it, from a token
// store on disk (no network: nothing here starts a flow).
#include "oauth_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "crypto.h"

namespace mcpr {
namespace {

// Never reached: these tests only read headers and renewal decisions.
class NoHttp : public HttpClient {
 public:
  Id Start(HttpRequest, HttpCallbacks) override {
    ADD_FAILURE() << "unexpected HTTP request";
    return 0;
  }
  void Cancel(Id) override {}
  void SetIdleTimeout(Id, Millis) override {}
  std::size_t active() const override { return 0; }
};

std::string Jwt(std::int64_t iat, std::int64_t exp) {
  return Base64Url(R"({"alg":"HS256","typ":"JWT"})") + "." +
         Base64Url(R"({"sub":"u","iat":)" + std::to_string(iat) + R"(,"exp":)" + std::to_string(exp) + "}") + ".sig";
}

class OAuthClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mcpr-oauth-client-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    log_.CaptureForTest(&logged_);
    options_.server_url = "https://mcp.example.com/mcp";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // tokens.json as npm writes it.
  void WriteTokens(const std::string& json) {
    FsStatus st;
    ASSERT_TRUE(fs_.WriteFileAtomic(dir_ + "/h_tokens.json", json, &st)) << st.message;
  }
  std::unique_ptr<OAuthClient> Client() {
    return std::make_unique<OAuthClient>(loop_, http_, log_, options_, fs_, dir_, "h");
  }
  static std::int64_t NowS() { return OAuthClient::NowMs() / 1000; }
  static std::string Tokens(std::int64_t expires_in, const std::string& id_token) {
    std::string s = R"({"access_token":"AT","token_type":"Bearer","expires_in":)" + std::to_string(expires_in) +
                    R"(,"refresh_token":"RT","expires_at":)" +
                    std::to_string(OAuthClient::NowMs() + expires_in * 1000);
    if (!id_token.empty()) s += R"(,"id_token":")" + id_token + "\"";
    return s + "}";
  }
  std::size_t Count(const std::string& needle) const {
    std::size_t n = 0;
    for (std::size_t p = logged_.find(needle); p != std::string::npos; p = logged_.find(needle, p + 1)) ++n;
    return n;
  }

  std::string dir_;
  EventLoop loop_;
  NoHttp http_;
  Logger log_;
  std::string logged_;
  RealFileSystem fs_;
  Options options_;
};

TEST_F(OAuthClientTest, UseIdTokenPresentsTheIdToken) {
  const std::string id = Jwt(NowS(), NowS() + 3600);
  WriteTokens(Tokens(3600, id));
  options_.use_id_token = true;
  EXPECT_EQ(Client()->AuthorizationHeader(), "Bearer " + id);
  options_.use_id_token = false;
  EXPECT_EQ(Client()->AuthorizationHeader(), "Bearer AT");
  EXPECT_EQ(Count("no ID token"), 0u);
}

TEST_F(OAuthClientTest, UseIdTokenWithoutOneWarnsOnceAndSendsTheAccessToken) {
  WriteTokens(Tokens(3600, ""));
  options_.use_id_token = true;
  auto c = Client();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c->AuthorizationHeader(), "Bearer AT");
  EXPECT_EQ(Count("--use-id-token was passed but the authorization server issued no ID token"), 1u) << logged_;
}

TEST_F(OAuthClientTest, RenewalFollowsTheIdTokenExpiry) {
  options_.use_id_token = true;
  // The access token has an hour left; the id_token (10 minutes) is 2 s
  // from expiry: renew now.
  WriteTokens(Tokens(3600, Jwt(NowS() - 598, NowS() + 2)));
  EXPECT_TRUE(Client()->WantsRefreshBeforeSend());
  // Without the flag the access token's expiry decides.
  options_.use_id_token = false;
  EXPECT_FALSE(Client()->WantsRefreshBeforeSend());
  // An id_token with most of its life left is not renewed, even when the
  // access token is about to expire.
  options_.use_id_token = true;
  WriteTokens(Tokens(30, Jwt(NowS(), NowS() + 3600)));
  EXPECT_FALSE(Client()->WantsRefreshBeforeSend());
}

TEST_F(OAuthClientTest, ShortIdTokenIsRenewedAtHalfItsLifetimeNotBeforeEveryRequest) {
  options_.use_id_token = true;
  // 40 s id_token, 1 s old: npm's 60 s margin would renew before every
  // request; half its lifetime (20 s) is left to go.
  WriteTokens(Tokens(3600, Jwt(NowS() - 1, NowS() + 39)));
  EXPECT_FALSE(Client()->WantsRefreshBeforeSend());
  // Past half its lifetime: renew.
  WriteTokens(Tokens(3600, Jwt(NowS() - 25, NowS() + 15)));
  EXPECT_TRUE(Client()->WantsRefreshBeforeSend());
  // No iat: the lifetime is measured from when the tokens arrived
  // (expires_at - expires_in). Just received, 50 s to go: not yet.
  const auto no_iat = [](std::int64_t exp) {
    return Base64Url(R"({"alg":"none"})") + "." + Base64Url(R"({"exp":)" + std::to_string(exp) + "}") + ".sig";
  };
  WriteTokens(Tokens(3600, no_iat(NowS() + 50)));
  EXPECT_FALSE(Client()->WantsRefreshBeforeSend());
  // Received 40 s ago with 50 s then (10 s left, past half): renew.
  WriteTokens(R"({"access_token":"AT","token_type":"Bearer","expires_in":3600,"refresh_token":"RT","expires_at":)" +
              std::to_string(OAuthClient::NowMs() - 40000 + 3600 * 1000) + R"(,"id_token":")" + no_iat(NowS() + 10) +
              "\"}");
  EXPECT_TRUE(Client()->WantsRefreshBeforeSend());
  // Nothing to measure from (no expires_in): npm's 60 s margin.
  WriteTokens(R"({"access_token":"AT","token_type":"Bearer","refresh_token":"RT","id_token":")" +
              no_iat(NowS() + 50) + "\"}");
  EXPECT_TRUE(Client()->WantsRefreshBeforeSend());
}

TEST_F(OAuthClientTest, UnreadableIdTokenExpiryFallsBackToTheAccessToken) {
  options_.use_id_token = true;
  WriteTokens(Tokens(3600, "not-a-jwt"));
  EXPECT_FALSE(Client()->WantsRefreshBeforeSend());
  WriteTokens(Tokens(3600, Jwt(NowS(), 9223372036854775807LL)));  // exp out of range
  EXPECT_FALSE(Client()->WantsRefreshBeforeSend());
  WriteTokens(R"({"access_token":"AT","token_type":"Bearer","refresh_token":"RT","expires_at":)" +
              std::to_string(OAuthClient::NowMs() - 1000) + R"(,"id_token":")" +
              Jwt(NowS(), 9223372036854775807LL) + "\"}");
  EXPECT_TRUE(Client()->WantsRefreshBeforeSend());
}

}  // namespace
}  // namespace mcpr
