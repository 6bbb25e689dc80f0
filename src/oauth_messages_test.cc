#include "oauth_messages.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto.h"

namespace mcpr {
namespace {

// ---- form encoding ----

TEST(FormEncodingTest, UnreservedKeptSpacePlusOthersEscaped) {
  EXPECT_EQ(FormUrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(FormUrlEncode("a b"), "a+b");
  EXPECT_EQ(FormUrlEncode("a+b&c=d/e?f#g%h"), "a%2Bb%26c%3Dd%2Fe%3Ff%23g%25h");
  EXPECT_EQ(FormUrlEncode("http://localhost:3334/oauth/callback"),
            "http%3A%2F%2Flocalhost%3A3334%2Foauth%2Fcallback");
  EXPECT_EQ(FormUrlEncode("\xC3\xA9\n*"), "%C3%A9%0A%2A");
  EXPECT_EQ(FormUrlEncode(std::string_view("\0", 1)), "%00");
}

TEST(FormEncodingTest, DecodeInvertsEncode) {
  const std::string samples[] = {"", "plain", "a b+c", "%zz", "\xFF\x01 ~", "=&?#"};
  for (const std::string& s : samples) EXPECT_EQ(FormUrlDecode(FormUrlEncode(s)), s) << s;
}

TEST(FormEncodingTest, DecodeLenient) {
  EXPECT_EQ(FormUrlDecode("a+b%20c"), "a b c");
  EXPECT_EQ(FormUrlDecode("%41%4a%4A"), "AJJ");
  EXPECT_EQ(FormUrlDecode("100%"), "100%");
  EXPECT_EQ(FormUrlDecode("%4"), "%4");
  EXPECT_EQ(FormUrlDecode("%g1%"), "%g1%");
  EXPECT_EQ(FormUrlDecode("%2B"), "+");
}

TEST(FormEncodingTest, FormEncodeBody) {
  EXPECT_EQ(FormEncode({{"grant_type", "authorization_code"},
                        {"code", "a/b"},
                        {"redirect_uri", "http://localhost:1/cb"},
                        {"scope", "a b"}}),
            "grant_type=authorization_code&code=a%2Fb&redirect_uri=http%3A%2F%2Flocalhost%3A1%2Fcb"
            "&scope=a+b");
  EXPECT_EQ(FormEncode({}), "");
  EXPECT_EQ(FormEncode({{"", ""}}), "=");
}

TEST(FormEncodingTest, ParseFormUrlEncoded) {
  const FormParams p = ParseFormUrlEncoded("?a=1&b=&c&&d=x%3Dy=z&a=2&e+f=g+h");
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(p[1], (std::pair<std::string, std::string>{"b", ""}));
  EXPECT_EQ(p[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(p[3], (std::pair<std::string, std::string>{"d", "x=y=z"}));
  EXPECT_EQ(p[4], (std::pair<std::string, std::string>{"a", "2"}));
  EXPECT_EQ(p[5], (std::pair<std::string, std::string>{"e f", "g h"}));
  EXPECT_TRUE(ParseFormUrlEncoded("").empty());
  EXPECT_TRUE(ParseFormUrlEncoded("?").empty());
}

// ---- BuildAuthorizeUrl ----

TEST(BuildAuthorizeUrlTest, AppendsInOrder) {
  EXPECT_EQ(BuildAuthorizeUrl("https://auth.example.com/authorize",
                              {{"response_type", "code"},
                               {"client_id", "abc"},
                               {"code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
                               {"code_challenge_method", "S256"},
                               {"redirect_uri", "http://localhost:3334/oauth/callback"},
                               {"state", "s-1"},
                               {"scope", "mcp:basic offline_access"},
                               {"prompt", "consent"},
                               {"resource", "https://mcp.example.com/mcp"}}),
            "https://auth.example.com/authorize?response_type=code&client_id=abc"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256&redirect_uri=http%3A%2F%2Flocalhost%3A3334%2Foauth%2Fcallback"
            "&state=s-1&scope=mcp%3Abasic+offline_access&prompt=consent"
            "&resource=https%3A%2F%2Fmcp.example.com%2Fmcp");
}

TEST(BuildAuthorizeUrlTest, EndpointWithExistingQuery) {
  EXPECT_EQ(BuildAuthorizeUrl("https://a/authorize?tenant=t1&x=a%20b", {{"client_id", "c"}}),
            "https://a/authorize?tenant=t1&x=a+b&client_id=c");
  EXPECT_EQ(BuildAuthorizeUrl("https://a/authorize?", {{"client_id", "c"}}),
            "https://a/authorize?client_id=c");
}

TEST(BuildAuthorizeUrlTest, SetSemanticsReplaceFirstRemoveRest) {
  EXPECT_EQ(BuildAuthorizeUrl("https://a/authorize?prompt=login&x=1&prompt=none",
                              {{"prompt", "consent"}, {"client_id", "c"}}),
            "https://a/authorize?prompt=consent&x=1&client_id=c");
  // A later pair of the same name overrides an earlier one (--authorize-param).
  EXPECT_EQ(BuildAuthorizeUrl("https://a/z", {{"a", "1"}, {"b", "2"}, {"a", "3"}}),
            "https://a/z?a=3&b=2");
}

TEST(BuildAuthorizeUrlTest, FragmentDroppedAndInvalid) {
  EXPECT_EQ(BuildAuthorizeUrl("https://a/authorize#frag", {{"k", "v"}}), "https://a/authorize?k=v");
  EXPECT_EQ(BuildAuthorizeUrl("https://a/authorize?q=1#frag", {}), "https://a/authorize?q=1");
  EXPECT_EQ(BuildAuthorizeUrl("javascript:alert(1)", {{"k", "v"}}), "");
  EXPECT_EQ(BuildAuthorizeUrl("", {{"k", "v"}}), "");
}

// ---- ParseTokenResponse ----

TEST(ParseTokenResponseTest, Full) {
  TokenResponse t;
  std::string err;
  const std::string body =
      R"({"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt","id_token":"it","scope":"a b","extra":1})";
  ASSERT_TRUE(ParseTokenResponse(body, &t, &err)) << err;
  EXPECT_EQ(t.access_token, "at");
  EXPECT_EQ(t.token_type, "Bearer");
  ASSERT_TRUE(t.expires_in.has_value());
  EXPECT_EQ(*t.expires_in, 3600);
  EXPECT_EQ(t.refresh_token, "rt");
  EXPECT_EQ(t.id_token, "it");
  EXPECT_EQ(t.scope, "a b");
  EXPECT_EQ(t.raw_json, body);
}

TEST(ParseTokenResponseTest, TokenTypeCaseInsensitiveOrAbsent) {
  TokenResponse t;
  std::string err;
  EXPECT_TRUE(ParseTokenResponse(R"({"access_token":"a","token_type":"bearer"})", &t, &err));
  EXPECT_TRUE(ParseTokenResponse(R"({"access_token":"a","token_type":"BEARER"})", &t, &err));
  EXPECT_TRUE(ParseTokenResponse(R"({"access_token":"a"})", &t, &err)) << err;
  EXPECT_EQ(t.token_type, "");
  EXPECT_FALSE(t.expires_in.has_value());
  EXPECT_FALSE(ParseTokenResponse(R"({"access_token":"a","token_type":"DPoP"})", &t, &err));
  EXPECT_NE(err.find("DPoP"), std::string::npos);
  EXPECT_FALSE(ParseTokenResponse(R"({"access_token":"a","token_type":"N_A"})", &t, &err));
  EXPECT_FALSE(ParseTokenResponse(R"({"access_token":"a","token_type":""})", &t, &err));
  EXPECT_FALSE(ParseTokenResponse(R"({"access_token":"a","token_type":null})", &t, &err));
}

TEST(ParseTokenResponseTest, ExpiresInShapes) {
  auto expires = [](const std::string& v) -> std::optional<std::int64_t> {
    TokenResponse t;
    std::string err;
    if (!ParseTokenResponse(R"({"access_token":"a","expires_in":)" + v + "}", &t, &err)) {
      ADD_FAILURE() << v << ": " << err;
    }
    return t.expires_in;
  };
  EXPECT_EQ(expires("0"), 0);
  EXPECT_EQ(expires("3599.9"), 3599);
  EXPECT_EQ(expires("\"3600\""), 3600);
  EXPECT_EQ(expires("\" 60 \""), 60);
  EXPECT_EQ(expires("1e3"), 1000);
  EXPECT_EQ(expires("1e300"), kMaxExpiresIn);
  EXPECT_EQ(expires("99999999999999999999"), kMaxExpiresIn);
  EXPECT_EQ(expires("9223372036854775807"), kMaxExpiresIn);
  EXPECT_EQ(expires("-1"), std::nullopt);
  EXPECT_EQ(expires("-0.5"), std::nullopt);
  EXPECT_EQ(expires("\"soon\""), std::nullopt);
  EXPECT_EQ(expires("\"\""), std::nullopt);
  EXPECT_EQ(expires("\"0x10\""), std::nullopt);
  EXPECT_EQ(expires("\"inf\""), std::nullopt);
  EXPECT_EQ(expires("true"), std::nullopt);
  EXPECT_EQ(expires("null"), std::nullopt);
  EXPECT_EQ(expires("[1]"), std::nullopt);
}

TEST(ParseTokenResponseTest, Errors) {
  const char* bad[] = {
      "",
      "<html>oops</html>",
      "[]",
      R"({})",
      R"({"access_token":""})",
      R"({"access_token":42})",
      R"({"access_token":"a","refresh_token":1})",
      R"({"access_token":"a","id_token":{}})",
      R"({"access_token":"a","scope":["a"]})",
  };
  for (const char* text : bad) {
    TokenResponse t;
    t.access_token = "untouched";
    std::string err;
    EXPECT_FALSE(ParseTokenResponse(text, &t, &err)) << text;
    EXPECT_FALSE(err.empty()) << text;
    EXPECT_EQ(t.access_token, "untouched") << text;
  }
}

TEST(ParseTokenResponseTest, ErrorObjectWith200) {
  TokenResponse t;
  std::string err;
  EXPECT_FALSE(ParseTokenResponse(
      R"({"error":"invalid_grant","error_description":"code expired"})", &t, &err));
  EXPECT_NE(err.find("invalid_grant: code expired"), std::string::npos) << err;
}

// ---- ParseOAuthError ----

TEST(ParseOAuthErrorTest, ValidError) {
  OAuthError e;
  ASSERT_TRUE(ParseOAuthError(
      400, R"({"error":"invalid_client","error_description":"Client not found","error_uri":"https://x/doc"})",
      &e));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_EQ(e.error_description, "Client not found");
  EXPECT_EQ(e.error_uri, "https://x/doc");
  EXPECT_EQ(e.message, "invalid_client: Client not found");
  ASSERT_TRUE(ParseOAuthError(401, R"({"error":"invalid_token","error_description":5})", &e));
  EXPECT_EQ(e.error_description, "");
  EXPECT_EQ(e.message, "invalid_token");
}

TEST(ParseOAuthErrorTest, NonJsonBodyLikeNpm) {
  OAuthError e;
  EXPECT_FALSE(ParseOAuthError(400, "<html>Bad Request</html>", &e));
  EXPECT_EQ(e.error, "server_error");
  EXPECT_EQ(e.message, "HTTP 400: Invalid OAuth error response. Raw body: <html>Bad Request</html>");
  EXPECT_FALSE(ParseOAuthError(0, R"({"message":"nope"})", &e));
  EXPECT_EQ(e.message, R"(Invalid OAuth error response. Raw body: {"message":"nope"})");
  EXPECT_FALSE(ParseOAuthError(500, R"({"error":7})", &e));
  EXPECT_EQ(e.error, "server_error");
  EXPECT_FALSE(ParseOAuthError(502, "", &e));
  EXPECT_EQ(e.message, "HTTP 502: Invalid OAuth error response. Raw body: ");
}

TEST(ParseOAuthErrorTest, MessageIsSanitizedAndTruncated) {
  OAuthError e;
  EXPECT_FALSE(ParseOAuthError(400, "line1\nline2\x1b[31m" + std::string(1000, 'x'), &e));
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  EXPECT_EQ(e.message.find('\x1b'), std::string::npos);
  EXPECT_LT(e.message.size(), 400u);
  EXPECT_EQ(e.message.substr(e.message.size() - 3), "...");
  ASSERT_TRUE(ParseOAuthError(400, R"({"error":"x\u001b[2J","error_description":"a\nb"})", &e));
  EXPECT_EQ(e.error, "x\x1b[2J");  // the field itself is kept as sent
  EXPECT_EQ(e.message, "x?[2J: a?b");
}

// ---- ValidateBrowserUrl ----

TEST(ValidateBrowserUrlTest, AcceptsHttpsAndNormalizes) {
  std::string err;
  std::string out;
  ASSERT_TRUE(ValidateBrowserUrl(
      "HTTPS://Auth.Example.com:443/authorize?client_id=a&scope=a+b%20c&redirect_uri=http%3A%2F%2Flocalhost",
      false, &err, &out))
      << err;
  EXPECT_EQ(out,
            "https://auth.example.com/authorize?client_id=a&scope=a+b%20c&redirect_uri=http%3A%2F%2F"
            "localhost");
  EXPECT_TRUE(ValidateBrowserUrl("https://a.example/x#frag", false, &err)) << err;
  EXPECT_TRUE(ValidateBrowserUrl("https://[2001:db8::1]:8443/a", false, &err)) << err;
}

TEST(ValidateBrowserUrlTest, HttpOnlyToLoopbackWhenAllowed) {
  std::string err;
  EXPECT_TRUE(ValidateBrowserUrl("http://localhost:3000/authorize?x=1", true, &err)) << err;
  EXPECT_TRUE(ValidateBrowserUrl("http://127.0.0.1:3000/authorize", true, &err)) << err;
  EXPECT_TRUE(ValidateBrowserUrl("http://[::1]:3000/authorize", true, &err)) << err;
  EXPECT_FALSE(ValidateBrowserUrl("http://localhost:3000/authorize", false, &err));
  EXPECT_FALSE(ValidateBrowserUrl("http://auth.example.com/authorize", true, &err));
  EXPECT_FALSE(ValidateBrowserUrl("http://10.0.0.1/authorize", true, &err));
  EXPECT_FALSE(ValidateBrowserUrl("http://localhost.evil.com/authorize", true, &err));
}

TEST(ValidateBrowserUrlTest, RejectsDangerousSchemes) {
  const char* bad[] = {
      "javascript:alert(1)",       "JavaScript://%0aalert(1)", "file:///etc/passwd",
      "data:text/html,<script>",   "vbscript:msgbox",          "ms-msdt:/id",
      "ftp://a.example/",          "//a.example/x",            "/authorize",
      "a.example/authorize",       "https",                    ":",
  };
  for (const char* url : bad) {
    std::string err;
    EXPECT_FALSE(ValidateBrowserUrl(url, true, &err)) << url;
    EXPECT_FALSE(err.empty()) << url;
  }
  std::string err;
  EXPECT_FALSE(ValidateBrowserUrl("javascript:alert(1)", true, &err));
  EXPECT_NE(err.find("\"javascript\" is not allowed"), std::string::npos) << err;
  EXPECT_FALSE(ValidateBrowserUrl("FILE:///etc/passwd", true, &err));
  EXPECT_NE(err.find("\"file\""), std::string::npos) << err;
}

TEST(ValidateBrowserUrlTest, RejectsShellAndControlCharacters) {
  const std::string bad[] = {
      "https://a.example/x y",
      "https://a.example/x\ty",
      "https://a.example/x\ny",
      " https://a.example/",
      "https://a.example/\x7f",
      std::string("https://a.example/\0", 19),
      "https://a.example/\"&calc\"",
      "https://a.example/'",
      "https://a.example/`calc`",
      "https://a.example/$(calc)`",
      "https://a.example/<script>",
      "https://a.example\\evil",
      "https://a.example/{x}",
      "https://a.example/a|b",
      "https://a.example/a^b",
      "https://a.example/\xC3\xA9",
      "https://a.example/%",
      "https://a.example/%2",
      "https://a.example/%zz",
  };
  for (const std::string& url : bad) {
    std::string err;
    EXPECT_FALSE(ValidateBrowserUrl(url, true, &err)) << url;
  }
  std::string err;
  EXPECT_TRUE(ValidateBrowserUrl("https://a.example/$x(y)*!,;=:@~", true, &err)) << err;
}

TEST(ValidateBrowserUrlTest, RejectsUserinfoAndOddHosts) {
  std::string err;
  EXPECT_FALSE(ValidateBrowserUrl("https://trusted.example@evil.example/", false, &err));
  EXPECT_FALSE(ValidateBrowserUrl("https://user:pw@a.example/", false, &err));
  EXPECT_FALSE(ValidateBrowserUrl("https://@a.example/", false, &err));
  EXPECT_FALSE(ValidateBrowserUrl("https://a!b.example/", false, &err));
  EXPECT_FALSE(ValidateBrowserUrl("https://a$b.example/", false, &err));
  EXPECT_FALSE(ValidateBrowserUrl("https:///", false, &err));
  // '@' in the path or query is fine.
  EXPECT_TRUE(ValidateBrowserUrl("https://a.example/u@x?e=a@b", false, &err)) << err;
}

TEST(ValidateBrowserUrlTest, LengthCap) {
  std::string err;
  const std::string base = "https://a.example/?q=";
  EXPECT_TRUE(ValidateBrowserUrl(base + std::string(16 * 1024 - base.size(), 'a'), false, &err));
  EXPECT_FALSE(ValidateBrowserUrl(base + std::string(16 * 1024 - base.size() + 1, 'a'), false, &err));
  EXPECT_FALSE(ValidateBrowserUrl("", false, &err));
}

// ---- ParseCallbackQuery / IsValidState ----

TEST(ParseCallbackQueryTest, CodeStateIss) {
  const CallbackParams p =
      ParseCallbackQuery("?code=abc%2Fdef&state=5c1f-x&iss=https%3A%2F%2Fauth.example.com");
  EXPECT_EQ(p.code, "abc/def");
  EXPECT_EQ(p.state, "5c1f-x");
  EXPECT_EQ(p.iss, "https://auth.example.com");
  EXPECT_TRUE(p.has_iss);
  EXPECT_EQ(p.error, "");
}

TEST(ParseCallbackQueryTest, ErrorResponse) {
  const CallbackParams p = ParseCallbackQuery(
      "error=access_denied&error_description=User+said+no%21&error_uri=https%3A%2F%2Fx&state=s");
  EXPECT_EQ(p.error, "access_denied");
  EXPECT_EQ(p.error_description, "User said no!");
  EXPECT_EQ(p.error_uri, "https://x");
  EXPECT_EQ(p.state, "s");
  EXPECT_EQ(p.code, "");
  EXPECT_FALSE(p.has_iss);
}

TEST(ParseCallbackQueryTest, FirstDuplicateWinsAndEmptyIssIsPresent) {
  const CallbackParams p = ParseCallbackQuery("code=1&code=2&state=a&state=b&iss=&iss=x");
  EXPECT_EQ(p.code, "1");
  EXPECT_EQ(p.state, "a");
  EXPECT_TRUE(p.has_iss);
  EXPECT_EQ(p.iss, "");
}

TEST(ParseCallbackQueryTest, Empty) {
  const CallbackParams p = ParseCallbackQuery("");
  EXPECT_EQ(p.code, "");
  EXPECT_FALSE(p.has_iss);
}

TEST(IsValidStateTest, Shapes) {
  EXPECT_TRUE(IsValidState("3f2504e0-4f89-41d3-9a0c-0305e82c3301"));
  EXPECT_TRUE(IsValidState("a"));
  EXPECT_TRUE(IsValidState("AZaz09_-"));
  EXPECT_TRUE(IsValidState(std::string(128, 'x')));
  EXPECT_FALSE(IsValidState(std::string(129, 'x')));
  EXPECT_FALSE(IsValidState(""));
  EXPECT_FALSE(IsValidState("a b"));
  EXPECT_FALSE(IsValidState("a.b"));
  EXPECT_FALSE(IsValidState("a+b"));
  EXPECT_FALSE(IsValidState("a/b"));
  EXPECT_FALSE(IsValidState("a=b"));
  EXPECT_FALSE(IsValidState(std::string_view("a\0", 2)));
  EXPECT_FALSE(IsValidState("\xC3\xA9"));
}

// ---- BasicAuthorization ----

TEST(BasicAuthorizationTest, PlainCredentials) {
  // RFC 7617 example credentials.
  EXPECT_EQ(BasicAuthorization("Aladdin", "open sesame", false),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(BasicAuthorization("client-1", "s3cr3t"), "Basic " + Base64("client-1:s3cr3t"));
}

TEST(BasicAuthorizationTest, FormEncodedPerRfc6749) {
  EXPECT_EQ(BasicAuthorization("my:client", "p@ss w+rd/="),
            "Basic " + Base64("my%3Aclient:p%40ss+w%2Brd%2F%3D"));
  EXPECT_EQ(BasicAuthorization("my:client", "p@ss w+rd/=", false),
            "Basic " + Base64("my:client:p@ss w+rd/="));
}

}  // namespace
}  // namespace mcpr
