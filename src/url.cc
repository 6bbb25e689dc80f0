// url.h: a WHATWG-flavoured front end (trimming, backslashes, slashes,
// percent-encoding, reference resolution) over libcurl's CURLU, which does
// the authority parsing, host validation, IPv4/IPv6 canonicalization, port
// checks and dot-segment removal.
#include "url.h"

#include <curl/curl.h>

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace mcpr {

namespace {

struct CurluDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurluPtr = std::unique_ptr<CURLU, CurluDeleter>;

struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// Reads one part; false (and *out untouched) if curl has no such part.
bool GetPart(CURLU* u, CURLUPart part, unsigned flags, std::string* out) {
  char* raw = nullptr;
  const CURLUcode rc = curl_url_get(u, part, &raw, flags);
  CurlString owned(raw);
  if (rc != CURLUE_OK || raw == nullptr) return false;
  *out = raw;
  return true;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// WHATWG basic URL parser, first steps: strip leading/trailing C0 controls
// and spaces, drop every ASCII tab and newline.
std::string Prepare(std::string_view in) {
  while (!in.empty() && static_cast<unsigned char>(in.front()) <= 0x20) in.remove_prefix(1);
  while (!in.empty() && static_cast<unsigned char>(in.back()) <= 0x20) in.remove_suffix(1);
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (c != '\t' && c != '\n' && c != '\r') out.push_back(c);
  }
  return out;
}

// Length of a leading "scheme:" (including the ':'), or 0 if there is none.
std::size_t SchemeLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return i + 1;
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

enum class Component { kPath, kQuery, kFragment };

// The WHATWG percent-encode sets for special URLs (path, special-query,
// fragment). '%' itself is never encoded.
bool NeedsEncoding(unsigned char c, Component comp) {
  if (c < 0x20 || c >= 0x7F) return true;
  switch (c) {
    case ' ':
    case '"':
    case '<':
    case '>':
      return true;
    case '`':
      return comp != Component::kQuery;
    case '#':
      return comp != Component::kFragment;
    case '?':
    case '{':
    case '}':
      return comp == Component::kPath;
    case '\'':
      return comp == Component::kQuery;
    default:
      return false;
  }
}

std::string PercentEncode(std::string_view s, Component comp) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (NeedsEncoding(c, comp)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// WHATWG counts "%2e" as a dot in single- and double-dot path segments;
// rewrite those segments to "." / ".." so libcurl removes them.
std::string CanonicalDotSegments(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  std::size_t i = 0;
  while (i <= path.size()) {
    const std::size_t end = std::min(path.find('/', i), path.size());
    std::string seg = AsciiLower(path.substr(i, end - i));
    if (seg == "%2e") {
      out += ".";
    } else if (seg == "%2e%2e" || seg == ".%2e" || seg == "%2e.") {
      out += "..";
    } else {
      out.append(path.substr(i, end - i));
    }
    if (end == path.size()) break;
    out.push_back('/');
    i = end + 1;
  }
  return out;
}

struct Split {
  std::string before_query;  // authority + path, backslashes already '/'
  std::string query;
  std::string fragment;
  bool has_query = false;
  bool has_fragment = false;
};

// Splits off "#fragment" and then "?query"; in the remainder '\' becomes '/'
// (special schemes treat them alike).
Split SplitReference(std::string_view s) {
  Split out;
  const std::size_t hash = s.find('#');
  if (hash != std::string_view::npos) {
    out.has_fragment = true;
    out.fragment = std::string(s.substr(hash + 1));
    s = s.substr(0, hash);
  }
  const std::size_t q = s.find('?');
  if (q != std::string_view::npos) {
    out.has_query = true;
    out.query = std::string(s.substr(q + 1));
    s = s.substr(0, q);
  }
  out.before_query = std::string(s);
  for (char& c : out.before_query) {
    if (c == '\\') c = '/';
  }
  return out;
}

// WHATWG forbidden domain code points, C0 controls, space, DEL and non-ASCII.
bool IsValidDomainHost(std::string_view host) {
  for (const char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::strchr("#%/:<>?@[\\]^|", ch) != nullptr) return false;
  }
  return true;
}

bool Fail(std::string* err, std::string_view why) {
  if (err != nullptr) *err = std::string(why);
  return false;
}

// Parses a prepared absolute URL whose scheme length is known.
bool ParsePrepared(const std::string& text, std::size_t scheme_len, ParsedUrl* out,
                   std::string* err, bool second_pass = false) {
  const std::string scheme = AsciiLower(std::string_view(text).substr(0, scheme_len - 1));
  if (scheme != "http" && scheme != "https") {
    return Fail(err, "unsupported URL scheme \"" + scheme + "\" (only http and https)");
  }
  Split parts = SplitReference(std::string_view(text).substr(scheme_len));
  // Special authority ignore-slashes state: any run of slashes before the host.
  std::string_view rest = parts.before_query;
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.empty()) return Fail(err, "URL has no host");

  std::string rebuilt = scheme + "://";
  rebuilt.append(authority);
  rebuilt += CanonicalDotSegments(PercentEncode(path, Component::kPath));
  const std::string query = PercentEncode(parts.query, Component::kQuery);
  const std::string fragment = PercentEncode(parts.fragment, Component::kFragment);
  if (parts.has_query) rebuilt += "?" + query;
  if (parts.has_fragment) rebuilt += "#" + fragment;

  CurluPtr u(curl_url());
  if (!u) return Fail(err, "out of memory");
  const CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, rebuilt.c_str(), 0);
  if (rc != CURLUE_OK) return Fail(err, curl_url_strerror(rc));

  ParsedUrl result;
  result.scheme = scheme;
  if (!GetPart(u.get(), CURLUPART_HOST, 0, &result.host) || result.host.empty()) {
    return Fail(err, "URL has no host");
  }
  std::string zone;
  if (GetPart(u.get(), CURLUPART_ZONEID, 0, &zone)) return Fail(err, "IPv6 zone ids are not supported");
  result.host = AsciiLower(result.host);
  // curl percent-decodes the host ("%d1%7f" becomes two raw bytes) and then
  // validates less than it does for a literal host; apply the WHATWG
  // forbidden-domain-code-point rule to the decoded bytes. There is no IDNA
  // here, so a non-ASCII host must be given in its punycode ("xn--") form.
  if (result.host.front() != '[' && !IsValidDomainHost(result.host)) {
    return Fail(err, "URL host contains characters not allowed in a host name (use the punycode xn-- form for international names)");
  }
  GetPart(u.get(), CURLUPART_PORT, CURLU_NO_DEFAULT_PORT, &result.port);
  std::string effective;
  if (!GetPart(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT, &effective)) {
    return Fail(err, "URL has no port");
  }
  result.effective_port = std::atoi(effective.c_str());
  if (!GetPart(u.get(), CURLUPART_PATH, 0, &result.path) || result.path.empty()) result.path = "/";
  GetPart(u.get(), CURLUPART_USER, 0, &result.user);
  GetPart(u.get(), CURLUPART_PASSWORD, 0, &result.password);
  result.has_query = parts.has_query;
  if (parts.has_query) GetPart(u.get(), CURLUPART_QUERY, 0, &result.query);
  result.has_fragment = parts.has_fragment;
  if (parts.has_fragment) GetPart(u.get(), CURLUPART_FRAGMENT, 0, &result.fragment);
  if (!second_pass && authority.find('%') != std::string_view::npos) {
    // Parse once more with the decoded host written out, so that curl
    // canonicalizes it as it would a literal one ("12%2e7" is the IPv4
    // address 12.0.0.7, as in a browser). The host has no '%' now.
    const std::string literal = Href(result);
    return ParsePrepared(literal, scheme.size() + 1, out, err, /*second_pass=*/true);
  }
  *out = std::move(result);
  return true;
}

