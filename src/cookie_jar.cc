#include "cookie_jar.h"

#include <algorithm>
#include <limits>

namespace mcpr {

namespace {

using Seconds = std::chrono::seconds;

constexpr std::int64_t kMaxLifetimeS = 400LL * 24 * 60 * 60;  // RFC 6265bis §5.5

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimWsp(std::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7F;
  });
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The request's path without query or fragment; "/" if empty.
std::string_view RequestPath(std::string_view p) {
  p = p.substr(0, p.find_first_of("?#"));
  return p.empty() ? std::string_view("/") : p;
}

// RFC 6265 §5.1.4 default-path.
std::string DefaultPath(std::string_view uri_path) {
  if (uri_path.empty() || uri_path.front() != '/') return "/";
  const std::size_t last = uri_path.rfind('/');
  if (last == 0) return "/";
  return std::string(uri_path.substr(0, last));
}

// RFC 6265 §5.1.4 path-match.
bool PathMatches(std::string_view request_path, std::string_view cookie_path) {
  if (request_path == cookie_path) return true;
  if (!request_path.starts_with(cookie_path)) return false;
  return cookie_path.ends_with('/') || request_path[cookie_path.size()] == '/';
}

// Max-Age value: -?DIGIT+ (RFC 6265 §5.2.2), saturating.
std::optional<std::int64_t> ParseMaxAge(std::string_view v) {
  if (v.empty()) return std::nullopt;
  bool negative = false;
  if (v.front() == '-') {
    negative = true;
    v.remove_prefix(1);
  }
  if (v.empty()) return std::nullopt;
  std::int64_t n = 0;
  for (char c : v) {
    if (!IsDigit(c)) return std::nullopt;
    if (n < kMaxLifetimeS * 10) n = n * 10 + (c - '0');  // saturate far above any cap
  }
  return negative ? -n : n;
}

// ---- RFC 6265 §5.1.1 cookie-date ----

bool IsDateDelimiter(unsigned char c) {
  return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) ||
         (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// Reads min..max digits at *pos; fails if fewer, or if a further digit follows.
bool Digits(std::string_view t, std::size_t* pos, std::size_t min, std::size_t max, int* value) {
  std::size_t i = *pos;
  int v = 0;
  while (i < t.size() && IsDigit(t[i]) && i - *pos < max) v = v * 10 + (t[i++] - '0');
  if (i - *pos < min || (i < t.size() && IsDigit(t[i]))) return false;
  *pos = i;
  *value = v;
  return true;
}

bool ParseTime(std::string_view t, int* h, int* m, int* s) {
  std::size_t pos = 0;
  if (!Digits(t, &pos, 1, 2, h) || pos >= t.size() || t[pos++] != ':') return false;
  if (!Digits(t, &pos, 1, 2, m) || pos >= t.size() || t[pos++] != ':') return false;
  return Digits(t, &pos, 1, 2, s);  // anything non-digit may follow
}

bool ParseNumberToken(std::string_view t, std::size_t min, std::size_t max, int* v) {
  std::size_t pos = 0;
  return Digits(t, &pos, min, max, v);
}

int ParseMonth(std::string_view t) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  if (t.size() < 3) return 0;
  const std::string prefix = AsciiLower(t.substr(0, 3));
  for (int i = 0; i < 12; ++i) {
    if (prefix == kMonths[i]) return i + 1;
  }
  return 0;
}

}  // namespace

