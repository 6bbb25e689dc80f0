// libFuzzer target for the session cookie jar (cookie_jar.h), fed
// Set-Cookie header values as a hostile server would send them.
// Input: NUL-separated records; each record is one op byte followed by a
// Set-Cookie value (which may hold CR, LF and any other byte). The op byte
// picks the origin (bits 0-1, one of three; 3 = a fourth, rarely used one),
// the request path (bits 2-4, from a fixed list), and how far the clock
// moves before the record (bits 5-7: 0 s ... 401 days).
// Properties, after every record:
//  - never crashes (ASan/UBSan); ParseCookieDate never crashes;
//  - the Cookie header never holds CR, LF or NUL (no header injection),
//    is "n=v; n=v" with non-empty names, at most kMaxCookiesPerOrigin pairs,
//    each at most kMaxCookieBytes, and is the same when asked twice;
//  - no origin ever holds more than kMaxCookiesPerOrigin cookies, and
//    nothing leaks to an origin never stored to;
//  - a plain "name=value" (no attributes) that passes the syntax rules is
//    sent right back for the same origin and path, unless the jar was full;
//  - the 400-day lifetime cap: a cookie given a far-future Expires or a huge
//    Max-Age (appended as its last attribute) is not sent 400 days later;
//    with the Max-Age it is still sent one second before.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cookie_jar.h"

namespace {

using mcpr::CookieJar;
using std::chrono::seconds;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

constexpr std::string_view kOrigins[] = {"https://a.example", "https://b.example:8443", "http://127.0.0.1:3000",
                                          "https://a.example:444"};
constexpr std::string_view kPaths[] = {"/",          "/mcp",    "/mcp/",     "/mcp/sub/x?q=1",
                                       "/mcpx/y#f",  "",        "/a/b/c/d", "/MCP/sub"};
constexpr int64_t kAdvance[] = {0, 1, 59, 3600, 86400, 30 * 86400, 399 * 86400, 401 * 86400};
constexpr int64_t kCap = 400LL * 86400;

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7F;
  });
}

std::string_view TrimWsp(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Pairs(std::string_view header) {
  std::vector<std::string_view> out;
  if (header.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t sep = header.find("; ", start);
    out.push_back(header.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 2;
  }
  return out;
}

void CheckHeader(CookieJar& jar, std::string_view origin, std::string_view path, CookieJar::TimePoint now) {
  const std::string h = jar.CookieHeader(origin, path, now);
  Check(h.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos, "no CR/LF/NUL in Cookie header");
  Check(!HasControl(h), "no control characters in Cookie header");
  Check(h == jar.CookieHeader(origin, path, now), "CookieHeader is repeatable");
  const std::vector<std::string_view> pairs = Pairs(h);
  Check(pairs.size() <= CookieJar::kMaxCookiesPerOrigin, "at most kMaxCookiesPerOrigin pairs");
  for (std::string_view p : pairs) {
    const std::size_t eq = p.find('=');
    Check(eq != std::string_view::npos && eq > 0, "pair has a name");
    Check(p.size() - 1 <= CookieJar::kMaxCookieBytes, "pair within kMaxCookieBytes");
    Check(p.find(';') == std::string_view::npos, "no ';' inside a pair");
  }
  Check(jar.CountForTest(origin) <= CookieJar::kMaxCookiesPerOrigin, "origin cap");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CookieJar jar;
  CookieJar::TimePoint now{seconds(1'700'000'000)};

  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\0', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view record = input.substr(start, end - start);
    start = end + 1;
    if (record.empty()) continue;
    const auto op = static_cast<unsigned char>(record[0]);
    const std::string_view value = record.substr(1);
    const std::string_view origin = kOrigins[op & 3];
    const std::string_view path = kPaths[(op >> 2) & 7];
    now += seconds(kAdvance[op >> 5]);

    (void)mcpr::ParseCookieDate(value);

    // Would this be stored as a plain session cookie?
    const bool plain = value.find(';') == std::string_view::npos && value.find('=') != std::string_view::npos;
    const std::string_view name = TrimWsp(value.substr(0, value.find('=')));
    const std::string_view val = plain ? TrimWsp(value.substr(value.find('=') + 1)) : std::string_view();
    const bool valid = plain && !name.empty() && !HasControl(name) && !HasControl(val) &&
                       name.size() + val.size() <= CookieJar::kMaxCookieBytes;
    const std::size_t before = jar.CountForTest(origin);

    jar.Store(origin, path, value, now);
    Check(jar.CountForTest(origin) <= CookieJar::kMaxCookiesPerOrigin, "origin cap after Store");
    Check(jar.CountForTest("https://never.example") == 0, "no cross-origin leak");
    Check(jar.CookieHeader("https://never.example", "/", now).empty(), "no cross-origin header");

    if (valid && !path.empty()) {
      const std::string expected = std::string(name) + "=" + std::string(val);
      const std::string h = jar.CookieHeader(origin, path, now);
      const std::vector<std::string_view> pairs = Pairs(h);
      const bool sent = std::find(pairs.begin(), pairs.end(), expected) != pairs.end();
      if (!sent && before < CookieJar::kMaxCookiesPerOrigin) {
        std::fprintf(stderr, "plain cookie not sent back: [%s] for %s%s -> [%s]\n", expected.c_str(),
                     std::string(origin).c_str(), std::string(path).c_str(), h.c_str());
        std::abort();
      }
    }
    for (std::string_view o : kOrigins) {
      for (std::string_view p : kPaths) CheckHeader(jar, o, p, now);
    }

    // The lifetime cap: with a huge Max-Age or a far-future Expires added
    // as the last attribute, the cookie is gone 400 days later.
    for (std::string_view suffix : {std::string_view("; Max-Age=99999999999"),
                                    std::string_view("; Expires=Fri, 31 Dec 9999 23:59:59 GMT")}) {
      CookieJar capped;
      capped.Store(origin, path, std::string(value) + std::string(suffix), now);
      if (suffix[2] == 'M') {  // the last Max-Age wins, so the cookie lives exactly until the cap
        const std::string before_cap = capped.CookieHeader(origin, path, now + seconds(kCap - 1));
        Check(before_cap == capped.CookieHeader(origin, path, now), "alive until the cap");
      }
      Check(capped.CookieHeader(origin, path, now + seconds(kCap)).empty(), "400-day lifetime cap");
      Check(capped.CountForTest(origin) == 0, "expired cookies dropped when seen");
    }
  }

  return 0;
}
