#include "http_request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace mcpr {
namespace {

using namespace std::string_literals;
using Result = HttpRequestParser::Result;

// Everything observable about a parse, for comparing splits.
struct Outcome {
  Result result = Result::kNeedMore;
  int status = 0;
  std::string method, target, path, query;
  bool has_query = false;
  int minor = -1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t consumed = 0;  // bytes of the input that belonged to the head

  bool operator==(const Outcome& o) const {
    return result == o.result && status == o.status && method == o.method &&
           target == o.target && path == o.path && query == o.query &&
           has_query == o.has_query && minor == o.minor && headers == o.headers &&
           consumed == o.consumed;
  }
};

Outcome Parse(const std::vector<std::string_view>& chunks, std::size_t cap = 8192) {
  HttpRequestParser p(cap);
  Outcome o;
  for (std::string_view chunk : chunks) {
    std::size_t used = 0;
    const bool was_open = p.result() == Result::kNeedMore;
    const Result r = p.Feed(chunk, &used);
    if (was_open) o.consumed += used;
    else EXPECT_EQ(used, 0u);  // final states consume nothing
    o.result = r;
  }
  o.status = p.error_status();
  const auto& h = p.request();
  o.method = h.method;
  o.target = h.target;
  o.path = h.path;
  o.query = h.query;
  o.has_query = h.has_query;
  o.minor = h.version_minor;
  o.headers = h.headers;
  if (o.result != Result::kError) {
    EXPECT_EQ(o.status, 0);
  }
  return o;
}

Outcome ParseWhole(std::string_view s, std::size_t cap = 8192) { return Parse({s}, cap); }

// The same outcome for every single split point and byte by byte.
void ExpectSplitInvariant(std::string_view s, std::size_t cap = 8192) {
  const Outcome whole = ParseWhole(s, cap);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    EXPECT_EQ(Parse({s.substr(0, i), s.substr(i)}, cap), whole) << "split at " << i;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  EXPECT_EQ(Parse(bytes, cap), whole) << "byte at a time";
}

TEST(HttpRequestParserTest, ParsesCallbackRequest) {
  const std::string req =
      "GET /oauth/callback?code=abc&state=xyz HTTP/1.1\r\n"
      "Host: localhost:3334\r\n"
      "User-Agent:  Mozilla/5.0 (X11)  \r\n"
      "ACCEPT:text/html\r\n"
      "X-Empty:\r\n"
      "\r\n";
  const Outcome o = ParseWhole(req);
  ASSERT_EQ(o.result, Result::kDone);
  EXPECT_EQ(o.method, "GET");
  EXPECT_EQ(o.target, "/oauth/callback?code=abc&state=xyz");
  EXPECT_EQ(o.path, "/oauth/callback");
  EXPECT_EQ(o.query, "code=abc&state=xyz");
  EXPECT_TRUE(o.has_query);
  EXPECT_EQ(o.minor, 1);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"host", "localhost:3334"},
      {"user-agent", "Mozilla/5.0 (X11)"},
      {"accept", "text/html"},
      {"x-empty", ""}};
  EXPECT_EQ(o.headers, want);
  EXPECT_EQ(o.consumed, req.size());
  ExpectSplitInvariant(req);
}

TEST(HttpRequestParserTest, FindIsByLowerCaseName) {
  HttpRequestParser p;
  ASSERT_EQ(p.Feed("GET / HTTP/1.1\r\nHost: a\r\nX-Thing: 1\r\n\r\n"), Result::kDone);
  ASSERT_NE(p.request().Find("x-thing"), nullptr);
  EXPECT_EQ(*p.request().Find("x-thing"), "1");
  EXPECT_EQ(p.request().Find("x-other"), nullptr);
}