std::optional<std::int64_t> ParseCookieDate(std::string_view text) {
  bool found_time = false, found_day = false, found_month = false, found_year = false;
  int hour = 0, minute = 0, second = 0, day = 0, month = 0, year = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsDateDelimiter(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !IsDateDelimiter(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view token = text.substr(start, i - start);
    if (token.empty()) continue;
    int a = 0, b = 0, c = 0;
    if (!found_time && ParseTime(token, &a, &b, &c)) {
      found_time = true;
      hour = a;
      minute = b;
      second = c;
    } else if (!found_day && ParseNumberToken(token, 1, 2, &a)) {
      found_day = true;
      day = a;
    } else if (!found_month && (a = ParseMonth(token)) != 0) {
      found_month = true;
      month = a;
    } else if (!found_year && ParseNumberToken(token, 2, 4, &a)) {
      found_year = true;
      year = a;
    }
  }
  if (year >= 70 && year <= 99) year += 1900;
  if (year >= 0 && year <= 69) year += 2000;
  if (!found_time || !found_day || !found_month || !found_year) return std::nullopt;
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;  // e.g. Feb 30
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

void CookieJar::Store(std::string_view origin, std::string_view request_path,
                      std::string_view set_cookie_header_value, TimePoint now) {
  if (origin.empty()) return;
  const std::string_view header = set_cookie_header_value;
  const std::size_t semi = header.find(';');
  const std::string_view pair = header.substr(0, semi);
  const std::string_view attributes =
      semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);

  const std::size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return;
  const std::string_view name = TrimWsp(pair.substr(0, eq));
  const std::string_view value = TrimWsp(pair.substr(eq + 1));
  if (name.empty() || HasControl(name) || HasControl(value)) return;
  if (name.size() + value.size() > kMaxCookieBytes) return;

  const std::string_view req_path = RequestPath(request_path);
  std::string path = DefaultPath(req_path);
  std::optional<std::int64_t> max_age;
  std::optional<std::int64_t> expires;
  std::string_view rest = attributes;
  while (!rest.empty()) {
    const std::size_t next = rest.find(';');
    const std::string_view attr = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const std::size_t aeq = attr.find('=');
    const std::string key = AsciiLower(TrimWsp(attr.substr(0, aeq)));
    const std::string_view val =
        aeq == std::string_view::npos ? std::string_view() : TrimWsp(attr.substr(aeq + 1));
    if (key == "expires") {
      if (auto t = ParseCookieDate(val)) expires = t;
    } else if (key == "max-age") {
      if (auto s = ParseMaxAge(val)) max_age = s;
    } else if (key == "path") {
      path = (!val.empty() && val.front() == '/') ? std::string(val) : DefaultPath(req_path);
    }
  }

  // Resolve the expiry in seconds first: system_clock's range is too small
  // for years like 1601 or 9999.
  std::optional<TimePoint> expiry;
  bool expired = false;
  if (max_age) {
    if (*max_age <= 0) {
      expired = true;
    } else {
      expiry = now + Seconds(std::min(*max_age, kMaxLifetimeS));
    }
  } else if (expires) {
    const std::int64_t now_s = std::chrono::duration_cast<Seconds>(now.time_since_epoch()).count();
    if (*expires <= now_s) {
      expired = true;
    } else {
      expiry = TimePoint(Seconds(std::min(*expires, now_s + kMaxLifetimeS)));
    }
  }

  auto& jar = by_origin_[std::string(origin)];
  auto same = std::find_if(jar.begin(), jar.end(),
                           [&](const Cookie& c) { return c.name == name && c.path == path; });
  if (expired) {
    if (same != jar.end()) jar.erase(same);
    if (jar.empty()) by_origin_.erase(std::string(origin));
    return;
  }
  if (same != jar.end()) {
    same->value = std::string(value);
    same->expires = expiry;
    return;
  }
  if (jar.size() >= kMaxCookiesPerOrigin) {
    std::erase_if(jar, [&](const Cookie& c) { return c.expires && *c.expires <= now; });
    if (jar.size() >= kMaxCookiesPerOrigin) return;
  }
  jar.push_back(Cookie{std::string(name), std::string(value), std::move(path), expiry, next_created_++});
}

std::string CookieJar::CookieHeader(std::string_view origin, std::string_view request_path,
                                    TimePoint now) {
  auto it = by_origin_.find(origin);
  if (it == by_origin_.end()) return {};
  auto& jar = it->second;
  std::erase_if(jar, [&](const Cookie& c) { return c.expires && *c.expires <= now; });
  if (jar.empty()) {
    by_origin_.erase(it);
    return {};
  }
  const std::string_view path = RequestPath(request_path);
  std::vector<const Cookie*> matches;
  for (const Cookie& c : jar) {
    if (PathMatches(path, c.path)) matches.push_back(&c);
  }
  std::sort(matches.begin(), matches.end(), [](const Cookie* a, const Cookie* b) {
    if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
    return a->created < b->created;
  });
  std::string out;
  for (const Cookie* c : matches) {
    if (!out.empty()) out += "; ";
    out += c->name;
    out += '=';
    out += c->value;
  }
  return out;
}

std::size_t CookieJar::CountForTest(std::string_view origin) const {
  auto it = by_origin_.find(origin);
  return it == by_origin_.end() ? 0 : it->second.size();
}

}  // namespace mcpr
