#include "server_hash.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace mcpr {
namespace {

// ---------------------------------------------------------------------------
// Compatibility vectors. Every expected hash below was computed by npm
// mcp-remote 0.15.1's own code (installed with `npm install
// mcp-remote@0.15.1` into a scratch directory, Node 20.20): its exported
// parseCommandLineArgs(argv) was run on the command line quoted in each
// comment and its serverUrlHash read back — that value comes from npm's
// getServerUrlHash(serverUrl, authorizeResource, headers, authorizeParams,
// clientMetadataUrl, tokenEndpoint) in dist/chunk-KJCT2FXL.js. The same
// function, extracted from the dist file and called directly, gave the same
// hashes, and its calculateDefaultPort gave the ports. Arguments are shown
// in bash $'...' notation; the Options below are what that command line
// parses to (headers keep their unexpanded raw_value; API_TOKEN was set in
// the environment and does not matter).
// ---------------------------------------------------------------------------

constexpr char kUrl[] = "https://mcp.example.com/mcp";

Options Base(std::string url = kUrl) {
  Options o;
  o.server_url = std::move(url);
  return o;
}

HeaderSpec Header(std::string name, std::string raw, std::string expanded = "expanded-secret") {
  return HeaderSpec{std::move(name), std::move(raw), std::move(expanded)};
}

TEST(ServerHashTest, PlainUrl) {
  // mcp-remote https://mcp.example.com/mcp
  EXPECT_EQ(ServerUrlHash(Base()), "94baabe3c3fadb285b26c035e4e86046");
}

TEST(ServerHashTest, TrailingSlashIsSignificant) {
  // mcp-remote https://mcp.example.com/mcp/
  EXPECT_EQ(ServerUrlHash(Base("https://mcp.example.com/mcp/")), "009f3d837fca855373ee6bc0a55639f0");
}

TEST(ServerHashTest, ServerUrlIsHashedAsTyped) {
  // mcp-remote 'HTTPS://MCP.Example.com:443/a/../mcp?x=1'
  EXPECT_EQ(ServerUrlHash(Base("HTTPS://MCP.Example.com:443/a/../mcp?x=1")),
            "7ec2d1cd6ab1a0fcb0a9b6f0ad61e37d");
  // mcp-remote 'https://例え.jp/ü?q=ä' --allow-http
  EXPECT_EQ(ServerUrlHash(Base("https://\xe4\xbe\x8b\xe3\x81\x88.jp/\xc3\xbc?q=\xc3\xa4")),
            "11467683c48c96d1bd3e131b0e3d66a9");
}

TEST(ServerHashTest, Resource) {
  // mcp-remote https://mcp.example.com/mcp --resource https://mcp.example.com/
  Options o = Base();
  o.resource = "https://mcp.example.com/";
  EXPECT_EQ(ServerUrlHash(o), "5d3519ac3025f806cb9adbee72da8a86");
  // ... --disable-resource-parameter: the resource is not hashed.
  o.disable_resource_parameter = true;
  EXPECT_EQ(ServerUrlHash(o), "94baabe3c3fadb285b26c035e4e86046");
  // --resource '' disables it too.
  Options empty = Base();
  empty.resource = "";
  EXPECT_EQ(ServerUrlHash(empty), "94baabe3c3fadb285b26c035e4e86046");
}

TEST(ServerHashTest, AuthorizeParamsWithUnicodeQuotesAndBackslash) {
  // mcp-remote https://mcp.example.com/mcp --authorize-param audience=https://api.example.com
  //   --authorize-param 'prompt=consent "now"' --authorize-param 'ünï=日本語 😀'
  //   --authorize-param $'a\\b=tab\there=eq'
  Options o = Base();
  o.authorize_params = {{"audience", "https://api.example.com"},
                        {"prompt", "consent \"now\""},
                        {"\xc3\xbcn\xc3\xaf", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80"},
                        {"a\\b", "tab\there=eq"}};
  EXPECT_EQ(ServerUrlHash(o), "536b7b87f0a5b31a68d348c719dc4442");
}

TEST(ServerHashTest, HeadersUseUnexpandedValuesAndJsEscaping) {
  // mcp-remote https://mcp.example.com/mcp --header 'Authorization: Bearer ${API_TOKEN}'
  //   --header $'X-Odd: q" b\\ bs\b ff\f tab\t us\x1f del\x7f é ${NOT SET}'
  //   --header 'authorization-lower:  spaced'
  Options o = Base();
  o.headers = {Header("Authorization", "Bearer ${API_TOKEN}", "Bearer supersecret"),
               Header("X-Odd", "q\" b\\ bs\b ff\f tab\t us\x1f del\x7f \xc3\xa9 ${NOT SET}"),
               Header("authorization-lower", "spaced")};
  EXPECT_EQ(ServerUrlHash(o), "f20de24f12bad00f24ea03abb90e878c");
  // The expanded value never matters.
  o.headers[0].value = "Bearer other";
  EXPECT_EQ(ServerUrlHash(o), "f20de24f12bad00f24ea03abb90e878c");
}

TEST(ServerHashTest, ClientMetadataUrl) {
  // mcp-remote https://mcp.example.com/mcp --client-metadata-url https://app.example.com/oauth/client.json
  Options o = Base();
  o.client_metadata_url = "https://app.example.com/oauth/client.json";
  EXPECT_EQ(ServerUrlHash(o), "e4a1bdf037d7dbfff78ea374fb6df344");
}

TEST(ServerHashTest, TokenEndpointIsNormalizedLikeNewUrl) {
  struct Case {
    const char* typed;
    const char* normalized;  // npm's `new URL(x).toString()`
    const char* hash;
  };
  // mcp-remote https://mcp.example.com/mcp --client-credentials --token-endpoint <typed>
  const Case cases[] = {
      {"HTTPS://Example.com:443/a/../token", "https://example.com/token", "e86fcf13e6866eb7ada02f40e3e25365"},
      {"https://auth.example.com", "https://auth.example.com/", "244e77d01f4d221f8e75cd0b679dca19"},
      {"https://Auth.Example.COM:8443/o auth/./x/../token?q=a b&c=\"d\"&e=<f>",
       "https://auth.example.com:8443/o%20auth/token?q=a%20b&c=%22d%22&e=%3Cf%3E",
       "9daa40d3e5c4f971f935ed9737e07f0f"},
      {"http://[0:0::1]:80/token", "http://[::1]/token", "2cee208312734d22ab3dabddde772cf7"},
  };
  for (const Case& c : cases) {
    Options o = Base();
    o.client_credentials = true;
    o.token_endpoint = c.typed;
    EXPECT_EQ(ServerUrlHash(o), c.hash) << c.typed;
    // Options may already hold the normalized form: same hash.
    o.token_endpoint = c.normalized;
    EXPECT_EQ(ServerUrlHash(o), c.hash) << c.normalized;
  }
}

TEST(ServerHashTest, KeysSortInUtf16OrderNotByteOrder) {
  // mcp-remote https://mcp.example.com/mcp --authorize-param $'\uff5e=fullwidth'
  //   --authorize-param $'\U0001F600=emoji' --authorize-param z=last
  //   --authorize-param 10=ten --authorize-param 9=nine --authorize-param Z=upper
  // JS order: "10" "9" "Z" "z" "😀"(D83D..) "～"(FF5E); UTF-8 byte order would
  // put U+FF5E (EF BD 9E) before U+1F600 (F0 9F 98 80).
  Options o = Base();
  o.authorize_params = {{"\xef\xbd\x9e", "fullwidth"}, {"\xf0\x9f\x98\x80", "emoji"}, {"z", "last"},
                        {"10", "ten"},                 {"9", "nine"},                {"Z", "upper"}};
  EXPECT_EQ(ServerUrlHash(o), "221aafb2f3e58268a0a57424c61d4c29");
}

TEST(ServerHashTest, ProtoKeyIsNotAnOwnProperty) {
  // mcp-remote https://mcp.example.com/mcp --authorize-param '__proto__=x' --header '__proto__: y'
  Options o = Base();
  o.authorize_params = {{"__proto__", "x"}};
  o.headers = {Header("__proto__", "y")};
  EXPECT_EQ(ServerUrlHash(o), "94baabe3c3fadb285b26c035e4e86046");  // same as the plain URL
  // ... --authorize-param '__proto__=x' --authorize-param 'a=1' --header '__proto__: y' --header 'B: 2'
  o.authorize_params.emplace_back("a", "1");
  o.headers.push_back(Header("B", "2"));
  EXPECT_EQ(ServerUrlHash(o), "d8d1302e3a40a8f47ff446c302c84d8e");
}

TEST(ServerHashTest, RepeatedKeysKeepTheLastValue) {
  // mcp-remote https://mcp.example.com/mcp --header 'X-A: 1' --header 'X-A: 2'
  //   --authorize-param k=1 --authorize-param k=2
  Options o = Base();
  o.headers = {Header("X-A", "1"), Header("X-A", "2")};
  o.authorize_params = {{"k", "1"}, {"k", "2"}};
  EXPECT_EQ(ServerUrlHash(o), "aa55753a579f208278195b559c499ae6");
  // Already de-duplicated by the option parser: same hash.
  o.headers = {Header("X-A", "2")};
  o.authorize_params = {{"k", "2"}};
  EXPECT_EQ(ServerUrlHash(o), "aa55753a579f208278195b559c499ae6");
}

TEST(ServerHashTest, InvalidUtf8IsReplacedLikeNodeArgv) {
  // mcp-remote https://mcp.example.com/mcp --header $'X-Bad: a\xffb\xed\xa0\x80c\xf0\x9f\x98'
  Options o = Base();
  o.headers = {Header("X-Bad", "a\xff" "b\xed\xa0\x80" "c\xf0\x9f\x98")};
  EXPECT_EQ(ServerUrlHash(o), "c76c0ece59016fdb8d0bd2b4bdc34529");
}

TEST(ServerHashTest, ControlAndLineSeparatorInValue) {
  // mcp-remote https://mcp.example.com/mcp --authorize-param $'k=\U0001F600 \u2028 \x01'
  Options o = Base();
  o.authorize_params = {{"k", "\xf0\x9f\x98\x80 \xe2\x80\xa8 \x01"}};
  EXPECT_EQ(ServerUrlHash(o), "44e33d81d98c8637bead18d00510f1d9");
}

TEST(ServerHashTest, Everything) {
  // mcp-remote https://mcp.example.com/mcp 8080 --resource https://mcp.example.com/mcp
  //   --authorize-param audience=api --header 'X-Tenant: acme' --header-file hdrs.txt
  //   --client-metadata-url https://app.example.com/cimd.json --client-credentials
  //   --token-endpoint https://auth.example.com/oauth2/token
  // with hdrs.txt = "X-File: from ${FILE_VAR} file\n# comment\nx-file: lower\n"
  Options o = Base();
  o.callback_port = 8080;  // not hashed
  o.resource = "https://mcp.example.com/mcp";
  o.authorize_params = {{"audience", "api"}};
  o.headers = {Header("X-Tenant", "acme"), Header("X-File", "from ${FILE_VAR} file"),
               Header("x-file", "lower")};
  o.client_metadata_url = "https://app.example.com/cimd.json";
  o.client_credentials = true;
  o.token_endpoint = "https://auth.example.com/oauth2/token";
  const std::string hash = ServerUrlHash(o);
  EXPECT_EQ(hash, "9bd3d8c1361174e2bec6c0ae22687ab4");
  EXPECT_EQ(DefaultCallbackPort(hash), 43226);
}

TEST(ServerHashTest, PartsAreUntaggedLikeNpm) {
  // npm joins the parts without saying which option each came from, so the
  // same text as --resource or as --client-metadata-url gives one hash:
  //   mcp-remote https://mcp.example.com/mcp --resource https://x.example/c.json
  //   mcp-remote https://mcp.example.com/mcp --client-metadata-url https://x.example/c.json
  // both print 0862a0562597d693a148da6f57773afd. Reproduced, not fixed.
  Options a = Base();
  a.client_metadata_url = "https://x.example/c.json";
  Options b = Base();
  b.resource = "https://x.example/c.json";
  EXPECT_EQ(ServerUrlHash(a), "0862a0562597d693a148da6f57773afd");
  EXPECT_EQ(ServerUrlHash(b), "0862a0562597d693a148da6f57773afd");
}

TEST(ServerHashTest, DefaultCallbackPortMatchesNpm) {
  // npm 0.15.1 calculateDefaultPort on these hashes.
  EXPECT_EQ(DefaultCallbackPort("94baabe3c3fadb285b26c035e4e86046"), 41409);
  EXPECT_EQ(DefaultCallbackPort("009f3d837fca855373ee6bc0a55639f0"), 3494);
  EXPECT_EQ(DefaultCallbackPort("ffff0000000000000000000000000000"), 23054);
  EXPECT_EQ(DefaultCallbackPort("0000ffffffffffffffffffffffffffff"), 3335);
  EXPECT_EQ(DefaultCallbackPort("b2f80000000000000000000000000000"), 3335);
  EXPECT_EQ(DefaultCallbackPort("b2f70000000000000000000000000000"), 49150);
  EXPECT_EQ(DefaultCallbackPort("B2F7"), 49150);
  EXPECT_EQ(DefaultCallbackPort("1"), 3336);
  EXPECT_EQ(DefaultCallbackPort(""), 3335);
}

// ---- JS emulation helpers ----

TEST(ServerHashTest, JsJsonQuote) {
  EXPECT_EQ(JsJsonQuote(""), "\"\"");
  EXPECT_EQ(JsJsonQuote("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(JsJsonQuote("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(JsJsonQuote(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(JsJsonQuote("\x1a\x1b"), "\"\\u001a\\u001b\"");  // lowercase hex
  EXPECT_EQ(JsJsonQuote("\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80"), "\"\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\"");
}

TEST(ServerHashTest, JsStringLess) {
  EXPECT_TRUE(JsStringLess("B", "a"));
  EXPECT_TRUE(JsStringLess("10", "9"));
  EXPECT_TRUE(JsStringLess("a", "ab"));
  EXPECT_FALSE(JsStringLess("ab", "ab"));
  EXPECT_TRUE(JsStringLess("\xc3\xa9", "\xef\xbd\x9e"));                   // U+00E9 < U+FF5E
  EXPECT_TRUE(JsStringLess("\xf0\x9f\x98\x80", "\xef\xbd\x9e"));           // D83D < FF5E
  EXPECT_TRUE(JsStringLess("\xed\x9f\xbf", "\xf0\x9f\x98\x80"));           // U+D7FF < D83D
  EXPECT_FALSE(JsStringLess("\xef\xbd\x9e", "\xf0\x9f\x98\x80"));
}

TEST(ServerHashTest, ToWellFormedUtf8MatchesNodeDecoding) {
  // Node 20: Buffer.from(process.argv[i]).toString('hex') for these argv bytes.
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(ToWellFormedUtf8("a\xff" "b"), "a" + r + "b");
  EXPECT_EQ(ToWellFormedUtf8("\xed\xa0\x80"), r + r + r);      // surrogate: 3 x U+FFFD
  EXPECT_EQ(ToWellFormedUtf8("\xf0\x9f\x98"), r);              // truncated: 1 x U+FFFD
  EXPECT_EQ(ToWellFormedUtf8("\xe2\x82x"), r + "x");
  EXPECT_EQ(ToWellFormedUtf8("\xc0\xaf"), r + r);              // overlong
  EXPECT_EQ(ToWellFormedUtf8("\xf4\x90\x80\x80"), r + r + r + r);  // > U+10FFFF
  const std::string valid = "plain \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 \xef\xbf\xbd \xf4\x8f\xbf\xbf";
  EXPECT_EQ(ToWellFormedUtf8(valid), valid);
}

#ifndef _WIN32  // POSIX separators and $HOME
TEST(ServerHashTest, StorePaths) {
  std::map<std::string, std::string> env;
  GetenvFn getenv = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  env["HOME"] = "/home/ada";
  env["USERPROFILE"] = "/home/ada";
  EXPECT_EQ(ConfigBaseDir(getenv), "/home/ada/.mcp-auth");
  env["HOME"] = "/home/ada/";
  env["USERPROFILE"] = "/home/ada/";
  EXPECT_EQ(ConfigBaseDir(getenv), "/home/ada/.mcp-auth");
  env["MCP_REMOTE_CONFIG_DIR"] = "";  // empty is unset (JS ||)
  EXPECT_EQ(ConfigBaseDir(getenv), "/home/ada/.mcp-auth");
  env["MCP_REMOTE_CONFIG_DIR"] = "/tmp/cfg";
  EXPECT_EQ(ConfigBaseDir(getenv), "/tmp/cfg");
  EXPECT_EQ(StoreDir("/tmp/cfg"), "/tmp/cfg/mcp-remote-v1");
  EXPECT_EQ(StoreDir("/tmp/cfg/"), "/tmp/cfg/mcp-remote-v1");
  EXPECT_EQ(DebugLogPath("/tmp/cfg/mcp-remote-v1", "94baabe3c3fadb285b26c035e4e86046"),
            "/tmp/cfg/mcp-remote-v1/94baabe3c3fadb285b26c035e4e86046_debug.log");
  // No HOME at all still yields an absolute-or-dot base, never a crash.
  env.clear();
  EXPECT_FALSE(ConfigBaseDir(getenv).empty());
  EXPECT_FALSE(ConfigBaseDir(nullptr).empty());
}
#endif

}  // namespace
}  // namespace mcpr
