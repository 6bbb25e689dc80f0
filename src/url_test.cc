#include "url.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mcpr {
namespace {

std::string Norm(std::string_view in) {
  std::string out;
  std::string err;
  if (!NormalizeUrl(in, &out, &err)) return "ERR " + err;
  return out;
}

std::string Resolve(std::string_view base, std::string_view ref) {
  std::string out;
  if (!ResolveReference(base, ref, &out)) return "ERR";
  return out;
}

TEST(UrlTest, ParseSplitsComponents) {
  ParsedUrl u;
  std::string err;
  ASSERT_TRUE(ParseUrl("https://user:pw@MCP.Example.com:8443/a/b?x=1&y=2#frag", &u, &err)) << err;
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.user, "user");
  EXPECT_EQ(u.password, "pw");
  EXPECT_EQ(u.host, "mcp.example.com");
  EXPECT_EQ(u.port, "8443");
  EXPECT_EQ(u.effective_port, 8443);
  EXPECT_EQ(u.path, "/a/b");
  EXPECT_TRUE(u.has_query);
  EXPECT_EQ(u.query, "x=1&y=2");
  EXPECT_TRUE(u.has_fragment);
  EXPECT_EQ(u.fragment, "frag");
}

TEST(UrlTest, ParseDefaultsPortAndPath) {
  ParsedUrl u;
  ASSERT_TRUE(ParseUrl("HTTP://Example.COM", &u, nullptr));
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, "");
  EXPECT_EQ(u.effective_port, 80);
  EXPECT_EQ(u.path, "/");
  EXPECT_FALSE(u.has_query);
  EXPECT_FALSE(u.has_fragment);

  ASSERT_TRUE(ParseUrl("https://example.com:443/x", &u, nullptr));
  EXPECT_EQ(u.port, "");
  EXPECT_EQ(u.effective_port, 443);
  ASSERT_TRUE(ParseUrl("http://example.com:443/x", &u, nullptr));
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.effective_port, 443);
}

TEST(UrlTest, ParseIpv6KeepsBrackets) {
  ParsedUrl u;
  ASSERT_TRUE(ParseUrl("http://[0:0::1]:8080/mcp", &u, nullptr));
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(Origin(u), "http://[::1]:8080");
}

TEST(UrlTest, ParseRejects) {
  ParsedUrl u;
  std::string err;
  EXPECT_FALSE(ParseUrl("ftp://example.com/", &u, &err));
  EXPECT_NE(err.find("ftp"), std::string::npos) << err;
  EXPECT_FALSE(ParseUrl("/relative/path", &u, &err));
  EXPECT_FALSE(ParseUrl("example.com/mcp", &u, &err));
  EXPECT_FALSE(ParseUrl("", &u, &err));
  EXPECT_FALSE(ParseUrl("https://", &u, &err));
  EXPECT_FALSE(ParseUrl("https:///", &u, &err));
  EXPECT_FALSE(ParseUrl("https://a b/", &u, &err));
  EXPECT_FALSE(ParseUrl("https://a.b:99999/", &u, &err));
  EXPECT_FALSE(ParseUrl("https://a.b:12x/", &u, &err));
  EXPECT_FALSE(ParseUrl("mailto:someone@example.com", &u, &err));
  EXPECT_FALSE(ParseUrl("http://[fe80::1%25eth0]/", &u, &err));
}

// Found by fuzz/url_fuzzer.cc: curl percent-decodes the host, and the decoded
// bytes must pass the same rule as a literal host (else Href would print a URL
// that does not parse again).
TEST(UrlTest, ParseRejectsPercentEncodedForbiddenHostBytes) {
  ParsedUrl u;
  std::string err;
  EXPECT_FALSE(ParseUrl("https:%d1%7f.1/x", &u, &err));
  EXPECT_NE(err.find("host"), std::string::npos) << err;
  EXPECT_FALSE(ParseUrl("https://a%2fb.example/", &u, &err));
  EXPECT_FALSE(ParseUrl("https://a%00b.example/", &u, &err));
  EXPECT_FALSE(ParseUrl("https://b\xc3\xbc" "cher.example/", &u, &err));
  ASSERT_TRUE(ParseUrl("https://%61pi.example/", &u, &err)) << err;
  EXPECT_EQ(u.host, "api.example");
  ASSERT_TRUE(ParseUrl("http://12%2e7/", &u, &err)) << err;
  EXPECT_EQ(u.host, "12.0.0.7");  // what new URL() gives
  ASSERT_TRUE(ParseUrl("http://a%40b:p%25@h.example/", &u, &err)) << err;
  EXPECT_EQ(u.host, "h.example");
}