std::string Authority(const ParsedUrl& url) {
  std::string out;
  if (!url.user.empty() || !url.password.empty()) {
    out += url.user;
    if (!url.password.empty()) out += ":" + url.password;
    out += "@";
  }
  out += url.host;
  if (!url.port.empty()) out += ":" + url.port;
  return out;
}

bool IsIpv4Loopback(std::string_view s) {
  int octets = 0;
  int first = -1;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    int value = 0;
    while (i < s.size() && IsDigit(s[i]) && i - start < 3) value = value * 10 + (s[i++] - '0');
    if (i == start || value > 255 || (i < s.size() && IsDigit(s[i]))) return false;
    if (first < 0) first = value;
    ++octets;
    if (i == s.size()) break;
    if (s[i] != '.' || octets == 4) return false;
    ++i;
  }
  return octets == 4 && first == 127;
}

}  // namespace

bool ParseUrl(std::string_view text, ParsedUrl* out, std::string* err) {
  const std::string prepared = Prepare(text);
  const std::size_t scheme_len = SchemeLength(prepared);
  if (scheme_len == 0) return Fail(err, "not an absolute URL");
  return ParsePrepared(prepared, scheme_len, out, err);
}

std::string Href(const ParsedUrl& url) {
  std::string out = url.scheme + "://" + Authority(url) + url.path;
  if (url.has_query) out += "?" + url.query;
  if (url.has_fragment) out += "#" + url.fragment;
  return out;
}

