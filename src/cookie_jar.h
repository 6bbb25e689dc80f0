// CookieJar: the in-memory cookie store mcp-remote keeps for session
// stickiness (AWS ALB, Azure affinity...), mcp-remote-behaviour.md §1.9.4.
//
// Contract:
//  - Keyed by the exact origin string the caller passes (Origin() of the
//    request URL: "scheme://host[:port]"); nothing is ever shared across
//    origins. Domain, Secure, HttpOnly, SameSite and unknown attributes are
//    ignored. Never persisted.
//  - Set-Cookie parsing follows RFC 6265 §5.2: "name=value" up to the first
//    ';' (a pair without '=' or with an empty name is ignored; a name or
//    value containing a control character is ignored), WSP trimmed.
//  - Path: an attribute value starting with '/' is used, otherwise the
//    request's default-path (§5.1.4); sending uses §5.1.4 path-match.
//  - Expiry: Max-Age (-?DIGITs; <= 0 means already expired) takes
//    precedence over Expires (RFC 6265 §5.1.1 cookie-date: RFC 1123,
//    RFC 850 and asctime forms). Both are capped at 400 days from now
//    (RFC 6265bis). A cookie that arrives expired deletes the stored one of
//    the same name and path; expired cookies are dropped when seen.
//  - Identity is (name, path): a later cookie replaces the value and expiry
//    but keeps its creation order.
//  - CookieHeader: "a=1; b=2" — longer paths first, then by creation
//    (§5.4); "" if nothing matches.
//  - Caps: a cookie whose name+value exceeds kMaxCookieBytes is ignored; an
//    origin holds at most kMaxCookiesPerOrigin cookies, further new ones are
//    ignored (replacements still apply).
// Not thread-safe: owned by the event-loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpr {

class CookieJar {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  static constexpr std::size_t kMaxCookiesPerOrigin = 50;
  static constexpr std::size_t kMaxCookieBytes = 4096;

  /// Records one Set-Cookie header value received from `origin` for a
  /// request to `request_path` (the URL path; a "?query" is ignored).
  void Store(std::string_view origin, std::string_view request_path,
             std::string_view set_cookie_header_value, TimePoint now);

  /// The Cookie header value for a request to origin + request_path.
  std::string CookieHeader(std::string_view origin, std::string_view request_path, TimePoint now);

  /// Number of cookies held for `origin`, expired ones included (tests).
  std::size_t CountForTest(std::string_view origin) const;

 private:
  struct Cookie {
    std::string name;
    std::string value;
    std::string path;
    std::optional<TimePoint> expires;
    std::uint64_t created = 0;  // creation order
  };

  std::map<std::string, std::vector<Cookie>, std::less<>> by_origin_;
  std::uint64_t next_created_ = 0;
};

/// RFC 6265 §5.1.1 cookie-date parsing, as seconds since the Unix epoch
/// (UTC). nullopt if it does not parse. Exposed for tests.
std::optional<std::int64_t> ParseCookieDate(std::string_view text);

}  // namespace mcpr