// Expected values are what Node 20's `new URL(x).href` prints.
TEST(UrlTest, NormalizeMatchesWhatwgHref) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTPS://Example.com:443/a/../token", "https://example.com/token"},
      {"https://auth.example.com", "https://auth.example.com/"},
      {"https://Auth.Example.COM:8443/o auth/./x/../token?q=a b&c=\"d\"&e=<f>",
       "https://auth.example.com:8443/o%20auth/token?q=a%20b&c=%22d%22&e=%3Cf%3E"},
      {"http://[0:0::1]:80/token", "http://[::1]/token"},
      {"https://a.b/p|^[]{}`~!$&'()*+,;=:@x?q|^[]{}`'~#f|^[]{}`'",
       "https://a.b/p|^[]%7B%7D%60~!$&'()*+,;=:@x?q|^[]{}`%27~#f|^[]{}%60'"},
      {"https://a.b/x?", "https://a.b/x?"},
      {"https://a.b/x#", "https://a.b/x#"},
      {"https://a.b/x?#", "https://a.b/x?#"},
      {"  https://a.b/x \n", "https://a.b/x"},
      {"https:////a.b\\x\\y?a\\b", "https://a.b/x/y?a\\b"},
      {"https:a.b/x", "https://a.b/x"},
      {"http://0x7f.1/", "http://127.0.0.1/"},
      {"https://a.b%41/x", "https://a.ba/x"},
      {"https://a.b/\xc3\xa9?\xc3\xa9#\xc3\xa9", "https://a.b/%C3%A9?%C3%A9#%C3%A9"},
      {"https://a.b/%zz?%zz", "https://a.b/%zz?%zz"},
      {"https://a.b:0443/x", "https://a.b/x"},
      {"https://a.b:08080/x", "https://a.b:8080/x"},
      {"https://user:pw@a.b/x", "https://user:pw@a.b/x"},
      {"https://a.b/x/%2e%2e/y", "https://a.b/y"},
      {"https://a.b/x/%2E/y", "https://a.b/x/y"},
      {"https://a.b/%2ex/y", "https://a.b/%2ex/y"},
      {"https://a.b/a/./b/../../../c", "https://a.b/c"},
      {"https://a.b/x\ty", "https://a.b/xy"},
      {"https://a.b/x/..", "https://a.b/"},
      {"https://a.b?q", "https://a.b/?q"},
      {"https://a.b#f", "https://a.b/#f"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(Norm(in), want) << in;
}

TEST(UrlTest, NormalizeIsIdempotent) {
  for (std::string_view in : {"HTTPS://Example.com:443/a/../t o?x y#z", "http://[::1]:3000/a%20b?"}) {
    const std::string once = Norm(in);
    EXPECT_EQ(Norm(once), once) << in;
  }
}

// Expected values are Node 20's `new URL(ref, base).href`.
TEST(UrlTest, ResolveLegacySseEndpoint) {
  const std::string base = "https://mcp.example.com:443/sse/v1?token=1#top";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/messages?sessionId=x", "https://mcp.example.com/messages?sessionId=x"},
      {"messages?x", "https://mcp.example.com/sse/messages?x"},
      {"messages", "https://mcp.example.com/sse/messages"},
      {"//other/x", "https://other/x"},
      {"///triple/x", "https://triple/x"},
      {"https://other.example/y", "https://other.example/y"},
      {"http://mcp.example.com:80/z", "http://mcp.example.com/z"},
      {"?only", "https://mcp.example.com/sse/v1?only"},
      {"#frag", "https://mcp.example.com/sse/v1?token=1#frag"},
      {"", "https://mcp.example.com/sse/v1?token=1"},
      {"../../../m", "https://mcp.example.com/m"},
      {"./a/./b/../c", "https://mcp.example.com/sse/a/c"},
      {"/a b?c d#e f", "https://mcp.example.com/a%20b?c%20d#e%20f"},
      {"\\messages\\x?y\\z", "https://mcp.example.com/messages/x?y\\z"},
      {"\\\\other\\x", "https://other/x"},
      {"https:rel", "https://mcp.example.com/sse/rel"},
      {"https:/abs", "https://mcp.example.com/abs"},
      {"http:rel", "http://rel/"},
      {" /padded ", "https://mcp.example.com/padded"},
      {"/mes\tsages", "https://mcp.example.com/messages"},
      {"..", "https://mcp.example.com/"},
      {".", "https://mcp.example.com/sse/"},
      {"/%2e%2e/x", "https://mcp.example.com/x"},
  };
  for (const auto& [ref, want] : cases) EXPECT_EQ(Resolve(base, ref), want) << "ref=" << ref;
}