bool NormalizeUrl(std::string_view text, std::string* out, std::string* err) {
  ParsedUrl url;
  if (!ParseUrl(text, &url, err)) return false;
  *out = Href(url);
  return true;
}

std::string Origin(const ParsedUrl& url) {
  std::string out = url.scheme + "://" + url.host;
  if (!url.port.empty()) out += ":" + url.port;
  return out;
}

bool ResolveReference(std::string_view base, std::string_view ref, std::string* out) {
  ParsedUrl b;
  if (!ParseUrl(base, &b, nullptr)) return false;
  std::string r = Prepare(ref);

  const std::size_t scheme_len = SchemeLength(r);
  if (scheme_len != 0) {
    const std::string scheme = AsciiLower(std::string_view(r).substr(0, scheme_len - 1));
    std::string_view after = std::string_view(r).substr(scheme_len);
    const bool two_slashes = after.size() >= 2 && (after[0] == '/' || after[0] == '\\') &&
                             (after[1] == '/' || after[1] == '\\');
    if (scheme != b.scheme || two_slashes) return NormalizeUrl(r, out, nullptr);
    // "https:foo" against an https base is relative (WHATWG special
    // relative-or-authority state).
    r = std::string(after);
  }

  Split parts = SplitReference(r);
  std::string prefix = b.scheme + "://";
  std::string target;
  if (parts.before_query.rfind("//", 0) == 0) {
    target = b.scheme + ":" + parts.before_query;  // scheme-relative
  } else if (!parts.before_query.empty() && parts.before_query[0] == '/') {
    target = prefix + Authority(b) + parts.before_query;
  } else if (!parts.before_query.empty()) {
    const std::size_t last = b.path.rfind('/');
    target = prefix + Authority(b) + b.path.substr(0, last + 1) + parts.before_query;
  } else {
    // Empty path: keep the base path, and the base query unless one is given.
    target = prefix + Authority(b) + b.path;
    if (!parts.has_query && b.has_query) target += "?" + b.query;
  }
  if (parts.has_query) target += "?" + parts.query;
  if (parts.has_fragment) target += "#" + parts.fragment;
  return NormalizeUrl(target, out, nullptr);
}

bool SameOrigin(std::string_view a, std::string_view b) {
  ParsedUrl ua;
  ParsedUrl ub;
  if (!ParseUrl(a, &ua, nullptr) || !ParseUrl(b, &ub, nullptr)) return false;
  return Origin(ua) == Origin(ub);
}

bool IsLoopbackHost(std::string_view host) {
  std::string h = AsciiLower(host);
  if (h == "localhost") return true;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  } else if (IsIpv4Loopback(h)) {
    return true;
  }
  if (h.find(':') == std::string::npos) return false;
  in6_addr addr{};
  if (inet_pton(AF_INET6, h.c_str(), &addr) != 1) return false;
  return std::memcmp(&addr, &in6addr_loopback, sizeof addr) == 0;
}

std::string UrlPath(std::string_view url) {
  ParsedUrl parsed;
  if (!ParseUrl(url, &parsed, nullptr)) return {};
  return parsed.path;
}

}  // namespace mcpr