TEST(HttpRequestParserTest, EmptyQueryAndNoQueryDiffer) {
  Outcome a = ParseWhole("GET /x? HTTP/1.1\r\nHost: h\r\n\r\n");
  Outcome b = ParseWhole("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(a.result, Result::kDone);
  ASSERT_EQ(b.result, Result::kDone);
  EXPECT_TRUE(a.has_query);
  EXPECT_FALSE(b.has_query);
  EXPECT_EQ(a.path, "/x");
  EXPECT_EQ(a.query, "");
  // The first '?' splits; later ones belong to the query.
  Outcome c = ParseWhole("GET /x?a=?b HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.path, "/x");
  EXPECT_EQ(c.query, "a=?b");
}

TEST(HttpRequestParserTest, AcceptsBareLfAndLeadingBlankLines) {
  const std::string req = "\r\n\nGET / HTTP/1.1\nHost: h\n\n";
  Outcome o = ParseWhole(req);
  EXPECT_EQ(o.result, Result::kDone);
  EXPECT_EQ(o.consumed, req.size());
  ExpectSplitInvariant(req);
}

TEST(HttpRequestParserTest, Http10NeedsNoHost) {
  Outcome o = ParseWhole("GET /.mcp-remote/id HTTP/1.0\r\n\r\n");
  EXPECT_EQ(o.result, Result::kDone);
  EXPECT_EQ(o.minor, 0);
}

TEST(HttpRequestParserTest, StopsAtEndOfHeadAndStaysDone) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  HttpRequestParser p;
  std::size_t used = 0;
  EXPECT_EQ(p.Feed(head + "trailing body bytes", &used), Result::kDone);
  EXPECT_EQ(used, head.size());
  EXPECT_EQ(p.Feed("more", &used), Result::kDone);
  EXPECT_EQ(used, 0u);
}

TEST(HttpRequestParserTest, NeedsMoreUntilBlankLine) {
  HttpRequestParser p;
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\nHost: h\r\n"), Result::kNeedMore);
  EXPECT_EQ(p.Feed("\r"), Result::kNeedMore);
  EXPECT_EQ(p.Feed("\n"), Result::kDone);
}

struct ErrorCase {
  const char* name;
  std::string input;
  int status;
};

TEST(HttpRequestParserTest, ErrorTable) {
  const std::vector<ErrorCase> cases = {
      {"post", "POST /oauth/callback HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", 405},
      {"head", "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", 405},
      {"lower-case get is another method", "get / HTTP/1.1\r\nHost: h\r\n\r\n", 405},
      {"bad header beats 405", "POST / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400},
      {"http/2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 400},
      {"http/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 400},
      {"lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400},
      {"no version", "GET /\r\nHost: h\r\n\r\n", 400},
      {"two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},
      {"absolute form", "GET http://127.0.0.1/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"asterisk form", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"fragment", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"nul in target", "GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"s, 400},
      {"non-ascii target", "GET /\xC3\xA9 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"bad method char", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"bare cr in line", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},
      {"cr cr lf", "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400},
      {"missing host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"two hosts 1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nHost h\r\n\r\n", 400},
      {"empty name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n", 400},
      {"control in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01" "b\r\n\r\n", 400},
      {"del in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400},
      {"long target", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", 414},
      {"long header", "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(9000, 'a') + "\r\n\r\n",
       431},
      {"endless blank lines", std::string(9000, '\n'), 414},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Outcome o = ParseWhole(c.input);
    EXPECT_EQ(o.result, Result::kError);
    EXPECT_EQ(o.status, c.status);
  }
}

TEST(HttpRequestParserTest, ErrorsAreSplitInvariant) {
  for (const std::string& s :
       {std::string("POST / HTTP/1.1\r\nHost: h\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"),
        std::string("GET /a\rb HTTP/1.1\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\n\r\n")}) {
    ExpectSplitInvariant(s);
  }
  // Oversize cases with a small cap so every split is cheap to try.
  ExpectSplitInvariant("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n", 32);
  ExpectSplitInvariant("GET / HTTP/1.1\r\nHost: h\r\nX: aaaaaaaaaaaaaaaaaaa\r\n\r\n", 40);
}

TEST(HttpRequestParserTest, CapIsExact) {
  const std::string prefix = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  const std::string suffix = "\r\n\r\n";
  const std::size_t fill = 8192 - prefix.size() - suffix.size();
  const std::string exact = prefix + std::string(fill, 'a') + suffix;
  ASSERT_EQ(exact.size(), 8192u);
  EXPECT_EQ(ParseWhole(exact).result, Result::kDone);
  const std::string over = prefix + std::string(fill + 1, 'a') + suffix;
  const Outcome o = ParseWhole(over);
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_EQ(o.status, 431);
  // The error is reported as soon as the cap is reached, without waiting
  // for the rest.
  HttpRequestParser p;
  EXPECT_EQ(p.Feed(std::string_view(over).substr(0, 8192)), Result::kError);
  EXPECT_EQ(p.bytes_seen(), 8192u);
}

TEST(HttpRequestParserTest, TooManyFields) {
  std::string req = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t i = 1; i < HttpRequestParser::kMaxFields; ++i) req += "A: b\r\n";
  EXPECT_EQ(ParseWhole(req + "\r\n").result, Result::kDone);  // exactly kMaxFields
  const Outcome o = ParseWhole(req + "A: b\r\n\r\n");
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_EQ(o.status, 431);
}

TEST(HttpRequestParserTest, ObsTextAllowedInValues) {
  const Outcome o = ParseWhole("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xC3\xA9\t!\r\n\r\n");
  ASSERT_EQ(o.result, Result::kDone);
  EXPECT_EQ(o.headers[1].second, "caf\xC3\xA9\t!");
}

TEST(HttpRequestParserTest, MethodKeptFor405) {
  HttpRequestParser p;
  ASSERT_EQ(p.Feed("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n"), Result::kError);
  EXPECT_EQ(p.error_status(), 405);
  EXPECT_EQ(p.request().method, "DELETE");
  EXPECT_FALSE(p.error_reason().empty());
}

}  // namespace
}  // namespace mcpr