TEST(UrlTest, ResolveRejectsOtherSchemesAndBadBase) {
  EXPECT_EQ(Resolve("https://a.b/sse", "javascript:alert(1)"), "ERR");
  EXPECT_EQ(Resolve("https://a.b/sse", "mailto:x"), "ERR");
  EXPECT_EQ(Resolve("https://a.b/sse", "file:///etc/passwd"), "ERR");
  EXPECT_EQ(Resolve("not a url", "/messages"), "ERR");
  EXPECT_EQ(Resolve("https://a.b/sse", "//"), "ERR");
}

TEST(UrlTest, ResolveKeepsBaseUserinfoAndPort) {
  EXPECT_EQ(Resolve("http://u:p@localhost:3000/sse", "/messages?sessionId=1"),
            "http://u:p@localhost:3000/messages?sessionId=1");
}

TEST(UrlTest, OriginOmitsDefaultPortAndLowercases) {
  ParsedUrl u;
  ASSERT_TRUE(ParseUrl("HTTPS://MCP.Example.com:443/x?y", &u, nullptr));
  EXPECT_EQ(Origin(u), "https://mcp.example.com");
  ASSERT_TRUE(ParseUrl("http://localhost:3000/x", &u, nullptr));
  EXPECT_EQ(Origin(u), "http://localhost:3000");
  ASSERT_TRUE(ParseUrl("http://u:p@example.com:80", &u, nullptr));
  EXPECT_EQ(Origin(u), "http://example.com");
}

TEST(UrlTest, SameOrigin) {
  EXPECT_TRUE(SameOrigin("https://a.example/x", "https://a.example:443/y?z"));
  EXPECT_TRUE(SameOrigin("http://a.example/", "HTTP://A.EXAMPLE:80/other"));
  EXPECT_TRUE(SameOrigin("http://[::1]:3000/sse", "http://[0:0:0:0:0:0:0:1]:3000/messages"));
  EXPECT_FALSE(SameOrigin("https://a.example/", "http://a.example/"));
  EXPECT_FALSE(SameOrigin("https://a.example/", "https://a.example:8443/"));
  EXPECT_FALSE(SameOrigin("http://a.example:443/", "https://a.example/"));
  EXPECT_FALSE(SameOrigin("https://a.example/", "https://b.example/"));
  EXPECT_FALSE(SameOrigin("https://a.example/", "https://a.example.evil/"));
  EXPECT_FALSE(SameOrigin("https://a.example/", "not a url"));
  EXPECT_FALSE(SameOrigin("", ""));
}

TEST(UrlTest, IsLoopbackHost) {
  for (std::string_view h : {"localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "127.255.255.255", "::1",
                             "[::1]", "[0:0:0:0:0:0:0:1]", "0:0::1"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (std::string_view h : {"", "localhost.example", "example.com", "128.0.0.1", "127.0.0", "127.0.0.1.5",
                             "127.0.0.256", "127.0.0.01x", "1127.0.0.1", "::2", "[::]", "::ffff:127.0.0.1",
                             "[::1", "evil-127.0.0.1", "0x7f.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

TEST(UrlTest, UrlPath) {
  EXPECT_EQ(UrlPath("https://a.b/x/y?q#f"), "/x/y");
  EXPECT_EQ(UrlPath("https://a.b"), "/");
  EXPECT_EQ(UrlPath("https://a.b/a/../b c"), "/b%20c");
  EXPECT_EQ(UrlPath("nope"), "");
}

}  // namespace
}  // namespace mcpr
